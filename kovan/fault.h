/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_FAULT_H
#define _KOVAN_FAULT_H

/*
 * Allocation failure injection, shared by kovan.ko and kovan_queue.ko; for
 * testing, not part of the contract.
 *
 * Built with CONFIG_KOVAN_FAULT_INJECTION (needs the kernel's
 * CONFIG_FAULT_INJECTION_DEBUG_FS), every allocation site of both modules
 * asks kovan_should_fail_alloc() first and takes its -ENOMEM path when told
 * to. /sys/kernel/debug/kovan/fail_alloc/ holds the kernel's usual knobs
 * (probability, interval, times, space, verbose, task-filter: see
 * Documentation/fault-injection/fault-injection.rst); nothing fails until
 * probability is set. __GFP_NOFAIL allocations never fail. Without the
 * option the check is a constant false and compiles away.
 *
 * Not covered: the allocations of kovan.ko's module init, which runs before
 * the debugfs knobs exist.
 *
 * kovan_fault_set_probability() sets the same attribute from kernel code,
 * for the KUnit suites: each check of either module fails with @percent
 * probability, quietly (no limit, no messages, any task); 0 stops the
 * failures and leaves the other knobs quiet. It overrides what debugfs
 * set. Call it where no allocation of kovan or kovan_queue runs (no retire
 * in flight): should_fail() reads the attribute without locks.
 */

#include <linux/gfp_types.h>
#include <linux/types.h>

struct dentry;

#ifdef CONFIG_KOVAN_FAULT_INJECTION
bool kovan_should_fail_alloc(gfp_t gfp, size_t size);
void kovan_fault_debugfs_init(struct dentry *root);
void kovan_fault_set_probability(unsigned int percent);
#else
static inline bool kovan_should_fail_alloc(gfp_t gfp, size_t size)
{
	return false;
}

static inline void kovan_fault_debugfs_init(struct dentry *root)
{
}

static inline void kovan_fault_set_probability(unsigned int percent)
{
}
#endif

#endif /* _KOVAN_FAULT_H */
