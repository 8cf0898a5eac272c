// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The shim's owned CPUs (include/shim/percpu.h), which make bench-native
 * relies on for kernel-like per-CPU costs: a reserved CPU runs only the
 * thread that owns it, no thread is handed one, and the unlocked per-CPU
 * updates of owners on different CPUs all count. An IPI
 * (on_each_cpu_cond(), which kovan's fenceless closes send) runs on the
 * owner's thread, as that CPU; on a CPU nobody owns, in the caller as
 * that CPU.
 */

#include <pthread.h>

#include <linux/percpu.h>

#include "harness.h"

#define RESERVED	2
#define INCS		1000000

static unsigned long __percpu *counter;
static pthread_barrier_t owned;

struct owner {
	unsigned int cpu;
	int first, second;
	pthread_t self;
};

/* What each CPU's IPI saw: the thread it ran on and its CPU number. */
static pthread_t ipi_thread[RESERVED + 1];
static int ipi_cpu[RESERVED + 1] = { -1, -1, -1 };

static bool ipi_all(int cpu, void *info)
{
	return true;
}

static void ipi_record(void *info)
{
	int cpu = smp_processor_id();

	ipi_thread[cpu] = pthread_self();
	ipi_cpu[cpu] = cpu;
}

/* Own @cpu, wait until the other owner owns its own, try to take ours twice. */
static void *owner_fn(void *arg)
{
	struct owner *o = arg;
	int i;

	o->first = us_own_cpu(o->cpu);
	o->self = pthread_self();
	pthread_barrier_wait(&owned);
	for (i = 0; i < INCS; i++)
		this_cpu_inc(*counter);
	pthread_barrier_wait(&owned);
	return NULL;
}

static void *intruder_fn(void *arg)
{
	struct owner *o = arg;

	o->first = us_own_cpu(0);
	o->second = smp_processor_id();
	return NULL;
}

int main(int argc, char **argv)
{
	struct owner a = { .cpu = 0 }, b = { .cpu = 1 }, c = { };
	struct t_opts opts = { .watchdog = 60 };
	pthread_t ta, tb, tc;

	t_parse(argc, argv, &opts);	/* -W only: the test is not timed. */
	us_reserve_cpus(RESERVED);
	if (us_init(RESERVED + 1))
		return 2;
	counter = alloc_percpu(unsigned long);
	pthread_barrier_init(&owned, NULL, 3);
	pthread_create(&ta, NULL, owner_fn, &a);
	pthread_create(&tb, NULL, owner_fn, &b);
	pthread_barrier_wait(&owned);
	/* While the owners count: the signals interrupt their loops. */
	on_each_cpu_cond(ipi_all, ipi_record, NULL, true);
	pthread_create(&tc, NULL, intruder_fn, &c);
	pthread_join(tc, NULL);
	pthread_barrier_wait(&owned);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);

	t_check(!a.first && !b.first, "two threads own CPUs 0 and 1 (%d, %d)", a.first, b.first);
	t_check(c.first == -EBUSY, "a third cannot own CPU 0 while it is owned (%d)", c.first);
	t_check(c.second == RESERVED, "a thread that owns nothing runs on CPU %u (%d)",
		RESERVED, c.second);
	t_check(*per_cpu_ptr(counter, 0) == INCS && *per_cpu_ptr(counter, 1) == INCS,
		"each owner's unlocked this_cpu_inc() counted (%lu, %lu of %u)",
		*per_cpu_ptr(counter, 0), *per_cpu_ptr(counter, 1), INCS);
	t_check(ipi_cpu[0] == 0 && pthread_equal(ipi_thread[0], a.self) &&
		ipi_cpu[1] == 1 && pthread_equal(ipi_thread[1], b.self),
		"an IPI to an owned CPU runs on its owner, as that CPU (%d, %d)",
		ipi_cpu[0], ipi_cpu[1]);
	t_check(ipi_cpu[RESERVED] == RESERVED &&
		pthread_equal(ipi_thread[RESERVED], pthread_self()),
		"an IPI to a shared CPU runs in the caller, as that CPU (%d)", ipi_cpu[RESERVED]);
	free_percpu(counter);
	us_exit();
	return t_done();
}
