// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan_segq: FIFO across segment boundaries, -ENOMEM that
 * leaves the queue intact, segment accounting (every segment allocated is
 * freed), reuse of freed segments, bad input, destroy, MPMC with and
 * without injected allocation failures, and pushes and pops from hardirq
 * and softirq.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>

#include <kovan/kovan.h>
#include <kovan/segq.h>
#include <trace/events/kovan_queue.h>

#include "../kovan/fault.h"
#include "queue_harness.h"

/* The -ENOMEM cases fail allocations through kovan's fail_alloc attribute. */
static void kq_require_fault_injection(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_KOVAN_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_KOVAN_FAULT_INJECTION");
}

static struct kovan_segq *kq_segq_new(struct kunit *test, struct kovan_domain *d)
{
	struct kovan_segq *q = kovan_segq_create(d, GFP_KERNEL);

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(q));
	return q;
}

/* Drained and barriered: only the segment head and tail share is left. */
static void kq_expect_segments_balanced(struct kunit *test, struct kovan_segq *q)
{
	struct kovan_segq_stats s;

	kovan_barrier(kovan_segq_domain(q));
	kovan_segq_stats(q, &s);
	KUNIT_EXPECT_EQ(test, s.segments_allocated, s.segments_freed + 1);
	kunit_info(test, "segments allocated %lu freed %lu, allocation failures %lu\n",
		   s.segments_allocated, s.segments_freed, s.alloc_failures);
}

static const unsigned int kq_batches[] = {
	1, 2, KOVAN_SEGQ_SEGMENT_ITEMS - 1, KOVAN_SEGQ_SEGMENT_ITEMS,
	KOVAN_SEGQ_SEGMENT_ITEMS + 1, 2 * KOVAN_SEGQ_SEGMENT_ITEMS + 5, 1000,
};

static void kq_batch_desc(const unsigned int *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%u at a time", *n);
}

KUNIT_ARRAY_PARAM(kq_batch, kq_batches, kq_batch_desc);

/* FIFO and length over many segments, filling and draining n at a time. */
static void kovan_segq_sequential(struct kunit *test)
{
	unsigned int n = *(const unsigned int *)test->param_value;
	struct kovan_segq *q = kq_segq_new(test, NULL);
	unsigned long next_in = 0, next_out = 0;
	unsigned int i, round;

	KUNIT_EXPECT_TRUE(test, kovan_segq_is_empty(q));
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	for (round = 0; round < 100; round++) {
		for (i = 0; i < n; i++, next_in++)
			KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(next_in), GFP_KERNEL), 0);
		KUNIT_ASSERT_EQ(test, kovan_segq_len(q), next_in - next_out);
		/* Leave one behind every other round so boundaries move. */
		for (i = 0; i < n - (round & 1); i++)
			KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
		KUNIT_ASSERT_EQ(test, kovan_segq_len(q), next_in - next_out);
	}
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	KUNIT_EXPECT_TRUE(test, kovan_segq_is_empty(q));
	kq_expect_segments_balanced(test, q);
	kovan_segq_destroy(q, NULL);
}

/* A push that cannot get its segment changes nothing. */
static void kovan_segq_enomem(struct kunit *test)
{
	unsigned long next_in = 0, next_out = 0;
	struct kovan_segq_stats s;
	unsigned int round, i;
	struct kovan_segq *q;
	int ret = 0;

	kq_require_fault_injection(test);
	q = kq_segq_new(test, NULL);
	for (round = 0; round < 3; round++) {
		kovan_fault_set_probability(100);
		/* Every place but the last of the segment needs no allocation. */
		for (i = 0; i <= KOVAN_SEGQ_SEGMENT_ITEMS; i++) {
			ret = kovan_segq_push(q, kq_item(next_in), GFP_KERNEL);
			if (ret)
				break;
			next_in++;
		}
		KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
		KUNIT_ASSERT_EQ(test, kovan_segq_len(q), next_in - next_out);
		KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(next_in), GFP_ATOMIC), -ENOMEM);
		/* Pops still work, and the refused item never shows up. */
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
		kovan_fault_set_probability(0);
		KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(next_in++), GFP_KERNEL), 0);
	}
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	kovan_segq_stats(q, &s);
	KUNIT_EXPECT_EQ(test, s.alloc_failures, 6UL);
	kq_expect_segments_balanced(test, q);
	kovan_segq_destroy(q, NULL);
}

/*
 * Segments kovan frees come back for reuse, at most KOVAN_SEGQ_KEPT_MAX of
 * them; reused ones read as fresh (a stale next pointer would let pops run
 * past tail), and injected allocation failures still fail pushes.
 */
static void kovan_segq_recycles(struct kunit *test)
{
	struct kovan_segq *q = kq_segq_new(test, NULL);
	const unsigned long many = (KOVAN_SEGQ_KEPT_MAX + 20UL) * KOVAN_SEGQ_SEGMENT_ITEMS;
	const unsigned long some = 10UL * KOVAN_SEGQ_SEGMENT_ITEMS;
	unsigned long next_in = 0, next_out = 0, allocated, recycled;
	struct kovan_segq_stats s;
	unsigned int i;
	int ret = 0;

	while (next_in < many)
		KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(next_in++), GFP_KERNEL), 0);
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	kq_expect_segments_balanced(test, q);
	kovan_segq_stats(q, &s);
	KUNIT_EXPECT_EQ(test, s.segments_kept, (unsigned long)KOVAN_SEGQ_KEPT_MAX);
	KUNIT_EXPECT_EQ(test, s.segments_recycled, 0UL);
	allocated = s.segments_allocated;

	/* Every segment these pushes need comes from the kept ones. */
	while (next_in < many + some)
		KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(next_in++), GFP_KERNEL), 0);
	kovan_segq_stats(q, &s);
	recycled = s.segments_allocated - allocated;
	KUNIT_EXPECT_GE(test, recycled, 9UL);
	KUNIT_EXPECT_EQ(test, s.segments_recycled, recycled);
	KUNIT_EXPECT_EQ(test, s.segments_kept, KOVAN_SEGQ_KEPT_MAX - recycled);
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	KUNIT_EXPECT_EQ(test, kovan_segq_len(q), 0UL);

	/* Kept segments do not bypass injected failures. */
	if (IS_ENABLED(CONFIG_KOVAN_FAULT_INJECTION)) {
		/* The pops' retires done before failures start (fault.h). */
		kovan_barrier(kovan_segq_domain(q));
		kovan_fault_set_probability(100);
		for (i = 0; i <= KOVAN_SEGQ_SEGMENT_ITEMS; i++) {
			ret = kovan_segq_push(q, kq_item(next_in), GFP_KERNEL);
			if (ret)
				break;
			next_in++;
		}
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		kovan_segq_stats(q, &s);
		KUNIT_EXPECT_GT(test, s.segments_kept, 0UL);
		kovan_fault_set_probability(0);
	}
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	kq_expect_segments_balanced(test, q);
	kovan_segq_stats(q, &s);
	KUNIT_EXPECT_LE(test, s.segments_kept, (unsigned long)KOVAN_SEGQ_KEPT_MAX);
	kunit_info(test, "%lu segments reused, %lu kept at the end\n", s.segments_recycled,
		   s.segments_kept);
	kovan_segq_destroy(q, NULL);
}

/* What probes on the segment tracepoints saw of one queue. */
struct kq_trace {
	const void *queue;
	atomic_long_t allocs;
	atomic_long_t recycled;
	atomic_long_t frees;
	atomic_long_t kept;
};

static void kq_probe_alloc(void *data, const void *queue, bool recycled)
{
	struct kq_trace *t = data;

	if (queue != t->queue)
		return;
	atomic_long_inc(&t->allocs);
	if (recycled)
		atomic_long_inc(&t->recycled);
}

static void kq_probe_free(void *data, const void *queue, bool kept)
{
	struct kq_trace *t = data;

	if (queue != t->queue)
		return;
	atomic_long_inc(&t->frees);
	if (kept)
		atomic_long_inc(&t->kept);
}

/* The segment trace events agree with the queue's statistics. */
static void kovan_segq_trace_events(struct kunit *test)
{
	struct kq_trace *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct kovan_segq *q = kq_segq_new(test, NULL);
	const unsigned long many = 3UL * KOVAN_SEGQ_SEGMENT_ITEMS * KOVAN_SEGQ_KEPT_MAX / 2;
	unsigned long i, round;
	struct kovan_segq_stats s;

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS)) {
		kovan_segq_destroy(q, NULL);
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	}
	t->queue = q;
	KUNIT_ASSERT_EQ(test, register_trace_kovan_segq_segment_alloc(kq_probe_alloc, t), 0);
	KUNIT_ASSERT_EQ(test, register_trace_kovan_segq_segment_free(kq_probe_free, t), 0);
	/* Twice: the second round takes what the first left kept. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < many; i++)
			KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(i), GFP_KERNEL), 0);
		for (i = 0; i < many; i++)
			KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), i);
		kovan_barrier(kovan_segq_domain(q));
	}
	unregister_trace_kovan_segq_segment_free(kq_probe_free, t);
	unregister_trace_kovan_segq_segment_alloc(kq_probe_alloc, t);
	tracepoint_synchronize_unregister();
	kovan_segq_stats(q, &s);
	/* The first segment came with the queue, before the probes. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->allocs) + 1, (long)s.segments_allocated);
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&t->recycled), s.segments_recycled);
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&t->frees), s.segments_freed);
	KUNIT_EXPECT_GT(test, atomic_long_read(&t->recycled), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&t->kept), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&t->frees), atomic_long_read(&t->kept));
	/* What was kept and not taken back is kept now. */
	KUNIT_EXPECT_EQ(test, (unsigned long)(atomic_long_read(&t->kept) -
					      atomic_long_read(&t->recycled)), s.segments_kept);
	kovan_segq_destroy(q, NULL);
}

static void kovan_segq_bad_input(struct kunit *test)
{
	struct kovan_segq *q = kq_segq_new(test, NULL);

	KUNIT_EXPECT_EQ(test, kovan_segq_push(q, NULL, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_TRUE(test, kovan_segq_is_empty(q));
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	kovan_segq_destroy(q, NULL);
	kovan_segq_destroy(NULL, NULL);
}

static unsigned long kq_dtor_calls, kq_dtor_sum;

static void kq_dtor(void *item)
{
	kq_dtor_calls++;
	kq_dtor_sum += kq_value(item);
}

/* destroy calls dtor once on each item left and frees every segment. */
static void kovan_segq_destroy_dtor(struct kunit *test)
{
	struct kovan_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct kovan_stats before, after;
	struct kovan_segq *q;
	unsigned long i, sum = 0;

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, kovan_domain_init(d, 0), 0);
	q = kq_segq_new(test, d);
	KUNIT_EXPECT_PTR_EQ(test, kovan_segq_domain(q), d);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, kovan_segq_push(q, kq_item(i), GFP_KERNEL), 0);
	for (i = 0; i < 40; i++)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), i);
	for (; i < 100; i++)
		sum += i;
	kovan_domain_stats(d, &before);
	kq_dtor_calls = 0;
	kq_dtor_sum = 0;
	kovan_segq_destroy(q, kq_dtor);
	KUNIT_EXPECT_EQ(test, kq_dtor_calls, 60UL);
	KUNIT_EXPECT_EQ(test, kq_dtor_sum, sum);
	/* Segments retired through the shared domain are freed by the time destroy returns. */
	kovan_domain_stats(d, &after);
	KUNIT_EXPECT_EQ(test, after.pending, 0UL);
	KUNIT_EXPECT_EQ(test, after.retired, 100UL / KOVAN_SEGQ_SEGMENT_ITEMS);
	kovan_domain_destroy(d);
}

static int kq_segq_push(void *q, void *item)
{
	return kovan_segq_push(q, item, GFP_KERNEL);
}

static int kq_segq_push_atomic(void *q, void *item)
{
	return kovan_segq_push(q, item, GFP_ATOMIC);
}

static void *kq_segq_pop(void *q)
{
	return kovan_segq_pop(q);
}

static bool kq_segq_is_empty(void *q)
{
	return kovan_segq_is_empty(q);
}

struct kq_segq_shape {
	unsigned int producers, consumers;
	unsigned int fail_percent;
	bool shared_domain;
	unsigned int domain_flags;
};

static const struct kq_segq_shape kq_segq_shapes[] = {
	{ 1, 1 }, { 2, 2 }, { 4, 4 }, { 4, 1 }, { 1, 4 },
	{ 2, 2, 33 }, { 4, 4, 50, true, KOVAN_ROBUST }, { 3, 3, 14 },
	/* Pops in a fenceless domain order their empty check themselves (segq.c, SQ-D). */
	{ 2, 2, 0, true, KOVAN_FENCELESS },
};

static void kq_segq_shape_desc(const struct kq_segq_shape *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%uP%uC %s domain, fail %u%%", s->producers,
		 s->consumers, !s->shared_domain ? "own" :
		 s->domain_flags & KOVAN_ROBUST ? "shared robust" : "shared fenceless",
		 s->fail_percent);
}

KUNIT_ARRAY_PARAM(kq_segq_shape, kq_segq_shapes, kq_segq_shape_desc);

/*
 * Every item pushed is popped once and in its producer's order; with
 * allocation failures injected, refused pushes are retried and none of
 * them shows up twice, and the segment counts balance.
 */
static void kovan_segq_mpmc(struct kunit *test)
{
	const struct kq_segq_shape *shape = test->param_value;
	const struct kq_ops ops = {
		.push = kq_segq_push,
		.pop = kq_segq_pop,
		.is_empty = kq_segq_is_empty,
	};
	struct kovan_domain *d = NULL;
	struct kovan_segq_stats s;
	unsigned long refusals[2];
	struct kovan_segq *q;

	if (shape->fail_percent)
		kq_require_fault_injection(test);
	if (shape->shared_domain) {
		d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, d);
		KUNIT_ASSERT_EQ(test, kovan_domain_init(d, shape->domain_flags), 0);
	}
	q = kq_segq_new(test, d);
	kovan_fault_set_probability(shape->fail_percent);
	kq_mpmc(test, &ops, q, shape->producers, shape->consumers, refusals);
	/* No retire in flight when the failures stop (fault.h). */
	kovan_barrier(kovan_segq_domain(q));
	kovan_fault_set_probability(0);
	kovan_segq_stats(q, &s);
	KUNIT_EXPECT_EQ(test, refusals[0], 0UL);
	KUNIT_EXPECT_EQ(test, refusals[1], s.alloc_failures);
	if (shape->fail_percent)
		KUNIT_EXPECT_GT(test, refusals[1], 0UL);
	else
		KUNIT_EXPECT_EQ(test, refusals[1], 0UL);
	kq_expect_segments_balanced(test, q);
	kovan_segq_destroy(q, NULL);
	if (d)
		kovan_domain_destroy(d);
}

static void kovan_segq_contexts(struct kunit *test)
{
	const struct kq_ops ops = {
		.push = kq_segq_push_atomic,
		.pop = kq_segq_pop,
		.is_empty = kq_segq_is_empty,
	};
	struct kovan_segq *q = kq_segq_new(test, NULL);

	kq_contexts(test, &ops, q);
	kq_expect_segments_balanced(test, q);
	kovan_segq_destroy(q, NULL);
}

/*
 * segq.h, PREEMPT_RT: a push with interrupts off that needs a segment takes
 * the reserve, and a worker allocates the next one; a burst that needs two
 * before the worker ran gets -ENOMEM for the rest and changes nothing.
 */
static void kovan_segq_rt_reserve(struct kunit *test)
{
	struct kovan_segq *q;
	unsigned long next_in = 0, next_out = 0, refused = 0, flags, allocated;
	struct kovan_segq_stats s;
	unsigned int round, i;
	int ret;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "pushes that may not allocate exist on PREEMPT_RT only");
	q = kq_segq_new(test, NULL);
	/* Each round fills one segment with interrupts off: its last place takes the reserve. */
	for (round = 0; round < 4; round++) {
		kovan_segq_stats(q, &s);
		allocated = s.segments_allocated;
		local_irq_save(flags);
		for (i = 0; i < KOVAN_SEGQ_SEGMENT_ITEMS; i++)
			if (!kovan_segq_push(q, kq_item(next_in), GFP_ATOMIC))
				next_in++;
		local_irq_restore(flags);
		KUNIT_ASSERT_EQ(test, next_in, (round + 1UL) * KOVAN_SEGQ_SEGMENT_ITEMS);
		/* Bounded wait for the refill worker, not a timing assertion. */
		for (i = 0; i < 1000; i++) {
			kovan_segq_stats(q, &s);
			if (s.reserved)
				break;
			msleep(20);
		}
		KUNIT_ASSERT_EQ(test, s.reserved, 1UL);
		KUNIT_EXPECT_EQ(test, s.segments_allocated, allocated + 1);
	}
	/* Three segments' worth in one go: the second one needed may be refused. */
	local_irq_save(flags);
	for (i = 0; i < 3 * KOVAN_SEGQ_SEGMENT_ITEMS; i++) {
		ret = kovan_segq_push(q, kq_item(next_in), GFP_ATOMIC);
		if (!ret)
			next_in++;
		else
			refused += ret == -ENOMEM;
	}
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, next_in + refused, (4UL + 3) * KOVAN_SEGQ_SEGMENT_ITEMS);
	KUNIT_EXPECT_EQ(test, kovan_segq_len(q), next_in);
	while (next_out < next_in)
		KUNIT_ASSERT_EQ(test, kq_value(kovan_segq_pop(q)), next_out++);
	KUNIT_EXPECT_NULL(test, kovan_segq_pop(q));
	kunit_info(test, "%lu pushes with interrupts off, %lu refused\n", next_in + refused,
		   refused);
	kq_expect_segments_balanced(test, q);
	kovan_segq_destroy(q, NULL);
}

static struct kunit_case kovan_segq_cases[] = {
	KUNIT_CASE_PARAM(kovan_segq_sequential, kq_batch_gen_params),
	KUNIT_CASE(kovan_segq_enomem),
	KUNIT_CASE(kovan_segq_recycles),
	KUNIT_CASE(kovan_segq_trace_events),
	KUNIT_CASE(kovan_segq_bad_input),
	KUNIT_CASE(kovan_segq_destroy_dtor),
	KUNIT_CASE_PARAM(kovan_segq_mpmc, kq_segq_shape_gen_params),
	KUNIT_CASE(kovan_segq_contexts),
	KUNIT_CASE(kovan_segq_rt_reserve),
	{}
};

/* A case that failed while injecting failures leaves none to the next. */
static void kovan_segq_case_exit(struct kunit *test)
{
	kovan_fault_set_probability(0);
}

static struct kunit_suite kovan_segq_suite = {
	.name = "kovan_segq",
	.exit = kovan_segq_case_exit,
	.test_cases = kovan_segq_cases,
};

kunit_test_suites(&kovan_segq_suite);
