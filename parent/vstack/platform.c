/* Power-off, reset and exit ports of a child; contract in platform.h. */
#include "parent/vstack/platform.h"

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
