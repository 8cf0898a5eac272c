/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_MODULE_H
#define _US_SHIM_MODULE_H

/*
 * Modules, parameters, debugfs, seq_file and fault injection.
 *
 * module_init() and module_exit() register their functions; us_init() runs
 * the init functions in link order after it set nr_cpu_ids, us_exit() the
 * exit functions in reverse. Parameters land in a table that
 * us_param_set() writes through the parameter's own set() operation, with
 * its range checks. debugfs behaves as in a kernel built without
 * CONFIG_DEBUG_FS: every call returns ERR_PTR(-ENODEV) and does nothing.
 * should_fail() fails allocations at the rate us_fault_set() asks for.
 */

#include <assert.h>

#include <shim/kernel.h>

/* File-scope statements that must swallow the caller's semicolon. */
#define __us_swallow		struct __us_swallow_semicolon

void us_register_initcall(const char *name, int (*fn)(void));
void us_register_exitcall(const char *name, void (*fn)(void));

#define module_init(fn)							\
	static void __attribute__((constructor)) __us_init_##fn(void)	\
	{								\
		us_register_initcall(#fn, fn);				\
	}								\
	__us_swallow
#define module_exit(fn)							\
	static void __attribute__((constructor)) __us_exit_##fn(void)	\
	{								\
		us_register_exitcall(#fn, fn);				\
	}								\
	__us_swallow

#define MODULE_DESCRIPTION(s)		static_assert(sizeof(s), "modinfo")
#define MODULE_AUTHOR(s)		static_assert(sizeof(s), "modinfo")
#define MODULE_LICENSE(s)		static_assert(sizeof(s), "modinfo")
#define MODULE_VERSION(s)		static_assert(sizeof(s), "modinfo")
#ifndef KOVAN_VERSION
#define KOVAN_VERSION			"userspace"
#endif
#define MODULE_IMPORT_NS(ns)		static_assert(sizeof(#ns), "modinfo")
#define MODULE_PARM_DESC(name, s)	static_assert(sizeof(#name s), "modinfo")
#define __MODULE_PARM_TYPE(name, s)	static_assert(sizeof(#name s), "modinfo")
#define THIS_MODULE			NULL

struct kernel_param;

struct kernel_param_ops {
	int (*set)(const char *val, const struct kernel_param *kp);
	int (*get)(char *buffer, const struct kernel_param *kp);
};

struct kernel_param {
	const char *name;
	const struct kernel_param_ops *ops;
	void *arg;
	unsigned short perm;
	struct kernel_param *next;
};

void us_register_param(struct kernel_param *kp);

#define module_param_cb(pname, pops, parg, pperm)			\
	static struct kernel_param __us_param_##pname = {		\
		.name = #pname, .ops = (pops), .arg = (parg), .perm = (pperm), \
	};								\
	static void __attribute__((constructor)) __us_param_reg_##pname(void) \
	{								\
		us_register_param(&__us_param_##pname);			\
	}								\
	__us_swallow

/* debugfs and seq_file, as with CONFIG_DEBUG_FS=n. */
struct dentry;
struct seq_file {
	void *private;
	FILE *out;
};

struct file_operations {
	int (*show)(struct seq_file *m, void *unused);
};

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
	static const struct file_operations __name##_fops = {		\
		.show = __name##_show,					\
	}

#define seq_printf(m, fmt...)	fprintf((m)->out, fmt)
#define seq_puts(m, s)		fputs((s), (m)->out)

static inline struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	return ERR_PTR(-ENODEV);
}

static inline struct dentry *debugfs_create_file(const char *name, unsigned short mode,
						 struct dentry *parent, void *data,
						 const struct file_operations *fops)
{
	return ERR_PTR(-ENODEV);
}

static inline void debugfs_remove_recursive(struct dentry *dentry)
{
}

/* Fault injection: the knobs kovan sets; should_fail() reads none of them. */
struct fault_attr {
	unsigned long probability;
	unsigned long interval;
	atomic_t times;
	atomic_t space;
	unsigned long verbose;
	bool task_filter;
};

#define DECLARE_FAULT_ATTR(name)	struct fault_attr name = { 0 }
bool should_fail(struct fault_attr *attr, ssize_t size);

static inline struct dentry *fault_create_debugfs_attr(const char *name, struct dentry *parent,
						       struct fault_attr *attr)
{
	return ERR_PTR(-ENODEV);
}

#endif /* _US_SHIM_MODULE_H */
