// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan domains: lifetime, module parameters, statistics and debugfs.
 * The reclamation algorithm itself is in reclaim.c.
 */

#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "fault.h"
#include "internal.h"

unsigned int kovan_nr_slots __read_mostly;
unsigned long kovan_share __read_mostly;
struct workqueue_struct *kovan_wq __read_mostly;
struct workqueue_struct *kovan_engine_wq __read_mostly;
struct workqueue_struct *kovan_reclaim_wq __read_mostly;

unsigned int kovan_batch_size __read_mostly = 64;
unsigned int kovan_stall_batches __read_mostly = 64;
unsigned int kovan_era_frequency __read_mostly = 64;
unsigned int kovan_flush_us __read_mostly = 100;
unsigned int kovan_backlog __read_mostly = 4096;

static struct dentry *kovan_debugfs_root;
static DEFINE_MUTEX(kovan_debugfs_mutex);	/* debugfs entries of all domains */
static atomic_t kovan_domain_ids = ATOMIC_INIT(0);

/* Parameters are range-checked; anything else is refused with -EINVAL. */
struct kovan_uint_param {
	unsigned int *value;
	unsigned int min, max;
};

static int kovan_uint_param_set(const char *val, const struct kernel_param *kp)
{
	const struct kovan_uint_param *p = kp->arg;
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v < p->min || v > p->max)
		return -EINVAL;
	WRITE_ONCE(*p->value, v);	/* Pairs with the READ_ONCE() of each user. */
	return 0;
}

static int kovan_uint_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct kovan_uint_param *p = kp->arg;

	return sysfs_emit(buffer, "%u\n", READ_ONCE(*p->value));
}

static const struct kernel_param_ops kovan_uint_param_ops = {
	.set = kovan_uint_param_set,
	.get = kovan_uint_param_get,
};

static struct kovan_uint_param kovan_batch_param = { &kovan_batch_size, 1, 4096 };
static struct kovan_uint_param kovan_stall_param = { &kovan_stall_batches, 1, 1 << 20 };
static struct kovan_uint_param kovan_flush_us_param = { &kovan_flush_us, 0, 1000000 };
static struct kovan_uint_param kovan_era_param = { &kovan_era_frequency, 1, 1 << 20 };
static struct kovan_uint_param kovan_backlog_param = { &kovan_backlog, 1, 1 << 30 };

module_param_cb(batch, &kovan_uint_param_ops, &kovan_batch_param, 0644);
__MODULE_PARM_TYPE(batch, "uint");
MODULE_PARM_DESC(batch, "objects per batch, 1..4096 (default 64)");
module_param_cb(stall_batches, &kovan_uint_param_ops, &kovan_stall_param, 0644);
__MODULE_PARM_TYPE(stall_batches, "uint");
MODULE_PARM_DESC(stall_batches,
		 "robust: pins avoid a slot onto which more batches than this were closed during one cycle of its engine, 1..1048576 (default 64)");
module_param_cb(flush_us, &kovan_uint_param_ops, &kovan_flush_us_param, 0644);
__MODULE_PARM_TYPE(flush_us, "uint");
MODULE_PARM_DESC(flush_us,
		 "microseconds a partly filled batch may wait before it is closed, 0..1000000 (default 100)");
module_param_cb(era_frequency, &kovan_uint_param_ops, &kovan_era_param, 0644);
__MODULE_PARM_TYPE(era_frequency, "uint");
MODULE_PARM_DESC(era_frequency,
		 "robust: kovan_node_init() calls per CPU between era advances, 1..1048576 (default 64)");
module_param_cb(backlog, &kovan_uint_param_ops, &kovan_backlog_param, 0644);
__MODULE_PARM_TYPE(backlog, "uint");
MODULE_PARM_DESC(backlog,
		 "objects a CPU's reclaim worker may be behind before retires that may sleep wait for it, 1..1073741824 (default 4096)");

static int kovan_stats_show(struct seq_file *m, void *unused)
{
	struct kovan_domain *d = m->private;
	struct kovan_stats s;

	kovan_domain_stats(d, &s);
	seq_printf(m, "retired %lu\nfreed %lu\npending %lu\nqueued %lu\nbatches %lu\n",
		   s.retired, s.freed, s.pending, s.queued, s.batches);
	seq_printf(m, "batches_freed %lu\naged_batches %lu\nera_skips %lu\nstall_avoids %lu\n",
		   s.batches_freed, s.aged_batches, s.era_skips, s.stall_avoids);
	seq_printf(m, "moves %lu\nfence_ipis %lu\nthrottles %lu\nslots %u\n", s.moves,
		   s.fence_ipis, s.throttles, s.slots);
	seq_printf(m, "robust %d\nfenceless %d\n", !!(d->flags & KOVAN_ROBUST),
		   !!(d->flags & KOVAN_FENCELESS));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kovan_stats);

static int kovan_cpus_show(struct seq_file *m, void *unused)
{
	struct kovan_cpu_stats s;
	int cpu;

	seq_puts(m, "cpu flush_timers backstop_timers kicks fence_ipis reclaims backlog\n");
	for_each_possible_cpu(cpu) {
		kovan_cpu_stats(cpu, &s);
		seq_printf(m, "%d %lu %lu %lu %lu %lu %lu\n", cpu, s.flush_timers,
			   s.backstop_timers, s.kicks, s.fence_ipis, s.reclaims, s.backlog);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kovan_cpus);

/*
 * Give @d its debugfs directory, named after the C expression or variable
 * that names the domain and a number: "&q->dom" becomes "q_dom-3"
 * (punctuation before the first letter or digit dropped, each later run
 * of it one '_'). Domains defined with DEFINE_KOVAN_DOMAIN() get theirs
 * from their first flush.
 */
void kovan_debugfs_add(struct kovan_domain *d)
{
	int id = atomic_inc_return(&kovan_domain_ids);
	char name[sizeof(d->name)];
	const char *s = d->name;
	size_t len = 0;

	mutex_lock(&kovan_debugfs_mutex);
	if (d->debugfs || (d->flags & KOVAN_DOMAIN_DEAD))
		goto out;
	/* Room for "-" and the number. */
	for (; *s && len < sizeof(name) - 12; s++) {
		if (isalnum(*s) || *s == '_')
			name[len++] = *s;
		else if (len && name[len - 1] != '_')
			name[len++] = '_';
	}
	snprintf(name + len, sizeof(name) - len, "-%d", id);
	strscpy(d->name, name, sizeof(d->name));
	d->debugfs = debugfs_create_dir(d->name, kovan_debugfs_root);
	debugfs_create_file("stats", 0400, d->debugfs, d, &kovan_stats_fops);
out:
	mutex_unlock(&kovan_debugfs_mutex);
}

int __kovan_domain_init(struct kovan_domain *d, unsigned int flags, const char *name,
			struct lock_class_key *key)
{
	int cpu, i;

	if (!d || (flags & ~KOVAN_DOMAIN_FLAGS))
		return -EINVAL;
	if (IS_ENABLED(CONFIG_KOVAN_ROBUST_DEFAULT))
		flags |= KOVAN_ROBUST;

	d->pcpu = kovan_should_fail_alloc(GFP_KERNEL, sizeof(struct kovan_pcpu)) ? NULL :
		  alloc_percpu(struct kovan_pcpu);
	if (!d->pcpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct kovan_pcpu *pc = per_cpu_ptr(d->pcpu, cpu);

		/* Zeroed by alloc_percpu(), as a static domain's are: set what is not 0. */
		for (i = 0; i < KOVAN_SLOTS_PER_CPU; i++)
			init_llist_head(&pc->slot[i].waiting);
		raw_spin_lock_init(&pc->cb.lock);
	}
	atomic64_set(&d->era, 0);
	d->flags = flags;
	d->parity = 0;
	d->state = 0;
	atomic_long_set(&d->freed[0], 0);
	atomic_long_set(&d->freed[1], 0);
	atomic_long_set(&d->batches_freed, 0);
	atomic_long_set(&d->queued, 0);
	atomic_long_set(&d->in_flight, 0);
	atomic_long_set(&d->gp_started, 0);
	atomic_long_set(&d->gp_done, 0);
	atomic_long_set(&d->gp_needed, 0);
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	lockdep_init_map(&d->dep_map, name, key, 0);
#endif
	strscpy(d->name, name, sizeof(d->name));
	d->debugfs = NULL;
	kovan_debugfs_add(d);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(__kovan_domain_init, KOVAN_NS);

void kovan_domain_destroy(struct kovan_domain *d)
{
	if (!d)
		return;
	if (WARN_ONCE(!d->pcpu || (d->flags & KOVAN_DOMAIN_DEAD),
		      "kovan: domain destroyed twice or never initialised\n"))
		return;
	kovan_barrier(d);
	kovan_domain_quiesce(d);
	mutex_lock(&kovan_debugfs_mutex);
	/* Pins from now on are refused; one racing with this is a caller bug. */
	WRITE_ONCE(d->flags, d->flags | KOVAN_DOMAIN_DEAD);
	debugfs_remove_recursive(d->debugfs);
	d->debugfs = NULL;
	mutex_unlock(&kovan_debugfs_mutex);
	/* A pinned guard will still unpin into the slots: leak them instead. */
	if (WARN(!kovan_slots_idle(d), "kovan: domain %s destroyed with pinned guards\n", d->name))
		return;
	if (!(d->flags & KOVAN_DOMAIN_STATIC)) {
		free_percpu(d->pcpu);
		d->pcpu = NULL;
	}
}
EXPORT_SYMBOL_NS_GPL(kovan_domain_destroy, KOVAN_NS);

void kovan_domain_stats(struct kovan_domain *d, struct kovan_stats *s)
{
	int cpu;

	memset(s, 0, sizeof(*s));
	/* Freed before retired, so that pending never looks negative. */
	s->freed = atomic_long_read(&d->freed[0]) + atomic_long_read(&d->freed[1]);
	s->batches_freed = atomic_long_read(&d->batches_freed);
	smp_rmb(); /* Pairs with the fully ordered RMWs that make a batch reclaimable. */
	for_each_possible_cpu(cpu) {
		struct kovan_pcpu *pc = per_cpu_ptr(d->pcpu, cpu);

		/* Counters written under the CPU's batch lock; a stale sum is fine. */
		s->retired += data_race(pc->cb.retired[0] + pc->cb.retired[1]);
		/* Same lock. */
		s->batches += data_race(pc->cb.batches);
		/* this_cpu_inc() counters of pins and closes; approximate by design. */
		s->era_skips += data_race(pc->era_skips);
		/* As above. */
		s->stall_avoids += data_race(pc->stall_avoids);
		/* this_cpu_inc() of the flush worker; approximate by design. */
		s->aged_batches += data_race(pc->aged_batches);
		/* this_cpu_inc() of loads; approximate by design. */
		s->moves += data_race(pc->moves);
		/* this_cpu_inc() of IPI handlers; approximate by design. */
		s->fence_ipis += data_race(pc->fence_ipis);
		/* this_cpu_inc() of retires; approximate by design. */
		s->throttles += data_race(pc->throttles);
	}
	s->pending = s->retired - s->freed;
	s->queued = atomic_long_read(&d->queued);
	s->slots = kovan_nr_slots;
	s->batch = READ_ONCE(kovan_batch_size);
	s->stall_batches = READ_ONCE(kovan_stall_batches);
	s->era_frequency = READ_ONCE(kovan_era_frequency);
	s->backlog = READ_ONCE(kovan_backlog);
}
EXPORT_SYMBOL_NS_GPL(kovan_domain_stats, KOVAN_NS);

static int __init kovan_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct kovan_node) > 3 * sizeof(void *));
	BUILD_BUG_ON(!IS_ENABLED(CONFIG_64BIT));

	kovan_nr_slots = roundup_pow_of_two(nr_cpu_ids * KOVAN_SLOTS_PER_CPU);
	kovan_share = 1UL << (BITS_PER_LONG - ilog2(kovan_nr_slots));
	/*
	 * Every kovan worker is high priority (nice -20): a barrier, a destroy
	 * and a throttled retire wait for them, and at nice 0 on a CPU shared
	 * with busy tasks they get a slice per round of all of them.
	 */
	kovan_wq = alloc_workqueue("kovan", WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_HIGHPRI, 0);
	if (!kovan_wq)
		return -ENOMEM;
	/* Short runs that frees wait for: never queued behind the frees themselves. */
	kovan_engine_wq = alloc_workqueue("kovan_engine",
					  WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_HIGHPRI, 0);
	if (!kovan_engine_wq) {
		destroy_workqueue(kovan_wq);
		return -ENOMEM;
	}
	/* Unbound: each CPU's work runs near it, not only on it (reclaim.c). */
	kovan_reclaim_wq = alloc_workqueue("kovan_reclaim",
					   WQ_MEM_RECLAIM | WQ_UNBOUND | WQ_HIGHPRI, 0);
	ret = kovan_reclaim_wq ? kovan_pool_init() : -ENOMEM;
	if (!ret) {
		ret = kovan_workers_start();
		if (ret)
			kovan_pool_exit();
	}
	if (ret) {
		if (kovan_reclaim_wq)
			destroy_workqueue(kovan_reclaim_wq);
		destroy_workqueue(kovan_engine_wq);
		destroy_workqueue(kovan_wq);
		return ret;
	}
	kovan_debugfs_root = debugfs_create_dir("kovan", NULL);
	debugfs_create_file("cpus", 0400, kovan_debugfs_root, NULL, &kovan_cpus_fops);
	kovan_fault_debugfs_init(kovan_debugfs_root);
	return 0;
}

static void __exit kovan_exit(void)
{
	kovan_workers_stop();
	debugfs_remove_recursive(kovan_debugfs_root);
	kovan_pool_exit();
	destroy_workqueue(kovan_reclaim_wq);
	destroy_workqueue(kovan_engine_wq);
	destroy_workqueue(kovan_wq);
}

module_init(kovan_init);
module_exit(kovan_exit);

MODULE_DESCRIPTION("kovan: wait-free memory reclamation with per-CPU slots");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_VERSION(KOVAN_VERSION);
