// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Multithreaded checks shared by the queue suites; see queue_harness.h.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kovan/compat.h>

#include "queue_harness.h"

#define KQ_MAX_THREADS	8
#define KQ_MAX_BULK	64
/*
 * The hardirq's period. Not shorter: UML runs a timer interrupt that arrives
 * during the softirqs of the previous one on the same stack, and with KASAN
 * frames a few such nestings overflow it.
 */
#define KQ_IRQ_PERIOD_NS	250000

/*
 * Producers push for a fixed time, not a fixed count: on one CPU a full or
 * empty queue waits for the scheduler tick, and the checks hold for any
 * number of items.
 */
struct kq_run {
	const struct kq_ops *ops;
	void *q;
	unsigned long deadline;
	unsigned int producers;
	atomic_long_t pushed_per_producer[KQ_MAX_THREADS];
	atomic_long_t refused[2];
	atomic_long_t refused_other;
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
	void *items[KQ_MAX_BULK];
	unsigned long last[KQ_MAX_THREADS];
};

static void kq_refused(struct kq_run *r, int err)
{
	if (err == -ENOSPC)
		atomic_long_inc(&r->refused[0]);
	else if (err == -ENOMEM)
		atomic_long_inc(&r->refused[1]);
	else
		atomic_long_inc(&r->refused_other);
}

/* Push items seq.. in one call; return how many went in. */
static unsigned int kq_push_some(struct kq_thread *t, unsigned long seq)
{
	struct kq_run *r = t->r;
	unsigned long tag = (unsigned long)t->id << 32;
	unsigned int i, n;
	int err;

	if (!r->ops->bulk) {
		err = r->ops->push(r->q, kq_item(tag | seq));
		if (err)
			kq_refused(r, err);
		return !err;
	}
	for (i = 0; i < r->ops->bulk; i++)
		t->items[i] = kq_item(tag | (seq + i));
	n = r->ops->push_bulk(r->q, t->items, r->ops->bulk);
	if (n < r->ops->bulk)
		kq_refused(r, -ENOSPC);
	return n;
}

static int kq_producer(void *arg)
{
	struct kq_thread *t = arg;
	unsigned long seq = 0, calls = 0;
	unsigned int n;

	while (time_before(jiffies, t->r->deadline)) {
		n = kq_push_some(t, seq);
		seq += n;
		if (!n || !(++calls & 255))
			cond_resched();
	}
	atomic_long_set(&t->r->pushed_per_producer[t->id], seq);
	/* Counts before the last word; pairs with the consumers' atomic_read(). */
	smp_mb__before_atomic();
	atomic_dec(&t->r->producers_left);
	atomic_dec(&t->r->running);
	return 0;
}

static void kq_check_item(struct kq_thread *t, void *item)
{
	struct kq_run *r = t->r;
	unsigned long v = kq_value(item), seq = v & 0xffffffffUL;
	unsigned int p = v >> 32;

	if (p >= r->producers) {
		atomic_long_inc(&r->bad_items);
		return;
	}
	/* One producer's items arrive in its order, at every consumer. */
	if (t->last[p] != ~0UL && seq <= t->last[p])
		atomic_long_inc(&r->out_of_order);
	t->last[p] = seq;
	atomic_long_inc(&r->popped_per_producer[p]);
	atomic_long_add(seq, &r->sum_per_producer[p]);
	atomic_long_inc(&r->popped);
}

static unsigned int kq_pop_some(struct kq_thread *t)
{
	struct kq_run *r = t->r;

	if (!r->ops->bulk) {
		t->items[0] = r->ops->pop(r->q);
		return !!t->items[0];
	}
	return r->ops->pop_bulk(r->q, t->items, r->ops->bulk);
}

static int kq_consumer(void *arg)
{
	struct kq_thread *t = arg;
	struct kq_run *r = t->r;
	unsigned long idle = 0;
	unsigned int i, n;

	memset(t->last, 0xff, sizeof(t->last));
	for (;;) {
		n = kq_pop_some(t);
		if (!n) {
			if (!atomic_read(&r->producers_left) && r->ops->is_empty(r->q))
				break;
			if (!(++idle & 63))
				cond_resched();
			continue;
		}
		for (i = 0; i < n; i++)
			kq_check_item(t, t->items[i]);
	}
	atomic_dec(&r->running);
	return 0;
}

void kq_mpmc(struct kunit *test, const struct kq_ops *ops, void *q,
	     unsigned int producers, unsigned int consumers, unsigned long refusals[2])
{
	struct kq_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int i, n = producers + consumers;
	struct kq_thread *threads;
	struct task_struct *task;
	long pushed = 0;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_LE(test, producers, KQ_MAX_THREADS);
	KUNIT_ASSERT_LE(test, consumers, KQ_MAX_THREADS);
	KUNIT_ASSERT_LE(test, ops->bulk, KQ_MAX_BULK);
	threads = kunit_kcalloc(test, n, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	r->ops = ops;
	r->q = q;
	r->deadline = jiffies + HZ;
	r->producers = producers;
	atomic_set(&r->producers_left, producers);
	atomic_set(&r->running, n);
	for (i = 0; i < n; i++) {
		threads[i].r = r;
		threads[i].id = i < producers ? i : i - producers;
		task = kthread_run(i < producers ? kq_producer : kq_consumer, &threads[i],
				   "kovan_kq_%s%u", i < producers ? "p" : "c", threads[i].id);
		if (IS_ERR(task)) {
			atomic_dec(&r->running);
			if (i < producers)
				atomic_dec(&r->producers_left);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(task));
		}
	}
	while (atomic_read(&r->running))
		msleep(20);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad_items), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->out_of_order), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->refused_other), 0L);
	for (i = 0; i < producers; i++) {
		long n = atomic_long_read(&r->pushed_per_producer[i]);

		pushed += n;
		KUNIT_EXPECT_EQ(test, atomic_long_read(&r->popped_per_producer[i]), n);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&r->sum_per_producer[i]), n * (n - 1) / 2);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->popped), pushed);
	KUNIT_EXPECT_GT(test, pushed, 0L);
	KUNIT_EXPECT_TRUE(test, ops->is_empty(q));
	refusals[0] = atomic_long_read(&r->refused[0]);
	refusals[1] = atomic_long_read(&r->refused[1]);
	kunit_info(test, "%u CPUs, %uP%uC%s: %ld items popped, %lu -ENOSPC, %lu -ENOMEM\n",
		   num_online_cpus(), producers, consumers, ops->bulk ? " bulk" : "",
		   atomic_long_read(&r->popped), refusals[0], refusals[1]);
}

struct kq_irq {
	const struct kq_ops *ops;
	void *q;
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
	void *item = k->ops->pop(k->q);

	if (!item)
		return;
	atomic_long_inc(&k->irq_popped);
	if (!k->ops->push(k->q, item))
		atomic_long_inc(&k->irq_pushed);
}

static enum hrtimer_restart kq_hardirq(struct hrtimer *t)
{
	struct kq_irq *k = container_of(t, struct kq_irq, timer);

	kq_irq_cycle(k);
	atomic_inc(&k->hardirq_runs);
	if (READ_ONCE(k->stop))	/* Set by the test thread before hrtimer_cancel(). */
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(KQ_IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void kq_softirq(struct tasklet_struct *t)
{
	struct kq_irq *k = from_tasklet(k, t, tasklet);

	kq_irq_cycle(k);
	atomic_inc(&k->softirq_runs);
}

void kq_contexts(struct kunit *test, const struct kq_ops *ops, void *q)
{
	struct kq_irq *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	unsigned long i, pushed = 0, popped = 0, lost, deadline;

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->ops = ops;
	k->q = q;
	kovan_hrtimer_setup(&k->timer, kq_hardirq, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	tasklet_setup(&k->tasklet, kq_softirq);
	hrtimer_start(&k->timer, ns_to_ktime(KQ_IRQ_PERIOD_NS), HRTIMER_MODE_REL_HARD);

	/* At least 200000 rounds and some of each interrupt; bounded by 20 s. */
	deadline = jiffies + 20 * HZ;
	for (i = 0; i < 200000 || (time_before(jiffies, deadline) &&
				   (atomic_read(&k->hardirq_runs) < 20 ||
				    atomic_read(&k->softirq_runs) < 20)); i++) {
		if (ops->push(q, kq_item(i)) == 0)
			pushed++;
		if (!(i & 7))
			tasklet_schedule(&k->tasklet);
		if (ops->pop(q))
			popped++;
		if (!(i & 1023))
			cond_resched();
	}
	WRITE_ONCE(k->stop, true);	/* Read by kq_hardirq(). */
	hrtimer_cancel(&k->timer);
	tasklet_kill(&k->tasklet);
	while (ops->pop(q))
		popped++;
	/* Interrupt pops that could not push back (queue refilled meanwhile) left the queue. */
	lost = atomic_long_read(&k->irq_popped) - atomic_long_read(&k->irq_pushed);
	KUNIT_EXPECT_EQ(test, pushed, popped + lost);
	KUNIT_EXPECT_GT(test, atomic_read(&k->hardirq_runs), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&k->softirq_runs), 0);
	kunit_info(test, "task pushed %lu popped %lu; irq cycles %ld (%d hardirq, %d softirq)\n",
		   pushed, popped, atomic_long_read(&k->irq_popped),
		   atomic_read(&k->hardirq_runs), atomic_read(&k->softirq_runs));
}

MODULE_DESCRIPTION("KUnit tests for kovan_queue: ArrayQueue and SegQueue");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
MODULE_IMPORT_NS(KOVAN_NS);
