/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_PERCPU_H
#define _US_LINUX_PERCPU_H

/* <linux/percpu.h> of the kernel, in userspace: see include/shim/. */

#include <shim/percpu.h>
#include <shim/mm.h>

#endif /* _US_LINUX_PERCPU_H */
