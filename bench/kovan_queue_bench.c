// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Queue throughput: kovan's queues next to the kernel's own, in one boot.
 *
 *	ArrayQueue (bounded)  vs  ptr_ring with its producer and consumer
 *				  locks, kfifo of pointers with a spinlock per
 *				  side that has more than one thread (none at
 *				  1P1C), as kfifo.h prescribes
 *	SegQueue (unbounded)  vs  lwq, llist + a spinlock around the pop
 *	ArrayQueue as a pool  vs  objpool
 *
 * Each queue measurement starts P producer and C consumer kthreads on a
 * common start signal, lets them run for ms milliseconds and counts the
 * items the consumers popped. Producer i runs on online CPU 2i, consumer i
 * on CPU 2i + 1 (modulo the CPUs online), so a 1P1C pair moves items between
 * two CPUs and larger shapes share CPUs the same way for every queue.
 *
 * Each pool measurement starts T kthreads the same way, worker i on online
 * CPU i (modulo the CPUs online), and counts the get+put pairs they do: take
 * an object from a pool of capacity objects, write to it, give it back. The
 * write is what a user of the object would do; it makes both pools pay for
 * moving the object between CPUs, which objpool's per-CPU rings mostly avoid
 * and the ArrayQueue, one FIFO for all CPUs, does not. After each pool run
 * every object must be back in the pool, once, and the objects' use counts
 * must add up to the pairs counted (a lost update means two workers held an
 * object at the same time); otherwise the run prints an error line.
 *
 * The runs are interleaved (run 0 of every queue, pool and shape, then
 * run 1, ...) so that drift in the host affects all of them alike. A worker
 * that finds the queue full or empty, or the pool empty, retries a few
 * times, then sleeps for 10-20 us. Loading the module prints
 *
 *	kovan-queue-bench: tput <queue> <P>P<C>C <run> <items per second>
 *	kovan-queue-bench: tput <pool> <T>T <run> <get+put pairs per second>
 *
 * or, for a measurement that could not be set up or a pool that lost track
 * of its objects, kovan-queue-bench: error <name> <shape> <run> <errno>, and
 * stays loaded, holding nothing, until rmmod. Not a test: beyond the pools'
 * objects it asserts nothing.
 *
 * Bounded queues and pools get the same capacity; kfifo rounds it up to a
 * power of two, so the capacity parameter should be one. Producers of the
 * unbounded queues push items from a stock of capacity items of their own,
 * allocated beforehand, and consumers give popped items back to their
 * producer in batches, so the measurement counts the queue and not the
 * allocator (SegQueue's own segment allocations included, they are part of
 * its cost). llist is a LIFO: it is here as the lock-protected list a driver
 * would reach for.
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
#include <linux/objpool.h>
#include <linux/ptr_ring.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kovan/arrayq.h>
#include <kovan/segq.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each queue and shape (default 5)");

static unsigned int ms = 200;
module_param(ms, uint, 0400);
MODULE_PARM_DESC(ms, "length of one measurement in milliseconds (default 200)");

static unsigned int capacity = 1024;
module_param(capacity, uint, 0400);
MODULE_PARM_DESC(capacity,
		 "bounded queues' capacity, pools' objects and unbounded queues' items per producer (default 1024)");

/* Most producers (and consumers, and pool workers) of a shape. */
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
	/* Pools: each worker gets an object and puts it back. */
	QB_ARRAYQ_POOL,
	QB_OBJPOOL,
	QB_NR_KINDS,
};

static const char * const qb_names[QB_NR_KINDS] = {
	[QB_ARRAYQ] = "arrayq",
	[QB_PTR_RING] = "ptr_ring",
	[QB_KFIFO] = "kfifo",
	[QB_SEGQ] = "segq",
	[QB_LWQ] = "lwq",
	[QB_LLIST] = "llist+lock",
	[QB_ARRAYQ_POOL] = "arrayq-pool",
	[QB_OBJPOOL] = "objpool",
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

/* An object of the pools. */
struct qb_obj {
	/* Get+put pairs it went through, for qb_pool_check() to add up. */
	unsigned long uses;
	/* Its index, for qb_pool_check() to find objects lost or doubled. */
	unsigned int id;
};

struct qb_worker {
	struct task_struct *task;
	/* Items moved (pairs for the pools); written by the thread before it exits. */
	unsigned long count;
	/* Producer: its index, and its stock (unbounded queues only). */
	unsigned int id;
	struct qb_item *items;
	/* Items of the stock consumers gave back. */
	struct llist_head free;
} ____cacheline_aligned_in_smp;

/* Consumer side: popped items waiting to go back to one producer. */
struct qb_giveback {
	struct llist_node *first, *last;
	unsigned int n;
};

static struct qb_bench {
	enum qb_kind kind;
	/* The ArrayQueue pool's objects; objpool allocates its own. */
	struct qb_obj *objs;
	struct completion start;
	/* Read in every iteration of every worker, written once: a line of its own. */
	bool stop ____cacheline_aligned_in_smp;
	union {
		struct kovan_arrayq *arrayq;
		struct ptr_ring ring;
		struct {
			DECLARE_KFIFO_PTR(fifo, void *);
			/* kfifo.h: one writer and one reader need no lock; more, one per side. */
			bool lock_put, lock_get;
			spinlock_t put_lock ____cacheline_aligned_in_smp;
			spinlock_t get_lock ____cacheline_aligned_in_smp;
		} kf;
		struct kovan_segq *segq;
		struct lwq lwq;
		struct {
			struct llist_head head;
			spinlock_t lock;	/* pops: one llist_del_first() at a time */
		} ll;
		struct objpool_head objpool;
	} q ____cacheline_aligned_in_smp;
} qb;

static struct qb_worker qb_producers[QB_MAX_SIDE], qb_consumers[QB_MAX_SIDE];
static struct qb_worker qb_users[QB_MAX_SIDE];

static __always_inline bool qb_unbounded(enum qb_kind kind)
{
	return kind == QB_SEGQ || kind == QB_LWQ || kind == QB_LLIST;
}

static bool qb_is_pool(enum qb_kind kind)
{
	return kind == QB_ARRAYQ_POOL || kind == QB_OBJPOOL;
}

/*
 * Push and pop (put and get for the pools), inlined into one producer and
 * one consumer loop per queue kind and one worker loop per pool, so that no
 * indirect call sits in the measured path.
 */
static __always_inline bool qb_push(enum qb_kind kind, void *item)
{
	struct qb_item *it = item;
	bool ok;

	switch (kind) {
	case QB_ARRAYQ:
	case QB_ARRAYQ_POOL:
		return !kovan_arrayq_push(qb.q.arrayq, item);
	case QB_PTR_RING:
		return !ptr_ring_produce(&qb.q.ring, item);
	case QB_KFIFO:
		if (!qb.q.kf.lock_put)
			return kfifo_put(&qb.q.kf.fifo, item);
		spin_lock(&qb.q.kf.put_lock);
		ok = kfifo_put(&qb.q.kf.fifo, item);
		spin_unlock(&qb.q.kf.put_lock);
		return ok;
	case QB_SEGQ:
		return !kovan_segq_push(qb.q.segq, item, GFP_KERNEL);
	case QB_LWQ:
		lwq_enqueue(&it->lwq, &qb.q.lwq);
		return true;
	case QB_LLIST:
		llist_add(&it->ll, &qb.q.ll.head);
		return true;
	case QB_OBJPOOL:
		return !objpool_push(item, &qb.q.objpool);
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
	case QB_ARRAYQ_POOL:
		return kovan_arrayq_pop(qb.q.arrayq);
	case QB_PTR_RING:
		return ptr_ring_consume(&qb.q.ring);
	case QB_KFIFO:
		if (!qb.q.kf.lock_get)
			return kfifo_get(&qb.q.kf.fifo, &item) ? item : NULL;
		spin_lock(&qb.q.kf.get_lock);
		if (!kfifo_get(&qb.q.kf.fifo, &item))
			item = NULL;
		spin_unlock(&qb.q.kf.get_lock);
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
	case QB_OBJPOOL:
		return objpool_pop(&qb.q.objpool);
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
 * The queue was full or empty (or the stock or pool ran dry): retry a few
 * times for a peer on another CPU, then sleep, so that a peer sharing this
 * CPU (shapes with more threads than CPUs) runs now rather than when the
 * tick preempts the spinner. No cpu_relax() between retries: under QEMU TCG
 * a PAUSE ends the translated block and the vCPU thread retakes QEMU's
 * global lock, which delays timer and interrupt delivery to the other vCPUs
 * by milliseconds; the harness should not add such stalls of its own.
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

static __always_inline void qb_use(struct qb_worker *w, enum qb_kind kind)
{
	unsigned int fails = 0;
	unsigned long n = 0;
	struct qb_obj *obj;

	wait_for_completion(&qb.start);
	while (!qb_stopped()) {
		obj = qb_pop(kind);
		if (!obj) {
			/* Only with more workers than objects. */
			qb_backoff(&fails);
			continue;
		}
		obj->uses++;
		/* Refusing its own object is a bug: qb_pool_check() reports the loss. */
		if (!qb_push(kind, obj))
			break;
		n++;
		fails = 0;
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

static int qb_user(void *arg)
{
	switch (qb.kind) {
	case QB_ARRAYQ_POOL:
		qb_use(arg, QB_ARRAYQ_POOL);
		break;
	case QB_OBJPOOL:
		qb_use(arg, QB_OBJPOOL);
		break;
	default:
		break;
	}
	return 0;
}

/* A pool starts full, like objpool: an ArrayQueue holding all the objects. */
static int qb_arrayq_pool_init(void)
{
	unsigned int i;

	qb.objs = kvcalloc(capacity, sizeof(*qb.objs), GFP_KERNEL);
	if (!qb.objs)
		return -ENOMEM;
	qb.q.arrayq = kovan_arrayq_create(capacity, GFP_KERNEL);
	if (IS_ERR(qb.q.arrayq)) {
		kvfree(qb.objs);
		return PTR_ERR(qb.q.arrayq);
	}
	/* Exactly capacity pushes into an empty queue of that capacity: none fails. */
	for (i = 0; i < capacity; i++) {
		qb.objs[i].id = i;
		kovan_arrayq_push(qb.q.arrayq, &qb.objs[i]);
	}
	return 0;
}

/* objpool allocates and zeroes the objects, then shows us each one once. */
static int qb_objpool_obj_init(void *obj, void *context)
{
	struct qb_obj *o = obj;
	unsigned int *id = context;

	o->id = (*id)++;
	return 0;
}

static int qb_objpool_init(void)
{
	unsigned int id = 0;

	return objpool_init(&qb.q.objpool, capacity, sizeof(struct qb_obj), GFP_KERNEL, &id,
			    qb_objpool_obj_init, NULL);
}

static int qb_queue_init(enum qb_kind kind, unsigned int np, unsigned int nc)
{
	switch (kind) {
	case QB_ARRAYQ:
		qb.q.arrayq = kovan_arrayq_create(capacity, GFP_KERNEL);
		return PTR_ERR_OR_ZERO(qb.q.arrayq);
	case QB_PTR_RING:
		return ptr_ring_init(&qb.q.ring, capacity, GFP_KERNEL);
	case QB_KFIFO:
		qb.q.kf.lock_put = np > 1;
		qb.q.kf.lock_get = nc > 1;
		spin_lock_init(&qb.q.kf.put_lock);
		spin_lock_init(&qb.q.kf.get_lock);
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
	case QB_ARRAYQ_POOL:
		return qb_arrayq_pool_init();
	case QB_OBJPOOL:
		return qb_objpool_init();
	default:
		return -EINVAL;
	}
}

/*
 * Items left in the queues are the producers' items or tokens: nothing to
 * free. The pools' objects go with their pool.
 */
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
	case QB_ARRAYQ_POOL:
		kovan_arrayq_destroy(qb.q.arrayq, NULL);
		kvfree(qb.objs);
		break;
	case QB_OBJPOOL:
		/* Frees the pool only when every object is back: a lost one leaks it. */
		objpool_fini(&qb.q.objpool);
		break;
	default:
		break;
	}
}

/* Fill a producer's stock: every item starts on its free list. */
static int qb_items_init(struct qb_worker *w)
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

/* Start fn as kthread kqbench/<role><id> on online CPU place (modulo the CPUs online). */
static int qb_start(struct qb_worker *w, int (*fn)(void *), char role, unsigned int id,
		    unsigned int place)
{
	unsigned int cpu = cpumask_nth(place % num_online_cpus(), cpu_online_mask);
	struct task_struct *t;

	t = kthread_create(fn, w, "kqbench/%c%u", role, id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, cpu);
	/* Our reference keeps the task for kthread_stop_put() once it has returned. */
	get_task_struct(t);
	w->task = t;
	wake_up_process(t);
	return 0;
}

static void qb_prepare(enum qb_kind kind)
{
	qb.kind = kind;
	init_completion(&qb.start);
	/* No worker runs yet; waking the next ones orders this before their reads. */
	WRITE_ONCE(qb.stop, false);
}

/*
 * Let the workers started go, stop them after ms milliseconds (at once when
 * some could not be started) and return how long they ran, in ns.
 */
static u64 qb_window(bool started)
{
	u64 t = ktime_get_ns();

	complete_all(&qb.start);
	if (started)
		msleep(ms);
	/* Pairs with qb_stopped(): the workers leave their loops. */
	WRITE_ONCE(qb.stop, true);
	return ktime_get_ns() - t;
}

/* Wait for the workers started and add up what they counted. */
static unsigned long qb_reap(struct qb_worker *w, unsigned int n)
{
	unsigned long count = 0;
	unsigned int i;

	/* kthread_stop_put() waits for the exit, which orders each count before our read. */
	for (i = 0; i < n; i++) {
		if (w[i].task)
			kthread_stop_put(w[i].task);
		count += w[i].count;
	}
	return count;
}

static u64 qb_rate(unsigned long count, u64 ns)
{
	return div64_u64((u64)count * NSEC_PER_SEC, max(ns, 1ULL));
}

static void qb_measure(enum qb_kind kind, unsigned int np, unsigned int nc, unsigned int run)
{
	unsigned long items;
	unsigned int i;
	u64 t;
	int ret;

	qb_prepare(kind);
	ret = qb_queue_init(kind, np, nc);
	if (ret)
		goto fail;

	memset(qb_producers, 0, sizeof(qb_producers));
	memset(qb_consumers, 0, sizeof(qb_consumers));
	for (i = 0; i < np && !ret; i++) {
		qb_producers[i].id = i;
		if (qb_unbounded(kind))
			ret = qb_items_init(&qb_producers[i]);
		if (!ret)
			ret = qb_start(&qb_producers[i], qb_producer, 'p', i, 2 * i);
	}
	for (i = 0; i < nc && !ret; i++)
		ret = qb_start(&qb_consumers[i], qb_consumer, 'c', i, 2 * i + 1);

	t = qb_window(!ret);
	qb_reap(qb_producers, np);
	items = qb_reap(qb_consumers, nc);
	qb_queue_destroy(kind);
	for (i = 0; i < np; i++)
		kvfree(qb_producers[i].items);
	if (ret)
		goto fail;
	pr_info("kovan-queue-bench: tput %s %uP%uC %u %llu\n", qb_names[kind], np, nc, run,
		qb_rate(items, t));
	return;
fail:
	pr_info("kovan-queue-bench: error %s %uP%uC %u %d\n", qb_names[kind], np, nc, run, ret);
}

/*
 * Take every object out of the pool, by id, and put them back for the
 * destroy. Each must come out once; and as each get+put pair bumped its
 * object's count without an atomic, a total short of the pairs counted
 * means two workers held an object at the same time.
 */
static int qb_pool_check(enum qb_kind kind, unsigned long pairs)
{
	unsigned long uses = 0;
	unsigned int i, n = 0;
	struct qb_obj **seen, *obj;
	int ret = 0;

	seen = kvcalloc(capacity, sizeof(*seen), GFP_KERNEL);
	if (!seen)
		return -ENOMEM;
	while ((obj = qb_pop(kind))) {
		if (seen[obj->id]) {
			ret = -EUCLEAN;
			continue;
		}
		seen[obj->id] = obj;
		uses += obj->uses;
		n++;
	}
	for (i = 0; i < capacity; i++)
		if (seen[i])
			qb_push(kind, seen[i]);
	kvfree(seen);
	if (n != capacity || uses != pairs)
		ret = -EUCLEAN;
	return ret;
}

static void qb_pool_measure(enum qb_kind kind, unsigned int n, unsigned int run)
{
	unsigned long pairs;
	unsigned int i;
	u64 t;
	int ret;

	qb_prepare(kind);
	ret = qb_queue_init(kind, n, n);
	if (ret)
		goto fail;

	memset(qb_users, 0, sizeof(qb_users));
	for (i = 0; i < n && !ret; i++)
		ret = qb_start(&qb_users[i], qb_user, 't', i, i);

	t = qb_window(!ret);
	pairs = qb_reap(qb_users, n);
	if (!ret)
		ret = qb_pool_check(kind, pairs);
	qb_queue_destroy(kind);
	if (ret)
		goto fail;
	pr_info("kovan-queue-bench: tput %s %uT %u %llu\n", qb_names[kind], n, run,
		qb_rate(pairs, t));
	return;
fail:
	pr_info("kovan-queue-bench: error %s %uT %u %d\n", qb_names[kind], n, run, ret);
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
	for (run = 0; run < runs; run++) {
		for (s = 0; s < ARRAY_SIZE(shapes); s++) {
			for (kind = 0; kind < QB_NR_KINDS; kind++) {
				if (qb_is_pool(kind))
					qb_pool_measure(kind, shapes[s], run);
				else
					qb_measure(kind, shapes[s], shapes[s], run);
			}
		}
	}
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

MODULE_DESCRIPTION("kovan queue and pool throughput against ptr_ring, kfifo, lwq, llist and objpool");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
