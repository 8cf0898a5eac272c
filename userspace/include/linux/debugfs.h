/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_DEBUGFS_H
#define _US_LINUX_DEBUGFS_H

/* <linux/debugfs.h> of the kernel, in userspace: see include/shim/. */

#include <shim/module.h>

#endif /* _US_LINUX_DEBUGFS_H */
