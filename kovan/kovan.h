/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _KOVAN_KOVAN_H
#define _KOVAN_KOVAN_H

/*
 * kovan: wait-free memory reclamation with per-CPU slots.
 *
 * A kovan domain plays the role of an srcu_struct: readers pin the domain,
 * load pointers to shared objects, and unpin; updaters unpublish objects and
 * retire them; the domain frees a retired object once no guard that could
 * have loaded it is still pinned.
 *
 * This header is the contract. The reclamation calls are being built up in
 * stages; what is declared here is implemented and tested.
 *
 * Context summary:
 *
 *	kovan_domain_init()	process context, may sleep
 *	kovan_domain_destroy()	process context, may sleep
 */

#include <linux/types.h>

/* Flags for kovan_domain_init(). */
#define KOVAN_ROBUST		0x1U	/* bound unfreed memory under stalled readers */
#define KOVAN_DOMAIN_FLAGS	KOVAN_ROBUST

struct kovan_cpu_slot;

/**
 * struct kovan_domain - an independent reclamation domain
 * @slots: per-CPU reader slots, allocated by kovan_domain_init()
 * @flags: KOVAN_* flags the domain was initialised with
 *
 * Embed one in your data structure and set it up with kovan_domain_init().
 * Fields are private to kovan.
 */
struct kovan_domain {
	struct kovan_cpu_slot __percpu *slots;
	unsigned int flags;
};

/**
 * kovan_domain_init() - initialise a reclamation domain
 * @d: domain to initialise
 * @flags: zero or more of %KOVAN_ROBUST. When the module is built with
 *	   CONFIG_KOVAN_ROBUST_DEFAULT, %KOVAN_ROBUST is always added.
 *
 * Context: process context; may sleep (allocates per-CPU memory).
 * Return: 0 on success, -EINVAL for a NULL @d or unknown @flags,
 *	   -ENOMEM when the per-CPU slots cannot be allocated.
 */
int kovan_domain_init(struct kovan_domain *d, unsigned int flags);

/**
 * kovan_domain_destroy() - release a domain set up by kovan_domain_init()
 * @d: domain to destroy; a NULL @d is ignored
 *
 * Context: process context; may sleep.
 */
void kovan_domain_destroy(struct kovan_domain *d);

/**
 * kovan_domain_flags() - flags a domain runs with
 * @d: an initialised domain
 *
 * Context: any.
 * Return: the KOVAN_* flags in effect, including %KOVAN_ROBUST when it was
 *	   added by CONFIG_KOVAN_ROBUST_DEFAULT.
 */
static inline unsigned int kovan_domain_flags(const struct kovan_domain *d)
{
	return d->flags;
}

#endif /* _KOVAN_KOVAN_H */
