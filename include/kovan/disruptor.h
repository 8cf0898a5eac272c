/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_QUEUE_DISRUPTOR_H
#define _KOVAN_QUEUE_DISRUPTOR_H

/*
 * kovan_disruptor: an LMAX-style ring of preallocated events, filled by
 * producers and handed through a graph of handler stages. Its model and
 * contract (producers, handlers, ordering, wait strategies, halt) are
 * Documentation/disruptor.rst; each call's kernel-doc gives its context
 * and errors.
 */

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/kcsan-checks.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <kovan/compat.h>

struct kovan_disruptor;
struct kovan_disruptor_stage;
struct kovan_disruptor_poller;

/**
 * enum kovan_producer_type - who may claim sequences
 * @KOVAN_PRODUCER_SINGLE: one producer; claims need no atomics
 * @KOVAN_PRODUCER_MULTI: any number of concurrent producers
 */
enum kovan_producer_type {
	KOVAN_PRODUCER_SINGLE,
	KOVAN_PRODUCER_MULTI,
};

/**
 * enum kovan_disruptor_wait_kind - how handlers wait for events and producers for room
 * @KOVAN_DISRUPTOR_WAIT_BUSY_SPIN: spin with cpu_relax(); the lowest latency, a CPU
 *	per waiting thread (it gives way now and then when the scheduler asks)
 * @KOVAN_DISRUPTOR_WAIT_YIELDING: spin briefly, then give the CPU to others that want
 *	it; once idle for @yield_ns, nap in short sleeps so an idle
 *	ring does not keep a CPU busy
 * @KOVAN_DISRUPTOR_WAIT_SLEEPING: spin briefly, then usleep_range(@sleep_us,
 *	2 * @sleep_us) until there is work: little CPU, latency ~@sleep_us
 * @KOVAN_DISRUPTOR_WAIT_BLOCKING: sleep on the wait queue of the sequence waited for
 *	(the producers' for a first stage, a handler's of the stages depended
 *	on, a last handler's or poller's for a producer); whoever moves a
 *	sequence wakes its queue only when someone sleeps there, with no
 *	missed wake-up
 * @KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING: as blocking, but a handler that waits
 *	@timeout_us without an event has its on_timeout() called
 * @KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF: spin for @spin_ns, yield for @yield_ns, then
 *	block
 */
enum kovan_disruptor_wait_kind {
	KOVAN_DISRUPTOR_WAIT_BUSY_SPIN,
	KOVAN_DISRUPTOR_WAIT_YIELDING,
	KOVAN_DISRUPTOR_WAIT_SLEEPING,
	KOVAN_DISRUPTOR_WAIT_BLOCKING,
	KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING,
	KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF,
};

/* Batches shorter than this make a gathering handler pause; see below. */
#define KOVAN_DISRUPTOR_WAIT_GATHER_BELOW	16
/* Most cpu_relax() calls of a gathering pause. */
#define KOVAN_DISRUPTOR_WAIT_MAX_GATHER_SPINS	1024

/**
 * struct kovan_disruptor_wait - a wait kind and its timings
 * @kind: the wait kind
 * @spin_ns: phased backoff: how long to spin before yielding
 * @yield_ns: yielding and phased backoff: how long to yield before napping
 *	      or blocking
 * @sleep_us: sleeping: the nap length (1..1000000)
 * @timeout_us: timeout blocking: the wait after which on_timeout() runs
 *		(1..INT_MAX / 1000)
 * @gather_spins: busy spin and yielding, 0..%KOVAN_DISRUPTOR_WAIT_MAX_GATHER_SPINS:
 *		  a handler that has just handled fewer than
 *		  %KOVAN_DISRUPTOR_WAIT_GATHER_BELOW events spins this many cpu_relax()
 *		  before it looks for more. A handler that keeps pace with its
 *		  producer otherwise takes events one or two at a time, each
 *		  a cache-line exchange with the producer; pausing lets the
 *		  producer get ahead, and the handler then takes whole runs.
 *		  More throughput, at the cost of up to @gather_spins
 *		  cpu_relax() of latency for an event that arrives during the
 *		  pause. 0 (the predefined strategies but
 *		  kovan_disruptor_wait_busy_spin_gathering) never pauses.
 *
 * The predefined strategies below carry sensible timings; define your own
 * for others.
 */
struct kovan_disruptor_wait {
	enum kovan_disruptor_wait_kind kind;
	unsigned int spin_ns;
	unsigned int yield_ns;
	unsigned int sleep_us;
	unsigned int timeout_us;
	unsigned int gather_spins;
};

extern const struct kovan_disruptor_wait kovan_disruptor_wait_busy_spin;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_busy_spin_gathering;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_yielding;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_sleeping;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_blocking;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_timeout_blocking;
extern const struct kovan_disruptor_wait kovan_disruptor_wait_phased_backoff;

/**
 * struct kovan_disruptor_config - what kovan_disruptor_create() builds
 * @size: ring entries, a power of two, 1..%KOVAN_DISRUPTOR_MAX_SIZE
 * @event_size: bytes per event, 1..%KOVAN_DISRUPTOR_MAX_EVENT_SIZE
 * @event_init: called once on each (zeroed) event at creation; may be NULL
 * @ctx: passed to @event_init
 * @producer: %KOVAN_PRODUCER_SINGLE or %KOVAN_PRODUCER_MULTI
 * @wait: how handlers and producers wait; NULL means &kovan_disruptor_wait_blocking.
 *	  Copied at creation.
 */
struct kovan_disruptor_config {
	unsigned int size;
	size_t event_size;
	void (*event_init)(void *event, void *ctx);
	void *ctx;
	enum kovan_producer_type producer;
	const struct kovan_disruptor_wait *wait;
};

#define KOVAN_DISRUPTOR_MAX_SIZE	BIT(24)
#define KOVAN_DISRUPTOR_MAX_EVENT_SIZE	BIT(16)
/* Most handlers one stage may have. */
#define KOVAN_DISRUPTOR_MAX_HANDLERS	16

/**
 * struct kovan_disruptor_handler - one handler of a stage
 * @on_event: called for each event, in sequence order, from the handler's
 *	      kthread; may sleep. @end_of_batch is true on the last event of
 *	      the run this wait delivered. Return 0; a non-zero return
 *	      releases the events handled so far to the next stages and the
 *	      producers at once, instead of at the end of the run.
 * @on_start: called in the kthread before the first event; may be NULL
 * @on_shutdown: called in the kthread after the last event, when the
 *		 disruptor halts; may be NULL
 * @on_timeout: %KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING: called in the kthread with
 *		the last sequence handled (-1 for none) when no event came
 *		for the timeout; may be NULL
 * @ctx: passed to the callbacks
 * @cpu: the CPU the kthread is bound to, or -1 for any
 *
 * The disruptor copies the handler at stage creation.
 */
struct kovan_disruptor_handler {
	int (*on_event)(void *event, s64 seq, bool end_of_batch, void *ctx);
	void (*on_start)(void *ctx);
	void (*on_shutdown)(void *ctx);
	void (*on_timeout)(s64 seq, void *ctx);
	void *ctx;
	int cpu;
};

/**
 * kovan_disruptor_create() - allocate a ring and its sequencer
 * @cfg: the configuration
 * @gfp: allocation flags (GFP_KERNEL)
 *
 * Context: process context.
 * Return: the disruptor; ERR_PTR(-EINVAL) for a NULL @cfg, a size that is
 *	   0, not a power of two or too big, an event_size of 0 or too big, an
 *	   unknown producer type or wait kind, wait timings out of range, or
 *	   gather_spins above the maximum or set for a kind that does not
 *	   spin; ERR_PTR(-ENOMEM).
 */
struct kovan_disruptor *kovan_disruptor_create(const struct kovan_disruptor_config *cfg,
					       gfp_t gfp);

/**
 * kovan_disruptor_handle_events_with() - add a stage fed by the producers
 * @d: the disruptor, not started
 * @handlers: @n handlers, copied
 * @n: 1..%KOVAN_DISRUPTOR_MAX_HANDLERS
 *
 * Context: process context.
 * Return: the stage, owned by @d; ERR_PTR(-EINVAL) for a NULL @handlers, a
 *	   handler without on_event, a CPU that is not possible, or @n out of
 *	   range; ERR_PTR(-EBUSY) once @d has started; ERR_PTR(-ENOMEM).
 */
struct kovan_disruptor_stage *
kovan_disruptor_handle_events_with(struct kovan_disruptor *d,
				   const struct kovan_disruptor_handler *handlers, unsigned int n);

/**
 * kovan_disruptor_then() - add a stage that runs after another
 * @after: the stage whose handlers must have handled an event first
 * @handlers: @n handlers, copied
 * @n: 1..%KOVAN_DISRUPTOR_MAX_HANDLERS
 *
 * Context: process context.
 * Return: as kovan_disruptor_handle_events_with(); ERR_PTR(-EINVAL) also
 *	   for a NULL or erroneous @after.
 */
struct kovan_disruptor_stage *
kovan_disruptor_then(struct kovan_disruptor_stage *after,
		     const struct kovan_disruptor_handler *handlers, unsigned int n);

/**
 * kovan_disruptor_after() - add a stage that runs after several (a diamond)
 * @deps: @ndeps stages of one disruptor
 * @ndeps: 1..%KOVAN_DISRUPTOR_MAX_HANDLERS
 * @handlers: @n handlers, copied
 * @n: 1..%KOVAN_DISRUPTOR_MAX_HANDLERS
 *
 * Context: process context.
 * Return: as kovan_disruptor_then(); ERR_PTR(-EINVAL) also when @deps belong
 *	   to different disruptors.
 */
struct kovan_disruptor_stage *
kovan_disruptor_after(struct kovan_disruptor_stage * const *deps, unsigned int ndeps,
		      const struct kovan_disruptor_handler *handlers, unsigned int n);

/**
 * kovan_disruptor_new_poller() - a consumer driven from the caller's context
 * @d: the disruptor, not started
 * @after: the stage whose handlers must have handled an event first, or
 *	   NULL to follow the producers
 *
 * A poller gates the producers like a last stage: poll it, or the ring
 * fills up.
 *
 * Context: process context.
 * Return: the poller, owned by @d; ERR_PTR(-EINVAL) for a NULL @d or a
 *	   stage of another disruptor; ERR_PTR(-EBUSY) once @d has started;
 *	   ERR_PTR(-ENOMEM).
 */
struct kovan_disruptor_poller *
kovan_disruptor_new_poller(struct kovan_disruptor *d, struct kovan_disruptor_stage *after);

/**
 * kovan_disruptor_poll() - handle the events ready for a poller
 * @p: the poller
 * @fn: called for each ready event in sequence order, @end_of_batch true on
 *	the last one of this call; return false to stop after this event
 * @ctx: passed to @fn
 *
 * Never waits. One caller at a time per poller.
 *
 * Context: any in which @fn may run, but NMI; the disruptor must have
 * started and not be destroyed.
 * Return: the number of events handled (0 when none was ready).
 */
unsigned int kovan_disruptor_poll(struct kovan_disruptor_poller *p,
				  bool (*fn)(void *event, s64 seq, bool end_of_batch, void *ctx),
				  void *ctx);

/**
 * kovan_disruptor_start() - start one kthread per handler
 * @d: the disruptor
 *
 * Returns once every handler's on_start() has run.
 *
 * Context: process context.
 * Return: 0; -EBUSY when already started or halted; -EINVAL when a
 *	   handler is bound to a CPU that is offline; -ENOMEM or another
 *	   error of kthread creation (then nothing runs).
 */
int kovan_disruptor_start(struct kovan_disruptor *d);

/*
 * Private: the state of the inline fast paths below, which disruptor.c
 * extends with the rest. Use the functions, not the fields. The barriers
 * and their letters are those of disruptor.c's opening comment.
 */

/*
 * A sequence, and the tasks blocked until it moves: on a line of their own,
 * so that a task queueing itself does not take the line the mover writes.
 */
struct kovan_dis_seq {
	atomic64_t value;
	wait_queue_head_t sleepers ____cacheline_aligned_in_smp;
} ____cacheline_aligned_in_smp;

struct kovan_disruptor {
	/* The producers' sequence (see disruptor.c). */
	struct kovan_dis_seq cursor;
	/* Read-mostly: set up by create, read by every claim, publish and handler. */
	/* Multiple producers: the lap each slot was last published for. */
	u32 *available;
	void *events;
	size_t event_size;
	unsigned int mask;
	unsigned int shift;
	enum kovan_producer_type producer;
	/* The wait strategy may block: moves look for sleepers. */
	bool can_block;
	/*
	 * Written by the producers on their claims: a pair of lines of their
	 * own (CPUs prefetch lines in pairs), or every claim takes a line the
	 * handlers read, the fields above or disruptor.c's that follow.
	 */
	/* Single producer: its highest claim. */
	s64 claimed __aligned(2 * SMP_CACHE_BYTES);
	/* A recent minimum of the gating sequences (shared by multiple producers). */
	s64 gating_cache;
};

/* The slow paths of the inline functions below; not for callers. */
s64 __kovan_disruptor_claim(struct kovan_disruptor *d, unsigned int n, bool may_wait);
int __kovan_disruptor_publish_unclaimed(struct kovan_disruptor *d, s64 lo, s64 hi);
void __kovan_disruptor_wake(struct kovan_disruptor *d, struct kovan_dis_seq *s);

/* After @s moved: wake the tasks blocked on it, only if there are any. */
static __always_inline void __kovan_disruptor_moved(struct kovan_disruptor *d,
						    struct kovan_dis_seq *s)
{
	/*
	 * DR-E: wq_has_sleeper()'s full barrier orders the move before the look
	 * at the queue; pairs with DR-G, the sleeper's barrier between queueing
	 * itself and reading the sequence again.
	 */
	if (d->can_block && wq_has_sleeper(&s->sleepers))
		__kovan_disruptor_wake(d, s);
}

/* Claim with the room the producers last saw; the slow path for the rest. */
static __always_inline s64 __kovan_disruptor_claim_fast(struct kovan_disruptor *d,
							unsigned int n, bool may_wait)
{
	s64 cur, next, gating;

	/* n - 1 wraps for 0: both 0 and too big take the slow path's -EINVAL. */
	if (unlikely(n - 1 > d->mask))
		return __kovan_disruptor_claim(d, n, may_wait);
	if (d->producer == KOVAN_PRODUCER_SINGLE) {
		/* One producer thread: KCSAN reports a second one claiming at once. */
		ASSERT_EXCLUSIVE_WRITER(d->claimed);
		next = d->claimed + n;
		if (likely(next - d->mask - 1 <= d->gating_cache)) {
			/* Read by kovan_disruptor_publish() and _cursor() of other threads. */
			WRITE_ONCE(d->claimed, next);
			return next;
		}
		return __kovan_disruptor_claim(d, n, may_wait);
	}
	cur = atomic64_read(&d->cursor.value);	/* A guess; DR-D checks it. */
	next = cur + n;
	/* A hint shared by the producers; DR-D orders the event writes after it. */
	gating = READ_ONCE(d->gating_cache);
	/* DR-D: fully ordered; the claim's event writes come after the room check. */
	if (likely(next - d->mask - 1 <= gating && gating <= cur &&
		   atomic64_try_cmpxchg(&d->cursor.value, &cur, next)))
		return next;
	return __kovan_disruptor_claim(d, n, may_wait);
}

/**
 * kovan_disruptor_next() - claim the next n sequences
 * @d: a started disruptor
 * @n: 1..size
 *
 * Waits, per the wait strategy, while the ring has no room for @n events.
 *
 * Context: process context; may sleep. Use kovan_disruptor_try_next()
 * where the caller may not sleep.
 * Return: the highest claimed sequence (the claim is [ret - @n + 1, ret]);
 *	   -EINVAL for @n of 0 or above the size; -ESHUTDOWN when the
 *	   disruptor halts while waiting, or has halted and the ring has no
 *	   room (with room, a claim after the halt succeeds; its events may
 *	   never be handled).
 */
static inline s64 kovan_disruptor_next(struct kovan_disruptor *d, unsigned int n)
{
	might_sleep();
	return __kovan_disruptor_claim_fast(d, n, true);
}

/**
 * kovan_disruptor_try_next() - claim the next n sequences if there is room
 * @d: the disruptor
 * @n: 1..size
 *
 * Context: any but NMI. Lock-free, never waits.
 * Return: the highest claimed sequence; -EBUSY when the ring has no room for
 *	   @n events; -EINVAL for @n of 0 or above the size.
 */
static inline s64 kovan_disruptor_try_next(struct kovan_disruptor *d, unsigned int n)
{
	return __kovan_disruptor_claim_fast(d, n, false);
}

/**
 * kovan_disruptor_get() - the event of a sequence
 * @d: the disruptor
 * @seq: a sequence the caller claimed, or one its handler was given
 *
 * Context: any.
 * Return: the event's address in the ring.
 */
static inline void *kovan_disruptor_get(struct kovan_disruptor *d, s64 seq)
{
	return d->events + (seq & d->mask) * d->event_size;
}

/**
 * kovan_disruptor_publish() - make claimed events visible to the handlers
 * @d: the disruptor
 * @lo: the first sequence of the range
 * @hi: the last; @lo <= @hi, the whole range claimed by the caller
 *
 * A range that was not claimed (not yet claimed, already published with a
 * single producer, or @lo > @hi) is a caller bug: it WARNs once and
 * publishes nothing.
 *
 * Context: any but NMI.
 * Ordering: release of the events' contents.
 * Return: 0, or -EINVAL for a range that was not claimed.
 */
static inline int kovan_disruptor_publish(struct kovan_disruptor *d, s64 lo, s64 hi)
{
	/* Only a producer's own claim moves the cursor past its range. */
	s64 cursor = atomic64_read(&d->cursor.value), seq;

	if (d->producer == KOVAN_PRODUCER_SINGLE) {
		/* The producer's own claim, written with WRITE_ONCE() on its thread. */
		if (unlikely(lo != cursor + 1 || hi < lo || hi > READ_ONCE(d->claimed)))
			return __kovan_disruptor_publish_unclaimed(d, lo, hi);
		/* DR-A: the events' contents before the cursor; pairs with dis_seq_read(). */
		atomic64_set_release(&d->cursor.value, hi);
	} else {
		if (unlikely(hi < lo || hi > cursor || lo <= cursor - d->mask - 1))
			return __kovan_disruptor_publish_unclaimed(d, lo, hi);
		for (seq = lo; seq <= hi; seq++)
			/* DR-C: the event's contents before its lap; pairs with its acquire. */
			smp_store_release(&d->available[seq & d->mask], (u32)(seq >> d->shift));
	}
	__kovan_disruptor_moved(d, &d->cursor);
	return 0;
}

/**
 * kovan_disruptor_publish_event() - claim, fill and publish one event
 * @d: a started disruptor
 * @fill: called with the event, its sequence and @arg; must not sleep if the
 *	  caller may not
 * @arg: passed to @fill
 *
 * Context: as kovan_disruptor_next().
 * Return: 0, or the error of kovan_disruptor_next().
 */
int kovan_disruptor_publish_event(struct kovan_disruptor *d,
				  void (*fill)(void *event, s64 seq, void *arg), void *arg);

/**
 * kovan_disruptor_halt() - drain and stop the handler threads
 * @d: the disruptor
 *
 * Every event published before the call is handled by every handler (in
 * stage order), then each handler's on_shutdown() runs and its kthread
 * exits. Producers must have finished: claims made after the call starts
 * may never be handled, and a producer waiting for room gets -ESHUTDOWN.
 * Halting twice, or a disruptor that never started, does nothing.
 *
 * Context: process context; sleeps.
 */
void kovan_disruptor_halt(struct kovan_disruptor *d);

/**
 * kovan_disruptor_destroy() - halt and free a disruptor
 * @d: the disruptor; NULL is ignored
 *
 * Halts first. Events are freed without a callback.
 *
 * Context: process context; sleeps. Nobody else may use @d any more.
 */
void kovan_disruptor_destroy(struct kovan_disruptor *d);

/**
 * kovan_disruptor_cursor() - the highest sequence claimed so far
 * @d: the disruptor
 *
 * Context: any. A snapshot.
 * Return: the highest claimed sequence, -1 before the first claim.
 */
s64 kovan_disruptor_cursor(struct kovan_disruptor *d);

#ifdef CONFIG_KOVAN_DEBUG
/**
 * kovan_disruptor_debug_wake_calls() - moves that found a sleeper to wake
 * @d: the disruptor
 *
 * For tests: how many publishes, handler and poller advances found a task
 * blocked on the sequence they moved and called into its wait queue.
 *
 * Context: any. A snapshot.
 * Return: the count since creation.
 */
unsigned long kovan_disruptor_debug_wake_calls(struct kovan_disruptor *d);
#endif

#endif /* _KOVAN_QUEUE_DISRUPTOR_H */
