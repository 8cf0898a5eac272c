// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan's contract at the interleavings a stress run rarely reaches, each
 * forced step by step: a thread is stopped, migrated or slowed at one
 * chosen point through the link-time wraps in userspace/Makefile
 * (kovan_should_fail_alloc, queue_work, free_percpu) and the clock.
 *
 *   later_guards     an object is freed while the only guards left in its
 *                    slot pinned after its batch was covered; a
 *                    kovan_barrier() likewise returns while they stay
 *   barrier_in_cs    kovan_barrier() closes the batch of a retire that is
 *                    inside its critical section on another CPU, instead
 *                    of leaving it to the flush worker
 *   migrated_retire  a retire that fills one CPU's batch and migrates
 *                    before closing it still gets it closed, without any
 *                    kovan_barrier()
 *   unpin_vs_destroy a kovan_unpin() stopped after its last decrement
 *                    writes nothing to the slots a kovan_domain_destroy()
 *                    freed meanwhile
 *   domain_share     a plain domain whose reader never unpins takes at
 *                    most its share of the batch headers: another domain
 *                    still frees, and its kovan_barrier() returns
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
static long stopped, released, in_cs, stop_at_empty_put;
static void *freed_pcpu;

bool __wrap_kovan_should_fail_alloc(gfp_t gfp, size_t size)
{
	if (migrate_at_alloc >= 0) {
		us_set_cpu(migrate_at_alloc);	/* preempted here, resumed there */
		migrate_at_alloc = -1;
	}
	return __real_kovan_should_fail_alloc(gfp, size);
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

/* Wait until an empty batch, a cover, is the newest of slot @s (ten seconds). */
static bool wait_for_cover(struct kovan_slot *s)
{
	unsigned long index;
	int i;

	for (i = 0; i < 10000; i++) {
		index = atomic_long_read(&s->head) >> KOVAN_READER_BITS;
		if (index && !READ_ONCE(kovan_batch_at(index)->objects))
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * R pins and an object is retired: its batch closes onto R's slot, where it
 * is the newest. Pins that come later would hold it as long as the slot
 * never empties, so it gets covered; then L pins the same slot and R
 * unpins. Only L is left, and L cannot see the object: it must be freed
 * while L stays. Round 0: kovan.batch=1, the retire closes the batch and
 * the flush worker covers it. Round 1: kovan_barrier() closes and covers.
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
	t_check(wait_for_cover(r.slot), "%s %s: the flush worker covers the batch", kind, __func__);
	kovan_pin(&d, &l);
	t_check(l.slot == r.slot, "%s %s: both guards in one slot", kind, __func__);
	kovan_unpin(&r);
	t_check(wait_for(&freed), "%s %s: freed with only a later guard pinned", kind, __func__);
	kovan_unpin(&l);

	us_param_set("batch", "4096");
	us_param_set("flush_us", "1000000");
	kovan_pin(&d, &r);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	pthread_create(&t, NULL, barrier_thread, &call);
	t_check(wait_for_cover(r.slot), "%s %s: kovan_barrier() covers the batch it closes",
		kind, __func__);
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
	stop_at_queue_work = true;	/* At the reclaim of the last batch it walks. */
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
 * G's unpin drops its count and walks batch B1 to zero, then is stopped in
 * the queue_work() of B1's reclaim. Meanwhile the last other reader leaves
 * and kovan_domain_destroy() frees the slots: G resumes and must not write
 * to them. Robust, so that unpins also settle the walks owed.
 */
static void unpin_vs_destroy(void)
{
	struct kovan_slot *slot = NULL;
	struct kovan_guard other;
	struct kovan_domain d;
	unsigned int idx;
	pthread_t t;

	stopped = 0;
	released = 0;
	freed_pcpu = NULL;
	if (kovan_domain_init(&d, KOVAN_ROBUST))
		abort();
	us_set_cpu(0);
	kovan_pin(&d, &stopped_guard);
	kovan_retire(&d, &obj_new(&d)->node, obj_free);		/* B1, onto G's slot */
	us_set_cpu(1);
	kovan_pin(&d, &other);
	us_set_cpu(0);
	/* B2, over B1 and onto other's slot */
	kovan_retire(&d, &obj_new(&d)->node, obj_free);
	idx = stopped_guard.idx;
	pthread_create(&t, NULL, stopped_unpin_thread, NULL);
	if (!wait_for(&stopped))
		abort();
	us_set_cpu(1);
	kovan_unpin(&other);
	us_set_cpu(0);
	kovan_domain_destroy(&d);
	__atomic_store_n(&released, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	if (freed_pcpu)
		slot = &((struct kovan_pcpu *)((char *)freed_pcpu + idx / KOVAN_SLOTS_PER_CPU *
			 US_PCPU_STRIDE))->slot[idx % KOVAN_SLOTS_PER_CPU];
	t_check(slot && poisoned(slot, sizeof(*slot)),
		"%s: the unpin wrote nothing to the freed slot", __func__);
}

/*
 * Robust: R pinned on CPU 0 and stalled; on CPU 1 guards that overlap, so
 * that CPU's slot never empties, and retires under them: every close lands
 * on readers and asks for a cover. The era moves at every object, so R's
 * slot skips the batches; the covers must stop at its mark too.
 */
static void cover_stalled(void)
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
			usleep(200);	/* the flush worker covers meanwhile */
	}
	kovan_unpin(&g[i % 2]);
	pushed = atomic_long_read(&r.slot->pushes) - (long)r.pushes;
	t_check(pushed <= 2 * 8 + 3 + (long)nr_cpu_ids,
		"%s: batches pushed onto the stalled reader's slot: %ld (kovan.h: %u)",
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
	unpin_vs_destroy();
	cover_stalled();
	destroy_requeue();
	domain_share();
	us_exit();
	return t_done();
}
