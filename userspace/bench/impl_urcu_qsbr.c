// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: liburcu's urcu-qsbr read side: rcu_read_lock() and
 * rcu_read_unlock() compile to nothing; each reader announces a quiescent
 * state every QSBR_EVERY operations. The writer is online only while it
 * publishes and call_rcu()s, offline while it sleeps, as a QSBR thread
 * that blocks must be. call_rcu() with a call_rcu thread per CPU, checked
 * as in impl_urcu_memb.c.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <sched.h>
#include <urcu/urcu-qsbr.h>

#include "bench.h"

#define QSBR_EVERY	64

static_assert(sizeof(struct rcu_head) <= sizeof(((struct bench_obj *)0)->head),
	      "rcu_head fits in bench_obj");

static int call_rcu_setup(unsigned int threads)
{
	return urcu_qsbr_create_all_cpu_call_rcu_data(0) ? -1 : 0;
}

static void thread_init(unsigned int id, unsigned int cpu)
{
	struct call_rcu_data *crdp;
	bool own = false;
	int i, c;

	urcu_qsbr_register_thread();
	for (i = 0; i < 3 && !own; i++) {
		c = sched_getcpu();
		crdp = urcu_qsbr_get_call_rcu_data();
		own = crdp && crdp == urcu_qsbr_get_cpu_call_rcu_data(c) && c == sched_getcpu();
	}
	if (!own)
		bench_fail("call_rcu() does not use the call_rcu thread of its CPU");
}

static void thread_exit(unsigned int id)
{
	urcu_qsbr_unregister_thread();
}

static unsigned long read_work(unsigned int id, unsigned int threads)
{
	unsigned long n = 0, sum = 0;

	while (!bench_stopped()) {
		urcu_qsbr_read_lock();
		sum += rcu_dereference(bench_read_obj)->val;
		urcu_qsbr_read_unlock();
		if (!(++n % QSBR_EVERY))
			urcu_qsbr_quiescent_state();
	}
	if (sum != n)
		bench_fail("a reader read a wrong value");
	return n;
}

static void free_cb(struct rcu_head *h)
{
	bench_free(BENCH_OBJ(h));
}

static void publish(struct bench_obj *o)
{
	struct bench_obj *old;

	urcu_qsbr_thread_online();
	old = rcu_xchg_pointer(&bench_read_obj, o);
	urcu_qsbr_call_rcu((struct rcu_head *)old->head, free_cb);
	urcu_qsbr_thread_offline();
}

static void barrier(void)
{
	urcu_qsbr_barrier();
	urcu_qsbr_free_all_cpu_call_rcu_data();
}

const struct bench_impl bench_qsbr_impls[] = {
	{ .scenario = "read", .name = "urcu-qsbr", .setup = call_rcu_setup,
	  .thread_init = thread_init, .thread_exit = thread_exit, .work = read_work,
	  .publish = publish, .teardown = barrier },
	{ }
};
