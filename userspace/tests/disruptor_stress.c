// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Stress test of kovan_disruptor, built with the userspace shim: its
 * handler kthreads are pthreads, its wait queues condition variables.
 *
 * Two graphs run one after the other:
 *  - diamond: two producers (KOVAN_PRODUCER_MULTI, single and batch claims)
 *    feed stages A and B, which both feed C; blocking waits.
 *  - pipeline: one producer (KOVAN_PRODUCER_SINGLE, batch claims) feeds A,
 *    then B, then a poller driven by a thread of the test; timeout-blocking
 *    waits, so the handlers time out now and then.
 * Producers write the event's fields (plain), A and B each stamp a field of
 * their own, and the last consumer checks everything: ThreadSanitizer sees
 * that a publish is a release and a handler's progress another.
 *
 * Invariants, one line each per graph:
 *  - every handler saw every sequence, in order
 *  - the last consumer saw every event with its contents and the stamps
 *    of the stages before it, each producer's events in the order claimed
 *  - after kovan_disruptor_halt(), everything published was handled, and
 *    every handler ran on_start() and on_shutdown()
 */

#include <pthread.h>

#include <kovan/disruptor.h>

#include "harness.h"

#define RING		64
#define MAX_PROD	4

struct ev {
	unsigned long producer, pseq, check;
	s64 a, b;
};

struct graph {
	const char *name;
	struct kovan_disruptor *d;
	struct kovan_disruptor_poller *poller;
	unsigned int producers;
	bool batches;
	unsigned long published[MAX_PROD];
	unsigned long last_pseq[MAX_PROD];
	/* per handler: 0 = A, 1 = B, 2 = C or the poller */
	s64 next[3];
	unsigned long order_errors[3], bad_events, handled;
	int started, shutdown;
};

struct prod {
	struct graph *g;
	unsigned int id;
};

static struct t_opts opts = { .secs = 2, .cpus = 4, .readers = 0, .writers = 2 };

static unsigned long ev_check(unsigned long producer, unsigned long pseq)
{
	return pseq * 0x9e3779b97f4a7c15UL + producer;
}

/* Runs in the handler's kthread; ctx is the handler's part of the graph. */
static bool seq_in_order(struct graph *g, int h, s64 seq)
{
	if (seq != g->next[h]) {
		g->order_errors[h]++;
		g->next[h] = seq + 1;
		return false;
	}
	g->next[h]++;
	return true;
}

struct hctx {
	struct graph *g;
	int h;
};

static void consume(struct graph *g, struct ev *e, s64 seq)
{
	unsigned long p = e->producer;

	seq_in_order(g, 2, seq);
	if (p >= g->producers || e->check != ev_check(p, e->pseq) || e->a != seq || e->b != seq) {
		g->bad_events++;
		return;
	}
	if (g->last_pseq[p] != ~0UL && e->pseq <= g->last_pseq[p])
		g->order_errors[2]++;
	g->last_pseq[p] = e->pseq;
	g->handled++;
}

static int on_event(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct hctx *c = ctx;
	struct ev *e = event;

	switch (c->h) {
	case 0:
		seq_in_order(c->g, 0, seq);
		e->a = seq;
		break;
	case 1:
		seq_in_order(c->g, 1, seq);
		e->b = seq;
		break;
	default:
		consume(c->g, e, seq);
	}
	/* Now and then release early, as the contract allows. */
	return !(seq & 15);
}

static void on_start(void *ctx)
{
	struct hctx *c = ctx;

	__atomic_fetch_add(&c->g->started, 1, __ATOMIC_RELAXED);
}

static void on_shutdown(void *ctx)
{
	struct hctx *c = ctx;

	__atomic_fetch_add(&c->g->shutdown, 1, __ATOMIC_RELAXED);
}

static bool poll_one(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	consume(ctx, event, seq);
	return true;
}

static void fill(struct ev *e, struct prod *p, unsigned long pseq)
{
	e->producer = p->id;
	e->pseq = pseq;
	e->check = ev_check(p->id, pseq);
	e->a = -1;
	e->b = -1;
}

static void *producer(void *arg)
{
	struct prod *p = arg;
	struct graph *g = p->g;
	unsigned long pseq = 0;
	unsigned int n, i;
	s64 hi;

	while (!t_stopped()) {
		n = g->batches ? 1 + t_rand() % 8 : 1;
		hi = kovan_disruptor_next(g->d, n);
		if (hi < 0)
			break;
		for (i = 0; i < n; i++)
			fill(kovan_disruptor_get(g->d, hi - n + 1 + i), p, pseq++);
		if (kovan_disruptor_publish(g->d, hi - n + 1, hi))
			break;
	}
	g->published[p->id] = pseq;
	return NULL;
}

static bool polling_done;

static void *poller(void *arg)
{
	struct graph *g = arg;

	while (!__atomic_load_n(&polling_done, __ATOMIC_ACQUIRE))
		if (!kovan_disruptor_poll(g->poller, poll_one, g))
			usleep(50);
	/* Drained: the producers and the handlers before the poller are done. */
	while (kovan_disruptor_poll(g->poller, poll_one, g))
		;
	return NULL;
}

static void run(struct graph *g, double secs, enum kovan_producer_type type,
		const struct kovan_disruptor_wait *wait, bool diamond)
{
	struct kovan_disruptor_config cfg = {
		.size = RING, .event_size = sizeof(struct ev), .producer = type, .wait = wait,
	};
	static struct hctx ctx[3];
	struct kovan_disruptor_handler h[3];
	struct kovan_disruptor_stage *a, *b, *ab[2];
	unsigned long published = 0;
	struct prod p[MAX_PROD];
	pthread_t th[MAX_PROD + 1];
	bool ok = true;
	unsigned int i;

	__atomic_store_n(&t_stop, false, __ATOMIC_RELAXED);
	memset(g->last_pseq, 0xff, sizeof(g->last_pseq));
	for (i = 0; i < 3; i++) {
		ctx[i] = (struct hctx){ g, i };
		h[i] = (struct kovan_disruptor_handler){
			.on_event = on_event, .on_start = on_start, .on_shutdown = on_shutdown,
			.ctx = &ctx[i], .cpu = i < nr_cpu_ids ? (int)i : -1,
		};
	}
	g->d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	ok = !IS_ERR(g->d);
	if (ok && diamond) {
		a = kovan_disruptor_handle_events_with(g->d, &h[0], 1);
		b = kovan_disruptor_handle_events_with(g->d, &h[1], 1);
		ab[0] = a;
		ab[1] = b;
		ok = !IS_ERR(a) && !IS_ERR(b) && !IS_ERR(kovan_disruptor_after(ab, 2, &h[2], 1));
	} else if (ok) {
		a = kovan_disruptor_handle_events_with(g->d, &h[0], 1);
		b = IS_ERR(a) ? a : kovan_disruptor_then(a, &h[1], 1);
		g->poller = IS_ERR(b) ? NULL : kovan_disruptor_new_poller(g->d, b);
		ok = !IS_ERR_OR_NULL(g->poller);
	}
	ok = ok && !kovan_disruptor_start(g->d);
	if (!ok) {
		t_check(false, "%s: set up", g->name);
		return;
	}
	for (i = 0; i < g->producers; i++) {
		p[i] = (struct prod){ g, i };
		pthread_create(&th[i], NULL, producer, &p[i]);
	}
	if (g->poller)
		pthread_create(&th[i], NULL, poller, g);
	t_run_for(secs);
	for (i = 0; i < g->producers; i++) {
		pthread_join(th[i], NULL);
		published += g->published[i];
	}
	kovan_disruptor_halt(g->d);
	if (g->poller) {
		__atomic_store_n(&polling_done, true, __ATOMIC_RELEASE);
		pthread_join(th[i], NULL);
	}
	t_check(!g->order_errors[0] && !g->order_errors[1] && g->next[0] == (s64)published &&
		g->next[1] == (s64)published,
		"%s: stages A and B saw all %lu sequences in order (%lu, %lu out of order)",
		g->name, published, g->order_errors[0], g->order_errors[1]);
	t_check(!g->bad_events && !g->order_errors[2] && g->handled == published,
		"%s: the last consumer saw %lu of %lu events, %lu bad, %lu out of order",
		g->name, g->handled, published, g->bad_events, g->order_errors[2]);
	t_check(g->started == (diamond ? 3 : 2) && g->shutdown == g->started,
		"%s: every handler ran on_start() and on_shutdown() (%d, %d)",
		g->name, g->started, g->shutdown);
	kovan_disruptor_destroy(g->d);
}

int main(int argc, char **argv)
{
	struct graph diamond = { .name = "diamond", .batches = true };
	struct graph pipeline = { .name = "pipeline", .producers = 1, .batches = true };

	t_parse(argc, argv, &opts);
	if (us_init(opts.cpus)) {
		printf("not ok - us_init(%u) failed\n", opts.cpus);
		return 2;
	}
	diamond.producers = opts.writers < MAX_PROD ? opts.writers : MAX_PROD;
	run(&diamond, opts.secs / 2, KOVAN_PRODUCER_MULTI, &kovan_disruptor_wait_blocking, true);
	run(&pipeline, opts.secs / 2, KOVAN_PRODUCER_SINGLE, &kovan_disruptor_wait_timeout_blocking,
	    false);
	us_exit();
	return t_done();
}
