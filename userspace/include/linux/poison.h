/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_POISON_H
#define _US_LINUX_POISON_H

#define POISON_FREE		0x6b	/* as SLUB's: freed memory */

#endif
