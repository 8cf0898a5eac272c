// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan reclamation: per-CPU reader slots counted in two phases, and
 * batches of retired objects that every busy slot releases in turn.
 *
 * Slots. Every CPU owns KOVAN_SLOTS_PER_CPU reader slots: a home slot and
 * a spare. There are K = kovan_nr_slots slots in all, a power of two;
 * slot numbers whose CPU is not possible are never used. A slot counts
 * pins and unpins per phase (0 or 1): a pin reads the slot's phase and
 * adds one to that phase's pins, an unpin adds one to the same phase's
 * unpins. The slot's own CPU counts with this_cpu ops, one unlocked
 * instruction on most architectures; any other CPU (a guard that migrated,
 * a pin into another CPU's slot, an NMI where this_cpu ops are not
 * NMI-safe) with atomics on the slot's second cache line. A phase holds no
 * reader when its pins equal its unpins, read unpins first (K below); a
 * slot is idle when both phases hold none. No reader is ever listed or
 * walked.
 *
 * Batches. kovan_retire() chains objects on its CPU; every kovan_batch_size
 * objects (or when the flush worker or kovan_barrier() asks) the chain is
 * handed to a batch header from the pool (batch.c) and the batch is closed:
 * the closer looks at every slot once, skips the idle ones and adds the
 * batch to the waiting list of every busy one. A batch's refs counter
 * receives exactly one "share" per slot: the closer pays it for every
 * slot it skipped, and a busy slot's engine pays it once the readers the
 * slot had at the close are gone. SHARE is 2^BITS_PER_LONG / K, so K
 * shares sum to 0 modulo 2^BITS_PER_LONG and refs reaches zero with the
 * last share, in whatever order they arrive. Whoever pays it queues the
 * batch for the reclaim worker of the CPU the batch was closed for; frees
 * never run in a reader's or a retirer's context.
 *
 * Reclaim. Every CPU has a reclaim worker (a work item of its own on an
 * unbound workqueue, queued for that CPU) and a list of the batches closed
 * for it that no reader holds any more: frees run near the CPU that
 * retired the objects (in its cache or NUMA pod; never on an isolated CPU,
 * and elsewhere when that CPU is busy with a real-time task or offline),
 * and the workers of different CPUs run side by side, so that reclaim
 * throughput grows with the CPUs that retire. The objects on a CPU's list
 * are its backlog. A retire in a context that may sleep waits for its
 * CPU's worker when the backlog is above kovan.backlog (Documentation/contexts.rst); the
 * backlog passes the limit only by what is paid between two retires, or
 * by retires that cannot wait.
 *
 * Engines. A slot's engine is a state machine run by one caller at a time
 * (KOVAN_SLOT_RUNNING): the closer that just put a batch on the slot's
 * list, and kovan's engine work item for slots that parked. A cycle takes
 * the batches waiting on the slot, waits until the phase pins do not use
 * holds no reader, flips the phase, waits until the old phase holds no
 * reader, and pays the slot's share of each batch it took. A batch thus
 * waits for a whole cycle that begins after it was closed (the cycle
 * under way when it arrives does not take it). Readers that pin after the
 * flip count in the new phase and do not hold the cycle up, so a slot
 * whose readers keep overlapping still completes cycles. The first wait
 * is for readers that read the phase before an earlier flip and counted
 * themselves only after that cycle looked at it: they count in the phase
 * this cycle is about to make current, where its second wait would not
 * see them, yet they may hold objects of the batches it serves (the model,
 * kovan/reclaim.pml, finds such a reader when the wait is left out).
 * When a wait finds readers, the engine lists the slot, records the phase
 * in the slot's wait hint and parks; an unpin of that phase that reads
 * the hint kicks the engine work (which, finding the slot still run,
 * makes its runner run it again), and a timer retries parked slots
 * every KOVAN_BACKSTOP_US, for the kicks lost when an unpin's count and
 * the hint pass each other (M).
 *
 * Why the safety holds. An object is freed only when refs hits zero, which
 * needs a share from every slot. A reader pinned before the retire of an
 * object O, or whose pin the close of O's batch could not see, either is
 * seen by that close in its slot (A against C), which then waits for the
 * slot's engine, or loads after the unpublishing of O and cannot hold it.
 * The engine pays only after a cycle that began after the close found the
 * phase the reader counts in without readers; the reader counted there
 * before that cycle's look (it was seen by the close), and its unpin (B)
 * is what the look saw.
 *
 * Robust mode (KOVAN_ROBUST, after Hyaline-S). kovan_node_init() stamps a
 * birth era; a guard makes its slot's access era cover every object it
 * loads (kovan_load() raises the slot's access era to the domain's era
 * when the era moved, then loads again). A close skips a slot whose access
 * era is older than the oldest birth in the batch: its readers hold
 * nothing born that late, unless they follow a link stored in an object
 * after they loaded it, which is why Documentation/robust.rst restricts links read out of
 * unpublished objects to older objects. When more than kovan_stall_batches
 * batches were closed onto a slot since its engine began a cycle it has
 * not finished, a reader has stayed that long: the slot is marked stalled
 * until the cycle ends. Pins avoid a stalled slot, and a guard of a
 * stalled slot whose era moves counts itself in an idle slot too and
 * raises that one's era from then on (a move, once per guard). So a
 * stalled reader's slot is marked within kovan_stall_batches + 2 closes,
 * its era stops rising once the pins and loads that started before the
 * mark are done, and later batches skip it unless they hold an object
 * born before that: the bound in Documentation/robust.rst.
 *
 * Fenceless domains (KOVAN_FENCELESS) move barrier A to the closers, as
 * membarrier() does for urcu-memb: a pin skips the fence unless it is its
 * CPU's first since that CPU last took a close's IPI; that one sets the
 * CPU's unfenced flag and fences (N). A close, after C, sends an IPI to
 * every CPU whose flag is set and waits; the handler clears the flag and
 * fences (O). A pin the close cannot see then either counted before the
 * IPI, which made the count visible, or came after it and loads after the
 * unpublishing; a CPU whose flag is clear fenced its pins itself. CPUs
 * that did not pin since their last IPI get none. Waiting for IPIs needs
 * a caller that may be preempted (a spinning peer may hold off the IPI),
 * in task context, so batches that fill anywhere else are closed by the
 * flush worker. Only online CPUs are IPI'd: a CPU leaves the online mask
 * under stop_machine(), a full barrier on every CPU, and a pin on a CPU
 * outside it (hotplug callbacks) is not covered (Documentation/overview.rst says so).
 *
 * Barriers (letters are cross-referenced at each site):
 *  A kovan_pin() and a move run smp_mb() after their increment: the
 *    reader counts in the slot before it loads any pointer. Pairs with C
 *    and K.
 *  B kovan_unpin()'s increment is a release (the contract's ordering): the reader's
 *    accesses to objects happen before it. Pairs with J.
 *  C kovan_close_batch() runs smp_mb() after the objects were unpublished
 *    and before it reads any slot: a reader that could still load an object
 *    is seen in its slot (against A) and with its access era (against E).
 *  D The RMW that brings refs to zero is fully ordered: the reclaim worker
 *    runs after every read J ordered.
 *  E kovan_load_slow() raises the access era, then smp_mb(), then reloads
 *    the pointer. Pairs with C.
 *  F A batch's fields are written before llist_add() puts it on a slot's
 *    waiting list (fully ordered); the engine takes it with llist_del_all().
 *  G The parity switch in kovan_barrier() is ordered against retires by
 *    the per-CPU batch locks that kovan_flush() takes after it.
 *  H kovan_flush_fn() and kovan_engine_fn() read a list link before they
 *    clear the bit that says the domain or slot is listed (a release):
 *    once it is clear, it may be listed again and the link rewritten.
 *    Pairs with the fully ordered test_and_set_bit() of the listing side.
 *  I The reclaim worker's decrement of a domain's in_flight is a release,
 *    its last access to the domain: its frees' counts are written before
 *    (kovan_reclaim()'s, for a grace period's empty batch, likewise).
 *    Pairs with the acquire in kovan_domain_quiesce(), after which the
 *    owner may free the domain.
 *  J Reads of unpins are acquires: what the readers did before B happens
 *    before what the reader of the count does next (a free, via D).
 *  K kovan_drained() runs smp_mb() between its reads of unpins and pins:
 *    a reader whose pin it misses counted after the look and, with the
 *    look's earlier writes (a flip, the close of the batches it serves)
 *    ordered before, loads after the unpublishing (against A; a fenceless
 *    pin counted before the batch's close is visible after its IPI, P).
 *  M The engine stores its wait hint, runs smp_mb(), and looks again
 *    (the engine work a few times) before it parks. An unpin reads the
 *    hint just before its increment, so that it touches nothing of the
 *    slot after it (a destroy may free the slot once the count is in),
 *    and without a fence: both may miss the other, and the backstop
 *    timer retries parked slots.
 *  N A fenceless pin reads its CPU's unfenced flag after its increment;
 *    the first since the flag was cleared sets it and runs smp_mb(), so a
 *    close that reads the flag clear sees the count or is seen by the
 *    reader's loads. Pairs with P.
 *  O The IPI handler clears the flag with a release (the CPU's counts
 *    before it, also an NMI's, are seen with the clear), then smp_mb():
 *    the closer reads slots after the handler returned. Pairs with P.
 *  P A fenceless close reads every CPU's flag with an acquire after C and
 *    IPIs those set: it reads the slots after each handler ran or after
 *    the clear it saw, with the counts before it. Pairs with N and O.
 *  Q Grace periods (kovan_synchronize(), kovan_start_poll()) are empty
 *    batches numbered by a fully ordered increment of gp_started before
 *    their close's C. kovan_get_state() runs smp_mb() before it reads the
 *    count: a period whose increment the read missed closes after it and
 *    sees every pin that happened before the call (against A, or P).
 *  R A period ends with a fully ordered cmpxchg of gp_done after D;
 *    kovan_poll_state() reads gp_done and, when the cookie has passed,
 *    runs smp_mb(): the readers' accesses happen before the caller's next.
 *  S A period is requested by setting a bit of d->state after the need
 *    was read or written (smp_mb__before_atomic()); the flush worker
 *    clears it with a fully ordered test_and_clear_bit() before it reads
 *    the need and increments gp_started: the number is above the cookie.
 *    The bit shares its word with KOVAN_FLUSH_QUEUED, whose clear by the
 *    worker (H) therefore comes after the set in coherence order.
 *  T kovan_start_poll() raises gp_needed, runs smp_mb() and reads
 *    gp_started and gp_done; a period's end raises gp_done, runs smp_mb()
 *    and reads gp_needed. A start that sees a period in flight leaves the
 *    next one to its end, which then sees the need: one period in flight
 *    serves any number of polls, also under a stalled reader.
 */

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/kcsan-checks.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/rt.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/wait_bit.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/kovan.h>

EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_batch_close);
EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_batch_free);
EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_stall_avoid);
EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_era_skip);
static_assert(sizeof(((struct kovan_domain *)NULL)->name) == KOVAN_TRACE_NAME,
	      "trace events copy the whole domain name");

/* How often parked engines look again, for kicks lost to M. */
#define KOVAN_BACKSTOP_US	1000

/* kovan_slot.engine_state bits */
#define KOVAN_SLOT_QUEUED	0	/* on kovan_engine_list */
#define KOVAN_SLOT_RUNNING	1	/* someone runs the engine: one at a time */
#define KOVAN_SLOT_PENDING	2	/* a run was asked for; the runner runs again */

/* Looks a parked engine takes before it waits for a kick (M). */
#define KOVAN_ENGINE_LOOKS	8

/* kovan_slot.step: where the engine's cycle is. */
enum {
	KOVAN_STEP_IDLE,	/* no cycle: take the waiting batches */
	KOVAN_STEP_UNUSED,	/* waiting for the phase pins do not use to drain */
	KOVAN_STEP_OLD,		/* flipped; waiting for the old phase to drain */
};

/* kfree_bulk() calls per batch of kovan_retire_kfree() objects. */
#define KOVAN_KFREE_BULK	16

/*
 * A CPU's reclaim worker: the batches closed for the CPU whose readers are
 * gone, and the objects in them not yet freed (the CPU's backlog).
 */
struct kovan_reclaimer {
	struct llist_head batches;
	atomic_long_t backlog;
	struct work_struct work;
	/* Statistics (struct kovan_cpu_stats), this_cpu_inc() on this CPU. */
	unsigned long flush_timers;
	unsigned long backstop_timers;
	unsigned long kicks;
	unsigned long fence_ipis;
	unsigned long reclaims;
} ____cacheline_aligned_in_smp;

/*
 * Module-wide workers, shared by every domain so that a domain needs no
 * initialisation beyond its per-CPU part (DEFINE_KOVAN_DOMAIN()).
 */
static struct kovan_reclaimer __percpu *kovan_reclaimers;
static LLIST_HEAD(kovan_flush_list);	/* domains with partly filled batches */
static LLIST_HEAD(kovan_engine_list);	/* slots whose engine has work */
static void kovan_reclaim_fn(struct work_struct *work);
static void kovan_irq_fn(struct irq_work *work);
static void kovan_flush_fn(struct work_struct *work);
static void kovan_request_flush(struct kovan_domain *d, bool now);
static void kovan_engine_fn(struct work_struct *work);
static void kovan_engine_try(struct kovan_slot *s, bool looks);
static DECLARE_WORK(kovan_engine_work, kovan_engine_fn);
static DEFINE_IRQ_WORK(kovan_irq_work, kovan_irq_fn);
static DECLARE_WORK(kovan_flush_work, kovan_flush_fn);
/* Lets a partly filled batch gather objects for kovan_flush_us first. */
static struct hrtimer kovan_flush_timer;
static atomic_t kovan_flush_armed = ATOMIC_INIT(0);
/* Brings parked engines back (M). */
static struct hrtimer kovan_backstop_timer;
static atomic_t kovan_backstop_armed = ATOMIC_INIT(0);
/* kovan_barrier() and kovan_domain_quiesce() wait here for the workers. */
static DECLARE_WAIT_QUEUE_HEAD(kovan_wait);

/* The per-CPU slot of number @idx, whose CPU is @cpu. */
static struct kovan_slot __percpu *kovan_pslot(struct kovan_domain *d, unsigned int idx)
{
	return &d->pcpu->slot[idx % KOVAN_SLOTS_PER_CPU];
}

/* Slot @idx, or NULL when no CPU will ever own it. */
static struct kovan_slot *kovan_slot(struct kovan_domain *d, unsigned int idx)
{
	unsigned int cpu = idx / KOVAN_SLOTS_PER_CPU;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return NULL;
	return per_cpu_ptr(kovan_pslot(d, idx), cpu);
}

static bool kovan_robust(const struct kovan_domain *d)
{
	return d->flags & KOVAN_ROBUST;
}

static bool kovan_fenceless(const struct kovan_domain *d)
{
	return d->flags & KOVAN_FENCELESS;
}

/* The batch whose link in slot @idx's list is @node. */
static struct kovan_batch *kovan_link_batch(struct llist_node *node, unsigned int idx)
{
	return container_of(node - idx, struct kovan_batch, link[0]);
}

/* Whether no reader counts in @phase of @s. */
static bool kovan_drained(struct kovan_slot *s, unsigned int phase)
{
	unsigned long unpins, pins;

	/* J: acquire; pairs with B. The slot's CPU writes the first with this_cpu ops. */
	unpins = smp_load_acquire(&s->unpins[phase]) +
		 atomic_long_read_acquire(&s->remote_unpins[phase]);
	smp_mb(); /* K: unpins before pins; pairs with A. */
	pins = READ_ONCE(s->pins[phase]) + atomic_long_read(&s->remote_pins[phase]);
	return pins == unpins;
}

/*
 * Whether no reader counts in @s. After barrier C: a reader pinned before
 * it is seen, and an unpin seen has its pin seen (J orders the reads).
 */
static bool kovan_slot_idle(struct kovan_slot *s)
{
	unsigned long unpins, pins;

	/* J: acquire; pairs with B. */
	unpins = smp_load_acquire(&s->unpins[0]) + smp_load_acquire(&s->unpins[1]) +
		 atomic_long_read_acquire(&s->remote_unpins[0]) +
		 atomic_long_read_acquire(&s->remote_unpins[1]);
	/* Ordered after the acquires above. */
	pins = READ_ONCE(s->pins[0]) + READ_ONCE(s->pins[1]) +
	       atomic_long_read(&s->remote_pins[0]) + atomic_long_read(&s->remote_pins[1]);
	return pins == unpins;
}

/* Ask the flush worker for a grace period (kovan_start_gp_deferred()). */
static void kovan_request_gp(struct kovan_domain *d)
{
	smp_mb__before_atomic(); /* S: the need's access before the bit; pairs with the worker. */
	set_bit(KOVAN_GP_REQUESTED, &d->state);
	kovan_request_flush(d, true);
}

/*
 * A grace period's readers are gone: say so to kovan_poll_state(), and
 * start the next period if a poll needs one that has not started.
 */
static void kovan_end_gp(struct kovan_domain *d, unsigned long gp)
{
	long done = atomic_long_read(&d->gp_done);

	/*
	 * R: fully ordered, after D; pairs with kovan_poll_state(). Nothing
	 * to do when a later period ended first: it covers this one.
	 */
	while ((long)(gp - done) > 0 && !atomic_long_try_cmpxchg(&d->gp_done, &done, gp))
		;
	smp_mb(); /* T: the end before the need is read; pairs with kovan_start_poll(). */
	if ((long)(atomic_long_read(&d->gp_needed) - atomic_long_read(&d->gp_started)) > 0)
		kovan_request_gp(d);
}

/*
 * Hand a batch nobody references any more to the reclaim worker of the CPU
 * it was closed for. Never in NMI: only closers and engines pay shares.
 */
static void kovan_reclaim(struct kovan_batch *b)
{
	unsigned long objects = b->count[0] + b->count[1];
	struct kovan_domain *d = b->domain;
	struct completion *done = b->done;
	struct kovan_reclaimer *r;
	int cpu;

	/*
	 * A grace period's batch frees nothing: it ends here, not behind the
	 * frees its CPU's worker has queued.
	 */
	if (!objects) {
		unsigned long gp = b->gp;

		kovan_batch_put(b);
		kovan_end_gp(d, gp);
		/*
		 * I: the last touch of d; kovan_synchronize()'s caller may
		 * destroy it only after the completion below.
		 */
		atomic_long_dec_return_release(&d->in_flight);
		if (done)
			complete(done);
		return;
	}
	cpu = b->cpu;	/* Read before the add: the worker may free @b after it. */
	r = per_cpu_ptr(kovan_reclaimers, cpu);
	atomic_long_add(objects, &d->queued);
	atomic_long_add(objects, &r->backlog);
	/*
	 * The first batch queues the worker. The workqueue is unbound: @cpu
	 * picks the pool near it, which runs the work also while @cpu is
	 * offline, isolated or monopolised by a real-time task.
	 */
	if (llist_add(&b->reclaim, &r->batches))
		queue_work_on(cpu, kovan_reclaim_wq, &r->work);
}

/*
 * Ask the flush worker to close @d's partly filled batches soon, or (@now)
 * the full ones at once.
 */
static void kovan_request_flush(struct kovan_domain *d, bool now)
{
	/*
	 * A domain being destroyed had its batches closed by its barrier; a
	 * request now would put it back on the list after it is freed. Pairs
	 * with the smp_mb__after_atomic() in kovan_domain_quiesce().
	 */
	if (test_bit(KOVAN_DYING, &d->state))
		return;
	/* H: fully ordered; the worker is done with the old link. */
	if (!test_and_set_bit(KOVAN_FLUSH_QUEUED, &d->state))
		llist_add(&d->flush_node, &kovan_flush_list);
	else if (!now)
		return;
	if (now)
		queue_work(kovan_wq, &kovan_flush_work);
	/* Fully ordered after the add; pairs with the clear in kovan_flush_fn(). */
	else if (!atomic_xchg(&kovan_flush_armed, 1))
		hrtimer_start(&kovan_flush_timer,
			      ns_to_ktime((u64)READ_ONCE(kovan_flush_us) * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

static enum hrtimer_restart kovan_flush_timer_fn(struct hrtimer *timer)
{
	this_cpu_inc(kovan_reclaimers->flush_timers);
	queue_work(kovan_wq, &kovan_flush_work);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart kovan_backstop_timer_fn(struct hrtimer *timer)
{
	this_cpu_inc(kovan_reclaimers->backstop_timers);
	atomic_set(&kovan_backstop_armed, 0);
	queue_work(kovan_engine_wq, &kovan_engine_work);
	return HRTIMER_NORESTART;
}

/* Put @s on the engine's list; the caller makes sure the engine runs. */
static void kovan_list_slot(struct kovan_slot *s)
{
	/* H: fully ordered; the engine is done with the old link. */
	if (!test_and_set_bit(KOVAN_SLOT_QUEUED, &s->engine_state))
		llist_add(&s->engine_node, &kovan_engine_list);
}

/* Run the engines soon. Any context, NMI included; touches no domain. */
void kovan_kick_engine(void)
{
	if (kovan_this_cpu_ok())
		this_cpu_inc(kovan_reclaimers->kicks);
	if (in_nmi())
		irq_work_queue(&kovan_irq_work);
	else
		queue_work(kovan_engine_wq, &kovan_engine_work);
}
EXPORT_SYMBOL_NS_GPL(kovan_kick_engine, KOVAN_NS);

static void kovan_adjust(struct kovan_batch *b, unsigned long delta)
{
	/* D: fully ordered; the zero crossing happens after every J. */
	if (!atomic_long_add_return((long)delta, &b->refs))
		kovan_reclaim(b);
}

void kovan_node_init(struct kovan_domain *d, struct kovan_node *n)
{
	if (!kovan_robust(d)) {
		n->birth = 0;
		return;
	}
	if (this_cpu_inc_return(d->pcpu->cb.era_tick) >= READ_ONCE(kovan_era_frequency)) {
		this_cpu_write(d->pcpu->cb.era_tick, 0);
		atomic64_inc(&d->era);
	}
	n->birth = atomic64_read(&d->era);
}
EXPORT_SYMBOL_NS_GPL(kovan_node_init, KOVAN_NS);

/* Raise @s's access era to at least @era; returns what the slot now covers. */
static u64 kovan_raise_access(struct kovan_slot *s, u64 era)
{
	s64 seen = atomic64_read(&s->access);

	while ((u64)seen < era) {
		if (atomic64_try_cmpxchg(&s->access, &seen, era))
			return era;
	}
	return seen;
}

/* Robust: when the slot was marked as maybe holding a stalled reader (0: it is not). */
static u64 kovan_slot_stalled(struct kovan_slot *s)
{
	return READ_ONCE(s->stalled);	/* A hint set by closers; no ordering. */
}

/*
 * Robust: a batch was closed onto @s. More than kovan_stall_batches since
 * its engine parked for the readers of a phase: a reader has held the
 * cycle up that long (an engine that is merely late does not count); mark
 * the slot stalled, with the time for kovan_pick_slot().
 */
static void kovan_count_push(struct kovan_slot *s)
{
	long pushes = atomic_long_inc_return(&s->pushes);

	/* Hints written by the engine; no ordering. */
	if (READ_ONCE(s->wait) &&
	    pushes - (long)READ_ONCE(s->park_pushes) > (long)READ_ONCE(kovan_stall_batches) &&
	    !READ_ONCE(s->stalled))
		WRITE_ONCE(s->stalled, ktime_get_mono_fast_ns() | 1);
}

/*
 * Pick the slot to pin: the CPU's home slot unless, in a robust domain, it
 * is stalled or holds a guard that moved there; then the CPU's spare and
 * the other slots in turn. When every slot is, the stalled one marked
 * last: a slot that stays marked the longest holds a reader stalled for
 * good, slots marked since hold readers that were only slow. A slot a
 * guard moved to is taken only when nothing else is left.
 */
static unsigned int kovan_pick_slot(struct kovan_domain *d, unsigned int cpu)
{
	unsigned int first = cpu * KOVAN_SLOTS_PER_CPU, idx = first, best = first;
	u64 marked, latest = 0;
	struct kovan_slot *s;

	if (!kovan_robust(d))
		return first;
	do {
		s = kovan_slot(d, idx);
		if (s) {
			marked = kovan_slot_stalled(s);
			if (!marked && !atomic_read(&s->movers))
				return idx;
			if (kovan_this_cpu_ok())
				this_cpu_inc(d->pcpu->stall_avoids);
			trace_kovan_stall_avoid(d->name, idx);
			if (!atomic_read(&s->movers) && marked > latest) {
				latest = marked;
				best = idx;
			}
		}
		idx = (idx + 1) & (kovan_nr_slots - 1);
	} while (idx != first);
	return best;
}

/* A pin of a domain that cannot be pinned; the guard's unpin does nothing. */
static void kovan_pin_bad(struct kovan_domain *d, struct kovan_guard *g, unsigned int flags)
{
	WARN_ONCE(flags & KOVAN_DOMAIN_DEAD, "kovan: kovan_pin() of a destroyed domain\n");
	WARN_ONCE(!(flags & KOVAN_DOMAIN_DEAD), "kovan: kovan_pin() of a domain never initialised\n");
	g->domain = NULL;
	g->slot = NULL;
	g->moved = NULL;
	g->robust = false;
}

/*
 * Count a reader in slot @ps of @cpu, from the CPU we run on (preemption
 * off): its own counters there, the atomic ones from elsewhere. Returns
 * the phase. Barrier A follows in the caller.
 */
static unsigned int kovan_count_in(struct kovan_slot __percpu *ps, unsigned int cpu)
{
	struct kovan_slot *s = per_cpu_ptr(ps, cpu);
	/* The engine flips it; a pin of either phase is waited for. */
	unsigned int phase = READ_ONCE(s->phase);

	if (cpu == smp_processor_id() && kovan_this_cpu_ok())
		this_cpu_inc(ps->pins[phase]);
	else
		atomic_long_inc(&s->remote_pins[phase]);
	return phase;
}

/* Count a reader of @phase out of slot @ps of @cpu, from any CPU. */
static void kovan_count_out(struct kovan_slot __percpu *ps, unsigned int cpu, unsigned int phase)
{
	struct kovan_slot *s = per_cpu_ptr(ps, cpu);
	/* The hint of M, read first: nothing of the slot is touched after our count. */
	bool kick = READ_ONCE(s->wait) == phase + 1;
	bool local;

	preempt_disable();
	local = cpu == smp_processor_id() && kovan_this_cpu_ok();
	if (local)
		kovan_this_cpu_inc_release(ps->unpins[phase]);	/* B: pairs with J. */
	preempt_enable();
	if (!local)
		/* B: pairs with J. */
		atomic_long_inc_return_release(&s->remote_unpins[phase]);
	if (kick)
		kovan_kick_engine();
}

void kovan_pin_slow(struct kovan_domain *d, struct kovan_guard *g)
{
	/* A domain pinned while it is destroyed is a caller bug; no ordering. */
	unsigned int flags = READ_ONCE(d->flags);
	struct kovan_slot __percpu *ps;
	struct kovan_slot *s;
	unsigned int idx, cpu;

	if (unlikely(!d->pcpu || (flags & KOVAN_DOMAIN_DEAD))) {
		kovan_pin_bad(d, g, flags);
		return;
	}
	preempt_disable();
	idx = kovan_pick_slot(d, smp_processor_id());
	ps = kovan_pslot(d, idx);
	cpu = idx / KOVAN_SLOTS_PER_CPU;
	s = per_cpu_ptr(ps, cpu);
	g->robust = flags & KOVAN_ROBUST;
	if (g->robust)
		g->era = kovan_raise_access(s, atomic64_read(&d->era));
	g->phase = kovan_count_in(ps, cpu);
	smp_mb(); /* A: counted before any pointer is loaded; pairs with C and K. */
	preempt_enable();

	g->domain = d;
	g->slot = ps;
	g->cpu = cpu;
	g->moved = NULL;
	if (g->robust)
		g->pushes = atomic_long_read(&s->pushes);
}
EXPORT_SYMBOL_NS_GPL(kovan_pin_slow, KOVAN_NS);

/*
 * Robust: @g has stayed in a stalled slot for more than kovan_stall_batches
 * closes, and every era it raises there is one more batch that a reader
 * stalled there may hold. Count in an idle slot too and raise that one's
 * era from now on (a move, once per guard); pins stay away from a slot
 * with a mover in it. With no idle slot, try again at the next load.
 */
static void kovan_move(struct kovan_guard *g)
{
	struct kovan_domain *d = g->domain;
	unsigned int i, idx, cpu, g_idx;
	struct kovan_slot *s;

	g_idx = g->cpu * KOVAN_SLOTS_PER_CPU + (g->slot == &d->pcpu->slot[0] ? 0 : 1);
	for (i = 1; i < kovan_nr_slots; i++) {
		idx = (g_idx + i) & (kovan_nr_slots - 1);
		s = kovan_slot(d, idx);
		/* Reads first: a failed compare-and-swap takes the line all the same. */
		if (!s || atomic_read(&s->movers) || kovan_slot_stalled(s) || !kovan_slot_idle(s))
			continue;
		if (atomic_cmpxchg(&s->movers, 0, 1))
			continue;
		cpu = idx / KOVAN_SLOTS_PER_CPU;
		preempt_disable();
		g->moved_phase = kovan_count_in(kovan_pslot(d, idx), cpu);
		smp_mb(); /* A: counted before we load through it; pairs with C and K. */
		preempt_enable();
		g->moved = kovan_pslot(d, idx);
		g->moved_cpu = cpu;
		if (kovan_this_cpu_ok())
			this_cpu_inc(d->pcpu->moves);
		return;
	}
}

/* Robust: @g is in a stalled slot and has stayed there long itself. */
static bool kovan_should_move(struct kovan_guard *g)
{
	struct kovan_slot *s = per_cpu_ptr(g->slot, g->cpu);
	long stayed = atomic_long_read(&s->pushes) - (long)g->pushes;

	return stayed > (long)READ_ONCE(kovan_stall_batches) && kovan_slot_stalled(s);
}

void *kovan_load_slow(void * const *pp, struct kovan_guard *g)
{
	struct kovan_slot *s;
	void *p;
	u64 era;

	for (;;) {
		/* Checked each round: a slot marked meanwhile gets no further raise from us. */
		if (!g->moved && kovan_should_move(g))
			kovan_move(g);
		s = g->moved ? per_cpu_ptr(g->moved, g->moved_cpu) : per_cpu_ptr(g->slot, g->cpu);
		era = atomic64_read(&g->domain->era);
		g->era = kovan_raise_access(s, era);
		smp_mb(); /* E: access era before the reload; pairs with C. */
		p = smp_load_acquire(pp);	/* Pointer before the era check. */
		if (atomic64_read(&g->domain->era) <= g->era)
			return p;
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_load_slow, KOVAN_NS);

void kovan_unpin_slow(struct kovan_guard *g)
{
	if (unlikely(!g->slot)) {
		/* A guard of a failed pin has no domain and needs nothing. */
		WARN_ONCE(g->domain, "kovan: %s() of a guard not pinned\n", __func__);
		return;
	}
	if (g->moved) {
		struct kovan_slot *m = per_cpu_ptr(g->moved, g->moved_cpu);

		kovan_count_out(g->moved, g->moved_cpu, g->moved_phase);
		/* After our count; pins read it as a hint. */
		atomic_set_release(&m->movers, 0);
		g->moved = NULL;
	}
	kovan_count_out(g->slot, g->cpu, g->phase);
	g->slot = NULL;
}
EXPORT_SYMBOL_NS_GPL(kovan_unpin_slow, KOVAN_NS);

/* P: whether @cpu pinned without a fence since its last IPI. */
static bool kovan_cpu_unfenced(int cpu, void *info)
{
	struct kovan_domain *d = info;

	/* P: acquire; pairs with O: a flag seen clear has the counts before it. */
	return smp_load_acquire(&per_cpu_ptr(d->pcpu, cpu)->slot[0].unfenced);
}

/* O: a close's IPI: this CPU's fenceless pins become visible to the closer. */
static void kovan_fence_ipi(void *info)
{
	struct kovan_domain *d = info;

	/* O: release; our counts before it, an NMI's too, go with the clear. Pairs with P. */
	smp_store_release(this_cpu_ptr(&d->pcpu->slot[0].unfenced), 0);
	smp_mb(); /* O: the counts are visible before the closer, woken, reads slots. */
	this_cpu_inc(d->pcpu->fence_ipis);
	this_cpu_inc(kovan_reclaimers->fence_ipis);
}

/*
 * Close a filled batch: add it to the waiting list of every busy slot, and
 * pay the other slots' shares. The batch may be freed by others as soon
 * as its last share is in, so nothing here touches it after that point.
 */
static void kovan_close_batch(struct kovan_domain *d, struct kovan_batch *b)
{
	/* Read now: once the last busy slot has it, the batch may be gone. */
	unsigned long objects = b->count[0] + b->count[1];
	bool robust = kovan_robust(d);
	unsigned long skipped = 0;
	struct kovan_slot *s;
	unsigned int idx;
	u64 access;

	/* The free event's age; no clock read when nobody traces. */
	b->closed = trace_kovan_batch_free_enabled() ? ktime_get_mono_fast_ns() : 0;

	atomic_long_inc(&d->in_flight);
	smp_mb(); /* C: unpublish before reading slots; pairs with A, E. */
	if (kovan_fenceless(d)) {
		/* Waiting for IPIs under a lock a peer spins on with irqs off deadlocks. */
		lockdep_assert_preemption_enabled();
		/* P: every CPU's fenceless pins before we read its slots. */
		on_each_cpu_cond(kovan_cpu_unfenced, kovan_fence_ipi, d, true);
	}
	for (idx = 0; idx < kovan_nr_slots; idx++) {
		s = kovan_slot(d, idx);
		if (!s) {
			skipped++;
			continue;
		}
		/* Read once: a pin may raise it, and the event shows what was tested. */
		access = robust ? atomic64_read(&s->access) : 0;
		if (robust && (s64)(access - b->min_birth) < 0) {
			this_cpu_inc(d->pcpu->era_skips);
			trace_kovan_era_skip(d->name, idx, access, b->min_birth);
			skipped++;
			continue;
		}
		if (kovan_slot_idle(s)) {
			skipped++;
			/* Parked for readers now gone: pay before the kick's worker comes. */
			if (READ_ONCE(s->wait))
				kovan_engine_try(s, false);
			continue;
		}
		/* A grace period holds no memory: it cannot make the slot stalled. */
		if (robust && b->objects)
			kovan_count_push(s);
		/* The same number every time; read by the engine after F. */
		if (READ_ONCE(s->idx) != idx)
			WRITE_ONCE(s->idx, idx);
		/* F: fully ordered; the engine takes the batch after it. */
		llist_add(&b->link[idx], &s->waiting);
		/* Its readers may be gone already: free at once rather than wait for a worker. */
		kovan_engine_try(s, false);
	}
	trace_kovan_batch_close(d->name, objects, kovan_nr_slots - skipped, skipped);
	/* Also when every slot was skipped, where the sum wraps to zero. */
	if (skipped)
		kovan_adjust(b, skipped * kovan_share);
}

/*
 * Whether @phase of @s holds no reader. If it holds some, leave the hint
 * for their unpins (M) and look once more.
 */
static bool kovan_engine_drained(struct kovan_slot *s, unsigned int phase, bool looks)
{
	int i;

	if (!kovan_drained(s, phase)) {
		if (!s->wait)	/* Parked from now on; read by closers as a hint. */
			WRITE_ONCE(s->park_pushes, atomic_long_read(&s->pushes));
		/*
		 * Listed before the hint: the work an unpin's kick queues finds
		 * the slot, and, while we still run it, asks us to run again.
		 */
		kovan_list_slot(s);
		WRITE_ONCE(s->wait, phase + 1);	/* Read by unpins before their count (M). */
		smp_mb(); /* M: the hint before the second look; an unpin's count may pass it. */
		/*
		 * An unpin that read the hint just before we wrote it does not
		 * kick, and its count may show only now: look a few more times
		 * (the engine work; closers leave that to it) before waiting
		 * for the backstop.
		 */
		for (i = 0; !kovan_drained(s, phase); i++) {
			if (!looks || i == KOVAN_ENGINE_LOOKS)
				return false;
			cpu_relax();
		}
	}
	if (s->wait)
		/* Read by unpins and closers; a stale hint only costs kicks. */
		WRITE_ONCE(s->wait, 0);
	return true;
}

/* Pay @s's share of every batch its cycle served. */
static void kovan_engine_pay(struct kovan_slot *s)
{
	struct llist_node *node = s->serving, *next;
	unsigned int idx = READ_ONCE(s->idx);	/* Stored before F by the closers. */

	s->serving = NULL;
	for (; node; node = next) {
		next = node->next;	/* Before our share: the batch may be freed after it. */
		kovan_adjust(kovan_link_batch(node, idx), kovan_share);
	}
}

/*
 * Run @s's engine as far as its readers let it, holding KOVAN_SLOT_RUNNING.
 * Returns whether it parked, waiting for readers.
 */
static bool kovan_engine_run(struct kovan_slot *s, bool looks)
{
	for (;;) {
		switch (s->step) {
		case KOVAN_STEP_IDLE:
			/* F: after the closers' adds. */
			s->serving = llist_del_all(&s->waiting);
			if (!s->serving)
				return false;
			s->step = KOVAN_STEP_UNUSED;
			fallthrough;
		case KOVAN_STEP_UNUSED:
			if (!kovan_engine_drained(s, !s->phase, looks))
				return true;
			/* Pins count in the drained phase now; K orders it before the next look. */
			WRITE_ONCE(s->phase, !s->phase);
			s->step = KOVAN_STEP_OLD;
			fallthrough;
		case KOVAN_STEP_OLD:
			if (!kovan_engine_drained(s, !s->phase, looks))
				return true;
			s->step = KOVAN_STEP_IDLE;
			if (READ_ONCE(s->stalled))	/* A hint for pins and loads. */
				WRITE_ONCE(s->stalled, 0);
			kovan_engine_pay(s);
		}
	}
}

/*
 * Run @s's engine, unless someone else does: then that one runs it once
 * more when it is done. A run that parks has listed the slot, for the
 * kicks of its readers' unpins, and arms the backstop (M). Any context but
 * NMI.
 */
static void kovan_engine_try(struct kovan_slot *s, bool looks)
{
	bool parked;

	set_bit(KOVAN_SLOT_PENDING, &s->engine_state);
	smp_mb__after_atomic(); /* Asked before we look who runs; pairs with the runner's mb. */
	while (test_bit(KOVAN_SLOT_PENDING, &s->engine_state)) {
		/* Fully ordered: a runner that held it sees PENDING after its release. */
		if (test_and_set_bit(KOVAN_SLOT_RUNNING, &s->engine_state))
			return;
		clear_bit(KOVAN_SLOT_PENDING, &s->engine_state);
		smp_mb__after_atomic(); /* Cleared before the looks: a later ask is run. */
		parked = kovan_engine_run(s, looks);
		clear_bit_unlock(KOVAN_SLOT_RUNNING, &s->engine_state);
		smp_mb__after_atomic(); /* Released, then PENDING read; pairs with the mb above. */
		/*
		 * Parked, or listed by a look that then found the readers gone:
		 * the backstop, for kicks lost to M and for the listed slot.
		 */
		if ((parked || test_bit(KOVAN_SLOT_QUEUED, &s->engine_state)) &&
		    !atomic_read(&kovan_backstop_armed) &&
		    !atomic_xchg(&kovan_backstop_armed, 1))
			hrtimer_start(&kovan_backstop_timer,
				      ns_to_ktime(KOVAN_BACKSTOP_US * NSEC_PER_USEC),
				      HRTIMER_MODE_REL);
	}
}

static void kovan_engine_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&kovan_engine_list);	/* Fully ordered. */
	struct kovan_slot *s, *tmp;

	llist_for_each_entry_safe(s, tmp, list, engine_node) {
		/* H: after reading the link; a park from now on lists the slot again. */
		clear_bit_unlock(KOVAN_SLOT_QUEUED, &s->engine_state);
		smp_mb__after_atomic(); /* Clear before the looks: a later park is not lost. */
		kovan_engine_try(s, true);
	}
	/* kovan_domain_quiesce() waits for its slots to leave the list. */
	if (wq_has_sleeper(&kovan_wait))
		wake_up_all(&kovan_wait);
}

/*
 * Move the objects collected on @cb, @cpu's, into @b; @cpu's reclaim
 * worker frees them. Called with cb->lock held.
 */
static void kovan_fill_batch(struct kovan_cpu_batch *cb, struct kovan_batch *b, int cpu)
{
	b->cpu = cpu;
	b->objects = cb->first;
	b->count[0] = cb->count[0];
	b->count[1] = cb->count[1];
	b->min_birth = cb->min_birth;
	WRITE_ONCE(cb->first, NULL);	/* kovan_flush() peeks without the lock. */
	cb->count[0] = 0;
	cb->count[1] = 0;
	cb->batches++;
}

/*
 * Backpressure: a retire that may sleep waits while the reclaim worker of
 * @cpu, whose batch took its object, is more than kovan.backlog objects
 * behind, whoever closed the batches (the flush worker closes those that
 * do not fill). Not in a free
 * function (the worker would wait for itself), in an RCU reader
 * (PREEMPT_RCU; also a spinlock_t on PREEMPT_RT), in softirq, in a task
 * that is about to sleep (a wait_event() condition), or in a real-time
 * task, which would wait for a worker of lower priority.
 */
static void kovan_throttle(struct kovan_domain *d, int cpu)
{
	struct kovan_reclaimer *r = per_cpu_ptr(kovan_reclaimers, cpu);
	struct work_struct *work;

	/* A hint: a backlog read late only moves the wait to the next retire. */
	if (likely(atomic_long_read(&r->backlog) <= READ_ONCE(kovan_backlog)))
		return;
	if (!preemptible() || !in_task() || rcu_preempt_depth() ||
	    !task_is_running(current) || rt_prio(current->prio))
		return;
	work = current_work();
	if (work && work->func == kovan_reclaim_fn)
		return;
	/* Counted while it waits; taken back when the worker was idle after all. */
	this_cpu_inc(d->pcpu->throttles);
	if (!flush_work(&r->work))
		this_cpu_dec(d->pcpu->throttles);
}

/* Returns the CPU whose batch took @n, which the task may have left since. */
static int kovan_retire_node(struct kovan_domain *d, struct kovan_node *n,
			     void (*free_fn)(struct kovan_node *n))
{
	struct kovan_cpu_batch *cb;
	struct kovan_batch *b;
	unsigned int parity;
	unsigned long flags;
	u64 birth = n->birth;	/* Shares its word with free_fn. */
	bool opened, full;
	int cpu;

	/* The batch lock is not NMI-safe: leak rather than deadlock. */
	if (WARN_ON_ONCE(in_nmi()))
		return raw_smp_processor_id();
	/* A birth from the future was never stamped: the oldest is safe. */
	if (kovan_robust(d) && (s64)(birth - atomic64_read(&d->era)) > 0) {
		WARN_ONCE(1, "kovan: retire of a node kovan_node_init() never stamped\n");
		birth = 0;
	}
	n->free_fn = free_fn;

	local_irq_save(flags);
	cpu = smp_processor_id();
	cb = per_cpu_ptr(&d->pcpu->cb, cpu);
	raw_spin_lock(&cb->lock);
	/* The lock makes us the only writer; kovan_flush() may peek. */
	ASSERT_EXCLUSIVE_WRITER(cb->first);
	parity = READ_ONCE(d->parity);	/* G */
	opened = !cb->first;
	if (opened)
		cb->opened = ktime_get_mono_fast_ns();
	if (opened || (s64)(birth - cb->min_birth) < 0)
		cb->min_birth = birth;
	n->next = cb->first;
	WRITE_ONCE(cb->first, n);	/* kovan_flush() peeks without the lock. */
	cb->count[parity]++;
	cb->retired[parity]++;
	full = cb->count[0] + cb->count[1] >= READ_ONCE(kovan_batch_size);
	raw_spin_unlock(&cb->lock);
	local_irq_restore(flags);

	if (opened && !full)
		kovan_request_flush(d, false);
	if (!full)
		return cpu;
	/*
	 * P waits for IPIs: a caller that may not be preempted leaves it to
	 * the worker, as does softirq, which PREEMPT_RT runs preemptible.
	 */
	if (kovan_fenceless(d) && (!preemptible() || !in_task())) {
		kovan_request_flush(d, true);
		return cpu;
	}

	/*
	 * Take a header outside the raw lock. The batch filled is the one of
	 * the CPU we ran on, @cb, wherever we run now; the flush worker may
	 * have closed it meanwhile.
	 */
	b = kovan_batch_get(d);
	if (!b) {
		kovan_request_flush(d, false);
		return cpu;
	}
	raw_spin_lock_irqsave(&cb->lock, flags);
	if (cb->first)
		kovan_fill_batch(cb, b, cpu);
	raw_spin_unlock_irqrestore(&cb->lock, flags);
	if (b->objects)
		kovan_close_batch(d, b);
	else
		kovan_batch_put(b);
	return cpu;
}

void kovan_retire(struct kovan_domain *d, struct kovan_node *n,
		  void (*free_fn)(struct kovan_node *n))
{
	if (WARN_ONCE(!d || !n || !free_fn, "kovan: retire with a NULL argument\n"))
		return;
	kovan_throttle(d, kovan_retire_node(d, n, free_fn));
}
EXPORT_SYMBOL_NS_GPL(kovan_retire, KOVAN_NS);

void __kovan_retire_kfree(struct kovan_domain *d, struct kovan_node *n, unsigned long offset)
{
	kovan_throttle(d, kovan_retire_node(d, n, (void (*)(struct kovan_node *))offset));
}
EXPORT_SYMBOL_NS_GPL(__kovan_retire_kfree, KOVAN_NS);

/* Close the empty batch @b as grace period @gp; @done (if any) completes at its end. */
static void kovan_close_gp(struct kovan_domain *d, struct kovan_batch *b, unsigned long gp,
			   struct completion *done)
{
	b->gp = gp;
	b->done = done;
	/* min_birth 0: no slot is old enough to be skipped. */
	kovan_close_batch(d, b);
}

/*
 * Start a grace period: close the empty batch @b, numbered, whose end
 * kovan_poll_state() sees and @done (if any) is completed at. Returns its
 * number. Any context but NMI; in a fenceless domain one that may wait
 * for IPIs (P).
 */
static unsigned long kovan_start_gp(struct kovan_domain *d, struct kovan_batch *b,
				    struct completion *done)
{
	/* Q: fully ordered, before C. */
	unsigned long gp = atomic_long_inc_return(&d->gp_started);

	kovan_close_gp(d, b, gp, done);
	return gp;
}

/*
 * The flush worker's part of kovan_request_gp(): a period, unless one
 * numbered at or above the need has started since (its end serves it).
 */
static void kovan_start_gp_deferred(struct kovan_domain *d)
{
	struct kovan_batch *b;

	/* A domain being destroyed starts none; kovan_domain_quiesce() covers a race. */
	if (test_bit(KOVAN_DYING, &d->state) ||
	    (long)(atomic_long_read(&d->gp_needed) - atomic_long_read(&d->gp_started)) <= 0)
		return;
	b = kovan_batch_get(d);
	if (b) {
		kovan_start_gp(d, b, NULL);
		return;
	}
	/* No header now: ask again once the reclaim worker freed some. */
	set_bit(KOVAN_GP_REQUESTED, &d->state);
	kovan_request_flush(d, false);
}

/*
 * Close @d's partly filled batches: every one (@all, kovan_barrier(), which
 * may sleep for a header), or those opened kovan.flush_us ago or earlier
 * (the flush worker, which never sleeps for one: it comes back later; the
 * young batches are left to fill up and asked about again). Process
 * context.
 */
static void kovan_flush(struct kovan_domain *d, bool all)
{
	u64 older_than = ktime_get_mono_fast_ns() - (u64)READ_ONCE(kovan_flush_us) * NSEC_PER_USEC;
	struct kovan_batch *b = NULL;
	struct kovan_cpu_batch *cb;
	bool again = false;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		cb = &per_cpu_ptr(d->pcpu, cpu)->cb;
		/* The worker peeks; the barrier looks under the lock, at a retire under way too. */
		if (!all && !READ_ONCE(cb->first))
			continue;
		if (!b)
			b = all ? kovan_batch_get_wait(d) : kovan_batch_get(d);
		if (!b) {
			again = true;	/* No header now: the reclaim worker frees some. */
			break;
		}
		raw_spin_lock_irqsave(&cb->lock, flags);	/* G */
		/* Full ones too: a fenceless domain's retires may leave them to us. */
		if (cb->first && !all && (s64)(older_than - cb->opened) < 0 &&
		    cb->count[0] + cb->count[1] < READ_ONCE(kovan_batch_size))
			again = true;
		else if (cb->first)
			kovan_fill_batch(cb, b, cpu);
		raw_spin_unlock_irqrestore(&cb->lock, flags);
		if (b->objects) {
			if (!all)
				this_cpu_inc(d->pcpu->aged_batches);
			kovan_close_batch(d, b);
			b = NULL;
		}
		cond_resched();
	}
	if (b)
		kovan_batch_put(b);
	if (again)
		kovan_request_flush(d, false);
}

static void kovan_flush_fn(struct work_struct *work)
{
	struct kovan_domain *d, *tmp;
	struct llist_node *list;

	/* Disarm before taking the list: a request that sees it armed is on it. */
	atomic_set(&kovan_flush_armed, 0);
	list = llist_del_all(&kovan_flush_list);	/* Fully ordered. */
	llist_for_each_entry_safe(d, tmp, list, flush_node) {
		/* H: after reading the link; a retire from now on asks again. */
		clear_bit_unlock(KOVAN_FLUSH_QUEUED, &d->state);
		smp_mb__after_atomic(); /* Clear before reading the batches; pairs with the lock. */
		if (unlikely(!READ_ONCE(d->debugfs)))
			kovan_debugfs_add(d);
		kovan_flush(d, false);
		/* S: fully ordered when it clears the bit; pairs with kovan_request_gp(). */
		if (test_and_clear_bit(KOVAN_GP_REQUESTED, &d->state))
			kovan_start_gp_deferred(d);
	}
	/* kovan_domain_quiesce() waits for its domain to leave the list. */
	if (wq_has_sleeper(&kovan_wait))
		wake_up_all(&kovan_wait);
}

/*
 * Free the objects of @b: kovan_retire_kfree() ones (whose free_fn word is
 * their offset) KOVAN_KFREE_BULK at a time, the others one by one.
 */
static void kovan_free_objects(struct kovan_batch *b)
{
	struct kovan_node *n, *next;
	void *bulk[KOVAN_KFREE_BULK];
	unsigned long offset;
	size_t nr = 0;

	for (n = b->objects; n; n = next) {
		next = n->next;
		offset = (unsigned long)n->free_fn;
		if (offset >= KOVAN_KFREE_OFFSET_MAX) {
			n->free_fn(n);
			continue;
		}
		bulk[nr++] = (void *)n - offset;
		if (nr == ARRAY_SIZE(bulk)) {
			kfree_bulk(nr, bulk);
			nr = 0;
		}
	}
	if (nr)
		kfree_bulk(nr, bulk);
}

/*
 * Nanoseconds since a batch's close, for the free event: 0 when tracing
 * began after the close, or when the clock (fast, not monotonic across
 * CPUs to the nanosecond) reads earlier on this CPU.
 */
static u64 kovan_batch_age(u64 closed)
{
	u64 now = ktime_get_mono_fast_ns();

	return closed && now > closed ? now - closed : 0;
}

static void kovan_reclaim_fn(struct work_struct *work)
{
	struct kovan_reclaimer *r = container_of(work, struct kovan_reclaimer, work);
	struct llist_node *list = llist_del_all(&r->batches);
	struct kovan_batch *b, *tmp;
	struct completion *done;
	unsigned int count[2];
	struct kovan_domain *d;
	u64 closed;

	this_cpu_inc(kovan_reclaimers->reclaims);
	llist_for_each_entry_safe(b, tmp, list, reclaim) {
		d = b->domain;
		kovan_free_objects(b);
		count[0] = b->count[0];
		count[1] = b->count[1];
		done = b->done;
		closed = b->closed;
		kovan_batch_put(b);
		atomic_long_sub(count[0] + count[1], &r->backlog);
		atomic_long_inc(&d->batches_freed);
		atomic_long_sub(count[0] + count[1], &d->queued);
		atomic_long_add(count[0], &d->freed[0]);
		atomic_long_add(count[1], &d->freed[1]);
		if (trace_kovan_batch_free_enabled())
			trace_kovan_batch_free(d->name, count[0] + count[1],
					       kovan_batch_age(closed));
		if (done)
			complete(done);
		/* I: the last touch of d, after every count; pairs with kovan_domain_quiesce(). */
		atomic_long_dec_return_release(&d->in_flight);
		cond_resched();
	}
	/* Its smp_mb() orders the counters before the check; pairs with wait_event(). */
	if (wq_has_sleeper(&kovan_wait))
		wake_up_all(&kovan_wait);
}

/* A kick from NMI, where queue_work() may not run. */
static void kovan_irq_fn(struct irq_work *work)
{
	/* The slot it is for may not be listed yet. */
	queue_work(kovan_engine_wq, &kovan_engine_work);
}

void kovan_synchronize(struct kovan_domain *d)
{
	DECLARE_COMPLETION_ONSTACK(done);

	might_sleep();
	kovan_lockdep_sync(d);
	kovan_start_gp(d, kovan_batch_get_wait(d), &done);
	wait_for_completion(&done);
}
EXPORT_SYMBOL_NS_GPL(kovan_synchronize, KOVAN_NS);

unsigned long kovan_get_state(struct kovan_domain *d)
{
	smp_mb(); /* Q: the caller's earlier accesses before the count; pairs with C. */
	return atomic_long_read(&d->gp_started) + 1;
}
EXPORT_SYMBOL_NS_GPL(kovan_get_state, KOVAN_NS);

unsigned long kovan_start_poll(struct kovan_domain *d)
{
	unsigned long cookie = kovan_get_state(d);
	struct kovan_batch *b = NULL;
	long need, started;

	if (WARN_ONCE(in_nmi(), "kovan: %s() in NMI\n", __func__))
		return cookie;
	need = atomic_long_read(&d->gp_needed);
	while ((long)(cookie - need) > 0 && !atomic_long_try_cmpxchg(&d->gp_needed, &need, cookie))
		;
	smp_mb(); /* T: the need before the periods are read; pairs with kovan_end_gp(). */
	started = atomic_long_read(&d->gp_started);
	/* One numbered at or above the cookie started after it: it covers it. */
	if ((long)(started - cookie) >= 0)
		return cookie;
	/* One in flight: its end sees the need (T) and starts the next. */
	if (started != atomic_long_read(&d->gp_done))
		return cookie;
	/* P waits for IPIs: as kovan_retire(), leave that to the worker where it may not. */
	if (!kovan_fenceless(d) || (preemptible() && in_task()))
		b = kovan_batch_get(d);
	if (!b) {
		kovan_request_gp(d);
		return cookie;
	}
	/*
	 * Q: fully ordered, before C. Callers racing here start one period:
	 * a loser's cookie is covered by the increment it lost to, which
	 * came after its read of started.
	 */
	if (atomic_long_try_cmpxchg(&d->gp_started, &started, started + 1))
		kovan_close_gp(d, b, started + 1, NULL);
	else
		kovan_batch_put(b);
	return cookie;
}
EXPORT_SYMBOL_NS_GPL(kovan_start_poll, KOVAN_NS);

bool kovan_poll_state(struct kovan_domain *d, unsigned long cookie)
{
	if ((long)(atomic_long_read(&d->gp_done) - cookie) < 0)
		return false;
	smp_mb(); /* R: the period's end before the caller's next; pairs with kovan_end_gp(). */
	return true;
}
EXPORT_SYMBOL_NS_GPL(kovan_poll_state, KOVAN_NS);

static unsigned long kovan_retired_in(struct kovan_domain *d, unsigned int parity)
{
	struct kovan_cpu_batch *cb;
	unsigned long sum = 0, flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		cb = &per_cpu_ptr(d->pcpu, cpu)->cb;
		raw_spin_lock_irqsave(&cb->lock, flags);
		sum += cb->retired[parity];
		raw_spin_unlock_irqrestore(&cb->lock, flags);
	}
	return sum;
}

void kovan_barrier(struct kovan_domain *d)
{
	unsigned int parity;
	unsigned long target;

	might_sleep();
	kovan_lockdep_sync(d);
	wait_on_bit_lock(&d->state, KOVAN_BARRIER_RUNNING, TASK_UNINTERRUPTIBLE);
	parity = d->parity;
	/* G: retires after this count in the other half; kovan_flush() orders it. */
	WRITE_ONCE(d->parity, !parity);
	kovan_flush(d, true);
	target = kovan_retired_in(d, parity);
	wait_event(kovan_wait, (long)(atomic_long_read(&d->freed[parity]) - target) >= 0);
	clear_and_wake_up_bit(KOVAN_BARRIER_RUNNING, &d->state);
}
EXPORT_SYMBOL_NS_GPL(kovan_barrier, KOVAN_NS);

/* Whether a slot of @d is on the engine's list. */
static bool kovan_slots_listed(struct kovan_domain *d)
{
	struct kovan_slot *s;
	unsigned int idx;

	for (idx = 0; idx < kovan_nr_slots; idx++) {
		s = kovan_slot(d, idx);
		if (s && test_bit(KOVAN_SLOT_QUEUED, &s->engine_state))
			return true;
	}
	return false;
}

/* After kovan_barrier(): wait until no kovan worker will touch @d again. */
void kovan_domain_quiesce(struct kovan_domain *d)
{
	set_bit(KOVAN_DYING, &d->state);
	/*
	 * DYING before reading QUEUED; pairs with the flush worker's
	 * smp_mb__after_atomic() between its clear of QUEUED and its requests:
	 * a pass that missed DYING and put @d back is seen below.
	 */
	smp_mb__after_atomic();
	/*
	 * A grace period's end that missed DYING lists @d (its request for
	 * the next) before its I, and the flush worker may start one: look
	 * at both again until neither moved.
	 */
	do {
		do {
			wait_event(kovan_wait, !test_bit(KOVAN_FLUSH_QUEUED, &d->state));
			/* The pass that took @d off the list is over. */
			flush_work(&kovan_flush_work);
		} while (test_bit(KOVAN_FLUSH_QUEUED, &d->state));
		/*
		 * I: the worker's last touch of d happened before; pairs with
		 * kovan_reclaim_fn(). A batch still in flight now is held by a
		 * guard pinned in its slot (a caller bug at this point): say so,
		 * and wait.
		 */
		if (wait_event_timeout(kovan_wait, !atomic_long_read_acquire(&d->in_flight),
				       10 * HZ))
			continue;
		WARN_ONCE(1, "kovan: destroying %s waits for guards still pinned\n", d->name);
		/*
		 * Polled too: a grace period's empty batch, paid where a wait
		 * queue may not be woken (kovan_reclaim()), wakes nobody.
		 */
		while (!wait_event_timeout(kovan_wait, !atomic_long_read_acquire(&d->in_flight),
					   HZ))
			;
	} while (test_bit(KOVAN_FLUSH_QUEUED, &d->state));
	/*
	 * No batch waits on a slot of @d now, but an engine run may still be
	 * on its way out of the last cycle there (a run that parked listed its
	 * slot): wait for the list to let go of them, and for the pass.
	 */
	wait_event(kovan_wait, !kovan_slots_listed(d));
	flush_work(&kovan_engine_work);
}

int kovan_workers_start(void)
{
	struct kovan_reclaimer *r;
	int cpu;

	kovan_reclaimers = alloc_percpu(struct kovan_reclaimer);
	if (!kovan_reclaimers)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		r = per_cpu_ptr(kovan_reclaimers, cpu);
		init_llist_head(&r->batches);
		atomic_long_set(&r->backlog, 0);
		INIT_WORK(&r->work, kovan_reclaim_fn);
	}
	kovan_hrtimer_setup(&kovan_flush_timer, kovan_flush_timer_fn,
			    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	kovan_hrtimer_setup(&kovan_backstop_timer, kovan_backstop_timer_fn,
			    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	return 0;
}

/* Module exit: every domain is gone; stop the timers and drain the workers. */
void kovan_workers_stop(void)
{
	int cpu;

	hrtimer_cancel(&kovan_flush_timer);
	hrtimer_cancel(&kovan_backstop_timer);
	cancel_work_sync(&kovan_flush_work);
	irq_work_sync(&kovan_irq_work);
	cancel_work_sync(&kovan_engine_work);
	for_each_possible_cpu(cpu)
		flush_work(&per_cpu_ptr(kovan_reclaimers, cpu)->work);
	free_percpu(kovan_reclaimers);
}

int kovan_cpu_stats(int cpu, struct kovan_cpu_stats *s)
{
	struct kovan_reclaimer *r;

	memset(s, 0, sizeof(*s));
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	r = per_cpu_ptr(kovan_reclaimers, cpu);
	/* this_cpu_inc() counters of the CPU; approximate by design. */
	s->flush_timers = data_race(r->flush_timers);
	s->backstop_timers = data_race(r->backstop_timers);	/* As above. */
	s->kicks = data_race(r->kicks);				/* As above. */
	s->fence_ipis = data_race(r->fence_ipis);		/* As above. */
	s->reclaims = data_race(r->reclaims);			/* As above. */
	s->backlog = atomic_long_read(&r->backlog);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kovan_cpu_stats, KOVAN_NS);

/* True when no guard is pinned in any slot of @d. */
bool kovan_slots_idle(struct kovan_domain *d)
{
	struct kovan_slot *s;
	unsigned int idx;

	for (idx = 0; idx < kovan_nr_slots; idx++) {
		s = kovan_slot(d, idx);
		if (s && !kovan_slot_idle(s))
			return false;
	}
	return true;
}
