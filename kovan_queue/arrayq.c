// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_arrayq: bounded MPMC queue with per-slot stamps (after Dmitry
 * Vyukov's bounded MPMC queue).
 *
 * Positions. head and tail are positions "lap | index": index < capacity,
 * lap a multiple of one_lap = roundup_pow_of_two(capacity + 1), so the index
 * bits never carry into the lap bits and the capacity stays exact. The
 * position after (lap | capacity - 1) is (lap + one_lap | 0).
 *
 * Barriers are lettered AQ-A to AQ-E, apart from kovan's and the other
 * queues'.
 *
 * Stamps. Slot i's stamp says whose turn it is: stamp == pos means "empty,
 * a push at pos may fill it"; stamp == pos + 1 means "full, a pop at pos may
 * empty it"; a pop at pos hands the slot to the push one lap later by
 * storing pos + one_lap. A push claims pos by moving tail with a
 * compare-and-swap, writes the item, and publishes it with a release store
 * of the stamp (AQ-A); a pop claims pos by moving head, reads the item, and
 * frees the slot with a release store of the stamp (AQ-B). Each side reads the
 * stamp with an acquire (pairs with the other side's AQ-A or AQ-B), so the item
 * written before A is read after it, and the next push's write comes after
 * the pop's read.
 *
 * Full and empty. A push that finds the slot still holding the item of the
 * previous lap checks head after a full barrier (AQ-C): head + one_lap == tail
 * means full. A pop that finds the slot not yet filled checks tail the same
 * way (AQ-D): tail == head means empty. Otherwise a peer is between claim and
 * publish, and the caller retries.
 *
 * Backoff. A one-item push or pop that lost its claim or waits for a
 * peer's publish spins 1, 2, 4, ... 64 times before looking again: the
 * losers stop pulling the contended line from the winner, and a consumer
 * that caught up with its producer falls back far enough that the two stop
 * sharing slot lines. The bulk claims retry at once and fall back to the
 * one-item path when their run is not ready.
 *
 * The claim-to-publish window runs with interrupts off, so a peer that holds
 * a claimed slot is always running: waits are bounded, also when the waiter
 * is an interrupt on the CPU of a task that uses the queue.
 */

#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <kovan/arrayq.h>

#include "../kovan/fault.h"

struct kovan_arrayq_slot {
	unsigned long stamp;
	void *item;
};

/* Lines are prefetched in pairs: head, tail and the rest a pair apart. */
struct kovan_arrayq {
	atomic_long_t head __aligned(2 * SMP_CACHE_BYTES);
	atomic_long_t tail __aligned(2 * SMP_CACHE_BYTES);
	unsigned int capacity __aligned(2 * SMP_CACHE_BYTES);
	unsigned long one_lap;
	struct kovan_arrayq_slot slots[] __aligned(2 * SMP_CACHE_BYTES);
};

/* Spin 2^@step times, and double that for the next call, up to 64. */
static void kovan_arrayq_backoff(unsigned int *step)
{
	unsigned int i;

	for (i = 0; i < 1U << *step; i++)
		cpu_relax();
	if (*step < 6)
		(*step)++;
}

static unsigned long kovan_arrayq_next(const struct kovan_arrayq *q, unsigned long pos)
{
	unsigned long index = pos & (q->one_lap - 1);

	return index + 1 < q->capacity ? pos + 1 : (pos & ~(q->one_lap - 1)) + q->one_lap;
}

struct kovan_arrayq *kovan_arrayq_create(unsigned int capacity, gfp_t gfp)
{
	struct kovan_arrayq *q;
	unsigned int i;

	/* Memory target (doc/targets.md): at most two words per slot. */
	BUILD_BUG_ON(sizeof(struct kovan_arrayq_slot) > 2 * sizeof(void *));
	if (!capacity || capacity > KOVAN_ARRAYQ_MAX_CAPACITY)
		return ERR_PTR(-EINVAL);
	if (kovan_should_fail_alloc(gfp, struct_size(q, slots, capacity)))
		return ERR_PTR(-ENOMEM);
	q = kvmalloc(struct_size(q, slots, capacity), gfp);
	if (!q)
		return ERR_PTR(-ENOMEM);
	atomic_long_set(&q->head, 0);
	atomic_long_set(&q->tail, 0);
	q->capacity = capacity;
	q->one_lap = roundup_pow_of_two((unsigned long)capacity + 1);
	for (i = 0; i < capacity; i++) {
		q->slots[i].stamp = i;
		q->slots[i].item = NULL;
	}
	return q;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_create, KOVAN_NS);

void kovan_arrayq_destroy(struct kovan_arrayq *q, void (*dtor)(void *item))
{
	void *item;

	if (!q)
		return;
	while ((item = kovan_arrayq_pop(q)))
		if (dtor)
			dtor(item);
	kvfree(q);
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_destroy, KOVAN_NS);

/*
 * Claim the tail place and publish @item there. A full queue returns
 * -ENOSPC, unless @displaced is given: then the oldest item is popped into
 * it in the same step (AQ-E) and @item takes its place.
 */
static int kovan_arrayq_push_one(struct kovan_arrayq *q, void *item, void **displaced)
{
	struct kovan_arrayq_slot *slot;
	unsigned long tail, head, stamp, flags;
	unsigned int step = 0;

	tail = atomic_long_read(&q->tail);
	for (;;) {
		slot = &q->slots[tail & (q->one_lap - 1)];
		stamp = smp_load_acquire(&slot->stamp);	/* Pairs with AQ-B. */
		if (stamp == tail) {
			local_irq_save(flags);
			if (atomic_long_try_cmpxchg_relaxed(&q->tail, &tail,
							    kovan_arrayq_next(q, tail))) {
				WRITE_ONCE(slot->item, item);
				smp_store_release(&slot->stamp, tail + 1);	/* AQ-A */
				local_irq_restore(flags);
				return 0;
			}
			local_irq_restore(flags);
			kovan_arrayq_backoff(&step);
			continue;
		}
		if (stamp + q->one_lap == tail + 1) {
			smp_mb(); /* AQ-C: the full slot before head; pairs with the pop's claim. */
			head = atomic_long_read(&q->head);
			if (head + q->one_lap == tail) {
				if (!displaced)
					return -ENOSPC;
				local_irq_save(flags);
				/*
				 * AQ-E: claim the oldest item as a pop would. Its
				 * slot is the tail slot, whose stamp keeps
				 * every other push off until AQ-A, so moving tail
				 * is ours alone.
				 */
				if (atomic_long_try_cmpxchg_relaxed(&q->head, &head,
								    kovan_arrayq_next(q, head))) {
					atomic_long_set(&q->tail, kovan_arrayq_next(q, tail));
					*displaced = READ_ONCE(slot->item);
					WRITE_ONCE(slot->item, item);
					smp_store_release(&slot->stamp, tail + 1);	/* AQ-A */
					local_irq_restore(flags);
					return 0;
				}
				local_irq_restore(flags);
			}
		}
		kovan_arrayq_backoff(&step);
		tail = atomic_long_read(&q->tail);
	}
}

int kovan_arrayq_push(struct kovan_arrayq *q, void *item)
{
	if (!item)
		return -EINVAL;
	return kovan_arrayq_push_one(q, item, NULL);
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_push, KOVAN_NS);

void *kovan_arrayq_force_push(struct kovan_arrayq *q, void *item)
{
	void *displaced = NULL;

	if (!item)
		return ERR_PTR(-EINVAL);
	kovan_arrayq_push_one(q, item, &displaced);
	return displaced;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_force_push, KOVAN_NS);

void *kovan_arrayq_pop(struct kovan_arrayq *q)
{
	struct kovan_arrayq_slot *slot;
	unsigned long head, stamp, flags;
	unsigned int step = 0;
	void *item;

	head = atomic_long_read(&q->head);
	for (;;) {
		slot = &q->slots[head & (q->one_lap - 1)];
		stamp = smp_load_acquire(&slot->stamp);	/* Pairs with AQ-A. */
		if (stamp == head + 1) {
			local_irq_save(flags);
			if (atomic_long_try_cmpxchg_relaxed(&q->head, &head,
							    kovan_arrayq_next(q, head))) {
				item = READ_ONCE(slot->item);
				smp_store_release(&slot->stamp, head + q->one_lap);	/* AQ-B */
				local_irq_restore(flags);
				return item;
			}
			local_irq_restore(flags);
			kovan_arrayq_backoff(&step);
			continue;
		}
		if (stamp == head) {
			smp_mb(); /* AQ-D: empty slot before tail; pairs with the push's claim. */
			if (atomic_long_read(&q->tail) == head)
				return NULL;
		}
		kovan_arrayq_backoff(&step);
		head = atomic_long_read(&q->head);
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_pop, KOVAN_NS);

/*
 * Places from @pos on whose stamps equal pos + @full (0: empty for a push,
 * 1: filled for a pop), at most @n: the run one claim may take. Each stamp
 * is read with an acquire, pairing with the AQ-B (push) or AQ-A (pop) that made
 * the place ready, so the run's items may be written or read after the
 * claim.
 */
static unsigned int kovan_arrayq_ready_run(struct kovan_arrayq *q, unsigned long pos,
					   unsigned long full, unsigned int n)
{
	unsigned long stamp;
	unsigned int ready;

	for (ready = 0; ready < n; ready++) {
		/* Pairs with AQ-B for a push, with AQ-A for a pop. */
		stamp = smp_load_acquire(&q->slots[pos & (q->one_lap - 1)].stamp);
		if (stamp != pos + full)
			break;
		pos = kovan_arrayq_next(q, pos);
	}
	return ready;
}

static unsigned long kovan_arrayq_advance(struct kovan_arrayq *q, unsigned long pos,
					  unsigned int n)
{
	while (n--)
		pos = kovan_arrayq_next(q, pos);
	return pos;
}

unsigned int kovan_arrayq_push_bulk(struct kovan_arrayq *q, void * const *items,
				    unsigned int n)
{
	unsigned int done = 0, run, i;
	unsigned long tail, pos, flags;

	while (done < n) {
		tail = atomic_long_read(&q->tail);
		run = kovan_arrayq_ready_run(q, tail, 0,
					     min(n - done, KOVAN_ARRAYQ_BULK_CHUNK));
		if (!run) {
			/* Full, a NULL item, or a peer mid-claim: the one-item path decides. */
			if (!items[done] || kovan_arrayq_push_one(q, items[done], NULL))
				break;
			done++;
			continue;
		}
		for (i = 0; i < run; i++)
			if (!items[done + i])
				break;
		run = i;
		if (!run)
			break;
		local_irq_save(flags);
		if (atomic_long_try_cmpxchg_relaxed(&q->tail, &tail,
						    kovan_arrayq_advance(q, tail, run))) {
			for (i = 0, pos = tail; i < run; i++, pos = kovan_arrayq_next(q, pos)) {
				struct kovan_arrayq_slot *slot = &q->slots[pos & (q->one_lap - 1)];

				WRITE_ONCE(slot->item, items[done + i]);
				smp_store_release(&slot->stamp, pos + 1);	/* AQ-A */
			}
			done += run;
		}
		local_irq_restore(flags);
	}
	return done;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_push_bulk, KOVAN_NS);

unsigned int kovan_arrayq_pop_bulk(struct kovan_arrayq *q, void **items, unsigned int n)
{
	unsigned int done = 0, run, i;
	unsigned long head, pos, flags;

	while (done < n) {
		head = atomic_long_read(&q->head);
		run = kovan_arrayq_ready_run(q, head, 1,
					     min(n - done, KOVAN_ARRAYQ_BULK_CHUNK));
		if (!run) {
			/* Empty or a peer mid-claim: the one-item path decides. */
			items[done] = kovan_arrayq_pop(q);
			if (!items[done])
				break;
			done++;
			continue;
		}
		local_irq_save(flags);
		if (atomic_long_try_cmpxchg_relaxed(&q->head, &head,
						    kovan_arrayq_advance(q, head, run))) {
			for (i = 0, pos = head; i < run; i++, pos = kovan_arrayq_next(q, pos)) {
				struct kovan_arrayq_slot *slot = &q->slots[pos & (q->one_lap - 1)];

				items[done + i] = READ_ONCE(slot->item);
				smp_store_release(&slot->stamp, pos + q->one_lap);	/* AQ-B */
			}
			done += run;
		}
		local_irq_restore(flags);
	}
	return done;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_pop_bulk, KOVAN_NS);

unsigned int kovan_arrayq_len(struct kovan_arrayq *q)
{
	unsigned long head, tail, hix, tix;

	for (;;) {
		tail = atomic_long_read(&q->tail);
		head = atomic_long_read(&q->head);
		/* A consistent pair: tail did not move while head was read. */
		if (atomic_long_read(&q->tail) != tail)
			continue;
		hix = head & (q->one_lap - 1);
		tix = tail & (q->one_lap - 1);
		if (hix < tix)
			return tix - hix;
		if (hix > tix)
			return q->capacity - hix + tix;
		return tail == head ? 0 : q->capacity;
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_len, KOVAN_NS);

unsigned int kovan_arrayq_capacity(struct kovan_arrayq *q)
{
	return q->capacity;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_capacity, KOVAN_NS);

bool kovan_arrayq_is_empty(struct kovan_arrayq *q)
{
	return !kovan_arrayq_len(q);
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_is_empty, KOVAN_NS);

bool kovan_arrayq_is_full(struct kovan_arrayq *q)
{
	return kovan_arrayq_len(q) == q->capacity;
}
EXPORT_SYMBOL_NS_GPL(kovan_arrayq_is_full, KOVAN_NS);
