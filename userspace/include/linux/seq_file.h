/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_SEQ_FILE_H
#define _US_LINUX_SEQ_FILE_H

/* <linux/seq_file.h> of the kernel, in userspace: see include/shim/. */

#include <shim/module.h>

#endif /* _US_LINUX_SEQ_FILE_H */
