/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_IRQFLAGS_H
#define _US_LINUX_IRQFLAGS_H

/* <linux/irqflags.h> of the kernel, in userspace: see include/shim/. */

#include <shim/percpu.h>

#endif /* _US_LINUX_IRQFLAGS_H */
