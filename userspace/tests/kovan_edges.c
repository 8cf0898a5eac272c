// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan's contract at the interleavings a stress run rarely reaches, each
 * forced step by step: a thread is stopped, migrated or slowed at one
 * chosen point through the link-time wraps in userspace/Makefile
 * (kovan_should_fail_alloc, queue_work, free_percpu) and the clock.
 *
 *   later_guards     an object is freed while the only guards left in its
 *                    slot pinned after the slot's engine flipped its
 *                    phase; a kovan_barrier() likewise returns while
 *                    they stay
 *   barrier_in_cs    kovan_barrier() closes the batch of a retire that is
 *                    inside its critical section on another CPU, instead
 *                    of leaving it to the flush worker
 *   migrated_retire  a retire that fills one CPU's batch and migrates
 *                    before closing it still gets it closed, without any
 *                    kovan_barrier()
 *   unpin_vs_destroy a kovan_unpin() stopped after its count, at its kick
 *                    of the engine, writes nothing to the slots a
 *                    kovan_domain_destroy() freed meanwhile
 *   lost_kick        an unpin's kick of the engine waiting for it is lost:
 *                    the engine's backstop frees the batch all the same
 *   stalled_pushes   batches closed onto a stalled reader's slot stay
 *                    within robust.rst's bound
 *   domain_share     a plain domain whose reader never unpins takes at
 *                    most its share of the batch headers: another domain
 *                    still frees, and its kovan_barrier() returns
 *   backpressure     with free functions slower than the retires, a
 *                    retire that may sleep waits for its CPU's reclaim
 *                    worker, which stays within kovan.backlog; one with
 *                    preemption off never waits
 *
 * Waits for something that must happen are polled for ten seconds: a
 * deadline for a hang, not a timing assertion.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include <kovan/kovan.h>
#include <kovan/internal.h>

#include "harness.h"
#include "wrap.h"

struct obj {
	struct kovan_node node;
	long value;
};

static long freed;

static void obj_free(struct kovan_node *n)
{
	__atomic_add_fetch(&freed, 1, __ATOMIC_SEQ_CST);
	free(n);
}

static struct obj *obj_new(struct kovan_domain *d)
{
	struct obj *o = calloc(1, sizeof(*o));

	if (!o)
		abort();
	kovan_node_init(d, &o->node);
	return o;
}

/* Poll @flag for up to ten seconds; true when it became nonzero. */
static bool wait_for(long *flag)
{
	int i;

	for (i = 0; i < 10000 && !__atomic_load_n(flag, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

/* Link-time wraps, each armed for one thread at a time. */
static __thread int migrate_at_alloc = -1;
static __thread bool stop_at_queue_work, slow_clock, run_work_here;
static __thread bool drop_kick;
static long stopped, released, in_cs, stop_at_empty_put, dropped;
static void *freed_pcpu;

bool __wrap_kovan_should_fail_alloc(gfp_t gfp, size_t size)
{
	if (migrate_at_alloc >= 0) {
		us_set_cpu(migrate_at_alloc);	/* preempted here, resumed there */
		migrate_at_alloc = -1;
	}
	return __real_kovan_should_fail_alloc(gfp, size);
}

/* An unpin's kick of the engine, lost as when its count and the hint pass (M). */
void __wrap_kovan_kick_engine(void)
{
	if (drop_kick) {
		drop_kick = false;
		__atomic_store_n(&dropped, 1, __ATOMIC_SEQ_CST);
		return;
	}
	__real_kovan_kick_engine();
}

bool __wrap_queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued;

	/* The shim runs one worker per queue; the kernel's are unbound. */
	if (run_work_here) {
		work->func(work);
		return true;
	}
	queued = __real_queue_work(wq, work);

	if (stop_at_queue_work) {
		stop_at_queue_work = false;
		__atomic_store_n(&stopped, 1, __ATOMIC_SEQ_CST);
		while (!__atomic_load_n(&released, __ATOMIC_SEQ_CST))
			usleep(1000);
	}
	return queued;
}

/* The flush worker, putting back the header a pass did not use. */
void __wrap_kovan_batch_put(struct kovan_batch *b)
{
	if (!b->objects && __atomic_exchange_n(&stop_at_empty_put, 0, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&stopped, 1, __ATOMIC_SEQ_CST);
		while (!__atomic_load_n(&released, __ATOMIC_SEQ_CST))
			usleep(1000);
	}
	__real_kovan_batch_put(b);
}

/* Freed per-CPU memory is poisoned, so that a late write shows. */
void __wrap_free_percpu(void *ptr)
{
	unsigned int cpu;

	__real_free_percpu(ptr);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		memset((char *)ptr + cpu * US_PCPU_STRIDE, POISON_FREE, sizeof(struct kovan_pcpu));
	freed_pcpu = ptr;
}

/* The clock read of a retire that opens a batch, inside its critical section. */
int clock_gettime(clockid_t clock, struct timespec *ts)
{
	int ret = syscall(SYS_clock_gettime, clock, ts);

	if (slow_clock) {
		slow_clock = false;
		__atomic_store_n(&in_cs, 1, __ATOMIC_SEQ_CST);
		usleep(200000);	/* The barrier comes meanwhile. */
	}
	return ret;
}

struct barrier_call {
	struct kovan_domain *d;
	unsigned int cpu;
	bool slow_retire;
	long done;
};

static void *barrier_thread(void *arg)
{
	struct barrier_call *c = arg;

	us_set_cpu(c->cpu);
	kovan_barrier(c->d);
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Wait until the engine of @g's slot flipped it off @g's phase (ten seconds). */
static bool wait_for_flip(struct kovan_guard *g)
{
	struct kovan_slot *s = per_cpu_ptr(g->slot, g->cpu);
	int i;

	for (i = 0; i < 10000; i++) {
		if (READ_ONCE(s->phase) != g->phase)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * R pins and an object is retired: its batch closes onto R's slot, and the
 * slot's engine flips the phase. L pins the same slot after the flip and R
 * unpins. Only L is left, and L cannot see the object: it must be freed
 * while L stays, though L keeps the slot busy. Round 0: kovan.batch=1, the
 * retire closes the batch. Round 1: kovan_barrier() closes it, and returns
 * while L stays.
 */
static void later_guards(unsigned int flags)
{
	const char *kind = flags & KOVAN_ROBUST ? "robust" : "plain";
	struct barrier_call call = { .cpu = 1 };
	struct kovan_guard r, l;
	struct kovan_domain d;
	pthread_t t;

	if (kovan_domain_init(&d, flags))
		abort();
	call.d = &d;
	us_set_cpu(0);
	freed = 0;
	kovan_pin(&d, &r);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	t_check(wait_for_flip(&r), "%s %s: the engine flips the reader's slot", kind, __func__);
	kovan_pin(&d, &l);
	t_check(l.slot == r.slot && l.phase != r.phase,
		"%s %s: both guards in one slot, phases %u, %u", kind, __func__, r.phase, l.phase);
	kovan_unpin(&r);
	t_check(wait_for(&freed), "%s %s: freed with only a later guard pinned", kind, __func__);
	kovan_unpin(&l);

	us_param_set("batch", "4096");
	us_param_set("flush_us", "1000000");
	kovan_pin(&d, &r);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	pthread_create(&t, NULL, barrier_thread, &call);
	t_check(wait_for_flip(&r), "%s %s: kovan_barrier()'s batch flips the slot", kind, __func__);
	kovan_pin(&d, &l);
	kovan_unpin(&r);
	t_check(wait_for(&call.done),
		"%s %s: kovan_barrier() returns with only a later guard pinned", kind, __func__);
	kovan_unpin(&l);
	pthread_join(t, NULL);
	us_param_set("flush_us", "100");
	us_param_set("batch", "1");
	kovan_domain_destroy(&d);
}

static void *slow_retire_thread(void *arg)
{
	struct kovan_domain *d = arg;
	struct obj *o = obj_new(d);

	us_set_cpu(1);
	slow_clock = true;
	kovan_retire(d, &o->node, obj_free);
	return NULL;
}

/*
 * A retire on CPU 1 is inside its critical section (parity read, its node
 * not linked yet) when kovan_barrier() runs on CPU 0: the barrier must
 * wait for it and close its batch itself. kovan.flush_us=1000000 keeps the
 * flush worker out for a second, and its aged_batches count tells.
 */
static void barrier_in_cs(void)
{
	struct kovan_stats before, after;
	struct kovan_domain d;
	pthread_t t;

	freed = 0;
	us_param_set("batch", "4096");
	us_param_set("flush_us", "1000000");
	if (kovan_domain_init(&d, 0))
		abort();
	us_set_cpu(0);
	kovan_domain_stats(&d, &before);
	pthread_create(&t, NULL, slow_retire_thread, &d);
	if (!wait_for(&in_cs))
		abort();
	kovan_barrier(&d);
	kovan_domain_stats(&d, &after);
	pthread_join(t, NULL);
	t_check(freed == 1, "%s: the retire under way is freed by the barrier (%ld)",
		__func__, freed);
	t_check(after.aged_batches == before.aged_batches,
		"%s: its batch closed by the barrier, not the flush worker (%lu aged)", __func__,
		after.aged_batches - before.aged_batches);
	kovan_domain_destroy(&d);
	us_param_set("flush_us", "100");
	us_param_set("batch", "1");
}

/*
 * kovan.batch=1: the retire fills CPU 0's batch, then migrates to CPU 1
 * while it takes a header. The batch it filled must still be closed.
 */
static void migrated_retire(void)
{
	struct kovan_domain d;

	freed = 0;
	if (kovan_domain_init(&d, 0))
		abort();
	us_set_cpu(0);
	migrate_at_alloc = 1;
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	t_check(wait_for(&freed), "%s: freed without a barrier", __func__);
	us_set_cpu(0);
	kovan_domain_destroy(&d);
}

static struct kovan_guard stopped_guard;

static void *stopped_unpin_thread(void *arg)
{
	us_set_cpu(0);
	stop_at_queue_work = true;	/* At its kick of the engine, after its count. */
	kovan_unpin(&stopped_guard);
	return NULL;
}

static bool poisoned(const void *p, size_t size)
{
	const unsigned char *c = p;

	while (size--)
		if (*c++ != POISON_FREE)
			return false;
	return true;
}

/*
 * G's unpin finds the engine waiting for it, counts itself out, and is
 * stopped in the queue_work() of its kick. The engine's backstop finds the
 * slot idle, frees the batch, and kovan_domain_destroy() frees the slots:
 * G resumes and must not write to them. Robust and plain.
 */
static void unpin_vs_destroy(unsigned int flags)
{
	const char *kind = flags & KOVAN_ROBUST ? "robust" : "plain";
	struct kovan_slot *slot = NULL;
	struct kovan_domain d;
	unsigned int cpu;
	pthread_t t;

	stopped = 0;
	released = 0;
	freed_pcpu = NULL;
	if (kovan_domain_init(&d, flags))
		abort();
	us_set_cpu(0);
	kovan_pin(&d, &stopped_guard);
	cpu = stopped_guard.cpu;
	kovan_retire(&d, &obj_new(&d)->node, obj_free);		/* onto G's slot */
	if (!wait_for_flip(&stopped_guard))
		abort();
	pthread_create(&t, NULL, stopped_unpin_thread, NULL);
	t_check(wait_for(&stopped), "%s %s: the unpin kicks the waiting engine", kind, __func__);
	kovan_domain_destroy(&d);
	__atomic_store_n(&released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	if (freed_pcpu)
		slot = &((struct kovan_pcpu *)((char *)freed_pcpu + cpu * US_PCPU_STRIDE))->slot[0];
	t_check(slot && poisoned(slot, sizeof(*slot)),
		"%s %s: the unpin wrote nothing to the freed slot", kind, __func__);
}

/*
 * G's unpin finds the engine parked for it, counts itself out, and its
 * kick is lost, as when its count and the engine's hint pass each other
 * (reclaim.c, M): the backstop must still free the batch.
 */
static void lost_kick(void)
{
	struct kovan_domain d;
	struct kovan_guard g;
	struct kovan_slot *s;
	int i;

	freed = 0;
	dropped = 0;
	if (kovan_domain_init(&d, 0))
		abort();
	us_set_cpu(0);
	kovan_pin(&d, &g);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	s = per_cpu_ptr(g.slot, g.cpu);
	for (i = 0; i < 10000 && READ_ONCE(s->wait) != g.phase + 1u; i++)
		usleep(1000);
	t_check(READ_ONCE(s->wait) == g.phase + 1u, "%s: the engine parks for the guard", __func__);
	drop_kick = true;
	kovan_unpin(&g);
	t_check(dropped, "%s: the unpin's kick is lost", __func__);
	t_check(wait_for(&freed), "%s: freed all the same", __func__);
	kovan_domain_destroy(&d);
}

/*
 * Robust: R pinned on CPU 0 and stalled; on CPU 1 guards that overlap, so
 * that CPU's slot never empties, and retires under them: every close lands
 * on readers. The era moves at every object, so R's slot skips the
 * batches; what is closed onto it stays within Documentation/robust.rst's bound.
 */
static void stalled_pushes(void)
{
	struct kovan_guard r, g[2];
	struct kovan_domain d;
	long pushed, i;
	struct obj *o;

	us_param_set("stall_batches", "8");
	us_param_set("era_frequency", "1");
	if (kovan_domain_init(&d, KOVAN_ROBUST))
		abort();
	us_set_cpu(0);
	kovan_pin(&d, &r);
	us_set_cpu(1);
	kovan_pin(&d, &g[0]);
	for (i = 0; i < 20000; i++) {
		o = obj_new(&d);		/* born before the pin: not skipped */
		kovan_pin(&d, &g[(i + 1) % 2]);
		kovan_unpin(&g[i % 2]);
		kovan_retire(&d, &o->node, obj_free);
		if (i % 64 == 0)
			usleep(200);	/* the engine runs meanwhile */
	}
	kovan_unpin(&g[i % 2]);
	pushed = atomic_long_read(&r.slot->pushes) - (long)r.pushes;
	t_check(pushed <= 2 * 8 + 3 + (long)nr_cpu_ids,
		"%s: batches closed onto the stalled reader's slot: %ld (robust.rst: %u)",
		__func__, pushed, 2 * 8 + 3 + nr_cpu_ids);
	us_set_cpu(0);
	kovan_unpin(&r);
	kovan_domain_destroy(&d);
	us_param_set("era_frequency", "64");
	us_param_set("stall_batches", "64");
}

static void *release_later(void *arg)
{
	usleep(300000);
	__atomic_store_n(&released, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * The flush worker found CPU 1's batch young and is about to ask for
 * another pass when kovan_domain_destroy() runs: the destroy's barrier
 * closes the batch and its wait ends with the worker's pass. The worker
 * must not put the domain back on its list, where the next pass would
 * touch it after destroy returned.
 */
static void destroy_requeue(void)
{
	static struct kovan_domain d;
	pthread_t t;
	bool queued;

	stopped = 0;
	released = 0;
	us_param_set("batch", "4096");
	us_param_set("flush_us", "200000");
	if (kovan_domain_init(&d, 0))
		abort();
	us_set_cpu(0);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);	/* a pass in 200 ms */
	kovan_barrier(&d);
	usleep(100000);
	us_set_cpu(1);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);	/* young at that pass */
	us_set_cpu(0);
	__atomic_store_n(&stop_at_empty_put, 1, __ATOMIC_SEQ_CST);
	if (!wait_for(&stopped))
		abort();
	run_work_here = true;
	pthread_create(&t, NULL, release_later, NULL);
	kovan_domain_destroy(&d);
	run_work_here = false;
	queued = test_bit(KOVAN_FLUSH_QUEUED, &d.state);
	t_check(!queued, "%s: the domain is off the flush list once destroy returned", __func__);
	pthread_join(t, NULL);
	usleep(400000);		/* the next pass, had it been queued */
	us_param_set("flush_us", "100");
	us_param_set("batch", "1");
}

/*
 * d1's reader never unpins while 2^20 + 1000 objects are retired one batch
 * each: more than the whole header pool. d1 must stop at its share, and
 * d2, which has no readers, must go on freeing.
 */
static void domain_share(void)
{
	struct barrier_call call = { .cpu = 1 };
	struct kovan_domain d1, d2;
	struct kovan_stats s;
	struct kovan_guard g;
	long i;

	if (kovan_domain_init(&d1, 0) || kovan_domain_init(&d2, 0))
		abort();
	us_set_cpu(0);
	kovan_pin(&d1, &g);
	for (i = 0; i < (1L << 20) + 1000; i++)
		kovan_retire(&d1, &obj_new(&d1)->node, obj_free);
	kovan_domain_stats(&d1, &s);
	t_check(s.batches - s.batches_freed <= (1UL << 20) / 4,
		"%s: a domain holds at most a quarter of the headers (%lu)", __func__,
		s.batches - s.batches_freed);
	freed = 0;
	kovan_retire(&d2, &obj_new(&d2)->node, obj_free);
	t_check(wait_for(&freed), "%s: another domain still frees", __func__);
	call.d = &d2;
	barrier_thread(&call);
	us_set_cpu(0);
	kovan_unpin(&g);
	kovan_domain_destroy(&d2);
	kovan_domain_destroy(&d1);
}

static void slow_free(struct kovan_node *n)
{
	usleep(100);
	obj_free(n);
}

static void backpressure(void)
{
	unsigned long peak = 0, throttles;
	struct kovan_domain d;
	struct kovan_stats s;
	int i;

	if (kovan_domain_init(&d, 0))
		abort();
	us_param_set("backlog", "16");
	us_set_cpu(0);
	preempt_disable();
	for (i = 0; i < 64; i++)
		kovan_retire(&d, &obj_new(&d)->node, slow_free);
	preempt_enable();
	kovan_domain_stats(&d, &s);
	throttles = s.throttles;
	t_check(!throttles, "%s: retires with preemption off never wait", __func__);
	kovan_barrier(&d);
	for (i = 0; i < 2000; i++) {
		kovan_retire(&d, &obj_new(&d)->node, slow_free);
		kovan_domain_stats(&d, &s);
		peak = s.queued > peak ? s.queued : peak;
	}
	t_check(s.throttles > throttles, "%s: retires wait for the reclaim worker (%lu times)",
		__func__, s.throttles - throttles);
	t_check(peak <= 16 + 2, "%s: the backlog stays at kovan.backlog (peak %lu)", __func__,
		peak);
	kovan_barrier(&d);
	us_param_set("backlog", "4096");
	kovan_domain_destroy(&d);
}

int main(int argc, char **argv)
{
	struct t_opts opts = { .secs = 1, .cpus = 2, .watchdog = 120 };

	t_parse(argc, argv, &opts);
	us_init(2);
	us_set_quarantine(0);
	us_param_set("batch", "1");
	later_guards(0);
	later_guards(KOVAN_ROBUST);
	barrier_in_cs();
	migrated_retire();
	unpin_vs_destroy(0);
	unpin_vs_destroy(KOVAN_ROBUST);
	lost_kick();
	stalled_pushes();
	destroy_requeue();
	domain_share();
	backpressure();
	us_exit();
	return t_done();
}
