/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_INTERNAL_H
#define _KOVAN_INTERNAL_H

/* State shared by kovan's own .c files; not part of the contract. */

#include <linux/cache.h>
#include <linux/spinlock.h>

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
#define KOVAN_SLOTS_PER_CPU	2
/* Set in kovan_domain.flags by kovan_domain_destroy(). */
#define KOVAN_DOMAIN_DEAD	0x80000000U

struct kovan_slot {
	atomic_long_t head;	/* batch | readers, see above */
	atomic64_t access;	/* robust: newest era a reader here may hold */
	atomic_long_t owed;	/* robust: decrements this slot's readers still owe */
};

/* The retire side of a CPU; protected by @lock (irqs off). */
struct kovan_cpu_batch {
	raw_spinlock_t lock;
	struct kovan_node *first;	/* objects retired since the last close */
	unsigned int count[2];		/* ... per barrier parity */
	u64 min_birth;			/* robust: oldest birth among them */
	unsigned long retired[2];	/* objects ever retired here, per parity */
	unsigned long batches;		/* batches closed from this CPU */
	unsigned int era_tick;		/* kovan_node_init() calls since the era moved */
};

struct kovan_pcpu {
	/* Read and swapped by every CPU: a line of their own. */
	struct kovan_slot slot[KOVAN_SLOTS_PER_CPU] ____cacheline_aligned_in_smp;
	struct kovan_cpu_batch cb ____cacheline_aligned_in_smp;
	unsigned long era_skips;	/* robust stats, updated by this CPU's closes */
	unsigned long stall_avoids;	/* ... and pins */
};

/*
 * A batch: the unit the readers' slots reference. The objects hang off
 * @objects; @next[i] links the batch into slot i's list.
 */
struct kovan_batch {
	atomic_long_t refs;
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

void kovan_reclaim_workfn(struct work_struct *work);
void kovan_reclaim_irq_workfn(struct irq_work *work);
void kovan_flush_workfn(struct work_struct *work);
void kovan_flush(struct kovan_domain *d);
bool kovan_slots_idle(struct kovan_domain *d);

#endif /* _KOVAN_INTERNAL_H */
