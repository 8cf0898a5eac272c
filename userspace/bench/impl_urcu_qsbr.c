// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * make bench-native: liburcu's urcu-qsbr read side: rcu_read_lock() and
 * rcu_read_unlock() compile to nothing; each reader announces a quiescent
 * state every QSBR_EVERY operations.
 */
#define _LGPL_SOURCE
#include <urcu/urcu-qsbr.h>

#include "bench.h"

#define QSBR_EVERY	64

static struct bench_robj robj = { .val = 1 };
static struct bench_robj *read_obj = &robj;

static void thread_init(unsigned int id, unsigned int cpu)
{
	urcu_qsbr_register_thread();
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
		sum += rcu_dereference(read_obj)->val;
		urcu_qsbr_read_unlock();
		if (!(++n % QSBR_EVERY))
			urcu_qsbr_quiescent_state();
	}
	if (sum != n)
		bench_fail("a reader read a wrong value");
	return n;
}

const struct bench_impl bench_qsbr_impls[] = {
	{ .scenario = "read", .name = "urcu-qsbr", .thread_init = thread_init,
	  .thread_exit = thread_exit, .work = read_work },
	{ }
};
