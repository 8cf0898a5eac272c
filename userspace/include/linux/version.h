/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_VERSION_H
#define _US_LINUX_VERSION_H

/*
 * <linux/version.h> of the kernel, in userspace: the shim's module macros
 * take the pre-6.13 namespace form (a bare identifier), so it says 6.12.
 */

#define KERNEL_VERSION(a, b, c)	(((a) << 16) + ((b) << 8) + (c))
#define LINUX_VERSION_CODE	KERNEL_VERSION(6, 12, 0)

#endif /* _US_LINUX_VERSION_H */
