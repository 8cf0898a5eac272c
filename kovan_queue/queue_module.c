// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_queue.ko: queues built on kovan (ArrayQueue, SegQueue, Disruptor).
 * The module is the home the queue primitives are added to.
 */

#include <linux/module.h>

MODULE_DESCRIPTION("kovan_queue: lock-free queues built on kovan");
MODULE_LICENSE("Dual MIT/GPL");
