/*
 * The echo channel: what every child can reach over the hypervisor's
 * ports and connections, for testing them end to end (docs/guests.md,
 * "Messages and events").  The parent creates it with the VM.
 *
 * In the child:
 *  - connection ECHO_CONNECTION (message): whatever the child posts there
 *    the parent posts back, same type and payload, to the child's message
 *    port on SINT ECHO_SINT of VP 0.  Two types are answered differently:
 *    ECHO_TYPE_SYNC with an event (below), ECHO_TYPE_STATS with a message
 *    of that type whose payload is struct echo_stats.
 *  - connection ECHO_EVENT_CONNECTION (event, one flag): every signal is
 *    answered with event flag ECHO_EVENT_FLAG of SINT ECHO_SINT of VP 0.
 */
#ifndef KEEL_PARENT_ECHO_ABI_H
#define KEEL_PARENT_ECHO_ABI_H

#include <stdint.h>

#define ECHO_CONNECTION       0x5e60u
#define ECHO_EVENT_CONNECTION 0x5e61u
#define ECHO_SINT             3u
#define ECHO_EVENT_FLAG       1u
#define ECHO_TYPE_SYNC        0x5e6eu
#define ECHO_TYPE_STATS       0x5e6fu

/* Counts since the VM started. */
struct echo_stats {
	uint32_t echoed;      /* messages posted back */
	uint32_t dropped;     /* ... that the hypervisor refused (the child's buffers were full) */
	uint32_t last_status; /* the last refusal's TLFS status */
	uint32_t events;      /* events signalled back */
};

#endif
