/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_DEBUG_LOCKS_H
#define _US_LINUX_DEBUG_LOCKS_H

/* No lockdep in userspace: CONFIG_PROVE_LOCKING is never set. */
#define debug_locks	0

#endif /* _US_LINUX_DEBUG_LOCKS_H */
