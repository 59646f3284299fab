/*
 * Ports and connections (TLFS "Inter-Partition Communication"), and the
 * calls that use them: HvCallCreatePort, DeletePort, ConnectPort,
 * DisconnectPort (the parent's), HvCallPostMessage and HvCallSignalEvent
 * (every partition's).  docs/hypercalls.md documents them as Keel answers.
 *
 * A port is a row of its (receiving) partition's port table: type, target
 * VP and SINT, event flags, the one partition allowed to connect, and for
 * a message port HV_PORT_MESSAGE_BUFFER_COUNT message buffers (struct
 * synic_msg) that posts fill and SynIC delivery hands back.  A connection
 * is a row of the sender's connection table naming a port by partition id,
 * the partition's serial (so a connection to a deleted partition never
 * reaches one that reuses its id) and port id.  A post to a connection the
 * sender does not have fails with HV_STATUS_INVALID_CONNECTION_ID; nothing
 * of it reaches the parent.
 *
 * Locking: one lock, ipc_lock, protects every port and connection table
 * and the partition table against deletion while a post or signal looks a
 * port up, and keeps a port's target VP from being deleted while a message
 * is queued for it.  The SynIC locks are taken inside it.  Every hold is a
 * table lookup and one queue operation; partition deletion (hv/child.c)
 * takes it to unpublish a partition.
 */
#ifndef KEEL_HV_PORT_H
#define KEEL_HV_PORT_H

#include <stdint.h>

#include "hv/spinlock.h"

struct partition;
struct hypercall;

extern struct spinlock ipc_lock;

/* The parent's tables, at boot (a child's come with its first port or
 * connection): 0 or -1. */
int ipc_parent_init(void);
/* The partition is being finalized: its ports (queued messages dropped,
 * buffers freed) and connections go, and its tables are freed. */
void ipc_partition_teardown(struct partition *p);

uint16_t hc_create_port(struct hypercall *hc);
uint16_t hc_delete_port(struct hypercall *hc);
uint16_t hc_connect_port(struct hypercall *hc);
uint16_t hc_disconnect_port(struct hypercall *hc);
uint16_t hc_post_message(struct hypercall *hc);
uint16_t hc_signal_event(struct hypercall *hc);

#endif
