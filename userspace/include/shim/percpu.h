/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_PERCPU_H
#define _US_SHIM_PERCPU_H

/*
 * CPUs, per-CPU data, preemption and interrupts.
 *
 * The model. A "CPU" is an index below nr_cpu_ids (set by us_init()). Every
 * thread runs on one: the index it set with us_set_cpu(), or one handed out
 * round-robin on first use. Any number of threads may share a CPU, as
 * tasks do in the kernel; a thread "migrates" only when it calls
 * us_set_cpu(), which is refused (WARN) inside a preemption- or
 * interrupt-disabled region, so smp_processor_id() is stable there as in
 * the kernel.
 *
 * A thread may instead own a CPU (us_own_cpu()): the CPUs below the number
 * given to us_reserve_cpus() are never handed out, and each is run by the
 * one thread that owns it, as one task runs on a kernel CPU at a time. The
 * benchmarks use owned CPUs so that per-CPU operations cost what they cost
 * in the kernel; the stress tests share CPUs, so that threads migrate.
 *
 * What the kernel gets from preemption and interrupts being off, and what
 * stands in for it here:
 *  - this_cpu_*() read-modify-writes are atomic against everything else on
 *    that CPU. On a shared CPU they are atomic RMWs (relaxed): atomic
 *    against every thread, which is stronger. On an owned CPU nothing else
 *    runs, and they are an unlocked load and store (relaxed), as the
 *    kernel's single instruction is unlocked. Readers on other CPUs use
 *    data_race() or locks in the kernel, as here.
 *  - Mutual exclusion among the tasks of one CPU while preemption is off.
 *    kovan relies on it only in kovan_pick_slot() (reclaim.c: no other pin
 *    of the CPU between the reader-limit check and the fetch-and-add). Here
 *    threads of one CPU can interleave there; that only lets more pins race
 *    past the check, which the slot's reader range absorbs (internal.h:
 *    KOVAN_READER_LIMIT is half the range) as long as fewer than 8192
 *    threads exist. The per-CPU batch is under a lock in both worlds.
 *  - Bounded waits in the queues: a peer inside a claim-to-publish window
 *    is running, never preempted. Here the OS may preempt it; a waiter then
 *    spins until it runs again (cpu_relax() yields now and then), so the
 *    queues lose their progress bound but not their safety.
 * So no preemption or interrupt state is needed for correctness:
 * preempt_disable() and local_irq_save() only count a per-thread depth,
 * which might_sleep() and us_set_cpu() check.
 *
 * Per-CPU memory lives in one reserved arena of US_MAX_CPUS windows of
 * US_PCPU_STRIDE bytes: alloc_percpu() returns an address in CPU 0's window
 * and CPU c's copy is that address plus c * US_PCPU_STRIDE, so
 * per_cpu_ptr() and this_cpu_*() work on any member of per-CPU data, as
 * the kernel's offsets do. Static per-CPU variables (DEFINE_PER_CPU) are
 * not provided.
 */

#include <shim/kernel.h>

#define US_MAX_CPUS		256
#define US_PCPU_STRIDE		BIT(16)

extern unsigned int nr_cpu_ids;
extern __thread int us_cpu_id;
extern __thread bool us_cpu_owned;
extern __thread unsigned int us_atomic_depth;

int us_cpu_assign(void);
void us_set_cpu(unsigned int cpu);
/* Before us_init(): CPUs below @nr are left for us_own_cpu(). */
void us_reserve_cpus(unsigned int nr);
/* Run on reserved @cpu, alone until us_release_cpu(); -EBUSY if taken. */
int us_own_cpu(unsigned int cpu);
void us_release_cpu(void);

static inline unsigned int us_cpu(void)
{
	int cpu = us_cpu_id;

	return likely(cpu >= 0) ? cpu : us_cpu_assign();
}

#define smp_processor_id()	us_cpu()
#define raw_smp_processor_id()	us_cpu()
#define cpu_possible(cpu)	((unsigned int)(cpu) < nr_cpu_ids)
#define cpu_online(cpu)		cpu_possible(cpu)
static inline int *__us_cpu_iter(int *cpu)
{
	*cpu = -1;
	return cpu;
}

#define for_each_possible_cpu(cpu)					\
	for (int *__us_c = __us_cpu_iter(&(cpu)); ++*__us_c < (int)nr_cpu_ids;)
#define for_each_online_cpu(cpu)	for_each_possible_cpu(cpu)

#define per_cpu_ptr(ptr, cpu)						\
	((typeof(ptr))((unsigned long)(ptr) + (unsigned long)(cpu) * US_PCPU_STRIDE))
#define raw_cpu_ptr(ptr)	per_cpu_ptr(ptr, us_cpu())
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, us_cpu())

#define this_cpu_read(pcp)						\
	__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define this_cpu_write(pcp, val)					\
	__atomic_store_n(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED)
#define this_cpu_add_return(pcp, val)					\
({									\
	typeof(pcp) *__us_p = this_cpu_ptr(&(pcp));			\
	typeof(pcp) __us_d = (val), __us_v;				\
									\
	if (us_cpu_owned) {						\
		__us_v = __atomic_load_n(__us_p, __ATOMIC_RELAXED) + __us_d; \
		__atomic_store_n(__us_p, __us_v, __ATOMIC_RELAXED);	\
	} else {							\
		__us_v = __atomic_add_fetch(__us_p, __us_d, __ATOMIC_RELAXED); \
	}								\
	__us_v;								\
})
#define this_cpu_add(pcp, val)	((void)this_cpu_add_return(pcp, val))
/*
 * kovan.h's increment of an unpin count (its barrier B) as a release RMW,
 * so that ThreadSanitizer sees it pair with the acquires that read it; the
 * kernel's is a fence or compiler barrier and a this_cpu_inc().
 */
#define kovan_this_cpu_inc_release(pcp)					\
do {									\
	typeof(pcp) *__us_r = this_cpu_ptr(&(pcp));			\
									\
	if (us_cpu_owned)						\
		__atomic_store_n(__us_r, __atomic_load_n(__us_r, __ATOMIC_RELAXED) + 1, \
				 __ATOMIC_RELEASE);			\
	else								\
		__atomic_fetch_add(__us_r, 1, __ATOMIC_RELEASE);	\
} while (0)
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_add(pcp, -1)
#define this_cpu_inc_return(pcp)	this_cpu_add_return(pcp, 1)

void *__alloc_percpu(size_t size, size_t align);
void free_percpu(void *ptr);
#define alloc_percpu(type)						\
	((type __percpu *)__alloc_percpu(sizeof(type), __alignof__(type)))

/*
 * IPIs. on_each_cpu_cond() runs @func on every online CPU @cond picks and
 * waits for it. An owned CPU's thread takes a signal and runs @func in its
 * handler, between two of its instructions as an IPI runs between two of
 * a CPU's. A shared CPU has no one thread to interrupt; @func runs in the
 * caller, as that CPU. That is as strong as an IPI there on x86, the only
 * architecture the native builds run on: every this_cpu_*() RMW of a
 * shared CPU is a locked instruction, a full fence of its own.
 */
typedef bool (*smp_cond_func_t)(int cpu, void *info);
typedef void (*smp_call_func_t)(void *info);
void on_each_cpu_cond(smp_cond_func_t cond_func, smp_call_func_t func, void *info, bool wait);

/* Preemption and interrupts: a depth only; see the top of this file. */
#define preempt_disable()						\
	do {								\
		us_atomic_depth++;					\
		barrier();						\
	} while (0)
#define preempt_enable()						\
	do {								\
		barrier();						\
		us_atomic_depth--;					\
	} while (0)
#define local_irq_save(flags)						\
	do {								\
		(flags) = us_atomic_depth++;				\
		barrier();						\
	} while (0)
#define local_irq_restore(flags)					\
	do {								\
		barrier();						\
		us_atomic_depth = (flags);				\
	} while (0)
#define local_irq_disable()	preempt_disable()
#define local_irq_enable()	preempt_enable()
#define in_nmi()		0
#define in_interrupt()		0
#define in_task()		1
#define preemptible()		(!us_atomic_depth)
/* No RCU readers here. */
#define rcu_preempt_depth()	0
#define might_sleep()		WARN_ON_ONCE(us_atomic_depth)
#define lockdep_assert_preemption_enabled()	WARN_ON_ONCE(us_atomic_depth)
#define cond_resched()		do { } while (0)

#endif /* _US_SHIM_PERCPU_H */
