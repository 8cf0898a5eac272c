// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: liburcu's urcu-memb flavour (membarrier-based read
 * side, call_rcu()). _LGPL_SOURCE inlines the read side, as liburcu's own
 * benchmarks do.
 *
 * call_rcu() runs as its heavy users run it: a call_rcu thread per CPU
 * (create_all_cpu_call_rcu_data() in setup, each thread affine to its
 * CPU), which call_rcu() picks by sched_getcpu(), instead of the one
 * default call_rcu thread. thread_init() checks that the thread's
 * call_rcu() goes to its CPU's call_rcu thread; teardown waits for every
 * callback (rcu_barrier()) before it stops them.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <sched.h>
#include <urcu/urcu-memb.h>

#include "bench.h"

static_assert(sizeof(struct rcu_head) <= sizeof(((struct bench_obj *)0)->head),
	      "rcu_head fits in bench_obj");

static int call_rcu_setup(unsigned int threads)
{
	return urcu_memb_create_all_cpu_call_rcu_data(0) ? -1 : 0;
}

static void thread_init(unsigned int id, unsigned int cpu)
{
	struct call_rcu_data *crdp;
	bool own = false;
	int i, c;

	urcu_memb_register_thread();
	/* Retried: an unpinned thread (the read scenario's writer) may migrate. */
	urcu_memb_read_lock();
	for (i = 0; i < 3 && !own; i++) {
		c = sched_getcpu();
		crdp = urcu_memb_get_call_rcu_data();
		own = crdp && crdp == urcu_memb_get_cpu_call_rcu_data(c) && c == sched_getcpu();
	}
	urcu_memb_read_unlock();
	if (!own)
		bench_fail("call_rcu() does not use the call_rcu thread of its CPU");
}

static void thread_exit(unsigned int id)
{
	urcu_memb_unregister_thread();
}

static unsigned long read_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0, sum = 0;

	while (!bench_stopped()) {
		urcu_memb_read_lock();
		sum += rcu_dereference(bench_read_obj)->val;
		urcu_memb_read_unlock();
		n++;
	}
	if (sum != n)
		bench_fail("a reader read a wrong value");
	return n;
}

static void free_cb(struct rcu_head *h)
{
	bench_free(BENCH_OBJ(h));
}

/* The read scenario's writer: publish @o, call_rcu() what it replaces. */
static void publish(struct bench_obj *o)
{
	struct bench_obj *old = rcu_xchg_pointer(&bench_read_obj, o);

	urcu_memb_call_rcu((struct rcu_head *)old->head, free_cb);
}

static unsigned long retire_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0;
	struct bench_obj *o;

	while (!bench_stopped()) {
		o = bench_alloc(n, n);
		urcu_memb_call_rcu((struct rcu_head *)o->head, free_cb);
		n++;
	}
	bench_add_retired(n);
	return n;
}

static unsigned long hash_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0, retired = 0, bad = 0, seed = 0x2545f4914f6cdd1dUL * (id + 1);
	struct bench_obj *o, *old;
	struct ht_bucket *b;
	unsigned long r, key;

	while (!bench_stopped()) {
		r = bench_rand(&seed);
		key = (r >> 16) % HT_KEYS;
		b = ht_bucket(key);
		if (r % HT_UPDATE_ONE_IN) {
			urcu_memb_read_lock();
			o = ht_lookup(b, key);
			if (o && !o->val)
				bad++;
			urcu_memb_read_unlock();
		} else {
			key &= ~1UL;
			b = ht_bucket(key);
			o = bench_alloc(key, r | 1);
			pthread_spin_lock(&b->lock);
			old = ht_replace(b, o);
			pthread_spin_unlock(&b->lock);
			urcu_memb_call_rcu((struct rcu_head *)old->head, free_cb);
			retired++;
		}
		n++;
	}
	bench_add_retired(retired);
	if (bad)
		bench_fail("a lookup found a freed entry");
	return n;
}

static void barrier(void)
{
	urcu_memb_barrier();
	urcu_memb_free_all_cpu_call_rcu_data();
}

const struct bench_impl bench_memb_impls[] = {
	{ .scenario = "read", .name = "urcu-memb", .setup = call_rcu_setup,
	  .thread_init = thread_init, .thread_exit = thread_exit, .work = read_work,
	  .publish = publish, .teardown = barrier },
	{ .scenario = "retire", .name = "call_rcu(memb)", .setup = call_rcu_setup,
	  .thread_init = thread_init, .thread_exit = thread_exit, .work = retire_work,
	  .teardown = barrier },
	{ .scenario = "hash", .name = "urcu-memb", .setup = call_rcu_setup,
	  .thread_init = thread_init, .thread_exit = thread_exit, .work = hash_work,
	  .teardown = barrier },
	{ }
};
