/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_KOVAN_H
#define _KOVAN_KOVAN_H

/*
 * kovan: memory reclamation with per-CPU slots.
 *
 * A kovan domain plays the role of an srcu_struct. Readers pin the domain,
 * load pointers to shared objects with kovan_load(), and unpin. Updaters
 * unpublish an object and retire it; the domain frees it once no guard that
 * could have loaded it is still pinned - typically microseconds later, not
 * a grace period later.
 *
 *	struct kovan_guard g;
 *
 *	kovan_pin(&dom, &g);
 *	p = kovan_load(&table->slot[i], &g);
 *	... use p; may sleep, may migrate ...
 *	kovan_unpin(&g);
 *
 *	old = kovan_replace_pointer(&table->slot[i], new);
 *	kovan_retire(&dom, &old->knode, my_free);
 *
 * The contract is in Documentation/: safety, liveness, ordering and
 * fenceless domains in overview.rst, robust domains and their memory bound
 * in robust.rst, calling contexts and backpressure in contexts.rst, the
 * progress of every call in progress.rst. Each call's kernel-doc below
 * gives its context, errors and ordering.
 */

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/debug_locks.h>
#include <linux/hardirq.h>
#include <linux/llist.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include <kovan/compat.h>

/* Flags for kovan_domain_init(). */
#define KOVAN_ROBUST		0x1U	/* bound unfreed memory under stalled readers */
#define KOVAN_FENCELESS		0x2U	/* pins without a fence; closes IPI the CPUs that pinned */
#define KOVAN_DOMAIN_FLAGS	(KOVAN_ROBUST | KOVAN_FENCELESS)

/**
 * struct kovan_node - reclamation link embedded in every retired object
 * @next: chain of the retired objects of one batch
 * @birth: era of kovan_node_init(), read by kovan_retire() in robust domains
 * @free_fn: what kovan_retire() was asked to call, or the node's offset in
 *	     its object for kovan_retire_kfree()
 *
 * Two words, like an rcu_head. Initialise with kovan_node_init() before the
 * object is published; retire it at most once per publication.
 */
struct kovan_node {
	struct kovan_node *next;
	union {
		u64 birth;
		void (*free_fn)(struct kovan_node *node);
	};
};

#include <kovan/kovan_types.h>

/**
 * struct kovan_stats - counters of a domain, as kovan_domain_stats() reads them
 * @retired: objects passed to kovan_retire() and kovan_retire_kfree()
 * @freed: objects whose free function has returned
 * @pending: @retired - @freed: retired objects not yet freed
 * @queued: of @pending, objects no reader holds any more, waiting for the
 *	    reclaim worker
 * @batches: batches closed (handed to the busy slots' engines)
 * @batches_freed: batches whose readers were gone and that were freed
 * @aged_batches: of @batches, partly filled ones the flush worker closed
 *		  because they had waited kovan.flush_us
 * @era_skips: robust: slots a batch skipped because their era was older
 *	       than its objects (idle slots with an old era included)
 * @stall_avoids: robust: pins that avoided a slot marked stalled or
 *		  holding a guard that moved there
 * @moves: robust: long-lived guards that moved to an idle slot
 * @fence_ipis: fenceless: IPIs closes sent to CPUs that pinned without a
 *		fence
 * @throttles: retires that waited (or wait now) for their CPU's reclaim
 *	       worker, whose backlog was above kovan.backlog
 * @slots: number of reader slots
 * @batch: objects per batch (module parameter kovan.batch)
 * @stall_batches: robust: batches closed onto a slot during one cycle of
 *		   its engine before pins avoid it and its guards move (module
 *		   parameter kovan.stall_batches)
 * @era_frequency: robust: kovan_node_init() calls per CPU between era
 *		   advances (module parameter kovan.era_frequency)
 * @backlog: objects a CPU's reclaim worker may be behind before retires
 *	     that may sleep wait for it (module parameter kovan.backlog)
 */
struct kovan_stats {
	unsigned long retired;
	unsigned long freed;
	unsigned long pending;
	unsigned long queued;
	unsigned long batches;
	unsigned long batches_freed;
	unsigned long aged_batches;
	unsigned long era_skips;
	unsigned long stall_avoids;
	unsigned long moves;
	unsigned long fence_ipis;
	unsigned long throttles;
	unsigned int slots;
	unsigned int batch;
	unsigned int stall_batches;
	unsigned int era_frequency;
	unsigned int backlog;
};

/**
 * __kovan_domain_init() - kovan_domain_init() with a name and lockdep class
 * @d: domain to initialise
 * @flags: as for kovan_domain_init()
 * @name: names the debugfs directory and the lockdep class
 * @key: the lockdep class, a static struct lock_class_key
 *
 * Context: process context; may sleep.
 * Return: as kovan_domain_init().
 */
int __kovan_domain_init(struct kovan_domain *d, unsigned int flags, const char *name,
			struct lock_class_key *key);

/**
 * kovan_domain_init() - initialise a reclamation domain
 * @d: domain to initialise
 * @flags: zero, %KOVAN_ROBUST, %KOVAN_FENCELESS or both. When the module
 *	   is built with CONFIG_KOVAN_ROBUST_DEFAULT, %KOVAN_ROBUST is always
 *	   added.
 *
 * The expression @d names the domain's debugfs directory
 * (/sys/kernel/debug/kovan/<d>-<id>/stats) and its lockdep class, one
 * class per call site, as init_srcu_struct() has it: domains initialised
 * at one site (in a loop) share a class, so that a kovan_synchronize() of
 * one inside a guard of another is reported as recursion. Give such
 * domains classes of their own with __kovan_domain_init().
 *
 * Context: process context; may sleep.
 * Return: 0 on success, -EINVAL for a NULL @d or unknown @flags,
 *	   -ENOMEM when the per-CPU slots cannot be allocated.
 */
#define kovan_domain_init(d, flags)						\
({										\
	static struct lock_class_key __kovan_key;				\
										\
	__kovan_domain_init((d), (flags), #d, &__kovan_key);			\
})

/**
 * kovan_domain_destroy() - tear down a domain set up by kovan_domain_init()
 * @d: domain to destroy; a NULL @d is ignored
 *
 * Runs kovan_barrier() first, so every object retired before the call is
 * freed (and waits for the guards that can still see them), then waits
 * until no batch of @d is left: a guard still pinned in a slot that has a
 * batch keeps one, and kovan_domain_destroy() waits for it too, WARNing
 * once after ten seconds. A guard still pinned after that is a caller bug:
 * the domain WARNs and leaks its slots rather than free memory the guard's
 * kovan_unpin() will touch; that kovan_unpin() stays legal, also once the
 * memory of @d itself is gone (with lockdep, after kovan_guard_handoff():
 * lockdep follows the guard through @d). Pins of @d from then on WARN once and pin
 * nothing. Destroying a domain twice, or one that was never initialised
 * (zeroed), WARNs once and does nothing.
 *
 * Context: process context; may sleep.
 */
void kovan_domain_destroy(struct kovan_domain *d);

/**
 * kovan_domain_flags() - flags a domain runs with
 * @d: an initialised domain
 *
 * Context: any.
 * Return: the KOVAN_* flags in effect, including %KOVAN_ROBUST when it was
 *	   added by CONFIG_KOVAN_ROBUST_DEFAULT.
 */
static inline unsigned int kovan_domain_flags(const struct kovan_domain *d)
{
	return d->flags & KOVAN_DOMAIN_FLAGS;
}

/**
 * struct kovan_cpu_stats - what kovan did on one CPU, for every domain
 * @flush_timers: flush timer callbacks that ran there (armed by a retire
 *		  that opened a batch, normally on its own CPU, or by a flush
 *		  pass that left a batch open; one timer for all CPUs)
 * @backstop_timers: backstop timer callbacks that ran there (armed by the
 *		     closers and engines that left a slot parked)
 * @kicks: engine kicks there (kovan_kick_engine(), which kovan_unpin()
 *	   calls when a slot's engine waits for it), queued or already
 *	   pending
 * @fence_ipis: closes' IPIs taken there, every fenceless domain together
 *		(a close of a domain sends one only to the CPUs that pinned in
 *		it since their last IPI from it)
 * @reclaims: reclaim worker runs there (a CPU's worker runs near it, never
 *	      on an isolated CPU)
 * @backlog: objects no reader holds, waiting for the CPU's reclaim worker
 */
struct kovan_cpu_stats {
	unsigned long flush_timers;
	unsigned long backstop_timers;
	unsigned long kicks;
	unsigned long fence_ipis;
	unsigned long reclaims;
	unsigned long backlog;
};

/**
 * kovan_cpu_stats() - read what kovan did on one CPU
 * @cpu: a possible CPU
 * @s: filled with the counters
 *
 * Shows where kovan's timers, kicks, IPIs and frees run. kovan arms its
 * timers on the CPUs that retire (or, when one is idle or isolated, where
 * the timer subsystem moves them) and on those where its unbound workers
 * ran, so a nohz_full or isolated CPU that only pins and unpins takes no
 * kovan timer and runs no reclaim worker; any CPU takes IPIs only if it
 * pins in a fenceless domain. The same numbers are in
 * /sys/kernel/debug/kovan/cpus.
 *
 * Context: any.
 * Return: 0, or -EINVAL when @cpu is not a possible CPU (@s is then zeroed).
 */
int kovan_cpu_stats(int cpu, struct kovan_cpu_stats *s);

/**
 * kovan_domain_stats() - read a domain's counters
 * @d: an initialised domain
 * @s: filled with the counters
 *
 * The counters are read one after the other while others may change them;
 * @s->pending is exact only when nobody retires or frees meanwhile.
 *
 * Context: any.
 */
void kovan_domain_stats(struct kovan_domain *d, struct kovan_stats *s);

/**
 * kovan_node_init() - stamp a node before its object is published
 * @d: the domain the object will be retired to
 * @n: the object's embedded node
 *
 * Records the birth era robust domains use to skip readers that cannot
 * hold the object. Required in robust domains, harmless otherwise: call it
 * right before the object is published (what a robust guard may follow out
 * of an unpublished object depends on it, see Documentation/robust.rst), and
 * again when a retired-then-freed object's memory is reused.
 *
 * Context: any, NMI included. Wait-free.
 */
void kovan_node_init(struct kovan_domain *d, struct kovan_node *n);

void kovan_pin_slow(struct kovan_domain *d, struct kovan_guard *g);
void kovan_unpin_slow(struct kovan_guard *g);
void kovan_kick_engine(void);

/*
 * Whether this_cpu ops may run here: an NMI can interrupt one half-done
 * where the architecture does not make them NMI-safe.
 */
static __always_inline bool kovan_this_cpu_ok(void)
{
	return IS_ENABLED(CONFIG_ARCH_HAS_NMI_SAFE_THIS_CPU_OPS) || !in_nmi();
}

/*
 * B: an unpin counts itself with a release, after every access the guard
 * made. this_cpu_inc() has no ordering of its own: a fence before it
 * gives one; where the architecture orders earlier accesses before a
 * store anyway (TSO), a compiler barrier is enough. A test harness may
 * supply its own.
 */
#ifndef kovan_this_cpu_inc_release
#ifdef CONFIG_X86
#define kovan_this_cpu_inc_release(pcp)	do { barrier(); this_cpu_inc(pcp); } while (0)
#else
/* B: the fence orders the guard's accesses before the increment; pairs with J. */
#define kovan_this_cpu_inc_release(pcp)	do { smp_mb(); this_cpu_inc(pcp); } while (0)
#endif
#endif

/*
 * N: a pin of a %KOVAN_FENCELESS domain skips barrier A, unless it is the
 * first on its CPU since a close's IPI (O) cleared the CPU's flag: it sets
 * the flag and fences, and every close IPIs the CPUs whose flag is set
 * before it reads a slot (P, reclaim.c).
 */
static __always_inline void kovan_pin_unfenced(struct kovan_slot __percpu *ps)
{
	barrier();	/* The flag after the count: an IPI between them clears it first. */
	if (unlikely(!this_cpu_read(ps->unfenced))) {
		this_cpu_write(ps->unfenced, 1);
		smp_mb(); /* N: flag and count before any pointer is loaded; pairs with P. */
	}
}

/*
 * Lockdep: a pin is a recursive read acquisition of the domain's map, as
 * srcu_read_lock() is of its srcu_struct's; none in NMI, where lockdep
 * takes only trylocks, and none for a pin kovan refused. Lockdep holds at
 * most MAX_LOCK_DEPTH locks per task and turns itself off past that, where
 * kovan lets a task pin any number of guards: a pin made while the task
 * holds KOVAN_LOCKDEP_DEPTH or more is not annotated.
 */
#define KOVAN_LOCKDEP_DEPTH	(MAX_LOCK_DEPTH / 2)

static __always_inline void kovan_lockdep_pin(struct kovan_domain *d, struct kovan_guard *g)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	g->lockdep = g->domain && !in_nmi() && current->lockdep_depth < KOVAN_LOCKDEP_DEPTH;
	if (g->lockdep)
		lock_map_acquire_read(&d->dep_map);
#endif
}

/**
 * kovan_guard_handoff() - let another task or interrupt unpin a guard
 * @g: a pinned guard
 *
 * Tells lockdep that the pinning task or interrupt no longer holds the
 * guard, as percpu_rwsem_release() does for a semaphore handed over. Call
 * it before the guard is unpinned by another task or in an interrupt that
 * did not pin it, before a guard outlives its domain's memory, and before
 * a task sleeps freezably (try_to_freeze(), wait_event_freezable()) with
 * the guard pinned: lockdep would report the unpin, the free or the
 * freeze otherwise, as it does for an SRCU reader. The guard stays
 * pinned, and lockdep no longer sees it. Without CONFIG_DEBUG_LOCK_ALLOC
 * it does nothing.
 *
 * Context: the task or interrupt that pinned @g.
 */
static __always_inline void kovan_guard_handoff(struct kovan_guard *g)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	if (g->lockdep) {
		g->lockdep = false;
		lock_map_release(&g->domain->dep_map);
	}
#endif
}

/**
 * kovan_pin_held() - whether lockdep sees a guard of a domain pinned here
 * @d: the domain
 *
 * For lockdep assertions, as srcu_read_lock_held(): true when the calling
 * task holds a guard of @d it pinned (in an interrupt: the interrupted
 * task's count too) and has not unpinned or handed off. True as well
 * wherever lockdep cannot tell, so that an assertion never fires falsely:
 * without CONFIG_DEBUG_LOCK_ALLOC, once lockdep turned itself off after a
 * report, in NMI, and while the task holds %KOVAN_LOCKDEP_DEPTH locks or
 * more (pins made then are not annotated).
 *
 * Context: any.
 * Return: false only when lockdep knows the caller holds no guard of @d.
 */
static inline bool kovan_pin_held(struct kovan_domain *d)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return !debug_locks || in_nmi() || current->lockdep_depth >= KOVAN_LOCKDEP_DEPTH ||
	       lock_is_held(&d->dep_map);
#else
	return true;
#endif
}

/**
 * kovan_pin() - enter a read-side critical section
 * @d: the domain
 * @g: guard on the caller's stack, filled in here
 *
 * Counts the caller as a reader in the current CPU's slot (in a robust
 * domain, a spare or another CPU's slot when that one is stalled). The
 * caller may sleep and migrate until kovan_unpin(@g). A domain that is
 * destroyed or was never initialised is not pinned: kovan_pin() WARNs once
 * and the guard's kovan_unpin() does nothing.
 *
 * Context: any, NMI included. Wait-free: a per-CPU increment and a full
 * fence (in a %KOVAN_FENCELESS domain a per-CPU read instead, and the
 * fence only in the CPU's first pin after a close's IPI); robust domains
 * read up to every slot first when the CPU's own are stalled, see
 * Documentation/progress.rst.
 * Ordering: full barrier; in a %KOVAN_FENCELESS domain none of its own,
 * and closes fence the CPU with an IPI instead. A pin of a destroyed or
 * never initialised domain (a caller bug, which WARNs) orders nothing.
 */
static __always_inline void kovan_pin(struct kovan_domain *d, struct kovan_guard *g)
{
	/* A pin racing with the domain's destroy is a caller bug; no ordering. */
	unsigned int flags = READ_ONCE(d->flags);
	struct kovan_slot __percpu *ps = &d->pcpu->slot[0];
	bool robust = flags & KOVAN_ROBUST;
	struct kovan_slot *s;
	unsigned int phase;
	s64 access = 0;

	if (unlikely((flags & KOVAN_DOMAIN_DEAD) || !d->pcpu || !kovan_this_cpu_ok()))
		goto slow;
	preempt_disable();
	s = this_cpu_ptr(ps);
	if (robust) {
		/*
		 * The home slot as it is: not stalled, no guard moved in, its
		 * era up to date. Hints, rechecked by nothing: a slot marked
		 * just now is avoided from the next pin on.
		 */
		access = atomic64_read(&s->access);
		if (unlikely(READ_ONCE(s->stalled) || atomic_read(&s->movers) ||
			     access < atomic64_read(&d->era))) {
			preempt_enable();
			goto slow;
		}
		g->pushes = atomic_long_read(&s->pushes);
	}
	/* The engine flips it; a pin of either phase is waited for (reclaim.c). */
	phase = READ_ONCE(s->phase);
	this_cpu_inc(ps->pins[phase]);
	if (flags & KOVAN_FENCELESS)
		kovan_pin_unfenced(ps);
	else
		smp_mb(); /* A: counted before any pointer is loaded; pairs with C and K. */
	g->cpu = smp_processor_id();
	preempt_enable();
	g->domain = d;
	g->slot = ps;
	g->moved = NULL;
	g->phase = phase;
	g->robust = robust;
	g->era = access;
	kovan_lockdep_pin(d, g);
	return;
slow:
	kovan_pin_slow(d, g);
	kovan_lockdep_pin(d, g);
}

/**
 * kovan_unpin() - leave the critical section entered by kovan_pin()
 * @g: the guard kovan_pin() filled in; may be on another CPU now
 *
 * Counts the reader out of its slot; the slot's engine, which waits for
 * such counts before it lets the batches closed onto the slot go, is
 * kicked if it waits for this one. Needs nothing of the domain but its
 * lockdep map (none after kovan_guard_handoff()), and touches nothing of
 * it once the count is in: legal after a
 * kovan_domain_destroy() that WARNed about this guard, and racing with
 * one that sees the slot idle. A second kovan_unpin() of the same pin
 * WARNs once and does nothing.
 *
 * Context: any, NMI included. Wait-free: a per-CPU increment (an atomic
 * one on another CPU than the pin's), and a kick of a work item when the
 * engine waits for it.
 * Ordering: release: the reader's accesses to loaded objects happen
 * before their free.
 */
static __always_inline void kovan_unpin(struct kovan_guard *g)
{
	struct kovan_slot __percpu *ps = g->slot;
	unsigned int phase = g->phase, wait;

	/* Before the count: the domain may be gone once it is in. */
	kovan_guard_handoff(g);
	if (unlikely(!ps || g->moved || !kovan_this_cpu_ok())) {
		kovan_unpin_slow(g);
		return;
	}
	preempt_disable();
	if (unlikely(g->cpu != smp_processor_id())) {
		preempt_enable();
		kovan_unpin_slow(g);
		return;
	}
	/* The hint of M, read first: nothing of the slot is touched after our count. */
	wait = READ_ONCE(this_cpu_ptr(ps)->wait);
	kovan_this_cpu_inc_release(ps->unpins[phase]);	/* B: pairs with J. */
	preempt_enable();
	g->slot = NULL;
	if (unlikely(wait == phase + 1))
		kovan_kick_engine();
}

void *kovan_load_slow(void * const *pp, struct kovan_guard *g);

static __always_inline void *__kovan_load(void * const *pp, struct kovan_guard *g)
{
	void *p;

	if (!g->robust)
		return READ_ONCE(*pp);	/* Dependency-ordered after the publisher's release. */
	/* Pointer before era: the era then covers the loaded object's birth. */
	p = smp_load_acquire(pp);
	if (likely(atomic64_read(&g->domain->era) <= g->era))
		return p;
	return kovan_load_slow(pp, g);
}

/*
 * Sparse: a pointer that readers kovan_load() is declared
 * "struct foo __kovan *p", as RCU's are "__rcu": sparse then flags a plain
 * dereference of it, and the calls below take and give the right kinds.
 */
#ifdef __CHECKER__
#define __kovan		__attribute__((noderef, address_space(__kovan)))
#else
#define __kovan
#endif

/* Compile-time only: sparse flags @p unless it is a __kovan pointer. */
#define kovan_check_sparse(p)						\
({									\
	typeof(p) ___p = NULL;						\
									\
	(void)(___p == (typeof(*___p) __kovan *)NULL);			\
})
/*
 * @v, a plain pointer, as a value for a __kovan pointer; a constant
 * expression for a constant @v, so it initialises static pointers too.
 * RCU_INITIALIZER()'s form: typeof() takes @v's pointee type without
 * evaluating @v (unless it points to a variable-length array), and works
 * for NULL and pointers to incomplete types.
 */
#define KOVAN_INITIALIZER(v)						\
	((typeof(*(v)) __force __kovan *)(v))

/**
 * kovan_load() - load a pointer to a kovan-protected object
 * @pp: address of the shared pointer, a __kovan pointer
 * @g: a pinned guard
 *
 * Like rcu_dereference(): the object pointed to stays valid until
 * kovan_unpin(@g). In a %KOVAN_ROBUST domain, as long as *@pp lies in a
 * root, in an object still published, or the object it points to was
 * born no later than the one holding @pp; see Documentation/robust.rst.
 *
 * Context: any, NMI included. Wait-free in domains without %KOVAN_ROBUST;
 * lock-free in robust ones, see Documentation/progress.rst.
 * Return: the pointer, a plain one to the type *@pp points to.
 */
#define kovan_load(pp, g)						\
({									\
	typeof(pp) ___pp = (pp);					\
									\
	kovan_check_sparse(*___pp);					\
	(typeof(**___pp) __force __kernel *)__kovan_load((void * const __force *)___pp, (g)); \
})

/**
 * kovan_dereference_protected() - read a __kovan pointer as its updater
 * @p: the __kovan pointer (an lvalue)
 * @c: why the caller may: a lockdep expression, such as
 *     lockdep_is_held(&my_lock)
 *
 * Like rcu_dereference_protected(): for updaters that hold what keeps the
 * pointer from changing, no guard needed. With CONFIG_PROVE_LOCKING, a
 * false @c WARNs, once per call site (and @c is evaluated only then).
 *
 * Context: any.
 * Return: the pointer, plain; a plain read with no ordering, which the
 * lock @c names provides.
 */
#define kovan_dereference_protected(p, c)				\
({									\
	typeof(p) *___pp = &(p);					\
									\
	WARN_ONCE(IS_ENABLED(CONFIG_PROVE_LOCKING) && debug_locks && !(c),	\
		  "kovan: suspicious kovan_dereference_protected() usage\n");	\
	kovan_check_sparse(*___pp);					\
	(typeof(**___pp) __force __kernel *)*___pp;			\
})

/**
 * kovan_access_pointer() - the value of a __kovan pointer, not to follow
 * @p: the __kovan pointer (an lvalue)
 *
 * Like rcu_access_pointer(): for comparisons and NULL tests.
 *
 * Context: any.
 * Return: the pointer, plain; must not be dereferenced.
 */
#define kovan_access_pointer(p)						\
({									\
	typeof(p) *___pp = &(p);					\
									\
	kovan_check_sparse(*___pp);					\
	(typeof(**___pp) __force __kernel *)READ_ONCE(*___pp);		\
})

/**
 * kovan_init_pointer() - set a __kovan pointer that no reader sees yet
 * @p: the __kovan pointer (an lvalue)
 * @v: the new value
 *
 * Like RCU_INIT_POINTER(): a plain store (WRITE_ONCE()), for NULL, for
 * pointers no reader sees yet, or where something else orders the
 * object's initialisation before the store.
 *
 * Context: any.
 */
#define kovan_init_pointer(p, v)					\
do {									\
	typeof(p) *___pp = &(p);					\
									\
	kovan_check_sparse(*___pp);					\
	WRITE_ONCE(*___pp, KOVAN_INITIALIZER(v));			\
} while (0)

/**
 * kovan_assign_pointer() - publish a pointer to an initialised object
 * @p: the __kovan pointer (an lvalue)
 * @v: the new value
 *
 * A release store: the object's initialisation, kovan_node_init()
 * included, is visible to readers that kovan_load() @v.
 *
 * Context: any.
 */
#define kovan_assign_pointer(p, v)					\
do {									\
	typeof(p) *___pp = &(p);					\
									\
	kovan_check_sparse(*___pp);					\
	/* Release: @v's initialisation first; kovan_load() depends on it. */ \
	smp_store_release(___pp, KOVAN_INITIALIZER(v));			\
} while (0)

/**
 * kovan_replace_pointer() - publish a new pointer, return the old one
 * @pp: address of the __kovan pointer
 * @v: the new value
 *
 * A fully ordered exchange: @v's initialisation is visible before @v, and
 * the returned object is unpublished before any later kovan_retire() of it
 * looks at readers.
 *
 * Context: any.
 * Return: the previous value of *@pp, plain.
 */
#define kovan_replace_pointer(pp, v)					\
({									\
	typeof(pp) ___pp = (pp);					\
									\
	kovan_check_sparse(*___pp);					\
	(typeof(**___pp) __force __kernel *)xchg(___pp, KOVAN_INITIALIZER(v)); \
})

/**
 * kovan_cmpxchg_pointer() - publish a pointer if the old one is still there
 * @pp: address of the __kovan pointer
 * @old: the expected value
 * @new: the new value
 *
 * Fully ordered on success, like kovan_replace_pointer(); no ordering when
 * it fails.
 *
 * Context: any.
 * Return: the value *@pp had, plain; equal to @old on success.
 */
#define kovan_cmpxchg_pointer(pp, old, new)				\
({									\
	typeof(pp) ___pp = (pp);					\
	typeof(*___pp) ___new = KOVAN_INITIALIZER(new);			\
									\
	kovan_check_sparse(*___pp);					\
	(typeof(**___pp) __force __kernel *)cmpxchg(___pp, KOVAN_INITIALIZER(old), ___new); \
})

/**
 * kovan_retire() - free an unpublished object once no reader can hold it
 * @d: the domain the object's readers pin
 * @n: the object's embedded node
 * @free_fn: called with @n once the object can be freed; must not sleep
 *
 * Call after the object is no longer reachable for new readers. @free_fn
 * runs later, in process context, from the kovan worker of the CPU the
 * object was retired on; free functions run concurrently on different
 * CPUs. A NULL @d, @n or @free_fn is a caller bug: kovan_retire() WARNs
 * once and leaks the object.
 * In a robust domain, a node whose birth lies ahead of the domain's era was
 * never stamped by kovan_node_init(): it WARNs once and is kept from every
 * reader, as if born first.
 *
 * Context: any but NMI. A call where it may sleep (task context,
 * preemptible, outside RCU readers, TASK_RUNNING, not in a free function,
 * not a real-time task) sleeps when its CPU's reclaim worker is more than
 * kovan.backlog objects behind (backpressure, Documentation/contexts.rst);
 * elsewhere it never sleeps. In a %KOVAN_FENCELESS domain, a call that
 * fills a batch in task context that may be preempted waits, with
 * preemption off, for IPIs to the CPUs that pinned; elsewhere the flush
 * worker closes the batch. Progress: Documentation/progress.rst.
 */
void kovan_retire(struct kovan_domain *d, struct kovan_node *n,
		  void (*free_fn)(struct kovan_node *n));

void __kovan_retire_kfree(struct kovan_domain *d, struct kovan_node *n, unsigned long offset);

/* kovan_retire_kfree(): offsets below this are told apart from free functions. */
#define KOVAN_KFREE_OFFSET_MAX	4096

/**
 * kovan_retire_kfree() - kfree() an unpublished object once no reader can hold it
 * @d: the domain
 * @ptr: the object, allocated with kmalloc(); NULL is ignored
 * @field: name of the struct kovan_node member in *@ptr; its offset must
 *	   be below %KOVAN_KFREE_OFFSET_MAX
 *
 * Like kfree_rcu(); the objects of a batch are freed with kfree_bulk().
 * Context: as kovan_retire(), which it is.
 */
#define kovan_retire_kfree(d, ptr, field)					\
do {										\
	typeof(ptr) ___p = (ptr);						\
	const size_t ___offset = offsetof(typeof(*___p), field);		\
										\
	BUILD_BUG_ON(___offset >= KOVAN_KFREE_OFFSET_MAX);			\
	if (___p)								\
		__kovan_retire_kfree((d), (void *)___p + ___offset, ___offset);	\
} while (0)

/**
 * kovan_synchronize() - wait for the readers of this moment
 * @d: the domain
 *
 * Returns once every guard that was pinned when the call began has
 * unpinned. Guards that pin while the call waits for a batch header (a
 * domain at its share of headers) or closes its batch, and guards that pin
 * into a busy slot before its engine flips the slot's phase, may be waited
 * for as well; guards pinned after that are not. It waits for readers
 * only: frees queued to a reclaim worker do not delay it.
 *
 * Lockdep: a wait for the domain's map, as synchronize_srcu() is: called
 * inside a guard of @d, or holding a lock that a guard of @d is taken
 * before, it is a lockdep report rather than a silent hang.
 *
 * Context: process context; sleeps.
 */
void kovan_synchronize(struct kovan_domain *d);

/**
 * kovan_barrier() - wait until everything retired so far is freed
 * @d: the domain
 *
 * Every object retired to @d before the call has been freed (its free
 * function returned) when kovan_barrier() returns. Objects retired while
 * it waits are not waited for. Call it before unloading a module whose
 * free functions or objects kovan still holds.
 *
 * Lockdep: as kovan_synchronize().
 *
 * Context: process context; sleeps until the readers that can see those
 * objects unpin.
 */
void kovan_barrier(struct kovan_domain *d);

/**
 * kovan_get_state() - take a cookie for the readers of this moment
 * @d: the domain
 *
 * Like get_state_synchronize_srcu(): the cookie stands for every guard
 * pinned before the call. kovan_poll_state() says when they have all
 * unpinned, once a grace period that started after this call has ended:
 * one of a later kovan_start_poll() or kovan_synchronize(). This call
 * starts none.
 *
 * Context: any, NMI included. Wait-free.
 * Ordering: full barrier before it reads the grace-period count: the
 * caller's earlier unpublishing is seen by the readers the cookie does
 * not stand for.
 * Return: the cookie.
 */
unsigned long kovan_get_state(struct kovan_domain *d);

/**
 * kovan_start_poll() - start a grace period, return its cookie
 * @d: the domain
 *
 * Like start_poll_synchronize_srcu(): a cookie as kovan_get_state()'s,
 * and a grace period that covers it is started, without waiting for it.
 * Calls made while one is in flight share the next, which the flush
 * worker starts when it ends, and callers racing to start one start one:
 * a domain has one or two periods of kovan_start_poll() in flight however
 * often it is called, also while a reader stalls (kovan_synchronize()
 * callers add one each). Where the close cannot run here (no batch header
 * to be had; a %KOVAN_FENCELESS domain in a caller that may not be
 * preempted, runs in softirq, or runs on a kernel without
 * CONFIG_PREEMPT_COUNT) the flush worker starts it too. kovan_poll_state()
 * turns true once every guard pinned before the call has unpinned, and
 * the guards pinned before the period's close that a slot's engine still
 * counts with them (before its next phase flip, as kovan_synchronize()
 * says): typically microseconds after the last of them unpins, and a
 * worker's pass later for a period that waited for the one in flight.
 *
 * Context: any but NMI (where it WARNs once and starts nothing); never
 * sleeps. Neither wait-free nor lock-free when it closes: as a
 * kovan_retire() that closes a batch.
 * Ordering: as kovan_get_state().
 * Return: the cookie.
 */
unsigned long kovan_start_poll(struct kovan_domain *d);

/**
 * kovan_poll_state() - whether the readers a cookie stands for are gone
 * @d: the domain the cookie came from
 * @cookie: from kovan_get_state() or kovan_start_poll() on @d
 *
 * Like poll_state_synchronize_srcu(). Cookies are compared modulo the
 * counter's wrap, as jiffies are: one held across more than LONG_MAX
 * grace periods of @d reads as not yet passed.
 *
 * Context: any, NMI included. Wait-free.
 * Ordering: when it returns true, a full barrier: the readers' accesses
 * happen before whatever the caller does next (a free).
 * Return: true only once every guard pinned before the cookie was taken
 * has unpinned and a grace period started after it has ended; a cookie of
 * kovan_get_state() that no kovan_start_poll() or kovan_synchronize()
 * followed stays false until some period starts after it (one kovan
 * started for another caller's kovan_start_poll() counts).
 */
bool kovan_poll_state(struct kovan_domain *d, unsigned long cookie);

#endif /* _KOVAN_KOVAN_H */
