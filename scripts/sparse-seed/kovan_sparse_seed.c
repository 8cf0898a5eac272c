// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Seeded misuse of __kovan pointers: make lint compiles this file with
 * sparse and fails unless sparse reports every line marked "sparse must
 * flag" (scripts/lint.sh). Never loaded.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>

#include <kovan/kovan.h>

struct seed {
	int v;
};

static struct seed __kovan *seed_shared;
static struct seed *seed_plain;
static struct seed __rcu *seed_rcu;

static __maybe_unused int seed_plain_dereference(void)
{
	return seed_shared->v;	/* sparse must flag: a __kovan pointer followed plainly */
}

static __maybe_unused int seed_load_of_plain(struct kovan_guard *g)
{
	return kovan_load(&seed_plain, g)->v;	/* sparse must flag: not a __kovan pointer */
}

static __maybe_unused void seed_plain_store(struct seed *s)
{
	seed_shared = s;	/* sparse must flag: a plain store into a __kovan pointer */
}

static __maybe_unused bool seed_access_of_plain(void)
{
	return kovan_access_pointer(seed_plain);	/* sparse must flag: not a __kovan pointer */
}

static __maybe_unused int seed_protected_plain(void)
{
	/* Not a __kovan pointer. */
	return kovan_dereference_protected(seed_plain, 1)->v;	/* sparse must flag */
}

static __maybe_unused int seed_rcu_of_kovan(void)
{
	/* An RCU read of a __kovan pointer. */
	return rcu_dereference(seed_shared)->v;	/* sparse must flag */
}

static __maybe_unused int seed_load_of_rcu(struct kovan_guard *g)
{
	return kovan_load(&seed_rcu, g)->v;	/* sparse must flag: an __rcu pointer */
}

static __maybe_unused void seed_rcu_store(struct seed *s)
{
	/* An RCU store into a __kovan pointer. */
	rcu_assign_pointer(seed_shared, s);	/* sparse must flag */
}

MODULE_DESCRIPTION("kovan: code sparse must reject (make lint)");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
