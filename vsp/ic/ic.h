/*
 * The integration services a child's hv_utils binds to: heartbeat,
 * shutdown, time sync and key-value pair exchange (KVP), each a VMBus service (vsp/vmbus/server.h) with
 * the IC framing and version negotiation of vsp/ic/ic_abi.h.  The host
 * speaks first: on open it proposes its versions; once the child has
 * chosen, heartbeat sends a beat every IC_HEARTBEAT_PERIOD, time sync sets
 * the child's clock (SYNC) and then samples every IC_TIMESYNC_PERIOD, KVP
 * enumerates the guest's own pool (host name, OS, addresses: what its
 * hv_kvp_daemon reports) every IC_KVP_PERIOD, and shutdown waits for
 * ic_shutdown().  One request is outstanding at a time; a request
 * unanswered for IC_TIMEOUT (KVP: IC_KVP_TIMEOUT, the guest's own limit
 * being 30 s) is given up.  KVP's negotiation waits as long as it takes:
 * Linux reads that ring only once its daemon runs.  Strings the guest
 * reports are kept as printable ASCII.
 *
 * Answers are checked (type, transaction, length, versions offered); a
 * wrong one is counted in `bad` and changes nothing, except that a wrong
 * negotiation leaves the service failed until the channel reopens.
 *
 * Times are reference time, 100 ns units.  Pure logic, like the server.
 */
#ifndef KEEL_VSP_IC_H
#define KEEL_VSP_IC_H

#include <stdbool.h>
#include <stdint.h>

#include "vsp/vmbus/server.h"

#define IC_HEARTBEAT_PERIOD 10000000ull /* 1 s */
#define IC_HEARTBEAT_LOST   50000000ull /* no beat for 5 s: lost */
#define IC_TIMESYNC_PERIOD  50000000ull /* 5 s */
#define IC_TIMEOUT          30000000ull /* 3 s for an answer */
#define IC_KVP_PERIOD       100000000ull /* 10 s */
#define IC_KVP_TIMEOUT      350000000ull /* 35 s */
#define IC_KVP_PAIRS        12
#define IC_KVP_KEY_MAX      40
#define IC_KVP_VALUE_MAX    160

enum ic_kind { IC_HEARTBEAT, IC_SHUTDOWN, IC_TIMESYNC, IC_KVP, IC_KINDS };
enum ic_state { IC_CLOSED, IC_NEGOTIATING, IC_READY, IC_FAILED };

struct ic_clock {
	uint64_t (*reference)(void *ctx); /* the child's reference time */
	uint64_t (*utc)(void *ctx);       /* UTC, 100 ns since 1601-01-01 */
	void *ctx;
};

struct ic {
	enum ic_kind kind;
	enum ic_state state;
	const struct ic_clock *clock;
	struct vmbus_channel *channel;  /* while open */
	uint32_t framework, version;    /* chosen: major << 16 | minor */
	uint64_t trans_id;              /* of the request outstanding; 0: none */
	uint64_t sent_at;
	uint8_t msgtype;                /* ... and its IC message type */
	uint32_t bad;                   /* answers that made no sense */
	uint32_t timeouts;
	/* heartbeat */
	uint64_t seq, beats, last_beat;
	/* shutdown */
	bool shutdown_sent, shutdown_answered;
	uint32_t shutdown_status;
	/* time sync */
	uint64_t syncs, last_sample;
	/* KVP: the pairs of the guest's pool, by index, from the last rounds */
	uint32_t kvp_index;             /* being asked for */
	uint32_t kvp_count;             /* pairs held */
	uint64_t kvp_rounds, kvp_round_at;
	struct {
		char key[IC_KVP_KEY_MAX + 1];
		char value[IC_KVP_VALUE_MAX + 1];
	} kvp[IC_KVP_PAIRS];
};

void ic_init(struct ic *ic, enum ic_kind kind, const struct ic_clock *clock);
/* The service to offer for ic (priv = ic). */
const struct vmbus_service *ic_service(enum ic_kind kind);
/* Ask the child to shut down (shutdown service): 0 sent, -1 when the
 * service is not ready or a request is outstanding. */
int ic_shutdown(struct ic *ic);
/* The value the guest reported for `key` (KVP), NULL if none. */
const char *ic_kvp_value(const struct ic *kvp, const char *key);
/* Heartbeat health at `now`: "ok", "lost" or "none" (never beat). */
const char *ic_health(const struct ic *heartbeat, uint64_t now);
const char *ic_state_name(enum ic_state state);
/* "3.0" and so on into buf[8] */
const char *ic_version_text(uint32_t version, char *buf);

#endif
