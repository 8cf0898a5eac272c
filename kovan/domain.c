// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan reclamation domains: lifetime of a domain and of its per-CPU slots.
 */

#include <linux/module.h>
#include <linux/percpu.h>

#include "kovan.h"

/* One reader slot per CPU; grows the reclamation state as it lands. */
struct kovan_cpu_slot {
	unsigned long pinned;
};

int kovan_domain_init(struct kovan_domain *d, unsigned int flags)
{
	if (!d || (flags & ~KOVAN_DOMAIN_FLAGS))
		return -EINVAL;
	if (IS_ENABLED(CONFIG_KOVAN_ROBUST_DEFAULT))
		flags |= KOVAN_ROBUST;

	d->slots = alloc_percpu(struct kovan_cpu_slot);
	if (!d->slots)
		return -ENOMEM;
	d->flags = flags;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kovan_domain_init, KOVAN);

void kovan_domain_destroy(struct kovan_domain *d)
{
	if (!d)
		return;
	free_percpu(d->slots);
	d->slots = NULL;
}
EXPORT_SYMBOL_NS_GPL(kovan_domain_destroy, KOVAN);

MODULE_DESCRIPTION("kovan: wait-free memory reclamation with per-CPU slots");
MODULE_LICENSE("Dual MIT/GPL");
