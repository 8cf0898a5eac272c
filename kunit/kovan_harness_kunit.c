// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Harness self-test: failures on purpose, so that we know the test harness
 * reports each kind of failure. Every case is skipped unless the module is
 * loaded with mode=<its kind>; an unknown mode makes insmod fail, which the
 * harness must report too. Run them with `make selftest`.
 *
 * mode=warn also proves the other direction of expected reports: a WARN
 * outside a kovan-expect-report bracket fails; mode=expect, a bracket
 * whose report never comes fails.
 *
 * The other kinds: a kernel that stops before the end marker without a
 * report (poweroff), a KTAP document the parser cannot read (ktap), a
 * failure in a later module's document (later: the harness loads a
 * passing suite module first), an Oops (oops), a panic (panic), a lockdep
 * report (lockdep) and a module that cannot be unloaded (rmmod).
 *
 * KUnit in 6.1 runs a module's suites before it parses the module's
 * parameters, so the harness also builds the mode in (make variable
 * KOVAN_SELFTEST_MODE); the parameter, where it arrives in time, agrees.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <linux/slab.h>

static const char * const selftest_modes[] = {
	"", "fail", "warn", "kasan", "hang", "expect", "poweroff", "ktap", "later", "oops",
	"panic", "lockdep", "rmmod",
};

#ifndef KOVAN_SELFTEST_MODE
#define KOVAN_SELFTEST_MODE ""
#endif
static char selftest_mode[16] = KOVAN_SELFTEST_MODE;

static int selftest_mode_set(const char *val, const struct kernel_param *kp)
{
	char mode[sizeof(selftest_mode)];

	if (strscpy(mode, val, sizeof(mode)) < 0)
		return -EINVAL;
	strim(mode);
	if (match_string(selftest_modes, ARRAY_SIZE(selftest_modes), mode) < 0)
		return -EINVAL;
	strscpy(selftest_mode, mode, sizeof(selftest_mode));
	return 0;
}

static const struct kernel_param_ops selftest_mode_ops = {
	.set = selftest_mode_set,
	.get = param_get_string,
};

static struct kparam_string selftest_mode_string = {
	.maxlen = sizeof(selftest_mode),
	.string = selftest_mode,
};

module_param_cb(mode, &selftest_mode_ops, &selftest_mode_string, 0400);
MODULE_PARM_DESC(mode,
		 "failure to produce: fail, warn, kasan, hang, expect, poweroff, ktap, later, oops, panic, lockdep or rmmod (default: none)");

static void selftest_require_mode(struct kunit *test, const char *mode)
{
	if (strcmp(selftest_mode, mode))
		kunit_skip(test, "harness self-test; load with mode=%s", mode);
}

static void selftest_fail(struct kunit *test)
{
	selftest_require_mode(test, "fail");
	KUNIT_FAIL(test, "deliberate failure (mode=fail)");
}

struct selftest_thread {
	struct completion done;
};

static int selftest_warn_fn(void *arg)
{
	struct selftest_thread *t = arg;

	WARN(1, "kovan_harness: deliberate WARN from a helper thread (mode=warn)");
	complete(&t->done);
	return 0;
}

static int selftest_kasan_fn(void *arg)
{
	struct selftest_thread *t = arg;
	int *p = kmalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		goto out;
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	pr_info("kovan_harness: read after free: %d\n", READ_ONCE(*p));
out:
	complete(&t->done);
	return 0;
}

/*
 * Reports raised in a helper thread do not fail the KUnit case; only the
 * harness's console scan can see them. That is what these two cases prove.
 */
static void selftest_run_helper(struct kunit *test, int (*fn)(void *))
{
	struct selftest_thread t;
	struct task_struct *task;

	init_completion(&t.done);
	task = kthread_run(fn, &t, "kovan_harness");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&t.done);
}

static void selftest_warn(struct kunit *test)
{
	selftest_require_mode(test, "warn");
	selftest_run_helper(test, selftest_warn_fn);
}

static void selftest_kasan(struct kunit *test)
{
	selftest_require_mode(test, "kasan");
	if (!IS_ENABLED(CONFIG_KASAN))
		kunit_skip(test, "kernel built without KASAN");
	selftest_run_helper(test, selftest_kasan_fn);
}

static void selftest_hang(struct kunit *test)
{
	selftest_require_mode(test, "hang");
	for (;;)
		msleep(1000);
}

/* A report announced as expected that never comes must fail the run. */
static void selftest_expect(struct kunit *test)
{
	selftest_require_mode(test, "expect");
	pr_info("kovan-expect-report: begin WARNING: a WARN that never fires (mode=expect)\n");
	pr_info("kovan-expect-report: end\n");
}

/* The kernel stops before the end marker and prints no report. */
static void selftest_poweroff(struct kunit *test)
{
	selftest_require_mode(test, "poweroff");
	kernel_power_off();
}

/* A second KTAP document starts inside this one and breaks both. */
static void selftest_ktap(struct kunit *test)
{
	selftest_require_mode(test, "ktap");
	pr_info("KTAP version 1\n");
	pr_info("1..2\n");
	pr_info("this is not a KTAP line (mode=ktap)\n");
}

/* Fails in the second document: the harness loads a passing module first. */
static void selftest_later(struct kunit *test)
{
	selftest_require_mode(test, "later");
	KUNIT_FAIL(test, "deliberate failure in a later module's document (mode=later)");
}

static int selftest_oops_fn(void *arg)
{
	struct selftest_thread *t = arg;
	unsigned long *null = NULL;

	complete(&t->done);
	OPTIMIZER_HIDE_VAR(null);
	pr_info("kovan_harness: NULL dereference: %lu\n", READ_ONCE(*null));
	return 0;
}

/* An Oops in a helper thread; the case itself goes on. */
static void selftest_oops(struct kunit *test)
{
	struct selftest_thread t;
	struct task_struct *task;

	selftest_require_mode(test, "oops");
	init_completion(&t.done);
	task = kthread_run(selftest_oops_fn, &t, "kovan_harness");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&t.done);
	msleep(1000);
}

static void selftest_panic(struct kunit *test)
{
	selftest_require_mode(test, "panic");
	panic("kovan_harness: deliberate panic (mode=panic)");
}

static DEFINE_MUTEX(selftest_lock_a);
static DEFINE_MUTEX(selftest_lock_b);

/* Takes two locks in both orders: lockdep reports the possible deadlock. */
static void selftest_lockdep(struct kunit *test)
{
	selftest_require_mode(test, "lockdep");
	mutex_lock(&selftest_lock_a);
	mutex_lock(&selftest_lock_b);
	mutex_unlock(&selftest_lock_b);
	mutex_unlock(&selftest_lock_a);
	mutex_lock(&selftest_lock_b);
	mutex_lock(&selftest_lock_a);
	mutex_unlock(&selftest_lock_a);
	mutex_unlock(&selftest_lock_b);
}

/* Keeps a reference to the module, so that its rmmod fails. */
static void selftest_rmmod(struct kunit *test)
{
	selftest_require_mode(test, "rmmod");
	KUNIT_EXPECT_TRUE(test, try_module_get(THIS_MODULE));
}

static struct kunit_case selftest_cases[] = {
	KUNIT_CASE(selftest_fail),
	KUNIT_CASE(selftest_warn),
	KUNIT_CASE(selftest_kasan),
	KUNIT_CASE(selftest_hang),
	KUNIT_CASE(selftest_expect),
	KUNIT_CASE(selftest_poweroff),
	KUNIT_CASE(selftest_ktap),
	KUNIT_CASE(selftest_later),
	KUNIT_CASE(selftest_oops),
	KUNIT_CASE(selftest_panic),
	KUNIT_CASE(selftest_lockdep),
	KUNIT_CASE(selftest_rmmod),
	{}
};

static struct kunit_suite selftest_suite = {
	.name = "kovan_harness",
	.test_cases = selftest_cases,
};

kunit_test_suites(&selftest_suite);

MODULE_DESCRIPTION("kovan test harness self-test: deliberate failures");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
