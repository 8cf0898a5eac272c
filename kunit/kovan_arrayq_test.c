// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan_arrayq: exact capacity, FIFO over many laps,
 * bad input, destroy, MPMC with per-producer order, and pushes and pops
 * from hardirq and softirq while tasks use the same queue.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kovan_queue/arrayq.h>

/* Items are tagged integers; +1 keeps them non-NULL. */
static void *kq_item(unsigned long v)
{
	return (void *)(v + 1);
}

static unsigned long kq_value(void *item)
{
	return (unsigned long)item - 1;
}

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

/* ---- MPMC ---- */

#define KQ_MAX_THREADS	8

/*
 * Producers push for a fixed time, not a fixed count: on one CPU a full or
 * empty queue waits for the scheduler tick, and the checks below hold for
 * any number of items.
 */
struct kq_run {
	struct kovan_arrayq *q;
	unsigned long deadline;
	unsigned int producers;
	atomic_long_t pushed_per_producer[KQ_MAX_THREADS];
	atomic_t producers_left;
	atomic_t running;
	atomic_long_t popped;
	atomic_long_t popped_per_producer[KQ_MAX_THREADS];
	atomic_long_t sum_per_producer[KQ_MAX_THREADS];
	atomic_long_t out_of_order;
	atomic_long_t bad_items;
};

struct kq_thread {
	struct kq_run *r;
	unsigned int id;
};

static int kq_producer(void *arg)
{
	struct kq_thread *t = arg;
	unsigned long seq = 0;

	while (time_before(jiffies, t->r->deadline)) {
		if (kovan_arrayq_push(t->r->q, kq_item((unsigned long)t->id << 32 | seq))) {
			cond_resched();
			continue;
		}
		seq++;
		if (!(seq & 255))
			cond_resched();
	}
	atomic_long_set(&t->r->pushed_per_producer[t->id], seq);
	/* Counts before the last word; pairs with the consumers' atomic_read(). */
	smp_mb__before_atomic();
	atomic_dec(&t->r->producers_left);
	atomic_dec(&t->r->running);
	return 0;
}

static int kq_consumer(void *arg)
{
	struct kq_thread *t = arg;
	struct kq_run *r = t->r;
	unsigned long last[KQ_MAX_THREADS];
	unsigned long v, seq, idle = 0;
	unsigned int p;
	void *item;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		item = kovan_arrayq_pop(r->q);
		if (!item) {
			if (!atomic_read(&r->producers_left) && kovan_arrayq_is_empty(r->q))
				break;
			if (!(++idle & 63))
				cond_resched();
			continue;
		}
		v = kq_value(item);
		p = v >> 32;
		seq = v & 0xffffffffUL;
		if (p >= r->producers) {
			atomic_long_inc(&r->bad_items);
			continue;
		}
		/* One producer's items arrive in its order, at every consumer. */
		if (last[p] != ~0UL && seq <= last[p])
			atomic_long_inc(&r->out_of_order);
		last[p] = seq;
		atomic_long_inc(&r->popped_per_producer[p]);
		atomic_long_add(seq, &r->sum_per_producer[p]);
		atomic_long_inc(&r->popped);
	}
	atomic_dec(&r->running);
	return 0;
}

struct kq_shape {
	unsigned int producers, consumers, capacity;
};

static const struct kq_shape kq_shapes[] = {
	{ 1, 1, 16 }, { 2, 2, 64 }, { 4, 4, 64 }, { 4, 4, 1 }, { 2, 2, 3 },
};

static void kq_shape_desc(const struct kq_shape *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%uP%uC capacity %u", s->producers, s->consumers,
		 s->capacity);
}

KUNIT_ARRAY_PARAM(kq_shape, kq_shapes, kq_shape_desc);

/* Every item popped exactly once, each producer's items in its order. */
static void kovan_arrayq_mpmc(struct kunit *test)
{
	const struct kq_shape *shape = test->param_value;
	struct kq_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kq_thread *threads;
	struct task_struct *task;
	unsigned int i, n = shape->producers + shape->consumers;
	long pushed = 0;

	KUNIT_ASSERT_NOT_NULL(test, r);
	threads = kunit_kcalloc(test, n, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	r->q = kq_new(test, shape->capacity);
	r->deadline = jiffies + HZ;
	r->producers = shape->producers;
	atomic_set(&r->producers_left, shape->producers);
	atomic_set(&r->running, n);
	for (i = 0; i < n; i++) {
		threads[i].r = r;
		threads[i].id = i < shape->producers ? i : i - shape->producers;
		task = kthread_run(i < shape->producers ? kq_producer : kq_consumer, &threads[i],
				   "kovan_arrayq_%s%u", i < shape->producers ? "p" : "c",
				   threads[i].id);
		if (IS_ERR(task)) {
			atomic_dec(&r->running);
			if (i < shape->producers)
				atomic_dec(&r->producers_left);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		}
	}
	while (atomic_read(&r->running))
		msleep(20);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad_items), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->out_of_order), 0L);
	for (i = 0; i < shape->producers; i++) {
		long n = atomic_long_read(&r->pushed_per_producer[i]);

		pushed += n;
		KUNIT_EXPECT_EQ(test, atomic_long_read(&r->popped_per_producer[i]), n);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&r->sum_per_producer[i]), n * (n - 1) / 2);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->popped), pushed);
	KUNIT_EXPECT_GT(test, pushed, 0L);
	KUNIT_EXPECT_TRUE(test, kovan_arrayq_is_empty(r->q));
	kunit_info(test, "%u CPUs, %uP%uC capacity %u: %ld items popped\n", num_online_cpus(),
		   shape->producers, shape->consumers, shape->capacity,
		   atomic_long_read(&r->popped));
	kovan_arrayq_destroy(r->q, NULL);
}

/* ---- Contexts ---- */

struct kq_irq {
	struct kovan_arrayq *q;
	struct hrtimer timer;
	struct tasklet_struct tasklet;
	atomic_t hardirq_runs;
	atomic_t softirq_runs;
	atomic_long_t irq_pushed;
	atomic_long_t irq_popped;
	bool stop;
};

/* Interrupts pop one item and push it back: the count is conserved. */
static void kq_irq_cycle(struct kq_irq *k)
{
	void *item = kovan_arrayq_pop(k->q);

	if (!item)
		return;
	atomic_long_inc(&k->irq_popped);
	if (!kovan_arrayq_push(k->q, item))
		atomic_long_inc(&k->irq_pushed);
}

static enum hrtimer_restart kq_hardirq(struct hrtimer *t)
{
	struct kq_irq *k = container_of(t, struct kq_irq, timer);

	kq_irq_cycle(k);
	atomic_inc(&k->hardirq_runs);
	if (READ_ONCE(k->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(20000));
	return HRTIMER_RESTART;
}

static void kq_softirq(struct tasklet_struct *t)
{
	struct kq_irq *k = from_tasklet(k, t, tasklet);

	kq_irq_cycle(k);
	atomic_inc(&k->softirq_runs);
}

static void kovan_arrayq_contexts(struct kunit *test)
{
	struct kq_irq *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	unsigned long i, pushed = 0, popped = 0, lost, deadline;
	void *item;

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->q = kq_new(test, 8);
	hrtimer_init(&k->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	k->timer.function = kq_hardirq;
	tasklet_setup(&k->tasklet, kq_softirq);
	hrtimer_start(&k->timer, ns_to_ktime(20000), HRTIMER_MODE_REL_HARD);

	/* At least 200000 rounds and some of each interrupt; bounded by 20 s. */
	deadline = jiffies + 20 * HZ;
	for (i = 0; i < 200000 || (time_before(jiffies, deadline) &&
				   (atomic_read(&k->hardirq_runs) < 20 ||
				    atomic_read(&k->softirq_runs) < 20)); i++) {
		if (kovan_arrayq_push(k->q, kq_item(i)) == 0)
			pushed++;
		if (!(i & 7))
			tasklet_schedule(&k->tasklet);
		item = kovan_arrayq_pop(k->q);
		if (item)
			popped++;
		if (!(i & 1023))
			cond_resched();
	}
	WRITE_ONCE(k->stop, true);
	hrtimer_cancel(&k->timer);
	tasklet_kill(&k->tasklet);
	while (kovan_arrayq_pop(k->q))
		popped++;
	/* Interrupt pops that could not push back (queue refilled meanwhile) are lost items. */
	lost = atomic_long_read(&k->irq_popped) - atomic_long_read(&k->irq_pushed);
	KUNIT_EXPECT_EQ(test, pushed, popped + lost);
	KUNIT_EXPECT_GT(test, atomic_read(&k->hardirq_runs), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&k->softirq_runs), 0);
	kunit_info(test, "task pushed %lu popped %lu; irq cycles %ld (%d hardirq, %d softirq)\n",
		   pushed, popped, atomic_long_read(&k->irq_popped),
		   atomic_read(&k->hardirq_runs), atomic_read(&k->softirq_runs));
	kovan_arrayq_destroy(k->q, NULL);
}

static struct kunit_case kovan_arrayq_cases[] = {
	KUNIT_CASE_PARAM(kovan_arrayq_sequential, kq_capacity_gen_params),
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

MODULE_DESCRIPTION("KUnit tests for kovan_arrayq");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
