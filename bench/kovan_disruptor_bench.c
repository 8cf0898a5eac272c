// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Disruptor throughput and latency next to a ptr_ring handoff between
 * kthreads, in one boot.
 *
 * Shapes, as producer kthreads and handler stages:
 *
 *	1P1C	one producer, one handler
 *	1P3C	one producer, a pipeline of three handlers A -> B -> C
 *		(kovan_stage_then(); the anchor puts a ptr_ring in front of each)
 *	3P1C	three producers (KOVAN_PRODUCER_MULTI; the anchor shares one
 *		ptr_ring and its producer lock), one handler
 *
 * Producers hand over one event at a time (batch 1: kovan_disruptor_next(d, 1)
 * and publish; ptr_ring_produce and ptr_ring_consume) or 64 (batch 64:
 * kovan_disruptor_next(d, 64) and one publish of the range; 64 calls of
 * ptr_ring_produce and ptr_ring_consume_batched). The Disruptor runs with
 * each of its six wait strategies. The anchor either spins (cpu_relax(),
 * and cond_resched() every 1024 spins, as kovan_wait_busy_spin does) or
 * blocks on one wait queue per ring that is woken only when someone sleeps
 * there (as kovan_wait_blocking does).
 *
 * Placement: producer i runs on online CPU i, stage j on CPU P + j (P the
 * number of producers), modulo the CPUs online, for the Disruptor (the
 * handler's cpu) and the anchor (kthread_bind()) alike. Runs are
 * interleaved: run 0 of every scenario, then run 1, ...
 *
 * Every stage checks each event (its sequence, and which stages handled
 * it), so a lost, duplicated or half-written event is reported; after each
 * Disruptor measurement the halt drains the ring and every stage must have
 * handled every published event.
 *
 * Throughput: the producers run for ms milliseconds; the number is the
 * events the last stage handled in that window. Latency: one producer
 * publishes an event every 10-20 us, stamped with ktime_get_ns(); each
 * stage records now - stamp and restamps the event, so the samples are
 * per hop. Each run ends with a latency measurement of every 1P1C and 1P3C
 * scenario at batch 1; their samples are pooled over the runs. Loading the
 * module prints
 *
 *	kovan-disruptor-bench: tput <impl>/<wait>/<shape>/b<batch> <run> <events/s>
 *	kovan-disruptor-bench: latency <impl>/<wait>/<shape> <mean ns> <p99 ns> <samples>
 *	kovan-disruptor-bench: error <scenario> <run> <what>
 *	kovan-disruptor-bench: skip <impl>/<wait> <why>
 *
 * and stays loaded, holding nothing, until rmmod. Not a test: it asserts
 * nothing.
 */

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
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/wait.h>

#include <kovan_queue/disruptor.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each throughput scenario (default 5)");

static unsigned int ms = 200;
module_param(ms, uint, 0400);
MODULE_PARM_DESC(ms, "length of one throughput measurement in milliseconds (default 200)");

/* Entries of the Disruptor's ring and of each ptr_ring. */
#define DB_SIZE		1024
/*
 * Events of each anchor producer, reused in turn. At most three rings'
 * worth and a batch per thread are in flight, fewer than this, so an event
 * is never refilled while a stage still holds it.
 */
#define DB_POOL		(4 * DB_SIZE)
#define DB_MAX_BATCH	64
/* Most producers, and most stages, of a shape. */
#define DB_MAX_THREADS	3
/* Events a latency measurement publishes in each run. */
#define DB_LAT_EVENTS	1000
/* Spins between two cond_resched() of a spinning anchor, as in busy spin. */
#define DB_SPINS	1024
/* Longest wait for a latency measurement's events to reach the last stage. */
#define DB_DRAIN_MS	2000

struct db_event {
	s64 seq;
	u64 stamp;
	/* Stages that handled the event so far. */
	u32 payload;
	u32 producer;
};

enum db_shape {
	DB_1P1C,
	DB_1P3C,
	DB_3P1C,
	DB_NR_SHAPES,
};

static const struct {
	const char *name;
	unsigned int producers, stages;
} db_shapes[DB_NR_SHAPES] = {
	[DB_1P1C] = { "1P1C", 1, 1 },
	[DB_1P3C] = { "1P3C", 1, 3 },
	[DB_3P1C] = { "3P1C", 3, 1 },
};

struct db_impl {
	const char *name;
	/* The Disruptor's wait strategy; NULL for the ptr_ring anchor. */
	const struct kovan_wait_strategy *wait;
	/* Anchor: wait on the ring's wait queue rather than spin. */
	bool block;
};

static const struct db_impl db_impls[] = {
	{ "ptr_ring/spin", NULL, false },
	{ "ptr_ring/block", NULL, true },
	{ "disruptor/busy_spin", &kovan_wait_busy_spin },
	{ "disruptor/yielding", &kovan_wait_yielding },
	{ "disruptor/sleeping", &kovan_wait_sleeping },
	{ "disruptor/blocking", &kovan_wait_blocking },
	{ "disruptor/timeout_blocking", &kovan_wait_timeout_blocking },
	{ "disruptor/phased_backoff", &kovan_wait_phased_backoff },
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
	/* Events published (producer) or handled (stage). */
	unsigned long count;
	/* Events a stage found out of order or not handled by the stage before. */
	unsigned long bad;
	/* Producer or stage index. */
	unsigned int id;
	int err;
	/* Anchor stage: the next sequence expected from each producer. */
	s64 next[DB_MAX_THREADS];
	/* Anchor producer: its events. */
	struct db_event *pool;
	/* Latency measurement: per-hop latencies of this stage. */
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
	struct db_ring rings[DB_MAX_THREADS];
	/* Read in every iteration of every worker, written twice per measurement. */
	bool stop ____cacheline_aligned_in_smp;
} db;

static struct db_worker db_producers[DB_MAX_THREADS], db_stages[DB_MAX_THREADS];

static __always_inline bool db_stopped(void)
{
	/* Set by db_stop() when the window closes; orders nothing. */
	return READ_ONCE(db.stop);
}

/*
 * UML has one CPU and does not preempt the kernel on interrupt return, and
 * cond_resched() is a no-op under CONFIG_PREEMPT: a busy-spinning handler or
 * producer would never give the CPU back.
 */
static bool db_skipped(const struct db_impl *impl)
{
	return IS_ENABLED(CONFIG_UML) && impl->wait == &kovan_wait_busy_spin;
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

/* Check, time and count an event at stage @w; @expect is its sequence. */
static __always_inline void db_handle(struct db_worker *w, struct db_event *ev, s64 expect)
{
	u64 now;

	if (ev->seq != expect || ev->payload != w->id)
		w->bad++;
	ev->payload = w->id + 1;
	if (w->samples && w->nsamples < DB_LAT_EVENTS) {
		now = ktime_get_ns();
		w->samples[w->nsamples++] = now - ev->stamp;
		/* The next stage measures its hop from here. */
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
	ev->payload = 0;
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
	if (!(++*spins % DB_SPINS))
		cond_resched();
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

static void db_ring_produce(struct db_worker *w)
{
	struct db_ring *r = &db.rings[0];
	struct db_event *ev;
	unsigned int i;
	s64 n = 0;

	while (db_more(w)) {
		for (i = 0; i < db.batch; i++, n++) {
			ev = &w->pool[n & (DB_POOL - 1)];
			db_fill(w, ev, n);
			if (db_ring_put(r, ev))
				return;
		}
		db_ring_wake(r);
		w->count += db.batch;
		if (db.paced)
			usleep_range(10, 20);
	}
}

static void db_ring_stage(struct db_worker *w)
{
	struct db_ring *in = &db.rings[w->id];
	struct db_ring *out = w->id + 1 < db.nrings ? &db.rings[w->id + 1] : NULL;
	void *evs[DB_MAX_BATCH];
	unsigned int spins = 0;
	struct db_event *ev;
	int i, n;

	while (!db_stopped()) {
		if (db.batch == 1) {
			evs[0] = ptr_ring_consume(&in->ring);
			n = !!evs[0];
		} else {
			n = ptr_ring_consume_batched(&in->ring, evs, db.batch);
		}
		if (!n) {
			if (db.impl->block)
				wait_event_idle(in->wq, !ptr_ring_empty(&in->ring) || db_stopped());
			else
				db_spin(&spins);
			continue;
		}
		db_ring_wake(in);
		for (i = 0; i < n; i++) {
			ev = evs[i];
			db_handle(w, ev, w->next[ev->producer]++);
			if (out && db_ring_put(out, ev))
				return;
		}
		if (out)
			db_ring_wake(out);
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

static int db_ring_consumer(void *arg)
{
	struct db_worker *w = arg;

	wait_for_completion(&db.start);
	db_ring_stage(w);
	complete_all(&w->done);
	return 0;
}

static int db_start(struct db_worker *w, int (*fn)(void *), unsigned int slot)
{
	struct task_struct *t;

	t = kthread_create(fn, w, "kdbench/%c%u", fn == db_producer ? 'p' : 's', w->id);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, db_cpu(slot));
	/* Our reference keeps the task for kthread_stop_put() once it has returned. */
	get_task_struct(t);
	w->task = t;
	wake_up_process(t);
	return 0;
}

/* A Disruptor with a chain of single-handler stages, started. */
static int db_dis_setup(unsigned int np, unsigned int ns)
{
	struct kovan_disruptor_config cfg = {
		.size = DB_SIZE,
		.event_size = sizeof(struct db_event),
		.producer = np > 1 ? KOVAN_PRODUCER_MULTI : KOVAN_PRODUCER_SINGLE,
		.wait = db.impl->wait,
	};
	struct kovan_event_handler h = { .on_event = db_on_event };
	struct kovan_stage *st = NULL;
	struct kovan_disruptor *d;
	unsigned int j;

	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (IS_ERR(d))
		return PTR_ERR(d);
	db.d = d;
	for (j = 0; j < ns; j++) {
		h.ctx = &db_stages[j];
		h.cpu = db_cpu(np + j);
		st = j ? kovan_stage_then(st, &h, 1) : kovan_disruptor_handle_events_with(d, &h, 1);
		if (IS_ERR(st))
			return PTR_ERR(st);
	}
	return kovan_disruptor_start(d);
}

/* One ptr_ring in front of each stage, and the stages' kthreads. */
static int db_ring_setup(unsigned int np, unsigned int ns)
{
	unsigned int j;
	int ret;

	for (j = 0; j < ns; j++) {
		ret = ptr_ring_init(&db.rings[j].ring, DB_SIZE, GFP_KERNEL);
		if (ret)
			return ret;
		init_waitqueue_head(&db.rings[j].wq);
		db.nrings++;
	}
	for (j = 0; j < ns; j++) {
		ret = db_start(&db_stages[j], db_ring_consumer, np + j);
		if (ret)
			return ret;
	}
	return 0;
}

/* Latency measurement: wait for the last stage to see every event. */
static void db_drain(struct db_worker *last, unsigned long total)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(DB_DRAIN_MS);

	/* A snapshot of the last stage's count (see db_handle()); orders nothing. */
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
		w = i < DB_MAX_THREADS ? &db_producers[i] : &db_stages[i - DB_MAX_THREADS];
		if (!w->task)
			continue;
		/* Only then is kthread_stop() sure not to skip the thread function. */
		wait_for_completion(&w->done);
		kthread_stop_put(w->task);
	}
	/* Halting drains: every published event reaches every stage. */
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

/* Pool this run's samples of every stage (its area begins at stage 0's). */
static void db_collect(struct db_lat *lat, unsigned int ns)
{
	unsigned int j;

	for (j = 0; j < ns; j++) {
		memmove(lat->samples + lat->n, db_stages[j].samples,
			db_stages[j].nsamples * sizeof(*lat->samples));
		lat->n += db_stages[j].nsamples;
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
		if (db_stages[i].bad) {
			pr_info("kovan-disruptor-bench: error %s %u stage %u: %lu bad events\n",
				name, run, i, db_stages[i].bad);
			ok = false;
		}
		/* Anchor stages stop when told to; only a drained anchor must match. */
		if ((db.impl->wait || (db.paced && i == ns - 1)) && db_stages[i].count != total) {
			pr_info("kovan-disruptor-bench: error %s %u stage %u: handled %lu of %lu\n",
				name, run, i, db_stages[i].count, total);
			ok = false;
		}
	}
	return ok;
}

/* A throughput measurement, or with @lat a latency one whose samples go there. */
static void db_measure(enum db_shape shape, unsigned int batch, const struct db_impl *impl,
		       unsigned int run, struct db_lat *lat)
{
	unsigned int np = db_shapes[shape].producers, ns = db_shapes[shape].stages, i;
	struct db_worker *last = &db_stages[ns - 1];
	unsigned long handled = 0;
	char name[64];
	int ret;
	u64 t;

	if (db_skipped(impl))
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
		init_completion(&db_producers[i].done);
		memset(&db_stages[i], 0, sizeof(db_stages[i]));
		db_stages[i].id = i;
		init_completion(&db_stages[i].done);
		if (lat)
			db_stages[i].samples = lat->samples + lat->n + i * DB_LAT_EVENTS;
	}

	ret = impl->wait ? db_dis_setup(np, ns) : db_ring_setup(np, ns);
	for (i = 0; i < np && !ret; i++)
		ret = db_start(&db_producers[i], db_producer, i);

	t = ktime_get_ns();
	complete_all(&db.start);
	if (!ret && lat) {
		for (i = 0; i < np; i++)
			wait_for_completion(&db_producers[i].done);
		db_drain(last, np * DB_LAT_EVENTS);
	} else if (!ret) {
		msleep(ms);
		/* A snapshot at the window's end (see db_handle()); orders nothing. */
		handled = READ_ONCE(last->count);
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
	for (i = 0; i < ARRAY_SIZE(db_impls); i++)
		if (db_skipped(&db_impls[i]))
			pr_info("kovan-disruptor-bench: skip %s on UML: busy spin never yields its CPU\n",
				db_impls[i].name);
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
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
