// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: Concurrency Kit: ck_epoch (one record per thread,
 * ck_epoch_call() and a ck_epoch_poll() every CK_POLL_EVERY retires) and
 * ck_ring's MPMC variant.
 */
#include <ck_epoch.h>
#include <ck_ring.h>
#include <stdlib.h>

#include "bench.h"

#define CK_POLL_EVERY	64
#define QUEUE_CAPACITY	4096

static ck_epoch_t epoch;
/* One per thread; the read scenario's writer has the one after its readers'. */
static ck_epoch_record_t records[BENCH_MAX_THREADS + 1];
static ck_epoch_record_t *writer_rec;
static unsigned int registered, used;
static struct ck_ring ring;
static struct ck_ring_buffer ring_buf[QUEUE_CAPACITY];

static_assert(sizeof(ck_epoch_entry_t) <= sizeof(((struct bench_obj *)0)->head),
	      "ck_epoch_entry_t fits in bench_obj");

static int epoch_setup(unsigned int threads)
{
	unsigned int i;

	/* As many records as threads: ck_epoch_poll() scans them all. */
	if (!registered)
		ck_epoch_init(&epoch);
	for (i = registered; i < threads; i++)
		ck_epoch_register(&epoch, &records[i], NULL);
	if (registered < threads)
		registered = threads;
	used = threads;
	return 0;
}

/* Every thread has ended: dispatch what their records still hold. */
static void epoch_teardown(void)
{
	unsigned int i;

	for (i = 0; i < used; i++)
		ck_epoch_barrier(&records[i]);
}

static int read_setup(unsigned int threads)
{
	writer_rec = &records[threads];
	return epoch_setup(threads + 1);
}

static unsigned long read_work(unsigned int id, unsigned int threads)
{
	ck_epoch_record_t *rec = &records[id];
	unsigned long n = 0, sum = 0;

	while (!bench_stopped()) {
		ck_epoch_begin(rec, NULL);
		sum += ((struct bench_obj *)ck_pr_load_ptr(&bench_read_obj))->val;
		ck_epoch_end(rec, NULL);
		n++;
	}
	if (sum != n)
		bench_fail("a reader read a wrong value");
	return n;
}

static void free_cb(ck_epoch_entry_t *e)
{
	bench_free(BENCH_OBJ(e));
}

/*
 * The read scenario's writer: publish @o, ck_epoch_call() what it replaces
 * on the writer's record and ck_epoch_poll() it; teardown's
 * ck_epoch_barrier() dispatches the rest.
 */
static void publish(struct bench_obj *o)
{
	struct bench_obj *old;

	ck_pr_fence_store();
	old = ck_pr_fas_ptr(&bench_read_obj, o);
	ck_pr_fence_memory();
	ck_epoch_call(writer_rec, (ck_epoch_entry_t *)old->head, free_cb);
	ck_epoch_poll(writer_rec);
}

static unsigned long retire_work(unsigned int id, unsigned int threads)
{
	ck_epoch_record_t *rec = &records[id];
	unsigned long n = 0;
	struct bench_obj *o;

	while (!bench_stopped()) {
		o = bench_alloc(n, n);
		ck_epoch_call(rec, (ck_epoch_entry_t *)o->head, free_cb);
		if (!(++n % CK_POLL_EVERY))
			ck_epoch_poll(rec);
	}
	bench_add_retired(n);
	return n;
}

static unsigned long hash_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0, retired = 0, bad = 0, seed = 0x2545f4914f6cdd1dUL * (id + 1);
	ck_epoch_record_t *rec = &records[id];
	struct bench_obj *o, *old;
	struct ht_bucket *b;
	unsigned long r, key;

	while (!bench_stopped()) {
		r = bench_rand(&seed);
		key = (r >> 16) % HT_KEYS;
		b = ht_bucket(key);
		if (r % HT_UPDATE_ONE_IN) {
			ck_epoch_begin(rec, NULL);
			o = ht_lookup(b, key);
			if (o && !o->val)
				bad++;
			ck_epoch_end(rec, NULL);
		} else {
			key &= ~1UL;
			b = ht_bucket(key);
			o = bench_alloc(key, r | 1);
			pthread_spin_lock(&b->lock);
			old = ht_replace(b, o);
			pthread_spin_unlock(&b->lock);
			ck_epoch_call(rec, (ck_epoch_entry_t *)old->head, free_cb);
			if (!(++retired % CK_POLL_EVERY))
				ck_epoch_poll(rec);
		}
		n++;
	}
	bench_add_retired(retired);
	if (bad)
		bench_fail("a lookup found a freed entry");
	return n;
}

static int ring_setup(unsigned int threads)
{
	ck_ring_init(&ring, QUEUE_CAPACITY);
	return 0;
}

static int ring_push(unsigned long v)
{
	return ck_ring_enqueue_mpmc(&ring, ring_buf, (void *)v) ? 0 : -1;
}

static unsigned long ring_pop(void)
{
	void *v;

	return ck_ring_dequeue_mpmc(&ring, ring_buf, &v) ? (unsigned long)v : 0;
}

static unsigned long ring_work(unsigned int id, unsigned int threads)
{
	return bench_queue_loop(id, threads, ring_push, ring_pop);
}

const struct bench_impl bench_ck_impls[] = {
	{ .scenario = "read", .name = "ck_epoch", .setup = read_setup, .work = read_work,
	  .publish = publish, .teardown = epoch_teardown },
	{ .scenario = "retire", .name = "ck_epoch_call", .setup = epoch_setup,
	  .work = retire_work, .teardown = epoch_teardown },
	{ .scenario = "hash", .name = "ck_epoch", .setup = epoch_setup, .work = hash_work,
	  .teardown = epoch_teardown },
	{ .scenario = "queue", .name = "ck_ring", .setup = ring_setup, .work = ring_work },
	{ }
};
