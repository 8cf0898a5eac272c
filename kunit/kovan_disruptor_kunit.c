// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan_disruptor, through <kovan/disruptor.h> only:
 * handler graphs (unicast, pipeline, multicast, diamond) fed by one or
 * several producers, from kthreads and from hardirq, on rings of 1 to 1024
 * events; every wait strategy; end_of_batch; handler lifecycle and CPU
 * binding; halt with a backlog; pollers; missed wake-ups of the blocking
 * strategy, and that it wakes only who waits for what moved, only when
 * someone sleeps; the timeout of timeout blocking; bad input.
 *
 * Producers stamp every event with its sequence and with (producer, count);
 * every handler and poller sets its bit in the events it handles. Consumers
 * check each event as they get it and count what is wrong; only the test
 * thread asserts. A watchdog kthread turns a missed wake-up into a recorded
 * stall instead of a hang.
 */

#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/iopoll.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/string.h>

#include <kovan/disruptor.h>
#include <trace/events/kovan_queue.h>

#include "compat.h"

#define KD_MAGIC		0x6b6f76616e445255UL
/* Handlers and pollers of one disruptor; each owns a bit of kd_event.marks. */
#define KD_MAX_CONSUMERS	8
/* Producer ids: kthreads from 0, then the test thread, then the hardirq timer. */
#define KD_MAX_THREADS		6
#define KD_TASK_PRODUCER	6
#define KD_IRQ_PRODUCER		7
#define KD_MAX_PRODUCERS	8
/*
 * The hardirq producer's period. Not shorter: UML runs a timer interrupt
 * that arrives during the softirqs of the previous one on the same stack,
 * and with KASAN frames a few such nestings overflow it.
 */
#define KD_IRQ_PERIOD_NS	250000
/* How long kthread producers run in the graph and strategy cases. */
#define KD_RUN_MS		500
/*
 * Liveness bounds, not timing assertions: nothing moving for KD_STALL with
 * work pending is a stall; the test thread gives up a wait after KD_PATIENCE.
 */
#define KD_STALL		HZ
#define KD_PATIENCE		(10 * HZ)
/* The blocking case: this many publishes, unless its time runs out first. */
#define KD_BLOCKING_ROUNDS	1000000L
#define KD_BLOCKING_MS		10000
/* Each graph of the wake-up stress runs this long... */
#define KD_WAKE_STRESS_MS	2000
/* ... and its moves must find a sleeper at least this often to stress anything. */
#define KD_WAKE_STRESS_MIN	50UL
/* Events of the herd case, each published with every handler asleep. */
#define KD_HERD_EVENTS		50

struct kd_event {
	unsigned long magic;		/* set by event_init */
	s64 seq;			/* stamped by the producer */
	unsigned int producer;
	unsigned long count;		/* the producer's own running count */
	unsigned long marks;		/* a bit per consumer that handled the event */
};

enum kd_err {
	KD_BAD_EVENT,
	KD_OUT_OF_ORDER,
	KD_EARLY,
	KD_DUPLICATE,
	KD_PRODUCER_ORDER,
	KD_WRONG_THREAD,
	KD_WRONG_CPU,
	KD_LIFECYCLE,
	KD_EOB_EARLY,
	KD_EOB_MISSING,
	KD_BAD_TIMEOUT,
	KD_POLL_COUNT,
	KD_NR_ERRS,
};

static const char * const kd_err_names[KD_NR_ERRS] = {
	[KD_BAD_EVENT] = "event not the one stamped for its sequence",
	[KD_OUT_OF_ORDER] = "sequence out of order, skipped or repeated",
	[KD_EARLY] = "event seen before a dependency handled it",
	[KD_DUPLICATE] = "event handled twice",
	[KD_PRODUCER_ORDER] = "a producer's events lost, repeated or reordered",
	[KD_WRONG_THREAD] = "callback outside the handler's own kthread",
	[KD_WRONG_CPU] = "callback off the handler's CPU",
	[KD_LIFECYCLE] = "event or timeout before on_start or after on_shutdown",
	[KD_EOB_EARLY] = "end_of_batch before the last event of a poll",
	[KD_EOB_MISSING] = "no end_of_batch on the last event of a batch",
	[KD_BAD_TIMEOUT] = "on_timeout with a sequence other than the last handled",
	[KD_POLL_COUNT] = "poll returned a count other than the events it handled",
};

struct kd_run;

/* A handler or a poller. */
struct kd_consumer {
	struct kd_run *r;
	unsigned int id;		/* its bit in kd_event.marks */
	unsigned long deps;		/* the bits set in an event before it may see it */
	int cpu;			/* a handler's CPU, or -1 */
	struct kovan_disruptor_poller *poller;	/* NULL for a handler */
	bool pauses;			/* random pauses after events */
	unsigned int delay_us;		/* a delay after every event: a slow handler */
	bool hold_first;		/* hold event 0 until the test thread releases it */
	bool released;
	atomic64_t held;		/* 1 once holding event 0 */
	bool *eob_log;			/* end_of_batch of events 0..eob_len - 1 */
	unsigned int eob_len;
	unsigned int stop_after;	/* a poll stops after this many events; 0: never */
	unsigned int in_call;		/* events of the current poll */
	/*
	 * Written in the consumer's own context only (its kthread, or the
	 * polling thread); the test thread reads them after the halt.
	 */
	struct task_struct *task;
	s64 next;
	unsigned long expect[KD_MAX_PRODUCERS];
	unsigned long events, batches, starts, shutdowns;
	bool last_eob;
	unsigned long err[KD_NR_ERRS];
	/* Read by the test thread and the watchdog while the consumer runs. */
	atomic64_t handled;		/* the last sequence handled, -1 for none */
	atomic_long_t timeouts;
	atomic64_t timeout_seq;		/* the argument of the last on_timeout() */
};

struct kd_stage {
	struct kovan_disruptor_stage *s;
	/* Its handlers' bits and those of every stage before it. */
	unsigned long bits;
};

struct kd_producer {
	struct kd_run *r;
	unsigned int id;
	atomic_long_t published;
};

struct kd_run {
	struct kovan_disruptor *d;	/* NULL once destroyed */
	unsigned int size;
	enum kovan_disruptor_wait_kind wait_kind;
	struct task_struct *test_task;
	unsigned long inits;		/* event_init() calls */
	unsigned long dirty_inits;	/* events not zeroed before event_init() */
	unsigned long all;		/* the bits of every consumer */
	bool pauses;			/* random pauses in producers and handlers */
	unsigned int nconsumers, npollers, nstages;
	struct kd_consumer c[KD_MAX_CONSUMERS];
	struct kd_stage stages[KD_MAX_CONSUMERS];
	/* Kthread producers: until the deadline or max_rounds publishes. */
	unsigned long deadline;
	long max_rounds;
	unsigned int nproducers;
	struct kd_producer p[KD_MAX_THREADS];
	atomic_t running;
	atomic_long_t rounds;
	/* Events published by each producer, known once they are done. */
	unsigned long published[KD_MAX_PRODUCERS];
	atomic_long_t overwritten;	/* slots refilled before every consumer was done */
	atomic_long_t errors;		/* claims, publishes or fills that went wrong */
	/* The hardirq producer; its counts are written by the timer only. */
	bool hardirq;
	struct hrtimer timer;
	unsigned long irq_busy;
	/* The watchdog. */
	struct task_struct *watchdog;
	atomic_t stalls;
	atomic64_t stall_cursor, stall_handled;
};

/*
 * A documented WARN, provoked on purpose: the harness excuses the report
 * between the markers and fails the run if it does not appear.
 */
#define KD_EXPECT_WARN(what, stmt)						\
do {										\
	pr_info("kovan-expect-report: begin WARNING: %s\n", what);		\
	stmt;									\
	pr_info("kovan-expect-report: end\n");					\
} while (0)

/* Wait until *@v is @want, at most KD_PATIENCE (a liveness bound): 0 or -ETIMEDOUT. */
static int kd_wait_for(atomic64_t *v, s64 want)
{
	s64 now;

	return read_poll_timeout(atomic64_read, now, now == want, 200,
				 jiffies_to_usecs(KD_PATIENCE), false, v);
}

/* Wait until handler @c's kthread blocks (at most KD_PATIENCE): 0 or -ETIMEDOUT. */
static int kd_wait_asleep(struct kd_consumer *c)
{
	unsigned int state;

	/* A snapshot of the task's state; orders nothing. */
	return read_poll_timeout(READ_ONCE, state, state == TASK_IDLE, 200,
				 jiffies_to_usecs(KD_PATIENCE), false, c->task->__state);
}

/* Moves that called into a wait queue so far (CONFIG_KOVAN_DEBUG), else 0. */
static unsigned long kd_wake_calls(struct kd_run *r)
{
#ifdef CONFIG_KOVAN_DEBUG
	return kovan_disruptor_debug_wake_calls(r->d);
#else
	return 0;
#endif
}

/* ---- Producers ---- */

static void kd_event_init(void *event, void *ctx)
{
	struct kd_event *ev = event;
	struct kd_run *r = ctx;

	if (memchr_inv(ev, 0, sizeof(*ev)))
		r->dirty_inits++;
	ev->magic = KD_MAGIC;
	r->inits++;
}

/* Stamp a claimed event; its slot's previous lap must be done by every consumer. */
static void kd_fill(struct kd_run *r, s64 seq, unsigned int producer, unsigned long count)
{
	struct kd_event *ev = kovan_disruptor_get(r->d, seq);

	if (seq >= r->size && (ev->seq != seq - r->size || ev->marks != r->all))
		atomic_long_inc(&r->overwritten);
	ev->seq = seq;
	ev->producer = producer;
	ev->count = count;
	ev->marks = 0;
}

struct kd_fill_arg {
	struct kd_run *r;
	unsigned int producer;
	unsigned long count;
};

static void kd_fill_event(void *event, s64 seq, void *arg)
{
	struct kd_fill_arg *a = arg;

	if (event != kovan_disruptor_get(a->r->d, seq))
		atomic_long_inc(&a->r->errors);
	kd_fill(a->r, seq, a->producer, a->count);
}

/* Claim @n events with next(), stamp them with counts from *@count, publish them. */
static int kd_publish(struct kd_run *r, unsigned int n, unsigned int producer,
		      unsigned long *count)
{
	s64 hi = kovan_disruptor_next(r->d, n), seq;

	if (hi < 0)
		return hi;
	for (seq = hi - n + 1; seq <= hi; seq++)
		kd_fill(r, seq, producer, (*count)++);
	return kovan_disruptor_publish(r->d, hi - n + 1, hi);
}

/* One event through kovan_disruptor_publish_event(). */
static int kd_publish_one(struct kd_run *r, unsigned int producer, unsigned long *count)
{
	struct kd_fill_arg a = { .r = r, .producer = producer, .count = *count };
	int ret = kovan_disruptor_publish_event(r->d, kd_fill_event, &a);

	if (!ret)
		(*count)++;
	return ret;
}

/*
 * Vary the interleavings: mostly run on, now and then spin or yield, rarely
 * sleep (without high-resolution timers a sleep lasts a tick).
 */
static void kd_pause(void)
{
	u32 dice = get_random_u32_below(1024);

	if (dice < 32)
		udelay(1 + dice % 20);
	else if (dice < 96)
		cond_resched();
	else if (dice == 96)
		usleep_range(5, 50);
}

/*
 * Producers publish for a time, not a count: on one CPU a full ring waits
 * for the handlers' turn, and the checks hold for any number of events.
 */
static int kd_producer_fn(void *arg)
{
	struct kd_producer *p = arg;
	struct kd_run *r = p->r;
	unsigned long count = 0, iter = 0;
	int ret;

	while (time_before(jiffies, r->deadline) && atomic_long_read(&r->rounds) < r->max_rounds) {
		/* Both ways to publish; claims of 1 to 4 events. */
		if (!get_random_u32_below(4))
			ret = kd_publish_one(r, p->id, &count);
		else
			ret = kd_publish(r, 1 + get_random_u32_below(min(r->size, 4U)), p->id,
					 &count);
		if (ret) {
			atomic_long_inc(&r->errors);
			break;
		}
		atomic_long_inc(&r->rounds);
		if (r->pauses)
			kd_pause();
		else if (!(++iter & 63))
			cond_resched();
	}
	atomic_long_set(&p->published, count);
	/* The count before the last word; pairs with the test thread's atomic_read(). */
	smp_mb__before_atomic();
	atomic_dec(&r->running);
	return 0;
}

/* A producer in hardirq: one event per tick when there is room. */
static enum hrtimer_restart kd_hardirq(struct hrtimer *t)
{
	struct kd_run *r = container_of(t, struct kd_run, timer);
	s64 seq = kovan_disruptor_try_next(r->d, 1);

	if (!in_hardirq())
		atomic_long_inc(&r->errors);
	if (seq == -EBUSY) {
		r->irq_busy++;
	} else if (seq < 0) {
		atomic_long_inc(&r->errors);
	} else {
		kd_fill(r, seq, KD_IRQ_PRODUCER, r->published[KD_IRQ_PRODUCER]++);
		if (kovan_disruptor_publish(r->d, seq, seq))
			atomic_long_inc(&r->errors);
	}
	hrtimer_forward_now(t, ns_to_ktime(KD_IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

/* ---- Consumers ---- */

/* Everything a handler or poller checks in the event it was given. */
static void kd_check_event(struct kd_consumer *c, struct kd_event *ev, s64 seq, bool eob)
{
	/* Other handlers of the stage set their bits in this word meanwhile. */
	unsigned long marks = READ_ONCE(ev->marks);
	unsigned int p = ev->producer;

	if (ev != kovan_disruptor_get(c->r->d, seq) || ev->magic != KD_MAGIC || ev->seq != seq)
		c->err[KD_BAD_EVENT]++;
	if (seq != c->next)
		c->err[KD_OUT_OF_ORDER]++;
	if ((marks & c->deps) != c->deps)
		c->err[KD_EARLY]++;
	if (test_and_set_bit(c->id, &ev->marks))
		c->err[KD_DUPLICATE]++;
	if (p >= KD_MAX_PRODUCERS) {
		c->err[KD_PRODUCER_ORDER]++;
	} else {
		/* Every sequence arrives, so each producer's counts arrive one by one. */
		if (ev->count != c->expect[p])
			c->err[KD_PRODUCER_ORDER]++;
		c->expect[p] = ev->count + 1;
	}
	if (c->eob_log && seq < c->eob_len)
		c->eob_log[seq] = eob;
	c->next = seq + 1;
	c->events++;
	c->batches += eob;
	c->last_eob = eob;
	atomic64_set(&c->handled, seq);
}

/* Callbacks run in the handler's own kthread, on its CPU if it has one. */
static void kd_check_thread(struct kd_consumer *c)
{
	if (current != c->task)
		c->err[KD_WRONG_THREAD]++;
	if (c->cpu >= 0 && raw_smp_processor_id() != c->cpu)
		c->err[KD_WRONG_CPU]++;
}

/* Hold event 0 until the test thread releases it (at most KD_PATIENCE). */
static void kd_hold(struct kd_consumer *c)
{
	unsigned long end = jiffies + KD_PATIENCE;

	atomic64_set(&c->held, 1);
	/* Set by the test thread once it has published the next events. */
	while (!READ_ONCE(c->released) && time_before(jiffies, end))
		usleep_range(100, 200);
}

static int kd_on_event(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct kd_consumer *c = ctx;

	kd_check_thread(c);
	if (c->starts != 1 || c->shutdowns)
		c->err[KD_LIFECYCLE]++;
	if (c->hold_first && !seq)
		kd_hold(c);
	kd_check_event(c, event, seq, end_of_batch);
	if (c->delay_us)
		udelay(c->delay_us);
	else if (c->pauses)
		kd_pause();
	return 0;
}

static void kd_on_start(void *ctx)
{
	struct kd_consumer *c = ctx;

	/* A kthread of its own, neither the test thread nor a producer. */
	if (!(current->flags & PF_KTHREAD) || current == c->r->test_task)
		c->err[KD_WRONG_THREAD]++;
	c->task = current;
	c->starts++;
	kd_check_thread(c);
}

static void kd_on_shutdown(void *ctx)
{
	struct kd_consumer *c = ctx;

	kd_check_thread(c);
	c->shutdowns++;
	/* Nothing came after the last event, so it ended its batch. */
	if (c->events && !c->last_eob)
		c->err[KD_EOB_MISSING]++;
}

static void kd_on_timeout(s64 seq, void *ctx)
{
	struct kd_consumer *c = ctx;

	kd_check_thread(c);
	if (c->starts != 1 || c->shutdowns)
		c->err[KD_LIFECYCLE]++;
	if (seq != c->next - 1)
		c->err[KD_BAD_TIMEOUT]++;
	atomic64_set(&c->timeout_seq, seq);
	atomic_long_inc(&c->timeouts);
}

static bool kd_poll_fn(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct kd_consumer *c = ctx;

	/* Only the last event of a call ends its batch. */
	if (c->in_call && c->last_eob)
		c->err[KD_EOB_EARLY]++;
	kd_check_event(c, event, seq, end_of_batch);
	return ++c->in_call != c->stop_after;
}

static unsigned int kd_poll(struct kd_consumer *c)
{
	unsigned int n;

	c->in_call = 0;
	n = kovan_disruptor_poll(c->poller, kd_poll_fn, c);
	if (n != c->in_call)
		c->err[KD_POLL_COUNT]++;
	/* A call that was not stopped by kd_poll_fn() ended on its batch's last event. */
	if (n && n != c->stop_after && !c->last_eob)
		c->err[KD_EOB_MISSING]++;
	return n;
}

static unsigned int kd_poll_all(struct kd_run *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->nconsumers; i++)
		if (r->c[i].poller)
			n += kd_poll(&r->c[i]);
	return n;
}

/* ---- Building ---- */

KUNIT_DEFINE_ACTION_WRAPPER(kd_destroy_action, kovan_disruptor_destroy, struct kovan_disruptor *);

static struct kd_run *kd_new(struct kunit *test, unsigned int size,
			     enum kovan_producer_type type, const struct kovan_disruptor_wait *wait)
{
	struct kd_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kovan_disruptor_config cfg = {
		.size = size,
		.event_size = sizeof(struct kd_event),
		.event_init = kd_event_init,
		.ctx = r,
		.producer = type,
		.wait = wait,
	};

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->size = size;
	r->wait_kind = wait ? wait->kind : KOVAN_DISRUPTOR_WAIT_BLOCKING;
	r->test_task = current;
	r->max_rounds = LONG_MAX;
	r->d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r->d);
	/* Destroyed when the test ends, after a failed assertion too. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kd_destroy_action, r->d), 0);
	KUNIT_EXPECT_EQ(test, r->inits, (unsigned long)size);
	KUNIT_EXPECT_EQ(test, r->dirty_inits, 0UL);
	return r;
}

static void kd_destroy(struct kunit *test, struct kd_run *r)
{
	kunit_release_action(test, kd_destroy_action, r->d);
	r->d = NULL;
}

static struct kd_consumer *kd_consumer(struct kunit *test, struct kd_run *r, unsigned long deps)
{
	struct kd_consumer *c;

	KUNIT_ASSERT_LT(test, r->nconsumers, KD_MAX_CONSUMERS);
	c = &r->c[r->nconsumers];
	c->r = r;
	c->id = r->nconsumers++;
	c->deps = deps;
	c->cpu = -1;
	c->pauses = r->pauses;
	atomic64_set(&c->handled, -1);
	atomic64_set(&c->timeout_seq, S64_MIN);
	r->all |= BIT(c->id);
	return c;
}

/*
 * A stage of @n new handlers after @deps: handle_events_with() without
 * deps, kovan_disruptor_then() after one stage, kovan_disruptor_after() after more.
 * @cpus: the handlers' CPUs, or NULL for any.
 */
static struct kd_stage *kd_stage(struct kunit *test, struct kd_run *r,
				 struct kd_stage * const *deps, unsigned int ndeps, unsigned int n,
				 const int *cpus)
{
	struct kovan_disruptor_handler h[KOVAN_DISRUPTOR_MAX_HANDLERS] = {};
	struct kovan_disruptor_stage *ks[KOVAN_DISRUPTOR_MAX_HANDLERS];
	unsigned long before = 0, bits = 0;
	struct kd_consumer *c;
	struct kd_stage *st;
	unsigned int i;

	KUNIT_ASSERT_LE(test, n, KOVAN_DISRUPTOR_MAX_HANDLERS);
	KUNIT_ASSERT_LE(test, ndeps, KOVAN_DISRUPTOR_MAX_HANDLERS);
	KUNIT_ASSERT_LT(test, r->nstages, KD_MAX_CONSUMERS);
	for (i = 0; i < ndeps; i++) {
		ks[i] = deps[i]->s;
		before |= deps[i]->bits;
	}
	for (i = 0; i < n; i++) {
		c = kd_consumer(test, r, before);
		c->cpu = cpus ? cpus[i] : -1;
		h[i].on_event = kd_on_event;
		h[i].on_start = kd_on_start;
		h[i].on_shutdown = kd_on_shutdown;
		h[i].on_timeout = kd_on_timeout;
		h[i].ctx = c;
		h[i].cpu = c->cpu;
		bits |= BIT(c->id);
	}
	st = &r->stages[r->nstages++];
	if (!ndeps)
		st->s = kovan_disruptor_handle_events_with(r->d, h, n);
	else if (ndeps == 1)
		st->s = kovan_disruptor_then(ks[0], h, n);
	else
		st->s = kovan_disruptor_after(ks, ndeps, h, n);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st->s);
	st->bits = before | bits;
	return st;
}

static struct kd_consumer *kd_poller(struct kunit *test, struct kd_run *r, struct kd_stage *after)
{
	struct kd_consumer *c = kd_consumer(test, r, after ? after->bits : 0);

	c->poller = kovan_disruptor_new_poller(r->d, after ? after->s : NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->poller);
	r->npollers++;
	return c;
}

enum kd_graph {
	KD_UNICAST,
	KD_PIPELINE,
	KD_MULTICAST,
	KD_ROOTS,
	KD_DIAMOND,
};

static const char * const kd_graph_names[] = {
	[KD_UNICAST] = "unicast",
	[KD_PIPELINE] = "pipeline A->B->C",
	[KD_MULTICAST] = "multicast (A,B,C)",
	[KD_ROOTS] = "multicast A|B|C",
	[KD_DIAMOND] = "diamond A,(B1,B2)->C",
};

static void kd_build(struct kunit *test, struct kd_run *r, enum kd_graph g)
{
	struct kd_stage *ab[2], *s;

	switch (g) {
	case KD_UNICAST:
		kd_stage(test, r, NULL, 0, 1, NULL);
		break;
	case KD_PIPELINE:
		s = kd_stage(test, r, NULL, 0, 1, NULL);
		s = kd_stage(test, r, &s, 1, 1, NULL);
		kd_stage(test, r, &s, 1, 1, NULL);
		break;
	case KD_MULTICAST:
		kd_stage(test, r, NULL, 0, 3, NULL);
		break;
	case KD_ROOTS:
		kd_stage(test, r, NULL, 0, 1, NULL);
		kd_stage(test, r, NULL, 0, 1, NULL);
		kd_stage(test, r, NULL, 0, 1, NULL);
		break;
	case KD_DIAMOND:
		ab[0] = kd_stage(test, r, NULL, 0, 1, NULL);
		ab[1] = kd_stage(test, r, NULL, 0, 2, NULL);
		kd_stage(test, r, ab, 2, 1, NULL);
		break;
	}
}

/* ---- Running and judging ---- */

static s64 kd_min_handled(struct kd_run *r)
{
	s64 handled = S64_MAX;
	unsigned int i;

	for (i = 0; i < r->nconsumers; i++)
		handled = min_t(s64, handled, atomic64_read(&r->c[i].handled));
	return handled;
}

static bool kd_drained(struct kd_run *r)
{
	return kd_min_handled(r) == kovan_disruptor_cursor(r->d);
}

/* Events claimed plus events handled: any change is progress. */
static s64 kd_progress(struct kd_run *r)
{
	s64 sum = kovan_disruptor_cursor(r->d);
	unsigned int i;

	for (i = 0; i < r->nconsumers; i++)
		sum += atomic64_read(&r->c[i].handled);
	return sum;
}

/*
 * While producers run or events wait, something must move. A missed
 * wake-up leaves a consumer asleep with events pending, or a producer
 * asleep with room, and on a small ring everything then stops.
 */
static int kd_watchdog(void *arg)
{
	struct kd_run *r = arg;
	s64 last = kd_progress(r), now;
	unsigned long moved = jiffies;

	while (!kthread_should_stop()) {
		schedule_timeout_idle(HZ / 20);
		now = kd_progress(r);
		if (now != last || (!atomic_read(&r->running) && kd_drained(r))) {
			last = now;
			moved = jiffies;
		} else if (time_after(jiffies, moved + KD_STALL)) {
			atomic64_set(&r->stall_cursor, kovan_disruptor_cursor(r->d));
			atomic64_set(&r->stall_handled, kd_min_handled(r));
			atomic_inc(&r->stalls);
			moved = jiffies;
		}
	}
	return 0;
}

/* Start @n producer kthreads, the hardirq producer if asked, and the watchdog. */
static void kd_start_producers(struct kunit *test, struct kd_run *r, unsigned int n,
			       bool hardirq, unsigned int ms)
{
	struct task_struct *t;
	unsigned int i;

	KUNIT_ASSERT_LE(test, n, KD_MAX_THREADS);
	r->deadline = jiffies + msecs_to_jiffies(ms);
	r->nproducers = n;
	atomic_set(&r->running, n);
	r->watchdog = kthread_run(kd_watchdog, r, "kovan_kd_watchdog");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r->watchdog);
	for (i = 0; i < n; i++) {
		r->p[i].r = r;
		r->p[i].id = i;
		t = kthread_run(kd_producer_fn, &r->p[i], "kovan_kd_p%u", i);
		if (IS_ERR(t)) {
			atomic_dec(&r->running);
			KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(t));
		}
	}
	r->hardirq = hardirq;
	if (hardirq) {
		kovan_hrtimer_setup(&r->timer, kd_hardirq, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		hrtimer_start(&r->timer, ns_to_ktime(KD_IRQ_PERIOD_NS), HRTIMER_MODE_REL_HARD);
	}
}

/*
 * Wait for the producers, then for every consumer to have handled every
 * event (polling the pollers from here), then halt. Draining before the
 * halt makes a missed wake-up show as a stall instead of being covered by
 * the halt's own wake-ups.
 */
static void kd_stop(struct kunit *test, struct kd_run *r)
{
	bool timer = r->hardirq;
	unsigned int i;

	while (!atomic_read(&r->stalls)) {
		/*
		 * The hardirq producer stops at the deadline too: it takes
		 * every slot that frees up, and a kthread waiting for room for
		 * several events would wait for as long as it runs.
		 */
		if (timer && !time_before(jiffies, r->deadline)) {
			hrtimer_cancel(&r->timer);
			timer = false;
		}
		if (!timer && !atomic_read(&r->running) && kd_drained(r))
			break;
		if (!r->npollers)
			msleep(20);
		else if (!kd_poll_all(r))
			usleep_range(50, 100);
	}
	if (timer)
		hrtimer_cancel(&r->timer);
	kthread_stop(r->watchdog);
	/* After a stall this also ends producers waiting for room (-ESHUTDOWN). */
	kovan_disruptor_halt(r->d);
	while (atomic_read(&r->running))
		msleep(20);
	for (i = 0; i < r->nproducers; i++)
		r->published[i] = atomic_long_read(&r->p[i].published);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r->stalls), 0,
			    "nothing moved for %u ms with work pending: cursor %lld, slowest consumer at %lld",
			    jiffies_to_msecs(KD_STALL), (s64)atomic64_read(&r->stall_cursor),
			    (s64)atomic64_read(&r->stall_handled));
}

static unsigned long kd_total(struct kd_run *r)
{
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i < KD_MAX_PRODUCERS; i++)
		total += r->published[i];
	return total;
}

/* Every event claimed was handled once by every consumer, and nothing went wrong. */
static void kd_expect(struct kunit *test, struct kd_run *r)
{
	unsigned long total = kd_total(r);
	struct kd_consumer *c;
	unsigned int i, j;

	if (r->d)
		KUNIT_EXPECT_EQ(test, kovan_disruptor_cursor(r->d) + 1, (s64)total);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->overwritten), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->errors), 0L);
	for (i = 0; i < r->nconsumers; i++) {
		c = &r->c[i];
		for (j = 0; j < KD_NR_ERRS; j++)
			KUNIT_EXPECT_EQ_MSG(test, c->err[j], 0UL, "consumer %u: %s", i,
					    kd_err_names[j]);
		KUNIT_EXPECT_EQ_MSG(test, c->events, total, "consumer %u", i);
		for (j = 0; j < KD_MAX_PRODUCERS; j++)
			KUNIT_EXPECT_EQ_MSG(test, c->expect[j], r->published[j],
					    "consumer %u, producer %u", i, j);
		if (c->poller)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, c->starts, 1UL, "handler %u: on_start", i);
		KUNIT_EXPECT_EQ_MSG(test, c->shutdowns, 1UL, "handler %u: on_shutdown", i);
		if (r->wait_kind != KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING)
			KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&c->timeouts), 0L,
					    "handler %u: on_timeout", i);
		/* Each handler has a kthread of its own. */
		for (j = 0; j < i; j++)
			if (!r->c[j].poller && c->task)
				KUNIT_EXPECT_PTR_NE_MSG(test, c->task, r->c[j].task,
							"handlers %u and %u", j, i);
	}
}

/* ---- Bad input ---- */

static void kd_expect_create_einval(struct kunit *test, const struct kovan_disruptor_config *cfg,
				    const char *what)
{
	struct kovan_disruptor *d = kovan_disruptor_create(cfg, GFP_KERNEL);

	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(d), -EINVAL, "create with %s", what);
	if (!IS_ERR(d))
		kovan_disruptor_destroy(d);
}

static void kovan_disruptor_bad_input(struct kunit *test)
{
	const struct kovan_disruptor_config good = {
		.size = 4,
		.event_size = sizeof(struct kd_event),
		.producer = KOVAN_PRODUCER_MULTI,
	};
	struct kovan_disruptor_handler h[KOVAN_DISRUPTOR_MAX_HANDLERS + 1] = {};
	struct kovan_disruptor_config cfg = good;
	struct kovan_disruptor_wait wait;
	struct kovan_disruptor_stage *deps[2], *st;
	struct kovan_disruptor *d;
	struct kd_run *r, *other;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_create(NULL, GFP_KERNEL)), -EINVAL);
	cfg.size = 0;
	kd_expect_create_einval(test, &cfg, "size 0");
	cfg.size = 3;
	kd_expect_create_einval(test, &cfg, "size 3");
	cfg.size = 2 * KOVAN_DISRUPTOR_MAX_SIZE;
	kd_expect_create_einval(test, &cfg, "a size above the maximum");
	cfg = good;
	cfg.event_size = 0;
	kd_expect_create_einval(test, &cfg, "event_size 0");
	cfg.event_size = KOVAN_DISRUPTOR_MAX_EVENT_SIZE + 1;
	kd_expect_create_einval(test, &cfg, "an event_size above the maximum");
	cfg = good;
	cfg.producer = KOVAN_PRODUCER_MULTI + 1;
	kd_expect_create_einval(test, &cfg, "an unknown producer type");
	cfg = good;
	cfg.wait = &wait;
	wait = kovan_disruptor_wait_blocking;
	wait.kind = KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF + 1;
	kd_expect_create_einval(test, &cfg, "an unknown wait kind");
	wait = kovan_disruptor_wait_sleeping;
	wait.sleep_us = 0;
	kd_expect_create_einval(test, &cfg, "sleep_us 0");
	wait.sleep_us = USEC_PER_SEC + 1;
	kd_expect_create_einval(test, &cfg, "sleep_us above 1 s");
	wait = kovan_disruptor_wait_timeout_blocking;
	wait.timeout_us = 0;
	kd_expect_create_einval(test, &cfg, "timeout_us 0");
	wait.timeout_us = INT_MAX / 1000 + 1;
	kd_expect_create_einval(test, &cfg, "timeout_us above INT_MAX / 1000");
	wait = kovan_disruptor_wait_busy_spin;
	wait.gather_spins = KOVAN_DISRUPTOR_WAIT_MAX_GATHER_SPINS + 1;
	kd_expect_create_einval(test, &cfg, "gather_spins above the maximum");
	wait = kovan_disruptor_wait_yielding;
	wait.gather_spins = UINT_MAX;
	kd_expect_create_einval(test, &cfg, "gather_spins UINT_MAX");
	wait = kovan_disruptor_wait_blocking;
	wait.gather_spins = 1;
	kd_expect_create_einval(test, &cfg, "gather_spins with blocking");
	wait = kovan_disruptor_wait_sleeping;
	wait.gather_spins = 1;
	kd_expect_create_einval(test, &cfg, "gather_spins with sleeping");

	/* The limits themselves are fine. */
	wait = kovan_disruptor_wait_yielding;
	wait.gather_spins = KOVAN_DISRUPTOR_WAIT_MAX_GATHER_SPINS;
	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(d));
	if (!IS_ERR(d))
		kovan_disruptor_destroy(d);
	cfg = good;
	cfg.size = 1;
	cfg.event_size = KOVAN_DISRUPTOR_MAX_EVENT_SIZE;
	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(d));
	if (!IS_ERR(d))
		kovan_disruptor_destroy(d);

	r = kd_new(test, 4, KOVAN_PRODUCER_MULTI, NULL);
	other = kd_new(test, 4, KOVAN_PRODUCER_MULTI, NULL);
	for (i = 0; i < ARRAY_SIZE(h); i++) {
		h[i].on_event = kd_on_event;
		h[i].cpu = -1;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_handle_events_with(r->d, NULL, 1)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_handle_events_with(r->d, h, 0)),
			-EINVAL);
	st = kovan_disruptor_handle_events_with(r->d, h, ARRAY_SIZE(h));
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(st), -EINVAL);
	h[1].on_event = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_handle_events_with(r->d, h, 2)),
			-EINVAL);
	h[1].on_event = kd_on_event;
	h[0].cpu = nr_cpu_ids;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_handle_events_with(r->d, h, 1)),
			-EINVAL);
	h[0].cpu = -1;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_then(NULL, h, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_then(ERR_PTR(-ENOMEM), h, 1)),
			-EINVAL);
	deps[0] = kd_stage(test, r, NULL, 0, 1, NULL)->s;
	deps[1] = kd_stage(test, other, NULL, 0, 1, NULL)->s;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_then(deps[0], h, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_after(deps, 0, h, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_after(deps, 2, h, 1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_new_poller(NULL, NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_new_poller(r->d, deps[1])), -EINVAL);
	kovan_disruptor_destroy(NULL);
}

/* ---- Sequential cases: the test thread produces ---- */

/* Claims, room and the ring's slots, with a poller that gates the producer. */
static void kovan_disruptor_claims(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 4, KOVAN_PRODUCER_SINGLE, NULL);
	struct kd_consumer *p = kd_poller(test, r, NULL);
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	struct kovan_disruptor *d = r->d;
	s64 seq;

	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(d), 0);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_cursor(d), -1LL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_next(d, 0), (s64)-EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_next(d, 5), (s64)-EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 0), (s64)-EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 5), (s64)-EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_cursor(d), -1LL);
	KUNIT_EXPECT_EQ(test, kd_poll(p), 0U);
	/* A slot per sequence of a lap, the same one every lap. */
	for (seq = 0; seq < 4; seq++) {
		KUNIT_EXPECT_PTR_EQ(test, kovan_disruptor_get(d, seq),
				    kovan_disruptor_get(d, seq + 4));
		KUNIT_EXPECT_PTR_NE(test, kovan_disruptor_get(d, seq),
				    kovan_disruptor_get(d, seq + 1));
	}

	/* One claim fills the ring: the poller has not moved. */
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 4), 3LL);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_cursor(d), 3LL);
	for (seq = 0; seq < 4; seq++)
		kd_fill(r, seq, KD_TASK_PRODUCER, (*count)++);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_publish(d, 0, 3), 0);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 1), (s64)-EBUSY);

	/* A poll stopped after two events frees two slots, no more. */
	p->stop_after = 2;
	KUNIT_EXPECT_EQ(test, kd_poll(p), 2U);
	p->stop_after = 0;
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 3), (s64)-EBUSY);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 2), 5LL);
	for (seq = 4; seq < 6; seq++)
		kd_fill(r, seq, KD_TASK_PRODUCER, (*count)++);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_publish(d, 4, 5), 0);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_try_next(d, 1), (s64)-EBUSY);

	/* The rest in one poll, then nothing; next() with room does not wait. */
	KUNIT_EXPECT_EQ(test, kd_poll(p), 4U);
	KUNIT_EXPECT_EQ(test, kd_poll(p), 0U);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 4, KD_TASK_PRODUCER, count), 0);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_cursor(d), 9LL);
	KUNIT_EXPECT_EQ(test, kd_poll(p), 4U);
	kovan_disruptor_halt(d);
	kd_expect(test, r);
	/* Batches ended at events 5 and 9; the stopped poll ended none. */
	KUNIT_EXPECT_EQ(test, p->batches, 2UL);
}

/* The one bad publish of the suite: its WARN_ONCE() fires once per boot. */
static void kovan_disruptor_bad_publish(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 4, KOVAN_PRODUCER_SINGLE, NULL);
	struct kd_consumer *p = kd_poller(test, r, NULL);
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	int ret;

	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KD_EXPECT_WARN("kovan_disruptor_publish() of a range not claimed",
		       ret = kovan_disruptor_publish(r->d, 1, 1));
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	/* Nothing was published, and the producer carries on. */
	KUNIT_EXPECT_EQ(test, kd_poll(p), 1U);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_EXPECT_EQ(test, kd_poll(p), 1U);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
}

static void kd_expect_no_callbacks(struct kunit *test, struct kd_run *r)
{
	unsigned int i;

	for (i = 0; i < r->nconsumers; i++) {
		KUNIT_EXPECT_EQ_MSG(test, r->c[i].starts, 0UL, "handler %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r->c[i].shutdowns, 0UL, "handler %u", i);
		KUNIT_EXPECT_EQ_MSG(test, r->c[i].events, 0UL, "handler %u", i);
	}
}

/* What a probe on kovan_disruptor_halt saw of one Disruptor. */
struct kd_halts {
	const void *d;
	atomic_long_t events;
	s64 published;
};

static void kd_probe_halt(void *data, const void *disruptor, s64 published)
{
	struct kd_halts *h = data;

	if (disruptor != h->d)
		return;
	atomic_long_inc(&h->events);
	/* Read after tracepoint_synchronize_unregister(). */
	WRITE_ONCE(h->published, published);
}

static void kovan_disruptor_lifecycle(struct kunit *test)
{
	struct kd_halts halts = { .published = -1 };
	const struct kovan_disruptor_handler h = { .on_event = kd_on_event, .cpu = -1 };
	unsigned long *count;
	struct kd_stage *st;
	struct kd_run *r;
	unsigned int i;

	/* Destroy without start, and halt without start: no thread, no callback. */
	r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, NULL);
	kd_stage(test, r, NULL, 0, 2, NULL);
	kd_destroy(test, r);
	kd_expect_no_callbacks(test, r);
	r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, NULL);
	kd_stage(test, r, NULL, 0, 1, NULL);
	kovan_disruptor_halt(r->d);
	kd_destroy(test, r);
	kd_expect_no_callbacks(test, r);

	/* Start and halt with no event: on_start and on_shutdown once each. */
	r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, NULL);
	kd_stage(test, r, NULL, 0, 2, NULL);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	/* start() returned after every on_start(), which orders these reads. */
	for (i = 0; i < r->nconsumers; i++)
		KUNIT_EXPECT_EQ_MSG(test, r->c[i].starts, 1UL, "handler %u after start", i);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);

	/* A halt right after the start still runs every callback and handles every event. */
	r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, NULL);
	count = &r->published[KD_TASK_PRODUCER];
	kd_stage(test, r, NULL, 0, 2, NULL);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 10, KD_TASK_PRODUCER, count), 0);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);

	/* Set-up is refused once started; halting twice is harmless. */
	r = kd_new(test, 16, KOVAN_PRODUCER_MULTI, NULL);
	count = &r->published[KD_TASK_PRODUCER];
	st = kd_stage(test, r, NULL, 0, 1, NULL);
	halts.d = r->d;
	if (IS_ENABLED(CONFIG_TRACEPOINTS))
		KUNIT_ASSERT_EQ(test,
				register_trace_kovan_disruptor_halt(kd_probe_halt, &halts), 0);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_start(r->d), -EBUSY);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_handle_events_with(r->d, &h, 1)),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_then(st->s, &h, 1)), -EBUSY);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_after(&st->s, 1, &h, 1)), -EBUSY);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(kovan_disruptor_new_poller(r->d, NULL)), -EBUSY);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, kd_publish_one(r, KD_TASK_PRODUCER, count), 0);
	kovan_disruptor_halt(r->d);
	kovan_disruptor_halt(r->d);
	KUNIT_EXPECT_EQ(test, kovan_disruptor_start(r->d), -EBUSY);
	kd_expect(test, r);
	KUNIT_EXPECT_EQ(test, kd_total(r), 100UL);
	if (IS_ENABLED(CONFIG_TRACEPOINTS)) {
		/* One halt event, at the last of the 100 sequences. */
		unregister_trace_kovan_disruptor_halt(kd_probe_halt, &halts);
		tracepoint_synchronize_unregister();
		KUNIT_EXPECT_EQ(test, atomic_long_read(&halts.events), 1L);
		KUNIT_EXPECT_EQ(test, halts.published, 99LL);
	}

	/* Destroy without halt halts first: every event is handled by every stage. */
	r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, NULL);
	count = &r->published[KD_TASK_PRODUCER];
	kd_build(test, r, KD_PIPELINE);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1 + i % 4, KD_TASK_PRODUCER, count), 0);
	kd_destroy(test, r);
	kd_expect(test, r);
	KUNIT_EXPECT_EQ(test, kd_total(r), 250UL);
}

/* Slow handlers, then a halt while they are behind: nothing is lost. */
static void kovan_disruptor_halt_backlog(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 64, KOVAN_PRODUCER_SINGLE, NULL);
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	struct kd_stage *a = kd_stage(test, r, NULL, 0, 1, NULL);
	unsigned int i;
	s64 backlog;

	kd_stage(test, r, &a, 1, 2, NULL);
	for (i = 0; i < r->nconsumers; i++)
		r->c[i].delay_us = 20;
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	for (i = 0; i < 400; i++)
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1 + i % 4, KD_TASK_PRODUCER, count), 0);
	backlog = kovan_disruptor_cursor(r->d) - kd_min_handled(r);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
	kunit_info(test, "%lu events, %lld not yet handled by every handler at the halt\n",
		   kd_total(r), backlog);
}

/*
 * end_of_batch, exactly: event 0 alone is a batch; the handler holds it
 * while events 1..KD_EOB_BURST are published at once, which then make one
 * batch; then events published one at a time, each after the previous one
 * was handled, are batches of one.
 */
#define KD_EOB_BURST	100
#define KD_EOB_SINGLES	20

static void kovan_disruptor_end_of_batch(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 256, KOVAN_PRODUCER_SINGLE, NULL);
	const unsigned int n = 1 + KD_EOB_BURST + KD_EOB_SINGLES;
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	struct kd_consumer *c;
	unsigned int i;

	kd_stage(test, r, NULL, 0, 1, NULL);
	c = &r->c[0];
	c->hold_first = true;
	c->eob_log = kunit_kcalloc(test, n, sizeof(*c->eob_log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->eob_log);
	c->eob_len = n;
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);

	KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_EXPECT_EQ(test, kd_wait_for(&c->held, 1), 0);
	KUNIT_EXPECT_EQ(test, kd_publish(r, KD_EOB_BURST, KD_TASK_PRODUCER, count), 0);
	/* Read by kd_hold() in the handler. */
	WRITE_ONCE(c->released, true);
	KUNIT_EXPECT_EQ(test, kd_wait_for(&c->handled, KD_EOB_BURST), 0);
	for (i = 1 + KD_EOB_BURST; i < n; i++) {
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
		KUNIT_EXPECT_EQ(test, kd_wait_for(&c->handled, i), 0);
	}
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->eob_log[i], i == 0 || i >= KD_EOB_BURST,
				    "end_of_batch of event %u", i);
	KUNIT_EXPECT_EQ(test, c->batches, 2UL + KD_EOB_SINGLES);
}

/* ---- Concurrent cases: kthread and hardirq producers ---- */

struct kd_shape {
	enum kd_graph graph;
	enum kovan_producer_type type;
	unsigned int producers;		/* kthreads */
	bool hardirq;			/* and a producer in hardirq */
	unsigned int size;
};

static const struct kd_shape kd_shapes[] = {
	{ KD_UNICAST, KOVAN_PRODUCER_SINGLE, 1, false, 1024 },
	{ KD_UNICAST, KOVAN_PRODUCER_SINGLE, 1, false, 2 },
	{ KD_UNICAST, KOVAN_PRODUCER_SINGLE, 1, false, 1 },
	{ KD_PIPELINE, KOVAN_PRODUCER_SINGLE, 1, false, 1024 },
	{ KD_MULTICAST, KOVAN_PRODUCER_SINGLE, 1, false, 1024 },
	{ KD_ROOTS, KOVAN_PRODUCER_SINGLE, 1, false, 2 },
	{ KD_DIAMOND, KOVAN_PRODUCER_SINGLE, 1, false, 1024 },
	{ KD_UNICAST, KOVAN_PRODUCER_MULTI, 4, true, 1024 },
	{ KD_UNICAST, KOVAN_PRODUCER_MULTI, 4, true, 2 },
	{ KD_PIPELINE, KOVAN_PRODUCER_MULTI, 3, true, 1024 },
	{ KD_PIPELINE, KOVAN_PRODUCER_MULTI, 3, true, 2 },
	{ KD_MULTICAST, KOVAN_PRODUCER_MULTI, 2, true, 2 },
	{ KD_ROOTS, KOVAN_PRODUCER_MULTI, 2, true, 1024 },
	{ KD_DIAMOND, KOVAN_PRODUCER_MULTI, 3, true, 1024 },
	{ KD_DIAMOND, KOVAN_PRODUCER_MULTI, 3, true, 2 },
};

static void kd_shape_desc(const struct kd_shape *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s, %u %s producer%s%s, ring %u",
		 kd_graph_names[s->graph], s->producers,
		 s->type == KOVAN_PRODUCER_MULTI ? "multi" : "single", s->producers > 1 ? "s" : "",
		 s->hardirq ? " + hardirq" : "", s->size);
}

KUNIT_ARRAY_PARAM(kd_shape, kd_shapes, kd_shape_desc);

static void kd_run_graph(struct kunit *test, const struct kd_shape *s,
			 const struct kovan_disruptor_wait *wait, bool pauses)
{
	struct kd_run *r = kd_new(test, s->size, s->type, wait);
	struct kd_consumer *last;

	r->pauses = pauses;
	kd_build(test, r, s->graph);
	last = &r->c[r->nconsumers - 1];
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	kd_start_producers(test, r, s->producers, s->hardirq, KD_RUN_MS);
	kd_stop(test, r);
	kd_expect(test, r);
	kunit_info(test, "%u CPUs: %lu events, %lu from hardirq (%lu refused -EBUSY); %lu batches at the last handler\n",
		   num_online_cpus(), kd_total(r), r->published[KD_IRQ_PRODUCER], r->irq_busy,
		   last->batches);
}

/*
 * Every sequence reaches every handler once, in order, after its
 * dependencies; every producer's events arrive, none twice.
 */
static void kovan_disruptor_graph(struct kunit *test)
{
	kd_run_graph(test, test->param_value, NULL, false);
}

struct kd_wait {
	const char *name;
	const struct kovan_disruptor_wait *wait;
};

static const struct kd_wait kd_waits[] = {
	{ "busy_spin", &kovan_disruptor_wait_busy_spin },
	{ "busy_spin_gathering", &kovan_disruptor_wait_busy_spin_gathering },
	{ "yielding", &kovan_disruptor_wait_yielding },
	{ "sleeping", &kovan_disruptor_wait_sleeping },
	{ "blocking", &kovan_disruptor_wait_blocking },
	{ "timeout_blocking", &kovan_disruptor_wait_timeout_blocking },
	{ "phased_backoff", &kovan_disruptor_wait_phased_backoff },
};

static void kd_wait_desc(const struct kd_wait *w, char *desc)
{
	strscpy(desc, w->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kd_wait, kd_waits, kd_wait_desc);

/* The pipeline under each strategy, with pauses so that both sides wait. */
static void kovan_disruptor_wait_strategies(struct kunit *test)
{
	const struct kd_wait *w = test->param_value;
	const struct kd_shape s = { KD_PIPELINE, KOVAN_PRODUCER_MULTI, 2, true, 64 };

	kd_run_graph(test, &s, w->wait, true);
}

static const int kd_cpus[] = { 0, 1 };

static void kd_cpu_desc(const int *cpu, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "handlers on CPU %d", *cpu);
}

KUNIT_ARRAY_PARAM(kd_cpu, kd_cpus, kd_cpu_desc);

/* on_start, on_event and on_shutdown run in the handler's kthread, on its CPU. */
static void kovan_disruptor_affinity(struct kunit *test)
{
	const int cpu = *(const int *)test->param_value;
	const int cpus[] = { cpu, -1 };
	struct kd_stage *a;
	struct kd_run *r;

	if ((unsigned int)cpu >= nr_cpu_ids || !cpu_online(cpu))
		kunit_skip(test, "CPU %d is not online", cpu);
	r = kd_new(test, 64, KOVAN_PRODUCER_SINGLE, NULL);
	a = kd_stage(test, r, NULL, 0, 2, cpus);
	kd_stage(test, r, &a, 1, 1, &cpu);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	kd_start_producers(test, r, 1, false, KD_RUN_MS / 2);
	kd_stop(test, r);
	kd_expect(test, r);
	kunit_info(test, "%lu events, handlers 0 and 2 on CPU %d\n", kd_total(r), cpu);
}

/* Pollers after the producers and after a stage, beside a handler after that stage. */
static void kovan_disruptor_pollers(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 64, KOVAN_PRODUCER_MULTI, NULL);
	struct kd_stage *a = kd_stage(test, r, NULL, 0, 1, NULL);
	struct kd_consumer *first, *after;

	kd_stage(test, r, &a, 1, 1, NULL);
	first = kd_poller(test, r, NULL);
	after = kd_poller(test, r, a);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kd_poll(first), 0U);
	KUNIT_EXPECT_EQ(test, kd_poll(after), 0U);
	kd_start_producers(test, r, 2, true, KD_RUN_MS);
	kd_stop(test, r);
	kd_expect(test, r);
	kunit_info(test, "%u CPUs: %lu events; polls with events: %lu after the producers, %lu after a stage\n",
		   num_online_cpus(), kd_total(r), first->batches, after->batches);
}

/*
 * Missed wake-ups of the blocking strategy: a small ring, a pipeline, two
 * producers and a hardirq one, random pauses on every side so that
 * handlers and producers often sleep when the other side moves. The
 * watchdog fails the case if everything stops with work pending.
 */
static void kovan_disruptor_blocking_wakeups(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 8, KOVAN_PRODUCER_MULTI, &kovan_disruptor_wait_blocking);

	r->pauses = true;
	r->max_rounds = KD_BLOCKING_ROUNDS;
	kd_build(test, r, KD_PIPELINE);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	kd_start_producers(test, r, 2, true, KD_BLOCKING_MS);
	kd_stop(test, r);
	kd_expect(test, r);
	kunit_info(test, "%u CPUs: %ld rounds of publish (at most %ld), %lu events, %lu batches at the last handler\n",
		   num_online_cpus(), atomic_long_read(&r->rounds), KD_BLOCKING_ROUNDS,
		   kd_total(r), r->c[r->nconsumers - 1].batches);
}

static const struct kd_shape kd_wake_shapes[] = {
	{ KD_PIPELINE, KOVAN_PRODUCER_SINGLE, 1, false, 4 },
	{ KD_DIAMOND, KOVAN_PRODUCER_SINGLE, 1, false, 4 },
	{ KD_PIPELINE, KOVAN_PRODUCER_MULTI, 2, false, 4 },
	{ KD_DIAMOND, KOVAN_PRODUCER_MULTI, 2, false, 2 },
};

KUNIT_ARRAY_PARAM(kd_wake_shape, kd_wake_shapes, kd_shape_desc);

/*
 * Lost wake-ups of the per-sequence queues: a pipeline and a diamond on a
 * tiny ring with random pauses on every side, so that handlers block on
 * the cursor and on each other, and producers on the last stage, again
 * and again. A move that fails to wake who sleeps on it stops the graph,
 * which the watchdog reports; the halt then wakes everything, so the case
 * fails instead of hanging.
 */
static void kovan_disruptor_wakeup_stress(struct kunit *test)
{
	const struct kd_shape *s = test->param_value;
	struct kd_run *r = kd_new(test, s->size, s->type, &kovan_disruptor_wait_blocking);

	r->pauses = true;
	kd_build(test, r, s->graph);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	kd_start_producers(test, r, s->producers, false, KD_WAKE_STRESS_MS);
	kd_stop(test, r);
	kd_expect(test, r);
	if (IS_ENABLED(CONFIG_KOVAN_DEBUG))
		KUNIT_EXPECT_GE_MSG(test, kd_wake_calls(r), KD_WAKE_STRESS_MIN,
				    "too few sleeps to stress the wake-ups");
	kunit_info(test, "%u CPUs: %lu events, %lu moves found a sleeper to wake\n",
		   num_online_cpus(), kd_total(r), kd_wake_calls(r));
}

/*
 * A move calls into a wait queue only when someone sleeps on it: never
 * with pollers only, nor while the only handler is busy with an event; a
 * publish to a handler asleep does, once.
 */
static void kovan_disruptor_wakes_only_sleepers(struct kunit *test)
{
	enum kovan_producer_type type;
	unsigned long *count, before;
	struct kd_consumer *c;
	struct kd_run *r;
	unsigned int i;

	if (!IS_ENABLED(CONFIG_KOVAN_DEBUG))
		kunit_skip(test, "counts wake-ups with CONFIG_KOVAN_DEBUG only");
	for (type = KOVAN_PRODUCER_SINGLE; type <= KOVAN_PRODUCER_MULTI; type++) {
		r = kd_new(test, 8, type, &kovan_disruptor_wait_blocking);
		count = &r->published[KD_TASK_PRODUCER];
		c = kd_poller(test, r, NULL);
		KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
		for (i = 0; i < 100; i++) {
			KUNIT_EXPECT_EQ(test, kd_publish(r, 1 + i % 4, KD_TASK_PRODUCER, count), 0);
			kd_poll(c);
		}
		KUNIT_EXPECT_EQ_MSG(test, kd_wake_calls(r), 0UL, "%s producer, a poller",
				    type == KOVAN_PRODUCER_MULTI ? "multi" : "single");
		kovan_disruptor_halt(r->d);
		kd_expect(test, r);
	}

	r = kd_new(test, 64, KOVAN_PRODUCER_SINGLE, &kovan_disruptor_wait_blocking);
	count = &r->published[KD_TASK_PRODUCER];
	kd_stage(test, r, NULL, 0, 1, NULL);
	c = &r->c[0];
	c->hold_first = true;
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_ASSERT_EQ(test, kd_wait_for(&c->held, 1), 0);
	before = kd_wake_calls(r);
	for (i = 1; i <= 50; i++)
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_EXPECT_EQ_MSG(test, kd_wake_calls(r), before, "publishes while the handler is busy");
	/* Read by kd_hold() in the handler. */
	WRITE_ONCE(c->released, true);
	KUNIT_ASSERT_EQ(test, kd_wait_for(&c->handled, 50), 0);
	KUNIT_ASSERT_EQ(test, kd_wait_asleep(c), 0);
	before = kd_wake_calls(r);
	KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_ASSERT_EQ(test, kd_wait_for(&c->handled, 51), 0);
	KUNIT_EXPECT_EQ_MSG(test, kd_wake_calls(r), before + 1, "a publish to a handler asleep");
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
}

/*
 * No thundering herd: in a pipeline A -> B -> C with every handler asleep,
 * an event wakes A (the publish), then B (A's progress), then C (B's), so
 * each handler sleeps once per event. Were they all woken by every move,
 * B and C would wake for nothing, sleep again, and count two and three
 * sleeps per event.
 */
static void kovan_disruptor_no_herd(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 64, KOVAN_PRODUCER_SINGLE, &kovan_disruptor_wait_blocking);
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	unsigned long sleeps[3], slept[3];
	unsigned int i, j;

	kd_build(test, r, KD_PIPELINE);
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	for (j = 0; j < 3; j++) {
		KUNIT_ASSERT_EQ(test, kd_wait_asleep(&r->c[j]), 0);
		/* The kthread is blocked: its count of voluntary switches holds still. */
		sleeps[j] = READ_ONCE(r->c[j].task->nvcsw);
	}
	for (i = 0; i < KD_HERD_EVENTS; i++) {
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
		KUNIT_ASSERT_EQ(test, kd_wait_for(&r->c[2].handled, i), 0);
		for (j = 0; j < 3; j++)
			KUNIT_ASSERT_EQ(test, kd_wait_asleep(&r->c[j]), 0);
	}
	for (j = 0; j < 3; j++) {
		/* As above: the kthread is blocked. */
		slept[j] = READ_ONCE(r->c[j].task->nvcsw) - sleeps[j];
		/*
		 * A fifth more: for a snapshot taken on its way to sleep, and
		 * on PREEMPT_RT for a wait queue's lock found taken (a sleep
		 * there too). A herd is two or three sleeps per event.
		 */
		KUNIT_EXPECT_LE_MSG(test, slept[j], KD_HERD_EVENTS + KD_HERD_EVENTS / 5UL,
				    "handler %u slept %lu times for %u events", j, slept[j],
				    KD_HERD_EVENTS);
	}
	kunit_info(test, "%u events: A, B and C slept %lu, %lu and %lu times\n", KD_HERD_EVENTS,
		   slept[0], slept[1], slept[2]);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
}

static const struct kovan_disruptor_wait kd_timeout_1ms = {
	.kind = KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING,
	.timeout_us = 1000,
};

/* An idle handler gets on_timeout() with the last sequence it handled. */
static void kovan_disruptor_timeout(struct kunit *test)
{
	struct kd_run *r = kd_new(test, 16, KOVAN_PRODUCER_SINGLE, &kd_timeout_1ms);
	unsigned long *count = &r->published[KD_TASK_PRODUCER];
	struct kd_consumer *c;
	unsigned int i;

	kd_stage(test, r, NULL, 0, 1, NULL);
	c = &r->c[0];
	KUNIT_ASSERT_EQ(test, kovan_disruptor_start(r->d), 0);
	KUNIT_EXPECT_EQ(test, kd_wait_for(&c->timeout_seq, -1), 0);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, kd_publish(r, 1, KD_TASK_PRODUCER, count), 0);
	KUNIT_EXPECT_EQ(test, kd_wait_for(&c->timeout_seq, 9), 0);
	kovan_disruptor_halt(r->d);
	kd_expect(test, r);
	kunit_info(test, "on_timeout called %ld times\n", atomic_long_read(&c->timeouts));
}

static struct kunit_case kovan_disruptor_cases[] = {
	KUNIT_CASE(kovan_disruptor_bad_input),
	KUNIT_CASE(kovan_disruptor_claims),
	KUNIT_CASE(kovan_disruptor_bad_publish),
	KUNIT_CASE(kovan_disruptor_lifecycle),
	KUNIT_CASE(kovan_disruptor_halt_backlog),
	KUNIT_CASE(kovan_disruptor_end_of_batch),
	KUNIT_CASE_PARAM(kovan_disruptor_graph, kd_shape_gen_params),
	KUNIT_CASE_PARAM(kovan_disruptor_wait_strategies, kd_wait_gen_params),
	KUNIT_CASE_PARAM(kovan_disruptor_affinity, kd_cpu_gen_params),
	KUNIT_CASE(kovan_disruptor_pollers),
	KUNIT_CASE_SLOW(kovan_disruptor_blocking_wakeups),
	KUNIT_CASE_PARAM_ATTR(kovan_disruptor_wakeup_stress, kd_wake_shape_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE(kovan_disruptor_wakes_only_sleepers),
	KUNIT_CASE(kovan_disruptor_no_herd),
	KUNIT_CASE(kovan_disruptor_timeout),
	{}
};

static struct kunit_suite kovan_disruptor_suite = {
	.name = "kovan_disruptor",
	.test_cases = kovan_disruptor_cases,
};

kunit_test_suites(&kovan_disruptor_suite);
