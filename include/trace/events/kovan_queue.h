/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kovan_queue's trace events (TRACE_SYSTEM kovan_queue), defined by
 * kovan_queue.ko: /sys/kernel/tracing/events/kovan_queue/. The tracepoints
 * are exported for probes.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kovan_queue

#if !defined(_TRACE_KOVAN_QUEUE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KOVAN_QUEUE_H

#include <linux/tracepoint.h>

/*
 * kovan_segq_segment_alloc - a SegQueue took a segment
 * @queue: the queue
 * @recycled: the segment was one kovan had freed, kept for reuse
 */
TRACE_EVENT(kovan_segq_segment_alloc,
	TP_PROTO(const void *queue, bool recycled),
	TP_ARGS(queue, recycled),
	TP_STRUCT__entry(
		__field(const void *, queue)
		__field(bool, recycled)
	),
	TP_fast_assign(
		__entry->queue = queue;
		__entry->recycled = recycled;
	),
	TP_printk("queue=%p recycled=%d", __entry->queue, __entry->recycled)
);

/*
 * kovan_segq_segment_free - a segment left a SegQueue's use
 * @queue: the queue
 * @kept: kept for reuse rather than returned to the slab
 */
TRACE_EVENT(kovan_segq_segment_free,
	TP_PROTO(const void *queue, bool kept),
	TP_ARGS(queue, kept),
	TP_STRUCT__entry(
		__field(const void *, queue)
		__field(bool, kept)
	),
	TP_fast_assign(
		__entry->queue = queue;
		__entry->kept = kept;
	),
	TP_printk("queue=%p kept=%d", __entry->queue, __entry->kept)
);

/*
 * kovan_disruptor_halt - a Disruptor halted: its handlers stopped
 * @disruptor: the Disruptor
 * @published: the last sequence published, which every handler processed
 */
TRACE_EVENT(kovan_disruptor_halt,
	TP_PROTO(const void *disruptor, s64 published),
	TP_ARGS(disruptor, published),
	TP_STRUCT__entry(
		__field(const void *, disruptor)
		__field(s64, published)
	),
	TP_fast_assign(
		__entry->disruptor = disruptor;
		__entry->published = published;
	),
	TP_printk("disruptor=%p published=%lld", __entry->disruptor,
		  (long long)__entry->published)
);

#endif /* _TRACE_KOVAN_QUEUE_H */

#include <trace/define_trace.h>
