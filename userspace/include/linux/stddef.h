/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_STDDEF_H
#define _US_LINUX_STDDEF_H

/* <linux/stddef.h> of the kernel, in userspace: see include/shim/. */

#include <shim/types.h>

#endif /* _US_LINUX_STDDEF_H */
