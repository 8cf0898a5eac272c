/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_SLAB_H
#define _US_LINUX_SLAB_H

/* <linux/slab.h> of the kernel, in userspace: see include/shim/. */

#include <shim/mm.h>

#endif /* _US_LINUX_SLAB_H */
