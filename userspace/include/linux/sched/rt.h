/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_SCHED_RT_H
#define _US_LINUX_SCHED_RT_H

/* <linux/sched/rt.h> of the kernel, in userspace: see include/shim/. */

#include <shim/task.h>

#endif /* _US_LINUX_SCHED_RT_H */
