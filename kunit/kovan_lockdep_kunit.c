// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan's lockdep annotations. A guard is a recursive read acquisition of
 * its domain's lockdep map and kovan_synchronize()/kovan_barrier() a wait
 * for it, as SRCU has them, so that the deadlocks below are lockdep
 * reports instead of silent hangs.
 *
 * kovan_lockdep_annotations runs in every suite run. The two deadlock
 * cases each provoke one lockdep report, after which lockdep turns itself
 * off for the rest of the boot: they are skipped unless the module is
 * loaded with provoke=<case>, which make check does in a boot of its own
 * for each (scripts/run-tests.sh --provoke), inside the harness's
 * expect-report brackets.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>

#include <kovan/kovan.h>

#include "compat.h"

MODULE_IMPORT_NS(KOVAN_NS);

static char *provoke = "";
module_param(provoke, charp, 0400);
MODULE_PARM_DESC(provoke,
		 "lockdep report to provoke: recursive (kovan_synchronize() in a guard), barrier (kovan_barrier() in a guard) or abba (with a mutex); default none");

#define KL_EXPECT(kind, what)	pr_info("kovan-expect-report: begin %s: %s\n", kind, what)
#define KL_EXPECT_END()		pr_info("kovan-expect-report: end\n")

static struct kovan_domain *kl_domain(struct kunit *test)
{
	struct kovan_domain *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, kovan_domain_init(d, 0), 0);
	return d;
}

static void kl_require_lockdep(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "needs CONFIG_PROVE_LOCKING");
	if (!debug_locks)
		kunit_skip(test, "lockdep turned itself off earlier in this boot");
}

/*
 * Lockdep follows every guard of a task: held from pin to unpin, not after
 * a hand-off, and nested pins past KOVAN_LOCKDEP_DEPTH are left out rather
 * than overflowing lockdep's stack (which would turn it off).
 */
static void kovan_lockdep_annotations(struct kunit *test)
{
	struct kovan_domain *d, *other;
	struct kovan_guard *g;
	int i, n = 200;	/* Past KOVAN_LOCKDEP_DEPTH and lockdep's 48. */

	kl_require_lockdep(test);
	d = kl_domain(test);
	other = kl_domain(test);
	g = kunit_kcalloc(test, n, sizeof(*g), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, g);

	KUNIT_EXPECT_FALSE(test, kovan_pin_held(d));
	kovan_pin(d, &g[0]);
	KUNIT_EXPECT_TRUE(test, kovan_pin_held(d));
	KUNIT_EXPECT_FALSE(test, kovan_pin_held(other));
	kovan_unpin(&g[0]);
	KUNIT_EXPECT_FALSE(test, kovan_pin_held(d));

	kovan_pin(d, &g[0]);
	kovan_guard_handoff(&g[0]);
	KUNIT_EXPECT_FALSE(test, kovan_pin_held(d));
	kovan_unpin(&g[0]);

	for (i = 0; i < n; i++)
		kovan_pin(i & 1 ? other : d, &g[i]);
	KUNIT_EXPECT_TRUE(test, kovan_pin_held(d));
	KUNIT_EXPECT_TRUE(test, kovan_pin_held(other));
#ifdef CONFIG_LOCKDEP
	KUNIT_EXPECT_LE(test, current->lockdep_depth, (int)KOVAN_LOCKDEP_DEPTH);
	KUNIT_EXPECT_GT(test, n, (int)MAX_LOCK_DEPTH);
#endif
	for (i = 0; i < n; i++)
		kovan_unpin(&g[i]);
	KUNIT_EXPECT_FALSE(test, kovan_pin_held(d));
	KUNIT_EXPECT_FALSE(test, kovan_pin_held(other));
	KUNIT_EXPECT_TRUE_MSG(test, debug_locks, "lockdep turned itself off");

	kovan_domain_destroy(other);
	kovan_domain_destroy(d);
}

static void kl_provoking(struct kunit *test, const char *what)
{
	kl_require_lockdep(test);
	if (strcmp(provoke, what))
		kunit_skip(test, "provokes a lockdep report: run with provoke=%s", what);
}

struct kl_unpinner {
	struct kovan_guard *g;
	struct completion done;
};

/*
 * Lets the caller's wait return: unpins its guard for it once lockdep has
 * reported the wait (and so turned itself off), or after 20 s, when the
 * unpin in the wrong task is a report of its own.
 */
static int kl_unpin_later(void *arg)
{
	struct kl_unpinner *u = arg;
	int i;

	for (i = 0; i < 1000 && debug_locks; i++)
		msleep(20);
	kovan_unpin(u->g);
	complete(&u->done);
	return 0;
}

/*
 * kovan_synchronize() or kovan_barrier() inside a guard of the same domain
 * waits for itself. Lockdep reports it when the wait begins; a helper then
 * unpins the guard so that the case ends.
 */
static void kl_wait_in_guard(struct kunit *test, void (*wait)(struct kovan_domain *d),
			     const char *what)
{
	struct kl_unpinner u;
	struct kovan_domain *d;
	struct task_struct *t;
	struct kovan_guard g;

	d = kl_domain(test);
	init_completion(&u.done);
	u.g = &g;
	kovan_pin(d, &g);
	t = kthread_run(kl_unpin_later, &u, "kovan_lockdep_unpin");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KL_EXPECT("lockdep-recursive", what);
	wait(d);
	KL_EXPECT_END();
	wait_for_completion(&u.done);
	KUNIT_EXPECT_FALSE_MSG(test, debug_locks, "lockdep saw nothing");
	kovan_domain_destroy(d);
}

static void kovan_lockdep_synchronize_in_guard(struct kunit *test)
{
	kl_provoking(test, "recursive");
	kl_wait_in_guard(test, kovan_synchronize,
			 "kovan_synchronize() inside a guard of its domain");
}

static void kovan_lockdep_barrier_in_guard(struct kunit *test)
{
	kl_provoking(test, "barrier");
	kl_wait_in_guard(test, kovan_barrier, "kovan_barrier() inside a guard of its domain");
}

static DEFINE_MUTEX(kl_mutex);

/*
 * A reader takes a mutex inside its guard; an updater calls
 * kovan_synchronize() holding that mutex. Run one after the other, neither
 * waits, but together they can deadlock: lockdep reports the cycle.
 */
static void kovan_lockdep_abba(struct kunit *test)
{
	struct kovan_domain *d;
	struct kovan_guard g;

	kl_provoking(test, "abba");
	d = kl_domain(test);
	kovan_pin(d, &g);
	mutex_lock(&kl_mutex);
	mutex_unlock(&kl_mutex);
	kovan_unpin(&g);

	mutex_lock(&kl_mutex);
	KL_EXPECT("lockdep-circular", "kovan_synchronize() under a mutex a reader takes");
	kovan_synchronize(d);
	KL_EXPECT_END();
	mutex_unlock(&kl_mutex);
	KUNIT_EXPECT_FALSE_MSG(test, debug_locks, "lockdep saw nothing");
	kovan_domain_destroy(d);
}

struct kl_obj {
	int v;
};

static struct kl_obj *kl_read_protected(struct kl_obj __kovan **pp)
{
	return kovan_dereference_protected(*pp, lockdep_is_held(&kl_mutex));
}

/*
 * kovan_dereference_protected() checks its condition under lockdep: with
 * kl_mutex held nothing is reported; without it, a WARN.
 */
static void kovan_lockdep_dereference_protected(struct kunit *test)
{
	struct kl_obj obj = { .v = 1 };
	struct kl_obj __kovan *p;

	kl_require_lockdep(test);
	kovan_init_pointer(p, &obj);
	mutex_lock(&kl_mutex);
	KUNIT_EXPECT_PTR_EQ(test, kl_read_protected(&p), &obj);
	mutex_unlock(&kl_mutex);
	KL_EXPECT("WARNING", "kovan_dereference_protected() without the lock it names");
	KUNIT_EXPECT_PTR_EQ(test, kl_read_protected(&p), &obj);
	KL_EXPECT_END();
}

static struct kunit_case kovan_lockdep_cases[] = {
	KUNIT_CASE(kovan_lockdep_annotations),
	KUNIT_CASE(kovan_lockdep_dereference_protected),
	KUNIT_CASE(kovan_lockdep_synchronize_in_guard),
	KUNIT_CASE(kovan_lockdep_barrier_in_guard),
	KUNIT_CASE(kovan_lockdep_abba),
	{}
};

static struct kunit_suite kovan_lockdep_suite = {
	.name = "kovan_lockdep",
	.test_cases = kovan_lockdep_cases,
};

kunit_test_suites(&kovan_lockdep_suite);

MODULE_DESCRIPTION("KUnit tests for kovan's lockdep annotations");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
