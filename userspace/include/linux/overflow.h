/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_OVERFLOW_H
#define _US_LINUX_OVERFLOW_H

/* <linux/overflow.h> of the kernel, in userspace: see include/shim/. */

#include <shim/kernel.h>

#endif /* _US_LINUX_OVERFLOW_H */
