/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_DELAY_H
#define _US_LINUX_DELAY_H

/* <linux/delay.h> of the kernel, in userspace: see include/shim/. */

#include <shim/task.h>

#endif /* _US_LINUX_DELAY_H */
