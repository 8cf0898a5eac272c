// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_demo: what kovan is for, live, next to the kernel's own reclaimers.
 *
 * Loading the module runs two scenarios and prints each as a short table
 * (every line starts with "kovan-demo:"; make run shows them); the module
 * then stays loaded, its two domains in /sys/kernel/debug/kovan/, until it
 * is unloaded.
 *
 *  1. A stalled reader. A kthread enters a read-side section, reads the
 *     shared object and sleeps there; meanwhile an updater replaces the
 *     shared object @objects times, one at a time, and retires each old
 *     one. With SRCU (the reader in srcu_read_lock(), the updater calling
 *     call_srcu()) nothing can be freed until the reader leaves; neither
 *     in a plain kovan domain, which behaves as SRCU does here. In a
 *     %KOVAN_ROBUST domain the batches of objects born after the reader
 *     pinned skip its slot, so all but a few are freed while it sleeps. The
 *     table gives the unfreed count once the updater is done and the
 *     reclaim workers had time to catch up, the reader still asleep
 *     (SRCU: retired minus freed; kovan: kovan_domain_stats()'s pending),
 *     the largest count seen while the updater ran, and whether the
 *     reader's own object was intact when it woke (it always must be;
 *     KASAN would report the read otherwise).
 *  2. Retire-to-free latency, no reader stalled: one object retired every
 *     10-20 us, @samples of them timed from kovan_retire() (call_rcu())
 *     to their free function (callback); median and 99th percentile.
 *
 * Built like examples/lookup, outside kovan's tree; see its Makefile.
 */

#define pr_fmt(fmt) "kovan-demo: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>

#include <kovan/kovan.h>

static unsigned int objects = 100000;
module_param(objects, uint, 0400);
MODULE_PARM_DESC(objects, "stalled reader: objects the updater retires, 1..1000000 (default 100000)");

static unsigned int samples = 1000;
module_param(samples, uint, 0400);
MODULE_PARM_DESC(samples, "latency: objects timed per reclaimer, 1..100000 (default 1000)");

#define DEMO_MAX_OBJECTS	1000000U
#define DEMO_MAX_SAMPLES	100000U
#define DEMO_ALIVE		0x6b6f76616e21UL	/* a live object's magic */
#define DEMO_DEAD		0UL			/* ... and a freed one's */
/* Stalled reader: read the unfreed count every this many retires. */
#define DEMO_PEEK		256
/* ... and once more this long after the last, for the workers to catch up. */
#define DEMO_SETTLE_MS		50
/* Latency: give up on a reclaimer that has not freed its samples by then. */
#define DEMO_LATENCY_NS		(10 * NSEC_PER_SEC)

/**
 * struct demo_obj - an object readers find and updaters replace
 * @magic: %DEMO_ALIVE until its free function runs
 * @stamp: latency: ktime_get_ns() right before it was retired
 * @sample: latency: its index in demo_samples; -1: not timed
 * @knode: for kovan_retire()
 * @rcu: for call_rcu() and call_srcu()
 */
struct demo_obj {
	unsigned long magic;
	u64 stamp;
	int sample;
	union {
		struct kovan_node knode;
		struct rcu_head rcu;
	};
};

static struct srcu_struct demo_srcu;
static struct kovan_domain demo_plain, demo_robust;
/* Latency samples, written by the free functions, read after a barrier. */
static u64 *demo_samples;
static atomic_t demo_nsamples;
static atomic_long_t demo_freed;

static void demo_free(struct demo_obj *o)
{
	if (o->sample >= 0) {
		demo_samples[o->sample] = ktime_get_ns() - o->stamp;
		atomic_inc(&demo_nsamples);
	}
	/*
	 * No reader holds it any more. Were one to (a reclaimer's bug), its
	 * READ_ONCE() in demo_reader() would see this store, KASAN aside.
	 */
	WRITE_ONCE(o->magic, DEMO_DEAD);
	kfree(o);
	atomic_long_inc(&demo_freed);
}

static void demo_kovan_free(struct kovan_node *n)
{
	demo_free(container_of(n, struct demo_obj, knode));
}

static void demo_rcu_free(struct rcu_head *h)
{
	demo_free(container_of(h, struct demo_obj, rcu));
}

static struct demo_obj *demo_alloc(void)
{
	struct demo_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

	if (o) {
		o->magic = DEMO_ALIVE;
		o->stamp = 0;
		o->sample = -1;
	}
	return o;
}

/* Call the reclaimer's barrier: everything it was handed so far is freed. */
static void demo_barrier(struct kovan_domain *d, bool srcu)
{
	if (d)
		kovan_barrier(d);
	else if (srcu)
		srcu_barrier(&demo_srcu);
	else
		rcu_barrier();
}

/* ---- 1. A stalled reader ---- */

/**
 * struct demo_stall - one stalled-reader run
 * @d: the kovan domain; NULL: SRCU
 * @kshared: the object readers find, kovan
 * @rshared: the object readers find, SRCU
 * @inside: the reader has read the shared object
 * @release: the reader may leave its read-side section
 * @done: the reader has left and is exiting
 * @intact: the reader's object was still alive when it woke
 */
struct demo_stall {
	struct kovan_domain *d;
	struct demo_obj __kovan *kshared;
	struct demo_obj __rcu *rshared;
	struct completion inside, release, done;
	bool intact;
};

/* Inside the read-side section, @o read: sleep until released, then check @o. */
static void demo_sleep_inside(struct demo_stall *s, struct demo_obj *o)
{
	complete(&s->inside);
	wait_for_completion(&s->release);
	/* Still inside: pairs with demo_free()'s WRITE_ONCE() had @o been freed. */
	s->intact = READ_ONCE(o->magic) == DEMO_ALIVE;
}

/* The stalled readers; the completion orders s->intact before the updater reads it. */
static int demo_srcu_reader(void *arg)
{
	struct demo_stall *s = arg;
	int idx = srcu_read_lock(&demo_srcu);

	demo_sleep_inside(s, srcu_dereference(s->rshared, &demo_srcu));
	srcu_read_unlock(&demo_srcu, idx);
	kthread_complete_and_exit(&s->done, 0);
}

static int demo_kovan_reader(void *arg)
{
	struct demo_stall *s = arg;
	struct kovan_guard g;

	kovan_pin(s->d, &g);
	demo_sleep_inside(s, kovan_load(&s->kshared, &g));
	kovan_unpin(&g);
	kthread_complete_and_exit(&s->done, 0);
}

/* Publish @n (NULL: nothing) in place of the shared object and retire that one. */
static void demo_replace(struct demo_stall *s, struct demo_obj *n)
{
	struct demo_obj *old;

	if (s->d) {
		if (n)
			kovan_node_init(s->d, &n->knode);
		/* Fully ordered: @n's contents before @n, @old unpublished before its retire. */
		old = kovan_replace_pointer(&s->kshared, n);
		if (old)
			kovan_retire(s->d, &old->knode, demo_kovan_free);
	} else {
		/* Release: @n's contents before @n; pairs with srcu_dereference(). */
		old = rcu_replace_pointer(s->rshared, n, true);
		if (old)
			call_srcu(&demo_srcu, &old->rcu, demo_rcu_free);
	}
}

/* Objects retired and not freed yet; @retired of them since demo_freed read @base. */
static unsigned long demo_unfreed(struct demo_stall *s, unsigned long retired, long base)
{
	struct kovan_stats st;

	if (s->d) {
		kovan_domain_stats(s->d, &st);
		return st.pending;
	}
	/* A count only: no ordering needed. */
	return retired - (atomic_long_read(&demo_freed) - base);
}

/**
 * struct demo_stall_row - what one stalled-reader run measured
 * @name: the reclaimer
 * @err: 0, or why the run could not be made
 * @retired: objects the updater retired while the reader slept
 * @unfreed: of those, not freed once the updater was done and the
 *	     workers caught up, the reader still asleep
 * @peak: the most unfreed at any reading while the updater ran
 * @intact: the reader's object was intact when it woke
 */
struct demo_stall_row {
	const char *name;
	int err;
	unsigned long retired, unfreed, peak;
	bool intact;
};

/**
 * demo_stalled() - retire objects while a reader sleeps in its read-side section
 * @d: the kovan domain; NULL: SRCU
 * @row: filled with what was measured
 *
 * Context: process context; sleeps. Everything retired is freed on return.
 */
static void demo_stalled(struct kovan_domain *d, struct demo_stall_row *row)
{
	struct demo_stall s = { .d = d };
	long base = atomic_long_read(&demo_freed);
	struct task_struct *reader;
	struct demo_obj *o;
	unsigned int i;

	init_completion(&s.inside);
	init_completion(&s.release);
	init_completion(&s.done);
	o = demo_alloc();
	if (!o) {
		row->err = -ENOMEM;
		return;
	}
	demo_replace(&s, o);
	reader = kthread_run(d ? demo_kovan_reader : demo_srcu_reader, &s, "kovan_demo_reader");
	if (IS_ERR(reader)) {
		row->err = PTR_ERR(reader);
		goto out;
	}
	wait_for_completion(&s.inside);

	for (i = 0; i < objects; i++) {
		o = demo_alloc();
		if (!o) {
			row->err = -ENOMEM;
			break;
		}
		demo_replace(&s, o);
		row->retired++;
		if (i % DEMO_PEEK == 0) {
			row->peak = max(row->peak, demo_unfreed(&s, row->retired, base));
			cond_resched();
		}
	}
	msleep(DEMO_SETTLE_MS);
	row->unfreed = demo_unfreed(&s, row->retired, base);
	row->peak = max(row->peak, row->unfreed);

	complete(&s.release);
	wait_for_completion(&s.done);
	row->intact = s.intact;
out:
	/* The last object too: nobody reads it any more, but it was published. */
	demo_replace(&s, NULL);
	demo_barrier(d, true);
}

/* ---- 2. Retire-to-free latency ---- */

static int demo_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * struct demo_latency_row - what one latency run measured
 * @name: the reclaimer
 * @n: objects timed (fewer than samples only when the run gave up)
 * @p50: median retire-to-free time, ns
 * @p99: 99th percentile, ns
 */
struct demo_latency_row {
	const char *name;
	unsigned int n;
	u64 p50, p99;
};

/**
 * demo_latency() - time objects from their retire to their free
 * @d: the kovan domain; NULL: call_rcu()
 * @row: filled with what was measured
 *
 * One object every 10-20 us; the first samples objects are timed, and the
 * trickle goes on untimed until they are all freed, so that each
 * reclaimer is timed in its steady state, not flushed by the end of the
 * run.
 *
 * Context: process context; sleeps. Everything retired is freed on return.
 */
static void demo_latency(struct kovan_domain *d, struct demo_latency_row *row)
{
	u64 deadline = ktime_get_ns() + DEMO_LATENCY_NS;
	unsigned int timed = 0;
	struct demo_obj *o;

	atomic_set(&demo_nsamples, 0);
	/* A count only: the samples are read after the barrier below. */
	while (atomic_read(&demo_nsamples) < samples && ktime_get_ns() < deadline) {
		o = demo_alloc();
		if (o) {
			if (timed < samples)
				o->sample = timed++;
			if (d)
				kovan_node_init(d, &o->knode);
			o->stamp = ktime_get_ns();
			if (d)
				kovan_retire(d, &o->knode, demo_kovan_free);
			else
				call_rcu(&o->rcu, demo_rcu_free);
		}
		usleep_range(10, 20);
	}
	/* Every free function has returned: their demo_samples[] stores are seen. */
	demo_barrier(d, false);
	row->n = min_t(unsigned int, atomic_read(&demo_nsamples), timed);
	if (!row->n)
		return;
	sort(demo_samples, row->n, sizeof(*demo_samples), demo_u64_cmp, NULL);
	row->p50 = demo_samples[row->n / 2];
	row->p99 = demo_samples[(u64)row->n * 99 / 100];
}

/* ---- The tables ---- */

/* Microseconds with one decimal, right-aligned in @width. */
static void demo_us(char *buf, size_t len, int width, u64 ns)
{
	u32 rem;
	u64 us = div_u64_rem(ns, NSEC_PER_USEC, &rem);

	snprintf(buf, len, "%*llu.%u", width - 2, us, rem / 100);
}

static void demo_print_stalled(const struct demo_stall_row *rows, int nr)
{
	int i;

	pr_info("stalled reader: while a reader sleeps in its read-side section, an updater retires %u objects one at a time\n",
		objects);
	pr_info("  %-24s %9s %14s %13s  %s\n", "reclaimer", "retired", "still unfreed",
		"peak unfreed", "reader's object");
	for (i = 0; i < nr; i++) {
		if (rows[i].err && !rows[i].retired) {
			pr_info("  %-24s not run: error %d\n", rows[i].name, rows[i].err);
			continue;
		}
		pr_info("  %-24s %9lu %14lu %13lu  %s\n", rows[i].name, rows[i].retired,
			rows[i].unfreed, rows[i].peak,
			rows[i].intact ? "intact" : "FREED UNDER THE READER");
	}
}

/* "12.3x sooner" or "1.5x slower": how @anchor compares with @ns, one decimal. */
static const char *demo_ratio(char *buf, size_t len, u64 anchor, u64 ns)
{
	bool sooner = anchor >= ns;
	u64 tenths = sooner ? div64_u64(anchor * 10, ns) : div64_u64(ns * 10, anchor);

	snprintf(buf, len, "%llu.%llux %s", div_u64(tenths, 10), tenths % 10,
		 sooner ? "sooner" : "slower");
	return buf;
}

static void demo_print_latency(const struct demo_latency_row *rows, int nr)
{
	/* Up to 17 digits of microseconds, a decimal, its point and the NUL. */
	char p50[24], p99[24], ratio[40];
	int i;

	pr_info("retire-to-free latency: no reader stalled, one object retired every 10-20 us, %u timed\n",
		samples);
	pr_info("  %-24s %10s %10s  %s\n", "reclaimer", "p50 us", "p99 us", "p50 vs call_rcu");
	for (i = 0; i < nr; i++) {
		if (!rows[i].n) {
			pr_info("  %-24s no object freed in %llu s\n", rows[i].name,
				div_u64(DEMO_LATENCY_NS, NSEC_PER_SEC));
			continue;
		}
		demo_us(p50, sizeof(p50), 10, rows[i].p50);
		demo_us(p99, sizeof(p99), 10, rows[i].p99);
		if (i && rows[0].n && rows[0].p50 && rows[i].p50)
			pr_info("  %-24s %s %s  %s\n", rows[i].name, p50, p99,
				demo_ratio(ratio, sizeof(ratio), rows[0].p50, rows[i].p50));
		else
			pr_info("  %-24s %s %s\n", rows[i].name, p50, p99);
	}
}

static const char *demo_kovan_name(struct kovan_domain *d)
{
	return kovan_domain_flags(d) & KOVAN_ROBUST ? "kovan_retire, robust" : "kovan_retire";
}

static int __init demo_init(void)
{
	struct demo_stall_row stall[3] = {};
	struct demo_latency_row lat[3] = {};
	int ret;

	if (!objects || objects > DEMO_MAX_OBJECTS || !samples || samples > DEMO_MAX_SAMPLES)
		return -EINVAL;
	demo_samples = kvmalloc_array(samples, sizeof(*demo_samples), GFP_KERNEL);
	if (!demo_samples)
		return -ENOMEM;
	ret = init_srcu_struct(&demo_srcu);
	if (ret)
		goto free_samples;
	ret = kovan_domain_init(&demo_plain, 0);
	if (ret)
		goto cleanup_srcu;
	ret = kovan_domain_init(&demo_robust, KOVAN_ROBUST);
	if (ret)
		goto destroy_plain;

	stall[0].name = "call_srcu (SRCU)";
	demo_stalled(NULL, &stall[0]);
	stall[1].name = demo_kovan_name(&demo_plain);
	demo_stalled(&demo_plain, &stall[1]);
	stall[2].name = demo_kovan_name(&demo_robust);
	demo_stalled(&demo_robust, &stall[2]);

	lat[0].name = "call_rcu (RCU)";
	demo_latency(NULL, &lat[0]);
	lat[1].name = demo_kovan_name(&demo_plain);
	demo_latency(&demo_plain, &lat[1]);
	lat[2].name = demo_kovan_name(&demo_robust);
	demo_latency(&demo_robust, &lat[2]);

	demo_print_stalled(stall, ARRAY_SIZE(stall));
	demo_print_latency(lat, ARRAY_SIZE(lat));
	pr_info("end\n");
	/*
	 * Succeed whatever the scenarios found: busybox insmod retries a
	 * failed finit_module() with init_module(), which would run it all
	 * twice.
	 */
	return 0;

destroy_plain:
	kovan_domain_destroy(&demo_plain);
cleanup_srcu:
	cleanup_srcu_struct(&demo_srcu);
free_samples:
	kvfree(demo_samples);
	return ret;
}

static void __exit demo_exit(void)
{
	/* Each scenario ended with its barrier; these find nothing left to wait for. */
	kovan_domain_destroy(&demo_robust);
	kovan_domain_destroy(&demo_plain);
	srcu_barrier(&demo_srcu);
	rcu_barrier();
	cleanup_srcu_struct(&demo_srcu);
	kvfree(demo_samples);
}

module_init(demo_init);
module_exit(demo_exit);

MODULE_DESCRIPTION("kovan demo: a stalled reader against SRCU, retire-to-free latency against call_rcu");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
