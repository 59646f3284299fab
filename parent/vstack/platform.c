/* Power-off, reset and exit ports of a child; contract in platform.h. */
#include "parent/vstack/platform.h"

#include <string.h>

#include "parent/acpi_tables.h"

bool platform_io(uint16_t port, bool write, unsigned size, uint32_t *value, enum platform_event *event,
		 uint32_t *code)
{
	uint32_t mask = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	*event = PLATFORM_NONE;
	switch (port) {
	case PLATFORM_PORT_EXIT:
		if (!write) {
			*value = mask;
			return true;
		}
		*event = PLATFORM_EXIT;
		*code = *value & mask;
		return true;
	case PLATFORM_PORT_SLEEP:
		if (!write)
			*value = 0;
		else if (acpi_sleep_control_is_s5((uint8_t)*value))
			*event = PLATFORM_POWER_OFF;
		return true;
	case PLATFORM_PORT_RESET:
		if (!write)
			*value = 0;
		else if ((uint8_t)*value == PLATFORM_RESET_VALUE)
			*event = PLATFORM_RESET;
		return true;
	}
	return false;
}

void platform_reset_code(uint8_t code[PLATFORM_RESET_CODE_SIZE])
{
	const uint8_t reset[] = {
		0xba, PLATFORM_PORT_RESET & 0xff, PLATFORM_PORT_RESET >> 8, /* mov dx, PLATFORM_PORT_RESET */
		0xb0, PLATFORM_RESET_VALUE,                                 /* mov al, PLATFORM_RESET_VALUE */
		0xee,                                                       /* out dx, al */
		0xf4,                                                       /* 1: hlt */
		0xeb, 0xfd,                                                 /* jmp 1b */
	};

	memset(code, 0xf4, PLATFORM_RESET_CODE_SIZE);
	memcpy(code, reset, sizeof(reset));
}
