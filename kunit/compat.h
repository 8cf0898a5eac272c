/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the KUnit suites use that kernels before 6.6 lack, so that the same
 * suites build and run on 6.1 LTS. kovan and kovan_queue themselves need no
 * shim; only the tests reach for newer KUnit and x86 APIs.
 */
#ifndef KOVAN_KUNIT_COMPAT_H
#define KOVAN_KUNIT_COMPAT_H

#include <kunit/test.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
/* Case attributes came in 6.6; before, a slow case runs as a plain one. */
#define KUNIT_CASE_SLOW(test_name) KUNIT_CASE(test_name)
#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, ...) \
	KUNIT_CASE_PARAM(test_name, gen_params)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#include <kunit/resource.h>
#include <linux/slab.h>

/*
 * Deferred actions came in 6.5. Before, an action is a KUnit resource whose
 * free callback runs it: at the end of the test, or when released early.
 */
typedef void (kunit_action_t)(void *);

#define KUNIT_DEFINE_ACTION_WRAPPER(wrapper, orig, arg_type)	\
	static void wrapper(void *in)				\
	{							\
		orig((arg_type)in);				\
	}

struct kovan_kunit_action {
	kunit_action_t *action;
	void *ctx;
};

static inline int kovan_kunit_action_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static inline void kovan_kunit_action_run(struct kunit_resource *res)
{
	struct kovan_kunit_action *a = res->data;

	a->action(a->ctx);
	kfree(a);
}

static inline bool kovan_kunit_action_match(struct kunit *test, struct kunit_resource *res,
					    void *match_data)
{
	struct kovan_kunit_action *a = res->data, *m = match_data;

	return res->free == kovan_kunit_action_run && a->action == m->action &&
	       a->ctx == m->ctx;
}

static inline int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
					    void *ctx)
{
	struct kovan_kunit_action *a = kmalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->action = action;
		a->ctx = ctx;
		if (kunit_alloc_resource(test, kovan_kunit_action_init, kovan_kunit_action_run,
					 GFP_KERNEL, a))
			return 0;
		kfree(a);
	}
	action(ctx);
	return -ENOMEM;
}

static inline void kunit_release_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct kovan_kunit_action match = { .action = action, .ctx = ctx };
	struct kunit_resource *res;

	res = kunit_find_resource(test, kovan_kunit_action_match, &match);
	if (res) {
		kunit_remove_resource(test, res);
		kunit_put_resource(res);
	}
}
#endif

#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/irq_vectors.h>

/* Raise an NMI on this CPU; the caller keeps preemption off. */
static inline void kovan_test_nmi_self(void)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	apic->send_IPI_self(NMI_VECTOR);
#else
	__apic_send_IPI_self(NMI_VECTOR);
#endif
}
#endif

#endif /* KOVAN_KUNIT_COMPAT_H */
