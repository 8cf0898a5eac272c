/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_QUEUE_SEGQ_H
#define _KOVAN_QUEUE_SEGQ_H

/*
 * kovan_segq: an unbounded multi-producer multi-consumer FIFO of pointers,
 * in segments that a kovan domain reclaims. Its contract (contexts, FIFO
 * order, progress, ordering, memory and segment reuse) is
 * Documentation/queues.rst; each call's kernel-doc gives its context and
 * errors.
 */

#include <linux/gfp.h>
#include <linux/types.h>

#include <kovan/compat.h>

struct kovan_domain;
struct kovan_segq;

/* Items per segment. */
#define KOVAN_SEGQ_SEGMENT_ITEMS	31

/* Most freed segments a queue keeps for reuse. */
#define KOVAN_SEGQ_KEPT_MAX		64

/**
 * struct kovan_segq_stats - a queue's segment counters
 * @segments_allocated: segments the queue took into use, its first
 *			included, from the slab or from the kept ones
 * @segments_freed: segments that left use: freed by kovan after they were
 *		    retired (then kept for reuse or given back to the slab),
 *		    or not needed by the push that allocated them
 * @alloc_failures: segment allocations that failed (push returned -ENOMEM)
 * @segments_recycled: of @segments_allocated, those taken from the kept ones
 * @segments_kept: freed segments the queue holds for reuse now: at most
 *		   %KOVAN_SEGQ_KEPT_MAX, once no free function of the queue
 *		   is running
 * @reserved: PREEMPT_RT: 1 while a segment waits for a push that may not
 *	      allocate (see kovan_segq_push()), not counted above; else 0
 */
struct kovan_segq_stats {
	unsigned long segments_allocated;
	unsigned long segments_freed;
	unsigned long alloc_failures;
	unsigned long reserved;
	unsigned long segments_recycled;
	unsigned long segments_kept;
};

/**
 * kovan_segq_create() - allocate an unbounded MPMC queue
 * @d: the kovan domain to retire segments to, or NULL for a domain of the
 *     queue's own (kovan_domain_init(), O(nr_cpu_ids) cache lines)
 * @gfp: flags for the queue and its first segment
 *
 * Context: process context (a queue of its own initialises a domain, which
 * may sleep); with a domain passed in, any context but NMI under GFP_ATOMIC,
 * but on PREEMPT_RT, where the slab allocator may sleep, not in hard
 * interrupt context, with preemption or interrupts off or under a raw
 * spinlock.
 * Return: the queue, ERR_PTR(-ENOMEM) when it cannot be allocated.
 */
struct kovan_segq *kovan_segq_create(struct kovan_domain *d, gfp_t gfp);

/**
 * kovan_segq_destroy() - free a queue and what it still holds
 * @q: the queue; NULL is ignored
 * @dtor: called once on each item still queued, oldest first; may be NULL
 *
 * Waits until every segment the queue retired is freed: kovan_barrier() on a
 * domain passed to kovan_segq_create(), kovan_domain_destroy() on its own.
 *
 * Context: process context; sleeps. Nobody else may use @q any more.
 */
void kovan_segq_destroy(struct kovan_segq *q, void (*dtor)(void *item));

/**
 * kovan_segq_push() - append an item
 * @q: the queue
 * @item: a non-NULL pointer
 * @gfp: flags for a new segment: GFP_ATOMIC or GFP_NOWAIT in atomic
 *	 context, GFP_KERNEL where the caller may sleep
 *
 * Context: any but NMI, as @gfp allows. Lock-free but for one wait: a push
 * that finds the next segment being linked waits for the (running, not
 * preemptible) peer that links it; see Documentation/progress.rst.
 * Ordering: release; the kovan_segq_pop() that returns @item acquires it.
 * On PREEMPT_RT the slab allocator may sleep: where the caller may not
 * (hard interrupt context, preemption or interrupts off, a raw spinlock
 * held) a push that needs a new segment, one in every
 * KOVAN_SEGQ_SEGMENT_ITEMS, takes a kept one or, when none is kept or
 * another push is taking one, the queue's reserve segment, and has a
 * kernel worker allocate the next reserve; it fails with -ENOMEM when an
 * earlier such push took the reserve and the worker has not refilled it.
 *
 * Return: 0 when queued, -EINVAL for a NULL @item, -ENOMEM when a segment
 *	   was needed and could not be allocated (@item is not queued and the
 *	   queue is unchanged).
 */
int kovan_segq_push(struct kovan_segq *q, void *item, gfp_t gfp);

/**
 * kovan_segq_pop() - remove the oldest item
 * @q: the queue
 *
 * Context: any but NMI. Never allocates. Lock-free but for the waits for
 * running peers of Documentation/progress.rst: the push that
 * claimed the place and has not written it yet, the pop that is moving
 * head to the next segment. The pop that empties a segment retires it
 * with kovan_retire(): where that may sleep, it may wait for kovan's
 * reclaim worker (backpressure, Documentation/contexts.rst); elsewhere it never sleeps.
 * Ordering: acquire, pairing with the kovan_segq_push() of the item.
 * Return: the item, or NULL when the queue is empty.
 */
void *kovan_segq_pop(struct kovan_segq *q);

/**
 * kovan_segq_len() - number of queued items
 * @q: the queue
 *
 * Context: any. A snapshot: concurrent pushes and pops may change it.
 * Return: items queued, counting pushes that claimed a place and have not
 *	   published it yet.
 */
unsigned long kovan_segq_len(struct kovan_segq *q);

/**
 * kovan_segq_is_empty() - whether the queue holds nothing
 * @q: the queue
 *
 * Context: any. A snapshot.
 * Return: true when empty.
 */
bool kovan_segq_is_empty(struct kovan_segq *q);

/**
 * kovan_segq_stats() - read a queue's segment counters
 * @q: the queue
 * @s: filled with the counters
 *
 * Once the queue is drained and kovan_barrier() ran on its domain,
 * @s->segments_allocated == @s->segments_freed + 1 (the segment the queue
 * always holds).
 *
 * Context: any. The counters are read one after the other.
 */
void kovan_segq_stats(struct kovan_segq *q, struct kovan_segq_stats *s);

/**
 * kovan_segq_domain() - the domain a queue retires its segments to
 * @q: the queue
 *
 * Context: any.
 * Return: the domain passed to kovan_segq_create(), or the queue's own.
 */
struct kovan_domain *kovan_segq_domain(struct kovan_segq *q);

#endif /* _KOVAN_QUEUE_SEGQ_H */
