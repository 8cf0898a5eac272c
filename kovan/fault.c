// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan allocation failure injection (CONFIG_KOVAN_FAULT_INJECTION); see
 * fault.h. One fault attribute for both modules, so that a torture run
 * configures it once.
 */

#include <linux/fault-inject.h>
#include <linux/minmax.h>
#include <linux/module.h>

#include <kovan/compat.h>

#include "fault.h"

static DECLARE_FAULT_ATTR(kovan_fail_alloc);

bool kovan_should_fail_alloc(gfp_t gfp, size_t size)
{
	if (gfp & __GFP_NOFAIL)
		return false;
	return should_fail(&kovan_fail_alloc, size);
}
EXPORT_SYMBOL_NS_GPL(kovan_should_fail_alloc, KOVAN_NS);

void kovan_fault_debugfs_init(struct dentry *root)
{
	fault_create_debugfs_attr("fail_alloc", root, &kovan_fail_alloc);
}

/*
 * should_fail() reads the attribute plainly and tests probability first:
 * the caller sets it where no allocation of either module runs, and
 * probability is written last when failures start and alone when they
 * stop, so that a check racing anyway sees quiet knobs. Interval 1 keeps
 * should_fail() off the attribute's plain counter, which concurrent checks
 * would race on.
 */
void kovan_fault_set_probability(unsigned int percent)
{
	if (percent) {
		kovan_fail_alloc.verbose = 0;
		kovan_fail_alloc.task_filter = false;
		kovan_fail_alloc.interval = 1;
		atomic_set(&kovan_fail_alloc.space, 0);
		atomic_set(&kovan_fail_alloc.times, -1);
	}
	/* Read plainly by should_fail(); the knobs above before it. */
	WRITE_ONCE(kovan_fail_alloc.probability, min(percent, 100U));
}
EXPORT_SYMBOL_NS_GPL(kovan_fault_set_probability, KOVAN_NS);
