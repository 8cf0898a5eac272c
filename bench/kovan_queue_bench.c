// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Queue throughput: kovan's queues next to the kernel's own, in one boot.
 *
 *	ArrayQueue (bounded)  vs  ptr_ring with its producer and consumer
 *				  locks, kfifo of pointers + one spinlock
 *	SegQueue (unbounded)  vs  lwq, llist + a spinlock around the pop
 *
 * Each measurement starts P producer and C consumer kthreads on a common
 * start signal, lets them run for ms milliseconds and counts the items the
 * consumers popped. Producer i runs on online CPU 2i, consumer i on CPU
 * 2i + 1 (modulo the CPUs online), so a 1P1C pair moves items between two
 * CPUs and larger shapes share CPUs the same way for every queue. The runs
 * are interleaved (run 0 of every queue and shape, then run 1, ...) so that
 * drift in the host affects all queues alike. A worker that finds the queue
 * full or empty retries a few times, then sleeps for 10-20 us. Loading the
 * module prints
 *
 *	kovan-queue-bench: tput <queue> <P>P<C>C <run> <items per second>
 *
 * and stays loaded, holding nothing, until rmmod. Not a test: it asserts
 * nothing.
 *
 * Bounded queues get the same capacity; kfifo rounds it up to a power of two,
 * so the capacity parameter should be one. Producers of the unbounded queues push items from a
 * pool of capacity items of their own, allocated beforehand, and consumers
 * give popped items back to their producer in batches, so the measurement
 * counts the queue and not the allocator (SegQueue's own segment
 * allocations included, they are part of its cost). llist is a LIFO: it is
 * here as the lock-protected list a driver would reach for.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kfifo.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/lwq.h>
#include <linux/module.h>
#include <linux/ptr_ring.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kovan_queue/arrayq.h>
#include <kovan_queue/segq.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each queue and shape (default 5)");

static unsigned int ms = 200;
module_param(ms, uint, 0400);
MODULE_PARM_DESC(ms, "length of one measurement in milliseconds (default 200)");

static unsigned int capacity = 1024;
module_param(capacity, uint, 0400);
MODULE_PARM_DESC(capacity,
		 "bounded queues' capacity and unbounded queues' items per producer (default 1024)");

/* Most producers (and consumers) of a shape. */
#define QB_MAX_SIDE		4
/* Items a consumer collects per producer before giving them back. */
#define QB_GIVEBACK_BATCH	32
/* Failed attempts in a row before a worker sleeps, and for how long. */
#define QB_SPINS		64
#define QB_SLEEP_US		10

enum qb_kind {
	QB_ARRAYQ,
	QB_PTR_RING,
	QB_KFIFO,
	QB_SEGQ,
	QB_LWQ,
	QB_LLIST,
	QB_NR_KINDS,
};

static const char * const qb_names[QB_NR_KINDS] = {
	[QB_ARRAYQ] = "arrayq",
	[QB_PTR_RING] = "ptr_ring",
	[QB_KFIFO] = "kfifo+lock",
	[QB_SEGQ] = "segq",
	[QB_LWQ] = "lwq",
	[QB_LLIST] = "llist+lock",
};

struct qb_worker;

/* An item of the unbounded queues; lwq and llist link it in place. */
struct qb_item {
	union {
		struct lwq_node lwq;
		struct llist_node ll;
	};
	struct llist_node free;
	struct qb_worker *owner;
};

struct qb_worker {
	struct task_struct *task;
	/* Items moved; written by the thread before it exits. */
	unsigned long count;
	/* Producer: its index, and its pool (unbounded queues only). */
	unsigned int id;
	struct qb_item *items;
	/* Pool items consumers gave back. */
	struct llist_head free;
} ____cacheline_aligned_in_smp;

/* Consumer side: popped items waiting to go back to one producer. */
struct qb_giveback {
	struct llist_node *first, *last;
	unsigned int n;
};

static struct qb_bench {
	enum qb_kind kind;
	struct completion start;
	/* Read in every iteration of every worker, written once: a line of its own. */
	bool stop ____cacheline_aligned_in_smp;
	union {
		struct kovan_arrayq *arrayq;
		struct ptr_ring ring;
		struct {
			DECLARE_KFIFO_PTR(fifo, void *);
			spinlock_t lock;	/* both ends of fifo */
		} kf;
		struct kovan_segq *segq;
		struct lwq lwq;
		struct {
			struct llist_head head;
			spinlock_t lock;	/* pops: one llist_del_first() at a time */
		} ll;
	} q ____cacheline_aligned_in_smp;
} qb;

static struct qb_worker qb_producers[QB_MAX_SIDE], qb_consumers[QB_MAX_SIDE];

static __always_inline bool qb_unbounded(enum qb_kind kind)
{
	return kind == QB_SEGQ || kind == QB_LWQ || kind == QB_LLIST;
}

/*
 * Push and pop, inlined into one producer and one consumer loop per queue
 * kind, so that no indirect call sits in the measured path.
 */
static __always_inline bool qb_push(enum qb_kind kind, void *item)
{
	struct qb_item *it = item;
	bool ok;

	switch (kind) {
	case QB_ARRAYQ:
		return !kovan_arrayq_push(qb.q.arrayq, item);
	case QB_PTR_RING:
		return !ptr_ring_produce(&qb.q.ring, item);
	case QB_KFIFO:
		spin_lock(&qb.q.kf.lock);
		ok = kfifo_put(&qb.q.kf.fifo, item);
		spin_unlock(&qb.q.kf.lock);
		return ok;
	case QB_SEGQ:
		return !kovan_segq_push(qb.q.segq, item, GFP_KERNEL);
	case QB_LWQ:
		lwq_enqueue(&it->lwq, &qb.q.lwq);
		return true;
	case QB_LLIST:
		llist_add(&it->ll, &qb.q.ll.head);
		return true;
	default:
		return false;
	}
}

static __always_inline void *qb_pop(enum qb_kind kind)
{
	struct llist_node *n;
	void *item;

	switch (kind) {
	case QB_ARRAYQ:
		return kovan_arrayq_pop(qb.q.arrayq);
	case QB_PTR_RING:
		return ptr_ring_consume(&qb.q.ring);
	case QB_KFIFO:
		spin_lock(&qb.q.kf.lock);
		if (!kfifo_get(&qb.q.kf.fifo, &item))
			item = NULL;
		spin_unlock(&qb.q.kf.lock);
		return item;
	case QB_SEGQ:
		return kovan_segq_pop(qb.q.segq);
	case QB_LWQ:
		return lwq_dequeue(&qb.q.lwq, struct qb_item, lwq);
	case QB_LLIST:
		spin_lock(&qb.q.ll.lock);
		n = llist_del_first(&qb.q.ll.head);
		spin_unlock(&qb.q.ll.lock);
		return n ? llist_entry(n, struct qb_item, ll) : NULL;
	default:
		return NULL;
	}
}

static __always_inline bool qb_stopped(void)
{
	/* Set once by qb_measure() when the window closes; orders nothing. */
	return READ_ONCE(qb.stop);
}

/*
 * The queue was full or empty (or the pool ran dry): retry a few times for
 * a peer on another CPU, then sleep, so that a peer sharing this CPU (shapes
 * with more threads than CPUs) runs now rather than when the tick preempts
 * the spinner. No cpu_relax() between retries: under QEMU TCG a PAUSE ends
 * the translated block and the vCPU thread retakes QEMU's global lock,
 * which delays timer and interrupt delivery to the other vCPUs by
 * milliseconds; the harness should not add such stalls of its own.
 */
static void qb_backoff(unsigned int *fails)
{
	if (++*fails < QB_SPINS)
		return;
	*fails = 0;
	usleep_range(QB_SLEEP_US, 2 * QB_SLEEP_US);
}

static __always_inline void qb_produce(struct qb_worker *w, enum qb_kind kind)
{
	struct llist_node *local = NULL, *next;
	unsigned int fails = 0;
	unsigned long n = 0;

	wait_for_completion(&qb.start);
	while (!qb_stopped()) {
		if (!qb_unbounded(kind)) {
			/* Any non-NULL pointer will do: nobody dereferences it. */
			if (qb_push(kind, w)) {
				n++;
				fails = 0;
			} else {
				qb_backoff(&fails);
			}
			continue;
		}
		if (!local) {
			local = llist_del_all(&w->free);
			if (!local) {
				qb_backoff(&fails);
				continue;
			}
		}
		/* Once pushed, the item is a consumer's: read its link first. */
		next = local->next;
		if (qb_push(kind, llist_entry(local, struct qb_item, free))) {
			local = next;
			n++;
			fails = 0;
		} else {
			qb_backoff(&fails);
		}
	}
	w->count = n;
}

static __always_inline void qb_give_back(struct qb_giveback *gb, struct qb_item *it)
{
	struct qb_giveback *g = &gb[it->owner->id];

	it->free.next = g->first;
	if (!g->first)
		g->last = &it->free;
	g->first = &it->free;
	if (++g->n == QB_GIVEBACK_BATCH) {
		llist_add_batch(g->first, g->last, &it->owner->free);
		g->first = NULL;
		g->n = 0;
	}
}

static __always_inline void qb_consume(struct qb_worker *w, enum qb_kind kind)
{
	struct qb_giveback gb[QB_MAX_SIDE] = {};
	unsigned int fails = 0;
	unsigned long n = 0;
	void *item;

	wait_for_completion(&qb.start);
	while (!qb_stopped()) {
		item = qb_pop(kind);
		if (!item) {
			qb_backoff(&fails);
			continue;
		}
		n++;
		fails = 0;
		if (qb_unbounded(kind))
			qb_give_back(gb, item);
	}
	w->count = n;
}

static int qb_producer(void *arg)
{
	switch (qb.kind) {
	case QB_ARRAYQ:
		qb_produce(arg, QB_ARRAYQ);
		break;
	case QB_PTR_RING:
		qb_produce(arg, QB_PTR_RING);
		break;
	case QB_KFIFO:
		qb_produce(arg, QB_KFIFO);
		break;
	case QB_SEGQ:
		qb_produce(arg, QB_SEGQ);
		break;
	case QB_LWQ:
		qb_produce(arg, QB_LWQ);
		break;
	case QB_LLIST:
		qb_produce(arg, QB_LLIST);
		break;
	default:
		break;
	}
	return 0;
}

static int qb_consumer(void *arg)
{
	switch (qb.kind) {
	case QB_ARRAYQ:
		qb_consume(arg, QB_ARRAYQ);
		break;
	case QB_PTR_RING:
		qb_consume(arg, QB_PTR_RING);
		break;
	case QB_KFIFO:
		qb_consume(arg, QB_KFIFO);
		break;
	case QB_SEGQ:
		qb_consume(arg, QB_SEGQ);
		break;
	case QB_LWQ:
		qb_consume(arg, QB_LWQ);
		break;
	case QB_LLIST:
		qb_consume(arg, QB_LLIST);
		break;
	default:
		break;
	}
	return 0;
}

static int qb_queue_init(enum qb_kind kind)
{
	switch (kind) {
	case QB_ARRAYQ:
		qb.q.arrayq = kovan_arrayq_create(capacity, GFP_KERNEL);
		return PTR_ERR_OR_ZERO(qb.q.arrayq);
	case QB_PTR_RING:
		return ptr_ring_init(&qb.q.ring, capacity, GFP_KERNEL);
	case QB_KFIFO:
		spin_lock_init(&qb.q.kf.lock);
		return kfifo_alloc(&qb.q.kf.fifo, capacity, GFP_KERNEL);
	case QB_SEGQ:
		qb.q.segq = kovan_segq_create(NULL, GFP_KERNEL);
		return PTR_ERR_OR_ZERO(qb.q.segq);
	case QB_LWQ:
		lwq_init(&qb.q.lwq);
		return 0;
	case QB_LLIST:
		init_llist_head(&qb.q.ll.head);
		spin_lock_init(&qb.q.ll.lock);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Items left in the queues are pool items or tokens: nothing to free. */
static void qb_queue_destroy(enum qb_kind kind)
{
	switch (kind) {
	case QB_ARRAYQ:
		kovan_arrayq_destroy(qb.q.arrayq, NULL);
		break;
	case QB_PTR_RING:
		ptr_ring_cleanup(&qb.q.ring, NULL);
		break;
	case QB_KFIFO:
		kfifo_free(&qb.q.kf.fifo);
		break;
	case QB_SEGQ:
		kovan_segq_destroy(qb.q.segq, NULL);
		break;
	default:
		break;
	}
}

/* Fill a producer's pool: every item starts on its free list. */
static int qb_pool_init(struct qb_worker *w)
{
	unsigned int i;

	w->items = kvcalloc(capacity, sizeof(*w->items), GFP_KERNEL);
	if (!w->items)
		return -ENOMEM;
	init_llist_head(&w->free);
	for (i = 0; i < capacity; i++) {
		w->items[i].owner = w;
		w->items[i].free.next = i + 1 < capacity ? &w->items[i + 1].free : NULL;
	}
	llist_add_batch(&w->items[0].free, &w->items[capacity - 1].free, &w->free);
	return 0;
}

static int qb_start(struct qb_worker *w, bool producer, unsigned int id)
{
	unsigned int cpu = cpumask_nth((2 * id + !producer) % num_online_cpus(),
				       cpu_online_mask);
	struct task_struct *t;

	t = kthread_create(producer ? qb_producer : qb_consumer, w, "kqbench/%c%u",
			   producer ? 'p' : 'c', id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	/* Our reference keeps the task for kthread_stop_put() once it has returned. */
	get_task_struct(t);
	w->task = t;
	wake_up_process(t);
	return 0;
}

static void qb_measure(enum qb_kind kind, unsigned int np, unsigned int nc, unsigned int run)
{
	unsigned long items = 0;
	unsigned int i;
	u64 t;
	int ret;

	qb.kind = kind;
	init_completion(&qb.start);
	/* No worker runs yet; waking the next ones orders this before their reads. */
	WRITE_ONCE(qb.stop, false);
	ret = qb_queue_init(kind);
	if (ret)
		goto fail;

	memset(qb_producers, 0, sizeof(qb_producers));
	memset(qb_consumers, 0, sizeof(qb_consumers));
	for (i = 0; i < np && !ret; i++) {
		qb_producers[i].id = i;
		if (qb_unbounded(kind))
			ret = qb_pool_init(&qb_producers[i]);
		if (!ret)
			ret = qb_start(&qb_producers[i], true, i);
	}
	for (i = 0; i < nc && !ret; i++)
		ret = qb_start(&qb_consumers[i], false, i);

	t = ktime_get_ns();
	complete_all(&qb.start);
	if (!ret)
		msleep(ms);
	/* Pairs with qb_stopped(): the workers leave their loops. */
	WRITE_ONCE(qb.stop, true);
	t = ktime_get_ns() - t;

	/* kthread_stop_put() waits for the exit, which orders each count before our read. */
	for (i = 0; i < np; i++)
		if (qb_producers[i].task)
			kthread_stop_put(qb_producers[i].task);
	for (i = 0; i < nc; i++) {
		if (qb_consumers[i].task)
			kthread_stop_put(qb_consumers[i].task);
		items += qb_consumers[i].count;
	}
	qb_queue_destroy(kind);
	for (i = 0; i < np; i++)
		kvfree(qb_producers[i].items);
	if (ret)
		goto fail;
	pr_info("kovan-queue-bench: tput %s %uP%uC %u %llu\n", qb_names[kind], np, nc, run,
		div64_u64((u64)items * NSEC_PER_SEC, max(t, 1ULL)));
	return;
fail:
	pr_info("kovan-queue-bench: error %s %uP%uC %u %d\n", qb_names[kind], np, nc, run, ret);
}

static int __init kovan_queue_bench_init(void)
{
	static const unsigned int shapes[] = { 1, 2, 4 };
	unsigned int run, s;
	enum qb_kind kind;

	if (!capacity || capacity > KOVAN_ARRAYQ_MAX_CAPACITY || !ms)
		return -EINVAL;
	pr_info("kovan-queue-bench: begin cpus=%u runs=%u ms=%u capacity=%u\n",
		num_online_cpus(), runs, ms, capacity);
	for (run = 0; run < runs; run++)
		for (s = 0; s < ARRAY_SIZE(shapes); s++)
			for (kind = 0; kind < QB_NR_KINDS; kind++)
				qb_measure(kind, shapes[s], shapes[s], run);
	pr_info("kovan-queue-bench: end\n");
	/*
	 * Succeed rather than fail with the numbers printed: busybox insmod
	 * retries a failed finit_module() with init_module(), which would run
	 * everything twice.
	 */
	return 0;
}

/* Nothing to undo; an exit function makes the module removable. */
static void __exit kovan_queue_bench_exit(void)
{
}

module_init(kovan_queue_bench_init);
module_exit(kovan_queue_bench_exit);

MODULE_DESCRIPTION("kovan queue throughput against ptr_ring, kfifo, lwq and llist");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
