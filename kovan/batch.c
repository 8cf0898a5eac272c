// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan batch headers: a pool of them, allocated in chunks.
 *
 * A header has one link per slot (internal.h), so headers are allocated
 * in chunks of KOVAN_CHUNK_BATCHES, kept for the module's life, and a
 * freed header goes back to the free list: closing a batch allocates
 * nothing once the pool holds as many headers as batches are in flight.
 * When the free list runs below a reserve, a work item adds a chunk. A
 * closer that finds the list empty adds one itself: a retire with
 * GFP_NOWAIT (failing that, it keeps collecting objects and the flush
 * worker closes the batch later), the process-context closers (the flush
 * worker, kovan_barrier(), kovan_synchronize()) with GFP_KERNEL, and when
 * none can be had they wait for the reclaim worker to free a header.
 *
 * Ordering: the free list and the chunk numbers are under kovan_pool.lock
 * and an atomic; a header's fields are written by the closer that took it
 * and reach the engines through barrier F (reclaim.c).
 */

#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "fault.h"
#include "internal.h"

/* Up to 2^20 batches in flight; more and retires keep collecting objects. */
#define KOVAN_POOL_CHUNKS	16384
/*
 * Batches one domain may have in flight, a quarter of the pool: a plain
 * domain whose stalled reader holds every batch retired after it must not
 * leave the other domains without headers.
 */
#define KOVAN_DOMAIN_BATCHES	(KOVAN_POOL_CHUNKS * KOVAN_CHUNK_BATCHES / 4)

static struct {
	raw_spinlock_t lock;		/* free list and its length; irqs off */
	struct kovan_batch *free;	/* linked through ->free_next */
	unsigned int nr_free;
	unsigned int size;		/* bytes per header */
	atomic_long_t chunks;		/* chunk numbers taken */
	struct kovan_batch **chunk;	/* KOVAN_POOL_CHUNKS chunk addresses */
	struct work_struct grow_work;
} kovan_pool;

/* Free headers below which the pool grows. */
static unsigned int kovan_pool_reserve(void)
{
	return 4 * nr_cpu_ids + KOVAN_CHUNK_BATCHES;
}

/*
 * Add one chunk to the pool: GFP_KERNEL in process context, GFP_NOWAIT
 * elsewhere (any context but NMI; not with interrupts or preemption off on
 * PREEMPT_RT, where the allocator may sleep). Returns 0 or -ENOMEM. The
 * chunk is allocated before it takes a number, so no number goes unused.
 */
static int kovan_pool_grow(gfp_t gfp)
{
	size_t bytes = array_size(KOVAN_CHUNK_BATCHES, kovan_pool.size);
	long c = atomic_long_read(&kovan_pool.chunks);
	unsigned int i;
	struct kovan_batch *b;
	unsigned long flags;
	void *chunk;

	if (c == KOVAN_POOL_CHUNKS || kovan_should_fail_alloc(gfp, bytes))
		return -ENOMEM;
	chunk = gfp == GFP_KERNEL ? kvzalloc(bytes, gfp) : kzalloc(bytes, gfp | __GFP_NOWARN);
	if (!chunk)
		return -ENOMEM;
	do {
		if (c == KOVAN_POOL_CHUNKS) {
			kvfree(chunk);
			return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(&kovan_pool.chunks, &c, c + 1));
	/* Read back only at module exit. */
	kovan_pool.chunk[c] = chunk;
	raw_spin_lock_irqsave(&kovan_pool.lock, flags);
	for (i = 0; i < KOVAN_CHUNK_BATCHES; i++) {
		b = chunk + i * kovan_pool.size;
		b->free_next = kovan_pool.free;
		kovan_pool.free = b;
	}
	/* Under the lock; kovan_pool_grow_fn() reads it as a hint. */
	WRITE_ONCE(kovan_pool.nr_free, kovan_pool.nr_free + KOVAN_CHUNK_BATCHES);
	raw_spin_unlock_irqrestore(&kovan_pool.lock, flags);
	return 0;
}

static void kovan_pool_grow_fn(struct work_struct *work)
{
	/* A hint, pairing with the WRITE_ONCE()s under the lock; nothing to order. */
	while (READ_ONCE(kovan_pool.nr_free) < kovan_pool_reserve() && !kovan_pool_grow(GFP_KERNEL))
		;
}

static void kovan_batch_reset(struct kovan_batch *b, struct kovan_domain *d)
{
	atomic_long_set(&b->refs, 0);
	b->domain = d;
	b->objects = NULL;
	b->count[0] = 0;
	b->count[1] = 0;
	b->min_birth = 0;
	b->done = NULL;
	b->gp = 0;
}

/* Take a header off the free list; NULL when it is empty. */
static struct kovan_batch *kovan_pool_take(void)
{
	struct kovan_batch *b;
	unsigned long flags;
	bool low;

	raw_spin_lock_irqsave(&kovan_pool.lock, flags);
	b = kovan_pool.free;
	if (b) {
		kovan_pool.free = b->free_next;
		/* Under the lock; kovan_pool_grow_fn() reads it as a hint. */
		WRITE_ONCE(kovan_pool.nr_free, kovan_pool.nr_free - 1);
	}
	low = kovan_pool.nr_free < kovan_pool_reserve();
	raw_spin_unlock_irqrestore(&kovan_pool.lock, flags);
	if (low)
		queue_work(kovan_wq, &kovan_pool.grow_work);
	return b;
}

struct kovan_batch *kovan_batch_get(struct kovan_domain *d)
{
	struct kovan_batch *b;

	/*
	 * A constant size: no call left behind when injection is compiled out.
	 * The share is a limit, not a lock: closes racing here may pass it by
	 * a few; no ordering.
	 */
	if (kovan_should_fail_alloc(GFP_NOWAIT, sizeof(*b)) ||
	    atomic_long_read(&d->in_flight) >= KOVAN_DOMAIN_BATCHES)
		return NULL;
	b = kovan_pool_take();
	/* More batches in flight than the reserve covered: a chunk now, if one can be had. */
	if (!b && (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible()) && !kovan_pool_grow(GFP_NOWAIT))
		b = kovan_pool_take();
	if (b)
		kovan_batch_reset(b, d);
	return b;
}

struct kovan_batch *kovan_batch_get_wait(struct kovan_domain *d)
{
	struct kovan_batch *b;

	might_sleep();
	/*
	 * No chunk to be had, or the domain at its share: every header is in
	 * flight, and the reclaim worker frees them as their readers leave.
	 */
	while (!(b = kovan_batch_get(d)))
		if (atomic_long_read(&d->in_flight) >= KOVAN_DOMAIN_BATCHES ||
		    kovan_pool_grow(GFP_KERNEL))
			usleep_range(1000, 2000);
	return b;
}

void kovan_batch_put(struct kovan_batch *b)
{
	unsigned long flags;

	/*
	 * An engine that reads a link after paying its share now faults, and
	 * the plain write is a data race KCSAN and TSan see even when no reuse
	 * follows.
	 */
	if (IS_ENABLED(CONFIG_KOVAN_DEBUG))
		memset(b->link, POISON_FREE, kovan_nr_slots * sizeof(b->link[0]));
	raw_spin_lock_irqsave(&kovan_pool.lock, flags);
	b->free_next = kovan_pool.free;
	kovan_pool.free = b;
	/* Under the lock; kovan_pool_grow_fn() reads it as a hint. */
	WRITE_ONCE(kovan_pool.nr_free, kovan_pool.nr_free + 1);
	raw_spin_unlock_irqrestore(&kovan_pool.lock, flags);
}

int kovan_pool_init(void)
{
	unsigned int size = struct_size_t(struct kovan_batch, link, kovan_nr_slots);

	raw_spin_lock_init(&kovan_pool.lock);
	INIT_WORK(&kovan_pool.grow_work, kovan_pool_grow_fn);
	kovan_pool.size = ALIGN(size, SMP_CACHE_BYTES);
	kovan_pool.chunk = kvcalloc(KOVAN_POOL_CHUNKS, sizeof(*kovan_pool.chunk), GFP_KERNEL);
	if (!kovan_pool.chunk)
		return -ENOMEM;
	atomic_long_set(&kovan_pool.chunks, 0);
	while (kovan_pool.nr_free < kovan_pool_reserve())
		if (kovan_pool_grow(GFP_KERNEL)) {
			kovan_pool_exit();
			return -ENOMEM;
		}
	return 0;
}

/* Module exit: every domain is gone and every batch was freed. */
void kovan_pool_exit(void)
{
	unsigned int c;

	cancel_work_sync(&kovan_pool.grow_work);
	for (c = 0; c < atomic_long_read(&kovan_pool.chunks); c++)
		kvfree(kovan_pool.chunk[c]);
	kvfree(kovan_pool.chunk);
	kovan_pool.chunk = NULL;
	atomic_long_set(&kovan_pool.chunks, 0);
	kovan_pool.free = NULL;
	kovan_pool.nr_free = 0;
}
