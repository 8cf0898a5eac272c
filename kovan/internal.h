/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_INTERNAL_H
#define _KOVAN_INTERNAL_H

/* State shared by kovan's own .c files; not part of the contract. */

#include <linux/cache.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kovan.h"

/*
 * A slot's head word packs the newest batch of the slot's list and the
 * number of readers counting in the slot:
 *
 *	bits 63..14: bits 55..6 of the batch header's address
 *	bits 13..0:  readers
 *
 * Batch headers are 64-byte aligned and kernel addresses (as well as UML's)
 * have bits 63..56 equal to bit 55, so an arithmetic shift restores them.
 */
#define KOVAN_READER_BITS	14
#define KOVAN_READER_MASK	((1UL << KOVAN_READER_BITS) - 1)
/* Pins go to another slot above this; the rest of the range absorbs races. */
#define KOVAN_READER_LIMIT	(1UL << (KOVAN_READER_BITS - 1))
#define KOVAN_BATCH_ALIGN	64

/*
 * A batch: the unit the readers' slots reference. The objects hang off
 * @objects; @next[i] links the batch into slot i's list.
 */
struct kovan_batch {
	atomic_long_t refs;
	struct kovan_domain *domain;
	struct kovan_node *objects;
	unsigned int count[2];
	u64 min_birth;
	struct completion *done;	/* kovan_synchronize() waits for this batch */
	struct llist_node reclaim;
	struct kovan_batch *next[];
} __aligned(KOVAN_BATCH_ALIGN);

/* Set once at module load. */
extern unsigned int kovan_nr_slots;
extern unsigned long kovan_share;
extern struct kmem_cache *kovan_batch_cache;
extern struct workqueue_struct *kovan_wq;
extern unsigned int kovan_batch_size;
extern unsigned int kovan_stall_batches;
extern unsigned int kovan_era_frequency;
extern unsigned int kovan_flush_us;

/* kovan_domain.state bits */
#define KOVAN_BARRIER_RUNNING	0	/* a kovan_barrier() owns the parity switch */
#define KOVAN_FLUSH_QUEUED	1	/* on the flush worker's list */

void kovan_debugfs_add(struct kovan_domain *d);
void kovan_domain_quiesce(struct kovan_domain *d);
void kovan_workers_start(void);
void kovan_workers_stop(void);
bool kovan_slots_idle(struct kovan_domain *d);

#endif /* _KOVAN_INTERNAL_H */
