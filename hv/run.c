/* Child VP execution on the application processors; contract in run.h. */
#include "hv/run.h"

#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "hv/abi/tlfs.h"
#include "hv/hv.h"
#include "hv/intercept.h"
#include "hv/interrupt.h"
#include "hv/log.h"
#include "hv/partition.h"
#include "hv/pcpu.h"
#include "hv/stimer.h"
#include "hv/synic.h"
#include "hv/vcpu_ops.h"

static struct vp *entity_vp(struct sched_entity *e)
{
	return container_of(e, struct vp, sched);
}

void interrupt_handle(uint64_t vector);

uint64_t run_slice_tsc(void)
{
	return (uint64_t)hv_boot.time_slice_us * tsc_hz() / 1000000;
}

/* Set once by run_stop_machine; every pCPU halts at its next interrupt. */
static volatile bool machine_stopped;

void run_stop_machine(void)
{
	struct pcpu *self = this_pcpu();

	machine_stopped = true;
	for (unsigned i = 0; i < pcpu_count; i++)
		if (pcpus[i] && pcpus[i] != self)
			apic_send_fixed(pcpus[i]->apic_id, APIC_VECTOR_WAKE);
	log_err("machine stopped: every processor halted");
	cpu_halt_forever();
}

void interrupt_handle(uint64_t vector)
{
	if (machine_stopped)
		cpu_halt_forever();
	if (vector == APIC_VECTOR_TIMER)
		this_pcpu()->preempt = 1;
	if (vector != APIC_VECTOR_SPURIOUS)
		apic_eoi();
}

/* Let pending host interrupts in (they are taken by interrupt_handle). */
static void take_interrupts(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

bool run_after_interrupt(struct vp *vp)
{
	struct pcpu *p = this_pcpu();

	take_interrupts();
	if (vp->partition->is_parent)
		return true;
	return !(p->preempt || vp->stop_request);
}

bool run_halt(struct vp *vp)
{
	struct pcpu *p = this_pcpu();

	vp->rip = vp->exit.next_rip ? vp->exit.next_rip : vp->rip + 1;
	for (;;) {
		vp_irq_update(vp);
		if (vp->pending_vector && (vcpu_get_reg(vp, VP_REG_RFLAGS) & RFLAGS_IF) &&
		    (vp->pending_vector >> 4) > vcpu_get_reg(vp, VP_REG_TPR))
			return true; /* an interrupt ends the HLT at once */
		if (vp->lapic.nmi_pending && !vp->nmi_blocked)
			return true; /* so does an NMI, whatever IF says */
		spin_lock(&p->lock);
		/* A post before this lock is seen here; one after it sees
		 * HALTED and wakes the VP (run_kick). */
		if (!__atomic_load_n(&vp->posted_any, __ATOMIC_SEQ_CST))
			break;
		spin_unlock(&p->lock);
	}
	vp->run_state = VP_HALTED;
	sched_halt(&p->queue, &vp->sched, vp_irq_deadline(vp));
	spin_unlock(&p->lock);
	return false;
}

/* Another VP of vp's partition is queued on p (lock held). */
static bool sibling_queued(const struct vp *vp, const struct pcpu *p)
{
	for (unsigned i = 0; i < PARTITION_MAX_VPS; i++) {
		const struct vp *o = vp->partition->vps[i];

		if (o && o != vp && o->host == p && o->run_state == VP_QUEUED)
			return true;
	}
	return false;
}

bool run_pause(struct vp *vp)
{
	struct pcpu *p = this_pcpu();
	uint64_t now = rdtsc();
	bool sibling, yielded = false;

	if (vp_skip_instruction(vp)) { /* PAUSE does nothing else */
		partition_crash(vp->partition, "cannot decode a PAUSE instruction");
		return false;
	}
	if (!vp->spin_since)
		vp->spin_since = now;
	spin_lock(&p->lock);
	sibling = sibling_queued(vp, p);
	if (sibling && now - vp->spin_since >= tsc_hz() / 1000000 * RUN_SPIN_WINDOW_US)
		yielded = sched_yield(&p->queue, &vp->sched);
	spin_unlock(&p->lock);
	if (!sibling)
		vp->pause_exits = false; /* nobody to give way to in this turn */
	if (yielded)
		p->preempt = 1;
	return run_after_interrupt(vp); /* the backend checks the clock after every exit */
}

/* The shortest timer period (apic_timer_arm repeats it): a deadline closer
 * than this waits this long. */
#define TIMER_MIN_US 10

/* TSC ticks from now to `deadline`, at least TIMER_MIN_US (a deadline that
 * passed since it was chosen fires then rather than after a wrap-around). */
static uint64_t ticks_until(uint64_t deadline)
{
	uint64_t now = rdtsc(), least = tsc_hz() / 1000000 * TIMER_MIN_US;

	return deadline > now + least ? deadline - now : least;
}

void run_timer_changed(struct vp *vp)
{
	struct pcpu *p = this_pcpu();
	uint64_t deadline = vp_irq_deadline(vp);
	uint64_t until = p->sched_until < deadline ? p->sched_until : deadline;

	p->slice_end = until;
	apic_timer_arm(ticks_until(until));
}

bool run_slice_over(struct vp *vp)
{
	struct pcpu *p = this_pcpu();

	if (rdtsc() < p->slice_end)
		return p->preempt;
	p->preempt = 1;
	return true;
}

void run_wait_intercept(struct vp *vp)
{
	struct pcpu *p = this_pcpu();

	spin_lock(&p->lock);
	vp->run_state = VP_INTERCEPT;
	sched_block(&p->queue, &vp->sched);
	spin_unlock(&p->lock);
}

void run_resume_intercept(struct vp *vp)
{
	struct pcpu *p = vp->host;

	if (!p) { /* stopped meanwhile: it runs when it is started */
		if (!vp->suspended && vp->run_state == VP_STOPPED)
			run_start(vp);
		return;
	}
	spin_lock(&p->lock);
	if (vp->run_state != VP_INTERCEPT) {
		spin_unlock(&p->lock);
		return;
	}
	vp->run_state = VP_QUEUED;
	sched_wake(&p->queue, &vp->sched);
	spin_unlock(&p->lock);
	apic_send_fixed(p->apic_id, APIC_VECTOR_WAKE);
}

void run_kick(struct vp *vp)
{
	struct pcpu *p = __atomic_load_n(&vp->host, __ATOMIC_ACQUIRE);

	if (!p)
		return; /* not started: it looks when it runs */
	spin_lock(&p->lock);
	if (vp->host == p && vp->run_state == VP_HALTED) {
		vp->run_state = VP_QUEUED;
		sched_wake(&p->queue, &vp->sched);
	}
	spin_unlock(&p->lock);
	if (p != this_pcpu())
		apic_send_fixed(p->apic_id, APIC_VECTOR_WAKE); /* out of guest mode, or out of idle */
}

void run_set_weight(struct vp *vp, uint32_t weight)
{
	struct pcpu *p = vp->host;

	if (!p)
		return; /* applies when it is started */
	spin_lock(&p->lock);
	if (vp->host == p)
		sched_set_weight(&p->queue, &vp->sched, weight);
	spin_unlock(&p->lock);
}

void run_crash(struct vp *vp, const char *why)
{
	struct pcpu *p = vp->host;

	/* The parent reports it (KEEL_HVCALL_GET_VP_STATE); at the default log
	 * level this line would interleave with the parent's on the shared
	 * serial port, and a guest decides when it comes. */
	log_debug("partition %u VP %u crashed at rip %#lx: %s", vp->partition->id, vp->index, vp->rip, why);
	vp->partition->crash_reason = why;
	if (!p)
		return;
	spin_lock(&p->lock);
	vp->run_state = VP_CRASHED;
	sched_block(&p->queue, &vp->sched);
	spin_unlock(&p->lock);
}

/* A pCPU for a new child VP: the application processors in turn. */
static struct pcpu *pick_pcpu(void)
{
	static unsigned next;

	if (pcpu_count < 2)
		return NULL;
	next = next % (pcpu_count - 1) + 1;
	return pcpus[next];
}

uint16_t run_start(struct vp *vp)
{
	struct pcpu *p = pick_pcpu();

	if (vp->run_state != VP_STOPPED)
		return vp->run_state == VP_CRASHED ? HV_STATUS_INVALID_VP_STATE : HV_STATUS_SUCCESS;
	if (vp->intercept_suspended)
		return HV_STATUS_SUCCESS; /* runs once the parent completes the intercept */
	if (!p) {
		log_warn("partition %u: child VPs need a second pCPU; this machine has one", vp->partition->id);
		return HV_STATUS_INVALID_VP_STATE;
	}
	spin_lock(&p->lock);
	vp->host = p;
	vp->stop_request = false;
	vp->run_state = VP_QUEUED;
	sched_add(&p->queue, &vp->sched, vp->partition->cpu_weight);
	spin_unlock(&p->lock);
	apic_send_fixed(p->apic_id, APIC_VECTOR_WAKE);
	return HV_STATUS_SUCCESS;
}

int run_stop(struct vp *vp)
{
	struct pcpu *p = vp->host;
	uint64_t t0 = rdtsc();

	synic_cancel(vp);
	if (!p)
		return 0;
	vp->stop_request = true;
	apic_send_fixed(p->apic_id, APIC_VECTOR_WAKE);
	for (;;) {
		spin_lock(&p->lock);
		if (vp->run_state != VP_RUNNING) {
			sched_remove(&p->queue, &vp->sched);
			if (vp->run_state != VP_CRASHED)
				vp->run_state = VP_STOPPED;
			vp->host = NULL;
			spin_unlock(&p->lock);
			/* HALTED, INTERCEPT and CRASHED are set inside its exit:
			 * the pCPU may still save its state, unload it and post
			 * its message.  Wait until it let go completely (a few
			 * steps that take no lock this caller holds). */
			while (__atomic_load_n(&p->owner, __ATOMIC_ACQUIRE) == vp) {
				if (t0 && rdtsc() - t0 > 2 * tsc_hz()) {
					log_err("partition %u VP %u: pCPU %u has not let go of it for 2 s",
						vp->partition->id, vp->index, p->index);
					t0 = 0;
				}
				cpu_relax();
			}
			synic_cancel(vp); /* posted while it was leaving */
			return 0;
		}
		spin_unlock(&p->lock);
		if (rdtsc() - t0 > 2 * tsc_hz()) { /* 2 s: it takes no exit at all */
			log_warn("partition %u VP %u does not leave pCPU %u", vp->partition->id, vp->index, p->index);
			return -1;
		}
		cpu_relax();
	}
}

/*
 * QEMU TCG (7.2) has been seen to leave the parent running in guest mode
 * with its global interrupt flag clear: its HLT then waits for good, every
 * interrupt and NMI held back (docs/architecture.md, "Stalls under QEMU TCG").
 * A startup IPI still wakes it there, and processors ignore one outside
 * wait-for-SIPI (so do Bochs and QEMU otherwise); the VMRUN after the
 * parent's next exit sets the flag again.  So the first application
 * processor sends the BSP one whenever the parent has taken no exit for
 * PARENT_QUIET_MS (an idle parent may go that long: it wakes, looks and
 * halts again).
 */
#define PARENT_QUIET_MS 100

static void parent_watchdog(struct pcpu *p)
{
	const struct vp *parent = parent_partition.vps[0];
	uint64_t exits, now;

	if (p->index != 1 || !parent)
		return;
	exits = __atomic_load_n(&parent->stats.exits, __ATOMIC_RELAXED);
	now = rdtsc();
	if (exits != p->parent_exits_seen) {
		p->parent_exits_seen = exits;
		p->parent_quiet_since = now;
	} else if (now - p->parent_quiet_since > tsc_hz() / 1000 * PARENT_QUIET_MS) {
		apic_send_startup(pcpus[0]->apic_id, 0);
		p->parent_quiet_since = now;
	}
}

/* The longest an idle application processor sleeps without looking. */
#define IDLE_BACKSTOP_MS 10

void run_loop(void)
{
	struct pcpu *p = this_pcpu();

	sched_queue_init(&p->queue, run_slice_tsc());
	apic_local_init();
	for (;;) {
		struct sched_decision d;
		struct vp *vp;
		uint64_t start;

		parent_watchdog(p);
		spin_lock(&p->lock);
		d = sched_pick(&p->queue, rdtsc());
		vp = d.next ? entity_vp(d.next) : NULL;
		if (vp)
			vp->run_state = VP_RUNNING;
		spin_unlock(&p->lock);
		if (!vp) {
			/* Idle until a wake-up IPI or the next deadline, and never
			 * longer than IDLE_BACKSTOP_MS: a VP made runnable by
			 * another pCPU is queued before the IPI is sent, so an
			 * IPI lost on the way (a missed wake-up of the emulator
			 * or the hardware) costs this much latency, not the VP. */
			uint64_t backstop = rdtsc() + tsc_hz() / 1000 * IDLE_BACKSTOP_MS;

			apic_timer_arm(ticks_until(d.run_until < backstop ? d.run_until : backstop));
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			continue;
		}
		p->preempt = 0;
		vp_irq_update(vp);
		if (vp->wait_sipi) {
			/* An AP before its SIPI runs nothing; run_kick wakes it
			 * when one (or an INIT) is posted. */
			spin_lock(&p->lock);
			if (vp->run_state == VP_RUNNING) {
				if (__atomic_load_n(&vp->posted_any, __ATOMIC_SEQ_CST)) {
					vp->run_state = VP_QUEUED;
				} else {
					vp->run_state = VP_HALTED;
					sched_halt(&p->queue, &vp->sched, SCHED_NO_DEADLINE);
				}
			}
			spin_unlock(&p->lock);
			continue;
		}
		p->sched_until = d.run_until;
		vp->pause_exits = true; /* spin loops: run_pause */
		vp->spin_since = 0;
		run_timer_changed(vp);
		start = rdtsc();
		__atomic_store_n(&p->owner, vp, __ATOMIC_RELEASE);
		/* Seen before the backend reads the partition's TLB generation
		 * (a full barrier: tlb_shootdown bumps it, then reads current). */
		__atomic_store_n(&p->current, vp, __ATOMIC_SEQ_CST);
		xstate_load(&vp->xstate);
		vcpu_run(vp);
		xstate_save(&vp->xstate);
		apic_timer_stop();
		vcpu_vp_unload(vp); /* other pCPUs may read its state now */
		if (vp->intercept_built)
			intercept_post(vp);
		spin_lock(&p->lock);
		sched_account(&p->queue, &vp->sched, rdtsc() - start);
		if (vp->run_state == VP_RUNNING)
			vp->run_state = VP_QUEUED;
		if (vp->stop_request)
			sched_block(&p->queue, &vp->sched);
		spin_unlock(&p->lock);
		p->current = NULL;
		__atomic_store_n(&p->owner, NULL, __ATOMIC_RELEASE); /* nothing of vp is touched after this */
	}
}
