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
 * KUnit in 6.1 runs a module's suites before it parses the module's
 * parameters, so the harness also builds the mode in (make variable
 * KOVAN_SELFTEST_MODE); the parameter, where it arrives in time, agrees.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

static const char * const selftest_modes[] = { "", "fail", "warn", "kasan", "hang", "expect" };
#ifndef KOVAN_SELFTEST_MODE
#define KOVAN_SELFTEST_MODE ""
#endif
static char selftest_mode[8] = KOVAN_SELFTEST_MODE;

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
MODULE_PARM_DESC(mode, "failure to produce: fail, warn, kasan, hang or expect (default: none)");

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

	WARN(1, "kovan_selftest: deliberate WARN from a helper thread (mode=warn)");
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
	pr_info("kovan_selftest: read after free: %d\n", READ_ONCE(*p));
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
	task = kthread_run(fn, &t, "kovan_selftest");
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

static struct kunit_case selftest_cases[] = {
	KUNIT_CASE(selftest_fail),
	KUNIT_CASE(selftest_warn),
	KUNIT_CASE(selftest_kasan),
	KUNIT_CASE(selftest_hang),
	KUNIT_CASE(selftest_expect),
	{}
};

static struct kunit_suite selftest_suite = {
	.name = "kovan_harness_selftest",
	.test_cases = selftest_cases,
};

kunit_test_suites(&selftest_suite);

MODULE_DESCRIPTION("kovan test harness self-test: deliberate failures");
MODULE_LICENSE("Dual MIT/GPL");
