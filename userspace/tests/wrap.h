/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The originals of the functions a test wraps at link time (ld --wrap=f
 * sends calls of f to __wrap_f, and __real_f to f): see userspace/Makefile.
 */
#ifndef _US_TESTS_WRAP_H
#define _US_TESTS_WRAP_H

#include <linux/types.h>

struct kovan_batch;
struct workqueue_struct;
struct work_struct;

bool __real_kovan_should_fail_alloc(gfp_t gfp, size_t size);
bool __real_queue_work(struct workqueue_struct *wq, struct work_struct *work);
void __real_free_percpu(void *ptr);
void __real_kovan_batch_put(struct kovan_batch *b);
void __real_kovan_kick_engine(void);

#endif /* _US_TESTS_WRAP_H */
