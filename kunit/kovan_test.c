// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit tests for kovan domains.
 */

#include <kunit/test.h>
#include <linux/module.h>

#include <kovan/kovan.h>

static void kovan_domain_init_plain(struct kunit *test)
{
	struct kovan_domain d;

	KUNIT_ASSERT_EQ(test, kovan_domain_init(&d, 0), 0);
	KUNIT_EXPECT_EQ(test, kovan_domain_flags(&d) & ~KOVAN_ROBUST, 0U);
	KUNIT_EXPECT_EQ(test, !!(kovan_domain_flags(&d) & KOVAN_ROBUST),
			IS_ENABLED(CONFIG_KOVAN_ROBUST_DEFAULT));
	kovan_domain_destroy(&d);
}

static void kovan_domain_init_robust(struct kunit *test)
{
	struct kovan_domain d;

	KUNIT_ASSERT_EQ(test, kovan_domain_init(&d, KOVAN_ROBUST), 0);
	KUNIT_EXPECT_EQ(test, kovan_domain_flags(&d), KOVAN_ROBUST);
	kovan_domain_destroy(&d);
}

static void kovan_domain_init_bad_input(struct kunit *test)
{
	struct kovan_domain d;

	KUNIT_EXPECT_EQ(test, kovan_domain_init(NULL, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_domain_init(&d, ~KOVAN_DOMAIN_FLAGS), -EINVAL);
	KUNIT_EXPECT_EQ(test, kovan_domain_init(&d, KOVAN_ROBUST | 0x80000000U), -EINVAL);
	kovan_domain_destroy(NULL);
}

/* Domains are cheap to set up and tear down; KASAN sees any leak or overrun. */
static void kovan_domain_init_many(struct kunit *test)
{
	struct kovan_domain d[16];
	int i;

	for (i = 0; i < ARRAY_SIZE(d); i++)
		KUNIT_ASSERT_EQ(test, kovan_domain_init(&d[i], i & 1 ? KOVAN_ROBUST : 0), 0);
	for (i = ARRAY_SIZE(d) - 1; i >= 0; i--)
		kovan_domain_destroy(&d[i]);
}

static struct kunit_case kovan_domain_cases[] = {
	KUNIT_CASE(kovan_domain_init_plain),
	KUNIT_CASE(kovan_domain_init_robust),
	KUNIT_CASE(kovan_domain_init_bad_input),
	KUNIT_CASE(kovan_domain_init_many),
	{}
};

static struct kunit_suite kovan_domain_suite = {
	.name = "kovan_domain",
	.test_cases = kovan_domain_cases,
};

kunit_test_suites(&kovan_domain_suite);

MODULE_DESCRIPTION("KUnit tests for kovan domains");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
