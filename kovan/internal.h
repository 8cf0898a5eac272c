/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_INTERNAL_H
#define _KOVAN_INTERNAL_H

/* State shared by kovan's own .c files; not part of the contract. */

#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <kovan/kovan.h>

/* Batch headers per chunk of the pool. */
#define KOVAN_CHUNK_BATCHES	64

/*
 * A batch: the objects retired together. They hang off @objects; @link[i]
 * puts the batch on slot i's waiting list and its engine's cycle.
 */
struct kovan_batch {
	atomic_long_t refs;
	struct kovan_domain *domain;
	struct kovan_node *objects;
	unsigned int count[2];
	u64 min_birth;
	int cpu;			/* whose reclaim worker frees it */
	struct completion *done;	/* kovan_synchronize() waits for this batch */
	unsigned long gp;		/* an empty batch: the grace period it is */
	u64 closed;			/* ktime_get_mono_fast_ns() at the close; 0 untraced */
	union {
		struct llist_node reclaim;	/* on the reclaim worker's list */
		struct kovan_batch *free_next;	/* on the pool's free list */
	};
	struct llist_node link[];
};

/* Set once at module load. */
extern unsigned int kovan_nr_slots;
extern unsigned long kovan_share;
extern struct workqueue_struct *kovan_wq;
extern struct workqueue_struct *kovan_engine_wq;
extern struct workqueue_struct *kovan_reclaim_wq;
extern unsigned int kovan_batch_size;
extern unsigned int kovan_stall_batches;
extern unsigned int kovan_era_frequency;
extern unsigned int kovan_flush_us;
extern unsigned int kovan_backlog;

/* kovan_domain.state bits */
#define KOVAN_BARRIER_RUNNING	0	/* a kovan_barrier() owns the parity switch */
#define KOVAN_FLUSH_QUEUED	1	/* on the flush worker's list */
#define KOVAN_DYING		2	/* destroy under way: no flush requests */
#define KOVAN_GP_REQUESTED	3	/* kovan_start_poll() left its close to the flush worker */

/* A wait for every guard of @d: lockdep sees a write-side section of its map. */
static inline void kovan_lockdep_sync(struct kovan_domain *d)
{
	/*
	 * lock_map_sync() came in 6.4 and to 6.1.y later: before, none, since
	 * an acquire and release would clash with pins in interrupts.
	 */
#if defined(CONFIG_DEBUG_LOCK_ALLOC) && defined(lock_map_sync)
	lock_map_sync(&d->dep_map);
#endif
}

/* batch.c: the header pool. */
int kovan_pool_init(void);
void kovan_pool_exit(void);
/* Any context but NMI; NULL when the pool is empty (it grows meanwhile). */
struct kovan_batch *kovan_batch_get(struct kovan_domain *d);
/* Process context; may sleep until a header is free. */
struct kovan_batch *kovan_batch_get_wait(struct kovan_domain *d);
void kovan_batch_put(struct kovan_batch *b);

void kovan_debugfs_add(struct kovan_domain *d);
void kovan_domain_quiesce(struct kovan_domain *d);
int kovan_workers_start(void);
void kovan_workers_stop(void);
bool kovan_slots_idle(struct kovan_domain *d);

#endif /* _KOVAN_INTERNAL_H */
