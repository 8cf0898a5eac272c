// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_segq: unbounded MPMC queue of segments, reclaimed through kovan.
 *
 * Positions. A segment has KOVAN_SEGQ_SEGMENT_ITEMS places and one more
 * position, the boundary: position p is place p % SEGQ_LAP of segment
 * p / SEGQ_LAP, and p % SEGQ_LAP == KOVAN_SEGQ_SEGMENT_ITEMS means "the next
 * segment is being linked". tail is the next position to push; head holds
 * the next position to pop shifted left by one, its low bit
 * (SEGQ_HAS_NEXT) saying that tail is known to be in a later segment, so
 * pops need not read tail to rule out an empty queue.
 *
 * Barriers are lettered SQ-A to SQ-E, apart from kovan's and the other
 * queues'.
 *
 * Push. A push claims tail with a compare-and-swap and writes its item with
 * a release (SQ-A) that the pop of that place acquires: a NULL place is one
 * claimed but not yet written. The push that claims the last place of a
 * segment allocated the next segment before its claim (so -ENOMEM changes
 * nothing), links it from the old one (SQ-B), makes it the tail segment and
 * moves tail over the boundary with a release (SQ-C). Pushes that read tail at
 * the boundary wait for SQ-C.
 *
 * Pop. A pop pins a kovan guard for its duration. One that does not know
 * tail to be ahead reads it after head, with a full barrier before both
 * (SQ-D): head at tail is empty,
 * and so is head one past tail, which SQ-E makes while tail waits at the
 * boundary for SQ-C. Otherwise it claims head with a compare-and-swap, taking
 * only a place a push has claimed, and waits for its place's item. The pop
 * that claims the last place waits for SQ-B, makes the next segment the head
 * segment, moves head over the boundary with a release (SQ-E) and retires the
 * old segment: every place of it has been claimed by a pop, and a push or
 * pop that still holds a pointer to it is pinned, so kovan frees it after
 * they unpin.
 *
 * SQ-D orders the caller's earlier accesses (a push to another queue, say)
 * before the empty check, so two threads that each push and then pop the
 * other's queue cannot both find it empty; head's acquire orders head before
 * tail. kovan_pin() is that full barrier already, except in a fenceless
 * domain, where the pop issues one of its own.
 *
 * The claims are relaxed compare-and-swaps, yet a pusher that reads a tail
 * value written by another claim still finds tail_segment current: each
 * claim reads the value it replaces, so it extends SQ-C's release to every
 * later reader (an rmw sequence in LKMM terms, tools/memory-model). The same
 * holds for head, SQ-E and head_segment.
 *
 * Recycling. A retired segment, once kovan frees it, goes back to the queue
 * (up to KOVAN_SEGQ_KEPT_MAX of them) rather than to the slab, and a push
 * that needs a segment takes it from there first. The free function runs
 * after every guard that could see the segment unpinned, so reuse is as
 * safe as a free. The kept segments form an llist: the free functions add
 * to it concurrently; the one push at a time that holds recycle_taker
 * removes from it, as llist_del_first() requires of its callers. A push
 * that finds another push taking allocates instead of waiting.
 *
 * No guard for pushes. A push dereferences a segment only after its claim
 * of a place in it succeeded, and a segment is retired only after a pop
 * claimed its last place, which comes after every push into it claimed.
 * A push whose claim fails has only compared tail, so it needs no guard;
 * pops do, since the pop that retires a segment may overtake pops still
 * waiting for their items in it.
 *
 * A claim and what finishes it (the item write, the linking) run with
 * interrupts off, so a peer that holds a claim is always running: every
 * wait above is bounded, also for an interrupt on the CPU of a task that
 * uses the queue.
 */

#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/llist.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <kovan/kovan.h>
#include <kovan/segq.h>
#include <trace/events/kovan_queue.h>

#include "../kovan/fault.h"
#include "internal.h"

#define SEGQ_LAP	(KOVAN_SEGQ_SEGMENT_ITEMS + 1)
#define SEGQ_LAST	(KOVAN_SEGQ_SEGMENT_ITEMS - 1)
#define SEGQ_HAS_NEXT	1UL
#define SEGQ_HEAD_ONE	2UL	/* One position in head's encoding. */

struct kovan_segq_segment {
	struct kovan_node node;
	union {
		/* While queued: the next segment, linked by SQ-B. */
		struct kovan_segq_segment *next;
		/* Once retired (nobody reads next then): whose count the free updates. */
		struct kovan_segq *queue;
		/* Once freed and kept for reuse: the link in the queue's recycled list. */
		struct llist_node recycle;
	};
	void *items[KOVAN_SEGQ_SEGMENT_ITEMS];
};

struct kovan_segq {
	atomic_long_t head ____cacheline_aligned_in_smp;
	struct kovan_segq_segment __kovan *head_segment;
	atomic_long_t tail ____cacheline_aligned_in_smp;
	struct kovan_segq_segment *tail_segment;
	struct kovan_domain *domain ____cacheline_aligned_in_smp;
	bool pin_is_barrier;
	atomic_long_t segments_allocated;
	atomic_long_t segments_freed;
	atomic_long_t alloc_failures;
	atomic_long_t segments_recycled;
	/* PREEMPT_RT: the segment for a push that may not allocate; see below. */
	struct kovan_segq_segment *reserve;
	struct work_struct refill;
	/* Freed segments kept for reuse, at most KOVAN_SEGQ_KEPT_MAX. */
	struct llist_head recycled ____cacheline_aligned_in_smp;
	atomic_t nr_recycled;
	atomic_t recycle_taker;
	struct kovan_domain own_domain;
};

static struct kmem_cache *kovan_segq_cache;

static void kovan_segq_free(struct kovan_segq *q, struct kovan_segq_segment *seg)
{
	trace_kovan_segq_segment_free(q, false);
	atomic_long_inc(&q->segments_freed);
	kmem_cache_free(kovan_segq_cache, seg);
}

/* Whether the fail_alloc fault attribute (fault.h) fails this segment allocation. */
static bool kovan_segq_fail_injected(gfp_t gfp)
{
	return kovan_should_fail_alloc(gfp, sizeof(struct kovan_segq_segment));
}

/* A zeroed segment from the slab, or NULL. */
static struct kovan_segq_segment *kovan_segq_zalloc(struct kovan_segq *q, gfp_t gfp)
{
	if (kovan_segq_fail_injected(gfp))
		return NULL;
	return kmem_cache_zalloc(kovan_segq_cache, gfp);
}

/* A kept segment, zeroed, or NULL when none is kept or another push is taking one. */
static struct kovan_segq_segment *kovan_segq_take_recycled(struct kovan_segq *q)
{
	struct kovan_segq_segment *seg;
	struct llist_node *node;

	/* Full barrier: after the previous taker's removal; pairs with the release below. */
	if (llist_empty(&q->recycled) || atomic_xchg(&q->recycle_taker, 1))
		return NULL;
	node = llist_del_first(&q->recycled);
	atomic_set_release(&q->recycle_taker, 0);	/* Pairs with the atomic_xchg() above. */
	if (!node)
		return NULL;
	atomic_dec(&q->nr_recycled);
	atomic_long_inc(&q->segments_recycled);
	seg = llist_entry(node, struct kovan_segq_segment, recycle);
	/* Published by SQ-B, a release, as a fresh segment's zeroes are. */
	seg->next = NULL;
	memset(seg->items, 0, sizeof(seg->items));
	return seg;
}

/*
 * Keep a segment that left use for reuse, unless KOVAN_SEGQ_KEPT_MAX are
 * kept. nr_recycled is raised before the add and lowered after a removal,
 * so the list never holds more. Safe in any context but NMI.
 */
static bool kovan_segq_keep(struct kovan_segq *q, struct kovan_segq_segment *seg)
{
	if (atomic_inc_return(&q->nr_recycled) > KOVAN_SEGQ_KEPT_MAX) {
		atomic_dec(&q->nr_recycled);
		return false;
	}
	trace_kovan_segq_segment_free(q, true);
	atomic_long_inc(&q->segments_freed);
	llist_add(&seg->recycle, &q->recycled);
	return true;
}

/*
 * PREEMPT_RT's slab takes sleeping locks, so a push that may not sleep
 * there (hard interrupt, preemption or interrupts off, a raw spinlock held)
 * allocates nothing: it takes the queue's reserve segment and has a worker
 * allocate the next reserve, or fails when a push before it took the
 * reserve and the worker has not run yet. The statistics count a reserve
 * once a push takes it.
 */
static void kovan_segq_refill(struct work_struct *work)
{
	struct kovan_segq *q = container_of(work, struct kovan_segq, refill);
	struct kovan_segq_segment *seg;

	if (READ_ONCE(q->reserve))	/* Emptied only by xchg(); a hint. */
		return;
	seg = kovan_segq_zalloc(q, GFP_KERNEL);
	if (seg && cmpxchg(&q->reserve, NULL, seg))	/* Full barrier; pairs with the xchg(). */
		kmem_cache_free(kovan_segq_cache, seg);
}

static struct kovan_segq_segment *kovan_segq_alloc(struct kovan_segq *q, gfp_t gfp)
{
	struct kovan_segq_segment *seg = NULL;
	bool recycled = false;

	if (kovan_segq_fail_injected(gfp))
		goto out;
	seg = kovan_segq_take_recycled(q);
	recycled = seg;
	if (seg)
		goto out;
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible()) {
		/* Full barrier; pairs with the refill's cmpxchg(). */
		seg = xchg(&q->reserve, NULL);
		/* An unbound worker: queueing takes raw locks only, legal here on RT. */
		queue_work(system_unbound_wq, &q->refill);
	} else {
		seg = kmem_cache_zalloc(kovan_segq_cache, gfp);
	}
out:
	if (!seg) {
		atomic_long_inc(&q->alloc_failures);
		return NULL;
	}
	trace_kovan_segq_segment_alloc(q, recycled);
	atomic_long_inc(&q->segments_allocated);
	kovan_node_init(q->domain, &seg->node);
	return seg;
}

static void kovan_segq_free_retired(struct kovan_node *n)
{
	struct kovan_segq_segment *seg = container_of(n, struct kovan_segq_segment, node);

	if (!kovan_segq_keep(seg->queue, seg))
		kovan_segq_free(seg->queue, seg);
}

/*
 * A segment a push allocated and did not need: kept for reuse if there is
 * room. PREEMPT_RT frees nothing where it may not sleep either: the
 * segment goes back to the reserve, or, when the worker refilled that
 * meanwhile, to kovan's reclaim worker.
 */
static void kovan_segq_unused(struct kovan_segq *q, struct kovan_segq_segment *seg)
{
	if (kovan_segq_keep(q, seg))
		return;
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible()) {
		kovan_segq_free(q, seg);
	} else if (!cmpxchg(&q->reserve, NULL, seg)) {	/* Full barrier; as the refill's. */
		atomic_long_dec(&q->segments_allocated);	/* A reserve again. */
	} else {
		seg->queue = q;
		kovan_retire(q->domain, &seg->node, kovan_segq_free_retired);
	}
}

/* The lockdep class of every queue's own domain. */
static struct lock_class_key kovan_segq_domain_key;

struct kovan_segq *kovan_segq_create(struct kovan_domain *d, gfp_t gfp)
{
	struct kovan_segq_segment *seg;
	struct kovan_segq *q;
	int ret;

	if (kovan_should_fail_alloc(gfp, sizeof(*q)))
		return ERR_PTR(-ENOMEM);
	q = kzalloc(sizeof(*q), gfp);
	if (!q)
		return ERR_PTR(-ENOMEM);
	if (!d) {
		ret = __kovan_domain_init(&q->own_domain, 0, "kovan_segq", &kovan_segq_domain_key);
		if (ret) {
			kfree(q);
			return ERR_PTR(ret);
		}
		d = &q->own_domain;
	}
	q->domain = d;
	q->pin_is_barrier = !(kovan_domain_flags(d) & KOVAN_FENCELESS);
	INIT_WORK(&q->refill, kovan_segq_refill);
	seg = kovan_segq_alloc(q, gfp);
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && seg) {
		q->reserve = kovan_segq_zalloc(q, gfp);
		if (!q->reserve) {
			kovan_segq_free(q, seg);
			seg = NULL;
		}
	}
	if (!seg) {
		if (d == &q->own_domain)
			kovan_domain_destroy(d);
		kfree(q);
		return ERR_PTR(-ENOMEM);
	}
	kovan_init_pointer(q->head_segment, seg);
	q->tail_segment = seg;
	return q;
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_create, KOVAN_NS);

void kovan_segq_destroy(struct kovan_segq *q, void (*dtor)(void *item))
{
	struct kovan_segq_segment *seg, *next;
	void *item;

	if (!q)
		return;
	while ((item = kovan_segq_pop(q)))
		if (dtor)
			dtor(item);
	/* Drained: head and tail share the one segment never retired. */
	kovan_segq_free(q, kovan_dereference_protected(q->head_segment, true));
	cancel_work_sync(&q->refill);
	if (q->reserve)
		kmem_cache_free(kovan_segq_cache, q->reserve);
	/* The retired segments' free function counts in q. */
	if (q->domain == &q->own_domain)
		kovan_domain_destroy(q->domain);
	else
		kovan_barrier(q->domain);
	/* The free functions ran: the kept segments are all on the list. */
	llist_for_each_entry_safe(seg, next, llist_del_all(&q->recycled), recycle)
		kmem_cache_free(kovan_segq_cache, seg);
	kfree(q);
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_destroy, KOVAN_NS);

int kovan_segq_push(struct kovan_segq *q, void *item, gfp_t gfp)
{
	struct kovan_segq_segment *seg, *spare = NULL;
	unsigned long tail, place, flags;

	if (!item)
		return -EINVAL;
	for (;;) {
		tail = atomic_long_read_acquire(&q->tail);	/* Pairs with SQ-C. */
		place = tail % SEGQ_LAP;
		if (place == KOVAN_SEGQ_SEGMENT_ITEMS) {
			cpu_relax();
			continue;
		}
		if (place == SEGQ_LAST && !spare) {
			spare = kovan_segq_alloc(q, gfp);
			if (!spare)
				return -ENOMEM;
			/* The allocation may have slept: look at tail again. */
			continue;
		}
		/*
		 * tail's segment or, if tail moved on, a later one (then the
		 * claim fails). Not dereferenced unless the claim succeeds,
		 * which proves the segment live: see "No guard for pushes".
		 */
		seg = READ_ONCE(q->tail_segment);	/* Ordered after tail by SQ-C's acquire. */
		local_irq_save(flags);
		if (atomic_long_try_cmpxchg_relaxed(&q->tail, &tail, tail + 1))
			break;
		local_irq_restore(flags);
	}
	if (place == SEGQ_LAST) {
		smp_store_release(&seg->next, spare);	/* SQ-B: spare's zeroed places. */
		WRITE_ONCE(q->tail_segment, spare);	/* Ordered by SQ-C. */
		atomic_long_set_release(&q->tail, tail + 2);	/* SQ-C */
		spare = NULL;
	}
	smp_store_release(&seg->items[place], item);	/* SQ-A */
	local_irq_restore(flags);
	if (spare)
		kovan_segq_unused(q, spare);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_push, KOVAN_NS);

void *kovan_segq_pop(struct kovan_segq *q)
{
	unsigned long head, new_head, pos, tail, place, flags;
	struct kovan_segq_segment *seg, *next;
	struct kovan_guard g;
	void *item;

	kovan_pin(q->domain, &g);
	if (!q->pin_is_barrier)
		smp_mb(); /* SQ-D: earlier accesses before head, tail; pairs with a peer's SQ-D. */
	for (;;) {
		head = atomic_long_read_acquire(&q->head);	/* Pairs with SQ-E. */
		pos = head / SEGQ_HEAD_ONE;
		place = pos % SEGQ_LAP;
		if (place == KOVAN_SEGQ_SEGMENT_ITEMS) {
			cpu_relax();
			continue;
		}
		new_head = head + SEGQ_HEAD_ONE;
		if (!(head & SEGQ_HAS_NEXT)) {
			tail = atomic_long_read(&q->tail);	/* After head and SQ-D. */
			/*
			 * Empty, also when head is one past tail: the pop of
			 * the last place moved head over the boundary (SQ-E)
			 * while tail still waits at it for SQ-C.
			 */
			if ((long)(tail - pos) <= 0) {
				kovan_unpin(&g);
				return NULL;
			}
			if (pos / SEGQ_LAP != tail / SEGQ_LAP)
				new_head |= SEGQ_HAS_NEXT;
		}
		/* head_segment is head's segment or, if head moved on, a later one. */
		seg = kovan_load(&q->head_segment, &g);
		local_irq_save(flags);
		if (atomic_long_try_cmpxchg_relaxed(&q->head, &head, new_head))
			break;
		local_irq_restore(flags);
	}
	/* Only a place a push has claimed: tail is past it for good. */
	if (IS_ENABLED(CONFIG_KOVAN_DEBUG))
		WARN_ON_ONCE((long)(atomic_long_read(&q->tail) - pos) <= 0);
	if (place == SEGQ_LAST) {
		next = smp_cond_load_acquire(&seg->next, VAL);	/* Pairs with SQ-B. */
		new_head = (new_head & ~SEGQ_HAS_NEXT) + SEGQ_HEAD_ONE;
		/* Linked past next: tail has left it, no pop there can find it empty. */
		if (READ_ONCE(next->next))
			new_head |= SEGQ_HAS_NEXT;
		kovan_init_pointer(q->head_segment, next);	/* Ordered by SQ-E. */
		atomic_long_set_release(&q->head, new_head);	/* SQ-E */
	}
	item = smp_cond_load_acquire(&seg->items[place], VAL);	/* Pairs with SQ-A. */
	local_irq_restore(flags);
	if (place == SEGQ_LAST) {
		seg->queue = q;
		kovan_retire(q->domain, &seg->node, kovan_segq_free_retired);
	}
	kovan_unpin(&g);
	return item;
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_pop, KOVAN_NS);

/* Items before position @pos: every segment before it holds a full set. */
static unsigned long kovan_segq_items_before(unsigned long pos)
{
	return pos / SEGQ_LAP * KOVAN_SEGQ_SEGMENT_ITEMS +
	       min_t(unsigned long, pos % SEGQ_LAP, KOVAN_SEGQ_SEGMENT_ITEMS);
}

unsigned long kovan_segq_len(struct kovan_segq *q)
{
	unsigned long head, tail;

	for (;;) {
		/*
		 * A consistent pair: tail did not move while head was read.
		 * The acquires keep the three reads in order, which the
		 * check needs; relaxed, a head read late could pass tail.
		 */
		tail = atomic_long_read_acquire(&q->tail);
		head = atomic_long_read_acquire(&q->head) / SEGQ_HEAD_ONE;
		if (atomic_long_read(&q->tail) == tail)
			return kovan_segq_items_before(tail) - kovan_segq_items_before(head);
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_len, KOVAN_NS);

bool kovan_segq_is_empty(struct kovan_segq *q)
{
	return !kovan_segq_len(q);
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_is_empty, KOVAN_NS);

void kovan_segq_stats(struct kovan_segq *q, struct kovan_segq_stats *s)
{
	s->segments_allocated = atomic_long_read(&q->segments_allocated);
	s->segments_freed = atomic_long_read(&q->segments_freed);
	s->alloc_failures = atomic_long_read(&q->alloc_failures);
	s->segments_recycled = atomic_long_read(&q->segments_recycled);
	s->segments_kept = atomic_read(&q->nr_recycled);
	s->reserved = !!READ_ONCE(q->reserve);	/* A snapshot; set by cmpxchg() and xchg(). */
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_stats, KOVAN_NS);

struct kovan_domain *kovan_segq_domain(struct kovan_segq *q)
{
	return q->domain;
}
EXPORT_SYMBOL_NS_GPL(kovan_segq_domain, KOVAN_NS);

int __init kovan_segq_init(void)
{
	/* Memory target (doc/targets.md): a word per place, a header of at most three. */
	BUILD_BUG_ON(sizeof(struct kovan_segq_segment) >
		     (3 + KOVAN_SEGQ_SEGMENT_ITEMS) * sizeof(void *));
	kovan_segq_cache = KMEM_CACHE(kovan_segq_segment, 0);
	return kovan_segq_cache ? 0 : -ENOMEM;
}

void kovan_segq_exit(void)
{
	kmem_cache_destroy(kovan_segq_cache);
}
