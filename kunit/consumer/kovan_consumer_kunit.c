// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A module outside kovan's build that links against kovan's exports, the
 * way a driver does: proves the KOVAN symbol namespace, Module.symvers and
 * the include path, and the unload rule. Objects whose free function lives
 * here are still pending when the module is unloaded; module exit calls
 * kovan_domain_destroy(), which runs kovan_barrier(). Were the barrier to
 * return early, the free function would run in unloaded text and the
 * harness would see the Oops.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kovan/kovan.h>

struct consumer_obj {
	unsigned long value;
	struct kovan_node node;
};

static struct kovan_domain consumer_domain;
static struct consumer_obj __kovan *consumer_slot;
static atomic_long_t consumer_retired = ATOMIC_LONG_INIT(0);
static atomic_long_t consumer_freed = ATOMIC_LONG_INIT(0);
static DECLARE_COMPLETION(consumer_reader_pinned);
static DECLARE_COMPLETION(consumer_release_reader);
static DECLARE_COMPLETION(consumer_reader_done);
static bool consumer_reader_started;
static bool consumer_domain_ready;

static void consumer_free(struct kovan_node *n)
{
	kfree(container_of(n, struct consumer_obj, node));
	atomic_long_inc(&consumer_freed);
}

/* Holds a guard from the test until module exit. */
static int consumer_reader(void *unused)
{
	struct kovan_guard g;
	struct consumer_obj *o;

	kovan_pin(&consumer_domain, &g);
	o = kovan_load(&consumer_slot, &g);
	complete(&consumer_reader_pinned);
	wait_for_completion(&consumer_release_reader);
	WARN_ON(o && READ_ONCE(o->value) != 42);
	kovan_unpin(&g);
	complete(&consumer_reader_done);
	return 0;
}

static struct consumer_obj *consumer_new(void)
{
	struct consumer_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

	if (o) {
		o->value = 42;
		kovan_node_init(&consumer_domain, &o->node);
	}
	return o;
}

static void kovan_consumer_links(struct kunit *test)
{
	struct kovan_domain d;

	KUNIT_ASSERT_EQ(test, kovan_domain_init(&d, KOVAN_ROBUST), 0);
	KUNIT_EXPECT_TRUE(test, kovan_domain_flags(&d) & KOVAN_ROBUST);
	kovan_domain_destroy(&d);
}

/* Leave retired objects pending for the unload path. */
static void kovan_consumer_pending_at_unload(struct kunit *test)
{
	struct task_struct *t;
	struct kovan_stats s;
	int i;

	/*
	 * Set up here rather than in module init: KUnit in 6.1 runs a
	 * module's suites while the module is coming, before its init.
	 */
	KUNIT_ASSERT_EQ(test, kovan_domain_init(&consumer_domain, 0), 0);
	consumer_domain_ready = true;
	kovan_init_pointer(consumer_slot, consumer_new());
	KUNIT_ASSERT_NOT_NULL(test, kovan_access_pointer(consumer_slot));
	t = kthread_run(consumer_reader, NULL, "kovan_consumer_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	consumer_reader_started = true;
	wait_for_completion(&consumer_reader_pinned);
	for (i = 0; i < 1000; i++) {
		struct consumer_obj *o = consumer_new(), *old;

		KUNIT_ASSERT_NOT_NULL(test, o);
		old = kovan_replace_pointer(&consumer_slot, o);
		kovan_retire(&consumer_domain, &old->node, consumer_free);
		atomic_long_inc(&consumer_retired);
	}
	kovan_domain_stats(&consumer_domain, &s);
	if (kovan_domain_flags(&consumer_domain) & KOVAN_ROBUST) {
		/*
		 * CONFIG_KOVAN_ROBUST_DEFAULT: the reader holds the object it
		 * loaded; those born after its era may go.
		 */
		KUNIT_EXPECT_GE(test, s.pending, 1UL);
		return;
	}
	/* The reader pinned before every retire: nothing can have been freed. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&consumer_freed), 0L);
	KUNIT_EXPECT_EQ(test, s.pending, 1000UL);
}

static struct kunit_case kovan_consumer_cases[] = {
	KUNIT_CASE(kovan_consumer_links),
	KUNIT_CASE(kovan_consumer_pending_at_unload),
	{}
};

static struct kunit_suite kovan_consumer_suite = {
	.name = "kovan_consumer",
	.test_cases = kovan_consumer_cases,
};

kunit_test_suites(&kovan_consumer_suite);

static void __exit kovan_consumer_exit(void)
{
	struct consumer_obj *last;
	struct kovan_stats s;

	if (!consumer_domain_ready)
		return;
	if (consumer_reader_started) {
		complete(&consumer_release_reader);
		wait_for_completion(&consumer_reader_done);
	}
	last = kovan_replace_pointer(&consumer_slot, NULL);
	if (last) {
		kovan_retire(&consumer_domain, &last->node, consumer_free);
		atomic_long_inc(&consumer_retired);
	}
	kovan_domain_stats(&consumer_domain, &s);
	pr_info("kovan_consumer: %lu objects pending at unload\n", s.pending);
	kovan_domain_destroy(&consumer_domain);
	/* The barrier inside destroy must have run every free function. */
	WARN_ON(atomic_long_read(&consumer_freed) != atomic_long_read(&consumer_retired));
}

module_exit(kovan_consumer_exit);

MODULE_DESCRIPTION("kovan consumer: builds and links like an external driver");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
