/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_QUEUE_ARRAYQ_H
#define _KOVAN_QUEUE_ARRAYQ_H

/*
 * kovan_arrayq: a bounded multi-producer multi-consumer FIFO of pointers,
 * of exact capacity, with no lock and no allocation after creation. Its
 * contract (contexts, FIFO order, progress, ordering, memory) is
 * Documentation/queues.rst; each call's kernel-doc gives its context and
 * errors.
 */

#include <linux/bits.h>
#include <linux/types.h>

#include <kovan/compat.h>

struct kovan_arrayq;

/* Largest capacity kovan_arrayq_create() accepts. */
#define KOVAN_ARRAYQ_MAX_CAPACITY	BIT(24)

/* Most places one claim of the bulk calls takes. */
#define KOVAN_ARRAYQ_BULK_CHUNK		32U

/**
 * kovan_arrayq_create() - allocate a bounded MPMC queue
 * @capacity: exact number of items the queue holds, 1..%KOVAN_ARRAYQ_MAX_CAPACITY
 * @gfp: allocation flags; GFP_KERNEL may sleep
 *
 * Context: process context with GFP_KERNEL; any context but NMI with GFP_ATOMIC,
 * but on PREEMPT_RT, where the slab allocator may sleep, not in hard interrupt
 * context, with preemption or interrupts off or under a raw spinlock.
 * Return: the queue, ERR_PTR(-EINVAL) for a capacity of 0 or above the
 *	   maximum, ERR_PTR(-ENOMEM) when it cannot be allocated.
 */
struct kovan_arrayq *kovan_arrayq_create(unsigned int capacity, gfp_t gfp);

/**
 * kovan_arrayq_destroy() - free a queue and what it still holds
 * @q: the queue; NULL is ignored
 * @dtor: called once on each item still queued, oldest first; may be NULL
 *
 * Context: process context; nobody else may use @q any more.
 */
void kovan_arrayq_destroy(struct kovan_arrayq *q, void (*dtor)(void *item));

/**
 * kovan_arrayq_push() - append an item
 * @q: the queue
 * @item: a non-NULL pointer
 *
 * Context: any but NMI. Lock-free but for one wait: when the place it
 * needs was claimed by a pop that has not released it yet, it waits for
 * that (running, not preemptible) peer; see Documentation/progress.rst.
 * Ordering: release; the pop that returns @item acquires it.
 * Return: 0 when queued, -ENOSPC when the queue is full, -EINVAL for a NULL
 *	   @item.
 */
int kovan_arrayq_push(struct kovan_arrayq *q, void *item);

/**
 * kovan_arrayq_pop() - remove the oldest item
 * @q: the queue
 *
 * Context: any but NMI. Lock-free but for one wait: for the push that
 * claimed the oldest place and has not published its item yet (a running,
 * not preemptible peer).
 * Ordering: acquire, pairing with the push of the item.
 * Return: the item, or NULL when the queue is empty.
 */
void *kovan_arrayq_pop(struct kovan_arrayq *q);

/**
 * kovan_arrayq_force_push() - append an item, displacing the oldest when full
 * @q: the queue
 * @item: a non-NULL pointer
 *
 * Like kovan_arrayq_push(), but a full queue gives up its oldest item to
 * make room: the pop of that item and the push of @item are one atomic step,
 * so no other push can take the freed place. A ring buffer for the latest
 * samples or log records.
 *
 * Context: any but NMI. Same progress as kovan_arrayq_push().
 * Return: the displaced item (the caller owns it now), NULL when there was
 *	   room, ERR_PTR(-EINVAL) for a NULL @item.
 */
void *kovan_arrayq_force_push(struct kovan_arrayq *q, void *item);

/**
 * kovan_arrayq_push_bulk() - append up to n items, in order
 * @q: the queue
 * @items: the items, oldest first; none may be NULL
 * @n: number of items
 *
 * Claims runs of consecutive places (at most %KOVAN_ARRAYQ_BULK_CHUNK per
 * claim, each claim one compare-and-swap) and stops when the queue is full.
 * The first items of @items, as many as the return value, are queued in
 * their order; a consumer sees them in that order, possibly interleaved
 * with other producers' items between claims. The rest are still the
 * caller's.
 *
 * Context: any but NMI. Same progress as kovan_arrayq_push(); interrupts
 * are off for the O(%KOVAN_ARRAYQ_BULK_CHUNK) claim-to-publish window.
 * Return: how many items were queued (0..@n); 0 also when a NULL item is
 *	   met first. Items from the first NULL on are not queued.
 */
unsigned int kovan_arrayq_push_bulk(struct kovan_arrayq *q, void * const *items,
				    unsigned int n);

/**
 * kovan_arrayq_pop_bulk() - remove up to n items, oldest first
 * @q: the queue
 * @items: filled with the items, oldest first
 * @n: room in @items
 *
 * Claims runs of consecutive items like kovan_arrayq_push_bulk() and stops
 * when the queue is empty.
 *
 * Context: any but NMI. Same progress as kovan_arrayq_pop().
 * Return: how many items were removed into @items (0..@n).
 */
unsigned int kovan_arrayq_pop_bulk(struct kovan_arrayq *q, void **items, unsigned int n);

/**
 * kovan_arrayq_len() - number of queued items
 * @q: the queue
 *
 * Context: any. A snapshot: concurrent pushes and pops may change it.
 * Return: items queued, 0..capacity.
 */
unsigned int kovan_arrayq_len(struct kovan_arrayq *q);

/**
 * kovan_arrayq_capacity() - the capacity the queue was created with
 * @q: the queue
 *
 * Context: any.
 * Return: the capacity.
 */
unsigned int kovan_arrayq_capacity(struct kovan_arrayq *q);

/**
 * kovan_arrayq_is_empty() - whether the queue holds nothing
 * @q: the queue
 *
 * Context: any. A snapshot.
 * Return: true when empty.
 */
bool kovan_arrayq_is_empty(struct kovan_arrayq *q);

/**
 * kovan_arrayq_is_full() - whether the queue holds capacity items
 * @q: the queue
 *
 * Context: any. A snapshot.
 * Return: true when full.
 */
bool kovan_arrayq_is_full(struct kovan_arrayq *q);

#endif /* _KOVAN_QUEUE_ARRAYQ_H */
