// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_torture: rcutorture-style stress of kovan, its queues and the
 * Disruptor, all running at once, with invariants checked as it goes.
 *
 * Loading the module starts the run and returns; a control thread ends it
 * after @duration seconds (or at rmmod), prints one harness line per
 * invariant ("kovan-harness: ok torture: ..." or "not ok") and a verdict
 * line "kovan-torture: end: PASS|FAIL" with the counts.
 *
 * Threads:
 *  - readers: pin a plain or a robust domain (also %KOVAN_FENCELESS unless
 *    @fenceless is 0), load one of TORT_SLOTS shared pointers, check the
 *    object is live, sometimes spin or sleep inside the guard (readers may
 *    sleep and migrate), check again, unpin. Each reader also arms an
 *    hrtimer that does the same in hardirq context, nesting inside whatever
 *    read-side section its CPU is in.
 *  - stalled readers: hold a guard for @stall_ms at a time, robust and
 *    plain domains in turn.
 *  - updaters: replace a shared pointer with a new object and retire the old
 *    one; now and then kovan_synchronize() or kovan_barrier().
 *  - ArrayQueue and SegQueue producers and consumers (@nproducers and
 *    @nconsumers each), single and bulk calls.
 *  - Disruptor: @nproducers threads publish into a multi-producer ring
 *    handled by a diamond (two parallel handlers, then one after both); every
 *    generation (two seconds) halts, checks and rebuilds it with the next
 *    wait strategy.
 *  - churn: creates, uses and destroys domains, queues and disruptors, so
 *    that injected allocation failures reach every allocation site.
 *
 * kernel/torture.c (<linux/torture.h>) runs the threads, and its own:
 *  - hotplug (@onoff_interval ms, 0: off): offlines and onlines random CPUs;
 *  - stutter (@stutter s, 0: off): every @stutter seconds, pauses the
 *    threads above for @stutter seconds, so that kovan goes from load to
 *    idle and back (pending retirements drain, timers stop and restart);
 *  - shuffle (@shuffle_interval s, 0: off): keeps the threads off one CPU
 *    at a time, each in turn, so that every CPU goes idle now and then.
 *
 * Allocation failures come from kovan's own fault attribute,
 * /sys/kernel/debug/kovan/fail_alloc/ (CONFIG_KOVAN_FAULT_INJECTION;
 * make torture sets its probability). Every -ENOMEM is retried or counted;
 * any other error code is a failure.
 *
 * Invariants:
 *  - no reader finds a freed object (poison, generation change);
 *  - no object is freed while a reader holds it (each object counts its
 *    readers; the free function checks the count is zero);
 *  - after kovan_barrier(), every retired object was freed once;
 *  - every queue item is delivered exactly once, per-producer FIFO: count,
 *    sum and sum of squares of each producer's sequence numbers match, and
 *    each consumer sees each producer's numbers increase. A loss and a
 *    duplicate change the sum, two of each change the sum of squares;
 *  - every Disruptor handler sees every published event once, in order, and
 *    the handler after the parallel pair sees both of their marks;
 *  - churn: failures leave the structure usable, or nothing behind;
 *  - progress: no thread goes @stall_timeout seconds without progress, on
 *    top of one stutter pause.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/torture.h>

#include <kovan/kovan.h>
#include <kovan/arrayq.h>
#include <kovan/disruptor.h>
#include <kovan/segq.h>

MODULE_IMPORT_NS(KOVAN_NS);

torture_param(uint, duration, 30, "seconds to run (default 30)");
torture_param(int, nreaders, -1, "reader threads (default -1: one per online CPU)");
torture_param(uint, nupdaters, 2, "updater threads (default 2)");
torture_param(uint, nstalls, 1, "stalled reader threads (default 1)");
torture_param(uint, stall_ms, 400, "how long a stalled reader holds its guard (default 400)");
torture_param(uint, nproducers, 2, "producers per queue and Disruptor, 1..8 (default 2)");
torture_param(uint, nconsumers, 2, "consumers per queue, 1..8 (default 2)");
torture_param(uint, irq_reader_us, 1000,
	      "period of each reader's hardirq read-side section, 0: none (default 1000)");
torture_param(bool, fenceless, true, "the robust domain is KOVAN_FENCELESS too (default 1)");
torture_param(uint, onoff_interval, 0,
	      "milliseconds between CPU hotplug operations, 0: none (default 0)");
torture_param(uint, stutter, 5,
	      "seconds to run, then to pause, the threads; 0: no pauses (default 5)");
torture_param(uint, shuffle_interval, 3,
	      "seconds between moves of the threads off a CPU, 0: none; 0 with isolated_cpu (default 3)");
torture_param(uint, stall_timeout, 60, "seconds a thread may go without progress (default 60)");
torture_param(int, isolated_cpu, -1,
	      "a CPU no torture thread runs on (nohz_full=, isolcpus=; no hotplug, no shuffle), checked to take no kovan timer, IPI or reclaim run; -1: none (default -1)");
static char *inject = "";
module_param(inject, charp, 0444);
MODULE_PARM_DESC(inject,
		 "deliberate bugs for the harness self-test, comma-separated: race, early_free, lose, stall");

/* Deliberate bugs: make torture's self-test proves each one is reported. */
static bool inject_race, inject_early_free, inject_lose, inject_stall;
/* inject=race: readers increment this without any annotation. */
static unsigned long tort_racy_counter;
/* inject=early_free: objects an updater freed while a reader held them. */
static atomic_t tort_early_frees = ATOMIC_INIT(0);

#define TORT_MAX_QTHREADS	8
#define TORT_SLOTS		16
#define TORT_ALIVE		0x6b6f76616e4f4bUL	/* "kovanOK" */
#define TORT_FREED		0x6b6f76616e2121UL	/* "kovan!!" */
#define TORT_GENERATION_MS	2000

enum tort_check {
	TORT_READ_LIVE,
	TORT_FREE_UNREAD,
	TORT_BALANCE,
	TORT_ARRAYQ,
	TORT_SEGQ,
	TORT_DISRUPTOR,
	TORT_CHURN,
	TORT_PROGRESS,
	TORT_NCHECKS
};

static const char * const tort_check_names[TORT_NCHECKS] = {
	[TORT_READ_LIVE] = "readers never found a freed object",
	[TORT_FREE_UNREAD] = "no object was freed while a reader held it",
	[TORT_BALANCE] = "every retired object was freed once after kovan_barrier()",
	[TORT_ARRAYQ] = "ArrayQueue delivered every item once, per-producer FIFO",
	[TORT_SEGQ] = "SegQueue delivered every item once, per-producer FIFO",
	[TORT_DISRUPTOR] = "every Disruptor handler saw every event once, in order",
	[TORT_CHURN] = "create/use/destroy cycles survived injected allocation failures",
	[TORT_PROGRESS] = "no thread went stall_timeout without progress",
};

static atomic_t tort_errors[TORT_NCHECKS];
static atomic_t tort_error_lines = ATOMIC_INIT(0);

static __printf(2, 3) void tort_fail(enum tort_check check, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_inc(&tort_errors[check]);
	if (atomic_inc_return(&tort_error_lines) > 20)
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("kovan-torture: error: %pV\n", &vaf);
	va_end(args);
}

/* ---- reclamation ---- */

struct tort_obj {
	unsigned long magic;
	unsigned long gen;
	atomic_t readers;
	struct tort_domain *td;
	struct kovan_node node;
};

struct tort_domain {
	struct kovan_domain dom;
	struct tort_obj __kovan *slot[TORT_SLOTS];
	atomic_long_t retired;
	atomic_long_t freed;
	atomic_long_t max_pending;
	const char *name;
};

static struct tort_domain tort_dom[2];	/* plain, robust */
static atomic_long_t tort_gen = ATOMIC_LONG_INIT(0);
static atomic_long_t tort_reads = ATOMIC_LONG_INIT(0);
static atomic_long_t tort_irq_reads = ATOMIC_LONG_INIT(0);
static atomic_long_t tort_obj_nomem = ATOMIC_LONG_INIT(0);

static void tort_free(struct kovan_node *n)
{
	struct tort_obj *o = container_of(n, struct tort_obj, node);
	int readers = atomic_read(&o->readers);

	if (readers)
		tort_fail(TORT_FREE_UNREAD, "%s: object %lu freed with %d reader(s) holding it",
			  o->td->name, o->gen, readers);
	if (o->magic != TORT_ALIVE)
		tort_fail(TORT_FREE_UNREAD, "%s: object %lu freed twice", o->td->name, o->gen);
	/* Readers that still find it (a premature free) see the poison. */
	WRITE_ONCE(o->magic, TORT_FREED);
	atomic_long_inc(&o->td->freed);
	kfree(o);
}

/* One read-side section; sleeps only when @may_sleep. */
static void tort_read(struct tort_domain *td, u32 r, bool may_sleep)
{
	struct kovan_guard g;
	struct tort_obj *o;
	unsigned long gen;

	kovan_pin(&td->dom, &g);
	o = kovan_load(&td->slot[r % TORT_SLOTS], &g);
	if (o) {
		atomic_inc(&o->readers);
		/* Plain reads: a free racing with them is the bug KCSAN should name. */
		gen = o->gen;
		if (o->magic != TORT_ALIVE)
			tort_fail(TORT_READ_LIVE, "%s: reader loaded a freed object", td->name);
		if (!(r & 0xf00))
			udelay(r & 15);
		if (may_sleep && (r & 0xff000) == 0x1000)
			usleep_range(50, 100);
		if (o->magic != TORT_ALIVE || o->gen != gen)
			tort_fail(TORT_READ_LIVE, "%s: object %lu freed under a reader",
				  td->name, gen);
		atomic_dec(&o->readers);
	}
	kovan_unpin(&g);
}

static void tort_note_pending(struct tort_domain *td)
{
	struct kovan_stats s;
	long cur;

	kovan_domain_stats(&td->dom, &s);
	cur = atomic_long_read(&td->max_pending);
	while ((long)s.pending > cur &&
	       !atomic_long_try_cmpxchg(&td->max_pending, &cur, s.pending))
		;
}

/* ---- threads ---- */

struct tort_thread {
	struct task_struct *task;
	const char *kind;
	unsigned int index;
	unsigned long progress;		/* jiffies of the last progress */
	bool stalled;			/* reported by the watchdog */
	struct rnd_state rnd;
	struct hrtimer timer;		/* readers: the hardirq reader */
	struct rnd_state timer_rnd;
	unsigned long ops;
	void *ctx;
};

static void tort_progress(struct tort_thread *t)
{
	WRITE_ONCE(t->progress, jiffies);	/* Read by the watchdog; no ordering. */
}

/*
 * A producer facing a full queue or a consumer facing an empty one: spin,
 * but now and then sleep, so that spinning threads do not starve the
 * kworkers and the load/unload loop on a small machine.
 */
static void tort_backoff(unsigned int *misses)
{
	if (++*misses % 32)
		cond_resched();
	else
		usleep_range(20, 50);
}

static ktime_t tort_irq_period(void)
{
	return ns_to_ktime((u64)irq_reader_us * NSEC_PER_USEC);
}

static enum hrtimer_restart tort_irq_reader(struct hrtimer *timer)
{
	struct tort_thread *t = container_of(timer, struct tort_thread, timer);
	u32 r = prandom_u32_state(&t->timer_rnd);

	tort_read(&tort_dom[r & 1], r >> 1, false);
	atomic_long_inc(&tort_irq_reads);
	hrtimer_forward_now(timer, tort_irq_period());
	return HRTIMER_RESTART;
}

/*
 * inject=race: many plain read-modify-writes in a row, so that KCSAN's
 * sampled watchpoints land on the counter while another reader writes it.
 */
static void tort_race(void)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		tort_racy_counter++;
		barrier();	/* One load and one store per round, not one add of 256. */
	}
}

static int tort_reader(void *arg)
{
	struct tort_thread *t = arg;
	u32 r;

	if (irq_reader_us) {
		kovan_hrtimer_setup(&t->timer, tort_irq_reader, CLOCK_MONOTONIC,
				    HRTIMER_MODE_REL_HARD);
		hrtimer_start(&t->timer, tort_irq_period(), HRTIMER_MODE_REL_HARD);
	}
	while (!torture_must_stop()) {
		r = prandom_u32_state(&t->rnd);
		tort_read(&tort_dom[r & 1], r >> 1, true);
		if (inject_race)
			tort_race();
		t->ops++;
		tort_progress(t);
		stutter_wait("tort_reader");
	}
	if (irq_reader_us)
		hrtimer_cancel(&t->timer);
	atomic_long_add(t->ops, &tort_reads);
	torture_kthread_stopping("tort_reader");
	return 0;
}

static int tort_stall(void *arg)
{
	struct tort_thread *t = arg;
	struct tort_domain *td;
	struct kovan_guard g;
	struct tort_obj *o;

	while (!torture_must_stop()) {
		/* Mostly robust: the domain whose memory must stay bounded. */
		td = &tort_dom[t->ops % 4 ? 1 : 0];
		kovan_pin(&td->dom, &g);
		o = kovan_load(&td->slot[t->ops % TORT_SLOTS], &g);
		if (o)
			atomic_inc(&o->readers);
		msleep(stall_ms);
		if (inject_stall && !t->ops)
			ssleep(stall_timeout + stutter + 2);
		if (o) {
			if (o->magic != TORT_ALIVE)
				tort_fail(TORT_READ_LIVE, "%s: object freed under a stalled reader",
					  td->name);
			atomic_dec(&o->readers);
		}
		kovan_unpin(&g);
		t->ops++;
		tort_progress(t);
		msleep(stall_ms / 4);
		stutter_wait("tort_stall");
	}
	torture_kthread_stopping("tort_stall");
	return 0;
}

static int tort_updater(void *arg)
{
	struct tort_thread *t = arg;
	struct tort_domain *td;
	struct tort_obj *o, *old;
	u32 r;

	while (!torture_must_stop()) {
		r = prandom_u32_state(&t->rnd);
		td = &tort_dom[r & 1];
		o = kmalloc(sizeof(*o), GFP_KERNEL);
		if (!o) {
			atomic_long_inc(&tort_obj_nomem);
			continue;
		}
		o->magic = TORT_ALIVE;
		o->gen = atomic_long_inc_return(&tort_gen);
		atomic_set(&o->readers, 0);
		o->td = td;
		kovan_node_init(&td->dom, &o->node);
		/* Fully ordered: o's initialisation before it is reachable. */
		old = kovan_replace_pointer(&td->slot[(r >> 1) % TORT_SLOTS], o);
		if (old) {
			atomic_long_inc(&td->retired);
			/* A few, so that the corruption they cause stays small. */
			if (inject_early_free && atomic_read(&old->readers) &&
			    atomic_inc_return(&tort_early_frees) <= 16)
				tort_free(&old->node);
			else
				kovan_retire(&td->dom, &old->node, tort_free);
		}
		/* Rare: both wait out the stalled reader, which is pinned most of the time. */
		if ((r >> 8) % 16384 == 0)
			kovan_synchronize(&td->dom);
		else if ((r >> 8) % 16384 == 1)
			kovan_barrier(&td->dom);
		if (++t->ops % 64 == 0)
			tort_note_pending(td);
		tort_progress(t);
		stutter_wait("tort_updater");
	}
	torture_kthread_stopping("tort_updater");
	return 0;
}

/* ---- queues ---- */

struct tort_queue;

struct tort_queue_ops {
	int (*push)(struct tort_queue *q, void *item);
	void *(*pop)(struct tort_queue *q);
	unsigned int (*push_bulk)(struct tort_queue *q, void * const *items, unsigned int n);
	unsigned int (*pop_bulk)(struct tort_queue *q, void **items, unsigned int n);
};

/* What one producer sent, or what the consumers received from it. */
struct tort_tally {
	u64 count, sum, squares;
};

struct tort_queue {
	const char *name;
	enum tort_check check;
	const struct tort_queue_ops *ops;
	struct kovan_arrayq *aq;
	struct kovan_segq *sq;
	struct tort_tally sent[TORT_MAX_QTHREADS];
	struct tort_tally received[TORT_MAX_QTHREADS];
	spinlock_t lock;		/* received, at consumer exit */
	atomic_long_t retries;		/* -ENOSPC or -ENOMEM, retried */
	bool producers_done;		/* consumers drain, then stop */
};

static struct tort_queue tort_arrayq = { .name = "ArrayQueue", .check = TORT_ARRAYQ };
static struct tort_queue tort_segq = { .name = "SegQueue", .check = TORT_SEGQ };

/* Items: producer + 1 in bits 63..40, sequence number below; never NULL. */
static void *tort_item(unsigned int producer, u64 seq)
{
	return (void *)(((unsigned long)(producer + 1) << 40) | seq);
}

static int tort_aq_push(struct tort_queue *q, void *item)
{
	return kovan_arrayq_push(q->aq, item);
}

static void *tort_aq_pop(struct tort_queue *q)
{
	return kovan_arrayq_pop(q->aq);
}

static unsigned int tort_aq_push_bulk(struct tort_queue *q, void * const *items, unsigned int n)
{
	return kovan_arrayq_push_bulk(q->aq, items, n);
}

static unsigned int tort_aq_pop_bulk(struct tort_queue *q, void **items, unsigned int n)
{
	return kovan_arrayq_pop_bulk(q->aq, items, n);
}

static int tort_sq_push(struct tort_queue *q, void *item)
{
	return kovan_segq_push(q->sq, item, GFP_KERNEL);
}

static void *tort_sq_pop(struct tort_queue *q)
{
	return kovan_segq_pop(q->sq);
}

static const struct tort_queue_ops tort_aq_ops = {
	.push = tort_aq_push,
	.pop = tort_aq_pop,
	.push_bulk = tort_aq_push_bulk,
	.pop_bulk = tort_aq_pop_bulk,
};

static const struct tort_queue_ops tort_sq_ops = {
	.push = tort_sq_push,
	.pop = tort_sq_pop,
};

static void tort_tally_add(struct tort_tally *t, u64 seq)
{
	t->count++;
	t->sum += seq;
	t->squares += seq * seq;
}

static int tort_producer(void *arg)
{
	struct tort_thread *t = arg;
	struct tort_queue *q = t->ctx;
	struct tort_tally *sent = &q->sent[t->index];
	unsigned int n, i, done, misses = 0;
	void *items[8];
	u64 seq = 0;
	int ret;

	while (!torture_must_stop()) {
		n = q->ops->push_bulk && !(prandom_u32_state(&t->rnd) & 7) ? 8 : 1;
		for (i = 0; i < n; i++)
			items[i] = tort_item(t->index, seq + i);
		if (n > 1) {
			done = q->ops->push_bulk(q, items, n);
		} else {
			ret = q->ops->push(q, items[0]);
			if (ret && ret != -ENOSPC && ret != -ENOMEM)
				tort_fail(q->check, "%s: push returned %d", q->name, ret);
			done = !ret;
		}
		for (i = 0; i < done; i++)
			tort_tally_add(sent, seq + i);
		seq += done;
		if (done) {
			tort_progress(t);
			misses = 0;
		} else {
			atomic_long_inc(&q->retries);
			tort_backoff(&misses);
		}
		stutter_wait("tort_producer");
	}
	torture_kthread_stopping("tort_producer");
	return 0;
}

/* Check one item against @last (per producer) and count it. */
static void tort_receive(struct tort_queue *q, struct tort_tally *got, u64 *last, void *item)
{
	unsigned long v = (unsigned long)item;
	unsigned int p = (v >> 40) - 1;
	u64 seq = v & (BIT_ULL(40) - 1);

	if (p >= nproducers) {
		tort_fail(q->check, "%s: popped a foreign item %lx", q->name, v);
		return;
	}
	if (inject_lose && seq % 1000 == 999)
		return;
	if (last[p] != U64_MAX && seq <= last[p])
		tort_fail(q->check, "%s: producer %u's item %llu after %llu (duplicate or reorder)",
			  q->name, p, seq, last[p]);
	last[p] = seq;
	tort_tally_add(&got[p], seq);
}

static int tort_consumer(void *arg)
{
	struct tort_thread *t = arg;
	struct tort_queue *q = t->ctx;
	struct tort_tally got[TORT_MAX_QTHREADS] = {};
	u64 last[TORT_MAX_QTHREADS];
	unsigned int n, i, misses = 0;
	void *items[8];
	bool done;

	for (i = 0; i < TORT_MAX_QTHREADS; i++)
		last[i] = U64_MAX;
	for (;;) {
		/*
		 * Pairs with the release in tort_finish(): every push came before
		 * it, so an empty pop after seeing it means the queue is drained.
		 */
		done = smp_load_acquire(&q->producers_done);
		if (q->ops->pop_bulk && !(prandom_u32_state(&t->rnd) & 7)) {
			n = q->ops->pop_bulk(q, items, ARRAY_SIZE(items));
		} else {
			items[0] = q->ops->pop(q);
			n = !!items[0];
		}
		for (i = 0; i < n; i++)
			tort_receive(q, got, last, items[i]);
		tort_progress(t);
		if (n) {
			misses = 0;
		} else {
			if (done)
				break;
			tort_backoff(&misses);
		}
		/* Draining at the end does not wait out a pause. */
		if (!done)
			stutter_wait("tort_consumer");
	}
	spin_lock(&q->lock);
	for (i = 0; i < nproducers; i++) {
		q->received[i].count += got[i].count;
		q->received[i].sum += got[i].sum;
		q->received[i].squares += got[i].squares;
	}
	spin_unlock(&q->lock);
	torture_kthread_stopping("tort_consumer");
	return 0;
}

/* Called once every producer thread has stopped. */
static void tort_producers_done(void)
{
	/* Pairs with the acquire in tort_consumer(). */
	smp_store_release(&tort_arrayq.producers_done, true);
	/* Pairs with the acquire in tort_consumer(). */
	smp_store_release(&tort_segq.producers_done, true);
}

static void tort_queue_verify(struct tort_queue *q)
{
	struct tort_tally *s, *r;
	unsigned int i;

	for (i = 0; i < nproducers; i++) {
		s = &q->sent[i];
		r = &q->received[i];
		if (s->count != r->count || s->sum != r->sum || s->squares != r->squares)
			tort_fail(q->check, "%s: producer %u sent %llu items, consumers got %llu%s",
				  q->name, i, s->count, r->count,
				  s->count == r->count ? " with different sequence numbers" : "");
	}
}

static u64 tort_queue_items(struct tort_queue *q)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < nproducers; i++)
		n += q->received[i].count;
	return n;
}

/* ---- Disruptor ---- */

struct tort_event {
	u32 producer;
	u32 pseq;
	u8 mark[2];	/* set by the two parallel handlers */
};

struct tort_handler {
	s64 next_seq;
	u32 last_pseq[TORT_MAX_QTHREADS];
	bool seen[TORT_MAX_QTHREADS];
	u64 events;
	unsigned int index;	/* 0, 1: parallel pair; 2: after both */
};

static const struct kovan_disruptor_wait * const tort_waits[] = {
	&kovan_disruptor_wait_blocking, &kovan_disruptor_wait_busy_spin,
	&kovan_disruptor_wait_yielding, &kovan_disruptor_wait_sleeping,
	&kovan_disruptor_wait_timeout_blocking, &kovan_disruptor_wait_phased_backoff,
};

static atomic_long_t tort_dis_events = ATOMIC_LONG_INIT(0);
static atomic_long_t tort_dis_generations = ATOMIC_LONG_INIT(0);

static int tort_dis_on_event(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct tort_handler *h = ctx;
	struct tort_event *e = event;
	u32 p = e->producer;

	if (seq != h->next_seq)
		tort_fail(TORT_DISRUPTOR, "handler %u: sequence %lld, expected %lld",
			  h->index, seq, h->next_seq);
	h->next_seq = seq + 1;
	if (p >= nproducers) {
		tort_fail(TORT_DISRUPTOR, "handler %u: event from producer %u", h->index, p);
		return 0;
	}
	if (h->seen[p] && e->pseq != h->last_pseq[p] + 1)
		tort_fail(TORT_DISRUPTOR, "handler %u: producer %u's event %u after %u",
			  h->index, p, e->pseq, h->last_pseq[p]);
	h->seen[p] = true;
	h->last_pseq[p] = e->pseq;
	h->events++;
	if (h->index < 2)
		e->mark[h->index] = 1;
	else if (!e->mark[0] || !e->mark[1])
		tort_fail(TORT_DISRUPTOR, "event %lld reached the last stage before the pair",
			  seq);
	return 0;
}

struct tort_dis_producer {
	struct tort_thread *t;
	struct kovan_disruptor *d;
	unsigned long deadline;
	u32 published;
};

static int tort_dis_producer_fn(void *arg)
{
	struct tort_dis_producer *dp = arg;
	struct tort_thread *t = dp->t;
	struct tort_event *e;
	unsigned int n, i;
	s64 hi;

	while (!torture_must_stop() && time_before(jiffies, dp->deadline)) {
		n = 1 + (prandom_u32_state(&t->rnd) & 3);
		hi = n == 1 && (t->ops & 1) ? kovan_disruptor_try_next(dp->d, 1) :
		     kovan_disruptor_next(dp->d, n);
		if (hi == -EBUSY) {
			cond_resched();
			continue;
		}
		if (hi < 0) {
			tort_fail(TORT_DISRUPTOR, "claim returned %lld", hi);
			break;
		}
		for (i = 0; i < n; i++) {
			e = kovan_disruptor_get(dp->d, hi - n + 1 + i);
			e->producer = t->index;
			e->pseq = dp->published++;
			e->mark[0] = 0;
			e->mark[1] = 0;
		}
		if (kovan_disruptor_publish(dp->d, hi - n + 1, hi))
			tort_fail(TORT_DISRUPTOR, "publish of a claimed range refused");
		t->ops++;
		tort_progress(t);
		stutter_wait("tort_dis_producer_fn");
	}
	torture_kthread_stopping("tort_dis_producer_fn");
	return 0;
}

static struct tort_thread tort_dis_producers[TORT_MAX_QTHREADS];

/* One generation: build, run for TORT_GENERATION_MS, halt, check, destroy. */
static int tort_dis_generation(unsigned int gen, struct tort_thread *ctl)
{
	const struct kovan_disruptor_config cfg = {
		.size = 64,
		.event_size = sizeof(struct tort_event),
		.producer = KOVAN_PRODUCER_MULTI,
		.wait = tort_waits[gen % ARRAY_SIZE(tort_waits)],
	};
	struct tort_dis_producer dp[TORT_MAX_QTHREADS] = {};
	struct tort_handler hs[3] = {};
	struct kovan_disruptor_handler eh[3] = {};
	struct kovan_disruptor_stage *pair, *last;
	struct kovan_disruptor *d;
	u64 published = 0;
	unsigned int i;
	int ret = 0;

	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (IS_ERR(d))
		return PTR_ERR(d);
	for (i = 0; i < 3; i++) {
		hs[i].index = i;
		eh[i].on_event = tort_dis_on_event;
		eh[i].ctx = &hs[i];
		eh[i].cpu = -1;
	}
	pair = kovan_disruptor_handle_events_with(d, eh, 2);
	if (IS_ERR(pair)) {
		ret = PTR_ERR(pair);
		goto out;
	}
	last = kovan_disruptor_then(pair, &eh[2], 1);
	if (IS_ERR(last)) {
		ret = PTR_ERR(last);
		goto out;
	}
	ret = kovan_disruptor_start(d);
	if (ret)
		goto out;
	for (i = 0; i < nproducers; i++) {
		dp[i].t = &tort_dis_producers[i];
		dp[i].t->index = i;
		dp[i].d = d;
		dp[i].deadline = jiffies + msecs_to_jiffies(TORT_GENERATION_MS);
		dp[i].t->progress = jiffies;
		/*
		 * Not torture_create_kthread(): the shuffler would keep this
		 * task, which ends with its generation, until the run ends.
		 */
		dp[i].t->task = kthread_run(tort_dis_producer_fn, &dp[i], "kovan_tort_dp%u", i);
		if (IS_ERR(dp[i].t->task)) {
			dp[i].t->task = NULL;
			break;
		}
	}
	/* The producers' progress is the generation's progress. */
	while (time_before(jiffies, dp[0].deadline) && !torture_must_stop()) {
		msleep(100);
		for (i = 0; i < nproducers; i++)
			if (time_after(READ_ONCE(dp[i].t->progress), READ_ONCE(ctl->progress)))
				tort_progress(ctl);
	}
	for (i = 0; i < nproducers; i++) {
		if (!dp[i].t || !dp[i].t->task)
			continue;
		torture_stop_kthread(tort_dis_producer_fn, dp[i].t->task);
		published += dp[i].published;
		tort_progress(ctl);
	}
	kovan_disruptor_halt(d);
	for (i = 0; i < 3; i++)
		if (hs[i].events != published)
			tort_fail(TORT_DISRUPTOR, "%s: handler %u saw %llu of %llu events",
				  cfg.wait == &kovan_disruptor_wait_blocking ?
				  "blocking" : "generation",
				  i, hs[i].events, published);
	atomic_long_add(published, &tort_dis_events);
	atomic_long_inc(&tort_dis_generations);
out:
	kovan_disruptor_destroy(d);
	return ret;
}

static atomic_long_t tort_dis_nomem = ATOMIC_LONG_INIT(0);

static int tort_dis(void *arg)
{
	struct tort_thread *t = arg;
	unsigned int gen = 0;
	int ret;

	while (!torture_must_stop()) {
		ret = tort_dis_generation(gen, t);
		if (ret == -ENOMEM) {
			atomic_long_inc(&tort_dis_nomem);
			usleep_range(1000, 2000);
			continue;
		}
		if (ret)
			tort_fail(TORT_DISRUPTOR, "generation %u: error %d", gen, ret);
		gen++;
		tort_progress(t);
		stutter_wait("tort_dis");
	}
	torture_kthread_stopping("tort_dis");
	return 0;
}

/* ---- churn: create, use, destroy, with failures ---- */

enum tort_site {
	TORT_SITE_DOMAIN,
	TORT_SITE_ARRAYQ,
	TORT_SITE_SEGQ,
	TORT_SITE_SEGQ_PUSH,
	TORT_SITE_DISRUPTOR,
	TORT_NSITES
};

static const char * const tort_site_names[TORT_NSITES] = {
	"domain_init", "arrayq_create", "segq_create", "segq_push", "disruptor",
};

static atomic_long_t tort_site_ok[TORT_NSITES];
static atomic_long_t tort_site_nomem[TORT_NSITES];

/* Count @ret for @site; false (and a failure for other errors) unless 0. */
static bool tort_site(enum tort_site site, int ret)
{
	if (!ret) {
		atomic_long_inc(&tort_site_ok[site]);
		return true;
	}
	if (ret == -ENOMEM)
		atomic_long_inc(&tort_site_nomem[site]);
	else
		tort_fail(TORT_CHURN, "%s returned %d", tort_site_names[site], ret);
	return false;
}

static unsigned long tort_dtor_count;

static void tort_count_dtor(void *item)
{
	tort_dtor_count++;
}

static void tort_churn_domain(u32 r)
{
	struct kovan_domain dom;
	struct kovan_guard g;
	struct tort_obj *o;

	if (!tort_site(TORT_SITE_DOMAIN, kovan_domain_init(&dom, r & 1 ? KOVAN_ROBUST : 0)))
		return;
	kovan_pin(&dom, &g);
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (o) {
		kovan_node_init(&dom, &o->node);
		kovan_retire_kfree(&dom, o, node);
	}
	kovan_unpin(&g);
	kovan_domain_destroy(&dom);
}

static void tort_churn_arrayq(u32 r)
{
	unsigned int cap = 1 + r % 100, i, n = 1 + (r >> 8) % (cap + 1);
	struct kovan_arrayq *q = kovan_arrayq_create(cap, GFP_KERNEL);
	unsigned long v;

	if (!tort_site(TORT_SITE_ARRAYQ, PTR_ERR_OR_ZERO(q)))
		return;
	for (i = 0; i < n; i++)
		if (kovan_arrayq_push(q, tort_item(0, i)) != (i < cap ? 0 : -ENOSPC))
			tort_fail(TORT_CHURN, "ArrayQueue of %u: push %u wrong", cap, i);
	for (i = 0; i < min(n, cap) / 2; i++) {
		v = (unsigned long)kovan_arrayq_pop(q);
		if (v != (unsigned long)tort_item(0, i))
			tort_fail(TORT_CHURN, "ArrayQueue of %u: pop %u got %lx", cap, i, v);
	}
	tort_dtor_count = 0;
	kovan_arrayq_destroy(q, tort_count_dtor);
	if (tort_dtor_count != min(n, cap) - min(n, cap) / 2)
		tort_fail(TORT_CHURN, "ArrayQueue destroy: %lu items to the destructor",
			  tort_dtor_count);
}

static void tort_churn_segq(u32 r)
{
	struct kovan_segq *q;
	unsigned int i, n = 1 + r % 100;
	u64 pushed = 0, popped = 0;
	unsigned long v;
	int ret;

	q = kovan_segq_create(r & 1 ? &tort_dom[1].dom : NULL, GFP_KERNEL);
	if (!tort_site(TORT_SITE_SEGQ, PTR_ERR_OR_ZERO(q)))
		return;
	for (i = 0; i < n; i++) {
		ret = kovan_segq_push(q, tort_item(0, pushed), GFP_KERNEL);
		if (tort_site(TORT_SITE_SEGQ_PUSH, ret))
			pushed++;
		if (kovan_segq_len(q) != pushed - popped)
			tort_fail(TORT_CHURN,
				  "SegQueue: length %lu after %llu pushes and %llu pops",
				  kovan_segq_len(q), pushed, popped);
		/* Pop now and then, so that segments are retired while others push. */
		if ((r >> (i % 16)) & 1 && pushed > popped) {
			v = (unsigned long)kovan_segq_pop(q);
			if (v != (unsigned long)tort_item(0, popped))
				tort_fail(TORT_CHURN, "SegQueue: pop %llu got %lx", popped, v);
			popped++;
		}
	}
	tort_dtor_count = 0;
	kovan_segq_destroy(q, tort_count_dtor);
	if (tort_dtor_count != pushed - popped)
		tort_fail(TORT_CHURN, "SegQueue destroy: %lu items to the destructor, %llu queued",
			  tort_dtor_count, pushed - popped);
}

static bool tort_churn_poll(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	(*(u64 *)ctx)++;
	return true;
}

static void tort_churn_disruptor(u32 r)
{
	const struct kovan_disruptor_config cfg = {
		.size = 8,
		.event_size = sizeof(struct tort_event),
		.producer = r & 1 ? KOVAN_PRODUCER_MULTI : KOVAN_PRODUCER_SINGLE,
		.wait = tort_waits[(r >> 1) % ARRAY_SIZE(tort_waits)],
	};
	struct tort_handler h = {};
	struct kovan_disruptor_handler eh = {
		.on_event = tort_dis_on_event, .ctx = &h, .cpu = -1,
	};
	struct tort_event *e;
	struct kovan_disruptor *d;
	struct kovan_disruptor_stage *st;
	struct kovan_disruptor_poller *p = NULL;
	unsigned int i;
	u64 polled = 0;
	int ret;
	s64 seq;

	d = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (!tort_site(TORT_SITE_DISRUPTOR, PTR_ERR_OR_ZERO(d)))
		return;
	st = kovan_disruptor_handle_events_with(d, &eh, 1);
	ret = PTR_ERR_OR_ZERO(st);
	if (!ret) {
		p = kovan_disruptor_new_poller(d, st);
		ret = PTR_ERR_OR_ZERO(p);
	}
	if (!ret)
		ret = kovan_disruptor_start(d);
	if (!tort_site(TORT_SITE_DISRUPTOR, ret))
		goto out;
	for (i = 0; i < 20; i++) {
		seq = kovan_disruptor_next(d, 1);
		if (seq < 0) {
			tort_fail(TORT_CHURN, "Disruptor: claim returned %lld", seq);
			break;
		}
		e = kovan_disruptor_get(d, seq);
		e->producer = 0;
		e->pseq = i;
		if (kovan_disruptor_publish(d, seq, seq))
			tort_fail(TORT_CHURN, "Disruptor: publish of a claimed event refused");
		while ((s64)polled <= seq)
			if (!kovan_disruptor_poll(p, tort_churn_poll, &polled))
				cond_resched();
	}
	kovan_disruptor_halt(d);
	if (h.events != i || polled != i)
		tort_fail(TORT_CHURN, "Disruptor: %u published, handler %llu, poller %llu",
			  i, h.events, polled);
out:
	kovan_disruptor_destroy(d);
}

static int tort_churn(void *arg)
{
	struct tort_thread *t = arg;
	u32 r;

	while (!torture_must_stop()) {
		r = prandom_u32_state(&t->rnd);
		switch (t->ops++ % 4) {
		case 0:
			tort_churn_domain(r);
			break;
		case 1:
			tort_churn_arrayq(r);
			break;
		case 2:
			tort_churn_segq(r);
			break;
		default:
			tort_churn_disruptor(r);
			break;
		}
		tort_progress(t);
		stutter_wait("tort_churn");
	}
	torture_kthread_stopping("tort_churn");
	return 0;
}

/* ---- set-up, control, verdict ---- */

/*
 * Counted in torture.c's hotplug thread after each offline; read once
 * torture_cleanup_begin() has stopped that thread.
 */
static unsigned long tort_offlines;

static void tort_offlined(void)
{
	tort_offlines++;
}

#define TORT_MAX_THREADS	128

static struct tort_thread tort_threads[TORT_MAX_THREADS];
static unsigned int tort_nthreads;
static unsigned int tort_nreaders;	/* @nreaders, or one per online CPU */
static struct task_struct *tort_control_task;
static unsigned long tort_started;

/* The next slot of tort_threads[]; tort_init() checks that there is one. */
static struct tort_thread *tort_thread_new(const char *kind, unsigned int index, void *ctx)
{
	struct tort_thread *t = &tort_threads[tort_nthreads++];

	t->kind = kind;
	t->index = index;
	t->ctx = ctx;
	t->progress = jiffies;
	prandom_seed_state(&t->rnd, get_random_u64());
	prandom_seed_state(&t->timer_rnd, get_random_u64());
	return t;
}

/* torture_create_kthread() names the thread after @fn. */
#define tort_spawn(fn, kind, index, ctx) ({					\
	struct tort_thread *__t = tort_thread_new(kind, index, ctx);		\
										\
	torture_create_kthread(fn, __t, __t->task);				\
})

/* Stop every thread of @kind (all when NULL), in spawn order. */
static void tort_stop_kind(const char *kind)
{
	struct tort_thread *t;
	unsigned int i;

	for (i = 0; i < tort_nthreads; i++) {
		t = &tort_threads[i];
		if (!kind || !strcmp(t->kind, kind))
			torture_stop_kthread(tort_thread, t->task);
	}
}

static void tort_watchdog(void)
{
	/* A thread may sit out one stutter pause on top. */
	unsigned long limit = ((unsigned long)stall_timeout + stutter) * HZ, progress;
	struct tort_thread *t;
	unsigned int i;

	for (i = 0; i < tort_nthreads; i++) {
		t = &tort_threads[i];
		progress = READ_ONCE(t->progress);
		if (!t->task || t->stalled || time_before(jiffies, progress + limit))
			continue;
		t->stalled = true;
		tort_fail(TORT_PROGRESS, "%s%u made no progress for %u s", t->kind, t->index,
			  jiffies_to_msecs(jiffies - progress) / 1000);
	}
}

static void tort_reclaim_verify(struct tort_domain *td)
{
	struct tort_obj *o;
	struct kovan_stats s;
	unsigned int i;

	for (i = 0; i < TORT_SLOTS; i++) {
		o = kovan_replace_pointer(&td->slot[i], NULL);
		if (o) {
			atomic_long_inc(&td->retired);
			kovan_retire(&td->dom, &o->node, tort_free);
		}
	}
	kovan_barrier(&td->dom);
	kovan_domain_stats(&td->dom, &s);
	if (atomic_long_read(&td->retired) != atomic_long_read(&td->freed) || s.pending ||
	    s.retired != s.freed)
		tort_fail(TORT_BALANCE,
			  "%s: %ld retired, %ld freed; domain: %lu retired, %lu freed", td->name,
			  atomic_long_read(&td->retired), atomic_long_read(&td->freed),
			  s.retired, s.freed);
}

/* Counters of @isolated_cpu at the start of the run. */
static struct kovan_cpu_stats tort_isolated_start;

/*
 * Documentation/contexts.rst: a CPU that does not retire takes no kovan timer and runs no
 * reclaim worker, and one that pins in no fenceless domain takes no IPI.
 * No torture thread runs on @isolated_cpu, so kovan must leave it alone.
 */
static void tort_check_isolated(void)
{
	const struct kovan_cpu_stats *a = &tort_isolated_start;
	unsigned long timers, ipis, reclaims;
	struct kovan_cpu_stats b;

	kovan_cpu_stats(isolated_cpu, &b);
	timers = b.flush_timers - a->flush_timers + b.backstop_timers - a->backstop_timers;
	ipis = b.fence_ipis - a->fence_ipis;
	reclaims = b.reclaims - a->reclaims;
	pr_info("kovan-harness: %s torture: isolated CPU %d took %lu kovan timers, %lu IPIs, %lu reclaim runs\n",
		timers || ipis || reclaims ? "not ok" : "ok", isolated_cpu, timers, ipis, reclaims);
}

/*
 * Stop kernel/torture.c's threads (the hotplug one onlines every CPU first),
 * which turns torture_must_stop() true for ours, then ours. False when the
 * system is shutting down: torture.c parks the threads for good then.
 */
static bool tort_stop_all(void)
{
	if (torture_cleanup_begin())
		return false;
	tort_stop_kind("prod");
	/* The producers are stopped: consumers now drain the queues and exit. */
	tort_producers_done();
	tort_stop_kind(NULL);
	return true;
}

static void tort_finish(void)
{
	unsigned long secs = jiffies_to_msecs(jiffies - tort_started) / 1000;
	unsigned int i, failed = 0;

	if (!tort_stop_all())
		return;
	tort_reclaim_verify(&tort_dom[0]);
	tort_reclaim_verify(&tort_dom[1]);
	tort_queue_verify(&tort_arrayq);
	tort_queue_verify(&tort_segq);

	for (i = 0; i < TORT_NCHECKS; i++) {
		int n = atomic_read(&tort_errors[i]);

		failed += !!n;
		pr_info("kovan-harness: %s torture: %s%s\n", n ? "not ok" : "ok",
			tort_check_names[i], n ? " (see the errors above)" : "");
	}
	pr_info("kovan-torture: reads %ld (hardirq %ld), objects retired %ld/%ld (plain/robust), max pending %ld/%ld, %s %llu items (retries %ld), %s %llu items (retries %ld), disruptor %ld events in %ld generations\n",
		atomic_long_read(&tort_reads), atomic_long_read(&tort_irq_reads),
		atomic_long_read(&tort_dom[0].retired), atomic_long_read(&tort_dom[1].retired),
		atomic_long_read(&tort_dom[0].max_pending),
		atomic_long_read(&tort_dom[1].max_pending),
		tort_arrayq.name, tort_queue_items(&tort_arrayq),
		atomic_long_read(&tort_arrayq.retries),
		tort_segq.name, tort_queue_items(&tort_segq), atomic_long_read(&tort_segq.retries),
		atomic_long_read(&tort_dis_events), atomic_long_read(&tort_dis_generations));
	pr_info("kovan-torture: updaters retired %lu objects/s over %lu s\n",
		(unsigned long)(atomic_long_read(&tort_dom[0].retired) +
				atomic_long_read(&tort_dom[1].retired)) / max(secs, 1UL), secs);
	for (i = 0; i < TORT_NSITES; i++)
		pr_info("kovan-torture: churn %s: %ld ok, %ld -ENOMEM\n", tort_site_names[i],
			atomic_long_read(&tort_site_ok[i]), atomic_long_read(&tort_site_nomem[i]));
	pr_info("kovan-torture: disruptor generations refused -ENOMEM %ld, objects not allocated %ld\n",
		atomic_long_read(&tort_dis_nomem), atomic_long_read(&tort_obj_nomem));
	if (onoff_interval)
		pr_info("kovan-torture: hotplug every %u ms: %lu offlines, %s\n", onoff_interval,
			tort_offlines, torture_onoff_failures() ? "some refused" : "none refused");
	if (isolated_cpu >= 0)
		tort_check_isolated();
	pr_info("kovan-torture: end: %s after %lu s, %u of %u checks failed\n",
		failed ? "FAIL" : "PASS", secs, failed, TORT_NCHECKS);
	torture_cleanup_end();
}

/* Ends the run after @duration seconds, or at rmmod. */
static int tort_control(void *unused)
{
	unsigned long end = jiffies + (unsigned long)duration * HZ;

	while (!torture_must_stop() && time_before(jiffies, end)) {
		msleep(500);
		tort_watchdog();
	}
	tort_finish();
	torture_kthread_stopping("tort_control");
	return 0;
}

static int tort_spawn_all(void)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < tort_nreaders && !ret; i++)
		ret = tort_spawn(tort_reader, "reader", i, NULL);
	for (i = 0; i < nstalls && !ret; i++)
		ret = tort_spawn(tort_stall, "stall", i, NULL);
	for (i = 0; i < nupdaters && !ret; i++)
		ret = tort_spawn(tort_updater, "updater", i, NULL);
	for (i = 0; i < nconsumers && !ret; i++) {
		ret = tort_spawn(tort_consumer, "cons", i, &tort_arrayq) ?:
		      tort_spawn(tort_consumer, "cons", nconsumers + i, &tort_segq);
	}
	for (i = 0; i < nproducers && !ret; i++) {
		ret = tort_spawn(tort_producer, "prod", i, &tort_arrayq) ?:
		      tort_spawn(tort_producer, "prod", i, &tort_segq);
	}
	for (i = 0; i < nproducers; i++)
		prandom_seed_state(&tort_dis_producers[i].rnd, get_random_u64());
	ret = ret ?: tort_spawn(tort_dis, "dis", 0, NULL);
	ret = ret ?: tort_spawn(tort_churn, "churn", 0, NULL);
	ret = ret ?: torture_onoff_init(0, msecs_to_jiffies(onoff_interval), tort_offlined);
	if (stutter)
		ret = ret ?: torture_stutter_init(stutter * HZ, stutter * HZ);
	if (shuffle_interval)
		ret = ret ?: torture_shuffle_init(shuffle_interval * HZ);
	return ret;
}

static void tort_teardown(void)
{
	kovan_arrayq_destroy(tort_arrayq.aq, NULL);
	kovan_segq_destroy(tort_segq.sq, NULL);
	kovan_domain_destroy(&tort_dom[0].dom);
	kovan_domain_destroy(&tort_dom[1].dom);
}

static int __init tort_init(void)
{
	int ret;

	if (!nproducers || nproducers > TORT_MAX_QTHREADS || !nconsumers ||
	    nconsumers > TORT_MAX_QTHREADS || !duration || !stall_timeout ||
	    (isolated_cpu >= 0 && (onoff_interval || shuffle_interval ||
				   isolated_cpu >= nr_cpu_ids || !cpu_online(isolated_cpu))))
		return -EINVAL;
	tort_nreaders = nreaders < 0 ? num_online_cpus() : nreaders;
	/* Readers, stalled readers, updaters, the queues' threads, dis, churn. */
	if ((u64)tort_nreaders + nstalls + nupdaters + 2 * (nconsumers + nproducers) + 2 >
	    TORT_MAX_THREADS)
		return -EINVAL;
	inject_race = strstr(inject, "race");
	inject_early_free = strstr(inject, "early_free");
	inject_lose = strstr(inject, "lose");
	inject_stall = strstr(inject, "stall");
	tort_dom[0].name = "plain";
	tort_dom[1].name = fenceless ? "robust+fenceless" : "robust";
	ret = kovan_domain_init(&tort_dom[0].dom, 0);
	if (ret)
		return ret;
	ret = kovan_domain_init(&tort_dom[1].dom, KOVAN_ROBUST | (fenceless ? KOVAN_FENCELESS : 0));
	if (ret)
		goto out_plain;
	tort_arrayq.ops = &tort_aq_ops;
	tort_arrayq.aq = kovan_arrayq_create(64, GFP_KERNEL);
	if (IS_ERR(tort_arrayq.aq)) {
		ret = PTR_ERR(tort_arrayq.aq);
		goto out_robust;
	}
	tort_segq.ops = &tort_sq_ops;
	tort_segq.sq = kovan_segq_create(NULL, GFP_KERNEL);
	if (IS_ERR(tort_segq.sq)) {
		ret = PTR_ERR(tort_segq.sq);
		kovan_arrayq_destroy(tort_arrayq.aq, NULL);
		goto out_robust;
	}
	spin_lock_init(&tort_arrayq.lock);
	spin_lock_init(&tort_segq.lock);

	/* One torture test at a time: torture.c refuses a second one. */
	if (!torture_init_begin("kovan", 0)) {
		tort_teardown();
		return -EBUSY;
	}
	if (*inject)
		pr_info("kovan-torture: injecting deliberate bugs: %s\n", inject);
	pr_info("kovan-torture: start: %u s, %u readers, %u updaters, %u stalled (%u ms), %u producers and %u consumers per queue, hotplug every %u ms, stutter %u s, shuffle every %u s, %u CPUs\n",
		duration, tort_nreaders, nupdaters, nstalls, stall_ms, nproducers, nconsumers,
		onoff_interval, stutter, shuffle_interval, num_online_cpus());
	tort_started = jiffies;
	kovan_cpu_stats(isolated_cpu, &tort_isolated_start);
	ret = tort_spawn_all() ?: torture_create_kthread(tort_control, NULL, tort_control_task);
	torture_init_end();
	if (ret) {
		tort_stop_all();
		torture_cleanup_end();
		tort_teardown();
	}
	return ret;

out_robust:
	kovan_domain_destroy(&tort_dom[1].dom);
out_plain:
	kovan_domain_destroy(&tort_dom[0].dom);
	return ret;
}

static void __exit tort_exit(void)
{
	torture_stop_kthread(tort_control, tort_control_task);
	tort_teardown();
}

module_init(tort_init);
module_exit(tort_exit);

MODULE_DESCRIPTION("kovan torture test: reclamation, queues and Disruptor under stress");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
