/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_COMPILER_H
#define _US_LINUX_COMPILER_H

/* <linux/compiler.h> of the kernel, in userspace: see include/shim/. */

#include <shim/atomic.h>

#endif /* _US_LINUX_COMPILER_H */
