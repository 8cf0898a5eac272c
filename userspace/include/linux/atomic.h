/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_ATOMIC_H
#define _US_LINUX_ATOMIC_H

/* <linux/atomic.h> of the kernel, in userspace: see include/shim/. */

#include <shim/atomic.h>

#endif /* _US_LINUX_ATOMIC_H */
