/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_CACHE_H
#define _US_LINUX_CACHE_H

/* <linux/cache.h> of the kernel, in userspace: see include/shim/. */

#include <shim/types.h>

#endif /* _US_LINUX_CACHE_H */
