/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_QUEUE_INTERNAL_H
#define _KOVAN_QUEUE_INTERNAL_H

/* Module glue between queue_module.c and the queue primitives. */

int kovan_segq_init(void);
void kovan_segq_exit(void);

#endif /* _KOVAN_QUEUE_INTERNAL_H */
