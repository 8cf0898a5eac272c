// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan_arrayq: exact capacity, FIFO over many laps,
 * force_push, bulk calls, bad input, destroy, MPMC with per-producer order
 * (single and bulk calls), and pushes and pops from hardirq and softirq
 * while tasks use the same queue.
 */

#include <kunit/test.h>
#include <linux/err.h>

#include <kovan/arrayq.h>

#include "queue_harness.h"

static const unsigned int kq_capacities[] = { 1, 2, 3, 5, 7, 64, 100, 1000 };

static void kq_capacity_desc(const unsigned int *cap, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "capacity %u", *cap);
}

KUNIT_ARRAY_PARAM(kq_capacity, kq_capacities, kq_capacity_desc);

static struct kovan_arrayq *kq_new(struct kunit *test, unsigned int capacity)
{
	struct kovan_arrayq *q = kovan_arrayq_create(capacity, GFP_KERNEL);

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(q));
	return q;
}

/* Exact capacity, edges and FIFO order over many laps. */
static void kovan_arrayq_sequential(struct kunit *test)
{
	unsigned int cap = *(const unsigned int *)test->param_value;
	struct kovan_arrayq *q = kq_new(test, cap);
	unsigned long next_in = 0, next_out = 0;
	unsigned int i, lap;

	KUNIT_EXPECT_EQ(test, kovan_arrayq_capacity(q), cap);
	KUNIT_EXPECT_TRUE(test, kovan_arrayq_is_empty(q));
	KUNIT_EXPECT_NULL(test, kovan_arrayq_pop(q));

	for (lap = 0; lap < 50; lap++) {
		/* Fill to exactly capacity; one more is refused. */
		for (i = 0; i < cap; i++)
			KUNIT_ASSERT_EQ(test, kovan_arrayq_push(q, kq_item(next_in++)), 0);
		KUNIT_EXPECT_TRUE(test, kovan_arrayq_is_full(q));
		KUNIT_EXPECT_EQ(test, kovan_arrayq_len(q), cap);
		KUNIT_EXPECT_EQ(test, kovan_arrayq_push(q, kq_item(~0UL - 1)), -ENOSPC);
		/* Drain half (at least one), in order. */
		for (i = 0; i < (cap + 1) / 2; i++)
			KUNIT_ASSERT_EQ(test, kq_value(kovan_arrayq_pop(q)), next_out++);
		KUNIT_EXPECT_EQ(test, kovan_arrayq_len(q), cap - (cap + 1) / 2);
		/* Top up and drain fully, crossing the lap boundary at a new index. */
		while (kovan_arrayq_push(q, kq_item(next_in)) == 0)
			next_in++;
		KUNIT_EXPECT_EQ(test, kovan_arrayq_len(q), cap);
		while (!kovan_arrayq_is_empty(q))
			KUNIT_ASSERT_EQ(test, kq_value(kovan_arrayq_pop(q)), next_out++);
		KUNIT_EXPECT_NULL(test, kovan_arrayq_pop(q));
	}
	KUNIT_EXPECT_EQ(test, next_in, next_out);
	kovan_arrayq_destroy(q, NULL);
}

static void kovan_arrayq_bad_input(struct kunit *test)
{
	struct kovan_arrayq *q;

	KUNIT_EXPECT_EQ(test, PTR_ERR(kovan_arrayq_create(0, GFP_KERNEL)), -EINVAL);
	q = kovan_arrayq_create(KOVAN_ARRAYQ_MAX_CAPACITY + 1, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(q), -EINVAL);
	q = kq_new(test, 4);
	KUNIT_EXPECT_EQ(test, kovan_arrayq_push(q, NULL), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kovan_arrayq_is_empty(q));
	kovan_arrayq_destroy(q, NULL);
	kovan_arrayq_destroy(NULL, NULL);
}

static unsigned long kq_dtor_calls, kq_dtor_sum;

static void kq_dtor(void *item)
{
	kq_dtor_calls++;
	kq_dtor_sum += kq_value(item);
}

/* destroy calls the destructor once on each item still inside. */
static void kovan_arrayq_destroy_dtor(struct kunit *test)
{
	struct kovan_arrayq *q = kq_new(test, 10);
	unsigned long i;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_EQ(test, kovan_arrayq_push(q, kq_item(i)), 0);
	for (i = 0; i < 3; i++)
		kovan_arrayq_pop(q);
	kq_dtor_calls = 0;
	kq_dtor_sum = 0;
	kovan_arrayq_destroy(q, kq_dtor);
	KUNIT_EXPECT_EQ(test, kq_dtor_calls, 7UL);
	KUNIT_EXPECT_EQ(test, kq_dtor_sum, 3UL + 4 + 5 + 6 + 7 + 8 + 9);
}

/* force_push displaces exactly the oldest item, only when full. */
static void kovan_arrayq_force(struct kunit *test)
{
	unsigned int cap = *(const unsigned int *)test->param_value;
	struct kovan_arrayq *q = kq_new(test, cap);
	unsigned long next_in = 0, next_out = 0;
	unsigned int i;
	void *old;

	KUNIT_EXPECT_EQ(test, PTR_ERR(kovan_arrayq_force_push(q, NULL)), -EINVAL);
	/* Room: nothing displaced. */
	for (i = 0; i < cap; i++)
		KUNIT_ASSERT_NULL(test, kovan_arrayq_force_push(q, kq_item(next_in++)));
	/* Full: each force_push hands back the oldest, over several laps. */
	for (i = 0; i < 3 * cap + 5; i++) {
		old = kovan_arrayq_force_push(q, kq_item(next_in++));
		KUNIT_ASSERT_NOT_NULL(test, old);
		KUNIT_ASSERT_EQ(test, kq_value(old), next_out++);
		KUNIT_ASSERT_EQ(test, kovan_arrayq_len(q), cap);
	}
	/* What is left is the newest cap items, in order. */
	for (i = 0; i < cap; i++)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_arrayq_pop(q)), next_out++);
	KUNIT_EXPECT_EQ(test, next_out, next_in);
	KUNIT_EXPECT_NULL(test, kovan_arrayq_pop(q));
	/* After a pop there is room again: no displacement. */
	KUNIT_EXPECT_NULL(test, kovan_arrayq_force_push(q, kq_item(0)));
	kovan_arrayq_destroy(q, NULL);
}

/* Bulk calls keep FIFO and report partial counts at the full and empty edges. */
static void kovan_arrayq_bulk(struct kunit *test)
{
	unsigned int cap = *(const unsigned int *)test->param_value;
	struct kovan_arrayq *q = kq_new(test, cap);
	unsigned int n = cap + KOVAN_ARRAYQ_BULK_CHUNK + 3, i, got, lap;
	unsigned long next_in = 0, next_out = 0;
	void **items;

	items = kunit_kcalloc(test, n, sizeof(*items), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, items);
	for (lap = 0; lap < 20; lap++) {
		/* Start each lap at a different index. */
		KUNIT_ASSERT_EQ(test, kovan_arrayq_push(q, kq_item(next_in++)), 0);
		for (i = 0; i < n; i++)
			items[i] = kq_item(next_in + i);
		got = kovan_arrayq_push_bulk(q, items, n);
		KUNIT_ASSERT_EQ(test, got, cap - 1);
		next_in += got;
		KUNIT_EXPECT_TRUE(test, kovan_arrayq_is_full(q));
		KUNIT_EXPECT_EQ(test, kovan_arrayq_push_bulk(q, items, n), 0U);
		/* Pop a few, then more than are left. */
		got = kovan_arrayq_pop_bulk(q, items, (cap + 1) / 2);
		KUNIT_ASSERT_EQ(test, got, (cap + 1) / 2);
		for (i = 0; i < got; i++)
			KUNIT_ASSERT_EQ(test, kq_value(items[i]), next_out++);
		got = kovan_arrayq_pop_bulk(q, items, n);
		KUNIT_ASSERT_EQ(test, got, cap - (cap + 1) / 2);
		for (i = 0; i < got; i++)
			KUNIT_ASSERT_EQ(test, kq_value(items[i]), next_out++);
		KUNIT_EXPECT_EQ(test, kovan_arrayq_pop_bulk(q, items, n), 0U);
		/* Pop one so the next lap's push starts elsewhere. */
		if (lap & 1) {
			KUNIT_ASSERT_EQ(test, kovan_arrayq_push(q, kq_item(next_in++)), 0);
			KUNIT_ASSERT_EQ(test, kq_value(kovan_arrayq_pop(q)), next_out++);
		}
	}
	/* A NULL item stops the push before it. */
	items[0] = kq_item(next_in);
	items[1] = NULL;
	got = kovan_arrayq_push_bulk(q, items, cap > 1 ? 2 : 1);
	KUNIT_EXPECT_EQ(test, got, 1U);
	KUNIT_EXPECT_EQ(test, kovan_arrayq_len(q), 1U);
	KUNIT_EXPECT_EQ(test, next_in, next_out);
	kovan_arrayq_destroy(q, NULL);
}

static int kq_arrayq_push(void *q, void *item)
{
	return kovan_arrayq_push(q, item);
}

static void *kq_arrayq_pop(void *q)
{
	return kovan_arrayq_pop(q);
}

static bool kq_arrayq_is_empty(void *q)
{
	return kovan_arrayq_is_empty(q);
}

static unsigned int kq_arrayq_push_bulk(void *q, void * const *items, unsigned int n)
{
	return kovan_arrayq_push_bulk(q, items, n);
}

static unsigned int kq_arrayq_pop_bulk(void *q, void **items, unsigned int n)
{
	return kovan_arrayq_pop_bulk(q, items, n);
}

struct kq_shape {
	unsigned int producers, consumers, capacity, bulk;
};

static const struct kq_shape kq_shapes[] = {
	{ 1, 1, 16 }, { 2, 2, 64 }, { 4, 4, 64 }, { 4, 4, 1 }, { 2, 2, 3 },
	{ 2, 2, 64, 8 }, { 4, 4, 100, 64 }, { 3, 2, 5, 4 },
};

static void kq_shape_desc(const struct kq_shape *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%uP%uC capacity %u bulk %u", s->producers,
		 s->consumers, s->capacity, s->bulk);
}

KUNIT_ARRAY_PARAM(kq_shape, kq_shapes, kq_shape_desc);

/* Every item popped exactly once, each producer's items in its order. */
static void kovan_arrayq_mpmc(struct kunit *test)
{
	const struct kq_shape *shape = test->param_value;
	const struct kq_ops ops = {
		.push = kq_arrayq_push,
		.pop = kq_arrayq_pop,
		.is_empty = kq_arrayq_is_empty,
		.push_bulk = kq_arrayq_push_bulk,
		.pop_bulk = kq_arrayq_pop_bulk,
		.bulk = shape->bulk,
	};
	struct kovan_arrayq *q = kq_new(test, shape->capacity);
	unsigned long refusals[2];

	kq_mpmc(test, &ops, q, shape->producers, shape->consumers, refusals);
	KUNIT_EXPECT_EQ(test, refusals[1], 0UL);
	kovan_arrayq_destroy(q, NULL);
}

static void kovan_arrayq_contexts(struct kunit *test)
{
	const struct kq_ops ops = {
		.push = kq_arrayq_push,
		.pop = kq_arrayq_pop,
		.is_empty = kq_arrayq_is_empty,
	};
	struct kovan_arrayq *q = kq_new(test, 8);

	kq_contexts(test, &ops, q);
	kovan_arrayq_destroy(q, NULL);
}

static struct kunit_case kovan_arrayq_cases[] = {
	KUNIT_CASE_PARAM(kovan_arrayq_sequential, kq_capacity_gen_params),
	KUNIT_CASE_PARAM(kovan_arrayq_force, kq_capacity_gen_params),
	KUNIT_CASE_PARAM(kovan_arrayq_bulk, kq_capacity_gen_params),
	KUNIT_CASE(kovan_arrayq_bad_input),
	KUNIT_CASE(kovan_arrayq_destroy_dtor),
	KUNIT_CASE_PARAM(kovan_arrayq_mpmc, kq_shape_gen_params),
	KUNIT_CASE(kovan_arrayq_contexts),
	{}
};

static struct kunit_suite kovan_arrayq_suite = {
	.name = "kovan_arrayq",
	.test_cases = kovan_arrayq_cases,
};

kunit_test_suites(&kovan_arrayq_suite);
