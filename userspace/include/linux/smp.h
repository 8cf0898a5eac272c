/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_SMP_H
#define _US_LINUX_SMP_H

/* <linux/smp.h> of the kernel, in userspace: see include/shim/. */

#include <shim/percpu.h>

#endif /* _US_LINUX_SMP_H */
