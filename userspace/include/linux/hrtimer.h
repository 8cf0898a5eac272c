/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_HRTIMER_H
#define _US_LINUX_HRTIMER_H

/* <linux/hrtimer.h> of the kernel, in userspace: see include/shim/. */

#include <shim/sync.h>

#endif /* _US_LINUX_HRTIMER_H */
