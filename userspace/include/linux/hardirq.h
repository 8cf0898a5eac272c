/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_HARDIRQ_H
#define _US_LINUX_HARDIRQ_H

/* <linux/hardirq.h> of the kernel, in userspace: in_nmi() and friends, see include/shim/. */

#include <shim/percpu.h>

#endif /* _US_LINUX_HARDIRQ_H */
