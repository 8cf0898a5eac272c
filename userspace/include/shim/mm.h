/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_MM_H
#define _US_SHIM_MM_H

/*
 * kmalloc(), kvmalloc() and kmem_cache_*() on the C library's allocator.
 * Freed memory is poisoned (0x6b, as SLUB's POISON_FREE) and kept in a
 * quarantine of recent frees before it is reused, so that a read of freed
 * memory sees poison rather than a new object (us_set_quarantine()).
 */

#include <linux/poison.h>
#include <shim/kernel.h>

#define ___GFP_NOWARN		0x01u
#define ___GFP_NOFAIL		0x02u
#define ___GFP_ZERO		0x04u
#define ___GFP_DIRECT_RECLAIM	0x08u
#define ___GFP_HIGH		0x10u
#define __GFP_NOWARN		((gfp_t)___GFP_NOWARN)
#define __GFP_NOFAIL		((gfp_t)___GFP_NOFAIL)
#define __GFP_ZERO		((gfp_t)___GFP_ZERO)
#define GFP_KERNEL		((gfp_t)___GFP_DIRECT_RECLAIM)
#define GFP_NOWAIT		((gfp_t)0)
#define GFP_ATOMIC		((gfp_t)___GFP_HIGH)

struct kmem_cache;

void *us_alloc(size_t size, size_t align, gfp_t gfp);
void us_free(void *ptr, size_t size);

/*
 * The kernel's kmalloc() caches hold power-of-two sizes, naturally aligned
 * up to a page, besides 96 and 192 bytes (32- and 64-byte aligned), and
 * kvmalloc()'s vmalloc() is page aligned: the same alignment here, so
 * cache-line layouts behave alike.
 */
static inline size_t us_kmalloc_align(size_t size)
{
	size_t align = 16;

	if (size > 64 && size <= 96)
		return 32;
	if (size > 128 && size <= 192)
		return 64;
	while (align < size && align < 4096)
		align <<= 1;
	return align;
}

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return us_alloc(size, us_kmalloc_align(size), gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return us_alloc(size, us_kmalloc_align(size), gfp | __GFP_ZERO);
}

static inline void kfree(const void *ptr)
{
	us_free((void *)ptr, 0);
}

static inline void kfree_bulk(size_t nr, void **ptrs)
{
	while (nr)
		kfree(ptrs[--nr]);
}

static inline size_t array_size(size_t n, size_t size)
{
	size_t bytes;

	return __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes;
}

#define kcalloc(n, size, gfp)	kzalloc(array_size(n, size), gfp)
#define kvmalloc_array(n, size, gfp)	kmalloc(array_size(n, size), gfp)
#define kvmalloc(size, gfp)	kmalloc(size, gfp)
#define kvzalloc(size, gfp)	kzalloc(size, gfp)
#define kvcalloc(n, size, gfp)	kzalloc(array_size(n, size), gfp)
#define kvfree(ptr)		kfree(ptr)

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned long flags, void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *s);
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *s, void *ptr);
#define kmem_cache_zalloc(s, gfp)	kmem_cache_alloc((s), (gfp) | __GFP_ZERO)
#define __us_kmem_cache(name, type, flags)				\
	kmem_cache_create(name, sizeof(type), __alignof__(type), (flags), NULL)
#define KMEM_CACHE(__struct, __flags)					\
	__us_kmem_cache(#__struct, struct __struct, __flags)

#endif /* _US_SHIM_MM_H */
