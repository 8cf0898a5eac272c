// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: kovan's side, compiled against the userspace shim
 * (userspace/include) and linked with libkovan.a.
 */

#include <pthread.h>

#include <kovan/kovan.h>
#include <kovan/arrayq.h>
#include <kovan/disruptor.h>
#include <kovan/segq.h>
#include <shim/runtime.h>

#include "bench.h"

#define QUEUE_CAPACITY	4096

static struct kovan_domain dom_plain, dom_robust, dom_fenceless, dom_segq;
static struct kovan_arrayq *aq;
static struct kovan_segq *sq;

static_assert(sizeof(struct kovan_node) <= sizeof(((struct bench_obj *)0)->head),
	      "kovan_node fits in bench_obj");

static bool cpus_owned;

int bench_kovan_init(unsigned int nr_cpus, unsigned int threads, bool owned)
{
	cpus_owned = owned;
	if (owned) {
		/* Readers 0..threads - 1, the writer at threads, workers after. */
		us_reserve_cpus(threads + 1);
		nr_cpus = threads + 2;
	}
	if (us_init(nr_cpus))
		return -1;
	us_set_quarantine(0);
	if (kovan_domain_init(&dom_plain, 0) || kovan_domain_init(&dom_robust, KOVAN_ROBUST) ||
	    kovan_domain_init(&dom_fenceless, KOVAN_FENCELESS) || kovan_domain_init(&dom_segq, 0))
		return -1;
	return 0;
}

void bench_kovan_exit(void)
{
	kovan_domain_destroy(&dom_plain);
	kovan_domain_destroy(&dom_robust);
	kovan_domain_destroy(&dom_fenceless);
	kovan_domain_destroy(&dom_segq);
	us_exit();
}

static void thread_init(unsigned int id, unsigned int cpu)
{
	if (cpus_owned)
		us_own_cpu(id);
	else
		us_set_cpu(cpu % nr_cpu_ids);
}

static void thread_exit(unsigned int id)
{
	if (cpus_owned)
		us_release_cpu();
}

static void free_plain(struct kovan_node *n)
{
	bench_free(BENCH_OBJ(n));
}

/* The writer's first object (bench.h) is born in the readers' domain too. */
static int read_setup_plain(unsigned int threads)
{
	kovan_node_init(&dom_plain, (struct kovan_node *)bench_read_obj->head);
	return 0;
}

static int read_setup_robust(unsigned int threads)
{
	kovan_node_init(&dom_robust, (struct kovan_node *)bench_read_obj->head);
	return 0;
}

static int read_setup_fenceless(unsigned int threads)
{
	kovan_node_init(&dom_fenceless, (struct kovan_node *)bench_read_obj->head);
	return 0;
}

/* The writer: publish @o, retire what it replaces to the readers' domain. */
static void publish(struct kovan_domain *d, struct bench_obj *o)
{
	struct bench_obj *old;

	kovan_node_init(d, (struct kovan_node *)o->head);
	old = kovan_replace_pointer(&bench_read_obj, o);
	kovan_retire(d, (struct kovan_node *)old->head, free_plain);
}

static void publish_plain(struct bench_obj *o)
{
	publish(&dom_plain, o);
}

static void publish_robust(struct bench_obj *o)
{
	publish(&dom_robust, o);
}

static void publish_fenceless(struct bench_obj *o)
{
	publish(&dom_fenceless, o);
}

/* pin+load+unpin */
static unsigned long read_loop(struct kovan_domain *d)
{
	struct bench_obj **pp = &bench_read_obj;
	unsigned long n = 0, sum = 0;
	struct kovan_guard g;

	while (!bench_stopped()) {
		kovan_pin(d, &g);
		sum += kovan_load(pp, &g)->val;
		kovan_unpin(&g);
		n++;
	}
	if (sum != n)
		bench_fail("a reader read a wrong value");
	return n;
}

static unsigned long read_plain(unsigned int id, unsigned int threads)
{
	return read_loop(&dom_plain);
}

static unsigned long read_robust(unsigned int id, unsigned int threads)
{
	return read_loop(&dom_robust);
}

static unsigned long read_fenceless(unsigned int id, unsigned int threads)
{
	return read_loop(&dom_fenceless);
}

/* allocate, kovan_retire() */
static unsigned long retire_loop(struct kovan_domain *d)
{
	unsigned long n = 0;
	struct bench_obj *o;

	while (!bench_stopped()) {
		o = bench_alloc(n, n);
		kovan_node_init(d, (struct kovan_node *)o->head);
		kovan_retire(d, (struct kovan_node *)o->head, free_plain);
		n++;
	}
	bench_add_retired(n);
	return n;
}

static unsigned long retire_plain(unsigned int id, unsigned int threads)
{
	return retire_loop(&dom_plain);
}

static unsigned long retire_robust(unsigned int id, unsigned int threads)
{
	return retire_loop(&dom_robust);
}

static void barrier_plain(void)
{
	kovan_barrier(&dom_plain);
}

static void barrier_robust(void)
{
	kovan_barrier(&dom_robust);
}

static void barrier_fenceless(void)
{
	kovan_barrier(&dom_fenceless);
}

static unsigned long hash_loop(struct kovan_domain *d, unsigned int id)
{
	unsigned long n = 0, retired = 0, bad = 0, seed = 0x2545f4914f6cdd1dUL * (id + 1);
	struct bench_obj *o, *old;
	struct ht_bucket *b;
	struct kovan_guard g;
	unsigned long r, key;

	while (!bench_stopped()) {
		r = bench_rand(&seed);
		key = (r >> 16) % HT_KEYS;
		b = ht_bucket(key);
		if (r % HT_UPDATE_ONE_IN) {
			kovan_pin(d, &g);
			o = ht_lookup(b, key);
			if (o && !o->val)
				bad++;
			kovan_unpin(&g);
		} else {
			key &= ~1UL;
			b = ht_bucket(key);
			o = bench_alloc(key, r | 1);
			pthread_spin_lock(&b->lock);
			old = ht_replace(b, o);
			pthread_spin_unlock(&b->lock);
			kovan_retire(d, (struct kovan_node *)old->head, free_plain);
			retired++;
		}
		n++;
	}
	bench_add_retired(retired);
	if (bad)
		bench_fail("a lookup found a freed entry");
	return n;
}

static unsigned long hash_plain(unsigned int id, unsigned int threads)
{
	return hash_loop(&dom_plain, id);
}

static unsigned long hash_fenceless(unsigned int id, unsigned int threads)
{
	return hash_loop(&dom_fenceless, id);
}

static int aq_setup(unsigned int threads)
{
	aq = kovan_arrayq_create(QUEUE_CAPACITY, GFP_KERNEL);
	return aq ? 0 : -1;
}

static void aq_teardown(void)
{
	kovan_arrayq_destroy(aq, NULL);
}

static int aq_push(unsigned long v)
{
	return kovan_arrayq_push(aq, (void *)v);
}

static unsigned long aq_pop(void)
{
	return (unsigned long)kovan_arrayq_pop(aq);
}

static unsigned long aq_work(unsigned int id, unsigned int threads)
{
	return bench_queue_loop(id, threads, aq_push, aq_pop);
}

static int sq_setup(unsigned int threads)
{
	sq = kovan_segq_create(&dom_segq, GFP_KERNEL);
	return sq ? 0 : -1;
}

static void sq_teardown(void)
{
	kovan_segq_destroy(sq, NULL);
	kovan_barrier(&dom_segq);
}

static int sq_push(unsigned long v)
{
	return kovan_segq_push(sq, (void *)v, GFP_KERNEL);
}

static unsigned long sq_pop(void)
{
	return (unsigned long)kovan_segq_pop(sq);
}

static unsigned long sq_work(unsigned int id, unsigned int threads)
{
	return bench_queue_loop(id, threads, sq_push, sq_pop);
}

/*
 * The Disruptor scenarios (bench.h): one ring, its handler kthreads pinned
 * and on shim CPUs as the harness's threads 1..3 would be.
 */
static struct kovan_disruptor *dis;

struct dis_handler {
	/* Written by its handler only, read after the halt joined it. */
	alignas(64) unsigned long handled;
	unsigned long bad;
	unsigned int h;
	bool last;
};

static struct dis_handler dis_handlers[BENCH_DIS_MAX_HANDLERS];

static void dis_on_start(void *ctx)
{
	struct dis_handler *c = ctx;

	thread_init(c->h + 1, bench_pin(c->h + 1));
}

static void dis_on_shutdown(void *ctx)
{
	struct dis_handler *c = ctx;

	thread_exit(c->h + 1);
}

static int dis_on_event(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct bench_dis_event *e = event;
	struct dis_handler *c = ctx;

	/* In sequence: the count so far is the sequence expected. */
	if (seq != c->handled || !bench_dis_check(e, seq, c->h))
		c->bad++;
	if (bench_dis_sampled(seq)) {
		if (c->last)
			bench_dis_record(e, bench_now_ns());
		else
			e->t[c->h + 1] = bench_now_ns();
	}
	if (!c->last)
		e->by[c->h] = seq;
	c->handled++;
	return 0;
}

static int dis_setup(const struct kovan_disruptor_wait *wait)
{
	const struct kovan_disruptor_config cfg = {
		.size = BENCH_DIS_RING,
		.event_size = sizeof(struct bench_dis_event),
		.producer = KOVAN_PRODUCER_SINGLE,
		.wait = wait,
	};
	struct kovan_disruptor_handler hs[BENCH_DIS_MAX_HANDLERS];
	struct kovan_disruptor_stage *st;
	unsigned int i;

	dis = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (IS_ERR(dis))
		return -1;
	for (i = 0; i < bench_dis.handlers; i++) {
		dis_handlers[i] = (struct dis_handler){
			.h = i, .last = i == bench_dis.handlers - 1,
		};
		hs[i] = (struct kovan_disruptor_handler){
			.on_event = dis_on_event, .on_start = dis_on_start,
			.on_shutdown = dis_on_shutdown, .ctx = &dis_handlers[i], .cpu = -1,
		};
	}
	switch (bench_dis.topology) {
	case BENCH_DIS_1P1C:
		st = kovan_disruptor_handle_events_with(dis, hs, 1);
		break;
	case BENCH_DIS_1P3C:
		st = kovan_disruptor_handle_events_with(dis, &hs[0], 1);
		if (!IS_ERR(st))
			st = kovan_disruptor_then(st, &hs[1], 1);
		if (!IS_ERR(st))
			st = kovan_disruptor_then(st, &hs[2], 1);
		break;
	default:
		/* h1 and h2 are one stage, h3 the stage after it. */
		st = kovan_disruptor_handle_events_with(dis, &hs[0], 2);
		if (!IS_ERR(st))
			st = kovan_disruptor_then(st, &hs[2], 1);
	}
	if (IS_ERR(st) || kovan_disruptor_start(dis)) {
		kovan_disruptor_destroy(dis);
		return -1;
	}
	return 0;
}

static int dis_setup_busy_spin(unsigned int threads)
{
	return dis_setup(&kovan_disruptor_wait_busy_spin);
}

static int dis_setup_gathering(unsigned int threads)
{
	return dis_setup(&kovan_disruptor_wait_busy_spin_gathering);
}

static int dis_setup_blocking(unsigned int threads)
{
	return dis_setup(&kovan_disruptor_wait_blocking);
}

/* The producer; halts the disruptor, so the time includes the drain. */
static unsigned long dis_work(unsigned int id, unsigned int threads)
{
	unsigned int batch = bench_dis.batch, i;
	unsigned long n = 0;
	s64 hi, seq;

	while (!bench_stopped()) {
		hi = kovan_disruptor_next(dis, batch);
		if (hi < 0) {
			bench_fail("kovan_disruptor_next() failed");
			break;
		}
		for (seq = hi - batch + 1; seq <= hi; seq++)
			bench_dis_fill(kovan_disruptor_get(dis, seq), seq);
		kovan_disruptor_publish(dis, hi - batch + 1, hi);
		n += batch;
	}
	kovan_disruptor_halt(dis);
	for (i = 0; i < bench_dis.handlers; i++) {
		if (dis_handlers[i].bad)
			bench_fail("a handler found an event out of sequence or not marked");
		else if (dis_handlers[i].handled != n)
			bench_fail("a handler did not handle every event");
	}
	return n;
}

static void dis_teardown(void)
{
	kovan_disruptor_destroy(dis);
}

/* Every kovan implementation runs its threads on shim CPUs (thread_init()). */
#define KOVAN_THREADS	.thread_init = thread_init, .thread_exit = thread_exit

const struct bench_impl bench_kovan_impls[] = {
	{ .scenario = "read", .name = "kovan", KOVAN_THREADS, .setup = read_setup_plain,
	  .work = read_plain, .publish = publish_plain, .teardown = barrier_plain },
	{ .scenario = "read", .name = "kovan(robust)", KOVAN_THREADS, .setup = read_setup_robust,
	  .work = read_robust, .publish = publish_robust, .teardown = barrier_robust },
	{ .scenario = "read", .name = "kovan(fenceless)", KOVAN_THREADS,
	  .setup = read_setup_fenceless, .work = read_fenceless, .publish = publish_fenceless,
	  .teardown = barrier_fenceless },
	{ .scenario = "retire", .name = "kovan", KOVAN_THREADS, .work = retire_plain,
	  .teardown = barrier_plain },
	{ .scenario = "retire", .name = "kovan(robust)", KOVAN_THREADS, .work = retire_robust,
	  .teardown = barrier_robust },
	{ .scenario = "hash", .name = "kovan", KOVAN_THREADS, .work = hash_plain,
	  .teardown = barrier_plain },
	{ .scenario = "hash", .name = "kovan(fenceless)", KOVAN_THREADS, .work = hash_fenceless,
	  .teardown = barrier_fenceless },
	{ .scenario = "queue", .name = "kovan-arrayq", KOVAN_THREADS, .setup = aq_setup,
	  .work = aq_work, .teardown = aq_teardown },
	{ .scenario = "queue", .name = "kovan-segq", KOVAN_THREADS, .setup = sq_setup,
	  .work = sq_work, .teardown = sq_teardown },
	{ .scenario = "disruptor", .name = "kovan-disruptor", KOVAN_THREADS,
	  .setup = dis_setup_busy_spin, .work = dis_work, .teardown = dis_teardown },
	{ .scenario = "disruptor", .name = "kovan-disruptor(gathering)", KOVAN_THREADS,
	  .setup = dis_setup_gathering, .work = dis_work, .teardown = dis_teardown },
	{ .scenario = "disruptor", .name = "kovan-disruptor(blocking)", KOVAN_THREADS,
	  .setup = dis_setup_blocking, .work = dis_work, .teardown = dis_teardown },
	{ }
};
