/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_KERNEL_H
#define _US_SHIM_KERNEL_H

/*
 * Compiler helpers, WARN and BUG, error pointers, bit and size arithmetic,
 * strings: what kovan/ and kovan_queue/ use from <linux/kernel.h> and
 * friends.
 */

/* static_assert(), as <linux/build_bug.h> gives it. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shim/types.h>
#include <shim/atomic.h>

#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* One program: nothing to export. Declares nothing, takes the semicolon. */
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	struct __us_export_##sym##_##ns

/*
 * IS_ENABLED(CONFIG_X): true when CONFIG_X is defined (to 1, as Kbuild and
 * the Makefile do), false when it is not: an undefined name stringifies to
 * itself. A constant the compiler folds, though not one for #if.
 */
#define __us_stringify(x)	#x
#define IS_ENABLED(CONFIG_option)					\
	(__builtin_strcmp(#CONFIG_option, __us_stringify(CONFIG_option)) != 0)

/* A compile-time error once the optimiser has folded @cond, as in the kernel. */
void __us_build_bug(void)
	__attribute((error("BUILD_BUG_ON failed")));
#define BUILD_BUG_ON(cond)						\
	do {								\
		if (cond)						\
			__us_build_bug();				\
	} while (0)

/* WARN*: print, count (tests fail on any), carry on as the kernel does. */
void us_warn(const char *file, int line, const char *fmt, ...)
	__attribute((format(printf, 3, 4)));
unsigned long us_warnings(void);

#define WARN(cond, fmt...)						\
({									\
	bool __us_c = !!(cond);						\
									\
	if (unlikely(__us_c))						\
		us_warn(__FILE__, __LINE__, fmt);			\
	unlikely(__us_c);						\
})
#define WARN_ON(cond)		WARN(cond, "WARN_ON(%s)\n", #cond)
/* Every occurrence is reported: a test wants to count them all. */
#define WARN_ONCE(cond, fmt...)	WARN(cond, fmt)
#define WARN_ON_ONCE(cond)	WARN_ON(cond)

/* Error pointers. */
#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE(ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR_VALUE(ptr);
}

/* Bits, logarithms, sizes. */
#define BIT(nr)			(1UL << (nr))
static __always_inline int ilog2(unsigned long n)
{
	return 63 - __builtin_clzl(n);
}

static __always_inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}

static __always_inline bool is_power_of_2(unsigned long n)
{
	return n && !(n & (n - 1));
}

#define min(a, b)							\
({									\
	typeof(a) __us_a = (a);						\
	typeof(b) __us_b = (b);						\
									\
	__us_a < __us_b ? __us_a : __us_b;				\
})
static inline unsigned long __us_align(unsigned long x, unsigned long a)
{
	return (x + a - 1) & ~(a - 1);
}

#define ALIGN(x, a)		__us_align((x), (a))
#define max(a, b)							\
({									\
	typeof(a) __us_a = (a);						\
	typeof(b) __us_b = (b);						\
									\
	__us_a > __us_b ? __us_a : __us_b;				\
})
#define min_t(type, a, b)	min((type)(a), (type)(b))
#define max_t(type, a, b)	max((type)(a), (type)(b))

/* struct_size(): saturates at SIZE_MAX like the kernel's, so kmalloc fails. */
static inline size_t __us_struct_size(size_t base, size_t elem, size_t n)
{
	size_t bytes;

	if (__builtin_mul_overflow(elem, n, &bytes) ||
	    __builtin_add_overflow(bytes, base, &bytes))
		return SIZE_MAX;
	return bytes;
}

#define struct_size_t(type, member, count)				\
	__us_struct_size(sizeof(type), sizeof(((type){ 0 }).member[0]), (count))
#define struct_size(p, member, count)					\
	struct_size_t(typeof(*(typeof(p))NULL), member, count)

/* Strings. */
static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

static inline int kstrtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, base);
	if (end == s || (*end && !(*end == '\n' && !end[1])))
		return -EINVAL;
	if (errno || v > UINT_MAX)
		return -ERANGE;
	*res = v;
	return 0;
}

#define sysfs_emit(buf, fmt...)	snprintf((buf), 4096, fmt)

/* KCSAN annotations; data_race() tells ThreadSanitizer to look away. */
#ifdef __SANITIZE_THREAD__
/* ThreadSanitizer's dynamic annotations, under names of our own. */
void __us_tsan_ignore_reads_begin(const char *file, int line)
	__asm__("AnnotateIgnoreReadsBegin");
void __us_tsan_ignore_reads_end(const char *file, int line)
	__asm__("AnnotateIgnoreReadsEnd");
#define data_race(expr)		/* the reads of @expr are not checked */	\
({									\
	__us_tsan_ignore_reads_begin(__FILE__, __LINE__);		\
	__auto_type __us_v = (expr);					\
	__us_tsan_ignore_reads_end(__FILE__, __LINE__);			\
	__us_v;								\
})
#else
#define data_race(expr)		(expr)	/* marks an intended race for KCSAN */
#endif
#define ASSERT_EXCLUSIVE_WRITER(var)	((void)sizeof(var))
#define ASSERT_EXCLUSIVE_ACCESS(var)	((void)sizeof(var))

#endif /* _US_SHIM_KERNEL_H */
