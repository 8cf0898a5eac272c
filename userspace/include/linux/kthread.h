/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_KTHREAD_H
#define _US_LINUX_KTHREAD_H

/* <linux/kthread.h> of the kernel, in userspace: see include/shim/. */

#include <shim/task.h>

#endif /* _US_LINUX_KTHREAD_H */
