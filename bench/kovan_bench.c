// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan micro-benchmarks, each next to its in-kernel anchor in the same
 * boot. Loading the module runs everything and prints one line per
 * measurement; scripts/bench.sh turns them into a table and unloads the
 * module, which holds nothing once loaded. Not a test: it asserts nothing.
 *
 *	kovan-bench: cost <scenario> <run> <ns per operation>
 *	kovan-bench: latency <scenario> <p50 ns> <p99 ns> <samples>
 */

#include <linux/delay.h>
#include <linux/ktime.h>
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
#define BENCH_LATENCY	5000

DEFINE_STATIC_SRCU(bench_srcu);

struct bench_obj {
	u64 stamp;
	unsigned long payload;
	union {
		struct kovan_node node;
		struct rcu_head rcu;
	};
};

static struct bench_obj *bench_shared;
static struct kovan_domain bench_plain, bench_robust;
static u64 *bench_samples;
static atomic_t bench_nsamples;

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
		READ_ONCE(rcu_dereference(bench_shared)->payload);
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
		READ_ONCE(srcu_dereference(bench_shared, &bench_srcu)->payload);
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
		READ_ONCE(kovan_load(&bench_shared, &g)->payload);
		kovan_unpin(&g);
	}
	return ktime_get_ns() - t;
}

/* Both free paths: record the retire-to-free time of stamped objects. */
static void bench_record_free(struct bench_obj *o)
{
	int i = atomic_inc_return(&bench_nsamples) - 1;

	if (o->stamp && i < BENCH_LATENCY)
		bench_samples[i] = ktime_get_ns() - o->stamp;
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

/* Cost of the retire call itself, objects allocated beforehand. */
static u64 bench_retire_cost(struct kovan_domain *d, bool rcu)
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
	atomic_set(&bench_nsamples, BENCH_LATENCY);
	t = ktime_get_ns();
	for (i = 0; i < BENCH_RETIRES; i++) {
		if (rcu)
			call_rcu(&objs[i]->rcu, bench_rcu_free);
		else
			kovan_retire(d, &objs[i]->node, bench_kovan_free);
	}
	t = ktime_get_ns() - t;
out:
	if (rcu)
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

/*
 * Retire-to-free latency under a steady trickle: one object every 10-20
 * us, so that the workers and grace periods get to run on a single CPU.
 */
static void bench_latency(const char *name, struct kovan_domain *d)
{
	int i, n;

	atomic_set(&bench_nsamples, 0);
	for (i = 0; i < BENCH_LATENCY; i++) {
		struct bench_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

		if (!o)
			break;
		if (d)
			kovan_node_init(d, &o->node);
		o->stamp = ktime_get_ns();
		if (d)
			kovan_retire(d, &o->node, bench_kovan_free);
		else
			call_rcu(&o->rcu, bench_rcu_free);
		usleep_range(10, 20);
	}
	if (d)
		kovan_barrier(d);
	else
		rcu_barrier();
	n = min(atomic_read(&bench_nsamples), BENCH_LATENCY);
	if (!n)
		return;
	sort(bench_samples, n, sizeof(*bench_samples), bench_u64_cmp, NULL);
	pr_info("kovan-bench: latency %s %llu %llu %d\n", name, bench_samples[n / 2],
		bench_samples[n * 99 / 100], n);
}

static int __init kovan_bench_init(void)
{
	unsigned int run;
	int ret;

	bench_samples = kvmalloc_array(BENCH_LATENCY, sizeof(*bench_samples), GFP_KERNEL);
	bench_shared = kzalloc(sizeof(*bench_shared), GFP_KERNEL);
	if (!bench_samples || !bench_shared) {
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
	kovan_node_init(&bench_robust, &bench_shared->node);

	pr_info("kovan-bench: begin cpus=%u\n", num_online_cpus());
	for (run = 0; run < runs; run++) {
		bench_report("rcu_read_lock+deref+unlock", run, bench_rcu(), BENCH_READS);
		bench_report("srcu_read_lock+deref+unlock", run, bench_srcu_read(), BENCH_READS);
		bench_report("kovan_pin+load+unpin", run, bench_kovan_read(&bench_plain),
			     BENCH_READS);
		bench_report("kovan_pin+load+unpin(robust)", run,
			     bench_kovan_read(&bench_robust), BENCH_READS);
		bench_report("call_rcu", run, bench_retire_cost(NULL, true), BENCH_RETIRES);
		bench_report("kovan_retire", run, bench_retire_cost(&bench_plain, false),
			     BENCH_RETIRES);
		bench_report("kovan_retire(robust)", run, bench_retire_cost(&bench_robust, false),
			     BENCH_RETIRES);
		cond_resched();
	}
	bench_latency("call_rcu", NULL);
	bench_latency("kovan_retire", &bench_plain);
	bench_latency("kovan_retire(robust)", &bench_robust);
	pr_info("kovan-bench: end\n");

	kovan_domain_destroy(&bench_robust);
	kovan_domain_destroy(&bench_plain);
	srcu_barrier(&bench_srcu);
	ret = 0;
out:
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
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
