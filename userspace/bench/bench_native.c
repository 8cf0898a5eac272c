// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: kovan against userspace anchors on the machine's real
 * cores, one scenario and thread count per invocation, every
 * implementation of the scenario back to back:
 *
 *   bench_native -S read|retire|hash|queue|disruptor-TOPO-bBATCH -t THREADS [-s SECONDS]
 *                [-I IMPL] [-F] [-C]
 *
 * Thread i is pinned to the i-th CPU of the affinity mask (modulo its
 * size). kovan's thread i runs alone on shim CPU i, whose per-CPU
 * operations are then unlocked as in the kernel (bench.h); with -C the
 * threads share as many shim CPUs as the mask has, thread i on the one of
 * its host CPU, and per-CPU operations are atomic RMWs. The line
 *
 *   cpus SCENARIO THREADS owned|shared
 *
 * says which. The read
 * scenario adds a writer thread, not counted among the THREADS readers:
 * about every 100 us (sleeping in between) it replaces the published
 * object by a fresh one and retires the old one through the
 * implementation's reclamation. It is pinned to the CPU after the
 * readers' when THREADS is below the number of CPUs, and otherwise left
 * unpinned (any CPU of the mask; it shares one with readers anyway);
 * kovan runs it on shim CPU THREADS (mod nproc with -C). Output, one line per
 * implementation (scripts/bench-native.sh and the crossbeam program print
 * the same):
 *
 *   result SCENARIO IMPL THREADS VALUE UNIT
 *   pending SCENARIO IMPL THREADS N     retired - freed when the time ran out
 *   replaced read IMPL THREADS N        objects the read scenario's writer replaced
 *
 * and for retire also "result retire+drain ...": the objects retired over
 * the time until the barrier saw every one of them freed.
 *   error SCENARIO IMPL THREADS: what   a failed correctness check
 *
 * The Disruptor scenarios (bench.h) take their thread count from the
 * topology, not from -t: disruptor-1p1c-b1, -1p1c-b64, -1p3c-b1, -1p3c-b64,
 * -diamond-b1 and -diamond-b64. Their result is the events every handler
 * handled per second, until the last one handled the last event; on the
 * events sampled (one in BENCH_DIS_SAMPLE_MASK + 1) the last handler adds
 * each hop's latency, and at the end
 *
 *   latency SCENARIO IMPL HOP P50 P99 P99.9 MAX SAMPLES   (nanoseconds)
 *
 * for the hops p-h1 (producer to h1), h1-h2, h2-h3 (1p3c), p-h2 and
 * h1h2-h3 (diamond: from the later of h1 and h2 to h3), and the whole way
 * p-h3 (1p3c, diamond).
 *
 * Correctness checks: every retired object freed once teardown has waited
 * (kovan_barrier(), rcu_barrier(), ck_epoch_barrier()); every queue item
 * popped exactly once (count and sum per run); the readers read 1, the
 * value of every object the writer publishes (a freed one reads 0), and
 * the writer replaced at least one; no lookup finds a freed entry; every
 * Disruptor handler handled every event, in order, each holding its
 * sequence and its predecessors' marks. The exit code is 1 after any
 * error line. -F proves the checks can fail: each run loses one free from
 * the count and one popped item, the hash table holds an entry that reads
 * as freed, the writer's first object reads as freed and stays published
 * for 20 ms, and the Disruptor's event 1000 holds 1001.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define QUEUE_CAPACITY	4096
#define FREE_SLOTS	256
#define WRITER_PERIOD_NS	100000
#define FAULT_HOLD_NS		20000000
#define DIS_FAULT_SEQ		1000
/* Latency samples kept per hop; later ones are dropped. */
#define DIS_MAX_SAMPLES		(512 * 1024)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

int bench_stop;
struct ht_bucket bench_ht[HT_BUCKETS];
struct bench_obj *bench_read_obj;

static int go;
static unsigned int ready;
static unsigned int cpus[CPU_SETSIZE], nr_cpus;
static const struct bench_impl *cur;
static unsigned int cur_threads;
static unsigned long ops[BENCH_MAX_THREADS];
static unsigned long retired;
static int errors;
static bool fault;
static int fault_armed;

struct bench_dis_shape bench_dis;
unsigned long bench_dis_bad_seq = ULONG_MAX;
static unsigned int *dis_samples[BENCH_DIS_MAX_HOPS];
static unsigned int dis_nsamples;

/* Frees counted per freeing thread, without a shared cache line. */
static struct {
	alignas(64) unsigned long n;
} frees[FREE_SLOTS];
static unsigned int free_slots;
static __thread int free_slot = -1;

struct bench_obj *bench_alloc(unsigned long key, unsigned long val)
{
	struct bench_obj *o = malloc(sizeof(*o));

	if (!o) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	o->next = NULL;
	o->key = key;
	o->val = val;
	return o;
}

void bench_free(struct bench_obj *o)
{
	if (free_slot < 0)
		free_slot = __atomic_fetch_add(&free_slots, 1, __ATOMIC_RELAXED) % FREE_SLOTS;
	/* A slot is shared only past FREE_SLOTS freeing threads. */
	if (!fault || !__atomic_exchange_n(&fault_armed, 0, __ATOMIC_RELAXED))
		__atomic_fetch_add(&frees[free_slot].n, 1, __ATOMIC_RELAXED);
	/*
	 * What a reader that reads a freed object finds (glibc's free lists
	 * write the first 16 bytes, not val). Atomic: gcc drops a plain store
	 * to memory that free() is handed next.
	 */
	__atomic_store_n(&o->val, 0, __ATOMIC_RELAXED);
	free(o);
}

static const char *worker_error;

void bench_fail(const char *what)
{
	__atomic_store_n(&worker_error, what, __ATOMIC_RELAXED);
}

void bench_add_retired(unsigned long n)
{
	__atomic_fetch_add(&retired, n, __ATOMIC_RELAXED);
}

static unsigned long frees_sum(void)
{
	unsigned long s = 0;
	unsigned int i;

	for (i = 0; i < FREE_SLOTS; i++)
		s += __atomic_load_n(&frees[i].n, __ATOMIC_RELAXED);
	return s;
}

void ht_reset(void)
{
	struct bench_obj *o, *next;
	unsigned long key;
	unsigned int i;

	for (i = 0; i < HT_BUCKETS; i++) {
		for (o = bench_ht[i].first; o; o = next) {
			next = o->next;
			free(o);
		}
		bench_ht[i].first = NULL;
	}
	for (key = 0; key < HT_KEYS; key += 2) {
		struct ht_bucket *b = ht_bucket(key);

		o = bench_alloc(key, 1);
		o->next = b->first;
		b->first = o;
	}
	/*
	 * -F: an entry that reads as freed, under an odd key, which no update
	 * replaces; about one lookup in 9000 finds it.
	 */
	if (fault) {
		struct ht_bucket *b = ht_bucket(1);

		o = bench_alloc(1, 0);
		o->next = b->first;
		b->first = o;
	}
}

/* The lock-based anchors. */

static unsigned long rwlock_hash_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0, freed = 0, bad = 0, seed = 0x2545f4914f6cdd1dUL * (id + 1);
	struct bench_obj *o, *old;
	struct ht_bucket *b;
	unsigned long r, key;

	while (!bench_stopped()) {
		r = bench_rand(&seed);
		key = (r >> 16) % HT_KEYS;
		b = ht_bucket(key);
		if (r % HT_UPDATE_ONE_IN) {
			pthread_rwlock_rdlock(&b->rw);
			o = ht_lookup(b, key);
			if (o && !o->val)
				bad++;
			pthread_rwlock_unlock(&b->rw);
		} else {
			key &= ~1UL;
			b = ht_bucket(key);
			o = bench_alloc(key, r | 1);
			pthread_rwlock_wrlock(&b->rw);
			old = ht_replace(b, o);
			pthread_rwlock_unlock(&b->rw);
			/* Freed at once, counted as the reclaimers' objects are. */
			bench_free(old);
			freed++;
		}
		n++;
	}
	bench_add_retired(freed);
	if (bad)
		bench_fail("a lookup found a freed entry");
	return n;
}

static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long ring[QUEUE_CAPACITY];
static unsigned long ring_head, ring_tail;

static int mring_setup(unsigned int threads)
{
	ring_head = 0;
	ring_tail = 0;
	return 0;
}

static int mring_push(unsigned long v)
{
	int ret = -1;

	pthread_mutex_lock(&ring_lock);
	if (ring_tail - ring_head < QUEUE_CAPACITY) {
		ring[ring_tail++ % QUEUE_CAPACITY] = v;
		ret = 0;
	}
	pthread_mutex_unlock(&ring_lock);
	return ret;
}

static unsigned long mring_pop(void)
{
	unsigned long v = 0;

	pthread_mutex_lock(&ring_lock);
	if (ring_head != ring_tail)
		v = ring[ring_head++ % QUEUE_CAPACITY];
	pthread_mutex_unlock(&ring_lock);
	return v;
}

/* The queue scenario's totals (bench.h: bench_queue_loop()). */
static unsigned long q_pushed_n, q_pushed_sum, q_popped_n, q_popped_sum;
unsigned int bench_q_producers_done;

void bench_queue_account(bool popped, unsigned long n, unsigned long sum)
{
	/* -F: the consumers' accounting loses an item. */
	if (n && popped && fault && __atomic_exchange_n(&fault_armed, 0, __ATOMIC_RELAXED)) {
		n--;
		sum -= 1;
	}
	__atomic_fetch_add(popped ? &q_popped_n : &q_pushed_n, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(popped ? &q_popped_sum : &q_pushed_sum, sum, __ATOMIC_RELAXED);
}

unsigned int bench_pin(unsigned int id)
{
	unsigned int cpu = id % nr_cpus;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpus[cpu], &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		fprintf(stderr, "warning: cannot pin thread %u to CPU %u\n", id, cpus[cpu]);
	return cpu;
}

/* Hops of each topology, as the last handler measures them. */
static const char *const dis_hops[][BENCH_DIS_MAX_HOPS] = {
	[BENCH_DIS_1P1C] = { "p-h1" },
	[BENCH_DIS_1P3C] = { "p-h1", "h1-h2", "h2-h3", "p-h3" },
	[BENCH_DIS_DIAMOND] = { "p-h1", "p-h2", "h1h2-h3", "p-h3" },
};

void bench_dis_record(const struct bench_dis_event *e, unsigned long now)
{
	unsigned long hop[BENCH_DIS_MAX_HOPS] = { 0 };
	unsigned int i;

	if (dis_nsamples == DIS_MAX_SAMPLES)
		return;
	if (bench_dis.topology == BENCH_DIS_1P1C) {
		hop[0] = now - e->t[0];
	} else if (bench_dis.topology == BENCH_DIS_1P3C) {
		hop[0] = e->t[1] - e->t[0];
		hop[1] = e->t[2] - e->t[1];
		hop[2] = now - e->t[2];
		hop[3] = now - e->t[0];
	} else if (bench_dis.topology == BENCH_DIS_DIAMOND) {
		hop[0] = e->t[1] - e->t[0];
		hop[1] = e->t[2] - e->t[0];
		hop[2] = now - (e->t[1] > e->t[2] ? e->t[1] : e->t[2]);
		hop[3] = now - e->t[0];
	}
	for (i = 0; i < BENCH_DIS_MAX_HOPS; i++)
		dis_samples[i][dis_nsamples] = hop[i] > UINT_MAX ? UINT_MAX : hop[i];
	dis_nsamples++;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile @q of @n sorted samples. */
static unsigned int percentile(const unsigned int *v, unsigned int n, double q)
{
	unsigned int rank = (unsigned int)(q * n + 0.999999);

	return v[rank ? rank - 1 : 0];
}

static void dis_print_latency(const char *scenario)
{
	unsigned int n = dis_nsamples, i;
	unsigned int *v;

	for (i = 0; i < BENCH_DIS_MAX_HOPS && dis_hops[bench_dis.topology][i] && n; i++) {
		v = dis_samples[i];
		qsort(v, n, sizeof(*v), cmp_uint);
		printf("latency %s %s %s %u %u %u %u %u\n", scenario, cur->name,
		       dis_hops[bench_dis.topology][i], percentile(v, n, 0.5),
		       percentile(v, n, 0.99), percentile(v, n, 0.999), v[n - 1], n);
	}
}

/* Parses disruptor-TOPOLOGY-bBATCH into bench_dis. */
static bool dis_parse(const char *scenario)
{
	static const char *const names[] = {
		[BENCH_DIS_1P1C] = "1p1c", [BENCH_DIS_1P3C] = "1p3c",
		[BENCH_DIS_DIAMOND] = "diamond",
	};
	static const struct bench_dis_shape shapes[] = {
		[BENCH_DIS_1P1C] = { BENCH_DIS_1P1C, 1, 0, { 0 } },
		[BENCH_DIS_1P3C] = { BENCH_DIS_1P3C, 3, 0, { 0, 1, 2 } },
		[BENCH_DIS_DIAMOND] = { BENCH_DIS_DIAMOND, 3, 0, { 0, 0, 3 } },
	};
	const char *rest;
	unsigned int i;
	size_t len;

	if (strncmp(scenario, "disruptor-", 10))
		return false;
	scenario += 10;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		len = strlen(names[i]);
		if (strncmp(scenario, names[i], len) || strncmp(scenario + len, "-b", 2))
			continue;
		rest = scenario + len + 2;
		bench_dis = shapes[i];
		if (!strcmp(rest, "1"))
			bench_dis.batch = 1;
		else if (!strcmp(rest, "64"))
			bench_dis.batch = 64;
		return bench_dis.batch;
	}
	return false;
}

static void *thread_main(void *arg)
{
	unsigned int id = (unsigned long)arg;
	unsigned int cpu = bench_pin(id);

	if (cur->thread_init)
		cur->thread_init(id, cpu);
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	ops[id] = cur->work(id, cur_threads);
	if (cur->thread_exit)
		cur->thread_exit(id);
	return NULL;
}

/*
 * The read scenario's writer: replaces the published object about every
 * WRITER_PERIOD_NS (the sleep plus a wakeup; its timer slack is 1 ns, not
 * 50 us) until the readers stop.
 */
static unsigned long replaced;

static void *writer_main(void *arg)
{
	struct timespec period = { 0, WRITER_PERIOD_NS };
	unsigned int id = cur_threads, cpu = id % nr_cpus;
	unsigned long n = 0, held;
	cpu_set_t set;

	if (cur_threads < nr_cpus) {
		CPU_ZERO(&set);
		CPU_SET(cpus[cpu], &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			fprintf(stderr, "warning: cannot pin the writer to CPU %u\n", cpus[cpu]);
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (cur->thread_init)
		cur->thread_init(id, cpu);
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	/* -F: an object that reads as freed, published while readers run. */
	if (fault) {
		cur->publish(bench_alloc(0, 0));
		n++;
		for (held = 0; held < FAULT_HOLD_NS && !bench_stopped(); held += WRITER_PERIOD_NS)
			nanosleep(&period, NULL);
	}
	while (!bench_stopped()) {
		cur->publish(bench_alloc(0, 1));
		n++;
		nanosleep(&period, NULL);
	}
	replaced = n;
	bench_add_retired(n);
	if (cur->thread_exit)
		cur->thread_exit(id);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report_error(const char *scenario, const char *what)
{
	printf("error %s %s %u: %s\n", scenario, cur->name, cur_threads, what);
	errors++;
}

/*
 * Measures @impl in @scenario: its own, or for the Disruptor one of the
 * topologies that share the implementation.
 */
static void run(const char *scenario, const struct bench_impl *impl, unsigned int threads,
		double secs)
{
	bool read = !strcmp(scenario, "read"), queue = !strcmp(scenario, "queue");
	bool dis = !strcmp(impl->scenario, "disruptor");
	bool retire = !strcmp(scenario, "retire"), reclaims = !queue && !dis;
	/* The Disruptor's handlers are the implementation's threads. */
	unsigned int spawn = dis ? 1 : threads;
	unsigned long total = 0, pending = 0;
	pthread_t tid[BENCH_MAX_THREADS], writer;
	struct timespec ts;
	char msg[160];
	unsigned int i;
	double t0, t;

	cur = impl;
	cur_threads = threads;
	__atomic_store_n(&bench_stop, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&go, 0, __ATOMIC_RELAXED);
	ready = 0;
	worker_error = NULL;
	fault_armed = 1;
	retired = 0;
	memset(frees, 0, sizeof(frees));
	q_pushed_n = 0;
	q_pushed_sum = 0;
	q_popped_n = 0;
	q_popped_sum = 0;
	bench_q_producers_done = 0;
	replaced = 0;
	dis_nsamples = 0;
	bench_dis_bad_seq = dis && fault ? DIS_FAULT_SEQ : ULONG_MAX;
	if (!strcmp(scenario, "hash"))
		ht_reset();
	if (read)
		bench_read_obj = bench_alloc(0, 1);
	if (impl->setup && impl->setup(threads)) {
		report_error(scenario, "setup failed");
		free(bench_read_obj);
		bench_read_obj = NULL;
		return;
	}
	for (i = 0; i < spawn; i++)
		if (pthread_create(&tid[i], NULL, thread_main, (void *)(unsigned long)i)) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
	if (read && pthread_create(&writer, NULL, writer_main, NULL)) {
		fprintf(stderr, "pthread_create failed\n");
		exit(2);
	}
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < spawn + read)
		usleep(1000);	/* every thread pinned and registered */
	t0 = now();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	__atomic_store_n(&bench_stop, 1, __ATOMIC_RELAXED);
	t = now() - t0;
	for (i = 0; i < spawn; i++)
		pthread_join(tid[i], NULL);
	if (read)
		pthread_join(writer, NULL);
	if (queue || dis)
		t = now() - t0;	/* the consumers' drain included */
	for (i = 0; i < spawn; i++)
		total += ops[i];
	if (worker_error)
		report_error(scenario, worker_error);
	if (reclaims)
		pending = retired - frees_sum();
	if (impl->teardown)
		impl->teardown();
	/* Retire throughput including the wait until everything is freed. */
	if (retire)
		printf("result retire+drain %s %u %.3f Mobjs/s\n", impl->name, threads,
		       total / (now() - t0) / 1e6);
	if (read) {
		/* Never retired: the readers and the writer have ended. */
		free(bench_read_obj);
		bench_read_obj = NULL;
		printf("replaced read %s %u %lu\n", impl->name, threads, replaced);
		if (!replaced)
			report_error(scenario, "the writer replaced no object");
	}
	if (reclaims) {
		printf("pending %s %s %u %lu\n", scenario, impl->name, threads, pending);
		if (frees_sum() != retired) {
			snprintf(msg, sizeof(msg), "%lu retired, %lu freed after the barrier",
				 retired, frees_sum());
			report_error(scenario, msg);
		}
	}
	if (queue && (q_pushed_n != q_popped_n || q_pushed_sum != q_popped_sum)) {
		snprintf(msg, sizeof(msg), "%lu items pushed (sum %lu), %lu popped (sum %lu)",
			 q_pushed_n, q_pushed_sum, q_popped_n, q_popped_sum);
		report_error(scenario, msg);
	}
	if (read)
		printf("result %s %s %u %.3f Mops/s/thread\n", scenario, impl->name, threads,
		       total / t / threads / 1e6);
	else
		printf("result %s %s %u %.3f %s\n", scenario, impl->name, threads,
		       total / t / 1e6, queue ? "Mitems/s" : retire ? "Mobjs/s" :
		       dis ? "Mevents/s" : "Mops/s");
	if (dis)
		dis_print_latency(scenario);
	fflush(stdout);
}

static unsigned long mring_work(unsigned int id, unsigned int threads)
{
	return bench_queue_loop(id, threads, mring_push, mring_pop);
}

static const struct bench_impl lock_impls[] = {
	{ .scenario = "hash", .name = "rwlock", .work = rwlock_hash_work },
	{ .scenario = "queue", .name = "mutex-ring", .setup = mring_setup, .work = mring_work },
	{ }
};

static const struct bench_impl *const impl_lists[] = {
	bench_kovan_impls, bench_memb_impls, bench_qsbr_impls, bench_ck_impls, lock_impls,
};

int main(int argc, char **argv)
{
	const char *scenario = NULL, *only = NULL, *impls_of;
	unsigned int threads = 1, i, c;
	const struct bench_impl *impl;
	double secs = 0.5;
	bool shared = false;
	cpu_set_t set;
	int opt;

	while ((opt = getopt(argc, argv, "S:t:s:I:FC")) != -1) {
		switch (opt) {
		case 'S':
			scenario = optarg;
			break;
		case 't':
			threads = strtoul(optarg, NULL, 0);
			break;
		case 's':
			secs = strtod(optarg, NULL);
			break;
		case 'I':
			only = optarg;
			break;
		case 'F':
			fault = true;
			break;
		case 'C':
			shared = true;
			break;
		default:
			goto usage;
		}
	}
	if (!scenario || !threads || threads > BENCH_MAX_THREADS || secs <= 0)
		goto usage;
	impls_of = scenario;
	if (dis_parse(scenario)) {
		impls_of = "disruptor";
		threads = 1 + bench_dis.handlers;
		/* Touched now: a page fault would show in the latencies. */
		for (i = 0; i < BENCH_DIS_MAX_HOPS; i++) {
			dis_samples[i] = malloc(DIS_MAX_SAMPLES * sizeof(*dis_samples[i]));
			if (!dis_samples[i])
				return 2;
			memset(dis_samples[i], 0, DIS_MAX_SAMPLES * sizeof(*dis_samples[i]));
		}
	}
	if (sched_getaffinity(0, sizeof(set), &set))
		return 2;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[nr_cpus++] = c;
	for (i = 0; i < HT_BUCKETS; i++) {
		pthread_spin_init(&bench_ht[i].lock, PTHREAD_PROCESS_PRIVATE);
		pthread_rwlock_init(&bench_ht[i].rw, NULL);
	}
	if (bench_kovan_init(nr_cpus, threads, !shared)) {
		fprintf(stderr, "kovan's shim failed to start\n");
		return 2;
	}
	printf("cpus %s %u %s\n", scenario, threads, shared ? "shared" : "owned");
	for (i = 0; i < ARRAY_SIZE(impl_lists); i++)
		for (impl = impl_lists[i]; impl->name; impl++)
			if (!strcmp(impl->scenario, impls_of) &&
			    (!only || !strcmp(impl->name, only)))
				run(scenario, impl, threads, secs);
	bench_kovan_exit();
	return errors ? 1 : 0;
usage:
	fprintf(stderr,
		"usage: %s -S read|retire|hash|queue|disruptor-1p1c|1p3c|diamond-b1|b64 -t THREADS\n"
		"       [-s SECONDS] [-I IMPL] [-F] [-C]\n", argv[0]);
	return 2;
}
