// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_disruptor: a ring of preallocated events, sequencers and a graph of
 * handler stages, after the LMAX Disruptor.
 *
 * Barriers are lettered DR-A to DR-G, apart from kovan's and the queues'.
 *
 * Sequences. The cursor is the producers' sequence: for a single producer
 * the highest published one (DR-A, a release), for multiple producers the
 * highest claimed one (a compare-and-swap). Each handler and poller has its
 * own sequence, the highest event it has handled (DR-B, a release).
 *
 * Availability. With multiple producers a claimed event may be published
 * out of order, so each slot records the lap (seq >> shift) it was last
 * published for, with a release (DR-C). A first stage or poller reads the
 * cursor and then the slots from its next sequence on with acquires (pairs
 * with DR-A or DR-C): the events up to the first slot still on an old lap are
 * ready. A stage that depends on others reads only their handlers'
 * sequences (acquire, pairs with DR-B): they handled the events, so those were
 * published.
 *
 * Room. A claim of [next, next + n) needs every gating sequence (the
 * handlers of stages nothing depends on, and the pollers) at or above
 * next + n - size, read with an acquire that pairs with DR-B: the slot is
 * overwritten only after the last reader of its previous lap released it.
 * Multiple producers share a cached minimum, refreshed on a miss; a producer
 * that uses the cache orders its event writes after the cache read with
 * the fully ordered claim (DR-D), and the producer that stored the cache had
 * acquired what it stored.
 *
 * Waking. Every sequence has a wait queue of its own, and a blocked thread
 * sleeps on the queue of one sequence that holds it back: a first-stage
 * handler on the cursor, another handler on a handler of a stage it
 * depends on that has not handled its next event yet, a producer on a
 * gating sequence below the room it needs. It sleeps until that sequence
 * passes the point it waits for (or it is asked to stop), then looks
 * again, so it never sleeps on a sequence that can no longer wake it.
 * Whoever moves a sequence checks that sequence's queue after a full
 * barrier (wq_has_sleeper(), DR-E) and wakes it only when someone sleeps
 * there: a publish wakes the first stages only, a handler the stages after
 * it (or a producer waiting for room). A sleeper queues itself and sets its
 * task state with a full barrier before it reads the sequence again (DR-G, in
 * prepare_to_wait_event()), so one of the two sees the other. On
 * PREEMPT_RT a wait queue's lock sleeps: a mover that may not sleep (hard
 * interrupt, a raw spinlock held, interrupts off) passes the wake-up to a
 * work item on an unbound workqueue, whose queueing takes only raw locks
 * and which runs on a housekeeping CPU that is online; it wakes every
 * queue that has sleepers then.
 *
 * Halt. The target is the highest event published contiguously; stages are
 * stopped in creation order, which puts each stage after the stages it
 * depends on, and a handler exits once asked to stop and past the target.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kcsan-checks.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <kovan/disruptor.h>
#include <trace/events/kovan_queue.h>

#include "../kovan/fault.h"

const struct kovan_disruptor_wait kovan_disruptor_wait_busy_spin = {
	.kind = KOVAN_DISRUPTOR_WAIT_BUSY_SPIN,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_busy_spin, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_busy_spin_gathering = {
	.kind = KOVAN_DISRUPTOR_WAIT_BUSY_SPIN,
	.gather_spins = 64,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_busy_spin_gathering, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_yielding = {
	.kind = KOVAN_DISRUPTOR_WAIT_YIELDING,
	.yield_ns = 1000000,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_yielding, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_sleeping = {
	.kind = KOVAN_DISRUPTOR_WAIT_SLEEPING,
	.sleep_us = 100,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_sleeping, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_blocking = {
	.kind = KOVAN_DISRUPTOR_WAIT_BLOCKING,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_blocking, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_timeout_blocking = {
	.kind = KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING,
	.timeout_us = 10000,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_timeout_blocking, KOVAN_NS);

const struct kovan_disruptor_wait kovan_disruptor_wait_phased_backoff = {
	.kind = KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF,
	.spin_ns = 10000,
	.yield_ns = 100000,
};
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_wait_phased_backoff, KOVAN_NS);

/* Spins before a yielding or sleeping wait looks at the clock. */
#define DIS_SPINS	100
/* Naps of an idle yielding wait, microseconds. */
#define DIS_NAP_US	100

struct kovan_dis_handler {
	struct kovan_dis_seq seq;
	struct kovan_disruptor_handler h;
	struct kovan_disruptor_stage *stage;
	struct task_struct *task;
	/* Its thread runs: kthread_stop() can no longer skip the thread function. */
	struct completion started;
};

struct kovan_disruptor_stage {
	struct kovan_disruptor *d;
	struct list_head node;
	unsigned int index;
	bool has_dependents;
	unsigned int ndeps;
	struct kovan_disruptor_stage *deps[KOVAN_DISRUPTOR_MAX_HANDLERS];
	unsigned int nhandlers;
	struct kovan_dis_handler *handlers[KOVAN_DISRUPTOR_MAX_HANDLERS];
};

struct kovan_disruptor_poller {
	struct kovan_dis_seq seq;
	struct kovan_disruptor *d;
	struct kovan_disruptor_stage *after;
	struct list_head node;
};

enum kovan_dis_state {
	KOVAN_DIS_CREATED,
	KOVAN_DIS_STARTED,
	KOVAN_DIS_HALTED,
};

/* The disruptor: the fast paths' state (disruptor.h), then the rest. */
struct dis_private {
	struct kovan_disruptor pub;
	struct kovan_disruptor_wait wait;
	bool halting;
	s64 halt_target;
	enum kovan_dis_state state;
	struct kovan_dis_seq **gating;
	unsigned int ngating;
	unsigned int nstages;
	struct list_head stages;
	struct list_head pollers;
	struct work_struct wake_work;
#ifdef CONFIG_KOVAN_DEBUG
	/* Calls of __kovan_disruptor_wake(), for the KUnit tests. */
	atomic_long_t wake_calls;
#endif
};

static struct dis_private *dis_priv(struct kovan_disruptor *d)
{
	return container_of(d, struct dis_private, pub);
}

static s64 dis_seq_read(struct kovan_dis_seq *s)
{
	/* The events' contents, as released with it; pairs with DR-A or DR-B. */
	return atomic64_read_acquire(&s->value);
}

static void dis_seq_init(struct kovan_dis_seq *s)
{
	atomic64_set(&s->value, -1);
	init_waitqueue_head(&s->sleepers);
}

static u32 dis_lap(const struct kovan_disruptor *d, s64 seq)
{
	return (u32)(seq >> d->shift);
}

/* Wake every queue with sleepers: at a halt, and for movers that may not. */
static void dis_wake_every_queue(struct dis_private *p)
{
	struct kovan_disruptor_stage *st;
	struct kovan_disruptor_poller *pl;
	unsigned int i;

	/* DR-E: as in __kovan_disruptor_moved(), for the halt's or a deferred move. */
	if (wq_has_sleeper(&p->pub.cursor.sleepers))
		wake_up_all(&p->pub.cursor.sleepers);
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			if (wq_has_sleeper(&st->handlers[i]->seq.sleepers))
				wake_up_all(&st->handlers[i]->seq.sleepers);
	list_for_each_entry(pl, &p->pollers, node)
		if (wq_has_sleeper(&pl->seq.sleepers))
			wake_up_all(&pl->seq.sleepers);
}

static void dis_wake_deferred(struct work_struct *work)
{
	dis_wake_every_queue(container_of(work, struct dis_private, wake_work));
}

/* __kovan_disruptor_moved() found a sleeper on @s after DR-E. */
void __kovan_disruptor_wake(struct kovan_disruptor *d, struct kovan_dis_seq *s)
{
	struct dis_private *p = dis_priv(d);

#ifdef CONFIG_KOVAN_DEBUG
	atomic_long_inc(&p->wake_calls);
#endif
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible())
		queue_work(system_unbound_wq, &p->wake_work);
	else
		wake_up_all(&s->sleepers);
}
EXPORT_SYMBOL_NS_GPL(__kovan_disruptor_wake, KOVAN_NS);

#ifdef CONFIG_KOVAN_DEBUG
unsigned long kovan_disruptor_debug_wake_calls(struct kovan_disruptor *d)
{
	return atomic_long_read(&dis_priv(d)->wake_calls);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_debug_wake_calls, KOVAN_NS);
#endif

static s64 dis_min_gating(struct dis_private *p, s64 floor)
{
	unsigned int i;

	for (i = 0; i < p->ngating; i++)
		floor = min(floor, dis_seq_read(p->gating[i]));
	return floor;
}

/* A gating sequence below @wrap, or NULL when none is. */
static struct kovan_dis_seq *dis_gating_below(struct dis_private *p, s64 wrap)
{
	unsigned int i;

	for (i = 0; i < p->ngating; i++)
		if (dis_seq_read(p->gating[i]) < wrap)
			return p->gating[i];
	return NULL;
}

/* Highest published sequence in [lo, hi], or lo - 1. */
static s64 dis_highest_published(struct kovan_disruptor *d, s64 lo, s64 hi)
{
	s64 seq;

	for (seq = lo; seq <= hi; seq++)
		/* DR-C: the event's contents before it is read; pairs with the publish. */
		if (smp_load_acquire(&d->available[seq & d->mask]) != dis_lap(d, seq))
			return seq - 1;
	return hi;
}

/* The highest event a consumer after @deps may handle, looking from @next. */
static s64 dis_available(struct kovan_disruptor *d, struct kovan_disruptor_stage * const *deps,
			 unsigned int ndeps, s64 next)
{
	unsigned int i, j;
	s64 hi;

	if (ndeps) {
		hi = S64_MAX;
		for (i = 0; i < ndeps; i++)
			for (j = 0; j < deps[i]->nhandlers; j++)
				hi = min(hi, dis_seq_read(&deps[i]->handlers[j]->seq));
		return hi;
	}
	hi = dis_seq_read(&d->cursor);
	if (d->producer == KOVAN_PRODUCER_MULTI)
		hi = dis_highest_published(d, next, hi);
	return hi;
}

/*
 * State of one wait: dis_pause() spins, yields or naps once per call, as the
 * strategy says, and returns true when the caller should block instead.
 */
struct dis_waiter {
	unsigned int spins;
	u64 since;
};

static u64 dis_waited_ns(struct dis_waiter *w)
{
	if (!w->since)
		w->since = ktime_get_ns();
	return ktime_get_ns() - w->since;
}

/*
 * Let another task have the CPU if it wants it. Not cond_resched(): that is
 * empty on preemptible kernels, and UML does not preempt kernel code on
 * interrupt return, so a spinning handler would keep its CPU for good.
 */
static void dis_yield(void)
{
	if (need_resched())
		schedule();
}

static bool dis_pause(struct dis_private *p, struct dis_waiter *w)
{
	const struct kovan_disruptor_wait *s = &p->wait;
	u64 waited;

	switch (s->kind) {
	case KOVAN_DISRUPTOR_WAIT_BUSY_SPIN:
		cpu_relax();
		if (!(++w->spins & 1023))
			dis_yield();
		return false;
	case KOVAN_DISRUPTOR_WAIT_YIELDING:
		if (w->spins++ < DIS_SPINS)
			cpu_relax();
		else if (dis_waited_ns(w) < s->yield_ns)
			dis_yield();
		else
			usleep_range(DIS_NAP_US, 2 * DIS_NAP_US);
		return false;
	case KOVAN_DISRUPTOR_WAIT_SLEEPING:
		if (w->spins++ < DIS_SPINS)
			cpu_relax();
		else
			usleep_range(s->sleep_us, 2 * s->sleep_us);
		return false;
	case KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF:
		waited = dis_waited_ns(w);
		if (waited < s->spin_ns) {
			cpu_relax();
			return false;
		}
		if (waited < (u64)s->spin_ns + s->yield_ns) {
			dis_yield();
			return false;
		}
		return true;
	default:
		return true;
	}
}

/*
 * Has @s reached @target? For the cursor of multiple producers: is the
 * event @target published?
 */
static bool dis_reached(struct kovan_disruptor *d, struct kovan_dis_seq *s, s64 target)
{
	if (s == &d->cursor && d->producer == KOVAN_PRODUCER_MULTI)
		return dis_highest_published(d, target, target) == target;
	return dis_seq_read(s) >= target;
}

/* The sequence that keeps a handler from @next, or NULL when none does now. */
static struct kovan_dis_seq *dis_handler_blocker(struct kovan_dis_handler *h, s64 next)
{
	struct kovan_disruptor_stage *st = h->stage;
	struct kovan_dis_seq *s;
	unsigned int i, j;

	if (!st->ndeps)
		return dis_reached(st->d, &st->d->cursor, next) ? NULL : &st->d->cursor;
	for (i = 0; i < st->ndeps; i++)
		for (j = 0; j < st->deps[i]->nhandlers; j++) {
			s = &st->deps[i]->handlers[j]->seq;
			if (dis_seq_read(s) < next)
				return s;
		}
	return NULL;
}

/*
 * Block a handler on @s until it reaches @next or the handler is asked to
 * stop, for at most *@left jiffies with a timeout (NULL: none). DR-G: the
 * queueing, a full barrier, then the condition (prepare_to_wait_event());
 * pairs with DR-E in the mover.
 */
static void dis_handler_block(struct kovan_dis_seq *s, struct kovan_disruptor *d, s64 next,
			      long *left)
{
	if (!left)
		wait_event_idle(s->sleepers, dis_reached(d, s, next) || kthread_should_stop());
	else
		*left = wait_event_idle_timeout(s->sleepers,
						dis_reached(d, s, next) || kthread_should_stop(),
						*left);
}

/*
 * Wait until the handler may handle @next, or it is asked to stop. Returns
 * the highest event it may handle, below @next when it stops (or timed out).
 */
static s64 dis_wait_for(struct kovan_dis_handler *h, s64 next)
{
	struct kovan_disruptor_stage *st = h->stage;
	struct kovan_disruptor *d = st->d;
	struct dis_private *p = dis_priv(d);
	bool timed = p->wait.kind == KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING;
	long left = timed ? usecs_to_jiffies(p->wait.timeout_us) : 0;
	struct dis_waiter w = {};
	struct kovan_dis_seq *blocker;
	s64 avail;

	for (;;) {
		avail = dis_available(d, st->deps, st->ndeps, next);
		if (avail >= next || kthread_should_stop())
			return avail;
		if (!dis_pause(p, &w))
			continue;
		blocker = dis_handler_blocker(h, next);
		if (!blocker)
			continue;
		dis_handler_block(blocker, d, next, timed ? &left : NULL);
		if (timed && !left) {
			if (h->h.on_timeout)
				h->h.on_timeout(next - 1, h->h.ctx);
			return next - 1;
		}
	}
}

static int dis_handler_thread(void *arg)
{
	struct kovan_dis_handler *h = arg;
	struct kovan_disruptor *d = h->stage->d;
	struct dis_private *p = dis_priv(d);
	s64 next = 0, avail, seq;
	unsigned int i;
	int ret;

	if (h->h.on_start)
		h->h.on_start(h->h.ctx);
	complete(&h->started);
	for (;;) {
		avail = dis_wait_for(h, next);
		if (avail < next) {
			if (!kthread_should_stop())
				continue;
			smp_rmb(); /* DR-F: stop request, then halt_target; pairs with halt's. */
			if (next > READ_ONCE(p->halt_target))
				break;
			continue;
		}
		for (seq = next; seq <= avail; seq++) {
			ret = h->h.on_event(d->events + (seq & d->mask) * d->event_size, seq,
					    seq == avail, h->h.ctx);
			if (ret && seq < avail) {
				/* DR-B: handled events, then the sequence; see dis_seq_read(). */
				atomic64_set_release(&h->seq.value, seq);
				__kovan_disruptor_moved(d, &h->seq);
			}
		}
		/* DR-B: the handled events, then the sequence; see dis_seq_read(). */
		atomic64_set_release(&h->seq.value, avail);
		__kovan_disruptor_moved(d, &h->seq);
		if (avail - next + 1 < KOVAN_DISRUPTOR_WAIT_GATHER_BELOW)
			for (i = 0; i < p->wait.gather_spins; i++)
				cpu_relax();
		next = avail + 1;
	}
	if (h->h.on_shutdown)
		h->h.on_shutdown(h->h.ctx);
	return 0;
}

static bool dis_wait_valid(const struct kovan_disruptor_wait *w)
{
	switch (w->kind) {
	case KOVAN_DISRUPTOR_WAIT_BUSY_SPIN:
	case KOVAN_DISRUPTOR_WAIT_YIELDING:
		return w->gather_spins <= KOVAN_DISRUPTOR_WAIT_MAX_GATHER_SPINS;
	case KOVAN_DISRUPTOR_WAIT_BLOCKING:
	case KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF:
		return !w->gather_spins;
	case KOVAN_DISRUPTOR_WAIT_SLEEPING:
		return !w->gather_spins && w->sleep_us >= 1 && w->sleep_us <= USEC_PER_SEC;
	case KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING:
		return !w->gather_spins && w->timeout_us >= 1 && w->timeout_us <= INT_MAX / 1000;
	default:
		return false;
	}
}

struct kovan_disruptor *kovan_disruptor_create(const struct kovan_disruptor_config *cfg,
					       gfp_t gfp)
{
	const struct kovan_disruptor_wait *wait;
	struct kovan_disruptor *d;
	struct dis_private *p;
	unsigned int i;

	if (!cfg || !cfg->size || !is_power_of_2(cfg->size) ||
	    cfg->size > KOVAN_DISRUPTOR_MAX_SIZE || !cfg->event_size ||
	    cfg->event_size > KOVAN_DISRUPTOR_MAX_EVENT_SIZE ||
	    (cfg->producer != KOVAN_PRODUCER_SINGLE && cfg->producer != KOVAN_PRODUCER_MULTI))
		return ERR_PTR(-EINVAL);
	wait = cfg->wait ?: &kovan_disruptor_wait_blocking;
	if (!dis_wait_valid(wait))
		return ERR_PTR(-EINVAL);

	if (kovan_should_fail_alloc(gfp, sizeof(*p)))
		return ERR_PTR(-ENOMEM);
	p = kzalloc(sizeof(*p), gfp);
	if (!p)
		return ERR_PTR(-ENOMEM);
	d = &p->pub;
	if (!kovan_should_fail_alloc(gfp, array_size(cfg->size, cfg->event_size)))
		d->events = kvzalloc(array_size(cfg->size, cfg->event_size), gfp);
	if (!d->events)
		goto nomem;
	if (cfg->producer == KOVAN_PRODUCER_MULTI) {
		/* Memory target (doc/targets.md): at most four bytes per slot. */
		BUILD_BUG_ON(sizeof(*d->available) > 4);
		if (!kovan_should_fail_alloc(gfp, array_size(cfg->size, sizeof(*d->available))))
			d->available = kvmalloc_array(cfg->size, sizeof(*d->available), gfp);
		if (!d->available)
			goto nomem;
		/* No slot is on lap 0 until its first publish. */
		memset(d->available, 0xff, cfg->size * sizeof(*d->available));
	}
	dis_seq_init(&d->cursor);
	d->claimed = -1;
	d->gating_cache = -1;
	d->event_size = cfg->event_size;
	d->mask = cfg->size - 1;
	d->shift = ilog2(cfg->size);
	d->producer = cfg->producer;
	p->wait = *wait;
	d->can_block = wait->kind == KOVAN_DISRUPTOR_WAIT_BLOCKING ||
		       wait->kind == KOVAN_DISRUPTOR_WAIT_TIMEOUT_BLOCKING ||
		       wait->kind == KOVAN_DISRUPTOR_WAIT_PHASED_BACKOFF;
	INIT_LIST_HEAD(&p->stages);
	INIT_LIST_HEAD(&p->pollers);
	INIT_WORK(&p->wake_work, dis_wake_deferred);
	if (cfg->event_init)
		for (i = 0; i < cfg->size; i++)
			cfg->event_init(d->events + i * d->event_size, cfg->ctx);
	return d;
nomem:
	kvfree(d->events);
	kfree(p);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_create, KOVAN_NS);

/* The producers must not pass the handlers of stages nothing depends on, nor pollers. */
static int dis_rebuild_gating(struct dis_private *p)
{
	struct kovan_dis_seq **gating;
	struct kovan_disruptor_stage *st;
	struct kovan_disruptor_poller *pl;
	unsigned int n = 0, i;

	list_for_each_entry(st, &p->stages, node)
		n += st->has_dependents ? 0 : st->nhandlers;
	list_for_each_entry(pl, &p->pollers, node)
		n++;
	if (kovan_should_fail_alloc(GFP_KERNEL, array_size(n, sizeof(*gating))))
		return -ENOMEM;
	gating = kcalloc(n, sizeof(*gating), GFP_KERNEL);
	if (!gating)
		return -ENOMEM;
	n = 0;
	list_for_each_entry(st, &p->stages, node)
		if (!st->has_dependents)
			for (i = 0; i < st->nhandlers; i++)
				gating[n++] = &st->handlers[i]->seq;
	list_for_each_entry(pl, &p->pollers, node)
		gating[n++] = &pl->seq;
	kfree(p->gating);
	p->gating = gating;
	p->ngating = n;
	return 0;
}

static void dis_free_stage(struct kovan_disruptor_stage *st)
{
	unsigned int i;

	for (i = 0; i < st->nhandlers; i++)
		kfree(st->handlers[i]);
	kfree(st);
}

static struct kovan_disruptor_stage *
dis_add_stage(struct kovan_disruptor *d, struct kovan_disruptor_stage * const *deps,
	      unsigned int ndeps, const struct kovan_disruptor_handler *handlers,
					 unsigned int n)
{
	struct dis_private *p = dis_priv(d);
	struct kovan_disruptor_stage *st;
	bool had_dependents[KOVAN_DISRUPTOR_MAX_HANDLERS];
	unsigned int i;
	int ret;

	if (!handlers || !n || n > KOVAN_DISRUPTOR_MAX_HANDLERS ||
	    ndeps > KOVAN_DISRUPTOR_MAX_HANDLERS)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < n; i++)
		if (!handlers[i].on_event || handlers[i].cpu < -1 ||
		    (handlers[i].cpu >= 0 && ((unsigned int)handlers[i].cpu >= nr_cpu_ids ||
					      !cpu_possible(handlers[i].cpu))))
			return ERR_PTR(-EINVAL);
	for (i = 0; i < ndeps; i++)
		if (!deps[i] || deps[i]->d != d)
			return ERR_PTR(-EINVAL);
	if (p->state != KOVAN_DIS_CREATED)
		return ERR_PTR(-EBUSY);

	if (kovan_should_fail_alloc(GFP_KERNEL, sizeof(*st)))
		return ERR_PTR(-ENOMEM);
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return ERR_PTR(-ENOMEM);
	st->d = d;
	st->index = p->nstages;
	st->ndeps = ndeps;
	if (ndeps)
		memcpy(st->deps, deps, ndeps * sizeof(*deps));
	for (i = 0; i < n; i++) {
		if (!kovan_should_fail_alloc(GFP_KERNEL, sizeof(*st->handlers[i])))
			st->handlers[i] = kzalloc(sizeof(*st->handlers[i]), GFP_KERNEL);
		if (!st->handlers[i]) {
			dis_free_stage(st);
			return ERR_PTR(-ENOMEM);
		}
		st->nhandlers++;
		st->handlers[i]->h = handlers[i];
		st->handlers[i]->stage = st;
		init_completion(&st->handlers[i]->started);
		dis_seq_init(&st->handlers[i]->seq);
	}
	list_add_tail(&st->node, &p->stages);
	for (i = 0; i < ndeps; i++) {
		had_dependents[i] = deps[i]->has_dependents;
		deps[i]->has_dependents = true;
	}
	ret = dis_rebuild_gating(p);
	if (ret) {
		for (i = ndeps; i-- > 0;)
			deps[i]->has_dependents = had_dependents[i];
		list_del(&st->node);
		dis_free_stage(st);
		return ERR_PTR(ret);
	}
	p->nstages++;
	return st;
}

struct kovan_disruptor_stage *
kovan_disruptor_handle_events_with(struct kovan_disruptor *d,
				   const struct kovan_disruptor_handler *handlers, unsigned int n)
{
	if (!d)
		return ERR_PTR(-EINVAL);
	return dis_add_stage(d, NULL, 0, handlers, n);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_handle_events_with, KOVAN_NS);

struct kovan_disruptor_stage *
kovan_disruptor_then(struct kovan_disruptor_stage *after,
		     const struct kovan_disruptor_handler *handlers, unsigned int n)
{
	if (IS_ERR_OR_NULL(after))
		return ERR_PTR(-EINVAL);
	return dis_add_stage(after->d, &after, 1, handlers, n);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_then, KOVAN_NS);

struct kovan_disruptor_stage *
kovan_disruptor_after(struct kovan_disruptor_stage * const *deps, unsigned int ndeps,
		      const struct kovan_disruptor_handler *handlers, unsigned int n)
{
	unsigned int i;

	if (!deps || !ndeps || ndeps > KOVAN_DISRUPTOR_MAX_HANDLERS)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < ndeps; i++)
		if (IS_ERR_OR_NULL(deps[i]))
			return ERR_PTR(-EINVAL);
	return dis_add_stage(deps[0]->d, deps, ndeps, handlers, n);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_after, KOVAN_NS);

struct kovan_disruptor_poller *
kovan_disruptor_new_poller(struct kovan_disruptor *d, struct kovan_disruptor_stage *after)
{
	struct kovan_disruptor_poller *p;
	bool had_dependents;
	int ret;

	if (!d || IS_ERR(after) || (after && after->d != d))
		return ERR_PTR(-EINVAL);
	if (dis_priv(d)->state != KOVAN_DIS_CREATED)
		return ERR_PTR(-EBUSY);
	if (kovan_should_fail_alloc(GFP_KERNEL, sizeof(*p)))
		return ERR_PTR(-ENOMEM);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p->d = d;
	p->after = after;
	dis_seq_init(&p->seq);
	list_add_tail(&p->node, &dis_priv(d)->pollers);
	had_dependents = after && after->has_dependents;
	if (after)
		after->has_dependents = true;
	ret = dis_rebuild_gating(dis_priv(d));
	if (ret) {
		if (after)
			after->has_dependents = had_dependents;
		list_del(&p->node);
		kfree(p);
		return ERR_PTR(ret);
	}
	return p;
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_new_poller, KOVAN_NS);

unsigned int kovan_disruptor_poll(struct kovan_disruptor_poller *p,
				  bool (*fn)(void *event, s64 seq, bool end_of_batch, void *ctx),
				  void *ctx)
{
	struct kovan_disruptor *d = p->d;
	/* Only this poller's caller writes its sequence. */
	s64 next = atomic64_read(&p->seq.value) + 1, avail, seq;
	unsigned int handled = 0;

	/* One caller at a time (the contract): KCSAN reports two. */
	ASSERT_EXCLUSIVE_WRITER(p->seq.value);
	avail = dis_available(d, &p->after, p->after ? 1 : 0, next);
	for (seq = next; seq <= avail; seq++) {
		handled++;
		if (!fn(d->events + (seq & d->mask) * d->event_size, seq, seq == avail, ctx))
			break;
	}
	if (handled) {
		/* DR-B: the events' use before the poller's sequence; pairs with dis_seq_read(). */
		atomic64_set_release(&p->seq.value, next + handled - 1);
		__kovan_disruptor_moved(d, &p->seq);
	}
	return handled;
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_poll, KOVAN_NS);

int kovan_disruptor_start(struct kovan_disruptor *d)
{
	struct kovan_dis_handler *h;
	struct kovan_disruptor_stage *st;
	struct task_struct *task;
	struct dis_private *p;
	unsigned int i;
	int ret = 0;

	if (!d)
		return -EINVAL;
	p = dis_priv(d);
	if (p->state != KOVAN_DIS_CREATED)
		return -EBUSY;
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			if (st->handlers[i]->h.cpu >= 0 && !cpu_online(st->handlers[i]->h.cpu))
				return -EINVAL;
	list_for_each_entry(st, &p->stages, node) {
		for (i = 0; i < st->nhandlers; i++) {
			h = st->handlers[i];
			/* Creating a kthread allocates its task and stack. */
			if (kovan_should_fail_alloc(GFP_KERNEL, sizeof(*task)))
				task = ERR_PTR(-ENOMEM);
			else
				task = kthread_create(dis_handler_thread, h, "kovan_dis%u/%u",
						      st->index, i);
			if (IS_ERR(task)) {
				ret = PTR_ERR(task);
				goto unwind;
			}
			if (h->h.cpu >= 0)
				kthread_bind(task, h->h.cpu);
			h->task = task;
		}
	}
	p->state = KOVAN_DIS_STARTED;
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			wake_up_process(st->handlers[i]->task);
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			wait_for_completion(&st->handlers[i]->started);
	return 0;
unwind:
	/* Never woken: kthread_stop() ends them before their function runs. */
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			if (st->handlers[i]->task) {
				kthread_stop(st->handlers[i]->task);
				st->handlers[i]->task = NULL;
			}
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_start, KOVAN_NS);

/*
 * Wait for every gating sequence to reach @wrap, sleeping on one below it,
 * or for the halt: 0 or -ESHUTDOWN.
 */
static int dis_wait_room(struct dis_private *p, s64 wrap, s64 cur)
{
	struct kovan_dis_seq *blocker;
	struct dis_waiter w = {};

	for (;;) {
		if (dis_min_gating(p, cur) >= wrap)
			return 0;
		/* Set by kovan_disruptor_halt() before it wakes the queues. */
		if (READ_ONCE(p->halting))
			return -ESHUTDOWN;
		if (!dis_pause(p, &w))
			continue;
		blocker = dis_gating_below(p, wrap);
		/* DR-G, as in dis_handler_block(); halting: see dis_wake_every_queue(). */
		if (blocker)
			wait_event_idle(blocker->sleepers,
					dis_seq_read(blocker) >= wrap || READ_ONCE(p->halting));
	}
}

s64 __kovan_disruptor_claim(struct kovan_disruptor *d, unsigned int n, bool may_wait)
{
	struct dis_private *p = dis_priv(d);
	s64 cur, next, wrap, gating;
	int ret;

	if (!n || n > d->mask + 1)
		return -EINVAL;
	if (d->producer == KOVAN_PRODUCER_SINGLE) {
		/*
		 * One producer thread: KCSAN reports a second one claiming at
		 * the same time (others only read claimed, gating_cache is ours).
		 */
		ASSERT_EXCLUSIVE_WRITER(d->claimed);
		ASSERT_EXCLUSIVE_ACCESS(d->gating_cache);
		next = d->claimed + n;
		wrap = next - (d->mask + 1);
		if (wrap > d->gating_cache) {
			gating = dis_min_gating(p, d->claimed);
			if (wrap > gating) {
				if (!may_wait)
					return -EBUSY;
				ret = dis_wait_room(p, wrap, d->claimed);
				if (ret)
					return ret;
				gating = dis_min_gating(p, d->claimed);
			}
			d->gating_cache = gating;
		}
		/* Read by kovan_disruptor_publish() and _cursor() of other threads. */
		WRITE_ONCE(d->claimed, next);
		return next;
	}
	cur = atomic64_read(&d->cursor.value);	/* A guess; DR-D checks it. */
	for (;;) {
		next = cur + n;
		wrap = next - (d->mask + 1);
		/* A hint shared by the producers; DR-D orders the event writes after it. */
		gating = READ_ONCE(d->gating_cache);
		if (wrap > gating || gating > cur) {
			gating = dis_min_gating(p, cur);
			if (wrap > gating) {
				if (!may_wait)
					return -EBUSY;
				ret = dis_wait_room(p, wrap, cur);
				if (ret)
					return ret;
				gating = dis_min_gating(p, cur);
			}
			WRITE_ONCE(d->gating_cache, gating);	/* A hint; see DR-D. */
			cur = atomic64_read(&d->cursor.value);	/* A guess; DR-D checks it. */
			continue;
		}
		/* DR-D: fully ordered; the claim's event writes come after the room check. */
		if (atomic64_try_cmpxchg(&d->cursor.value, &cur, next))
			return next;
	}
}
EXPORT_SYMBOL_NS_GPL(__kovan_disruptor_claim, KOVAN_NS);

int __kovan_disruptor_publish_unclaimed(struct kovan_disruptor *d, s64 lo, s64 hi)
{
	WARN_ONCE(1, "kovan_disruptor: publish of [%lld, %lld], not claimed\n", lo, hi);
	return -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(__kovan_disruptor_publish_unclaimed, KOVAN_NS);

int kovan_disruptor_publish_event(struct kovan_disruptor *d,
				  void (*fill)(void *event, s64 seq, void *arg), void *arg)
{
	s64 seq = kovan_disruptor_next(d, 1);

	if (seq < 0)
		return seq;
	fill(kovan_disruptor_get(d, seq), seq, arg);
	return kovan_disruptor_publish(d, seq, seq);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_publish_event, KOVAN_NS);

/* The highest event published with nothing unpublished before it. */
static s64 dis_published(struct kovan_disruptor *d)
{
	/* Pairs with DR-A or DR-D. */
	s64 cursor = atomic64_read_acquire(&d->cursor.value), low;

	if (d->producer == KOVAN_PRODUCER_SINGLE)
		return cursor;
	/* Every handler and poller is past what the ring no longer holds. */
	low = max(dis_min_gating(dis_priv(d), cursor), cursor - d->mask - 1);
	return dis_highest_published(d, low + 1, cursor);
}

void kovan_disruptor_halt(struct kovan_disruptor *d)
{
	struct kovan_disruptor_stage *st;
	struct dis_private *p;
	unsigned int i;
	s64 target;

	if (!d || dis_priv(d)->state != KOVAN_DIS_STARTED)
		return;
	p = dis_priv(d);
	target = dis_published(d);
	WRITE_ONCE(p->halt_target, target);	/* Read by the stopped handlers. */
	WRITE_ONCE(p->halting, true);	/* Read by producers waiting for room; see DR-E. */
	smp_wmb(); /* DR-F: halt_target before the stop requests; pairs with DR-F in the handler. */
	/* Producers blocked for room, wherever they sleep. */
	dis_wake_every_queue(p);
	list_for_each_entry(st, &p->stages, node)
		for (i = 0; i < st->nhandlers; i++)
			kthread_stop(st->handlers[i]->task);
	p->state = KOVAN_DIS_HALTED;
	trace_kovan_disruptor_halt(d, target);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_halt, KOVAN_NS);

void kovan_disruptor_destroy(struct kovan_disruptor *d)
{
	struct kovan_disruptor_stage *st, *st_next;
	struct kovan_disruptor_poller *pl, *pl_next;
	struct dis_private *p;

	if (!d)
		return;
	p = dis_priv(d);
	kovan_disruptor_halt(d);
	cancel_work_sync(&p->wake_work);	/* Halted: nobody waits any more. */
	list_for_each_entry_safe(st, st_next, &p->stages, node)
		dis_free_stage(st);
	list_for_each_entry_safe(pl, pl_next, &p->pollers, node)
		kfree(pl);
	kfree(p->gating);
	kvfree(d->available);
	kvfree(d->events);
	kfree(p);
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_destroy, KOVAN_NS);

s64 kovan_disruptor_cursor(struct kovan_disruptor *d)
{
	if (d->producer == KOVAN_PRODUCER_SINGLE)
		return READ_ONCE(d->claimed);	/* The producer's, written with WRITE_ONCE(). */
	return atomic64_read(&d->cursor.value);	/* A snapshot; orders nothing. */
}
EXPORT_SYMBOL_NS_GPL(kovan_disruptor_cursor, KOVAN_NS);
