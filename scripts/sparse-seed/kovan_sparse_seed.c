// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Seeded misuse of __kovan pointers: make lint compiles this file with
 * sparse and fails unless sparse reports every line marked "sparse must
 * flag" (scripts/lint.sh). Never loaded.
 */
#include <linux/module.h>

#include <kovan/kovan.h>

struct seed {
	int v;
};

static struct seed __kovan *seed_shared;
static struct seed *seed_plain;

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

MODULE_DESCRIPTION("kovan: code sparse must reject (make lint)");
MODULE_LICENSE("Dual MIT/GPL");
