/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_LINUX_TRACEPOINT_H
#define _US_LINUX_TRACEPOINT_H

/*
 * <linux/tracepoint.h> in userspace: every trace event is an empty inline
 * function, never enabled, as in a kernel without CONFIG_TRACEPOINTS.
 */
#define TP_PROTO(args...)	args

#define TRACE_EVENT(name, proto, ...)					\
	static inline void trace_##name(proto) { }			\
	static inline bool trace_##name##_enabled(void) { return false; }
#define TRACE_EVENT_CONDITION(name, proto, ...)				\
	static inline void trace_##name(proto) { }			\
	static inline bool trace_##name##_enabled(void) { return false; }
#define EXPORT_TRACEPOINT_SYMBOL_GPL(name)	struct us_tracepoint_##name

#endif /* _US_LINUX_TRACEPOINT_H */
