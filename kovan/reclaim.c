// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan reclamation: Hyaline-style reference counting over per-CPU slots.
 *
 * Algorithm (after Nikolaev & Ravindran, "Snapshot-Free, Transparent, and
 * Robust Memory Reclamation for Lock-Free Data Structures", PLDI 2021).
 *
 * Slots. Every CPU owns KOVAN_SLOTS_PER_CPU reader slots: a home slot and a
 * spare. There are K = kovan_nr_slots slots in all, a power of two; slot
 * numbers whose CPU is not possible are never used. A slot's head word
 * holds a reader count and the index of the newest batch of the slot's
 * list, packed in one long (internal.h), so that kovan_pin() is a single
 * fetch-and-add. A slot is not owned by anyone: a guard remembers which
 * slot it counts in and what the list head was when it pinned (its
 * handle), so it can unpin from any CPU, and interrupts nest on the same
 * slot like any reader.
 *
 * Batches. kovan_retire() chains objects on its CPU; every kovan_batch_size
 * objects (or when the flush worker or kovan_barrier() asks) the chain is
 * handed to a batch header from the pool (batch.c) and the batch is closed:
 * it is pushed onto the list of every slot that has readers (the readers'
 * count is kept), and slots without readers are skipped. The header has one
 * link per slot, so a batch of any size, even one object, can be closed;
 * nodes need only the two words of struct kovan_node.
 *
 * Counting. A batch's refs counter receives exactly one "share" per slot:
 *  (a) the closer skipped the slot: it adds SHARE itself;
 *  (b) a later batch pushed on top of it: that closer adds SHARE + h, h the
 *      slot's readers at the push, all of which pinned below the batch and
 *      will each subtract 1 when they unpin and walk over it;
 *  (c) it was still the head when the slot's last reader left: that reader
 *      adds SHARE (every reader that left before skipped it, as the head is
 *      not walked).
 * SHARE is 2^BITS_PER_LONG / K, so K shares sum to 0 modulo 2^BITS_PER_LONG
 * and refs is zero exactly when every slot has paid its share and every
 * counted reader has subtracted its 1, in whatever order they arrive. Before
 * that it is j * SHARE + r with 0 < j < K and |r| < SHARE, never 0, or the
 * negative sum of early subtractions. Whoever brings refs to zero queues the
 * batch for the reclaim worker; frees never run in the reader's context.
 *
 * Unpin. A reader replaces the head word by (readers - 1), or by an empty
 * word if it is the last reader, in one compare-and-swap; then it pays (c)
 * if it was the last, and walks its slot's list from the entry below the
 * head it replaced down to its handle, subtracting 1 from each batch. Those
 * batches were all pushed after it pinned, so each counted it in (b).
 *
 * Why the safety holds. An object is freed only when refs hits zero, which
 * needs a share from every slot. A reader pinned before the retire of an
 * object O is counted in its slot at the close of O's batch (barriers A and
 * C below), so that slot's share for O's batch only arrives with (b) or (c),
 * which count the reader, and the reader subtracts only after it unpinned.
 *
 * Robust mode (KOVAN_ROBUST, Hyaline-S). kovan_node_init() stamps a birth
 * era; a guard makes its slot's access era cover every object it loads
 * (kovan_load() raises the slot's access era to the domain's era when the
 * era moved, then loads again). A close skips a slot whose access era is
 * older than the oldest birth in the batch: its readers hold nothing born
 * that late, unless they follow a link stored in an object after they
 * loaded it, which is why kovan.h restricts links read out of unpublished
 * objects to older objects. A slot counts the walks its readers owe (one
 * per reader and push, paid back as they unpin); when, right after a push,
 * they exceed one per reader counted in it by more than
 * kovan_stall_batches, some reader has stayed for that many pushes: the
 * slot is marked stalled until it is empty again. Pins avoid a stalled
 * slot, and a guard of a stalled slot whose era moves counts itself in an
 * empty slot too and raises that one's era from then on (a move, once per
 * guard). So a stalled reader's slot is marked within kovan_stall_batches
 * + 2 pushes, its era stops rising once the pins and loads that started
 * before the mark are done, and later batches skip it unless they hold an
 * object born before that: the bound in kovan.h.
 *
 * Barriers (letters are cross-referenced at each site):
 *  A kovan_pin()'s fetch-and-add (and a move's compare-and-swap) is fully
 *    ordered: the reader counts in the slot before it loads any pointer.
 *    Pairs with C.
 *  B kovan_unpin()'s compare-and-swap and each walk decrement are fully
 *    ordered: the reader's accesses to objects happen before the RMW that
 *    lets refs reach zero. Pairs with D.
 *  C kovan_close_batch() runs smp_mb() after the objects were unpublished
 *    and before it reads any slot: a reader that could still load an object
 *    is seen in its slot (against A) and with its access era (against E).
 *  D The RMW that brings refs to zero is fully ordered: the reclaim worker
 *    runs after every access B ordered.
 *  E kovan_load_slow() raises the access era, then smp_mb(), then reloads
 *    the pointer. Pairs with C.
 *  F A batch's links (next[], objects, counts) are written before the
 *    compare-and-swap that pushes it (fully ordered); readers reach them
 *    through their own fully ordered RMW on the same slot word.
 *  G The parity switch in kovan_barrier() is ordered against retires by
 *    the per-CPU batch locks that kovan_flush() takes after it.
 *  H kovan_flush_fn() reads a domain's flush-list link before it clears
 *    KOVAN_FLUSH_QUEUED (clear_bit_unlock(), a release): once the bit is
 *    clear, a retire may queue the domain again and rewrite that link, and
 *    the worker must not follow the new one. Pairs with the fully ordered
 *    test_and_set_bit() in kovan_request_flush().
 *  I The reclaim worker's decrement of a domain's in_flight is a release,
 *    its last access to the domain: its frees' counts are written before.
 *    Pairs with the acquire in kovan_domain_quiesce(), after which the
 *    owner may free the domain.
 */

#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/kcsan-checks.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "internal.h"

/*
 * Module-wide workers, shared by every domain so that a domain needs no
 * initialisation beyond its per-CPU part (DEFINE_KOVAN_DOMAIN()).
 */
static LLIST_HEAD(kovan_reclaim_list);	/* batches nobody references */
static LLIST_HEAD(kovan_flush_list);	/* domains with partly filled batches */
static void kovan_reclaim_fn(struct work_struct *work);
static void kovan_reclaim_irq_fn(struct irq_work *work);
static void kovan_flush_fn(struct work_struct *work);
static DECLARE_WORK(kovan_reclaim_work, kovan_reclaim_fn);
static DEFINE_IRQ_WORK(kovan_reclaim_irq_work, kovan_reclaim_irq_fn);
static DECLARE_WORK(kovan_flush_work, kovan_flush_fn);
/* Lets a partly filled batch gather objects for kovan_flush_us first. */
static struct hrtimer kovan_flush_timer;
static atomic_t kovan_flush_armed = ATOMIC_INIT(0);
/* kovan_barrier() and kovan_domain_quiesce() wait here for the reclaim worker. */
static DECLARE_WAIT_QUEUE_HEAD(kovan_wait);

static inline unsigned long head_index(unsigned long head)
{
	return head >> KOVAN_READER_BITS;
}

static inline struct kovan_batch *head_batch(unsigned long head)
{
	return head_index(head) ? kovan_batch_at(head_index(head)) : NULL;
}

static inline unsigned long head_readers(unsigned long head)
{
	return head & KOVAN_READER_MASK;
}

static inline unsigned long make_head(struct kovan_batch *b, unsigned long readers)
{
	return (unsigned long)b->index << KOVAN_READER_BITS | readers;
}

/* Slot @idx, or NULL when no CPU will ever own it. */
static struct kovan_slot *kovan_slot(struct kovan_domain *d, unsigned int idx)
{
	unsigned int cpu = idx / KOVAN_SLOTS_PER_CPU;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return NULL;
	return &per_cpu_ptr(d->pcpu, cpu)->slot[idx % KOVAN_SLOTS_PER_CPU];
}

static bool kovan_robust(const struct kovan_domain *d)
{
	return d->flags & KOVAN_ROBUST;
}

/* Hand a batch nobody references any more to the reclaim worker. */
static void kovan_reclaim(struct kovan_batch *b)
{
	atomic_long_add(b->count[0] + b->count[1], &b->domain->queued);
	if (!llist_add(&b->reclaim, &kovan_reclaim_list))
		return;
	if (in_nmi())
		irq_work_queue(&kovan_reclaim_irq_work);
	else
		queue_work(kovan_wq, &kovan_reclaim_work);
}

/* Ask the flush worker to close @d's partly filled batches soon. */
static void kovan_request_flush(struct kovan_domain *d)
{
	/*
	 * A domain being destroyed had its batches closed by its barrier; a
	 * request now would put it back on the list after it is freed. Pairs
	 * with the smp_mb__after_atomic() in kovan_domain_quiesce().
	 */
	if (test_bit(KOVAN_DYING, &d->state))
		return;
	/* H: fully ordered; the worker is done with the old link. */
	if (test_and_set_bit(KOVAN_FLUSH_QUEUED, &d->state))
		return;
	llist_add(&d->flush_node, &kovan_flush_list);
	/* Fully ordered after the add; pairs with the clear in kovan_flush_fn(). */
	if (!atomic_xchg(&kovan_flush_armed, 1))
		hrtimer_start(&kovan_flush_timer,
			      ns_to_ktime((u64)READ_ONCE(kovan_flush_us) * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

static enum hrtimer_restart kovan_flush_timer_fn(struct hrtimer *timer)
{
	queue_work(kovan_wq, &kovan_flush_work);
	return HRTIMER_NORESTART;
}

static void kovan_adjust(struct kovan_batch *b, unsigned long delta)
{
	/* D: fully ordered; the zero crossing happens after every B. */
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

/*
 * Robust: when the slot was marked as maybe holding a stalled reader (0:
 * it is not). An empty slot holds nobody, whatever its mark says.
 */
static u64 kovan_slot_stalled(struct kovan_slot *s, unsigned long head)
{
	return head ? READ_ONCE(s->stalled) : 0;	/* A hint set by closers; no ordering. */
}

/*
 * Robust: the @readers of @s owe one walk more each. Right after a push
 * every reader counted in it owes at least one, so what they owe beyond
 * that is the pushes they have stayed for: past kovan_stall_batches, mark
 * the slot stalled, with the time for kovan_pick_slot().
 */
static void kovan_owe(struct kovan_slot *s, unsigned long readers)
{
	long owed = atomic_long_add_return(readers, &s->owed);

	if (owed - (long)readers > (long)READ_ONCE(kovan_stall_batches) && !READ_ONCE(s->stalled))
		/* A hint for pins and loads; no ordering. */
		WRITE_ONCE(s->stalled, ktime_get_mono_fast_ns() | 1);
}

/*
 * Robust: a reader of @s that owes @walks walks is about to leave; @readers
 * remain after it. Once what they owe beyond one walk each is back to half
 * the limit, the reader that made the slot look stalled has gone: unmark.
 */
static void kovan_repay(struct kovan_slot *s, unsigned long walks, unsigned long readers)
{
	long owed = atomic_long_sub_return(walks, &s->owed);
	long limit = READ_ONCE(kovan_stall_batches);

	if (READ_ONCE(s->stalled) && owed - (long)readers <= limit / 2)
		WRITE_ONCE(s->stalled, 0);	/* A hint for pins and loads; no ordering. */
}

/*
 * Pick the slot to pin: the CPU's home slot unless it is crowded or, in a
 * robust domain, stalled or holding a guard that moved there; then the
 * CPU's spare and the other slots in turn. When every slot is, the stalled
 * one marked last: a slot that stays marked the longest holds a reader
 * stalled for good, slots marked since hold readers that were only slow.
 * A slot a guard moved to is taken only when nothing else is left. Called
 * with preemption off, so the check and the fetch-and-add of a pin on this
 * CPU cannot be separated by other pins of this CPU's tasks.
 */
static unsigned int kovan_pick_slot(struct kovan_domain *d, unsigned int cpu)
{
	unsigned int first = cpu * KOVAN_SLOTS_PER_CPU, idx = first, best = first;
	bool robust = kovan_robust(d);
	u64 marked, latest = 0;
	struct kovan_slot *s;
	unsigned long head;

	do {
		s = kovan_slot(d, idx);
		head = s ? atomic_long_read(&s->head) : 0;
		if (s && head_readers(head) < KOVAN_READER_LIMIT) {
			if (!robust)
				return idx;
			marked = kovan_slot_stalled(s, head);
			if (!marked && !atomic_read(&s->movers))
				return idx;
			this_cpu_inc(d->pcpu->stall_avoids);
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
	g->robust = false;
}

void kovan_pin(struct kovan_domain *d, struct kovan_guard *g)
{
	/* A domain pinned while it is destroyed is a caller bug; no ordering. */
	unsigned int flags = READ_ONCE(d->flags);
	struct kovan_slot *s;
	unsigned long head;
	unsigned int idx;

	if (unlikely(!d->pcpu || (flags & KOVAN_DOMAIN_DEAD))) {
		kovan_pin_bad(d, g, flags);
		return;
	}
	preempt_disable();
	idx = kovan_pick_slot(d, smp_processor_id());
	s = kovan_slot(d, idx);
	g->robust = flags & KOVAN_ROBUST;
	if (g->robust)
		g->era = kovan_raise_access(s, atomic64_read(&d->era));
	head = atomic_long_fetch_add(1, &s->head);	/* A: pairs with C. */
	preempt_enable();

	WARN_ONCE(head_readers(head) >= KOVAN_READER_LIMIT + KOVAN_READER_LIMIT / 2,
		  "kovan: %lu guards pinned in one slot\n", head_readers(head));
	g->domain = d;
	g->slot = s;
	g->idx = idx;
	g->handle = head_index(head);
	g->moved = NULL;
	if (g->robust)
		g->pushes = atomic_long_read(&s->pushes);
}
EXPORT_SYMBOL_NS_GPL(kovan_pin, KOVAN_NS);

/*
 * Robust: @g has stayed in a stalled slot for more than kovan_stall_batches
 * pushes, and every era it raises there is one more batch that a reader
 * stalled there may hold. Count in an empty slot too and raise that one's
 * era from now on (a move, once per guard); pins stay away from a slot
 * with a mover in it. With no empty slot, try again at the next load.
 */
static void kovan_move(struct kovan_guard *g)
{
	struct kovan_domain *d = g->domain;
	struct kovan_slot *s;
	unsigned long head;
	unsigned int i, idx;

	for (i = 1; i < kovan_nr_slots; i++) {
		idx = (g->idx + i) & (kovan_nr_slots - 1);
		s = kovan_slot(d, idx);
		/* A read first: a failed compare-and-swap takes the line all the same. */
		if (!s || atomic_long_read(&s->head))
			continue;
		head = 0;
		/* A: an empty slot, now counting us, before we load through it. */
		if (!atomic_long_try_cmpxchg(&s->head, &head, 1))
			continue;
		atomic_inc(&s->movers);
		g->moved = s;
		g->moved_idx = idx;
		this_cpu_inc(d->pcpu->moves);
		return;
	}
}

/* Robust: @g is in a stalled slot and has stayed there long itself. */
static bool kovan_should_move(struct kovan_guard *g)
{
	long stayed = atomic_long_read(&g->slot->pushes) - (long)g->pushes;

	return stayed > (long)READ_ONCE(kovan_stall_batches) &&
	       kovan_slot_stalled(g->slot, atomic_long_read(&g->slot->head));
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
		s = g->moved ?: g->slot;
		era = atomic64_read(&g->domain->era);
		g->era = kovan_raise_access(s, era);
		smp_mb(); /* E: access era before the reload; pairs with C. */
		p = smp_load_acquire(pp);	/* Pointer before the era check. */
		if (atomic64_read(&g->domain->era) <= g->era)
			return p;
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_load_slow, KOVAN_NS);

/*
 * Subtract a reader's 1 from every batch from @b down to the batch of
 * index @stop (0: to the end of the list) in slot @idx's list.
 */
static void kovan_walk(struct kovan_batch *b, unsigned long stop, unsigned int idx)
{
	struct kovan_batch *next;
	bool last;

	while (b) {
		/* Read before our decrement: b may be freed right after it. */
		next = READ_ONCE(b->next[idx]);
		last = b->index == stop;
		/* B, D: fully ordered. */
		if (!atomic_long_dec_return(&b->refs))
			kovan_reclaim(b);
		if (last)
			break;
		b = next;
	}
}

/* The batches kovan_walk() would walk; our count keeps them all. */
static unsigned long kovan_walks(struct kovan_batch *b, unsigned long stop, unsigned int idx)
{
	unsigned long walks = 0;

	for (; b; b = READ_ONCE(b->next[idx])) {	/* Links written before F. */
		walks++;
		if (b->index == stop)
			break;
	}
	return walks;
}

/*
 * Leave slot @s (number @idx) that the guard pinned with @handle at its
 * head; @robust: settle the walks owed and the marks first; @mover: the
 * guard moved here. Everything written to @s comes before the
 * compare-and-swap that drops our count: once it is in, the slot may be
 * idle, and a kovan_domain_destroy() may free it.
 */
static void kovan_leave(struct kovan_slot *s, unsigned int idx, unsigned long handle,
			bool robust, bool mover)
{
	struct kovan_batch *cur, *below = NULL;
	unsigned long head, new, counted = handle, walks = 0, repaid = 0;

	if (mover)
		atomic_dec(&s->movers);
	head = atomic_long_read(&s->head);
	do {
		if (IS_ENABLED(CONFIG_KOVAN_DEBUG) && WARN_ON_ONCE(!head_readers(head)))
			return;
		cur = head_batch(head);
		/* Our count still protects cur: it was pushed after we pinned. */
		if (head_index(head) != handle)
			below = READ_ONCE(cur->next[idx]);
		new = head_readers(head) == 1 ? 0 : head - 1;
		/* Pushes between our retries only add batches: count and repay those. */
		if (robust && head_index(head) != counted) {
			walks += kovan_walks(below, counted, idx);
			counted = head_index(head);
		}
		if (robust && (walks > repaid || !new))
			kovan_repay(s, walks - repaid, head_readers(new));
		repaid = walks;
	} while (!atomic_long_try_cmpxchg(&s->head, &head, new));	/* B: pairs with D. */

	/* (c): the last reader pays the share of the head it detached. */
	if (!new && cur)
		kovan_adjust(cur, kovan_share);
	if (head_index(head) != handle)
		kovan_walk(below, handle, idx);
}

void kovan_unpin(struct kovan_guard *g)
{
	if (unlikely(!g->slot)) {
		/* A guard of a failed pin has no domain and needs nothing. */
		WARN_ONCE(g->domain, "kovan: %s() of a guard not pinned\n", __func__);
		return;
	}
	/* The moved-to slot first: our count in g->slot keeps the domain's slots alive. */
	if (g->moved)
		kovan_leave(g->moved, g->moved_idx, 0, true, true);
	kovan_leave(g->slot, g->idx, g->handle, g->robust, false);
	g->slot = NULL;
}
EXPORT_SYMBOL_NS_GPL(kovan_unpin, KOVAN_NS);

/*
 * Push a filled batch onto every slot with readers; pay the skipped slots'
 * shares. A @cover (robust) skips slots marked stalled: pins stay away from
 * them, and their stalled reader would hold every cover. The batch may be
 * freed by others as soon as its last share is in, so nothing here touches
 * it after that point. Returns whether it went onto a slot with readers,
 * where it is the head until a later push.
 */
static bool kovan_close_batch(struct kovan_domain *d, struct kovan_batch *b, bool cover)
{
	bool robust = kovan_robust(d);
	unsigned long skipped = 0;
	struct kovan_slot *s;
	unsigned long head;
	unsigned int idx;

	atomic_long_inc(&d->in_flight);
	smp_mb(); /* C: unpublish, or a cover's clear_bit, before reading slots; pairs with A, E. */
	for (idx = 0; idx < kovan_nr_slots; idx++) {
		s = kovan_slot(d, idx);
		if (!s) {
			skipped++;
			continue;
		}
		if (robust && (s64)(atomic64_read(&s->access) - b->min_birth) < 0) {
			this_cpu_inc(d->pcpu->era_skips);
			skipped++;
			continue;
		}
		head = atomic_long_read(&s->head);
		if (robust && cover && kovan_slot_stalled(s, head)) {
			skipped++;
			continue;
		}
		do {
			if (!head_readers(head))
				break;
			b->next[idx] = head_batch(head);
		} while (!atomic_long_try_cmpxchg(&s->head, &head,
						  make_head(b, head_readers(head)))); /* F */
		if (!head_readers(head)) {
			skipped++;
			continue;
		}
		if (robust)
			atomic_long_inc(&s->pushes);
		if (!head_index(head))
			continue;
		/* (b): the batch we covered gets its share and our readers' count. */
		if (robust)
			kovan_owe(s, head_readers(head));
		kovan_adjust(head_batch(head), kovan_share + head_readers(head));
	}
	/* (a); also when every slot was skipped, where the sum wraps to zero. */
	if (skipped)
		kovan_adjust(b, skipped * kovan_share);
	return skipped != kovan_nr_slots;
}

/*
 * A batch that went onto a slot with readers is the slot's head, and a
 * head gets that slot's share only from a later push or when the slot
 * empties: readers that keep overlapping there, pinned after the batch,
 * would hold it without end. Its closer asks for a cover: an empty batch
 * the flush worker pushes flush_us later, unless kovan_barrier() or
 * kovan_synchronize() cover it first (kovan_cover()).
 */
static void kovan_close_covered(struct kovan_domain *d, struct kovan_batch *b)
{
	if (kovan_close_batch(d, b, false)) {
		/* After our pushes: fully ordered; pairs with C after kovan_cover()'s clear. */
		if (!test_and_set_bit(KOVAN_COVER_NEEDED, &d->state))
			kovan_request_flush(d);
	}
}

/* Push an empty batch over every slot with readers: their heads get their shares. */
static void kovan_cover(struct kovan_domain *d, struct kovan_batch *b)
{
	clear_bit(KOVAN_COVER_NEEDED, &d->state);
	kovan_close_batch(d, b, true);
}

/* Move the objects collected on @cb into @b. Called with cb->lock held. */
static void kovan_fill_batch(struct kovan_cpu_batch *cb, struct kovan_batch *b)
{
	b->objects = cb->first;
	b->count[0] = cb->count[0];
	b->count[1] = cb->count[1];
	b->min_birth = cb->min_birth;
	WRITE_ONCE(cb->first, NULL);	/* kovan_flush() peeks without the lock. */
	cb->count[0] = 0;
	cb->count[1] = 0;
	cb->batches++;
}

static void kovan_retire_node(struct kovan_domain *d, struct kovan_node *n,
			      void (*free_fn)(struct kovan_node *n))
{
	struct kovan_cpu_batch *cb;
	struct kovan_batch *b;
	unsigned int parity;
	unsigned long flags;
	u64 birth = n->birth;	/* Shares its word with free_fn. */
	bool opened, full;

	/* The batch lock is not NMI-safe: leak rather than deadlock. */
	if (WARN_ON_ONCE(in_nmi()))
		return;
	/* A birth from the future was never stamped: the oldest is safe. */
	if (kovan_robust(d) && (s64)(birth - atomic64_read(&d->era)) > 0) {
		WARN_ONCE(1, "kovan: retire of a node kovan_node_init() never stamped\n");
		birth = 0;
	}
	n->free_fn = free_fn;

	local_irq_save(flags);
	cb = this_cpu_ptr(&d->pcpu->cb);
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
		kovan_request_flush(d);
	if (!full)
		return;

	/*
	 * Take a header outside the raw lock. The batch filled is the one of
	 * the CPU we ran on, @cb, wherever we run now; the flush worker may
	 * have closed it meanwhile.
	 */
	b = kovan_batch_get(d);
	if (!b) {
		kovan_request_flush(d);
		return;
	}
	raw_spin_lock_irqsave(&cb->lock, flags);
	if (cb->first)
		kovan_fill_batch(cb, b);
	raw_spin_unlock_irqrestore(&cb->lock, flags);
	if (b->objects)
		kovan_close_covered(d, b);
	else
		kovan_batch_put(b);
}

void kovan_retire(struct kovan_domain *d, struct kovan_node *n,
		  void (*free_fn)(struct kovan_node *n))
{
	if (WARN_ONCE(!d || !n || !free_fn, "kovan: retire with a NULL argument\n"))
		return;
	kovan_retire_node(d, n, free_fn);
}
EXPORT_SYMBOL_NS_GPL(kovan_retire, KOVAN_NS);

void __kovan_retire_kfree(struct kovan_domain *d, struct kovan_node *n, unsigned long offset)
{
	kovan_retire_node(d, n, (void (*)(struct kovan_node *))offset);
}
EXPORT_SYMBOL_NS_GPL(__kovan_retire_kfree, KOVAN_NS);

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
		if (cb->first && !all && (s64)(older_than - cb->opened) < 0)
			again = true;
		else if (cb->first)
			kovan_fill_batch(cb, b);
		raw_spin_unlock_irqrestore(&cb->lock, flags);
		if (b->objects) {
			if (!all)
				this_cpu_inc(d->pcpu->aged_batches);
			kovan_close_covered(d, b);
			b = NULL;
		}
		cond_resched();
	}
	if (b)
		kovan_batch_put(b);
	if (again)
		kovan_request_flush(d);
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
		/* Closes since the last pass left heads to cover; a new close asks again. */
		if (test_bit(KOVAN_COVER_NEEDED, &d->state)) {
			struct kovan_batch *b = kovan_batch_get(d);

			if (b)
				kovan_cover(d, b);
			else
				kovan_request_flush(d);
		}
	}
	/* kovan_domain_quiesce() waits for its domain to leave the list. */
	if (wq_has_sleeper(&kovan_wait))
		wake_up_all(&kovan_wait);
}

static void kovan_free_node(struct kovan_node *n)
{
	unsigned long offset = (unsigned long)n->free_fn;

	if (offset < 4096)
		kfree((void *)n - offset);
	else
		n->free_fn(n);
}

static void kovan_reclaim_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&kovan_reclaim_list);
	struct kovan_batch *b, *tmp;
	struct kovan_node *n, *next;
	struct completion *done;
	unsigned int count[2];
	struct kovan_domain *d;

	llist_for_each_entry_safe(b, tmp, list, reclaim) {
		d = b->domain;
		for (n = b->objects; n; n = next) {
			next = n->next;
			kovan_free_node(n);
		}
		count[0] = b->count[0];
		count[1] = b->count[1];
		done = b->done;
		kovan_batch_put(b);
		atomic_long_inc(&d->batches_freed);
		atomic_long_sub(count[0] + count[1], &d->queued);
		atomic_long_add(count[0], &d->freed[0]);
		atomic_long_add(count[1], &d->freed[1]);
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

static void kovan_reclaim_irq_fn(struct irq_work *work)
{
	queue_work(kovan_wq, &kovan_reclaim_work);
}

void kovan_synchronize(struct kovan_domain *d)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct kovan_batch *b;

	might_sleep();
	b = kovan_batch_get_wait(d);
	b->done = &done;
	/* min_birth 0: no slot is old enough to be skipped. */
	if (kovan_close_batch(d, b, false))
		/* Covered at once: guards pinned after this call must not hold it. */
		kovan_cover(d, kovan_batch_get_wait(d));
	wait_for_completion(&done);
}
EXPORT_SYMBOL_NS_GPL(kovan_synchronize, KOVAN_NS);

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
	wait_on_bit_lock(&d->state, KOVAN_BARRIER_RUNNING, TASK_UNINTERRUPTIBLE);
	parity = d->parity;
	/* G: retires after this count in the other half; kovan_flush() orders it. */
	WRITE_ONCE(d->parity, !parity);
	kovan_flush(d, true);
	/* The batches just closed are heads: covered at once, not by the worker. */
	if (test_bit(KOVAN_COVER_NEEDED, &d->state))
		kovan_cover(d, kovan_batch_get_wait(d));
	target = kovan_retired_in(d, parity);
	wait_event(kovan_wait, (long)(atomic_long_read(&d->freed[parity]) - target) >= 0);
	clear_and_wake_up_bit(KOVAN_BARRIER_RUNNING, &d->state);
}
EXPORT_SYMBOL_NS_GPL(kovan_barrier, KOVAN_NS);

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
	do {
		wait_event(kovan_wait, !test_bit(KOVAN_FLUSH_QUEUED, &d->state));
		flush_work(&kovan_flush_work);	/* The pass that took @d off the list is over. */
	} while (test_bit(KOVAN_FLUSH_QUEUED, &d->state));
	/*
	 * I: the worker's last touch of d happened before; pairs with
	 * kovan_reclaim_fn(). A batch still in flight now is held by a guard
	 * pinned in its slot (a caller bug at this point): say so, and wait.
	 */
	if (!wait_event_timeout(kovan_wait, !atomic_long_read_acquire(&d->in_flight), 10 * HZ)) {
		WARN_ONCE(1, "kovan: destroying %s waits for guards still pinned\n", d->name);
		wait_event(kovan_wait, !atomic_long_read_acquire(&d->in_flight));
	}
}

void kovan_workers_start(void)
{
	kovan_hrtimer_setup(&kovan_flush_timer, kovan_flush_timer_fn,
			    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}

/* Module exit: every domain is gone; stop the timers and drain the workers. */
void kovan_workers_stop(void)
{
	hrtimer_cancel(&kovan_flush_timer);
	cancel_work_sync(&kovan_flush_work);
	irq_work_sync(&kovan_reclaim_irq_work);
	flush_work(&kovan_reclaim_work);
}

/* True when no guard is pinned in any slot of @d. */
bool kovan_slots_idle(struct kovan_domain *d)
{
	struct kovan_slot *s;
	unsigned int idx;

	for (idx = 0; idx < kovan_nr_slots; idx++) {
		s = kovan_slot(d, idx);
		if (s && head_readers(atomic_long_read(&s->head)))
			return false;
	}
	return true;
}
