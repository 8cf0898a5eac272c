// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_queue.ko: queues built on kovan (ArrayQueue, SegQueue, Disruptor).
 */

#include <linux/init.h>
#include <linux/module.h>

#include <kovan/compat.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/kovan_queue.h>

EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_segq_segment_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_segq_segment_free);
EXPORT_TRACEPOINT_SYMBOL_GPL(kovan_disruptor_halt);

static int __init kovan_queue_init(void)
{
	return kovan_segq_init();
}

static void __exit kovan_queue_exit(void)
{
	kovan_segq_exit();
}

module_init(kovan_queue_init);
module_exit(kovan_queue_exit);

MODULE_DESCRIPTION("kovan_queue: lock-free queues built on kovan");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
MODULE_IMPORT_NS(KOVAN_NS);
