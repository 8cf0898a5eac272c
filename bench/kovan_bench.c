// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan micro-benchmarks, each next to its in-kernel anchor in the same
 * boot. Loading the module runs everything and prints one line per
 * measurement; scripts/bench.sh turns them into a table and unloads the
 * module, which holds nothing once loaded. Not a test: it asserts nothing.
 *
 *	kovan-bench: cost <scenario> <run> <ns per operation>
 *	kovan-bench: latency <scenario> <p50> <p90> <p99> <p99.9> <max ns> <samples>
 *	kovan-bench: churn <scenario> <run> <mean pending> <max pending> <updates/s>
 *	kovan-bench: stalled <scenario> <ms> <unfreed objects>
 *
 * cost: single-threaded loops of a read-side section or a retire call.
 * latency: one object retired every 10-20 us; each stamped object's
 * retire-to-free time. The trickle goes on, unstamped, until every stamped
 * object was freed, so batching reclaimers (kfree_rcu() waits for a page
 * of pointers or KFREE_DRAIN_JIFFIES) are measured in their steady state.
 * churn: an updater replaces a shared object as fast as it can, reading it
 * first in a read-side section; pending = retired but not yet freed,
 * sampled every 64 updates.
 * stalled: one reader enters its read-side section and sleeps there while
 * an updater replaces the shared object every 20-40 us; unfreed objects
 * sampled every 10 ms.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>

#include <kovan/kovan.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each cost scenario (default 5)");

#define BENCH_READS	2000000
#define BENCH_RETIRES	100000
#define BENCH_LATENCY	2000
/* Give up on a latency scenario that has not freed its samples by then. */
#define BENCH_LATENCY_NS	(10 * NSEC_PER_SEC)
/* synchronize_srcu() blocks the updater: fewer samples, same trickle. */
#define BENCH_SYNC_SAMPLES	500
#define BENCH_CHURN_NS		(100 * NSEC_PER_MSEC)
#define BENCH_CHURN_SAMPLE	64
#define BENCH_STALL_MS		400
#define BENCH_STALL_TICK_MS	10
/*
 * kfree_rcu() frees objects that nothing calls back for: objects bigger
 * than the largest kmalloc cache get pages of their own, and a reference
 * the benchmark holds on that page shows when kfree() dropped its own.
 */
#define BENCH_BIG_SIZE		(4 * PAGE_SIZE)

DEFINE_STATIC_SRCU(bench_srcu);

struct bench_obj {
	u64 stamp;
	unsigned long payload;
	union {
		struct kovan_node node;
		struct rcu_head rcu;
	};
};

struct bench_big {
	struct rcu_head rcu;
};

enum bench_reclaim {
	BENCH_RCU,
	BENCH_SRCU,
	BENCH_KOVAN,
};

static struct bench_obj *bench_shared;
static struct bench_obj *bench_churned;

/* Every scheme reads the same pointers; sparse sees them as __rcu where RCU reads. */
#define bench_as_rcu(p) (*(struct bench_obj __rcu * __force *)&(p))
#define bench_as_kovan(p) (*(struct bench_obj __kovan * __force *)&(p))
static struct kovan_domain bench_plain, bench_robust, bench_fenceless;
static u64 *bench_samples;
static atomic_t bench_nsamples;
static atomic_long_t bench_freed;

static void bench_report(const char *name, unsigned int run, u64 ns, unsigned long ops)
{
	pr_info("kovan-bench: cost %s %u %llu.%02llu\n", name, run, div_u64(ns, ops),
		div_u64(ns * 100, ops) % 100);
}

static u64 bench_rcu(void)
{
	u64 t = ktime_get_ns();
	int i;

	for (i = 0; i < BENCH_READS; i++) {
		rcu_read_lock();
		READ_ONCE(rcu_dereference(bench_as_rcu(bench_shared))->payload);
		rcu_read_unlock();
	}
	return ktime_get_ns() - t;
}

static u64 bench_srcu_read(void)
{
	u64 t = ktime_get_ns();
	int i, idx;

	for (i = 0; i < BENCH_READS; i++) {
		idx = srcu_read_lock(&bench_srcu);
		READ_ONCE(srcu_dereference(bench_as_rcu(bench_shared), &bench_srcu)->payload);
		srcu_read_unlock(&bench_srcu, idx);
	}
	return ktime_get_ns() - t;
}

static u64 bench_kovan_read(struct kovan_domain *d)
{
	struct kovan_guard g;
	u64 t = ktime_get_ns();
	int i;

	for (i = 0; i < BENCH_READS; i++) {
		kovan_pin(d, &g);
		READ_ONCE(kovan_load(&bench_as_kovan(bench_shared), &g)->payload);
		kovan_unpin(&g);
	}
	return ktime_get_ns() - t;
}

/* Every free path: count, and record the retire-to-free time of stamped objects. */
static void bench_record_free(struct bench_obj *o)
{
	if (o->stamp) {
		int i = atomic_inc_return(&bench_nsamples) - 1;

		if (i < BENCH_LATENCY)
			bench_samples[i] = ktime_get_ns() - o->stamp;
	}
	atomic_long_inc(&bench_freed);
	kfree(o);
}

static void bench_kovan_free(struct kovan_node *n)
{
	bench_record_free(container_of(n, struct bench_obj, node));
}

static void bench_rcu_free(struct rcu_head *h)
{
	bench_record_free(container_of(h, struct bench_obj, rcu));
}

/*
 * Cost of the retire call itself, objects allocated beforehand: kovan_retire()
 * into @d, or call_rcu() (@rcu) or kfree_rcu() (@rcu and @kfree).
 */
static u64 bench_retire_cost(struct kovan_domain *d, bool rcu, bool kfree)
{
	struct bench_obj **objs = kvmalloc_array(BENCH_RETIRES, sizeof(*objs), GFP_KERNEL);
	u64 t = 0;
	int i;

	if (!objs)
		return 0;
	for (i = 0; i < BENCH_RETIRES; i++) {
		objs[i] = kzalloc(sizeof(*objs[i]), GFP_KERNEL);
		if (!objs[i])
			goto out;
		if (d)
			kovan_node_init(d, &objs[i]->node);
	}
	t = ktime_get_ns();
	for (i = 0; i < BENCH_RETIRES; i++) {
		if (kfree)
			kfree_rcu(objs[i], rcu);
		else if (rcu)
			call_rcu(&objs[i]->rcu, bench_rcu_free);
		else
			kovan_retire(d, &objs[i]->node, bench_kovan_free);
	}
	t = ktime_get_ns() - t;
out:
	if (kfree)
		kvfree_rcu_barrier();
	else if (rcu)
		rcu_barrier();
	else
		kovan_barrier(d);
	kvfree(objs);
	/* Let deferred frees and slab work settle before the next scenario. */
	msleep(50);
	return t;
}

static int bench_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_latency_report(const char *name, int n)
{
	n = min(n, BENCH_LATENCY);
	if (!n)
		return;
	sort(bench_samples, n, sizeof(*bench_samples), bench_u64_cmp, NULL);
	pr_info("kovan-bench: latency %s %llu %llu %llu %llu %llu %d\n", name,
		bench_samples[n / 2], bench_samples[n * 90 / 100], bench_samples[n * 99 / 100],
		bench_samples[n * 999 / 1000], bench_samples[n - 1], n);
}

/*
 * Retire-to-free latency of call_rcu(), call_srcu() or kovan_retire() into
 * @d: the free functions record the stamped objects.
 */
static void bench_latency(const char *name, enum bench_reclaim how, struct kovan_domain *d)
{
	u64 deadline = ktime_get_ns() + BENCH_LATENCY_NS;
	int stamped = 0;

	atomic_set(&bench_nsamples, 0);
	do {
		struct bench_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

		if (o) {
			if (how == BENCH_KOVAN)
				kovan_node_init(d, &o->node);
			if (stamped < BENCH_LATENCY) {
				o->stamp = ktime_get_ns();
				stamped++;
			}
			if (how == BENCH_KOVAN)
				kovan_retire(d, &o->node, bench_kovan_free);
			else if (how == BENCH_SRCU)
				call_srcu(&bench_srcu, &o->rcu, bench_rcu_free);
			else
				call_rcu(&o->rcu, bench_rcu_free);
		}
		usleep_range(10, 20);
	} while (atomic_read(&bench_nsamples) < BENCH_LATENCY && ktime_get_ns() < deadline);
	if (how == BENCH_KOVAN)
		kovan_barrier(d);
	else if (how == BENCH_SRCU)
		srcu_barrier(&bench_srcu);
	else
		rcu_barrier();
	bench_latency_report(name, atomic_read(&bench_nsamples));
}

/* Latency of kfree_rcu(): the page references show when each object went. */
static void bench_latency_kfree_rcu(void)
{
	struct page **pages = kvmalloc_array(BENCH_LATENCY, sizeof(*pages), GFP_KERNEL);
	u64 *stamps = kvmalloc_array(BENCH_LATENCY, sizeof(*stamps), GFP_KERNEL);
	u64 deadline = ktime_get_ns() + BENCH_LATENCY_NS;
	int stamped = 0, pending = 0, n = 0, i;

	BUILD_BUG_ON(BENCH_BIG_SIZE <= KMALLOC_MAX_CACHE_SIZE);
	if (!pages || !stamps)
		goto out;
	while (n < BENCH_LATENCY && ktime_get_ns() < deadline) {
		struct bench_big *b = kmalloc(BENCH_BIG_SIZE, GFP_KERNEL);

		if (b) {
			if (stamped < BENCH_LATENCY) {
				pages[pending] = virt_to_page(b);
				get_page(pages[pending]);
				stamps[pending++] = ktime_get_ns();
				stamped++;
			}
			kfree_rcu(b, rcu);
		}
		usleep_range(10, 20);
		for (i = 0; i < pending;) {
			if (page_ref_count(pages[i]) > 1) {
				i++;
				continue;
			}
			bench_samples[n++] = ktime_get_ns() - stamps[i];
			put_page(pages[i]);
			pending--;
			pages[i] = pages[pending];
			stamps[i] = stamps[pending];
		}
	}
	kvfree_rcu_barrier();
	while (pending--)
		put_page(pages[pending]);
	bench_latency_report("kfree_rcu", n);
out:
	kvfree(stamps);
	kvfree(pages);
}

/* Synchronous reclamation: the object is freed when synchronize_srcu() returns. */
static void bench_latency_synchronize_srcu(void)
{
	u64 deadline = ktime_get_ns() + BENCH_LATENCY_NS;
	int n;

	for (n = 0; n < BENCH_SYNC_SAMPLES && ktime_get_ns() < deadline; n++) {
		struct bench_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);
		u64 t = ktime_get_ns();

		synchronize_srcu(&bench_srcu);
		kfree(o);
		bench_samples[n] = ktime_get_ns() - t;
		usleep_range(10, 20);
	}
	bench_latency_report("synchronize_srcu", n);
}

/* A read-side section on the churned object, as readers of it would. */
static void bench_read_churned(enum bench_reclaim how, struct kovan_domain *d)
{
	struct kovan_guard g;
	int idx;

	switch (how) {
	case BENCH_RCU:
		rcu_read_lock();
		READ_ONCE(rcu_dereference(bench_as_rcu(bench_churned))->payload);
		rcu_read_unlock();
		break;
	case BENCH_SRCU:
		idx = srcu_read_lock(&bench_srcu);
		READ_ONCE(srcu_dereference(bench_as_rcu(bench_churned), &bench_srcu)->payload);
		srcu_read_unlock(&bench_srcu, idx);
		break;
	case BENCH_KOVAN:
		kovan_pin(d, &g);
		READ_ONCE(kovan_load(&bench_as_kovan(bench_churned), &g)->payload);
		kovan_unpin(&g);
		break;
	}
}

/* Publish a new churned object and retire the old one; false without memory. */
static bool bench_replace_churned(enum bench_reclaim how, struct kovan_domain *d)
{
	struct bench_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return false;
	if (d)
		kovan_node_init(d, &o->node);
	o = kovan_replace_pointer(&bench_as_kovan(bench_churned), o);
	switch (how) {
	case BENCH_RCU:
		call_rcu(&o->rcu, bench_rcu_free);
		break;
	case BENCH_SRCU:
		call_srcu(&bench_srcu, &o->rcu, bench_rcu_free);
		break;
	case BENCH_KOVAN:
		kovan_retire(d, &o->node, bench_kovan_free);
		break;
	}
	return true;
}

static void bench_settle(enum bench_reclaim how, struct kovan_domain *d)
{
	switch (how) {
	case BENCH_RCU:
		rcu_barrier();
		break;
	case BENCH_SRCU:
		srcu_barrier(&bench_srcu);
		break;
	case BENCH_KOVAN:
		kovan_barrier(d);
		break;
	}
}

/* Objects retired since @base_freed was read, @retired of them, not yet freed. */
static long bench_pending(long retired, long base_freed)
{
	return retired - (atomic_long_read(&bench_freed) - base_freed);
}

static void bench_churn(const char *name, unsigned int run, enum bench_reclaim how,
			struct kovan_domain *d)
{
	long base_freed = atomic_long_read(&bench_freed);
	long retired = 0, samples = 0, sum = 0, max = 0, pending;
	u64 t0 = ktime_get_ns(), t = 0;

	do {
		bench_read_churned(how, d);
		if (!bench_replace_churned(how, d))
			break;
		if (++retired % BENCH_CHURN_SAMPLE)
			continue;
		pending = bench_pending(retired, base_freed);
		sum += pending;
		max = max(max, pending);
		samples++;
		cond_resched();
		t = ktime_get_ns() - t0;
	} while (t < BENCH_CHURN_NS);
	bench_settle(how, d);
	if (samples)
		pr_info("kovan-bench: churn %s %u %ld %ld %llu\n", name, run, sum / samples, max,
			div64_u64(retired * NSEC_PER_SEC, t));
}

struct bench_stall {
	struct kovan_domain *d;
	struct completion inside, release, done;
};

/* Enter a read-side section and sleep in it until told to leave. */
static int bench_stalled_srcu_reader(void *arg)
{
	struct bench_stall *s = arg;
	int idx = srcu_read_lock(&bench_srcu);

	READ_ONCE(srcu_dereference(bench_as_rcu(bench_churned), &bench_srcu)->payload);
	complete(&s->inside);
	wait_for_completion(&s->release);
	srcu_read_unlock(&bench_srcu, idx);
	kthread_complete_and_exit(&s->done, 0);
}

static int bench_stalled_kovan_reader(void *arg)
{
	struct bench_stall *s = arg;
	struct kovan_guard g;

	kovan_pin(s->d, &g);
	READ_ONCE(kovan_load(&bench_as_kovan(bench_churned), &g)->payload);
	complete(&s->inside);
	wait_for_completion(&s->release);
	kovan_unpin(&g);
	kthread_complete_and_exit(&s->done, 0);
}

static void bench_stalled(const char *name, enum bench_reclaim how, struct kovan_domain *d)
{
	struct bench_stall s = { .d = d };
	long base_freed = atomic_long_read(&bench_freed), retired = 0;
	u64 t0, t, next = 0;
	struct task_struct *reader;

	init_completion(&s.inside);
	init_completion(&s.release);
	init_completion(&s.done);
	reader = kthread_run(how == BENCH_SRCU ? bench_stalled_srcu_reader :
			     bench_stalled_kovan_reader, &s, "kovan_bench_stall");
	if (IS_ERR(reader))
		return;
	wait_for_completion(&s.inside);
	t0 = ktime_get_ns();
	do {
		t = ktime_get_ns() - t0;
		if (t >= next) {
			pr_info("kovan-bench: stalled %s %llu %ld\n", name,
				div_u64(next, NSEC_PER_MSEC), bench_pending(retired, base_freed));
			next += BENCH_STALL_TICK_MS * NSEC_PER_MSEC;
		}
		if (bench_replace_churned(how, d))
			retired++;
		usleep_range(20, 40);
	} while (t < BENCH_STALL_MS * NSEC_PER_MSEC);
	complete(&s.release);
	wait_for_completion(&s.done);
	bench_settle(how, d);
}

static int __init kovan_bench_init(void)
{
	unsigned int run;
	int ret;

	bench_samples = kvmalloc_array(BENCH_LATENCY, sizeof(*bench_samples), GFP_KERNEL);
	bench_shared = kzalloc(sizeof(*bench_shared), GFP_KERNEL);
	bench_churned = kzalloc(sizeof(*bench_churned), GFP_KERNEL);
	if (!bench_samples || !bench_shared || !bench_churned) {
		ret = -ENOMEM;
		goto out;
	}
	ret = kovan_domain_init(&bench_plain, 0);
	if (ret)
		goto out;
	ret = kovan_domain_init(&bench_robust, KOVAN_ROBUST);
	if (ret) {
		kovan_domain_destroy(&bench_plain);
		goto out;
	}
	ret = kovan_domain_init(&bench_fenceless, KOVAN_FENCELESS);
	if (ret) {
		kovan_domain_destroy(&bench_robust);
		kovan_domain_destroy(&bench_plain);
		goto out;
	}
	kovan_node_init(&bench_robust, &bench_shared->node);
	kovan_node_init(&bench_robust, &bench_churned->node);

	pr_info("kovan-bench: begin cpus=%u\n", num_online_cpus());
	for (run = 0; run < runs; run++) {
		bench_report("rcu_read_lock+deref+unlock", run, bench_rcu(), BENCH_READS);
		bench_report("srcu_read_lock+deref+unlock", run, bench_srcu_read(), BENCH_READS);
		bench_report("kovan_pin+load+unpin", run, bench_kovan_read(&bench_plain),
			     BENCH_READS);
		bench_report("kovan_pin+load+unpin(robust)", run,
			     bench_kovan_read(&bench_robust), BENCH_READS);
		bench_report("kovan_pin+load+unpin(fenceless)", run,
			     bench_kovan_read(&bench_fenceless), BENCH_READS);
		bench_report("call_rcu", run, bench_retire_cost(NULL, true, false), BENCH_RETIRES);
		bench_report("kfree_rcu", run, bench_retire_cost(NULL, true, true), BENCH_RETIRES);
		bench_report("kovan_retire", run, bench_retire_cost(&bench_plain, false, false),
			     BENCH_RETIRES);
		bench_report("kovan_retire(robust)", run,
			     bench_retire_cost(&bench_robust, false, false), BENCH_RETIRES);
		bench_churn("call_rcu", run, BENCH_RCU, NULL);
		bench_churn("call_srcu", run, BENCH_SRCU, NULL);
		bench_churn("kovan_retire", run, BENCH_KOVAN, &bench_plain);
		bench_churn("kovan_retire(robust)", run, BENCH_KOVAN, &bench_robust);
		cond_resched();
	}
	bench_latency("call_rcu", BENCH_RCU, NULL);
	bench_latency_kfree_rcu();
	bench_latency("call_srcu", BENCH_SRCU, NULL);
	bench_latency_synchronize_srcu();
	bench_latency("kovan_retire", BENCH_KOVAN, &bench_plain);
	bench_latency("kovan_retire(robust)", BENCH_KOVAN, &bench_robust);
	bench_latency("kovan_retire(fenceless)", BENCH_KOVAN, &bench_fenceless);
	bench_stalled("call_srcu", BENCH_SRCU, NULL);
	bench_stalled("kovan_retire", BENCH_KOVAN, &bench_plain);
	bench_stalled("kovan_retire(robust)", BENCH_KOVAN, &bench_robust);
	pr_info("kovan-bench: end\n");

	kovan_domain_destroy(&bench_fenceless);
	kovan_domain_destroy(&bench_robust);
	kovan_domain_destroy(&bench_plain);
	srcu_barrier(&bench_srcu);
	ret = 0;
out:
	kfree(bench_churned);
	kfree(bench_shared);
	kvfree(bench_samples);
	/*
	 * Succeed rather than fail with the numbers printed: busybox insmod
	 * retries a failed finit_module() with init_module(), which would run
	 * everything twice.
	 */
	return ret;
}

/* Nothing to undo; an exit function makes the module removable. */
static void __exit kovan_bench_exit(void)
{
}

module_init(kovan_bench_init);
module_exit(kovan_bench_exit);

MODULE_DESCRIPTION("kovan micro-benchmarks against RCU and SRCU");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
