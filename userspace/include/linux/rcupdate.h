/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_RCUPDATE_H
#define _US_LINUX_RCUPDATE_H

/* <linux/rcupdate.h> of the kernel, in userspace: see include/shim/. */

#include <shim/percpu.h>

#endif /* _US_LINUX_RCUPDATE_H */
