/*
 * Parser for \keel\keel.cfg.  Syntax and semantics: docs/boot-config.md.
 *
 * The text is never modified; every value is bounded-copied into the
 * fixed-size struct keel_config.  Error messages quote at most a short,
 * sanitised excerpt of the offending text so they always fit one line.
 */
#include "boot/config.h"
#include "boot/fmt.h"

enum config_key {
	KEY_HYPERVISOR,
	KEY_PARENT,
	KEY_HV_MEMORY,
	KEY_LOG_LEVEL,
	KEY_VENDOR,
	KEY_MODULE,
	KEY_STARTUP,
	KEY_TIME_SLICE,
	KEY_COUNT,
};

static const char *const config_key_names[KEY_COUNT] = {
	[KEY_HYPERVISOR] = "hypervisor",
	[KEY_PARENT] = "parent",
	[KEY_HV_MEMORY] = "hv_memory",
	[KEY_LOG_LEVEL] = "log_level",
	[KEY_VENDOR] = "vendor",
	[KEY_MODULE] = "module",
	[KEY_STARTUP] = "startup",
	[KEY_TIME_SLICE] = "time_slice",
};

static const char *const config_level_names[] = {
	[BOOT_LOG_ERROR] = "error",
	[BOOT_LOG_WARN] = "warn",
	[BOOT_LOG_INFO] = "info",
	[BOOT_LOG_DEBUG] = "debug",
};

/* A view of part of the input: [p, p + n). */
struct span {
	const char *p;
	size_t n;
};

struct parser {
	struct keel_config *cfg;
	char *err;
	size_t err_len;
	unsigned line;
	unsigned key_line[KEY_COUNT];          /* first line a key was set on, 0 if never */
	unsigned module_line[BOOT_MAX_MODULES];
};

#define EXCERPT_LEN 48

const char *config_log_level_name(uint32_t level)
{
	if (level < sizeof(config_level_names) / sizeof(config_level_names[0]))
		return config_level_names[level];
	return "?";
}

static void config_zero(void *p, size_t n)
{
	unsigned char *b = p;
	while (n--)
		*b++ = 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static struct span span_trim(struct span s)
{
	while (s.n && is_space(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

static int span_equals(struct span s, const char *word, int fold_case)
{
	size_t i = 0;
	for (; i < s.n; i++) {
		char a = s.p[i], b = word[i];
		if (!b)
			return 0;
		if (fold_case) {
			a = to_lower(a);
			b = to_lower(b);
		}
		if (a != b)
			return 0;
	}
	return word[i] == '\0';
}

static int span_equals_str(struct span s, const char *str)
{
	return span_equals(s, str, 0);
}

/* Copy s into dst (capacity cap, cap > s.n) and NUL-terminate. */
static void span_copy(char *dst, size_t cap, struct span s)
{
	size_t i = 0;
	for (; i < s.n && i + 1 < cap; i++)
		dst[i] = s.p[i];
	dst[i] = '\0';
}

/* A printable, length-limited copy of s for quoting in a message. */
static const char *excerpt(char buf[EXCERPT_LEN + 4], struct span s)
{
	size_t i = 0;
	for (; i < s.n && i < EXCERPT_LEN; i++) {
		char c = s.p[i];
		buf[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	if (s.n > EXCERPT_LEN) {
		buf[i++] = '.';
		buf[i++] = '.';
		buf[i++] = '.';
	}
	buf[i] = '\0';
	return buf;
}

static int fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
	if (!ps->err || !ps->err_len)
		return -1;
	size_t n;
	if (ps->line)
		n = fmt_snprintf(ps->err, ps->err_len, "keel.cfg:%u: ", ps->line);
	else
		n = fmt_snprintf(ps->err, ps->err_len, "keel.cfg: ");
	if (n < ps->err_len) {
		__builtin_va_list ap;
		__builtin_va_start(ap, fmt);
		fmt_vsnprintf(ps->err + n, ps->err_len - n, fmt, ap);
		__builtin_va_end(ap);
	}
	return -1;
}

/* Module names: 1..BOOT_MODULE_NAME_LEN-1 characters of [A-Za-z0-9_.-]. */
static int valid_module_name(struct span s)
{
	if (s.n == 0 || s.n >= BOOT_MODULE_NAME_LEN)
		return 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * An ESP path: '/' becomes '\', a leading '\' is added when missing.
 * Returns 0, or -1 with the error reported.
 */
static int parse_path(struct parser *ps, const char *what, struct span v, char out[CONFIG_PATH_LEN])
{
	char ex[EXCERPT_LEN + 4];
	size_t lead = (v.p[0] == '\\' || v.p[0] == '/') ? 0 : 1;

	if (v.n + lead >= CONFIG_PATH_LEN)
		return fail(ps, "%s path '%s' is too long (at most %u characters)",
			    what, excerpt(ex, v), CONFIG_PATH_LEN - 1);
	size_t o = 0;
	if (lead)
		out[o++] = '\\';
	for (size_t i = 0; i < v.n; i++)
		out[o++] = v.p[i] == '/' ? '\\' : v.p[i];
	out[o] = '\0';
	if (out[o - 1] == '\\')
		return fail(ps, "%s path '%s' names a directory, not a file", what, out);
	return 0;
}

/*
 * SIZE: decimal digits with an optional K, M or G suffix (binary units),
 * optionally followed by "B" or "iB".  Returns 0 and the byte count, or -1.
 */
static int parse_size(struct span v, uint64_t *bytes)
{
	uint64_t n = 0;
	size_t i = 0;

	if (v.n == 0 || v.p[0] < '0' || v.p[0] > '9')
		return -1;
	for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
		unsigned d = (unsigned)(v.p[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}

	unsigned shift = 0;
	if (i < v.n) {
		switch (to_lower(v.p[i])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return -1;
		}
		i++;
		struct span rest = { v.p + i, v.n - i };
		if (rest.n && !span_equals(rest, "b", 1) && !span_equals(rest, "ib", 1))
			return -1;
	}
	if (shift && n > (UINT64_MAX >> shift))
		return -1;
	*bytes = n << shift;
	return 0;
}

static int set_hv_memory(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];
	uint64_t bytes;

	if (parse_size(v, &bytes) < 0)
		return fail(ps, "hv_memory = '%s' is not a size (use a decimal number with an "
			    "optional K, M or G suffix, e.g. 64M)", excerpt(ex, v));
	if (bytes > CONFIG_HV_MEMORY_MAX)
		return fail(ps, "hv_memory = %s is out of range (must be 16M to 4G)", excerpt(ex, v));
	bytes = (bytes + CONFIG_HV_MEMORY_ALIGN - 1) & ~(CONFIG_HV_MEMORY_ALIGN - 1);
	if (bytes < CONFIG_HV_MEMORY_MIN || bytes > CONFIG_HV_MEMORY_MAX)
		return fail(ps, "hv_memory = %s is out of range (must be 16M to 4G)", excerpt(ex, v));
	ps->cfg->hv_memory = bytes;
	return 0;
}

/* A duration: decimal digits and a unit, us or ms. */
static int set_time_slice(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];
	uint64_t n = 0, mult;
	size_t i = 0;

	for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && n <= CONFIG_TIME_SLICE_MAX_US; i++)
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	if (i == 0 || i + 2 != v.n || v.p[i + 1] != 's' || (v.p[i] != 'u' && v.p[i] != 'm'))
		return fail(ps, "time_slice = '%s' is not a duration (use a number with us or ms, "
			    "e.g. 10ms)", excerpt(ex, v));
	mult = v.p[i] == 'm' ? 1000 : 1;
	if (n * mult < CONFIG_TIME_SLICE_MIN_US || n * mult > CONFIG_TIME_SLICE_MAX_US)
		return fail(ps, "time_slice = %s is out of range (must be 100us to 1000ms)", excerpt(ex, v));
	ps->cfg->time_slice_us = (uint32_t)(n * mult);
	return 0;
}

static int set_log_level(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];

	for (uint32_t i = 0; i < sizeof(config_level_names) / sizeof(config_level_names[0]); i++) {
		if (span_equals(v, config_level_names[i], 1)) {
			ps->cfg->log_level = i;
			return 0;
		}
	}
	return fail(ps, "log_level = '%s' is not a log level (use error, warn, info or debug)",
		    excerpt(ex, v));
}

static int set_vendor(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];

	/* Optional double quotes keep leading or trailing spaces. */
	if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
		v.p++;
		v.n -= 2;
	}
	if (v.n < 1 || v.n > BOOT_VENDOR_LEN)
		return fail(ps, "vendor = '%s' must be 1 to %u characters long (it is %zu)",
			    excerpt(ex, v), BOOT_VENDOR_LEN, v.n);
	span_copy(ps->cfg->vendor, sizeof(ps->cfg->vendor), v);
	return 0;
}

static int add_module(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];
	struct keel_config *cfg = ps->cfg;
	size_t cut = 0;

	while (cut < v.n && !is_space(v.p[cut]))
		cut++;
	struct span name = { v.p, cut };
	struct span path = span_trim((struct span){ v.p + cut, v.n - cut });

	if (path.n == 0)
		return fail(ps, "module = '%s' has no path (use module = NAME PATH)", excerpt(ex, v));
	if (!valid_module_name(name))
		return fail(ps, "bad module name '%s' (use 1 to %u characters from A-Z a-z 0-9 _ . -)",
			    excerpt(ex, name), BOOT_MODULE_NAME_LEN - 1);
	for (uint32_t i = 0; i < cfg->module_count; i++) {
		if (span_equals_str(name, cfg->modules[i].name))
			return fail(ps, "duplicate module name '%s' (first declared on line %u)",
				    cfg->modules[i].name, ps->module_line[i]);
	}
	if (cfg->module_count >= BOOT_MAX_MODULES)
		return fail(ps, "too many modules (at most %u)", BOOT_MAX_MODULES);

	struct config_module *m = &cfg->modules[cfg->module_count];
	span_copy(m->name, sizeof(m->name), name);
	if (parse_path(ps, "module", path, m->path) < 0)
		return -1;
	ps->module_line[cfg->module_count] = ps->line;
	cfg->module_count++;
	return 0;
}

static int set_startup(struct parser *ps, struct span v)
{
	char ex[EXCERPT_LEN + 4];

	if (!valid_module_name(v))
		return fail(ps, "startup = '%s' is not a module name (use 1 to %u characters "
			    "from A-Z a-z 0-9 _ . -)", excerpt(ex, v), BOOT_MODULE_NAME_LEN - 1);
	span_copy(ps->cfg->startup, sizeof(ps->cfg->startup), v);
	return 0;
}

static int parse_line(struct parser *ps, struct span line)
{
	char ex[EXCERPT_LEN + 4];

	for (size_t i = 0; i < line.n; i++) {
		if (line.p[i] == '#') {
			line.n = i;
			break;
		}
	}
	line = span_trim(line);
	if (line.n == 0)
		return 0;
	for (size_t i = 0; i < line.n; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if ((c < 0x20 && c != '\t' && c != '\r') || c >= 0x7f)
			return fail(ps, "line contains a control or non-ASCII character "
				    "(only plain ASCII text is allowed)");
	}

	size_t eq = 0;
	while (eq < line.n && line.p[eq] != '=')
		eq++;
	if (eq == line.n)
		return fail(ps, "missing '=' in '%s' (expected key = value)", excerpt(ex, line));

	struct span key = span_trim((struct span){ line.p, eq });
	struct span value = span_trim((struct span){ line.p + eq + 1, line.n - eq - 1 });
	if (key.n == 0)
		return fail(ps, "missing key before '=' (expected key = value)");

	int k = -1;
	for (int i = 0; i < KEY_COUNT; i++) {
		if (span_equals_str(key, config_key_names[i])) {
			k = i;
			break;
		}
	}
	if (k < 0)
		return fail(ps, "unknown key '%s' (known keys: hypervisor, parent, hv_memory, "
			    "log_level, vendor, module, startup, time_slice)", excerpt(ex, key));
	if (k != KEY_MODULE && ps->key_line[k])
		return fail(ps, "duplicate key '%s' (first set on line %u)",
			    config_key_names[k], ps->key_line[k]);
	if (value.n == 0)
		return fail(ps, "missing value for '%s'", config_key_names[k]);
	if (!ps->key_line[k])
		ps->key_line[k] = ps->line;

	switch (k) {
	case KEY_HYPERVISOR:
		return parse_path(ps, "hypervisor", value, ps->cfg->hypervisor);
	case KEY_PARENT:
		return parse_path(ps, "parent", value, ps->cfg->parent);
	case KEY_HV_MEMORY:
		return set_hv_memory(ps, value);
	case KEY_LOG_LEVEL:
		return set_log_level(ps, value);
	case KEY_VENDOR:
		return set_vendor(ps, value);
	case KEY_MODULE:
		return add_module(ps, value);
	case KEY_STARTUP:
		return set_startup(ps, value);
	case KEY_TIME_SLICE:
		return set_time_slice(ps, value);
	}
	return 0;
}

static void config_defaults(struct keel_config *cfg)
{
	config_zero(cfg, sizeof(*cfg));
	cfg->hv_memory = CONFIG_HV_MEMORY_DEFAULT;
	cfg->log_level = BOOT_LOG_INFO;
	cfg->time_slice_us = CONFIG_TIME_SLICE_DEFAULT_US;
	span_copy(cfg->vendor, sizeof(cfg->vendor),
		  (struct span){ CONFIG_VENDOR_DEFAULT, sizeof(CONFIG_VENDOR_DEFAULT) - 1 });
}

int config_parse(const char *text, size_t len, struct keel_config *cfg,
		 char *err, size_t err_len)
{
	struct parser ps;

	config_zero(&ps, sizeof(ps));
	ps.cfg = cfg;
	ps.err = err;
	ps.err_len = err_len;
	if (err && err_len)
		err[0] = '\0';
	config_defaults(cfg);

	/* A UTF-8 byte order mark, as some editors write, is skipped. */
	if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf) {
		text += 3;
		len -= 3;
	}

	size_t pos = 0;
	while (pos < len) {
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		ps.line++;
		if (parse_line(&ps, (struct span){ text + pos, end - pos }) < 0)
			return -1;
		pos = end + 1;
	}

	ps.line = 0;
	if (!ps.key_line[KEY_HYPERVISOR])
		return fail(&ps, "missing required key 'hypervisor' (e.g. hypervisor = \\keel\\hv.elf)");
	if (!ps.key_line[KEY_PARENT])
		return fail(&ps, "missing required key 'parent' (e.g. parent = \\keel\\parent.elf)");

	if (cfg->startup[0]) {
		int found = 0;
		for (uint32_t i = 0; i < cfg->module_count; i++) {
			struct span name = { cfg->modules[i].name, 0 };
			while (name.p[name.n])
				name.n++;
			if (span_equals_str(name, cfg->startup))
				found = 1;
		}
		if (!found) {
			ps.line = ps.key_line[KEY_STARTUP];
			return fail(&ps, "startup = %s names no declared module (add module = %s PATH)",
				    cfg->startup, cfg->startup);
		}
	}
	return 0;
}
