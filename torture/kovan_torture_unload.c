// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_torture_unload: a consumer module that is loaded and unloaded in a
 * loop by make torture while kovan_torture runs. Its free function lives in
 * this module's text, and objects are still pending when it is unloaded:
 * module exit must destroy its domain (which runs kovan_barrier()) before
 * the text goes away. A free function left over would run in unloaded text
 * and oops; a freed count short of the retired count prints an error line.
 *
 * A worker retires objects from load to unload, some while a second
 * thread holds a guard; exit retires one more batch's worth right before
 * kovan_domain_destroy(), so the barrier always has work.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <kovan/kovan.h>

MODULE_IMPORT_NS(KOVAN_NS);

struct unload_obj {
	unsigned long value;
	struct kovan_node node;
};

static struct kovan_domain unload_domain;
static struct unload_obj __kovan *unload_slot;
static atomic_long_t unload_retired = ATOMIC_LONG_INIT(0);
static atomic_long_t unload_freed = ATOMIC_LONG_INIT(0);
static struct task_struct *unload_updater, *unload_reader;

static void unload_free(struct kovan_node *n)
{
	kfree(container_of(n, struct unload_obj, node));
	atomic_long_inc(&unload_freed);
}

static void unload_replace(unsigned long value)
{
	struct unload_obj *o = kmalloc(sizeof(*o), GFP_KERNEL), *old;

	if (!o)
		return;
	o->value = value;
	kovan_node_init(&unload_domain, &o->node);
	/* Fully ordered: o's initialisation before it is reachable. */
	old = kovan_replace_pointer(&unload_slot, o);
	if (old) {
		atomic_long_inc(&unload_retired);
		kovan_retire(&unload_domain, &old->node, unload_free);
	}
}

static int unload_updater_fn(void *unused)
{
	unsigned long value = 0;

	while (!kthread_should_stop()) {
		unload_replace(++value);
		cond_resched();
	}
	return 0;
}

static int unload_reader_fn(void *unused)
{
	struct unload_obj *o;
	struct kovan_guard g;

	while (!kthread_should_stop()) {
		kovan_pin(&unload_domain, &g);
		o = kovan_load(&unload_slot, &g);
		if (o && !READ_ONCE(o->value))
			pr_err("kovan-torture-unload: error: reader found a zeroed object\n");
		usleep_range(100, 200);
		kovan_unpin(&g);
	}
	return 0;
}

static int __init unload_init(void)
{
	int ret = kovan_domain_init(&unload_domain, 0);

	if (ret)
		return ret;
	unload_reader = kthread_run(unload_reader_fn, NULL, "kovan_unload_r");
	if (IS_ERR(unload_reader)) {
		ret = PTR_ERR(unload_reader);
		goto out_domain;
	}
	unload_updater = kthread_run(unload_updater_fn, NULL, "kovan_unload_u");
	if (IS_ERR(unload_updater)) {
		ret = PTR_ERR(unload_updater);
		kthread_stop(unload_reader);
		goto out_domain;
	}
	return 0;
out_domain:
	kovan_domain_destroy(&unload_domain);
	return ret;
}

static void __exit unload_exit(void)
{
	struct unload_obj *o;
	unsigned int i;
	ktime_t start;

	kthread_stop(unload_updater);
	kthread_stop(unload_reader);
	for (i = 0; i < 64; i++)
		unload_replace(i + 1);
	o = kovan_replace_pointer(&unload_slot, NULL);
	if (o) {
		atomic_long_inc(&unload_retired);
		kovan_retire(&unload_domain, &o->node, unload_free);
	}
	start = ktime_get();
	kovan_domain_destroy(&unload_domain);
	/* The harness prints the slowest; make torture's target is 100 ms. */
	pr_info("kovan-torture-unload: domain destroyed in %lld us\n",
		ktime_us_delta(ktime_get(), start));
	if (atomic_long_read(&unload_freed) != atomic_long_read(&unload_retired))
		pr_err("kovan-torture-unload: error: %ld retired, %ld freed at unload\n",
		       atomic_long_read(&unload_retired), atomic_long_read(&unload_freed));
}

module_init(unload_init);
module_exit(unload_exit);

MODULE_DESCRIPTION("kovan torture: unload with retirements pending");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
