// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module outside kovan's build that links against kovan's exports: proves
 * that the KOVAN symbol namespace, Module.symvers and the include path work
 * for consumers.
 */

#include <kunit/test.h>
#include <linux/module.h>

#include <kovan/kovan.h>

static void kovan_consumer_links(struct kunit *test)
{
	struct kovan_domain d;

	KUNIT_ASSERT_EQ(test, kovan_domain_init(&d, KOVAN_ROBUST), 0);
	KUNIT_EXPECT_TRUE(test, kovan_domain_flags(&d) & KOVAN_ROBUST);
	kovan_domain_destroy(&d);
}

static struct kunit_case kovan_consumer_cases[] = {
	KUNIT_CASE(kovan_consumer_links),
	{}
};

static struct kunit_suite kovan_consumer_suite = {
	.name = "kovan_consumer",
	.test_cases = kovan_consumer_cases,
};

kunit_test_suites(&kovan_consumer_suite);

MODULE_DESCRIPTION("kovan consumer: builds and links like an external driver");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN);
