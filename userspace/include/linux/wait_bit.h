/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_WAIT_BIT_H
#define _US_LINUX_WAIT_BIT_H

/* <linux/wait_bit.h> of the kernel, in userspace: see include/shim/. */

#include <shim/sync.h>

#endif /* _US_LINUX_WAIT_BIT_H */
