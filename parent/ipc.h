/*
 * The parent's side of inter-partition communication: the ports and
 * connections it makes for each child (VMBus: vsp/vmbus/server.h; the echo
 * channel of parent/echo_abi.h), its SynIC's SINT KEEL_PARENT_IPC_SINT where
 * messages and events from children arrive, and the echo service.
 *
 * Ids (ports in the receiver, connections in the sender): the parent's
 * ports and connections for a child are (child partition id << 8) | n;
 * the child's are the fixed ids of echo_abi.h and vsp/vmbus/server.h.
 * Event flags of the parent's SINT: IPC_FLAGS_PER_CHILD for each child,
 * from child partition id * IPC_FLAGS_PER_CHILD: the first for the echo
 * channel, then one for each VMBus channel (relid).
 */
#ifndef KEEL_PARENT_IPC_H
#define KEEL_PARENT_IPC_H

#include <stdint.h>

#include "parent/echo_abi.h"

#define KEEL_PARENT_IPC_SINT 2
#define IPC_FLAGS_PER_CHILD  16

struct vm;

/* Make the child's echo channel (after its partition is initialized): a
 * TLFS status. */
uint16_t ipc_vm_create(struct vm *vm);
/* A new boot of the VM: its VMBus server starts disconnected with the
 * integration services (vsp/ic/ic.h) offered, the echo counts at 0. */
void ipc_vm_start(struct vm *vm);
/* The VM stops: every VMBus channel closed and every GPADL unmapped from
 * the parent's window, before its pages are taken back. */
void ipc_vm_stop(struct vm *vm);
/* Ask the guest to shut down through its shutdown service: 0 asked, -1
 * when the service is not up. */
int ipc_vm_shutdown(struct vm *vm);
/* Its heartbeat: "ok", "lost" or "none". */
const char *ipc_vm_health(const struct vm *vm);
/* Remove the parent's ports and connections for the VM (its own go with
 * its partition). */
void ipc_vm_delete(struct vm *vm);
/* Serve what arrived on KEEL_PARENT_IPC_SINT (sim: the parent's SIM page,
 * sief: its SIEF page); returns how much was served. */
int ipc_poll(void *sim, void *sief);

#endif
