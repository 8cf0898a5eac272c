/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* <trace/define_trace.h> in userspace: no trace events are created. */
