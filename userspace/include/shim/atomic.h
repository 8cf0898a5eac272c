/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_ATOMIC_H
#define _US_SHIM_ATOMIC_H

/*
 * The kernel's atomics and barriers on C11 atomics (GCC's __atomic
 * builtins), for compiling kovan/ and kovan_queue/ unchanged in userspace.
 *
 * Rule: every primitive gets the kernel's ordering or a stronger one, never
 * a weaker one. The table below is the contract; scripts/userspace.sh
 * checks it mechanically: every primitive kovan/ and kovan_queue/ use must
 * have a row, the example of every row is compiled at -O2 and the memory
 * orders of the __atomic operations GCC keeps for it (its GIMPLE) must be
 * those of the "shim" column, and the shim column must be at least the
 * kernel column (check_orders.py: which shim orders satisfy which kernel
 * term).
 *
 * Kernel column (Documentation/atomic_t.txt, memory-barriers.txt, LKMM):
 *   cpu      this_cpu_*(): atomic against the own CPU only; other CPUs
 *	      read such data with data_race(), so no order to keep
 *   dep      a marked read (READ_ONCE()): address, data and control
 *	      dependencies order later accesses
 *   rfe      a marked write (WRITE_ONCE(), an RMW without return value):
 *	      no ordering of its own, but LKMM's happens-before includes
 *	      rfe, a marked read that reads from it (tools/memory-model,
 *	      linux-kernel.cat: hb = ppo | rfe | ...). An acquire ; WRITE_ONCE()
 *	      on one CPU and READ_ONCE() ; smp_mb() on another order what
 *	      precedes the first before what follows the second (the
 *	      Disruptor's gating cache relies on it). C11 gives that only to a
 *	      release store read by an acquire load.
 *   acquire, release
 *   full     smp_mb() before and after (value-returning RMWs, also when
 *	      a cmpxchg fails here; the kernel orders nothing then)
 *   rmb, wmb smp_rmb(), smp_wmb()
 *
 * Shim column:
 *   relaxed, acquire, release, seq_cst   the C11 order of every op
 *   full     a seq_cst RMW between two full fences. In C11 a seq_cst RMW
 *	      alone does not order an earlier relaxed store against a later
 *	      load of another location; smp_mb() on both sides does. On
 *	      x86-64 a LOCK-prefixed instruction is such a fence in hardware
 *	      (Intel SDM vol. 3A, "Memory Ordering in P6 and More Recent
 *	      Processor Families"), so there the fences are compiler barriers.
 *   fence    __atomic_thread_fence(__ATOMIC_SEQ_CST)
 *   a+b      a composite (wait queue, bit lock): each op is of one of
 *	      these kinds, and each kind occurs
 *
 * "dep" is promoted to acquire: C11 has no usable consume (GCC promotes
 * memory_order_consume to acquire itself), and ThreadSanitizer sees the
 * happens-before of a published object only through an acquire. "rfe" is
 * promoted to release. On x86-64 an acquire load and a release store are
 * the same instructions as relaxed ones, and every RMW is one LOCK-prefixed
 * instruction whatever its order, so none of this costs a cycle there.
 *
 * The price: this C11 model orders more than LKMM does. LKMM does not order
 * a plain access before a later marked write (no release), nor a marked
 * write after a plain access; here every marked write is a release. So
 * ThreadSanitizer cannot see a missing smp_store_release() or
 * smp_mb__before_atomic() between plain accesses and a marked write. The
 * hunting mode, -DUS_C11_RELAXED, maps marked writes and RMWs without a
 * return value to relaxed, as C11 reads the kernel literally: it finds those
 * bugs, and reports the LKMM-valid rfe orderings above as races.
 *
 * | primitive                   | kernel  | shim    | example ($: the primitive)
 * | READ_ONCE                   | dep     | acquire | READ_ONCE(l)
 * | WRITE_ONCE                  | rfe     | release | WRITE_ONCE(l, 1)
 * | smp_load_acquire            | acquire | acquire | smp_load_acquire(&ul)
 * | smp_store_release           | release | release | smp_store_release(&ul, 1)
 * | smp_cond_load_acquire       | acquire | acquire | smp_cond_load_acquire(&ul, VAL)
 * | smp_mb                      | full    | fence   | smp_mb()
 * | smp_rmb                     | rmb     | fence   | smp_rmb()
 * | smp_wmb                     | wmb     | fence   | smp_wmb()
 * | smp_mb__before_atomic       | full    | fence   | smp_mb__before_atomic()
 * | smp_mb__after_atomic        | full    | fence   | smp_mb__after_atomic()
 * | xchg                        | full    | full    | xchg(&p, NULL)
 * | cmpxchg                     | full    | full    | cmpxchg(&p, NULL, &l)
 * | atomic_read                 | dep     | acquire | atomic_read(&a)
 * | atomic_set                  | rfe     | release | atomic_set(&a, 1)
 * | atomic_inc                  | rfe     | acq_rel | atomic_inc(&a)
 * | atomic_dec                  | rfe     | acq_rel | atomic_dec(&a)
 * | atomic_inc_return           | full    | full    | atomic_inc_return(&a)
 * | atomic_xchg                 | full    | full    | atomic_xchg(&a, 1)
 * | atomic64_read               | dep     | acquire | atomic64_read(&a64)
 * | atomic64_read_acquire       | acquire | acquire | atomic64_read_acquire(&a64)
 * | atomic64_set                | rfe     | release | atomic64_set(&a64, 1)
 * | atomic64_set_release        | release | release | atomic64_set_release(&a64, 1)
 * | atomic64_inc                | rfe     | acq_rel | atomic64_inc(&a64)
 * | atomic64_try_cmpxchg        | full    | full    | atomic64_try_cmpxchg(&a64, &ll, 1)
 * | atomic_long_read            | dep     | acquire | atomic_long_read(&al)
 * | atomic_long_read_acquire    | acquire | acquire | atomic_long_read_acquire(&al)
 * | atomic_long_set             | rfe     | release | atomic_long_set(&al, 1)
 * | atomic_long_set_release     | release | release | atomic_long_set_release(&al, 1)
 * | atomic_long_inc             | rfe     | acq_rel | atomic_long_inc(&al)
 * | atomic_long_dec             | rfe     | acq_rel | atomic_long_dec(&al)
 * | atomic_long_add             | rfe     | acq_rel | atomic_long_add(2, &al)
 * | atomic_long_sub             | rfe     | acq_rel | atomic_long_sub(2, &al)
 * | atomic_long_add_return      | full    | full    | atomic_long_add_return(2, &al)
 * | atomic_long_dec_return      | full    | full    | atomic_long_dec_return(&al)
 * | atomic_long_inc_return      | full    | full    | atomic_long_inc_return(&al)
 * | atomic_long_inc_return_release | release | release | $(&al)
 * | atomic_set_release          | release | release | atomic_set_release(&a, 1)
 * | atomic_cmpxchg              | full    | full    | atomic_cmpxchg(&a, 0, 1)
 * | atomic_long_sub_return      | full    | full    | atomic_long_sub_return(2, &al)
 * | atomic_long_dec_return_release | release | release | $(&al)
 * | atomic_long_fetch_add       | full    | full    | atomic_long_fetch_add(2, &al)
 * | atomic_long_try_cmpxchg     | full    | full    | atomic_long_try_cmpxchg(&al, &l, 1)
 * | atomic_long_try_cmpxchg_relaxed | rfe | acq_rel | $(&al, &l, 1)
 * | test_bit                    | dep     | acquire | test_bit(1, &ul)
 * | set_bit                     | rfe     | acq_rel | set_bit(1, &ul)
 * | clear_bit                   | rfe     | acq_rel | clear_bit(1, &ul)
 * | clear_bit_unlock            | release | release | clear_bit_unlock(1, &ul)
 * | test_and_set_bit            | full    | full    | test_and_set_bit(1, &ul)
 * | test_and_clear_bit          | full    | full    | test_and_clear_bit(1, &ul)
 * | llist_add                   | full    | full+acquire | llist_add(&ln, &lh)
 * | llist_del_all               | full    | full    | llist_del_all(&lh)
 * | llist_del_first             | full    | acquire+acquire+full | llist_del_first(&lh)
 * | this_cpu_inc                | cpu     | relaxed | this_cpu_inc(*pc)
 * | this_cpu_dec                | cpu     | relaxed | this_cpu_dec(*pc)
 * | this_cpu_inc_return         | cpu     | relaxed | this_cpu_inc_return(*pc)
 * | this_cpu_write              | cpu     | relaxed | this_cpu_write(*pc, 1)
 * | this_cpu_read               | cpu     | relaxed | this_cpu_read(*pc)
 * | wq_has_sleeper              | full    | fence+acquire | wq_has_sleeper(&wq)
 * | wait_on_bit_lock            | acquire | full+acquire | wait_on_bit_lock(&ul, 1, 0)
 * | clear_and_wake_up_bit       | release | release+fence+acquire | $(1, &ul)
 *
 * this_cpu_*() are atomic RMWs here on a shared CPU, atomic against every
 * thread, and an unlocked load and store on an owned one; the
 * kernel's are atomic against their own CPU only (include/shim/percpu.h
 * says why that is stronger). Locks (raw_spinlock_t, mutex, completion,
 * wait queues) are pthread mutexes: acquire and release. Plain accesses
 * stay plain, so ThreadSanitizer checks them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shim/types.h>

static __always_inline void barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

/* The fences around a fully ordered RMW: see "full" above. */
static __always_inline void __us_full_fence(void)
{
#if defined(__x86_64__)
	barrier();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* A fully ordered RMW: full fence, the RMW at seq_cst, full fence. */
#define __us_full(expr)							\
({									\
	__us_full_fence();						\
	__auto_type __us_full_ret = (expr);				\
	__us_full_fence();						\
	__us_full_ret;							\
})

/*
 * Marked writes and RMWs without a return value: release (acq_rel), see
 * "rfe" above; relaxed in the hunting mode (US_C11_RELAXED).
 */
#ifdef US_C11_RELAXED
#define __US_MARKED_STORE	__ATOMIC_RELAXED
#define __US_MARKED_RMW		__ATOMIC_RELAXED
#define __US_MARKED_RMW_FAIL	__ATOMIC_RELAXED
#else
#define __US_MARKED_STORE	__ATOMIC_RELEASE
#define __US_MARKED_RMW		__ATOMIC_ACQ_REL
#define __US_MARKED_RMW_FAIL	__ATOMIC_ACQUIRE
#endif

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __US_MARKED_STORE)

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)	/* acquire */
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)	/* release */

/* All five are seq_cst fences: the strongest C11 has, see the table. */
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)	/* full */
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)	/* > rmb */
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)	/* > wmb */
#define smp_mb__before_atomic()	__atomic_thread_fence(__ATOMIC_SEQ_CST)	/* full */
#define smp_mb__after_atomic()	__atomic_thread_fence(__ATOMIC_SEQ_CST)	/* full */

void us_cpu_relax(void);
#define cpu_relax()		us_cpu_relax()

#define smp_cond_load_acquire(ptr, cond_expr)				\
({									\
	typeof(ptr) __us_ptr = (ptr);					\
	typeof(*__us_ptr) VAL;						\
									\
	for (;;) {							\
		VAL = __atomic_load_n(__us_ptr, __ATOMIC_ACQUIRE);	\
		if (cond_expr)						\
			break;						\
		cpu_relax();						\
	}								\
	VAL;								\
})

#define xchg(ptr, v)							\
	__us_full(__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST))

#define cmpxchg(ptr, o, n)						\
({									\
	typeof(ptr) __us_p = (ptr);					\
	typeof(*__us_p) __us_old = (o);					\
									\
	__us_full(__atomic_compare_exchange_n(__us_p, &__us_old, (n), false,	\
					      __ATOMIC_SEQ_CST,		\
					      __ATOMIC_SEQ_CST));	\
	__us_old;							\
})

/* atomic_t */
static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __US_MARKED_STORE);
}

static inline void atomic_set_release(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

static inline int atomic_cmpxchg(atomic_t *v, int old, int new)
{
	__us_full(__atomic_compare_exchange_n(&v->counter, &old, new, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return old;
}

static inline void atomic_inc(atomic_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __US_MARKED_RMW);
}

static inline void atomic_dec(atomic_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __US_MARKED_RMW);
}

static inline int atomic_inc_return(atomic_t *v)
{
	return __us_full(__atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST));
}

static inline int atomic_xchg(atomic_t *v, int i)
{
	return __us_full(__atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST));
}

/* atomic64_t; atomic_long_t is the same type on 64-bit, as in the kernel. */
static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline s64 atomic64_read_acquire(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic64_set(atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __US_MARKED_STORE);
}

/*
 * In the tests' builds, us_window_preempt_one_in > 0 makes one in that many
 * atomic64_set_release() and atomic_long_set_release() calls made inside an
 * interrupts-off window yield the CPU first: a vCPU can be stopped by its
 * host anywhere, also where a peer waits for the store. See lib/runtime.c.
 */
#ifdef CONFIG_KOVAN_DEBUG
extern unsigned int us_window_preempt_one_in;
void us_window_preempt(void);
#else
static inline void us_window_preempt(void)
{
}
#endif

static inline void atomic64_set_release(atomic64_t *v, s64 i)
{
	us_window_preempt();
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

static inline void atomic64_inc(atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, 1, __US_MARKED_RMW);
}

static inline void atomic64_dec(atomic64_t *v)
{
	__atomic_fetch_sub(&v->counter, 1, __US_MARKED_RMW);
}

static inline void atomic64_add(s64 i, atomic64_t *v)
{
	__atomic_fetch_add(&v->counter, i, __US_MARKED_RMW);
}

static inline void atomic64_sub(s64 i, atomic64_t *v)
{
	__atomic_fetch_sub(&v->counter, i, __US_MARKED_RMW);
}

static inline s64 atomic64_add_return(s64 i, atomic64_t *v)
{
	return __us_full(__atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST));
}

static inline s64 atomic64_dec_return(atomic64_t *v)
{
	return __us_full(__atomic_sub_fetch(&v->counter, 1, __ATOMIC_SEQ_CST));
}

static inline s64 atomic64_dec_return_release(atomic64_t *v)
{
	return __atomic_sub_fetch(&v->counter, 1, __ATOMIC_RELEASE);
}

static inline s64 atomic64_fetch_add(s64 i, atomic64_t *v)
{
	return __us_full(__atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST));
}

static inline bool atomic64_try_cmpxchg(atomic64_t *v, s64 *old, s64 new)
{
	return __us_full(__atomic_compare_exchange_n(&v->counter, old, new, false,
						     __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST));
}

static inline bool atomic64_try_cmpxchg_relaxed(atomic64_t *v, s64 *old, s64 new)
{
	return __atomic_compare_exchange_n(&v->counter, old, new, false,
					   __US_MARKED_RMW, __US_MARKED_RMW_FAIL);
}

/* atomic_long_t: atomic64_t's functions, with long arguments (64-bit only). */
static inline long atomic_long_read(const atomic_long_t *v)
{
	return atomic64_read(v);
}

static inline long atomic_long_read_acquire(const atomic_long_t *v)
{
	return atomic64_read_acquire(v);
}

static inline void atomic_long_set(atomic_long_t *v, long i)
{
	atomic64_set(v, i);
}

static inline void atomic_long_set_release(atomic_long_t *v, long i)
{
	atomic64_set_release(v, i);
}

static inline void atomic_long_inc(atomic_long_t *v)
{
	atomic64_inc(v);
}

static inline void atomic_long_dec(atomic_long_t *v)
{
	atomic64_dec(v);
}

static inline void atomic_long_add(long i, atomic_long_t *v)
{
	atomic64_add(i, v);
}

static inline void atomic_long_sub(long i, atomic_long_t *v)
{
	atomic64_sub(i, v);
}

static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	return atomic64_add_return(i, v);
}

static inline long atomic_long_inc_return_release(atomic_long_t *v)
{
	return __atomic_add_fetch(&v->counter, 1, __ATOMIC_RELEASE);
}

static inline long atomic_long_inc_return(atomic_long_t *v)
{
	return atomic64_add_return(1, v);
}

static inline long atomic_long_dec_return(atomic_long_t *v)
{
	return atomic64_dec_return(v);
}

static inline long atomic_long_sub_return(long i, atomic_long_t *v)
{
	return atomic64_add_return(-i, v);
}

static inline long atomic_long_dec_return_release(atomic_long_t *v)
{
	return atomic64_dec_return_release(v);
}

static inline long atomic_long_fetch_add(long i, atomic_long_t *v)
{
	return atomic64_fetch_add(i, v);
}

static inline bool atomic_long_try_cmpxchg(atomic_long_t *v, long *old, long new)
{
	return atomic64_try_cmpxchg(v, (s64 *)old, new);
}

static inline bool atomic_long_try_cmpxchg_relaxed(atomic_long_t *v, long *old, long new)
{
	return atomic64_try_cmpxchg_relaxed(v, (s64 *)old, new);
}

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

/* Bit operations on unsigned long words. */
#define __us_bit_word(nr, addr)	((addr) + (nr) / BITS_PER_LONG)
#define __us_bit_mask(nr)	(1UL << ((nr) % BITS_PER_LONG))

static inline bool test_bit(long nr, const unsigned long *addr)
{
	return __atomic_load_n(__us_bit_word(nr, addr), __ATOMIC_ACQUIRE) & __us_bit_mask(nr);
}

static inline void set_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_or(__us_bit_word(nr, addr), __us_bit_mask(nr), __US_MARKED_RMW);
}

static inline void clear_bit(long nr, unsigned long *addr)
{
	__atomic_fetch_and(__us_bit_word(nr, addr), ~__us_bit_mask(nr), __US_MARKED_RMW);
}

static inline void clear_bit_unlock(long nr, unsigned long *addr)
{
	__atomic_fetch_and(__us_bit_word(nr, addr), ~__us_bit_mask(nr), __ATOMIC_RELEASE);
}

static inline bool test_and_set_bit(long nr, unsigned long *addr)
{
	return __us_full(__atomic_fetch_or(__us_bit_word(nr, addr), __us_bit_mask(nr),
					   __ATOMIC_SEQ_CST)) & __us_bit_mask(nr);
}

static inline bool test_and_clear_bit(long nr, unsigned long *addr)
{
	return __us_full(__atomic_fetch_and(__us_bit_word(nr, addr), ~__us_bit_mask(nr),
					    __ATOMIC_SEQ_CST)) & __us_bit_mask(nr);
}

#endif /* _US_SHIM_ATOMIC_H */
