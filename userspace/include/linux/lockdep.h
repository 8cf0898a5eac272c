/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_LOCKDEP_H
#define _US_LINUX_LOCKDEP_H

/* No lockdep in userspace: CONFIG_DEBUG_LOCK_ALLOC is never set. */
struct lock_class_key {
};

#endif /* _US_LINUX_LOCKDEP_H */
