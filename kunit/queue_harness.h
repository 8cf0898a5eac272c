/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_KUNIT_QUEUE_HARNESS_H
#define _KOVAN_KUNIT_QUEUE_HARNESS_H

/*
 * Multithreaded checks shared by the queue suites. A queue is driven
 * through struct kq_ops; helper kthreads and interrupts record what they
 * saw, and only the test thread asserts.
 */

#include <kunit/test.h>

struct kq_ops {
	/* 0 when queued, a negative errno when refused (the item stays the caller's). */
	int (*push)(void *q, void *item);
	void *(*pop)(void *q);
	bool (*is_empty)(void *q);
	/* Optional: producers and consumers then move up to bulk items a call. */
	unsigned int (*push_bulk)(void *q, void * const *items, unsigned int n);
	unsigned int (*pop_bulk)(void *q, void **items, unsigned int n);
	unsigned int bulk;
};

/* Items are tagged integers; +1 keeps them non-NULL. */
static inline void *kq_item(unsigned long v)
{
	return (void *)(v + 1);
}

static inline unsigned long kq_value(void *item)
{
	return (unsigned long)item - 1;
}

/**
 * kq_mpmc() - producers and consumers on one queue for about a second
 * @test: the test; expectations fail it
 * @ops: how to use @q
 * @q: the queue
 * @producers: producer kthreads, at most 8
 * @consumers: consumer kthreads, at most 8
 * @refusals: set to the pushes refused with each errno: [0] -ENOSPC,
 *	      [1] -ENOMEM; any other refusal fails the test
 *
 * Items are (producer, sequence) pairs; a refused push is retried with the
 * same item. Expects every pushed item popped exactly once, each producer's
 * items in its order, and nothing that was not pushed.
 */
void kq_mpmc(struct kunit *test, const struct kq_ops *ops, void *q,
	     unsigned int producers, unsigned int consumers, unsigned long refusals[2]);

/**
 * kq_contexts() - the test thread and interrupts share a queue
 * @test: the test
 * @ops: how to use @q; push must not sleep
 * @q: an empty queue with room for at least 8 items
 *
 * The test thread pushes and pops while an hrtimer (hardirq) and a tasklet
 * (softirq) pop an item and push it back. Expects every item accounted for.
 */
void kq_contexts(struct kunit *test, const struct kq_ops *ops, void *q);

#endif /* _KOVAN_KUNIT_QUEUE_HARNESS_H */
