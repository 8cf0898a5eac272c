// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan reclamation: one case per line of the contract
 * (Documentation/overview.rst, robust.rst, contexts.rst). Helper kthreads
 * record what they saw; only the test thread asserts. Reports in helper
 * threads (KASAN, lockdep) fail the run through the harness's console scan.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/tick.h>

#include <kovan/kovan.h>
#include <trace/events/kovan.h>

#include "compat.h"

#define KT_MAGIC	0x6b6f76616e4f4b21UL
#define KT_POISON	0xdeadbeefdeadbeefUL

struct kt_obj {
	unsigned long magic;
	unsigned long gen;
	struct kovan_node node;
};

/* Objects and free counts of one test; free functions find it through a global. */
struct kt_ctx {
	atomic_long_t allocated;
	atomic_long_t freed;
	/* Free functions run in process context, in a kovan worker: count exceptions. */
	atomic_long_t freed_out_of_worker;
	/*
	 * Freed objects are poisoned and parked here before kfree(), so that a
	 * reader that reaches one sees the poison even without KASAN.
	 */
	struct kt_obj *quarantine[4096];
	atomic_t next_quarantine;
};

static struct kt_ctx *kt_ctx;

/* Poison @o, park it and kfree() the object it displaces from the quarantine. */
static void kt_quarantine(struct kt_ctx *ctx, struct kt_obj *o)
{
	unsigned int i;

	WRITE_ONCE(o->magic, KT_POISON);
	/* Free functions run on every CPU that retires, side by side. */
	i = (unsigned int)atomic_inc_return(&ctx->next_quarantine) % ARRAY_SIZE(ctx->quarantine);
	kfree(xchg(&ctx->quarantine[i], o));
	atomic_long_inc(&ctx->freed);
}

static void kt_free(struct kovan_node *n)
{
	struct kt_ctx *ctx = kt_ctx;

	if (!in_task() || !(current->flags & PF_WQ_WORKER))
		atomic_long_inc(&ctx->freed_out_of_worker);
	kt_quarantine(ctx, container_of(n, struct kt_obj, node));
}

static struct kt_ctx *kt_ctx_new(struct kunit *test)
{
	struct kt_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	kt_ctx = ctx;
	return ctx;
}

/* Free what the quarantine still holds; call after the domain's barrier. */
static void kt_ctx_drain(struct kt_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctx->quarantine); i++) {
		kfree(ctx->quarantine[i]);
		ctx->quarantine[i] = NULL;
	}
}

static struct kt_obj *kt_obj_new(struct kovan_domain *d, struct kt_ctx *ctx, gfp_t gfp)
{
	struct kt_obj *o = kmalloc(sizeof(*o), gfp);

	if (!o)
		return NULL;
	o->magic = KT_MAGIC;
	o->gen = atomic_long_inc_return(&ctx->allocated);
	kovan_node_init(d, &o->node);
	return o;
}

/* Publish a new object in @slot and retire the one it replaces. */
static void kt_replace(struct kunit *test, struct kovan_domain *d, struct kt_ctx *ctx,
		       struct kt_obj __kovan **slot)
{
	struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	o = kovan_replace_pointer(slot, o);
	if (o)
		kovan_retire(d, &o->node, kt_free);
}

/*
 * End a test whose @slot may still publish an object: retire it, wait for
 * every free, check that every object allocated was freed, tear down.
 */
static void kt_finish_slot(struct kunit *test, struct kovan_domain *d, struct kt_ctx *ctx,
			   struct kt_obj __kovan **slot)
{
	struct kt_obj *o = kovan_replace_pointer(slot, NULL);

	if (o)
		kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

static struct kovan_domain *kt_domain(struct kunit *test, unsigned int flags)
{
	struct kovan_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, kovan_domain_init(d, flags), 0);
	return d;
}

static const unsigned int kt_flags[] = {
	0, KOVAN_ROBUST, KOVAN_FENCELESS, KOVAN_ROBUST | KOVAN_FENCELESS
};

static void kt_flags_desc(const unsigned int *flags, char *desc)
{
	static const char * const names[] = {
		"plain", "robust", "fenceless", "robust_fenceless"
	};

	strscpy(desc, names[*flags & (KOVAN_ROBUST | KOVAN_FENCELESS)], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_flags, kt_flags, kt_flags_desc);

static unsigned int kt_param_flags(struct kunit *test)
{
	return *(const unsigned int *)test->param_value;
}

/* ---- Domains and bad input ---- */

static void kovan_domain_init_flags(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, 0);

	KUNIT_EXPECT_EQ(test, !!(kovan_domain_flags(d) & KOVAN_ROBUST),
			IS_ENABLED(CONFIG_KOVAN_ROBUST_DEFAULT));
	kovan_domain_destroy(d);
	d = kt_domain(test, KOVAN_ROBUST);
	KUNIT_EXPECT_EQ(test, kovan_domain_flags(d), KOVAN_ROBUST);
	kovan_domain_destroy(d);
}

static void kovan_bad_input(struct kunit *test)
{
	struct kovan_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_EQ(test, kovan_domain_init(NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_domain_init(d, ~KOVAN_DOMAIN_FLAGS), -EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_domain_init(d, KOVAN_ROBUST | 0x80000000U), -EINVAL);
	kovan_domain_destroy(NULL);
	kovan_retire_kfree(d, (struct kt_obj *)NULL, node);
}

/*
 * A documented WARN, provoked on purpose: the harness excuses the report
 * between the markers and fails the run if it does not appear.
 */
#define KT_EXPECT_WARN(what, stmt)						\
do {										\
	pr_info("kovan-expect-report: begin WARNING: %s\n", what);		\
	stmt;									\
	pr_info("kovan-expect-report: end\n");					\
} while (0)

static void kovan_bad_input_warns(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, 0);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);
	struct kovan_stats s;
	struct kovan_guard g;

	KUNIT_ASSERT_NOT_NULL(test, o);
	KT_EXPECT_WARN("kovan_retire() with a NULL node", kovan_retire(d, NULL, kt_free));
	/* The same call site warns once; these must be refused quietly too. */
	kovan_retire(d, &o->node, NULL);
	kovan_retire(NULL, &o->node, kt_free);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.retired, 0UL);
	kfree(o);

	kovan_domain_destroy(d);
	KT_EXPECT_WARN("kovan_domain_destroy() twice", kovan_domain_destroy(d));

	/* Destroy with a guard pinned: WARN, and the guard may still unpin. */
	d = kt_domain(test, KOVAN_ROBUST);
	kovan_pin(d, &g);
	/* Lockdep would report the destroy's wait for this guard, and stop. */
	kovan_guard_handoff(&g);
	KT_EXPECT_WARN("kovan_domain_destroy() with a pinned guard", kovan_domain_destroy(d));
	kovan_unpin(&g);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
}

static void kovan_sizes(struct kunit *test)
{
	struct kovan_stats s;
	struct kovan_domain *d = kt_domain(test, 0);

	KUNIT_EXPECT_LE(test, sizeof(struct kovan_node), 3 * sizeof(void *));
	kovan_domain_stats(d, &s);
	/* Slots follow nr_cpu_ids: a home and a spare per CPU, rounded to a power of two. */
	KUNIT_EXPECT_EQ(test, s.slots, roundup_pow_of_two(2 * nr_cpu_ids));
	kovan_domain_destroy(d);
}

DEFINE_STATIC_KOVAN_DOMAIN_ROBUST(kt_static_domain);
static struct kt_obj kt_static_obj;
/* Initialised at compile time, as RCU_INITIALIZER() allows for __rcu. */
static struct kt_obj __kovan *kt_static_ptr = KOVAN_INITIALIZER(&kt_static_obj);

/*
 * A statically defined domain works without init, module exit destroys it,
 * and a statically initialised __kovan pointer loads.
 */
static void kovan_static_domain(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_domain *d = &kt_static_domain;
	struct kovan_guard g;
	struct kovan_stats s;
	int i;

	KUNIT_EXPECT_EQ(test, kovan_domain_flags(d), KOVAN_ROBUST);
	kovan_pin(d, &g);
	KUNIT_EXPECT_PTR_EQ(test, kovan_load(&kt_static_ptr, &g), &kt_static_obj);
	kovan_unpin(&g);
	kovan_domain_stats(d, &s);
	for (i = 0; i < 500; i++) {
		struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_pin(d, &g);
		kovan_unpin(&g);
		kovan_retire(d, &o->node, kt_free);
	}
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 500L);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
	kt_ctx_drain(ctx);
}

/*
 * A consumer may publish pointers to a type it only declares, as with
 * RCU: every pointer macro takes them, NULL included, at file scope too.
 */
struct kt_opaque;
static struct kt_opaque __kovan *kt_opaque_ptr = KOVAN_INITIALIZER((struct kt_opaque *)NULL);

static void kovan_pointer_incomplete_type(struct kunit *test)
{
	struct kt_opaque *o = (struct kt_opaque *)&kt_static_obj;
	struct kovan_guard g;

	KUNIT_EXPECT_NULL(test, kovan_access_pointer(kt_opaque_ptr));
	kovan_assign_pointer(kt_opaque_ptr, o);
	kovan_pin(&kt_static_domain, &g);
	KUNIT_EXPECT_PTR_EQ(test, kovan_load(&kt_opaque_ptr, &g), o);
	kovan_unpin(&g);
	KUNIT_EXPECT_PTR_EQ(test, kovan_replace_pointer(&kt_opaque_ptr, NULL), o);
	KUNIT_EXPECT_NULL(test, kovan_cmpxchg_pointer(&kt_opaque_ptr, NULL, o));
	KUNIT_EXPECT_PTR_EQ(test, kovan_access_pointer(kt_opaque_ptr), o);
	kovan_init_pointer(kt_opaque_ptr, NULL);
	KUNIT_EXPECT_NULL(test, kovan_access_pointer(kt_opaque_ptr));
}

/* Stats in debugfs: /sys/kernel/debug/kovan/<domain>/stats, root read-only. */
static void kovan_debugfs_stats(struct kunit *test)
{
	struct kovan_domain *d;
	struct dentry *root, *dir, *stats;

	/* Without debugfs, the lookups return ERR_PTR(-ENODEV). */
	if (!IS_ENABLED(CONFIG_DEBUG_FS))
		kunit_skip(test, "needs CONFIG_DEBUG_FS");
	d = kt_domain(test, 0);
	root = debugfs_lookup("kovan", NULL);
	KUNIT_ASSERT_NOT_NULL(test, root);
	dir = debugfs_lookup(d->name, root);
	KUNIT_EXPECT_NOT_NULL(test, dir);
	stats = dir ? debugfs_lookup("stats", dir) : NULL;
	KUNIT_EXPECT_NOT_NULL(test, stats);
	if (stats)
		KUNIT_EXPECT_EQ(test, d_inode(stats)->i_mode & 0777, 0400);
	dput(stats);
	dput(dir);
	dput(root);
	kovan_domain_destroy(d);
}

/*
 * A domain's debugfs directory is named after the expression that
 * initialised it: '&' and '*' in front dropped, other punctuation one '_'.
 */
static void kovan_debugfs_name(struct kunit *test)
{
	struct { struct kovan_domain dom; } *holder = kunit_kzalloc(test, sizeof(*holder),
								    GFP_KERNEL);
	char *dash;

	KUNIT_ASSERT_NOT_NULL(test, holder);
	KUNIT_ASSERT_EQ(test, kovan_domain_init(&holder->dom, 0), 0);
	dash = strrchr(holder->dom.name, '-');
	KUNIT_ASSERT_NOT_NULL(test, dash);
	KUNIT_EXPECT_EQ(test, (int)(dash - holder->dom.name), 10);
	KUNIT_EXPECT_EQ(test, strncmp(holder->dom.name, "holder_dom", 10), 0);
	kovan_domain_destroy(&holder->dom);
}

/* Out-of-range module parameters are refused with -EINVAL. */
static void kovan_params_validated(struct kunit *test)
{
	static const char * const bad[] = { "0", "4097", "-1", "x" };
	struct file *f = filp_open("/sys/module/kovan/parameters/batch", O_WRONLY, 0);
	struct kovan_stats s;
	struct kovan_domain *d = kt_domain(test, 0);
	unsigned int i;
	loff_t pos;

	if (IS_ERR(f))
		kunit_skip(test, "sysfs not mounted (%ld)", PTR_ERR(f));
	kovan_domain_stats(d, &s);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		pos = 0;
		KUNIT_EXPECT_EQ(test, kernel_write(f, bad[i], strlen(bad[i]), &pos),
				(ssize_t)-EINVAL);
	}
	pos = 0;
	KUNIT_EXPECT_EQ(test, kernel_write(f, "64", 2, &pos), (ssize_t)2);
	filp_close(f, NULL);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.batch, 64U);
	kovan_domain_destroy(d);
}

/* ---- Accounting ---- */

static void kovan_accounting_no_readers(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	const long n = 10000;
	struct kovan_stats s;
	long i;

	for (i = 0; i < n; i++) {
		struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_retire(d, &o->node, kt_free);
	}
	kovan_barrier(d);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), n);
	KUNIT_EXPECT_EQ(test, s.retired, (unsigned long)n);
	KUNIT_EXPECT_EQ(test, s.freed, (unsigned long)n);
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* Partial batch: one object, then barrier, without further retires. */
static void kovan_partial_batch(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 1L);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* A retired object is freed by the flush worker alone, without a barrier. */
static void kovan_partial_batch_flushed(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	kovan_retire(d, &o->node, kt_free);
	/* Bounded wait for liveness, not a timing assertion: 20 s is forever here. */
	for (i = 0; i < 1000 && !atomic_long_read(&ctx->freed); i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 1L);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

static void kovan_retire_kfree_frees(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kovan_stats s;
	int i;

	for (i = 0; i < 1000; i++) {
		struct kt_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_node_init(d, &o->node);
		kovan_retire_kfree(d, o, node);
	}
	kovan_barrier(d);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.freed, 1000UL);
	kovan_domain_destroy(d);
}

/* ---- Helper threads ---- */

struct kt_run {
	struct kovan_domain *d;
	struct kt_ctx *ctx;
	struct kt_obj __kovan **table;
	unsigned int table_size;
	unsigned long deadline;
	atomic_t running;
	atomic_long_t reads;
	atomic_long_t bad;
	atomic_long_t updates;
	atomic_long_t alloc_failures;
	atomic_long_t polls_missed;
	bool stop;
};

static int kt_reader(void *arg)
{
	struct kt_run *r = arg;
	struct kovan_guard g;
	unsigned long iter = 0;
	unsigned int i;

	while (!READ_ONCE(r->stop) && time_before(jiffies, r->deadline)) {
		kovan_pin(r->d, &g);
		for (i = 0; i < r->table_size; i++) {
			struct kt_obj *o = kovan_load(&r->table[i], &g);

			if (o && READ_ONCE(o->magic) != KT_MAGIC)
				atomic_long_inc(&r->bad);
		}
		if (!(++iter & 63))
			cond_resched();
		kovan_unpin(&g);
		atomic_long_inc(&r->reads);
	}
	atomic_dec(&r->running);
	return 0;
}

static int kt_updater(void *arg)
{
	struct kt_run *r = arg;
	unsigned long iter = 0;

	while (!READ_ONCE(r->stop) && time_before(jiffies, r->deadline)) {
		unsigned int i = get_random_u32_below(r->table_size);
		struct kt_obj *o = kt_obj_new(r->d, r->ctx, GFP_KERNEL), *old;

		if (!o) {
			atomic_long_inc(&r->alloc_failures);
			continue;
		}
		old = kovan_replace_pointer(&r->table[i], o);
		if (old)
			kovan_retire(r->d, &old->node, kt_free);
		atomic_long_inc(&r->updates);
		if (!(++iter & 63))
			cond_resched();
	}
	atomic_dec(&r->running);
	return 0;
}

static void kt_start(struct kunit *test, struct kt_run *r, int (*fn)(void *), int cpu,
		     const char *what)
{
	struct task_struct *t;

	atomic_inc(&r->running);
	t = kthread_create(fn, r, "kovan_test_%s", what);
	if (IS_ERR(t)) {
		atomic_dec(&r->running);
		KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(t));
		return;
	}
	if (cpu >= 0)
		kthread_bind(t, cpu);
	wake_up_process(t);
}

static void kt_wait(struct kt_run *r)
{
	while (atomic_read(&r->running))
		msleep(20);
}

/* Retire what the table still holds, then everything must be freed. */
static void kt_finish(struct kunit *test, struct kt_run *r)
{
	struct kovan_stats s;
	unsigned int i;

	for (i = 0; i < r->table_size; i++) {
		struct kt_obj *o = kovan_replace_pointer(&r->table[i], NULL);

		if (o)
			kovan_retire(r->d, &o->node, kt_free);
	}
	kovan_barrier(r->d);
	kovan_domain_stats(r->d, &s);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->ctx->freed),
			atomic_long_read(&r->ctx->allocated));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->ctx->freed_out_of_worker), 0L);
	KUNIT_EXPECT_EQ(test, s.freed, (unsigned long)atomic_long_read(&r->ctx->allocated));
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
}

static struct kt_run *kt_run_new(struct kunit *test, unsigned int flags, unsigned int table_size,
				 unsigned int seconds)
{
	struct kt_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->table = kunit_kcalloc(test, table_size, sizeof(*r->table), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->table);
	r->table_size = table_size;
	r->d = kt_domain(test, flags);
	r->ctx = kt_ctx_new(test);
	r->deadline = jiffies + seconds * HZ;
	return r;
}

/* Accounting with readers pinning and unpinning in a loop meanwhile. */
static void kovan_accounting_with_readers(struct kunit *test)
{
	struct kt_run *r = kt_run_new(test, kt_param_flags(test), 8, 2);
	int cpu;

	for_each_online_cpu(cpu)
		kt_start(test, r, kt_reader, cpu, "reader");
	kt_start(test, r, kt_updater, -1, "updater");
	kt_wait(r);
	kt_finish(test, r);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad), 0L);
	kunit_info(test, "reads %ld updates %ld freed %ld\n", atomic_long_read(&r->reads),
		   atomic_long_read(&r->updates), atomic_long_read(&r->ctx->freed));
	kovan_domain_destroy(r->d);
	kt_ctx_drain(r->ctx);
}

/* Safety: N readers x M updaters on a small table under constant replacement. */
static void kovan_safety_stress(struct kunit *test)
{
	struct kt_run *r = kt_run_new(test, kt_param_flags(test), 4, 4);
	int cpu, i;

	for_each_online_cpu(cpu) {
		kt_start(test, r, kt_reader, cpu, "reader");
		kt_start(test, r, kt_reader, -1, "reader");
	}
	for (i = 0; i < 2; i++)
		kt_start(test, r, kt_updater, -1, "updater");
	kt_wait(r);
	kt_finish(test, r);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->updates), 0L);
	kunit_info(test, "%u CPUs: reads %ld updates %ld poisoned %ld\n", num_online_cpus(),
		   atomic_long_read(&r->reads), atomic_long_read(&r->updates),
		   atomic_long_read(&r->bad));
	kovan_domain_destroy(r->d);
	kt_ctx_drain(r->ctx);
}

/* ---- Nesting and contexts ---- */

struct kt_irq {
	struct kovan_domain *d;
	struct kt_obj __kovan **slot;
	struct kt_ctx *ctx;
	struct hrtimer timer;
	struct tasklet_struct tasklet;
	atomic_t hardirq_runs;
	atomic_t softirq_runs;
	atomic_t bad;
	atomic_t wrong_context;
};

static void kt_irq_read(struct kt_irq *k)
{
	struct kovan_guard g;
	struct kt_obj *o;

	kovan_pin(k->d, &g);
	o = kovan_load(k->slot, &g);
	if (o && READ_ONCE(o->magic) != KT_MAGIC)
		atomic_inc(&k->bad);
	kovan_unpin(&g);
}

static enum hrtimer_restart kt_hardirq(struct hrtimer *t)
{
	struct kt_irq *k = container_of(t, struct kt_irq, timer);

	if (!in_hardirq())
		atomic_inc(&k->wrong_context);
	kt_irq_read(k);
	atomic_inc(&k->hardirq_runs);
	return HRTIMER_NORESTART;
}

static void kt_softirq(struct tasklet_struct *t)
{
	struct kt_irq *k = from_tasklet(k, t, tasklet);
	struct kt_obj *o, *old;

	if (!in_serving_softirq())
		atomic_inc(&k->wrong_context);
	kt_irq_read(k);
	/* Retire from softirq. */
	o = kt_obj_new(k->d, k->ctx, GFP_ATOMIC);
	if (o) {
		old = kovan_replace_pointer(k->slot, o);
		if (old)
			kovan_retire(k->d, &old->node, kt_free);
	}
	atomic_inc(&k->softirq_runs);
}

static void kovan_nesting_and_contexts(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kt_irq *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kovan_guard outer, inner;
	struct kt_obj *mine, *o;
	int round, hard, soft;
	ktime_t deadline;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_ASSERT_NOT_NULL(test, k);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));
	k->d = d;
	k->slot = slot;
	k->ctx = ctx;
	kovan_hrtimer_setup(&k->timer, kt_hardirq, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	tasklet_setup(&k->tasklet, kt_softirq);

	for (round = 0; round < 50; round++) {
		kovan_pin(d, &outer);
		mine = kovan_load(slot, &outer);
		/* Guard inside guard. */
		kovan_pin(d, &inner);
		o = kovan_load(slot, &inner);
		KUNIT_EXPECT_EQ(test, o->magic, KT_MAGIC);
		kovan_unpin(&inner);

		/*
		 * Interrupts on this CPU pin, load, unpin and retire while this
		 * task, holding its guard, is the one they interrupt.
		 */
		hard = atomic_read(&k->hardirq_runs);
		soft = atomic_read(&k->softirq_runs);
		preempt_disable();
		hrtimer_start(&k->timer, ns_to_ktime(10000), HRTIMER_MODE_REL_HARD);
		tasklet_schedule(&k->tasklet);
		deadline = ktime_add_ms(ktime_get(), 100);
		while ((atomic_read(&k->hardirq_runs) == hard ||
			atomic_read(&k->softirq_runs) == soft) &&
		       ktime_before(ktime_get(), deadline))
			cpu_relax();
		preempt_enable();
		hrtimer_cancel(&k->timer);
		tasklet_kill(&k->tasklet);

		/* What the outer guard loaded stays valid though softirq retired it. */
		KUNIT_EXPECT_EQ(test, READ_ONCE(mine->magic), KT_MAGIC);
		kovan_unpin(&outer);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&k->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&k->wrong_context), 0);
	/* Objects retired from softirq and unpinned in hardirq are freed by the worker. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed_out_of_worker), 0L);
	KUNIT_EXPECT_GT(test, atomic_read(&k->hardirq_runs), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&k->softirq_runs), 0);
	kt_finish_slot(test, d, ctx, slot);
}

/* ---- Sleep and migration ---- */

static void kovan_sleep_and_migrate(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	unsigned int pin_cpu, unpin_cpu;
	struct kovan_guard g;
	struct kt_obj *mine;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));

	kovan_pin(d, &g);
	pin_cpu = raw_smp_processor_id();
	mine = kovan_load(slot, &g);
	/* Replace and retire it many times over, sleeping and moving meanwhile. */
	for (i = 0; i < 2000; i++) {
		kt_replace(test, d, ctx, slot);
		if (i % 500 == 0)
			msleep(20);
	}
	if (num_online_cpus() > 1) {
		unsigned int target = cpumask_any_but(cpu_online_mask, pin_cpu);

		KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(target)), 0);
		msleep(20);
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(mine->magic), KT_MAGIC);
	unpin_cpu = raw_smp_processor_id();
	kovan_unpin(&g);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	if (num_online_cpus() > 1)
		KUNIT_EXPECT_NE(test, pin_cpu, unpin_cpu);

	kt_finish_slot(test, d, ctx, slot);
}

/* The unpin half of kovan_unpin_hardirq_elsewhere(), in an IPI's hardirq. */
struct kt_remote_unpin {
	struct kovan_guard *g;
	unsigned int cpu;
	bool hardirq;
};

static void kt_unpin_ipi(void *arg)
{
	struct kt_remote_unpin *r = arg;

	r->hardirq = in_hardirq();
	r->cpu = raw_smp_processor_id();
	kovan_unpin(r->g);
}

/*
 * A guard pinned by a task is unpinned from hardirq on another CPU while
 * the slot's engine waits for it: the unpin counts out on the slot's
 * remote counters and kicks the engine from hardirq. What it loaded stays
 * valid until then, and everything is freed after.
 */
static void kovan_unpin_hardirq_elsewhere(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_remote_unpin r = { };
	unsigned int pin_cpu, target;
	struct kovan_guard g;
	struct kt_obj *mine;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	if (num_online_cpus() < 2) {
		kovan_domain_destroy(d);
		kunit_skip(test, "needs two online CPUs");
	}
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));

	/*
	 * Kept on the pinning CPU: an IPI to the CPU we run on would be a
	 * plain call, not an interrupt.
	 */
	pin_cpu = raw_smp_processor_id();
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(pin_cpu)), 0);
	kovan_pin(d, &g);
	mine = kovan_load(slot, &g);
	kt_replace(test, d, ctx, slot);
	/* The flush worker closes the batch onto our slot; its engine waits for us. */
	msleep(50);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mine->magic), KT_MAGIC);

	target = cpumask_any_but(cpu_online_mask, pin_cpu);
	/* The unpin is in another CPU's interrupt: lockdep must not expect it here. */
	kovan_guard_handoff(&g);
	r.g = &g;
	ret = smp_call_function_single(target, kt_unpin_ipi, &r, 1);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, r.hardirq);
	KUNIT_EXPECT_NE(test, r.cpu, pin_cpu);

	kt_finish_slot(test, d, ctx, slot);
}

/* ---- Guard holders ---- */

/* A kthread that pins a domain, says so, and keeps its guard until released. */
struct kt_holder {
	struct kovan_domain *d;
	struct completion pinned;
	struct completion release;
	struct completion done;
};

static int kt_hold_guard(void *arg)
{
	struct kt_holder *h = arg;
	struct kovan_guard g;

	kovan_pin(h->d, &g);
	complete(&h->pinned);
	wait_for_completion(&h->release);
	kovan_unpin(&g);
	complete(&h->done);
	return 0;
}

/* Start a holder on @cpu (-1: any CPU); returns once its guard is pinned. */
static struct kt_holder *kt_holder_start(struct kunit *test, struct kovan_domain *d, int cpu)
{
	struct kt_holder *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, h);
	h->d = d;
	init_completion(&h->pinned);
	init_completion(&h->release);
	init_completion(&h->done);
	t = kthread_create(kt_hold_guard, h, "kovan_test_holder");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (cpu >= 0)
		kthread_bind(t, cpu);
	wake_up_process(t);
	wait_for_completion(&h->pinned);
	return h;
}

static void kt_holder_release(struct kt_holder *h)
{
	complete(&h->release);
	wait_for_completion(&h->done);
}

/* ---- synchronize ---- */

struct kt_sync {
	struct kovan_domain *d;
	struct completion synced;
	atomic_t sync_done;
};

static int kt_sync_caller(void *arg)
{
	struct kt_sync *s = arg;

	kovan_synchronize(s->d);
	atomic_set(&s->sync_done, 1);
	complete(&s->synced);
	return 0;
}

static void kovan_synchronize_waits(struct kunit *test)
{
	struct kt_sync *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct kt_holder *reader;
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->d = kt_domain(test, kt_param_flags(test));
	init_completion(&s->synced);

	/* No readers: returns. */
	kovan_synchronize(s->d);

	reader = kt_holder_start(test, s->d, -1);
	t = kthread_run(kt_sync_caller, s, "kovan_test_sync_caller");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	/* Give synchronize every chance to return early; it must not. */
	msleep(200);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->sync_done), 0);
	kt_holder_release(reader);
	wait_for_completion(&s->synced);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->sync_done), 1);
	kovan_domain_destroy(s->d);
}

/* ---- Polled grace periods ---- */

/* Whether @cookie passes within 20 s: liveness, not timing. */
static bool kt_poll_passes(struct kovan_domain *d, unsigned long cookie)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (kovan_poll_state(d, cookie))
			return true;
		msleep(20);
	}
	return false;
}

/* Wait until @cpu's home slot of @d leaves @phase (bounded: liveness). */
static bool kt_slot_flipped(struct kovan_domain *d, int cpu, unsigned int phase)
{
	struct kovan_slot *s = per_cpu_ptr(&d->pcpu->slot[0], cpu);
	int i;

	for (i = 0; i < 1000 && READ_ONCE(s->phase) == phase; i++)
		msleep(20);
	return READ_ONCE(s->phase) != phase;
}

/*
 * A cookie stands for the guards pinned before it was taken: polls stay
 * false while one is pinned, however long, and turn true once it unpins.
 * A guard pinned once the period's close flipped its slot's phase does not
 * hold it (one pinned in between may: Documentation/overview.rst). A cookie of
 * kovan_get_state() waits for a period started after it, which
 * kovan_synchronize() is too. Both holders pin the same slot.
 */
static void kovan_poll_state_readers(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	int cpu = cpumask_first(cpu_online_mask);
	struct kt_holder *early, *late;
	unsigned long got, started;
	unsigned int phase;

	/* No reader: passes at once, or once the flush worker closed it. */
	started = kovan_start_poll(d);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, started));

	early = kt_holder_start(test, d, cpu);
	got = kovan_get_state(d);
	msleep(50);
	KUNIT_EXPECT_FALSE_MSG(test, kovan_poll_state(d, got), "no period started after it");
	phase = READ_ONCE(per_cpu_ptr(&d->pcpu->slot[0], cpu)->phase);
	started = kovan_start_poll(d);
	KUNIT_EXPECT_TRUE_MSG(test, kt_slot_flipped(d, cpu, phase), "the period never closed");
	late = kt_holder_start(test, d, cpu);
	/* Every chance to pass early; they must not. */
	msleep(200);
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, got));
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, started));
	kt_holder_release(early);
	KUNIT_EXPECT_TRUE_MSG(test, kt_poll_passes(d, started), "the late guard held the cookie");
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, got));

	started = kovan_start_poll(d);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, started));
	kt_holder_release(late);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, started));

	got = kovan_get_state(d);
	kovan_synchronize(d);
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, got));
	kovan_domain_destroy(d);
}

/*
 * kovan_start_poll() under a stalled reader, called over and over: the
 * calls share one period rather than each closing its own, so the domain's
 * share of batch headers and, in a robust domain, the slot's stall count
 * stay untouched; the first cookie and the last both pass once the reader
 * leaves.
 */
static void kovan_start_poll_combines(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_holder *h = kt_holder_start(test, d, -1);
	unsigned long first, last = 0;
	long in_flight;
	int i;

	first = kovan_start_poll(d);
	for (i = 0; i < 10000; i++) {
		last = kovan_start_poll(d);
		if (!(i & 255))
			cond_resched();
	}
	/* The flush worker may be about to start the one the calls share. */
	msleep(50);
	in_flight = atomic_long_read(&d->in_flight);
	KUNIT_EXPECT_LE_MSG(test, in_flight, 2L, "periods in flight after 10001 calls");
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, last));
	kt_holder_release(h);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, last));
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, first));
	kovan_domain_destroy(d);
}

/*
 * kovan_start_poll() with interrupts off: a fenceless domain cannot wait
 * for IPIs there and leaves the period to the flush worker, whose number
 * must still cover the cookie; the others close at once.
 */
static void kovan_start_poll_atomic(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_holder *h = kt_holder_start(test, d, -1);
	unsigned long flags, cookie, idle;

	local_irq_save(flags);
	cookie = kovan_start_poll(d);
	local_irq_restore(flags);
	msleep(100);
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, cookie));
	kt_holder_release(h);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, cookie));

	/* No reader: passes as soon as the worker ran, if it had to run. */
	local_irq_save(flags);
	idle = kovan_start_poll(d);
	local_irq_restore(flags);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, idle));
	kovan_domain_destroy(d);
}

/*
 * Cookies compare modulo the counter's wrap: periods numbered across zero
 * cover the cookies taken before it, an old cookie passes, one not yet
 * started does not, and one held more than LONG_MAX periods reads as not
 * passed (Documentation/overview.rst says so).
 */
static void kovan_poll_state_wraps(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, 0);
	unsigned long before, shared, last = 0;
	struct kt_holder *h;
	int i;

	/* Three periods short of the wrap: private fields, set as only a test may. */
	atomic_long_set(&d->gp_started, -3L);
	atomic_long_set(&d->gp_done, -3L);
	atomic_long_set(&d->gp_needed, -3L);
	before = kovan_get_state(d);
	KUNIT_EXPECT_EQ(test, before, ULONG_MAX - 1);
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, before));

	/* Period ULONG_MAX - 1 waits for the holder; the next calls share ULONG_MAX. */
	h = kt_holder_start(test, d, -1);
	KUNIT_EXPECT_EQ(test, kovan_start_poll(d), ULONG_MAX - 1);
	shared = kovan_start_poll(d);
	KUNIT_EXPECT_EQ(test, shared, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, kovan_start_poll(d), ULONG_MAX);
	msleep(50);
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, before));
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, shared));
	kt_holder_release(h);
	KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, shared));
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, before));

	/* No reader: each call's period ends inside it, across zero. */
	for (i = 0; i < 4; i++) {
		last = kovan_start_poll(d);
		KUNIT_EXPECT_TRUE(test, kt_poll_passes(d, last));
	}
	KUNIT_EXPECT_EQ(test, last, 3UL);
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, shared));
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, last + 1));
	KUNIT_EXPECT_EQ(test, kovan_get_state(d), 4UL);
	KUNIT_EXPECT_TRUE(test, kovan_poll_state(d, last - LONG_MAX));
	KUNIT_EXPECT_FALSE(test, kovan_poll_state(d, last - LONG_MAX - 1));
	kovan_domain_destroy(d);
}

#define KT_POLL_PENDING	64
#define KT_RECHECK_MAX	8

/*
 * A reader that yields inside its guard and checks again what it loaded
 * before: the objects must outlive the yield, which is when the updaters
 * of a one-CPU kernel run.
 */
static int kt_recheck_reader(void *arg)
{
	struct kt_obj *seen[KT_RECHECK_MAX];
	struct kt_run *r = arg;
	struct kovan_guard g;
	unsigned long iter = 0;
	unsigned int i, n;

	while (!READ_ONCE(r->stop) && time_before(jiffies, r->deadline)) {
		n = min(r->table_size, KT_RECHECK_MAX);
		kovan_pin(r->d, &g);
		for (i = 0; i < n; i++)
			seen[i] = kovan_load(&r->table[i], &g);
		if (++iter & 15)
			cond_resched();
		else
			usleep_range(50, 100);
		for (i = 0; i < n; i++)
			if (seen[i] && READ_ONCE(seen[i]->magic) != KT_MAGIC)
				atomic_long_inc(&r->bad);
		kovan_unpin(&g);
		atomic_long_inc(&r->reads);
	}
	atomic_dec(&r->running);
	return 0;
}

/*
 * A cookie from kovan_start_poll() (every fourth with interrupts off,
 * which a fenceless domain leaves to the flush worker) or, every third,
 * from kovan_get_state().
 */
static unsigned long kt_poll_cookie(struct kovan_domain *d, unsigned long iter)
{
	unsigned long flags, cookie;

	if (!(iter % 3))
		return kovan_get_state(d);
	if (iter % 4)
		return kovan_start_poll(d);
	local_irq_save(flags);
	cookie = kovan_start_poll(d);
	local_irq_restore(flags);
	return cookie;
}

/*
 * An updater that frees what it unpublishes itself, once a cookie says its
 * readers are gone. With its window of cookies full it waits; a
 * kovan_synchronize() started after a cookie must pass it.
 */
static int kt_poll_updater(void *arg)
{
	unsigned long cookies[KT_POLL_PENDING], iter = 0, head = 0, tail = 0;
	struct kt_obj *pending[KT_POLL_PENDING], *o, *old;
	struct kt_run *r = arg;

	while (!READ_ONCE(r->stop) && time_before(jiffies, r->deadline)) {
		o = kt_obj_new(r->d, r->ctx, GFP_KERNEL);
		if (!o) {
			atomic_long_inc(&r->alloc_failures);
			continue;
		}
		old = kovan_replace_pointer(&r->table[get_random_u32_below(r->table_size)], o);
		atomic_long_inc(&r->updates);
		if (old) {
			pending[tail % KT_POLL_PENDING] = old;
			cookies[tail % KT_POLL_PENDING] = kt_poll_cookie(r->d, ++iter);
			tail++;
		}
		while (head != tail) {
			if (!kovan_poll_state(r->d, cookies[head % KT_POLL_PENDING])) {
				if (tail - head < KT_POLL_PENDING)
					break;
				kovan_synchronize(r->d);
				if (!kovan_poll_state(r->d, cookies[head % KT_POLL_PENDING]))
					atomic_long_inc(&r->polls_missed);
			}
			kt_quarantine(r->ctx, pending[head++ % KT_POLL_PENDING]);
		}
		if (!(iter & 63))
			cond_resched();
	}
	kovan_synchronize(r->d);
	for (; head != tail; head++) {
		if (!kovan_poll_state(r->d, cookies[head % KT_POLL_PENDING]))
			atomic_long_inc(&r->polls_missed);
		kt_quarantine(r->ctx, pending[head % KT_POLL_PENDING]);
	}
	atomic_dec(&r->running);
	return 0;
}

/*
 * Safety of polled frees: readers on every CPU, holding what they loaded
 * across a yield, against two polling updaters.
 */
static void kovan_poll_state_stress(struct kunit *test)
{
	struct kt_run *r = kt_run_new(test, kt_param_flags(test), 4, 2);
	int cpu, i;

	for_each_online_cpu(cpu) {
		kt_start(test, r, kt_recheck_reader, cpu, "reader");
		kt_start(test, r, kt_recheck_reader, -1, "reader");
	}
	for (i = 0; i < 2; i++)
		kt_start(test, r, kt_poll_updater, -1, "poll_updater");
	kt_wait(r);
	for (i = 0; i < r->table_size; i++) {
		struct kt_obj *o = kovan_replace_pointer(&r->table[i], NULL);

		if (o)
			kovan_retire(r->d, &o->node, kt_free);
	}
	kovan_barrier(r->d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->ctx->freed),
			atomic_long_read(&r->ctx->allocated));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->polls_missed), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&r->updates), 0L);
	kunit_info(test, "%u CPUs: reads %ld polled frees %ld poisoned %ld\n", num_online_cpus(),
		   atomic_long_read(&r->reads), atomic_long_read(&r->ctx->freed),
		   atomic_long_read(&r->bad));
	kovan_domain_destroy(r->d);
	kt_ctx_drain(r->ctx);
}

/* ---- Trace events ---- */

static void kt_retire_many(struct kunit *test, struct kovan_domain *d, struct kt_ctx *ctx,
			   unsigned long n)
{
	struct kt_obj *o;
	unsigned long i;

	for (i = 0; i < n; i++) {
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_retire(d, &o->node, kt_free);
	}
}

/* What probes on kovan's tracepoints saw of one domain. */
struct kt_trace {
	const char *domain;
	unsigned int slots;
	int pushed;		/* slots each close must push to; -1: any */
	u64 started;		/* ns, before the first retire */
	atomic_long_t late_ages;	/* frees older than the test */
	atomic_long_t aged;		/* frees with an age */
	atomic_long_t wrong_pushes;
	atomic_long_t closes;
	atomic_long_t periods;
	atomic_long_t closed_objects;
	atomic_long_t miscounted;
	atomic_long_t frees;
	atomic_long_t freed_objects;
	atomic_long_t era_skips;
};

static void kt_probe_close(void *data, const char *domain, unsigned long objects,
			   unsigned int pushed, unsigned int skipped)
{
	struct kt_trace *t = data;

	if (strcmp(domain, t->domain))
		return;
	atomic_long_inc(objects ? &t->closes : &t->periods);
	atomic_long_add(objects, &t->closed_objects);
	if (pushed + skipped != t->slots)
		atomic_long_inc(&t->miscounted);
	/* Set by the test thread between its phases, which close synchronously. */
	if (READ_ONCE(t->pushed) >= 0 && pushed != READ_ONCE(t->pushed))
		atomic_long_inc(&t->wrong_pushes);
}

static void kt_probe_free(void *data, const char *domain, unsigned long objects, u64 age_ns)
{
	struct kt_trace *t = data;

	if (strcmp(domain, t->domain))
		return;
	atomic_long_inc(&t->frees);
	atomic_long_add(objects, &t->freed_objects);
	if (age_ns > ktime_get_mono_fast_ns() - t->started)
		atomic_long_inc(&t->late_ages);
	if (age_ns)
		atomic_long_inc(&t->aged);
}

static void kt_probe_era_skip(void *data, const char *domain, unsigned int slot, u64 access,
			      u64 min_birth)
{
	struct kt_trace *t = data;

	if (strcmp(domain, t->domain))
		return;
	if (access >= min_birth || slot >= t->slots)
		atomic_long_inc(&t->miscounted);
	atomic_long_inc(&t->era_skips);
}

/*
 * The trace events a probe reads back agree with the domain's statistics
 * and with what the test knows: every object closed and freed once, within
 * the test's time; every close accounting for every slot, pushed to none
 * while no reader is pinned and to the one slot a reader holds (none in a
 * robust domain, whose reader is older than the batches: the era skips); a
 * grace period as a close of no objects.
 */
static void kovan_trace_events(struct kunit *test)
{
	struct kt_trace *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_holder *h;
	struct kovan_node stamp;
	struct kovan_stats s;
	unsigned long n;
	bool robust;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	if (!IS_ENABLED(CONFIG_TRACEPOINTS)) {
		kovan_domain_destroy(d);
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	}
	kovan_domain_stats(d, &s);
	t->domain = d->name;
	t->slots = s.slots;
	t->started = ktime_get_mono_fast_ns();
	n = 3 * s.batch;
	KUNIT_ASSERT_EQ(test, register_trace_kovan_batch_close(kt_probe_close, t), 0);
	KUNIT_ASSERT_EQ(test, register_trace_kovan_batch_free(kt_probe_free, t), 0);
	KUNIT_ASSERT_EQ(test, register_trace_kovan_era_skip(kt_probe_era_skip, t), 0);

	/* No reader: full batches close onto no slot. */
	WRITE_ONCE(t->pushed, 0);
	kt_retire_many(test, d, ctx, n);
	kovan_barrier(d);

	/*
	 * One reader: onto its slot, unless it is robust and was pinned before
	 * the era moved on, when closes skip it.
	 */
	WRITE_ONCE(t->pushed, -1);
	h = kt_holder_start(test, d, -1);
	robust = kovan_domain_flags(d) & KOVAN_ROBUST;
	if (robust)
		for (i = 0; i <= s.era_frequency; i++)
			kovan_node_init(d, &stamp);
	WRITE_ONCE(t->pushed, robust ? 0 : 1);
	kt_retire_many(test, d, ctx, n);
	WRITE_ONCE(t->pushed, -1);
	kt_holder_release(h);
	kovan_barrier(d);
	kovan_synchronize(d);

	unregister_trace_kovan_era_skip(kt_probe_era_skip, t);
	unregister_trace_kovan_batch_free(kt_probe_free, t);
	unregister_trace_kovan_batch_close(kt_probe_close, t);
	tracepoint_synchronize_unregister();
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->closed_objects), 2L * n);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->freed_objects), 2L * n);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->wrong_pushes), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->late_ages), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&t->aged), 0L);
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&t->closes), s.batches);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->frees), atomic_long_read(&t->closes));
	KUNIT_EXPECT_GE(test, atomic_long_read(&t->periods), 1L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->miscounted), 0L);
	KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&t->era_skips), s.era_skips);
	if (robust)
		KUNIT_EXPECT_GT(test, atomic_long_read(&t->era_skips), 0L);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* ---- A pin held off between its phase read and its count ---- */

/*
 * A pin that reads its slot's phase, is held off (an interrupt storm, a
 * preempted vCPU), and counts only after the slot's engine completed a
 * cycle counts in the phase the next cycle flips to: only that cycle's
 * first wait, for the phase pins do not use, sees it (reclaim.c,
 * "Engines"). What it loads must outlive that cycle. kovan_pin() runs the
 * window with preemption off, so the pin is built here from its parts:
 * the phase read, then the count on the slot's remote counter, as from
 * another CPU.
 */
static void kt_pin_counts_late(struct kunit *test, unsigned int flags)
{
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, flags);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_guard g = { };
	struct kt_obj *o, *mine;
	struct kt_holder *h;
	struct kovan_slot *s;
	unsigned int cpu, phase;
	unsigned long magic;
	long freed;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));
	cpu = cpumask_first(cpu_online_mask);
	s = per_cpu_ptr(&d->pcpu->slot[0], cpu);
	phase = READ_ONCE(s->phase);	/* the late pin's phase read */

	/* A reader in the slot for one batch: its engine flips, then pays once it leaves. */
	h = kt_holder_start(test, d, cpu);
	o = kt_obj_new(d, ctx, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	kovan_retire(d, &o->node, kt_free);
	/* Bounded waits for liveness, not timing assertions: 20 s is forever here. */
	for (i = 0; i < 1000 && READ_ONCE(s->phase) == phase; i++)
		msleep(20);
	kt_holder_release(h);
	for (i = 0; i < 1000 && atomic_long_read(&ctx->freed) < 1; i++)
		msleep(20);
	KUNIT_ASSERT_EQ_MSG(test, READ_ONCE(s->phase), !phase, "the engine flipped once");
	KUNIT_ASSERT_EQ(test, atomic_long_read(&ctx->freed), 1L);

	/* The late count, in the phase read before the flip; then as kovan_pin() goes on. */
	atomic_long_inc(&s->remote_pins[phase]);
	smp_mb(); /* A: counted before the load. */
	g.domain = d;
	g.slot = &d->pcpu->slot[0];
	g.cpu = cpu;
	g.phase = phase;
	mine = kovan_load(slot, &g);
	kt_replace(test, d, ctx, slot);
	/* Every chance to free it early: the flush worker closes the batch meanwhile. */
	msleep(100);
	freed = atomic_long_read(&ctx->freed);
	magic = READ_ONCE(mine->magic);
	KUNIT_EXPECT_EQ_MSG(test, magic, KT_MAGIC, "the late pin's object was freed under it");
	KUNIT_EXPECT_EQ(test, freed, 1L);
	kovan_unpin(&g);

	kt_finish_slot(test, d, ctx, slot);
}

/* Plain and fenceless domains: the robust pin's era is not built here. */
static void kovan_pin_counts_late(struct kunit *test)
{
	kt_pin_counts_late(test, 0);
	kt_pin_counts_late(test, KOVAN_FENCELESS);
}

/* ---- Fenceless domains ---- */

struct kt_pin_once {
	struct kovan_domain *d;
	struct completion done;
};

static int kt_pin_once_fn(void *arg)
{
	struct kt_pin_once *p = arg;
	struct kovan_guard g;

	kovan_pin(p->d, &g);
	kovan_unpin(&g);
	complete(&p->done);
	return 0;
}

static unsigned long kt_fence_ipis(struct kovan_domain *d, unsigned int cpu)
{
	/* this_cpu_inc() of the IPI handler, which has returned. */
	return data_race(per_cpu_ptr(d->pcpu, cpu)->fence_ipis);
}

/* The IPIs @cpu took for every domain, as kovan_cpu_stats() counts them. */
static unsigned long kt_cpu_fence_ipis(unsigned int cpu)
{
	struct kovan_cpu_stats s;

	kovan_cpu_stats(cpu, &s);
	return s.fence_ipis;
}

static unsigned int kt_unfenced(struct kovan_domain *d, unsigned int cpu)
{
	/* As a close reads it (P). */
	return smp_load_acquire(&per_cpu_ptr(d->pcpu, cpu)->slot[0].unfenced);
}

/*
 * A close sends an IPI to exactly the CPUs that pinned since their last
 * one (Documentation/overview.rst, fenceless domains): on each CPU in turn, one pin sets the
 * CPU's flag, the next close clears it with one IPI there and none
 * elsewhere, and the close after that sends none at all.
 */
static void kovan_fenceless_ipis(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, KOVAN_FENCELESS);
	unsigned long *before = kunit_kcalloc(test, nr_cpu_ids, sizeof(*before), GFP_KERNEL);
	unsigned long *cpu_before = kunit_kcalloc(test, nr_cpu_ids, sizeof(*cpu_before),
						  GFP_KERNEL);
	struct kt_pin_once p = { .d = d };
	unsigned int reader, cpu;
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, cpu_before);
	for_each_online_cpu(reader) {
		init_completion(&p.done);
		t = kthread_create(kt_pin_once_fn, &p, "kovan_test_pin");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, reader);
		wake_up_process(t);
		wait_for_completion(&p.done);
		KUNIT_EXPECT_EQ_MSG(test, kt_unfenced(d, reader), 1U, "CPU %u pinned", reader);
		for_each_online_cpu(cpu) {
			before[cpu] = kt_fence_ipis(d, cpu);
			cpu_before[cpu] = kt_cpu_fence_ipis(cpu);
		}
		kovan_synchronize(d);
		for_each_online_cpu(cpu) {
			KUNIT_EXPECT_EQ_MSG(test, kt_fence_ipis(d, cpu) - before[cpu],
					    (unsigned long)(cpu == reader),
					    "CPU %u after a pin on CPU %u", cpu, reader);
			/* No other fenceless domain is busy: kovan_cpu_stats() agrees. */
			KUNIT_EXPECT_EQ_MSG(test, kt_cpu_fence_ipis(cpu) - cpu_before[cpu],
					    (unsigned long)(cpu == reader),
					    "CPU %u's stats, pin on CPU %u", cpu, reader);
		}
		KUNIT_EXPECT_EQ_MSG(test, kt_unfenced(d, reader), 0U, "CPU %u got the IPI", reader);
		kovan_synchronize(d);
		for_each_online_cpu(cpu)
			KUNIT_EXPECT_EQ_MSG(test, kt_fence_ipis(d, cpu) - before[cpu],
					    (unsigned long)(cpu == reader),
					    "CPU %u, no pin since", cpu);
	}
	kovan_domain_destroy(d);
}

/*
 * Batches of a fenceless domain that fill in softirq or with preemption or
 * interrupts off are closed by the flush worker, which may wait for IPIs:
 * nothing waits for one there (lockdep, and smp_call_function() on SMP,
 * would say so) and everything is freed without a barrier.
 */
/* An hrtimer that retires a batch and a half, from softirq or hard irq. */
struct kt_softirq_retire {
	struct hrtimer timer;
	struct kovan_domain *d;
	struct kt_obj **objs;
	unsigned int n;
	struct completion done;
};

static enum hrtimer_restart kt_softirq_retire_fn(struct hrtimer *t)
{
	struct kt_softirq_retire *r = container_of(t, struct kt_softirq_retire, timer);
	unsigned int i;

	for (i = 0; i < r->n; i++)
		kovan_retire(r->d, &r->objs[i]->node, kt_free);
	complete(&r->done);
	return HRTIMER_NORESTART;
}

static void kt_atomic_retire(struct kunit *test, unsigned int domain_flags)
{
	struct kt_softirq_retire *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, domain_flags);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj **objs;
	unsigned long flags;
	struct kovan_stats s;
	unsigned int n, i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	kovan_domain_stats(d, &s);
	n = 4 * s.batch + 1;
	r->n = s.batch + s.batch / 2 + 1;
	objs = kunit_kcalloc(test, n + r->n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n + r->n; i++) {
		objs[i] = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/* Softirq: not preemptible, or (PREEMPT_RT) preemptible but no task. */
	r->d = d;
	r->objs = objs + n;
	init_completion(&r->done);
	kovan_hrtimer_setup(&r->timer, kt_softirq_retire_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_SOFT);
	hrtimer_start(&r->timer, ns_to_ktime(NSEC_PER_USEC), HRTIMER_MODE_REL_SOFT);
	wait_for_completion(&r->done);
	hrtimer_cancel(&r->timer);	/* The callback has returned. */
	n += r->n;
	for (i = 0; i < n - r->n; i++) {
		if (i & 1) {
			local_irq_save(flags);
			kovan_retire(d, &objs[i]->node, kt_free);
			local_irq_restore(flags);
		} else {
			preempt_disable();
			kovan_retire(d, &objs[i]->node, kt_free);
			preempt_enable();
		}
	}
	/* Bounded wait for liveness, not a timing assertion: 20 s is forever here. */
	for (i = 0; i < 1000 && atomic_long_read(&ctx->freed) < n; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), (long)n);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/*
 * Documentation/contexts.rst: kovan_retire() in hard interrupt context, PREEMPT_RT included,
 * where it may neither allocate nor sleep there: a batch and a half
 * retired from a hard hrtimer, every object freed.
 */
static void kovan_hardirq_retire(struct kunit *test)
{
	struct kt_softirq_retire *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_stats s;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	kovan_domain_stats(d, &s);
	r->n = s.batch + s.batch / 2 + 1;
	r->objs = kunit_kcalloc(test, r->n, sizeof(*r->objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->objs);
	for (i = 0; i < r->n; i++) {
		r->objs[i] = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, r->objs[i]);
	}
	r->d = d;
	init_completion(&r->done);
	kovan_hrtimer_setup(&r->timer, kt_softirq_retire_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_HARD);
	hrtimer_start(&r->timer, ns_to_ktime(NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&r->done);
	hrtimer_cancel(&r->timer);	/* The callback has returned. */
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), (long)r->n);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

static void kovan_fenceless_atomic_retire(struct kunit *test)
{
	kt_atomic_retire(test, KOVAN_FENCELESS);
	kt_atomic_retire(test, KOVAN_FENCELESS | KOVAN_ROBUST);
}

/* ---- CPU hotplug ---- */

/*
 * A CPU goes offline and comes back while readers and updaters run; the
 * readers are not bound, so some of them pin on the CPU that goes away and
 * unpin elsewhere. Nothing stalls and the counts balance.
 */
/*
 * A CPU that may go offline, tried from the last: with nohz_full= the
 * timekeeping CPU refuses (-EBUSY), and so may the isolated ones. Returns
 * it, -EBUSY when none went offline, -EIO when one did not come back.
 */
static int kt_hotplug_victim(void)
{
	int cpu;

	for (cpu = nr_cpu_ids - 1; cpu >= 0; cpu--) {
		if (!cpu_online(cpu) || remove_cpu(cpu))
			continue;
		return add_cpu(cpu) ? -EIO : cpu;
	}
	return -EBUSY;
}

static void kovan_cpu_hotplug(struct kunit *test)
{
	struct kt_run *r;
	int victim;
	int round, i, ret;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || num_online_cpus() < 2)
		kunit_skip(test, "needs CPU hotplug and two online CPUs");
	victim = kt_hotplug_victim();
	if (victim == -EBUSY && tick_nohz_full_enabled())
		kunit_skip(test, "nohz_full= leaves no CPU that may go offline");
	KUNIT_ASSERT_GE_MSG(test, victim, 0, "no CPU went offline and came back");
	r = kt_run_new(test, kt_param_flags(test), 8, 60);
	for (i = 0; i < 2 * num_online_cpus(); i++)
		kt_start(test, r, kt_reader, -1, "reader");
	kt_start(test, r, kt_updater, -1, "updater");
	kt_start(test, r, kt_updater, -1, "updater");
	for (round = 0; round < 4; round++) {
		msleep(200);
		ret = remove_cpu(victim);
		KUNIT_EXPECT_EQ(test, ret, 0);
		msleep(200);
		if (!ret)
			KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	}
	WRITE_ONCE(r->stop, true);
	kt_wait(r);
	kt_finish(test, r);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->bad), 0L);
	kunit_info(test, "4 offline/online cycles of CPU %d: reads %ld updates %ld\n", victim,
		   atomic_long_read(&r->reads), atomic_long_read(&r->updates));
	kovan_domain_destroy(r->d);
	kt_ctx_drain(r->ctx);
}

/* ---- NMI ---- */

#if IS_ENABLED(CONFIG_X86_LOCAL_APIC)
#include <asm/nmi.h>

static struct kt_irq *kt_nmi;
static atomic_t kt_nmi_expected;
static atomic_t kt_nmi_runs;

/* pin, load, unpin in NMI context, on the CPU whose task holds a guard. */
static int kt_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (!atomic_xchg(&kt_nmi_expected, 0))
		return NMI_DONE;
	if (!in_nmi())
		atomic_inc(&kt_nmi->wrong_context);
	kt_irq_read(kt_nmi);
	atomic_inc(&kt_nmi_runs);
	return NMI_HANDLED;
}

static void kovan_nmi_context(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kt_irq *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kovan_guard g;
	struct kt_obj *o;
	ktime_t deadline;
	int round, runs;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_ASSERT_NOT_NULL(test, k);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));
	k->d = d;
	k->slot = slot;
	k->ctx = ctx;
	kt_nmi = k;
	atomic_set(&kt_nmi_runs, 0);
	KUNIT_ASSERT_EQ(test, register_nmi_handler(NMI_LOCAL, kt_nmi_handler, 0, "kovan_kunit"), 0);

	for (round = 0; round < 100; round++) {
		kovan_pin(d, &g);
		/* Replace and retire, so the NMI's unpin may be the one that frees. */
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		if (o) {
			o = kovan_replace_pointer(slot, o);
			kovan_retire(d, &o->node, kt_free);
		}
		runs = atomic_read(&kt_nmi_runs);
		preempt_disable();
		atomic_set(&kt_nmi_expected, 1);
		kovan_test_nmi_self();
		/* Delivery takes microseconds; a second NMI sent early would merge. */
		deadline = ktime_add_ms(ktime_get(), 1000);
		while (atomic_read(&kt_nmi_runs) == runs && ktime_before(ktime_get(), deadline))
			cpu_relax();
		preempt_enable();
		kovan_unpin(&g);
	}
	atomic_set(&kt_nmi_expected, 0);
	unregister_nmi_handler(NMI_LOCAL, "kovan_kunit");
	KUNIT_EXPECT_EQ(test, atomic_read(&kt_nmi_runs), 100);
	KUNIT_EXPECT_EQ(test, atomic_read(&k->bad), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&k->wrong_context), 0);
	o = kovan_replace_pointer(slot, NULL);
	kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed_out_of_worker), 0L);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}
#else
static void kovan_nmi_context(struct kunit *test)
{
	kunit_skip(test, "raising an NMI needs the x86 local APIC");
}
#endif

/* ---- Stalled reader ---- */

struct kt_stall {
	struct kovan_domain *kd;
	struct srcu_struct *srcu;
	struct kt_obj __kovan *shared;
	struct completion pinned;
	struct completion release;
	atomic_t running;
	bool stop;
	atomic_long_t healthy_reads;
	atomic_t live_seq;	/* odd while the live reader is pinned */
	atomic_long_t avoid_events;	/* kovan_stall_avoid, when traced */
};

/*
 * A live reader on the stalled reader's CPU: it keeps pinning, loading the
 * newest object (which raises its slot's era) and unpinning. Unless pins
 * avoid the stalled slot, it keeps that slot's era fresh and every new
 * batch lands where the stalled reader holds it.
 */
static int kt_healthy_reader(void *arg)
{
	struct kt_stall *s = arg;
	struct kovan_guard g;
	struct kt_obj *o;

	while (!READ_ONCE(s->stop)) {
		atomic_inc_return(&s->live_seq);	/* Full barrier: odd before the pin. */
		kovan_pin(s->kd, &g);
		o = kovan_load(&s->shared, &g);
		if (o && READ_ONCE(o->magic) != KT_MAGIC)
			atomic_long_add(1L << 32, &s->healthy_reads);
		kovan_unpin(&g);
		atomic_inc_return(&s->live_seq);	/* Even after the unpin. */
		atomic_long_inc(&s->healthy_reads);
		cond_resched();
	}
	atomic_dec(&s->running);
	return 0;
}

static int kt_stalled_srcu_reader(void *arg)
{
	struct kt_stall *s = arg;
	int idx = srcu_read_lock(s->srcu);

	complete(&s->pinned);
	wait_for_completion(&s->release);
	srcu_read_unlock(s->srcu, idx);
	atomic_dec(&s->running);
	return 0;
}

struct kt_srcu_obj {
	struct rcu_head rcu;
	unsigned long payload[2];
};

static atomic_long_t kt_srcu_freed;

static void kt_srcu_free(struct rcu_head *h)
{
	kfree(container_of(h, struct kt_srcu_obj, rcu));
	atomic_long_inc(&kt_srcu_freed);
}

#define KT_STALL_OBJECTS	1000000L

static void kt_probe_stall_avoid(void *data, const char *domain, unsigned int slot)
{
	struct kt_stall *s = data;

	if (!strcmp(domain, s->kd->name))
		atomic_long_inc(&s->avoid_events);
}

static void kovan_stalled_reader_bound(struct kunit *test)
{
	struct kt_stall *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct kt_ctx *ctx = kt_ctx_new(test);
	unsigned long bound, worst, worst_first = 0, worst_second = 0, held, samples = 0;
	unsigned long pending_bound, peak = 0, peak_early = 0;
	unsigned int reader_cpu = cpumask_first(cpu_online_mask);
	struct kovan_stats st;
	struct task_struct *t;
	long i, srcu_pending;
	struct kt_holder *stalled;
	struct kt_obj *o;
	int seq;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->kd = kt_domain(test, KOVAN_ROBUST);
	kovan_domain_stats(s->kd, &st);
	/*
	 * Documentation/robust.rst: (2 * stall_batches + 3 + nr_cpu_ids) batches, one batch per
	 * object born in the era the stalled slot froze at (era_frequency per
	 * CPU at most), plus every CPU's open batch and two batches a flush
	 * may be closing. Sampled only while the live reader is not pinned:
	 * what a live reader holds (a vCPU of an oversubscribed host can stall
	 * it for milliseconds) is not what the bound is about.
	 */
	bound = (2UL * st.stall_batches + 5 + 2 * nr_cpu_ids + st.era_frequency * nr_cpu_ids) *
		st.batch;
	/*
	 * Retired and not freed, what no reader holds included: the bound
	 * above and every CPU's reclaim backlog (kovan.backlog, passed by up
	 * to a few batches paid between two retires that fill one). Updaters
	 * that cannot be made to wait (no CONFIG_PREEMPT_COUNT) have no
	 * backpressure: only reported there.
	 */
	pending_bound = bound + nr_cpu_ids * (st.backlog + 4UL * st.batch);

	kovan_init_pointer(s->shared, kt_obj_new(s->kd, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(s->shared));
	if (IS_ENABLED(CONFIG_TRACEPOINTS))
		KUNIT_ASSERT_EQ(test, register_trace_kovan_stall_avoid(kt_probe_stall_avoid, s), 0);
	stalled = kt_holder_start(test, s->kd, reader_cpu);
	atomic_set(&s->running, 1);
	t = kthread_create(kt_healthy_reader, s, "kovan_test_live");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, reader_cpu);
	wake_up_process(t);
	/* The updater on another CPU, as fast as it can: its frees must keep up. */
	if (num_online_cpus() > 1)
		set_cpus_allowed_ptr(current,
				     cpumask_of(cpumask_next(reader_cpu, cpu_online_mask)));

	for (i = 0; i < KT_STALL_OBJECTS; i++) {
		struct kt_obj *o = kt_obj_new(s->kd, ctx, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		o = kovan_replace_pointer(&s->shared, o);
		kovan_retire(s->kd, &o->node, kt_free);
		if (i % 1024)
			continue;
		cond_resched();
		seq = atomic_read(&s->live_seq);
		smp_rmb(); /* Sequence before the counters; pairs with the live reader's RMWs. */
		kovan_domain_stats(s->kd, &st);
		peak = max(peak, st.pending);
		if (i < KT_STALL_OBJECTS / 10)
			peak_early = peak;
		smp_rmb(); /* Counters before the second look at the sequence. */
		if ((seq & 1) || seq != atomic_read(&s->live_seq))
			continue;
		held = st.pending - st.queued;
		/* Flat, not growing: compare the second half with the first. */
		if (i < KT_STALL_OBJECTS / 2)
			worst_first = max(worst_first, held);
		else
			worst_second = max(worst_second, held);
		samples++;
	}
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kovan_domain_stats(s->kd, &st);
	worst = max(worst_first, worst_second);
	kunit_info(test, "kovan robust, 1 stalled + 1 live reader on a CPU: %ld retired, held at most %lu in the first half, %lu in the second (bound %lu, %lu samples), pending now %lu, live reads %ld, stall avoids %lu\n",
		   KT_STALL_OBJECTS, worst_first, worst_second, bound, samples, st.pending,
		   atomic_long_read(&s->healthy_reads) & 0xffffffff, st.stall_avoids);
	kunit_info(test, "retired and not freed: peak %lu in the first %ld retires, %lu in all (bound %lu), throttled retires %lu\n",
		   peak_early, KT_STALL_OBJECTS / 10, peak, pending_bound, st.throttles);
	KUNIT_EXPECT_LE(test, worst, bound);
	if (IS_ENABLED(CONFIG_PREEMPT_COUNT))
		KUNIT_EXPECT_LE(test, peak, pending_bound);
	KUNIT_EXPECT_LE(test, worst_second, worst_first + 4UL * st.batch);
	KUNIT_EXPECT_GT(test, samples, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->healthy_reads) >> 32, 0L);
	WRITE_ONCE(s->stop, true);
	kt_holder_release(stalled);
	while (atomic_read(&s->running))
		msleep(20);
	if (IS_ENABLED(CONFIG_TRACEPOINTS)) {
		/* Every avoidance traced: none of these pins is in NMI. */
		unregister_trace_kovan_stall_avoid(kt_probe_stall_avoid, s);
		tracepoint_synchronize_unregister();
		kovan_domain_stats(s->kd, &st);
		KUNIT_EXPECT_EQ(test, (unsigned long)atomic_long_read(&s->avoid_events),
				st.stall_avoids);
		KUNIT_EXPECT_GT(test, st.stall_avoids, 0UL);
	}
	o = kovan_replace_pointer(&s->shared, NULL);
	kovan_retire(s->kd, &o->node, kt_free);
	kovan_barrier(s->kd);
	kovan_domain_stats(s->kd, &st);
	KUNIT_EXPECT_EQ(test, st.pending, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), KT_STALL_OBJECTS + 1);
	kovan_domain_destroy(s->kd);
	kt_ctx_drain(ctx);

	/* The same scenario on SRCU, for comparison only. */
	s->srcu = kunit_kzalloc(test, sizeof(*s->srcu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->srcu);
	KUNIT_ASSERT_EQ(test, init_srcu_struct(s->srcu), 0);
	init_completion(&s->pinned);
	init_completion(&s->release);
	atomic_set(&s->running, 1);
	atomic_long_set(&kt_srcu_freed, 0);
	t = kthread_run(kt_stalled_srcu_reader, s, "kovan_test_srcu_stalled");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&s->pinned);
	for (i = 0; i < KT_STALL_OBJECTS; i++) {
		struct kt_srcu_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, o);
		call_srcu(s->srcu, &o->rcu, kt_srcu_free);
		if (!(i % 1024))
			cond_resched();
	}
	srcu_pending = KT_STALL_OBJECTS - atomic_long_read(&kt_srcu_freed);
	kunit_info(test, "srcu, 1 stalled reader: %ld retired, pending %ld; kovan held at most %lu\n",
		   KT_STALL_OBJECTS, srcu_pending, worst);
	complete(&s->release);
	while (atomic_read(&s->running))
		msleep(20);
	srcu_barrier(s->srcu);
	cleanup_srcu_struct(s->srcu);
}

/*
 * Documentation/contexts.rst: a CPU that only reads takes no kovan timer and runs no reclaim
 * worker while another CPU retires, and takes IPIs only from fenceless
 * domains; here a nohz_full CPU, whose tick a timer would bring back. make
 * check-rt boots with nohz_full= and isolcpus= for one CPU; elsewhere there
 * is none and the case is skipped.
 */
static void kovan_nohz_full_reader(struct kunit *test)
{
	static const unsigned int flags[] = { 0, KOVAN_ROBUST, KOVAN_FENCELESS };
	struct kt_stall *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_cpu_stats before, after;
	int cpu, reader = -1, updater = -1;
	struct task_struct *t;
	unsigned int f;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for_each_online_cpu(cpu) {
		if (tick_nohz_full_cpu(cpu))
			reader = reader < 0 ? cpu : reader;
		else
			updater = updater < 0 ? cpu : updater;
	}
	if (reader < 0 || updater < 0)
		kunit_skip(test, "no nohz_full CPU next to a housekeeping one (nohz_full=)");
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(updater)), 0);
	for (f = 0; f < ARRAY_SIZE(flags); f++) {
		s->kd = kt_domain(test, flags[f]);
		s->stop = false;
		atomic_long_set(&s->healthy_reads, 0);
		kt_replace(test, s->kd, ctx, &s->shared);
		atomic_set(&s->running, 1);
		t = kthread_create(kt_healthy_reader, s, "kovan_test_nohz");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		kthread_bind(t, reader);
		KUNIT_ASSERT_EQ(test, kovan_cpu_stats(reader, &before), 0);
		wake_up_process(t);
		/* Retire while the reader pins: a fenceless close then owes it an IPI. */
		for (i = 0; i < 1000 && !atomic_long_read(&s->healthy_reads); i++)
			msleep(20);
		for (i = 0; i < 20000; i++) {
			kt_replace(test, s->kd, ctx, &s->shared);
			if (!(i % 1024))
				cond_resched();
		}
		WRITE_ONCE(s->stop, true);
		while (atomic_read(&s->running))
			msleep(20);
		kovan_barrier(s->kd);
		KUNIT_ASSERT_EQ(test, kovan_cpu_stats(reader, &after), 0);
		kunit_info(test, "%s domain, reader on nohz_full CPU %d: %ld reads, %lu kicks; there: %lu flush, %lu backstop, %lu IPIs, %lu reclaims\n",
			   flags[f] == KOVAN_FENCELESS ? "fenceless" :
			   flags[f] ? "robust" : "plain",
			   reader, atomic_long_read(&s->healthy_reads) & 0xffffffff,
			   after.kicks - before.kicks, after.flush_timers - before.flush_timers,
			   after.backstop_timers - before.backstop_timers,
			   after.fence_ipis - before.fence_ipis, after.reclaims - before.reclaims);
		KUNIT_EXPECT_EQ(test, after.flush_timers, before.flush_timers);
		KUNIT_EXPECT_EQ(test, after.backstop_timers, before.backstop_timers);
		KUNIT_EXPECT_EQ(test, after.reclaims, before.reclaims);
		/* overview.rst: the asymmetric fence of a fenceless domain is an IPI. */
		if (flags[f] == KOVAN_FENCELESS)
			KUNIT_EXPECT_GT(test, after.fence_ipis, before.fence_ipis);
		else
			KUNIT_EXPECT_EQ(test, after.fence_ipis, before.fence_ipis);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&s->healthy_reads) >> 32, 0L);
		KUNIT_EXPECT_GT(test, atomic_long_read(&s->healthy_reads), 0L);
		kt_finish_slot(test, s->kd, ctx, &s->shared);
		ctx = kt_ctx_new(test);
	}
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

/* kovan_cpu_stats() of a CPU that cannot exist is refused. */
static void kovan_cpu_stats_bad_cpu(struct kunit *test)
{
	struct kovan_cpu_stats s;

	KUNIT_EXPECT_EQ(test, kovan_cpu_stats(-1, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_cpu_stats(nr_cpu_ids, &s), -EINVAL);
	KUNIT_EXPECT_EQ(test, s.kicks, 0UL);
	KUNIT_EXPECT_EQ(test, kovan_cpu_stats(cpumask_first(cpu_online_mask), &s), 0);
}

/* Sums of kovan_cpu_stats() over the possible CPUs. */
static void kt_cpu_stats_sum(struct kovan_cpu_stats *sum)
{
	struct kovan_cpu_stats s;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		kovan_cpu_stats(cpu, &s);
		sum->flush_timers += s.flush_timers;
		sum->reclaims += s.reclaims;
	}
}

/*
 * kovan_cpu_stats() counts what ran: a partly filled batch is closed by
 * the flush worker after the flush timer fired, and freed by a reclaim
 * worker run.
 */
static void kovan_cpu_stats_counts(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, 0);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj *o = kt_obj_new(d, ctx, GFP_KERNEL);
	struct kovan_cpu_stats before, after;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, o);
	kt_cpu_stats_sum(&before);
	kovan_retire(d, &o->node, kt_free);
	/* Bounded wait for liveness, not a timing assertion. */
	for (i = 0; i < 1000 && !atomic_long_read(&ctx->freed); i++)
		msleep(20);
	kt_cpu_stats_sum(&after);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 1L);
	KUNIT_EXPECT_GT(test, after.flush_timers, before.flush_timers);
	KUNIT_EXPECT_GT(test, after.reclaims, before.reclaims);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* ---- Module parameters for one test ---- */

struct kt_param {
	char path[64];
	char old[16];
};

static int kt_param_write(const char *path, const char *val)
{
	struct file *f = filp_open(path, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, strlen(val), &pos);
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

static void kt_param_restore(void *arg)
{
	struct kt_param *p = arg;

	kt_param_write(p->path, p->old);
}

/* Set kovan.@name to @val until the end of the test; skip without sysfs. */
static void kt_set_param(struct kunit *test, const char *name, const char *val)
{
	struct kt_param *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, p);
	snprintf(p->path, sizeof(p->path), "/sys/module/kovan/parameters/%s", name);
	f = filp_open(p->path, O_RDONLY, 0);
	if (IS_ERR(f))
		kunit_skip(test, "sysfs not mounted (%ld)", PTR_ERR(f));
	n = kernel_read(f, p->old, sizeof(p->old) - 1, &pos);
	filp_close(f, NULL);
	KUNIT_ASSERT_GT(test, n, (ssize_t)0);
	KUNIT_ASSERT_EQ(test, kt_param_write(p->path, val), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kt_param_restore, p), 0);
}

/*
 * Every module parameter at its maximum is taken and read back; one past
 * either end is refused with -EINVAL and leaves the value alone.
 */
static void kovan_params_at_limits(struct kunit *test)
{
	static const struct {
		const char *name, *max, *past_max, *below_min;
	} params[] = {
		{ "batch", "4096", "4097", "0" },
		{ "stall_batches", "1048576", "1048577", "0" },
		{ "flush_us", "1000000", "1000001", "-1" },
		{ "era_frequency", "1048576", "1048577", "0" },
		{ "backlog", "1073741824", "1073741825", "0" },
	};
	struct kovan_domain *d = kt_domain(test, 0);
	char path[64];
	unsigned int i;
	struct kovan_stats s;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		kt_set_param(test, params[i].name, params[i].max);
		snprintf(path, sizeof(path), "/sys/module/kovan/parameters/%s", params[i].name);
		KUNIT_EXPECT_EQ_MSG(test, kt_param_write(path, params[i].past_max), -EINVAL,
				    "%s", params[i].name);
		KUNIT_EXPECT_EQ_MSG(test, kt_param_write(path, params[i].below_min), -EINVAL,
				    "%s", params[i].name);
	}
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.batch, 4096U);
	KUNIT_EXPECT_EQ(test, s.stall_batches, 1048576U);
	KUNIT_EXPECT_EQ(test, s.era_frequency, 1048576U);
	KUNIT_EXPECT_EQ(test, s.backlog, 1073741824U);
	kovan_domain_destroy(d);
}

/* ---- Backpressure ---- */

struct kt_backpressure {
	struct kovan_domain *d;
	struct completion blocked;	/* the blocking free function runs */
	struct completion release;	/* ... and may return */
	atomic_t timed_out;
	struct completion done;
};

static struct kt_backpressure *kt_bp;

/*
 * Holds its CPU's reclaim worker until the helper releases it (10 s at
 * most), then retires one more object from inside the worker while the
 * backlog is still above the limit: that retire must not wait for itself.
 * It sleeps, which a real free function must not: a worker held up by a
 * slow free function, without depending on how the kernel preempts one
 * that spins.
 */
static void kt_blocking_free(struct kovan_node *n)
{
	struct kt_backpressure *bp = kt_bp;
	struct kt_obj *o;

	complete(&bp->blocked);
	if (!wait_for_completion_timeout(&bp->release, 10 * HZ))
		atomic_set(&bp->timed_out, 1);
	o = kt_obj_new(bp->d, kt_ctx, GFP_NOWAIT);
	if (o)
		kovan_retire(bp->d, &o->node, kt_free);
	kt_free(n);
}

/* Releases the blocked worker once a retire waited for it. */
static int kt_backpressure_helper(void *arg)
{
	struct kt_backpressure *bp = arg;
	unsigned long deadline = jiffies + 10 * HZ;
	struct kovan_stats s;

	do {
		usleep_range(1000, 2000);
		kovan_domain_stats(bp->d, &s);
	} while (!s.throttles && time_before(jiffies, deadline));
	complete(&bp->release);
	complete(&bp->done);
	return 0;
}

/*
 * Backpressure, Documentation/contexts.rst: with one CPU's reclaim worker held up,
 * kovan_synchronize() on that CPU returns, retires from preemption-off
 * sections, RCU readers, tasks about to sleep, real-time tasks and free
 * functions go on without waiting, and the first retire that may sleep
 * and finds the backlog above kovan.backlog waits until the worker caught
 * up.
 */
static void kovan_backpressure(struct kunit *test)
{
	struct kt_backpressure *bp = kunit_kzalloc(test, sizeof(*bp), GFP_KERNEL);
	struct kt_ctx *ctx = kt_ctx_new(test);
	unsigned int cpu, other, waited_at = 0;
	struct kt_obj *objs[74];
	struct kt_obj __kovan *slot;
	struct task_struct *t;
	struct kovan_stats s;
	struct kt_obj *o;
	int i;

	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT) || !IS_ENABLED(CONFIG_PREEMPTION))
		kunit_skip(test, "retires wait only where preemption can be told and happens");
	KUNIT_ASSERT_NOT_NULL(test, bp);
	kt_set_param(test, "batch", "1");
	kt_set_param(test, "backlog", "16");
	bp->d = kt_domain(test, 0);
	init_completion(&bp->blocked);
	init_completion(&bp->release);
	init_completion(&bp->done);
	kt_bp = bp;
	cpu = cpumask_first(cpu_online_mask);
	other = cpumask_next(cpu, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);

	o = kt_obj_new(bp->d, ctx, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	kovan_retire(bp->d, &o->node, kt_blocking_free);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&bp->blocked, 10 * HZ), 0UL);
	/* Waits for readers only, not behind the held worker (else: timed_out). */
	kovan_synchronize(bp->d);

	/*
	 * Above the limit with preemption off, in an RCU reader, about to
	 * sleep (a wait_event() condition), at real-time priority: no wait.
	 * Allocated before: PREEMPT_RT's slab may not be entered with
	 * preemption off.
	 */
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kt_obj_new(bp->d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	preempt_disable();
	for (i = 0; i < 64; i++)
		kovan_retire(bp->d, &objs[i]->node, kt_free);
	preempt_enable();
	rcu_read_lock();
	for (; i < ARRAY_SIZE(objs) - 2; i++)
		kovan_retire(bp->d, &objs[i]->node, kt_free);
	rcu_read_unlock();
	set_current_state(TASK_UNINTERRUPTIBLE);
	kovan_retire(bp->d, &objs[i++]->node, kt_free);
	__set_current_state(TASK_RUNNING);
	sched_set_fifo_low(current);
	kovan_retire(bp->d, &objs[i++]->node, kt_free);
	sched_set_normal(current, 0);
	kovan_domain_stats(bp->d, &s);
	KUNIT_EXPECT_EQ(test, s.throttles, 0UL);
	KUNIT_EXPECT_GT(test, s.queued, 16UL);
	kovan_init_pointer(slot, NULL);

	t = kthread_create(kt_backpressure_helper, bp, "kovan_test_bp");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (other < nr_cpu_ids)
		kthread_bind(t, other);
	wake_up_process(t);
	/* The first retire that may sleep waits for the worker. */
	for (i = 1; i <= 4 && !waited_at; i++) {
		kt_replace(test, bp->d, ctx, &slot);
		kovan_domain_stats(bp->d, &s);
		if (s.throttles)
			waited_at = i;
	}
	wait_for_completion(&bp->done);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kunit_info(test, "retire %u after the worker was held waited; queued then %lu\n",
		   waited_at, s.queued);
	KUNIT_EXPECT_EQ(test, waited_at, 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&bp->timed_out), 0);
	KUNIT_EXPECT_EQ(test, s.throttles, 1UL);
	KUNIT_EXPECT_LE(test, s.queued, 16UL);
	kt_finish_slot(test, bp->d, ctx, &slot);
	kt_bp = NULL;
}

/* A free function that takes 100 us, without sleeping. */
static void kt_slow_free(struct kovan_node *n)
{
	u64 end = ktime_get_ns() + 100 * NSEC_PER_USEC;

	while (ktime_get_ns() < end)
		cpu_relax();
	kt_free(n);
}

#define KT_SLOW_OBJECTS	10000

/*
 * Free functions slower than the retires: without backpressure, what waits
 * for the reclaim workers grows with every retire; with it, it stays
 * within kovan.backlog per CPU (and the few batches paid between two
 * retires that fill one). The retirer runs at the reclaim workers' nice
 * level: at nice 0 a woken worker may take nearly all of a lone CPU and
 * keep up by starving the retirer, and no retire would have to wait.
 */
static void kovan_backlog_bounded(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	unsigned long peak = 0, bound;
	struct kovan_domain *d;
	struct kovan_stats s;
	struct kt_obj *o;
	int i, cpu, nice = task_nice(current);

	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		kunit_skip(test, "retires cannot tell whether they may wait");
	kt_set_param(test, "backlog", "256");
	d = kt_domain(test, 0);
	kovan_domain_stats(d, &s);
	/* One CPU retires: its backlog only, whatever the number of CPUs. */
	bound = s.backlog + 4UL * s.batch;
	cpu = raw_smp_processor_id();
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	set_user_nice(current, MIN_NICE);
	for (i = 0; i < KT_SLOW_OBJECTS; i++) {
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_retire(d, &o->node, kt_slow_free);
		if (i % 8)
			continue;
		kovan_domain_stats(d, &s);
		peak = max(peak, s.queued);
	}
	set_user_nice(current, nice);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kunit_info(test, "%d objects freed at 100 us each: at most %lu waited for a worker (bound %lu), %lu retires waited\n",
		   KT_SLOW_OBJECTS, peak, bound, s.throttles);
	KUNIT_EXPECT_LE(test, peak, bound);
	KUNIT_EXPECT_GT(test, s.throttles, 0UL);
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* ---- Limits ---- */

#define KT_MANY_GUARDS	50000

/*
 * Tens of thousands of sleeping readers are legal: pin 50,000 guards from
 * one CPU, retire while they are all pinned, unpin them all. No reader may
 * be lost (a lost one frees too early, an extra one never frees).
 */
static void kovan_many_guards_one_cpu(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kovan_guard *g;
	struct kovan_stats s;
	struct kt_obj *o, *mine;
	unsigned int cpu = raw_smp_processor_id();
	int i;

	KUNIT_ASSERT_NOT_NULL(test, slot);
	g = kvcalloc(KT_MANY_GUARDS, sizeof(*g), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	for (i = 0; i < KT_MANY_GUARDS; i++)
		kovan_pin(d, &g[i]);
	mine = kovan_load(slot, &g[0]);
	for (i = 0; i < 1000; i++)
		kt_replace(test, d, ctx, slot);
	msleep(20);
	/* The first guard loaded it before its retire: still there. */
	KUNIT_EXPECT_EQ(test, READ_ONCE(mine->magic), KT_MAGIC);
	for (i = 0; i < KT_MANY_GUARDS; i++)
		kovan_unpin(&g[i]);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kvfree(g);
	o = kovan_replace_pointer(slot, NULL);
	kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/*
 * kovan_barrier() closes every batch itself: with flush_us at its maximum
 * (one second), no batch waits for the flush timer.
 */
static void kovan_barrier_closes_batches(struct kunit *test)
{
	struct kovan_domain *d;
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_stats before, after;
	struct kt_obj *o;

	kt_set_param(test, "flush_us", "1000000");
	d = kt_domain(test, kt_param_flags(test));
	o = kt_obj_new(d, ctx, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	kovan_domain_stats(d, &before);
	kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	kovan_domain_stats(d, &after);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 1L);
	KUNIT_EXPECT_EQ(test, after.aged_batches, before.aged_batches);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/*
 * The robust bound with a long-lived live reader in the stalled reader's
 * slot: the live reader keeps loading (raising the slot's era) while 20,000
 * objects are retired, then leaves; what the stalled reader holds must not
 * grow with the live reader's life. batch=1 and era_frequency=1 make every
 * retire a batch and every birth a new era.
 */
static void kovan_stalled_next_to_live_reader(struct kunit *test)
{
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **shared = kunit_kzalloc(test, sizeof(*shared), GFP_KERNEL);
	unsigned int cpu = cpumask_first(cpu_online_mask);
	unsigned long bound, pending = 0;
	struct kt_holder *stalled;
	struct kovan_domain *d;
	struct kovan_guard live;
	struct kovan_stats s;
	struct kt_obj *o;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, shared);
	kt_set_param(test, "batch", "1");
	kt_set_param(test, "era_frequency", "1");
	d = kt_domain(test, KOVAN_ROBUST);
	kovan_domain_stats(d, &s);
	/* robust.rst: 2 * stall_batches + 3 + nr_cpu_ids batches, one per object born before. */
	bound = 2UL * s.stall_batches + 5 + 2 * nr_cpu_ids + s.era_frequency * nr_cpu_ids;
	kovan_init_pointer(*shared, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*shared));

	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)), 0);
	stalled = kt_holder_start(test, d, cpu);
	kovan_pin(d, &live);
	for (i = 0; i < 20000; i++) {
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		o = kovan_replace_pointer(shared, o);
		kovan_retire(d, &o->node, kt_free);
		o = kovan_load(shared, &live);
		KUNIT_EXPECT_EQ(test, READ_ONCE(o->magic), KT_MAGIC);
		if (!(i % 1024))
			cond_resched();
	}
	kovan_unpin(&live);
	for (i = 0; i < 1000; i++) {
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		o = kovan_replace_pointer(shared, o);
		kovan_retire(d, &o->node, kt_free);
	}
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	/* What the live reader held goes; a bounded wait, not a timing assertion. */
	for (i = 0; i < 250; i++) {
		kovan_domain_stats(d, &s);
		pending = s.pending;
		if (pending <= bound)
			break;
		msleep(20);
	}
	kunit_info(test, "stalled + live reader in one slot: %lu pending after 21000 retires (bound %lu)\n",
		   pending, bound);
	KUNIT_EXPECT_LE(test, pending, bound);
	kt_holder_release(stalled);
	o = kovan_replace_pointer(shared, NULL);
	kovan_retire(d, &o->node, kt_free);
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/*
 * Objects and batch headers wherever the kernel puts them: on x86_64 with
 * 5-level paging (QEMU -cpu max) the direct map starts at 0xff11...; the
 * harness's LA57 run checks the line below to know the guest used it.
 */
static void kovan_address_bits(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, kt_param_flags(test));
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kovan_guard g[4];
	struct kt_obj *o;
	int i, j;

	for (i = 0; i < 200; i++) {
		for (j = 0; j < ARRAY_SIZE(g); j++)
			kovan_pin(d, &g[j]);
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
#if defined(CONFIG_X86_64) && !defined(CONFIG_UML)
		if (!i)
			kunit_info(test, "paging: %d levels, an object at 0x%04lx...\n",
				   pgtable_l5_enabled() ? 5 : 4, (unsigned long)o >> 48);
#endif
		kovan_retire(d, &o->node, kt_free);
		for (j = 0; j < ARRAY_SIZE(g); j++)
			kovan_unpin(&g[j]);
	}
	kovan_barrier(d);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), 200L);
	kovan_domain_destroy(d);
	kt_ctx_drain(ctx);
}

/* ---- Misuse ---- */

/*
 * Misuse WARNs and corrupts nothing: a second kovan_unpin() of a guard
 * (with another reader in the same slot, whose count it must not take),
 * a pin of a destroyed or never initialised domain, and a robust retire of
 * a node that kovan_node_init() never stamped.
 */
static void kovan_misuse_warns(struct kunit *test)
{
	struct kovan_domain *d = kt_domain(test, KOVAN_ROBUST);
	struct kovan_domain *zeroed = kunit_kzalloc(test, sizeof(*zeroed), GFP_KERNEL);
	struct kt_ctx *ctx = kt_ctx_new(test);
	struct kt_obj __kovan **slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	struct kovan_guard g, other;
	struct kovan_stats s;
	struct kt_obj *o, *held;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, zeroed);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	kovan_init_pointer(*slot, kt_obj_new(d, ctx, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(*slot));

	migrate_disable();
	kovan_pin(d, &other);
	kovan_pin(d, &g);
	migrate_enable();
	kovan_unpin(&g);
	KT_EXPECT_WARN("kovan_unpin() twice", kovan_unpin(&g));
	/* other still protects what it loads. */
	held = kovan_load(slot, &other);
	kt_replace(test, d, ctx, slot);
	msleep(20);
	KUNIT_EXPECT_EQ(test, READ_ONCE(held->magic), KT_MAGIC);
	kovan_unpin(&other);

	/* A node with a birth from the future (never stamped): protected all the same. */
	kovan_pin(d, &g);
	held = kovan_load(slot, &g);
	o = kovan_replace_pointer(slot, NULL);
	o->node.birth = U64_MAX / 2;
	KT_EXPECT_WARN("kovan_retire() of a node kovan_node_init() never stamped",
		       kovan_retire(d, &o->node, kt_free));
	for (i = 0; i < 5; i++) {
		o = kt_obj_new(d, ctx, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, o);
		kovan_retire(d, &o->node, kt_free);
	}
	msleep(20);
	KUNIT_EXPECT_EQ(test, READ_ONCE(held->magic), KT_MAGIC);
	kovan_unpin(&g);
	kovan_barrier(d);
	kovan_domain_stats(d, &s);
	KUNIT_EXPECT_EQ(test, s.pending, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ctx->freed), atomic_long_read(&ctx->allocated));
	kovan_domain_destroy(d);

	KT_EXPECT_WARN("kovan_pin() of a destroyed domain", kovan_pin(d, &g));
	kovan_unpin(&g);
	KT_EXPECT_WARN("kovan_pin() of a domain never initialised", kovan_pin(zeroed, &g));
	kovan_unpin(&g);
	kt_ctx_drain(ctx);
}

/*
 * A guard leaked past kovan_domain_destroy() may still unpin, also when
 * the domain's memory is gone (a domain embedded in a freed object).
 */
static void kovan_guard_outlives_domain(struct kunit *test)
{
	struct kovan_domain *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct kovan_guard g;

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, kovan_domain_init(d, kt_param_flags(test)), 0);
	kovan_pin(d, &g);
	/* Lockdep would report the destroy's wait for this guard, and stop. */
	kovan_guard_handoff(&g);
	KT_EXPECT_WARN("kovan_domain_destroy() with a pinned guard", kovan_domain_destroy(d));
	kfree(d);
	kovan_unpin(&g);
}

#define KT_CASE_SLOW(name) \
	KUNIT_CASE_PARAM_ATTR(name, kt_flags_gen_params, { .speed = KUNIT_SPEED_SLOW })

static struct kunit_case kovan_cases[] = {
	KUNIT_CASE(kovan_domain_init_flags),
	KUNIT_CASE(kovan_bad_input),
	KUNIT_CASE(kovan_bad_input_warns),
	KUNIT_CASE(kovan_sizes),
	KUNIT_CASE(kovan_static_domain),
	KUNIT_CASE(kovan_pointer_incomplete_type),
	KUNIT_CASE(kovan_debugfs_stats),
	KUNIT_CASE(kovan_debugfs_name),
	KUNIT_CASE(kovan_params_validated),
	KUNIT_CASE(kovan_params_at_limits),
	KUNIT_CASE(kovan_backpressure),
	KUNIT_CASE_SLOW(kovan_backlog_bounded),
	KUNIT_CASE_PARAM(kovan_accounting_no_readers, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_partial_batch, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_partial_batch_flushed, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_retire_kfree_frees, kt_flags_gen_params),
	KT_CASE_SLOW(kovan_accounting_with_readers),
	KT_CASE_SLOW(kovan_safety_stress),
	KUNIT_CASE_PARAM(kovan_nesting_and_contexts, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_sleep_and_migrate, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_unpin_hardirq_elsewhere, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_synchronize_waits, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_poll_state_readers, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_start_poll_atomic, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_start_poll_combines, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_trace_events, kt_flags_gen_params),
	KUNIT_CASE(kovan_poll_state_wraps),
	KT_CASE_SLOW(kovan_poll_state_stress),
	KUNIT_CASE(kovan_pin_counts_late),
	KUNIT_CASE(kovan_fenceless_ipis),
	KUNIT_CASE(kovan_fenceless_atomic_retire),
	KUNIT_CASE_PARAM(kovan_hardirq_retire, kt_flags_gen_params),
	KT_CASE_SLOW(kovan_cpu_hotplug),
	KUNIT_CASE_PARAM(kovan_nmi_context, kt_flags_gen_params),
	KUNIT_CASE_SLOW(kovan_stalled_reader_bound),
	KUNIT_CASE_SLOW(kovan_nohz_full_reader),
	KUNIT_CASE(kovan_cpu_stats_bad_cpu),
	KUNIT_CASE(kovan_cpu_stats_counts),
	KUNIT_CASE_PARAM(kovan_barrier_closes_batches, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_many_guards_one_cpu, kt_flags_gen_params),
	KUNIT_CASE_PARAM(kovan_address_bits, kt_flags_gen_params),
	KUNIT_CASE_SLOW(kovan_stalled_next_to_live_reader),
	KUNIT_CASE(kovan_misuse_warns),
	KUNIT_CASE_PARAM(kovan_guard_outlives_domain, kt_flags_gen_params),
	{}
};

static struct kunit_suite kovan_suite = {
	.name = "kovan",
	.test_cases = kovan_cases,
};

kunit_test_suites(&kovan_suite);

static void __exit kovan_test_exit(void)
{
	kovan_domain_destroy(&kt_static_domain);
}
module_exit(kovan_test_exit);

MODULE_DESCRIPTION("KUnit tests for kovan reclamation");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
MODULE_IMPORT_NS(KOVAN_NS);
