// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Disruptor throughput and latency next to a ptr_ring handoff between
 * kthreads, in one boot.
 *
 * Shapes, as producer kthreads and stages of handler kthreads:
 *
 *	1P1C	one producer, one handler
 *	1P3C	one producer, a pipeline of three handlers A -> B -> C
 *		(kovan_disruptor_then(); the anchor puts a ptr_ring in front of each)
 *	3P1C	three producers (KOVAN_PRODUCER_MULTI; the anchor shares one
 *		ptr_ring and its producer lock), one handler
 *	1P3M	one producer, three handlers in one stage, each of which sees
 *		every event (multicast: kovan_disruptor_handle_events_with() of
 *		three; the anchor's producer puts each event into a ptr_ring per
 *		handler)
 *	1P3D	one producer, handlers A and B in one stage, C after both (a
 *		diamond: kovan_disruptor_then() on that stage; the anchor's producer
 *		puts each event into a ptr_ring for A and one for B, each of them
 *		forwards it into a ring of its own towards C, which takes one
 *		from each)
 *
 * Producers hand over one event at a time (batch 1: kovan_disruptor_next(d, 1)
 * and publish; ptr_ring_produce and ptr_ring_consume) or 64 (batch 64:
 * kovan_disruptor_next(d, 64) and one publish of the range; 64 calls of
 * ptr_ring_produce and ptr_ring_consume_batched). The Disruptor runs with
 * each of its six wait strategies. The anchor either spins (cpu_relax(),
 * and schedule() when asked every 1024 spins, as kovan_disruptor_wait_busy_spin does)
 * or blocks on one wait queue per ring that is woken only when someone
 * sleeps there (as kovan_disruptor_wait_blocking does). 1P3M and 1P3D run only with
 * ptr_ring/spin, ptr_ring/block, disruptor/busy_spin and disruptor/blocking,
 * which bounds the run time.
 *
 * Placement: producer i runs on online CPU i, handler j (numbered stage by
 * stage) on CPU P + j (P the number of producers), modulo the CPUs online,
 * for the Disruptor (the handler's cpu) and the anchor (kthread_bind())
 * alike. Runs are interleaved: run 0 of every scenario, then run 1, ...
 *
 * Every handler checks each event (its sequence, and that every handler of
 * the stages before its own handled it but itself did not; C of 1P3D also
 * that the anchor's two rings carry the same sequence), so a lost,
 * duplicated, overtaken or half-written event is reported; after each
 * Disruptor measurement the halt drains the ring and every handler must
 * have handled every published event.
 *
 * Throughput: the producers run for ms milliseconds; the number is the
 * events every handler handled in that window: the last handler's count,
 * for 1P3M the least of its three (the ring keeps them within a ring's
 * size of each other). Latency: one producer publishes an event every
 * 10-20 us, stamped with ktime_get_ns(); each handler records now - stamp
 * and restamps the event, so the samples are per hop. Each run ends with a
 * latency measurement of every 1P1C and 1P3C scenario at batch 1; their
 * samples are pooled over the runs. Handlers of one stage would restamp an
 * event at once, so 1P3M and 1P3D have none. Loading the module prints
 *
 *	kovan-disruptor-bench: tput <impl>/<wait>/<shape>/b<batch> <run> <events/s>
 *	kovan-disruptor-bench: latency <impl>/<wait>/<shape> <mean ns> <p99 ns> <samples>
 *	kovan-disruptor-bench: error <scenario> <run> <what>
 *
 * and stays loaded, holding nothing, until rmmod. Not a test: it asserts
 * nothing.
 */

#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/ptr_ring.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/wait.h>

#include <kovan/disruptor.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each throughput scenario (default 5)");

static unsigned int ms = 200;
module_param(ms, uint, 0400);
MODULE_PARM_DESC(ms, "length of one throughput measurement in milliseconds (default 200)");

/* Entries of the Disruptor's ring and of each ptr_ring. */
#define DB_SIZE		1024
/*
 * Events of each anchor producer, reused in turn. A producer runs ahead of
 * the last handler by at most the rings on one path (three, 1P3C's) and a
 * batch per thread, fewer than this, so an event is never refilled while a
 * handler still holds it.
 */
#define DB_POOL		(4 * DB_SIZE)
#define DB_MAX_BATCH	64
/* Most producers, and most handlers, of a shape. */
#define DB_MAX_THREADS	3
/* Most anchor rings of a shape: 1P3D's two from the producer and two into C. */
#define DB_MAX_RINGS	4
/* Events a latency measurement publishes in each run. */
#define DB_LAT_EVENTS	1000
/* Spins between two looks at need_resched() of a spinning anchor, as in busy spin. */
#define DB_SPINS	1024
/* Longest wait for a latency measurement's events to reach the last handler. */
#define DB_DRAIN_MS	2000

struct db_event {
	s64 seq;
	u64 stamp;
	u32 producer;
	union {
		/*
		 * Which handlers handled the event so far, a byte each:
		 * handlers of one stage mark it at the same time.
		 */
		bool by[DB_MAX_THREADS];
		/* One store clears them all: UML builds memset() as a call. */
		u32 all;
	} handled;
};

enum db_shape {
	DB_1P1C,
	DB_1P3C,
	DB_3P1C,
	DB_1P3M,
	DB_1P3D,
	DB_NR_SHAPES,
};

static const struct {
	const char *name;
	unsigned int producers;
	/* Handlers of each stage, each stage after the one before; 0 ends. */
	u8 widths[DB_MAX_THREADS];
} db_shapes[DB_NR_SHAPES] = {
	[DB_1P1C] = { "1P1C", 1, { 1 } },
	[DB_1P3C] = { "1P3C", 1, { 1, 1, 1 } },
	[DB_3P1C] = { "3P1C", 3, { 1 } },
	[DB_1P3M] = { "1P3M", 1, { 3 } },
	[DB_1P3D] = { "1P3D", 1, { 2, 1 } },
};

struct db_impl {
	const char *name;
	/* The Disruptor's wait strategy; NULL for the ptr_ring anchor. */
	const struct kovan_disruptor_wait *wait;
	/* Anchor: wait on the ring's wait queue rather than spin. */
	bool block;
	/* Also measured in the shapes with a stage of several handlers. */
	bool wide;
};

static const struct db_impl db_impls[] = {
	{ "ptr_ring/spin", NULL, false, true },
	{ "ptr_ring/block", NULL, true, true },
	{ "disruptor/busy_spin", &kovan_disruptor_wait_busy_spin, false, true },
	{ "disruptor/busy_spin_gathering", &kovan_disruptor_wait_busy_spin_gathering },
	{ "disruptor/yielding", &kovan_disruptor_wait_yielding },
	{ "disruptor/sleeping", &kovan_disruptor_wait_sleeping },
	{ "disruptor/blocking", &kovan_disruptor_wait_blocking, false, true },
	{ "disruptor/timeout_blocking", &kovan_disruptor_wait_timeout_blocking },
	{ "disruptor/phased_backoff", &kovan_disruptor_wait_phased_backoff },
};

static const unsigned int db_batches[] = { 1, DB_MAX_BATCH };
static const enum db_shape db_lat_shapes[] = { DB_1P1C, DB_1P3C };

/* Per-hop latencies of one scenario, pooled over the runs. */
struct db_lat {
	u64 *samples;
	unsigned int n;
};

static struct db_lat db_lats[ARRAY_SIZE(db_lat_shapes)][ARRAY_SIZE(db_impls)];

struct db_ring {
	struct ptr_ring ring;
	/* Blocking anchor: both the ring's consumer and its producers wait here. */
	wait_queue_head_t wq;
};

struct db_worker {
	struct task_struct *task;
	/* The thread function has finished; completed for all, waited for twice. */
	struct completion done;
	/* Events published (producer) or handled (handler). */
	unsigned long count;
	/* Events a handler found out of order or not handled as they should be. */
	unsigned long bad;
	/* Producer or handler index. */
	unsigned int id;
	/* Handler: handlers 0 .. after - 1, the stages before its own. */
	unsigned int after;
	int err;
	/* Anchor: the rings it takes events from and puts them into, a bit each. */
	unsigned long in, out;
	/* Anchor handler: the next sequence expected from each producer. */
	s64 next[DB_MAX_THREADS];
	/* Anchor producer: its events. */
	struct db_event *pool;
	/* Latency measurement: per-hop latencies of this handler. */
	u64 *samples;
	unsigned int nsamples;
} ____cacheline_aligned_in_smp;

static struct db_bench {
	const struct db_impl *impl;
	enum db_shape shape;
	unsigned int batch;
	/* Latency measurement: events each producer publishes, paced; else 0. */
	unsigned int paced;
	struct completion start;
	struct kovan_disruptor *d;
	unsigned int nrings;
	struct db_ring rings[DB_MAX_RINGS];
	/* Read in every iteration of every worker, written twice per measurement. */
	bool stop ____cacheline_aligned_in_smp;
} db;

static struct db_worker db_producers[DB_MAX_THREADS], db_handlers[DB_MAX_THREADS];

static __always_inline bool db_stopped(void)
{
	/* Set by db_stop() when the window closes; orders nothing. */
	return READ_ONCE(db.stop);
}

/* Should producer @w publish more? */
static bool db_more(struct db_worker *w)
{
	return !db_stopped() && (!db.paced || w->count < db.paced);
}

static unsigned int db_cpu(unsigned int slot)
{
	return cpumask_nth(slot % num_online_cpus(), cpu_online_mask);
}

/* Check, time and count an event at handler @w; @expect is its sequence. */
static __always_inline void db_handle(struct db_worker *w, struct db_event *ev, s64 expect)
{
	bool bad = ev->seq != expect || ev->handled.by[w->id];
	unsigned int k;
	u64 now;

	/* Not the marks of its own stage: those handlers may be writing them. */
	for (k = 0; k < w->after; k++)
		bad |= !ev->handled.by[k];
	if (bad)
		w->bad++;
	ev->handled.by[w->id] = true;
	if (w->samples && w->nsamples < DB_LAT_EVENTS) {
		now = ktime_get_ns();
		w->samples[w->nsamples++] = now - ev->stamp;
		/* The next handler measures its hop from here. */
		ev->stamp = now;
	}
	/* Snapshots in db_measure() and db_drain(); orders nothing. */
	WRITE_ONCE(w->count, w->count + 1);
}

static int db_on_event(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	db_handle(ctx, event, seq);
	return 0;
}

static void db_fill(struct db_worker *w, struct db_event *ev, s64 seq)
{
	ev->seq = seq;
	BUILD_BUG_ON(sizeof(ev->handled.by) > sizeof(ev->handled.all));
	ev->handled.all = 0;
	ev->producer = w->id;
	ev->stamp = db.paced ? ktime_get_ns() : 0;
}

static void db_dis_produce(struct db_worker *w)
{
	unsigned int b = db.batch;
	s64 hi, seq;

	while (db_more(w)) {
		hi = kovan_disruptor_next(db.d, b);
		if (hi < 0) {
			w->err = hi;
			return;
		}
		for (seq = hi - b + 1; seq <= hi; seq++)
			db_fill(w, kovan_disruptor_get(db.d, seq), seq);
		w->err = kovan_disruptor_publish(db.d, hi - b + 1, hi);
		if (w->err)
			return;
		w->count += b;
		if (db.paced)
			usleep_range(10, 20);
	}
}

static void db_spin(unsigned int *spins)
{
	cpu_relax();
	/* Not cond_resched(): it is empty under CONFIG_PREEMPT, and UML would not preempt us. */
	if (!(++*spins % DB_SPINS) && need_resched())
		schedule();
}

/* Blocking anchor: after a ring moved, wake whoever sleeps on it. */
static void db_ring_wake(struct db_ring *r)
{
	/* Its full barrier: the ring's update before the look for sleepers. */
	if (db.impl->block && wq_has_sleeper(&r->wq))
		wake_up(&r->wq);
}

/* Put @ev into @r, waiting while it is full; -ESHUTDOWN once stopped. */
static int db_ring_put(struct db_ring *r, struct db_event *ev)
{
	unsigned int spins = 0;

	while (ptr_ring_produce(&r->ring, ev)) {
		if (db_stopped())
			return -ESHUTDOWN;
		if (!db.impl->block) {
			db_spin(&spins);
			continue;
		}
		/* The consumer may sleep on what this batch put so far. */
		db_ring_wake(r);
		wait_event_idle(r->wq, !ptr_ring_full(&r->ring) || db_stopped());
	}
	return 0;
}

/* Put @ev into each ring of @out, waiting while one is full; -ESHUTDOWN once stopped. */
static __always_inline int db_ring_put_all(unsigned long out, struct db_event *ev)
{
	unsigned int r;

	for_each_set_bit(r, &out, DB_MAX_RINGS)
		if (db_ring_put(&db.rings[r], ev))
			return -ESHUTDOWN;
	return 0;
}

static __always_inline void db_ring_wake_all(unsigned long out)
{
	unsigned int r;

	for_each_set_bit(r, &out, DB_MAX_RINGS)
		db_ring_wake(&db.rings[r]);
}

/*
 * Take events from @r into @evs, waiting while it is empty: up to @n, or
 * with @all exactly @n. Returns how many, fewer than asked only once stopped.
 */
static unsigned int db_ring_take(struct db_ring *r, void **evs, unsigned int n, bool all)
{
	unsigned int got = 0, spins = 0, k;

	while (!db_stopped()) {
		if (db.batch == 1) {
			evs[got] = ptr_ring_consume(&r->ring);
			k = !!evs[got];
		} else {
			k = ptr_ring_consume_batched(&r->ring, evs + got, n - got);
		}
		if (k) {
			/* Room: a producer may sleep on it, also while we wait for the rest. */
			db_ring_wake(r);
			got += k;
			if (got == n || !all)
				return got;
		} else if (db.impl->block) {
			wait_event_idle(r->wq, !ptr_ring_empty(&r->ring) || db_stopped());
		} else {
			db_spin(&spins);
		}
	}
	return got;
}

static void db_ring_produce(struct db_worker *w)
{
	struct db_event *ev;
	unsigned int i;
	s64 n = 0;

	while (db_more(w)) {
		for (i = 0; i < db.batch; i++, n++) {
			ev = &w->pool[n & (DB_POOL - 1)];
			db_fill(w, ev, n);
			if (db_ring_put_all(w->out, ev))
				return;
		}
		db_ring_wake_all(w->out);
		w->count += db.batch;
		if (db.paced)
			usleep_range(10, 20);
	}
}

static void db_ring_handle(struct db_worker *w)
{
	void *evs[DB_MAX_BATCH], *twins[DB_MAX_BATCH];
	unsigned int first = __ffs(w->in), r, i, n;
	struct db_event *ev;

	while ((n = db_ring_take(&db.rings[first], evs, db.batch, false))) {
		/* 1P3D's C: its other ring carries the same events, in the same order. */
		r = first + 1;
		for_each_set_bit_from(r, &w->in, DB_MAX_RINGS) {
			if (db_ring_take(&db.rings[r], twins, n, true) < n)
				return;
			for (i = 0; i < n; i++) {
				ev = evs[i];
				if (ev->seq != ((struct db_event *)twins[i])->seq)
					w->bad++;
			}
		}
		for (i = 0; i < n; i++) {
			ev = evs[i];
			db_handle(w, ev, w->next[ev->producer]++);
			if (db_ring_put_all(w->out, ev))
				return;
		}
		db_ring_wake_all(w->out);
	}
}

static int db_producer(void *arg)
{
	struct db_worker *w = arg;

	wait_for_completion(&db.start);
	if (db.impl->wait)
		db_dis_produce(w);
	else
		db_ring_produce(w);
	complete_all(&w->done);
	return 0;
}

static int db_ring_handler(void *arg)
{
	struct db_worker *w = arg;

	wait_for_completion(&db.start);
	db_ring_handle(w);
	complete_all(&w->done);
	return 0;
}

static int db_start(struct db_worker *w, int (*fn)(void *), unsigned int slot)
{
	struct task_struct *t;

	t = kthread_create(fn, w, "kdbench/%c%u", fn == db_producer ? 'p' : 'h', w->id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, db_cpu(slot));
	/* Our reference keeps the task for kthread_stop_put() once it has returned. */
	get_task_struct(t);
	w->task = t;
	wake_up_process(t);
	return 0;
}

/*
 * Number the handlers of @shape stage by stage and tell each which handlers
 * come before its stage. For the anchor, give each handler a ring from each
 * thread of the stage before (from the producers, shared, for the first
 * stage). Returns the number of rings.
 */
static unsigned int db_wire(enum db_shape shape)
{
	unsigned int s, k, u, j = 0, prev = 0, r = 0, first;

	for (s = 0; s < DB_MAX_THREADS && db_shapes[shape].widths[s]; s++) {
		first = j;
		for (k = 0; k < db_shapes[shape].widths[s]; k++, j++) {
			db_handlers[j].after = first;
			if (!s) {
				for (u = 0; u < db_shapes[shape].producers; u++)
					db_producers[u].out |= BIT(r);
				db_handlers[j].in = BIT(r++);
				continue;
			}
			for (u = prev; u < first; u++) {
				db_handlers[u].out |= BIT(r);
				db_handlers[j].in |= BIT(r++);
			}
		}
		prev = first;
	}
	return r;
}

/* A Disruptor with the stages of @shape, each after the one before, started. */
static int db_dis_setup(enum db_shape shape, unsigned int np)
{
	struct kovan_disruptor_config cfg = {
		.size = DB_SIZE,
		.event_size = sizeof(struct db_event),
		.producer = np > 1 ? KOVAN_PRODUCER_MULTI : KOVAN_PRODUCER_SINGLE,
		.wait = db.impl->wait,
	};
	struct kovan_disruptor_handler h[DB_MAX_THREADS] = {};
	unsigned int s, k, n, j = 0;
	struct kovan_disruptor_stage *st = NULL;
	struct kovan_disruptor *d;

	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (IS_ERR(d))
		return PTR_ERR(d);
	db.d = d;
	for (s = 0; s < DB_MAX_THREADS && db_shapes[shape].widths[s]; s++) {
		n = db_shapes[shape].widths[s];
		for (k = 0; k < n; k++, j++) {
			h[k].on_event = db_on_event;
			h[k].ctx = &db_handlers[j];
			h[k].cpu = db_cpu(np + j);
		}
		if (s)
			st = kovan_disruptor_then(st, h, n);
		else
			st = kovan_disruptor_handle_events_with(d, h, n);
		if (IS_ERR(st))
			return PTR_ERR(st);
	}
	return kovan_disruptor_start(d);
}

/* The anchor's @nrings ptr_rings and its handlers' kthreads. */
static int db_ring_setup(unsigned int np, unsigned int ns, unsigned int nrings)
{
	unsigned int j;
	int ret;

	for (j = 0; j < nrings; j++) {
		ret = ptr_ring_init(&db.rings[j].ring, DB_SIZE, GFP_KERNEL);
		if (ret)
			return ret;
		init_waitqueue_head(&db.rings[j].wq);
		db.nrings++;
	}
	for (j = 0; j < ns; j++) {
		ret = db_start(&db_handlers[j], db_ring_handler, np + j);
		if (ret)
			return ret;
	}
	return 0;
}

/* Latency measurement: wait for the last handler to see every event. */
static void db_drain(struct db_worker *last, unsigned long total)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(DB_DRAIN_MS);

	/* A snapshot of the last handler's count (see db_handle()); orders nothing. */
	while (READ_ONCE(last->count) < total && time_before(jiffies, deadline))
		usleep_range(1000, 2000);
}

/* Tell every thread to stop, wait for ours to finish and reap them. */
static void db_stop(void)
{
	struct db_worker *w;
	unsigned int i;

	/* Pairs with db_stopped(); the wake-ups below take each queue's lock. */
	WRITE_ONCE(db.stop, true);
	for (i = 0; i < db.nrings; i++)
		wake_up_all(&db.rings[i].wq);
	for (i = 0; i < 2 * DB_MAX_THREADS; i++) {
		w = i < DB_MAX_THREADS ? &db_producers[i] : &db_handlers[i - DB_MAX_THREADS];
		if (!w->task)
			continue;
		/* Only then is kthread_stop() sure not to skip the thread function. */
		wait_for_completion(&w->done);
		kthread_stop_put(w->task);
	}
	/* Halting drains: every published event reaches every handler. */
	kovan_disruptor_destroy(db.d);
	db.d = NULL;
	for (i = 0; i < db.nrings; i++)
		ptr_ring_cleanup(&db.rings[i].ring, NULL);
	db.nrings = 0;
}

static int db_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Pool this run's samples of every handler (its area begins at handler 0's). */
static void db_collect(struct db_lat *lat, unsigned int ns)
{
	unsigned int j;

	for (j = 0; j < ns; j++) {
		memmove(lat->samples + lat->n, db_handlers[j].samples,
			db_handlers[j].nsamples * sizeof(*lat->samples));
		lat->n += db_handlers[j].nsamples;
	}
}

static void db_report_latency(const char *impl, enum db_shape shape, struct db_lat *lat)
{
	unsigned int i;
	u64 sum = 0;

	if (!lat->n)
		return;
	for (i = 0; i < lat->n; i++)
		sum += lat->samples[i];
	sort(lat->samples, lat->n, sizeof(*lat->samples), db_u64_cmp, NULL);
	pr_info("kovan-disruptor-bench: latency %s/%s %llu %llu %u\n", impl, db_shapes[shape].name,
		div_u64(sum, lat->n), lat->samples[lat->n * 99 / 100], lat->n);
}

/* After the threads stopped: errors, lost or damaged events. Returns true if all is well. */
static bool db_check(const char *name, unsigned int run, unsigned int np, unsigned int ns)
{
	unsigned long total = 0;
	unsigned int i;
	bool ok = true;

	for (i = 0; i < np; i++) {
		total += db_producers[i].count;
		if (db_producers[i].err) {
			pr_info("kovan-disruptor-bench: error %s %u producer %u: %d\n", name, run,
				i, db_producers[i].err);
			ok = false;
		}
	}
	for (i = 0; i < ns; i++) {
		if (db_handlers[i].bad) {
			pr_info("kovan-disruptor-bench: error %s %u handler %u: %lu bad events\n",
				name, run, i, db_handlers[i].bad);
			ok = false;
		}
		/* Anchor handlers stop when told to; only a drained anchor must match. */
		if ((db.impl->wait || (db.paced && i == ns - 1)) && db_handlers[i].count != total) {
			pr_info("kovan-disruptor-bench: error %s %u handler %u: handled %lu of %lu\n",
				name, run, i, db_handlers[i].count, total);
			ok = false;
		}
	}
	return ok;
}

/* A throughput measurement, or with @lat a latency one whose samples go there. */
static void db_measure(enum db_shape shape, unsigned int batch, const struct db_impl *impl,
		       unsigned int run, struct db_lat *lat)
{
	unsigned int np = db_shapes[shape].producers, ns = 0, nrings, i;
	unsigned long handled = ULONG_MAX;
	bool wide = false;
	char name[64];
	int ret;
	u64 t;

	for (i = 0; i < DB_MAX_THREADS; i++) {
		ns += db_shapes[shape].widths[i];
		wide |= db_shapes[shape].widths[i] > 1;
	}
	if (wide && !impl->wide)
		return;
	snprintf(name, sizeof(name), "%s/%s/b%u", impl->name, db_shapes[shape].name, batch);
	db.impl = impl;
	db.shape = shape;
	db.batch = batch;
	db.paced = lat ? DB_LAT_EVENTS : 0;
	init_completion(&db.start);
	/* No worker runs yet; waking them orders this before their reads. */
	WRITE_ONCE(db.stop, false);
	for (i = 0; i < DB_MAX_THREADS; i++) {
		db_producers[i].task = NULL;
		db_producers[i].count = 0;
		db_producers[i].err = 0;
		db_producers[i].id = i;
		db_producers[i].out = 0;
		init_completion(&db_producers[i].done);
		memset(&db_handlers[i], 0, sizeof(db_handlers[i]));
		db_handlers[i].id = i;
		init_completion(&db_handlers[i].done);
		if (lat)
			db_handlers[i].samples = lat->samples + lat->n + i * DB_LAT_EVENTS;
	}

	nrings = db_wire(shape);
	ret = impl->wait ? db_dis_setup(shape, np) : db_ring_setup(np, ns, nrings);
	for (i = 0; i < np && !ret; i++)
		ret = db_start(&db_producers[i], db_producer, i);

	t = ktime_get_ns();
	complete_all(&db.start);
	if (!ret && lat) {
		for (i = 0; i < np; i++)
			wait_for_completion(&db_producers[i].done);
		db_drain(&db_handlers[ns - 1], np * DB_LAT_EVENTS);
	} else if (!ret) {
		msleep(ms);
		/*
		 * Snapshots at the window's end (see db_handle()); orders nothing.
		 * Last handler first: a handler is not ahead of those before it,
		 * so for a pipeline this is the last one's count.
		 */
		for (i = ns; i-- > 0;)
			handled = min(handled, READ_ONCE(db_handlers[i].count));
		t = ktime_get_ns() - t;
	}
	db_stop();

	if (ret) {
		pr_info("kovan-disruptor-bench: error %s %u setup: %d\n", name, run, ret);
		return;
	}
	if (!db_check(name, run, np, ns))
		return;
	if (lat)
		db_collect(lat, ns);
	else
		pr_info("kovan-disruptor-bench: tput %s %u %llu\n", name, run,
			div64_u64((u64)handled * NSEC_PER_SEC, max(t, 1ULL)));
}

static int __init kovan_disruptor_bench_init(void)
{
	unsigned int run, s, b, i;

	if (!runs || !ms)
		return -EINVAL;
	for (s = 0; s < ARRAY_SIZE(db_lat_shapes); s++)
		for (i = 0; i < ARRAY_SIZE(db_impls); i++) {
			db_lats[s][i].samples = kvmalloc_array(runs * DB_MAX_THREADS,
							       DB_LAT_EVENTS * sizeof(u64),
							       GFP_KERNEL);
			if (!db_lats[s][i].samples)
				goto nomem;
		}
	for (i = 0; i < DB_MAX_THREADS; i++) {
		db_producers[i].pool = kvcalloc(DB_POOL, sizeof(struct db_event), GFP_KERNEL);
		if (!db_producers[i].pool)
			goto nomem;
	}

	pr_info("kovan-disruptor-bench: begin cpus=%u runs=%u ms=%u size=%u\n",
		num_online_cpus(), runs, ms, DB_SIZE);
	for (run = 0; run < runs; run++) {
		for (s = 0; s < DB_NR_SHAPES; s++)
			for (b = 0; b < ARRAY_SIZE(db_batches); b++)
				for (i = 0; i < ARRAY_SIZE(db_impls); i++)
					db_measure(s, db_batches[b], &db_impls[i], run, NULL);
		for (s = 0; s < ARRAY_SIZE(db_lat_shapes); s++)
			for (i = 0; i < ARRAY_SIZE(db_impls); i++)
				db_measure(db_lat_shapes[s], 1, &db_impls[i], run,
					   &db_lats[s][i]);
	}
	for (s = 0; s < ARRAY_SIZE(db_lat_shapes); s++)
		for (i = 0; i < ARRAY_SIZE(db_impls); i++)
			db_report_latency(db_impls[i].name, db_lat_shapes[s], &db_lats[s][i]);
	pr_info("kovan-disruptor-bench: end\n");
	goto out;
nomem:
	pr_info("kovan-disruptor-bench: error allocation 0 %d\n", -ENOMEM);
out:
	for (i = 0; i < DB_MAX_THREADS; i++)
		kvfree(db_producers[i].pool);
	for (s = 0; s < ARRAY_SIZE(db_lat_shapes); s++)
		for (i = 0; i < ARRAY_SIZE(db_impls); i++)
			kvfree(db_lats[s][i].samples);
	/*
	 * Succeed rather than fail with the numbers printed: busybox insmod
	 * retries a failed finit_module() with init_module(), which would run
	 * everything twice.
	 */
	return 0;
}

/* Nothing to undo; an exit function makes the module removable. */
static void __exit kovan_disruptor_bench_exit(void)
{
}

module_init(kovan_disruptor_bench_init);
module_exit(kovan_disruptor_bench_exit);

MODULE_DESCRIPTION("kovan Disruptor throughput and latency against a ptr_ring handoff");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
