/* Ports, connections, HvPostMessage and HvSignalEvent; contract in port.h. */
#include "hv/port.h"

#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/abi/tlfs_partition.h"
#include "hv/abi/tlfs_port.h"
#include "hv/frame.h"
#include "hv/hv.h"
#include "hv/hypercall_table.h"
#include "hv/partition.h"
#include "hv/synic.h"

struct port {
	uint32_t id;
	uint8_t type;                /* HV_PORT_TYPE_* */
	uint8_t sint;
	uint16_t base_flag, flag_count; /* event ports */
	uint32_t target_vp;          /* VP index or HV_ANY_VP (then VP 0) */
	uint64_t connection_partition;
	struct synic_msg *buffers;   /* message ports: HV_PORT_MESSAGE_BUFFER_COUNT */
};

struct connection {
	uint32_t id;
	uint8_t type;
	uint32_t port_partition;
	uint32_t port_id;
	uint64_t port_serial;
};

#define BUFFER_FRAMES ((HV_PORT_MESSAGE_BUFFER_COUNT * sizeof(struct synic_msg) + FRAME_SIZE - 1) / FRAME_SIZE)
/* Table sizes: the parent serves every child, so it gets more rows. */
#define TABLE_FRAMES(p) ((p)->is_parent ? 8u : 1u)
#define PORT_CAP(p) (TABLE_FRAMES(p) * FRAME_SIZE / sizeof(struct port))
#define CONNECTION_CAP(p) (TABLE_FRAMES(p) * FRAME_SIZE / sizeof(struct connection))

struct spinlock ipc_lock;

/* ---- tables (ipc_lock held) ---- */

static void *table_alloc(struct partition *p)
{
	uint64_t frames = frame_alloc_contig(&hv_frames, TABLE_FRAMES(p), 1);

	if (!frames)
		return NULL;
	memset(phys_to_virt(frames), 0, TABLE_FRAMES(p) * FRAME_SIZE);
	return phys_to_virt(frames);
}

static struct port *port_find(struct partition *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->port_count; i++)
		if (p->ports[i].id == id)
			return &p->ports[i];
	return NULL;
}

static struct connection *connection_find(struct partition *p, uint32_t id)
{
	for (uint32_t i = 0; i < p->connection_count; i++)
		if (p->connections[i].id == id)
			return &p->connections[i];
	return NULL;
}

/* The VP a port's messages and events go to, or NULL. */
static struct vp *port_target(struct partition *p, const struct port *port)
{
	return p->vps[port->target_vp == HV_ANY_VP ? 0 : port->target_vp];
}

/* Drop a port: its queued messages leave their queue, its buffers are freed. */
static void port_drop(struct partition *p, struct port *port)
{
	if (port->buffers) {
		for (unsigned i = 0; i < HV_PORT_MESSAGE_BUFFER_COUNT; i++) {
			struct synic_msg *m = &port->buffers[i];

			if (__atomic_load_n(&m->busy, __ATOMIC_ACQUIRE) && m->to)
				synic_unqueue(m->to, m);
		}
		frame_free(&hv_frames, (uint64_t)port->buffers, BUFFER_FRAMES);
	}
	*port = p->ports[--p->port_count]; /* keep the table packed */
}

int ipc_parent_init(void)
{
	struct partition *p = &parent_partition;

	p->ports = table_alloc(p);
	p->connections = table_alloc(p);
	return p->ports && p->connections ? 0 : -1;
}

void ipc_partition_teardown(struct partition *p)
{
	spin_lock(&ipc_lock);
	while (p->port_count)
		port_drop(p, &p->ports[p->port_count - 1]);
	p->connection_count = 0;
	if (p->ports)
		frame_free(&hv_frames, (uint64_t)p->ports, TABLE_FRAMES(p));
	if (p->connections)
		frame_free(&hv_frames, (uint64_t)p->connections, TABLE_FRAMES(p));
	p->ports = NULL;
	p->connections = NULL;
	spin_unlock(&ipc_lock);
}

/* ---- the parent's calls ---- */

static struct partition *partition_of(struct hypercall *hc, uint64_t id)
{
	if (id == HV_PARTITION_ID_SELF)
		return hc->vp->partition;
	return partition_get(id);
}

static bool sane_port_info(const struct hv_port_info *info)
{
	if (info->reserved0)
		return false;
	switch (info->port_type) {
	case HV_PORT_TYPE_MESSAGE:
		return info->message.target_sint < HV_SYNIC_SINT_COUNT && !info->message.reserved &&
		       (info->message.target_vp < PARTITION_MAX_VPS || info->message.target_vp == HV_ANY_VP);
	case HV_PORT_TYPE_EVENT:
		return info->event.target_sint < HV_SYNIC_SINT_COUNT && !info->event.reserved &&
		       (info->event.target_vp < PARTITION_MAX_VPS || info->event.target_vp == HV_ANY_VP) &&
		       info->event.flag_count &&
		       (uint32_t)info->event.base_flag_number + info->event.flag_count <= HV_EVENT_FLAGS_COUNT;
	default:
		return false; /* monitor and doorbell ports are not provided */
	}
}

static uint16_t create_port(struct partition *p, const struct hv_input_create_port *in)
{
	struct port *port;

	if (p->state == PARTITION_FINALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (port_find(p, in->port_id))
		return HV_STATUS_INVALID_PORT_ID;
	if (!p->ports && !(p->ports = table_alloc(p)))
		return HV_STATUS_INSUFFICIENT_MEMORY;
	if (p->port_count == PORT_CAP(p))
		return HV_STATUS_INSUFFICIENT_MEMORY;
	port = &p->ports[p->port_count];
	memset(port, 0, sizeof(*port));
	port->id = in->port_id;
	port->type = (uint8_t)in->port_info.port_type;
	port->sint = (uint8_t)in->port_info.message.target_sint; /* same place in both */
	port->target_vp = in->port_info.message.target_vp;
	port->connection_partition = in->connection_partition;
	if (port->type == HV_PORT_TYPE_EVENT) {
		port->base_flag = in->port_info.event.base_flag_number;
		port->flag_count = in->port_info.event.flag_count;
	} else {
		uint64_t frames = frame_alloc_contig(&hv_frames, BUFFER_FRAMES, 1);

		if (!frames)
			return HV_STATUS_INSUFFICIENT_MEMORY;
		port->buffers = phys_to_virt(frames);
		memset(port->buffers, 0, BUFFER_FRAMES * FRAME_SIZE);
	}
	p->port_count++;
	return HV_STATUS_SUCCESS;
}

uint16_t hc_create_port(struct hypercall *hc)
{
	struct hv_input_create_port in;
	struct partition *p, *c;
	uint16_t st;

	memcpy(&in, hc->in, sizeof(in));
	if (in.port_vtl || in.min_connection_vtl || in.reserved || in.proximity_domain_info ||
	    !sane_port_info(&in.port_info))
		return HV_STATUS_INVALID_PARAMETER;
	if (in.port_id & ~HV_PORT_ID_MASK)
		return HV_STATUS_INVALID_PORT_ID;
	spin_lock(&ipc_lock);
	p = partition_of(hc, in.port_partition);
	c = partition_of(hc, in.connection_partition);
	if (!p || !c)
		st = HV_STATUS_INVALID_PARTITION_ID;
	else
		st = create_port(p, &in);
	spin_unlock(&ipc_lock);
	return st;
}

uint16_t hc_delete_port(struct hypercall *hc)
{
	struct hv_input_delete_port in;
	struct partition *p;
	struct port *port;
	uint16_t st = HV_STATUS_SUCCESS;

	memcpy(&in, hc->in, sizeof(in));
	if (in.reserved)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&ipc_lock);
	if (!(p = partition_of(hc, in.port_partition)))
		st = HV_STATUS_INVALID_PARTITION_ID;
	else if (!(port = port_find(p, in.port_id)))
		st = HV_STATUS_INVALID_PORT_ID;
	else
		port_drop(p, port);
	spin_unlock(&ipc_lock);
	return st;
}

static uint16_t connect(struct partition *c, struct partition *p, const struct hv_input_connect_port *in)
{
	struct port *port = port_find(p, in->port_id);
	struct connection *conn;

	if (c->state == PARTITION_FINALIZED)
		return HV_STATUS_INVALID_PARTITION_STATE;
	if (!port || port->type != in->connection_info.port_type)
		return HV_STATUS_INVALID_PORT_ID;
	if (port->connection_partition != c->id)
		return HV_STATUS_ACCESS_DENIED; /* the port names who may connect */
	if (connection_find(c, in->connection_id))
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (!c->connections && !(c->connections = table_alloc(c)))
		return HV_STATUS_INSUFFICIENT_MEMORY;
	if (c->connection_count == CONNECTION_CAP(c))
		return HV_STATUS_INSUFFICIENT_MEMORY;
	conn = &c->connections[c->connection_count++];
	*conn = (struct connection){ .id = in->connection_id, .type = port->type, .port_partition = p->id,
				     .port_id = port->id, .port_serial = p->serial };
	return HV_STATUS_SUCCESS;
}

uint16_t hc_connect_port(struct hypercall *hc)
{
	struct hv_input_connect_port in;
	struct partition *c, *p;
	uint16_t st;

	memcpy(&in, hc->in, sizeof(in));
	if (in.connection_vtl || in.reserved0 || in.reserved1 || in.reserved2 || in.proximity_domain_info ||
	    in.connection_info.reserved0 || in.connection_info.reserved[0] || in.connection_info.reserved[1] ||
	    in.connection_info.reserved[2])
		return HV_STATUS_INVALID_PARAMETER;
	if (in.connection_id & ~HV_CONNECTION_ID_MASK)
		return HV_STATUS_INVALID_CONNECTION_ID;
	spin_lock(&ipc_lock);
	c = partition_of(hc, in.connection_partition);
	p = partition_of(hc, in.port_partition);
	st = c && p ? connect(c, p, &in) : HV_STATUS_INVALID_PARTITION_ID;
	spin_unlock(&ipc_lock);
	return st;
}

uint16_t hc_disconnect_port(struct hypercall *hc)
{
	struct hv_input_disconnect_port in;
	struct connection *conn;
	struct partition *c;
	uint16_t st = HV_STATUS_SUCCESS;

	memcpy(&in, hc->in, sizeof(in));
	spin_lock(&ipc_lock);
	if (!(c = partition_of(hc, in.connection_partition)))
		st = HV_STATUS_INVALID_PARTITION_ID;
	else if (!(conn = connection_find(c, in.connection_id)))
		st = HV_STATUS_INVALID_CONNECTION_ID;
	else
		*conn = c->connections[--c->connection_count];
	spin_unlock(&ipc_lock);
	return st;
}

/* ---- sending (any partition; ipc_lock held) ---- */

/* The port at the other end of the caller's connection `id` of `type`:
 * its partition and row, or a TLFS status. */
static uint16_t route(struct partition *sender, uint32_t id, uint8_t type, struct partition **p, struct port **port)
{
	struct connection *conn = connection_find(sender, id);

	if (!conn)
		return HV_STATUS_INVALID_CONNECTION_ID;
	*p = partition_get(conn->port_partition);
	if (!*p || (*p)->serial != conn->port_serial || !(*port = port_find(*p, conn->port_id)) ||
	    (*port)->type != type)
		return HV_STATUS_INVALID_PORT_ID;
	return HV_STATUS_SUCCESS;
}

static uint16_t post(struct partition *sender, const struct hv_input_post_message *in)
{
	struct partition *p;
	struct port *port;
	struct synic_msg *m = NULL;
	struct vp *t;
	uint16_t st;

	if ((st = route(sender, in->connection_id, HV_PORT_TYPE_MESSAGE, &p, &port)))
		return st;
	if (!(t = port_target(p, port)))
		return HV_STATUS_INVALID_VP_INDEX;
	if ((st = synic_ready(t, false)))
		return st;
	for (unsigned i = 0; i < HV_PORT_MESSAGE_BUFFER_COUNT && !m; i++)
		if (!__atomic_load_n(&port->buffers[i].busy, __ATOMIC_ACQUIRE))
			m = &port->buffers[i];
	if (!m)
		return HV_STATUS_INSUFFICIENT_BUFFERS;
	m->busy = true;
	memset(&m->msg, 0, sizeof(m->msg));
	m->msg.header.message_type = in->message_type;
	m->msg.header.payload_size = (uint8_t)in->payload_size;
	m->msg.header.port = port->id;
	memcpy(m->msg.payload, in->payload, in->payload_size);
	synic_queue(t, port->sint, m);
	return HV_STATUS_SUCCESS;
}

uint16_t hc_post_message(struct hypercall *hc)
{
	const struct hv_input_post_message *in = (const struct hv_input_post_message *)hc->in;
	uint16_t st;

	if (in->reserved || !in->message_type || (in->message_type & HV_MESSAGE_TYPE_HYPERVISOR_MASK) ||
	    in->payload_size > HV_MESSAGE_PAYLOAD_BYTES)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&ipc_lock);
	st = post(hc->vp->partition, in);
	spin_unlock(&ipc_lock);
	return st;
}

uint16_t hc_signal_event(struct hypercall *hc)
{
	struct hv_input_signal_event in;
	struct partition *p;
	struct port *port;
	struct vp *t;
	uint16_t st;

	memcpy(&in, hc->in, sizeof(in));
	if (in.reserved)
		return HV_STATUS_INVALID_PARAMETER;
	spin_lock(&ipc_lock);
	if (!(st = route(hc->vp->partition, in.connection_id, HV_PORT_TYPE_EVENT, &p, &port))) {
		if (in.flag_number >= port->flag_count)
			st = HV_STATUS_INVALID_PARAMETER;
		else if (!(t = port_target(p, port)))
			st = HV_STATUS_INVALID_VP_INDEX;
		else
			st = synic_signal(t, port->sint, (unsigned)port->base_flag + in.flag_number);
	}
	spin_unlock(&ipc_lock);
	return st;
}
