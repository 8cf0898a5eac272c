/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kovan's trace events (TRACE_SYSTEM kovan), defined by kovan.ko.
 *
 *	echo 1 > /sys/kernel/tracing/events/kovan/enable
 *	cat /sys/kernel/tracing/trace_pipe
 *
 * Modules may attach probes (register_trace_kovan_batch_close() and so on);
 * the tracepoints are exported. A batch's free may be traced before its
 * close: once the last busy slot has the batch, a reclaim worker on
 * another CPU may free it while the closer is still tracing.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kovan

#if !defined(_TRACE_KOVAN_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KOVAN_H

#include <linux/string.h>
#include <linux/tracepoint.h>

/* sizeof(struct kovan_domain.name), asserted by reclaim.c */
#define KOVAN_TRACE_NAME	32

/*
 * kovan_batch_close - a batch was closed: handed to every busy slot
 * @domain: the domain's name
 * @objects: objects in the batch; 0 for a grace period
 * @pushed: busy slots the batch waits for
 * @skipped: slots skipped: idle, absent (the count of slots is a power of
 *	two, of at least two per possible CPU), or (robust) whose readers,
 *	if any, are older; @pushed + @skipped is that count
 */
TRACE_EVENT(kovan_batch_close,
	TP_PROTO(const char *domain, unsigned long objects, unsigned int pushed,
		 unsigned int skipped),
	TP_ARGS(domain, objects, pushed, skipped),
	TP_STRUCT__entry(
		__array(char, domain, KOVAN_TRACE_NAME)
		__field(unsigned long, objects)
		__field(unsigned int, pushed)
		__field(unsigned int, skipped)
	),
	TP_fast_assign(
		strscpy(__entry->domain, domain, KOVAN_TRACE_NAME);
		__entry->objects = objects;
		__entry->pushed = pushed;
		__entry->skipped = skipped;
	),
	TP_printk("domain=%s objects=%lu pushed=%u skipped=%u", __entry->domain,
		  __entry->objects, __entry->pushed, __entry->skipped)
);

/*
 * kovan_batch_free - a reclaim worker freed a batch's objects
 * @domain: the domain's name
 * @objects: objects freed
 * @age_ns: nanoseconds from the batch's close to the end of its frees; 0
 *	for a batch closed before the event was enabled
 */
TRACE_EVENT(kovan_batch_free,
	TP_PROTO(const char *domain, unsigned long objects, u64 age_ns),
	TP_ARGS(domain, objects, age_ns),
	TP_STRUCT__entry(
		__array(char, domain, KOVAN_TRACE_NAME)
		__field(unsigned long, objects)
		__field(u64, age_ns)
	),
	TP_fast_assign(
		strscpy(__entry->domain, domain, KOVAN_TRACE_NAME);
		__entry->objects = objects;
		__entry->age_ns = age_ns;
	),
	TP_printk("domain=%s objects=%lu age_ns=%llu", __entry->domain, __entry->objects,
		  (unsigned long long)__entry->age_ns)
);

/*
 * kovan_stall_avoid - a robust pin passed over a stalled slot (or one a
 * long-lived guard moved to); traced only where RCU watches
 * @domain: the domain's name
 * @slot: the slot passed over
 */
TRACE_EVENT_CONDITION(kovan_stall_avoid,
	TP_PROTO(const char *domain, unsigned int slot),
	TP_ARGS(domain, slot),
	TP_CONDITION(rcu_is_watching()),
	TP_STRUCT__entry(
		__array(char, domain, KOVAN_TRACE_NAME)
		__field(unsigned int, slot)
	),
	TP_fast_assign(
		strscpy(__entry->domain, domain, KOVAN_TRACE_NAME);
		__entry->slot = slot;
	),
	TP_printk("domain=%s slot=%u", __entry->domain, __entry->slot)
);

/*
 * kovan_era_skip - a robust close skipped a slot whose era is older than
 * the batch's objects: none of its readers can hold one. The era is tested
 * before idleness, so idle slots with an old era are traced too
 * @domain: the domain's name
 * @slot: the slot skipped
 * @access: the newest era the slot's readers may hold
 * @min_birth: the oldest birth era among the batch's objects
 */
TRACE_EVENT(kovan_era_skip,
	TP_PROTO(const char *domain, unsigned int slot, u64 access, u64 min_birth),
	TP_ARGS(domain, slot, access, min_birth),
	TP_STRUCT__entry(
		__array(char, domain, KOVAN_TRACE_NAME)
		__field(unsigned int, slot)
		__field(u64, access)
		__field(u64, min_birth)
	),
	TP_fast_assign(
		strscpy(__entry->domain, domain, KOVAN_TRACE_NAME);
		__entry->slot = slot;
		__entry->access = access;
		__entry->min_birth = min_birth;
	),
	TP_printk("domain=%s slot=%u access=%llu min_birth=%llu", __entry->domain,
		  __entry->slot, (unsigned long long)__entry->access,
		  (unsigned long long)__entry->min_birth)
);

#endif /* _TRACE_KOVAN_H */

#include <trace/define_trace.h>
