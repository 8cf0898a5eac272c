/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_COMPAT_H
#define _KOVAN_COMPAT_H

/*
 * What differs between the kernels kovan builds on (6.1 to 6.15 and later).
 * Included by kovan's public headers; no other kovan source tests kernel
 * versions (kunit/compat.h does for the KUnit suites).
 */

#include <linux/hrtimer.h>
#include <linux/version.h>

/*
 * KOVAN_NS: kovan's symbol namespace, in the form this kernel takes. Every
 * kovan symbol is exported with EXPORT_SYMBOL_NS_GPL(sym, KOVAN_NS); a
 * module that calls kovan says MODULE_IMPORT_NS(KOVAN_NS). From 6.13 the
 * namespace argument is a string literal; before, a bare identifier that
 * the macros stringify (after expanding KOVAN_NS). Either way modinfo shows
 * import_ns=KOVAN. A vendor kernel that took the 6.13 form into an older
 * base needs KOVAN_NS defined as "KOVAN" before this header.
 */
#ifndef KOVAN_NS
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define KOVAN_NS	"KOVAN"
#else
#define KOVAN_NS	KOVAN
#endif
#endif

/**
 * kovan_hrtimer_setup() - initialise an hrtimer and set its function
 * @timer: the timer
 * @function: its callback
 * @clock_id: the clock, as for hrtimer_init()
 * @mode: the mode, as for hrtimer_init()
 *
 * hrtimer_setup() from 6.13 on, where hrtimer_init() is deprecated (and
 * gone in 6.15); hrtimer_init() and an assignment before.
 *
 * Context: any context where hrtimer_init() may be called.
 */
static inline void kovan_hrtimer_setup(struct hrtimer *timer,
				       enum hrtimer_restart (*function)(struct hrtimer *),
				       clockid_t clock_id, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, function, clock_id, mode);
#else
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
#endif
}

#endif /* _KOVAN_COMPAT_H */
