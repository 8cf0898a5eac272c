/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * make bench-native: what the harness (bench_native.c) and the
 * implementations (one translation unit per library, as liburcu's flavours
 * and the kernel shim must not meet) share.
 */
#ifndef BENCH_NATIVE_H
#define BENCH_NATIVE_H

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define BENCH_MAX_THREADS	64

/* Set by the harness when the measurement ends; workers poll it. */
extern int bench_stop;

static inline bool bench_stopped(void)
{
	return __atomic_load_n(&bench_stop, __ATOMIC_RELAXED);
}

static inline unsigned long bench_rand(unsigned long *s)
{
	unsigned long x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

struct bench_obj;

/*
 * One implementation of one scenario. work() runs in each of @threads
 * pinned threads until bench_stopped() and returns its operation count.
 * teardown() waits for every retired object to be freed; the harness then
 * checks bench_retired against the frees counted by bench_free().
 *
 * The read scenario has a writer besides the @threads readers: a thread
 * with id @threads (thread_init() and thread_exit() run in it too) that
 * calls publish() about every 100 us until bench_stopped(). publish()
 * makes @o the object bench_read_obj points to with the implementation's
 * publish primitive and retires the object it replaces through the
 * implementation's reclamation, to be freed with bench_free().
 */
struct bench_impl {
	const char *scenario;
	const char *name;
	int (*setup)(unsigned int threads);
	void (*thread_init)(unsigned int id, unsigned int cpu);
	unsigned long (*work)(unsigned int id, unsigned int threads);
	void (*publish)(struct bench_obj *o);
	void (*thread_exit)(unsigned int id);
	void (*teardown)(void);
};

/*
 * Objects of the retire and hash scenarios: allocated and freed by the
 * harness for every implementation alike; @head holds the implementation's
 * reclamation header (struct kovan_node, rcu_head, ck_epoch_entry_t).
 */
struct bench_obj {
	struct bench_obj *next;
	unsigned long key;
	unsigned long val;
	unsigned long head[3];
};

#define BENCH_OBJ(h) ((struct bench_obj *)((char *)(h) - offsetof(struct bench_obj, head)))

struct bench_obj *bench_alloc(unsigned long key, unsigned long val);
/* Frees @o and counts the free; for the implementations' free callbacks. */
void bench_free(struct bench_obj *o);
/* Objects handed to a reclaimer, added up by each worker as it ends. */
void bench_add_retired(unsigned long n);
/* A failed correctness check in a worker: an error line, exit code 1. */
void bench_fail(const char *what);

/*
 * The hash table: 1024 buckets, keys 0..8191 of which the even ones are
 * present (four per bucket), chained. Lookups follow the chain with
 * acquire loads (what rcu_dereference() costs on x86-64: a plain load);
 * updaters serialise per bucket and replace an entry by a copy with a
 * fully ordered exchange (what kovan_replace_pointer() is).
 */
#define HT_BUCKETS	1024
#define HT_KEYS		(HT_BUCKETS * 8)

struct ht_bucket {
	alignas(128) struct bench_obj *first;
	pthread_spinlock_t lock;
	pthread_rwlock_t rw;
};

extern struct ht_bucket bench_ht[HT_BUCKETS];

static inline struct ht_bucket *ht_bucket(unsigned long key)
{
	return &bench_ht[(key * 0x9e3779b97f4a7c15UL) >> 54];
}

static inline struct bench_obj *ht_lookup(struct ht_bucket *b, unsigned long key)
{
	struct bench_obj *p = __atomic_load_n(&b->first, __ATOMIC_ACQUIRE);

	while (p && p->key != key)
		p = __atomic_load_n(&p->next, __ATOMIC_ACQUIRE);
	return p;
}

/* Under the bucket's lock: replace @key's entry by @n; returns the old one. */
static inline struct bench_obj *ht_replace(struct ht_bucket *b, struct bench_obj *n)
{
	struct bench_obj **pp = &b->first, *old;

	while ((old = *pp) && old->key != n->key)
		pp = &old->next;
	if (!old)
		return NULL;
	n->next = old->next;
	return __atomic_exchange_n(pp, n, __ATOMIC_SEQ_CST);
}

/* Fills the table; frees what a previous run left (all quiescent then). */
void ht_reset(void);

/* One in HT_UPDATE_ONE_IN operations is an update (90% lookups). */
#define HT_UPDATE_ONE_IN	10

/*
 * The queue scenario: one thread pushes and pops in turn; more are half
 * producers, half consumers. Items encode their producer and sequence
 * number; the consumers drain the queue once the producers stopped.
 *
 * Each implementation's work() is bench_queue_loop() with its own push
 * (0 on success) and pop (0 when empty) as constants, so the loop calls
 * them directly (or inlines them), as crossbeam's generic loop is
 * monomorphised, instead of through a function pointer.
 */
extern unsigned int bench_q_producers_done;

/* Adds a thread's pushed (@popped false) or popped items to the totals. */
void bench_queue_account(bool popped, unsigned long n, unsigned long sum);

static __always_inline unsigned long bench_queue_loop(unsigned int id, unsigned int threads,
						      int (*push)(unsigned long v),
						      unsigned long (*pop)(void))
{
	unsigned int producers = threads / 2;
	unsigned long seq = 0, n = 0, sum = 0, v;

	if (threads == 1) {
		unsigned long pn = 0, psum = 0;

		while (!bench_stopped()) {
			v = (1UL << 40) | ++seq;
			if (push(v))
				break;
			pn++;
			psum += v;
			v = pop();
			if (v) {
				n++;
				sum += v;
			}
		}
		while ((v = pop())) {
			n++;
			sum += v;
		}
		bench_queue_account(false, pn, psum);
		bench_queue_account(true, n, sum);
		return n;
	}
	if (id < producers) {
		while (!bench_stopped()) {
			v = ((unsigned long)(id + 1) << 40) | ++seq;
			while (push(v)) {
				if (bench_stopped())
					goto out;
				sched_yield();
			}
			n++;
			sum += v;
		}
out:
		bench_queue_account(false, n, sum);
		__atomic_fetch_add(&bench_q_producers_done, 1, __ATOMIC_RELEASE);
		return 0;
	}
	for (;;) {
		v = pop();
		if (v) {
			n++;
			sum += v;
			continue;
		}
		if (__atomic_load_n(&bench_q_producers_done, __ATOMIC_ACQUIRE) == producers) {
			/* Everything pushed is visible to this pop. */
			while ((v = pop())) {
				n++;
				sum += v;
			}
			break;
		}
		sched_yield();
	}
	bench_queue_account(true, n, sum);
	return n;
}

/*
 * The read scenario's published object: val is 1 in every object the
 * writer publishes, 0 once freed (bench_free()). The harness allocates
 * the first one before setup() and frees the last one after teardown().
 */
extern struct bench_obj *bench_read_obj;

/*
 * The Disruptor scenarios, disruptor-TOPOLOGY-bBATCH: a producer (the
 * harness's thread 0) and 1 or 3 handlers (kovan's kthreads, which pin
 * themselves as threads 1..3 with bench_pin()):
 *
 *   1p1c     producer -> h0
 *   1p3c     producer -> h0 -> h1 -> h2, each after the one before
 *   diamond  producer -> h0 and h1 in parallel -> h2 after both
 *
 * The producer claims and publishes BATCH (1 or 64) events at a time and
 * stops when the time runs out; the run ends when every handler handled
 * every event. Each handler checks that the events come in sequence, that
 * an event holds its sequence number and that the handlers it comes after
 * marked it; every handler but the last marks it in turn.
 */
enum bench_dis_topology { BENCH_DIS_1P1C, BENCH_DIS_1P3C, BENCH_DIS_DIAMOND };

#define BENCH_DIS_RING		1024
#define BENCH_DIS_MAX_HANDLERS	3
#define BENCH_DIS_MAX_HOPS	4
/* One event in BENCH_DIS_SAMPLE_MASK + 1 carries timestamps. */
#define BENCH_DIS_SAMPLE_MASK	255

struct bench_dis_shape {
	enum bench_dis_topology topology;
	unsigned int handlers;
	unsigned int batch;
	/* Per handler: the handlers it comes after, a bit each. */
	unsigned int deps[BENCH_DIS_MAX_HANDLERS];
};

/* The shape of the scenario that runs; set by the harness. */
extern struct bench_dis_shape bench_dis;

/*
 * One event, a cache line: @by[h] is handler h's mark (the sequence it
 * handled there), @t[0] the producer's timestamp and @t[h + 1] handler h's
 * on sampled events (nanoseconds, CLOCK_MONOTONIC).
 */
struct bench_dis_event {
	alignas(64) unsigned long seq;
	unsigned long by[BENCH_DIS_MAX_HANDLERS];
	unsigned long t[BENCH_DIS_MAX_HANDLERS + 1];
};

static inline unsigned long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

static inline bool bench_dis_sampled(unsigned long seq)
{
	return !(seq & BENCH_DIS_SAMPLE_MASK);
}

/* -F: the sequence whose event the producer fills wrongly; never otherwise. */
extern unsigned long bench_dis_bad_seq;

/* The producer's part: fill event @seq. */
static inline void bench_dis_fill(struct bench_dis_event *e, unsigned long seq)
{
	e->seq = seq == bench_dis_bad_seq ? seq + 1 : seq;
	if (bench_dis_sampled(seq))
		e->t[0] = bench_now_ns();
}

/* Handler @h's check of event @seq: its number and its predecessors' marks. */
static inline bool bench_dis_check(const struct bench_dis_event *e, unsigned long seq,
				   unsigned int h)
{
	unsigned int deps = bench_dis.deps[h], i;
	bool ok = e->seq == seq;

	for (i = 0; i < BENCH_DIS_MAX_HANDLERS; i++)
		if (deps & (1U << i))
			ok &= e->by[i] == seq;
	return ok;
}

/*
 * The last handler's part of a sampled event, which the earlier ones
 * stamped, reaching it at @now: its per-hop latencies join the samples.
 * One caller at a time.
 */
void bench_dis_record(const struct bench_dis_event *e, unsigned long now);

/*
 * Pins the calling thread as the harness pins its thread @id; returns the
 * index of its CPU in the affinity mask (for the kovan shim's CPUs).
 */
unsigned int bench_pin(unsigned int id);

/* Implementations, NULL-terminated, per translation unit. */
extern const struct bench_impl bench_kovan_impls[];
extern const struct bench_impl bench_memb_impls[];
extern const struct bench_impl bench_qsbr_impls[];
extern const struct bench_impl bench_ck_impls[];

/*
 * The kovan translation unit starts the shim (us_init()) here. @owned: each
 * of the @threads threads and the writer runs alone on a shim CPU of its
 * own (its id), as one task runs on a kernel CPU at a time, and per-CPU
 * operations are unlocked; kovan's workers share one more CPU. Otherwise
 * the @nr_cpus shim CPUs are shared, thread i on CPU i mod @nr_cpus.
 */
int bench_kovan_init(unsigned int nr_cpus, unsigned int threads, bool owned);
void bench_kovan_exit(void);

#endif /* BENCH_NATIVE_H */
