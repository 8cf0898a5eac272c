/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_KOVAN_TYPES_H
#define _KOVAN_KOVAN_TYPES_H

/*
 * The layout of a domain and a guard, as srcutree.h is srcu.h's: private
 * to kovan, public only so that callers can embed a domain, put a guard on
 * their stack and DEFINE_KOVAN_DOMAIN() statically. Included by
 * <kovan/kovan.h>; include that instead.
 */

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* Private flags. */
#define KOVAN_DOMAIN_STATIC	0x40000000U	/* DEFINE_KOVAN_DOMAIN(): static per-CPU data */
#define KOVAN_DOMAIN_DEAD	0x80000000U	/* kovan_domain_destroy() ran */

struct dentry;
struct kovan_node;

#define KOVAN_SLOTS_PER_CPU	2

/**
 * struct kovan_slot - a reader slot (private)
 * @pins: pins counted per phase by the slot's own CPU (this_cpu ops)
 * @unpins: unpins counted per phase by the slot's own CPU
 * @phase: the phase new pins count in; flipped by the slot's engine
 * @wait: the phase (plus one) the engine waits to drain, 0: none; an unpin
 *	  of that phase kicks the engine
 * @stalled: robust: when (ktime_get_mono_fast_ns(), low bit set; 0: not)
 *	     more than kovan.stall_batches batches were closed onto the slot
 *	     while its engine was parked for the slot's readers: a reader has
 *	     stayed that long. Pins avoid the slot, and its guards that stayed
 *	     that long themselves move on their next era change, until the
 *	     cycle ends
 * @movers: robust: 1 while a guard that moved here is pinned; pins avoid
 *	    the slot meanwhile
 * @unfenced: fenceless domains, home slot: 1 once the CPU pinned without
 *	      a fence since a close's IPI cleared it
 * @access: robust: newest era a reader counting here may hold
 * @remote_pins: pins counted per phase from other CPUs (and from NMI where
 *		 this_cpu ops are not NMI-safe)
 * @remote_unpins: unpins counted per phase from other CPUs
 * @waiting: batches closed onto the slot, for the engine's next cycle
 * @pushes: robust: batches ever closed onto the slot
 * @park_pushes: robust: @pushes when the engine last parked for readers
 * @serving: engine: the batches its current cycle will pay
 * @engine_node: on kovan's list of slots whose engine has work
 * @engine_state: KOVAN_SLOT_* bits (reclaim.c)
 * @step: engine: how far its current cycle got
 * @idx: the slot's number, stored by the closers that push onto it
 *
 * The first cache line holds what pins and unpins read: the slot's CPU
 * writes its counters; the engine writes the phase once per flip and the
 * hint once per park, robust closers and loads the marks and era when
 * they change. The second is written by other CPUs' pins and unpins, the
 * third by closers and the engine.
 */
struct kovan_slot {
	unsigned long pins[2];
	unsigned long unpins[2];
	unsigned int phase;
	unsigned int wait;
	u64 stalled;
	atomic_t movers;
	unsigned int unfenced;
	atomic64_t access;
	atomic_long_t remote_pins[2] ____cacheline_aligned_in_smp;
	atomic_long_t remote_unpins[2];
	struct llist_head waiting ____cacheline_aligned_in_smp;
	atomic_long_t pushes;
	unsigned long park_pushes;
	struct llist_node *serving;
	struct llist_node engine_node;
	unsigned long engine_state;
	unsigned int step;
	unsigned int idx;
};

/**
 * struct kovan_cpu_batch - the retire side of a CPU (private)
 * @lock: protects the fields below; taken with irqs off
 * @first: objects retired since the last close
 * @count: ... per barrier parity
 * @min_birth: robust: oldest birth among them
 * @opened: when @first was retired (ktime_get_mono_fast_ns())
 * @retired: objects ever retired here, per parity
 * @batches: batches closed from this CPU
 * @era_tick: robust: kovan_node_init() calls since the era last moved
 */
struct kovan_cpu_batch {
	raw_spinlock_t lock;
	struct kovan_node *first;
	unsigned int count[2];
	u64 min_birth;
	u64 opened;
	unsigned long retired[2];
	unsigned long batches;
	unsigned int era_tick;
};

/**
 * struct kovan_pcpu - one CPU's part of a domain (private)
 * @slot: the CPU's home and spare reader slots
 * @cb: the CPU's retire batch
 * @era_skips: statistics of this CPU's closes
 * @stall_avoids: statistics of this CPU's pins
 * @moves: statistics of this CPU's loads
 * @aged_batches: statistics of the flush worker's closes on this CPU
 * @fence_ipis: statistics of closes' IPIs this CPU took (fenceless domains)
 * @throttles: statistics of retires that waited for a reclaim worker
 *	       (per CPU: a wait that ends elsewhere is taken back there)
 */
struct kovan_pcpu {
	struct kovan_slot slot[KOVAN_SLOTS_PER_CPU];
	struct kovan_cpu_batch cb ____cacheline_aligned_in_smp;
	unsigned long era_skips;
	unsigned long stall_avoids;
	unsigned long moves;
	unsigned long aged_batches;
	unsigned long fence_ipis;
	unsigned long throttles;
};

/**
 * struct kovan_domain - an independent reclamation domain
 * @era: robust domains: current era, advanced by kovan_node_init()
 * @pcpu: per-CPU reader slots and retire batch
 * @flags: KOVAN_* flags in effect
 * @dep_map: lockdep: guards are read acquisitions of it,
 *	     kovan_synchronize() and kovan_barrier() wait for it
 * @parity: which half of the retired/@freed counters new retires count in
 * @state: KOVAN_DOMAIN_* bits: barrier running, flush requested
 * @freed: objects freed, per barrier parity
 * @batches_freed: batches freed
 * @queued: objects in batches handed to the reclaim worker, not yet freed
 * @in_flight: batches closed and not yet freed
 * @gp_started: grace periods started (kovan_synchronize(),
 *		kovan_start_poll()): the number of the newest
 * @gp_done: the newest grace period whose readers are all gone
 * @gp_needed: the newest cookie kovan_start_poll() needs a period for
 * @flush_node: on kovan's list of domains with partly filled batches
 * @name: for debugfs
 * @debugfs: /sys/kernel/debug/kovan/<name>
 *
 * Embed one in your data structure and set it up with kovan_domain_init(),
 * or define one with DEFINE_KOVAN_DOMAIN(). All fields are private to
 * kovan; everything but @pcpu, @flags and @name starts out zero. The
 * fields from @parity on, which retires, closes and frees write, start a
 * cache line of their own, away from those pins read.
 */
struct kovan_domain {
	/* Read by every pin and load: no field written per retire or free here. */
	atomic64_t era;
	struct kovan_pcpu __percpu *pcpu;
	unsigned int flags;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	struct lockdep_map dep_map;
#endif
	unsigned int parity ____cacheline_aligned_in_smp;
	unsigned long state;
	atomic_long_t freed[2];
	atomic_long_t batches_freed;
	atomic_long_t queued;
	atomic_long_t in_flight;
	atomic_long_t gp_started;
	atomic_long_t gp_done;
	atomic_long_t gp_needed;
	struct llist_node flush_node;
	char name[32];
	struct dentry *debugfs;
};

/**
 * struct kovan_guard - a reader's hold on a domain, on the reader's stack
 * @domain: the pinned domain; NULL after a pin kovan refused
 * @slot: slot the guard counts in (not necessarily the current CPU's);
 *	  NULL once unpinned
 * @moved: robust: the slot a long-lived guard moved to (kovan_load())
 * @era: robust domains: the era this guard's slot is known to cover
 * @pushes: robust: @slot's pushes when the guard pinned
 * @cpu: the CPU whose slot @slot is
 * @moved_cpu: the CPU whose slot @moved is
 * @phase: the phase of @slot the guard counts in
 * @moved_phase: the phase of @moved it counts in
 * @robust: the domain is robust; kovan_load() maintains @era
 * @lockdep: lockdep holds the pin in the pinning task or interrupt
 *
 * Fields are private to kovan. kovan_unpin() needs nothing but the guard
 * and the slots, so it stays legal after kovan_domain_destroy() (which
 * WARNs then) even when the domain's memory is gone.
 */
struct kovan_guard {
	struct kovan_domain *domain;
	struct kovan_slot __percpu *slot;
	struct kovan_slot __percpu *moved;
	u64 era;
	unsigned long pushes;
	unsigned int cpu;
	unsigned int moved_cpu;
	u8 phase;
	u8 moved_phase;
	bool robust;
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	bool lockdep;
#endif
};

/*
 * A static domain's lockdep map starts zeroed: lockdep keys its class by
 * the domain's address and names it after the symbol.
 */
#define __DEFINE_KOVAN_DOMAIN(dom, domain_flags, storage)				\
	static DEFINE_PER_CPU_ALIGNED(struct kovan_pcpu, dom##_kovan_pcpu) = {	\
		.cb.lock = __RAW_SPIN_LOCK_UNLOCKED(dom##_kovan_pcpu.cb.lock),		\
	};										\
	storage struct kovan_domain dom = {						\
		.pcpu = &dom##_kovan_pcpu,						\
		.flags = (domain_flags) | KOVAN_DOMAIN_STATIC,				\
		.name = #dom,								\
	}

/**
 * DEFINE_KOVAN_DOMAIN() - define a statically initialised domain
 * @name: the domain's variable name
 *
 * Ready to use without kovan_domain_init(), like DEFINE_SRCU(). Its per-CPU
 * part is static per-CPU memory (eight cache lines per CPU), which in a
 * module comes from the small per-CPU reserve shared by all modules:
 * prefer kovan_domain_init() for many domains. A module must call
 * kovan_domain_destroy() on its static domains in its exit path; that runs
 * kovan_barrier() and removes the debugfs entry, which appears after the
 * domain's first flush. CONFIG_KOVAN_ROBUST_DEFAULT does not apply: use
 * DEFINE_STATIC_KOVAN_DOMAIN_ROBUST() for a robust one.
 */
#define DEFINE_KOVAN_DOMAIN(name) __DEFINE_KOVAN_DOMAIN(name, 0, /* global */)

/**
 * DEFINE_STATIC_KOVAN_DOMAIN() - DEFINE_KOVAN_DOMAIN() with static storage
 * @name: the domain's variable name
 */
#define DEFINE_STATIC_KOVAN_DOMAIN(name) __DEFINE_KOVAN_DOMAIN(name, 0, static)

/**
 * DEFINE_STATIC_KOVAN_DOMAIN_ROBUST() - a static %KOVAN_ROBUST domain
 * @name: the domain's variable name
 */
#define DEFINE_STATIC_KOVAN_DOMAIN_ROBUST(name) \
	__DEFINE_KOVAN_DOMAIN(name, KOVAN_ROBUST, static)

#endif /* _KOVAN_KOVAN_TYPES_H */
