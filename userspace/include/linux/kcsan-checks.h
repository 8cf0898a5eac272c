/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_KCSAN_CHECKS_H
#define _US_LINUX_KCSAN_CHECKS_H

/* <linux/kcsan-checks.h> of the kernel, in userspace: see include/shim/. */

#include <shim/kernel.h>

#endif /* _US_LINUX_KCSAN_CHECKS_H */
