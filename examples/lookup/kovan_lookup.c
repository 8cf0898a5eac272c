// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kovan_lookup: how a driver uses kovan - start here.
 *
 * A table maps u32 keys to u64 values, the way a driver maps flow IDs to
 * queues or device IDs to their configuration. Lookups vastly outnumber
 * updates, come from any context and must never block.
 *
 *  - Lookups (lookup_get) pin the table's kovan domain, walk one hash chain
 *    with kovan_load(), copy the value out and unpin: no lock, no atomic
 *    on shared cache lines, legal in any context, NMI included.
 *  - Updates (lookup_set, lookup_delete) from any context but NMI (on
 *    PREEMPT_RT lookup_set only where the slab allocator may run) become
 *    events on a multi-producer Disruptor ring. One handler kthread, the
 *    writer, applies them in ring order, so the chains have a single writer
 *    and need no lock. An update replaces an entry with a new one and
 *    retires the old one through kovan, which frees it once no lookup
 *    that could have found it is still pinned.
 *  - New entries go in at the head of their chain, stamped by the writer
 *    right before: every link then leads from a younger entry to an older
 *    one, which is what Documentation/robust.rst asks of a robust domain (a lookup stopped
 *    on an entry that is deleted meanwhile walks on through its old link),
 *    so the table is as safe with CONFIG_KOVAN_ROBUST_DEFAULT as without.
 *  - lookup_sync() waits until the updates submitted before it are
 *    visible to lookups.
 *  - Teardown: debugfs first (no more callers), then the ring (the writer
 *    drains every published update), then the entries, then the domain
 *    (kovan_domain_destroy() waits for the retired entries to be freed).
 *
 * The entries are allocated by the caller of lookup_set(), with its gfp
 * flags, so the writer never allocates and an update is never dropped:
 * either the call fails (-ENOMEM, -EBUSY) and nothing changes, or the
 * update is applied.
 *
 * /sys/kernel/debug/kovan_lookup/table shows the module's table; writing
 * "set <key> <value>" or "del <key>" to it updates the table, and
 * "get <key>" logs the key's value (or fails with -ENOENT).
 *
 * Build against kovan as a separate module: KOVAN_DIR and
 * KBUILD_EXTRA_SYMBOLS, see the README.
 */

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <kovan/kovan.h>
#include <kovan/disruptor.h>

#define LOOKUP_MAX_BUCKETS	BIT(20)

struct lookup_entry {
	struct lookup_entry __kovan *next;	/* kovan_load() it; the writer stores it */
	u32 key;
	u64 value;
	struct kovan_node knode;
};

enum lookup_op { LOOKUP_SET, LOOKUP_DELETE };

/* One event of the ring: an update on its way to the writer. */
struct lookup_update {
	enum lookup_op op;
	u32 key;
	struct lookup_entry *entry;	/* LOOKUP_SET: the new entry */
};

struct lookup_table {
	struct kovan_domain domain;
	struct lookup_entry __kovan **buckets;
	unsigned int bits;
	struct kovan_disruptor *ring;
	s64 applied;			/* last sequence the writer applied */
	wait_queue_head_t applied_wait;
};

/**
 * lookup_get() - find a key's value
 * @t: the table
 * @key: the key
 * @value: where the value goes
 *
 * Context: any, NMI included. Never sleeps and takes no lock; wait-free
 * in a plain domain, lock-free in a robust one (kovan_load()'s era loop).
 * Return: 0 and the value in *@value, or -ENOENT.
 */
static int lookup_get(struct lookup_table *t, u32 key, u64 *value)
{
	struct lookup_entry *e;
	struct kovan_guard g;
	int ret = -ENOENT;

	kovan_pin(&t->domain, &g);
	for (e = kovan_load(&t->buckets[hash_32(key, t->bits)], &g); e;
	     e = kovan_load(&e->next, &g)) {
		if (e->key == key) {
			*value = e->value;
			ret = 0;
			break;
		}
	}
	kovan_unpin(&g);
	return ret;
}

/* Queue an update; wait for room in the ring only if @gfp allows sleeping. */
static int lookup_submit(struct lookup_table *t, enum lookup_op op, u32 key,
			 struct lookup_entry *entry, gfp_t gfp)
{
	struct lookup_update *u;
	s64 seq;

	if (gfpflags_allow_blocking(gfp))
		seq = kovan_disruptor_next(t->ring, 1);
	else
		seq = kovan_disruptor_try_next(t->ring, 1);

	if (seq < 0)
		return seq;
	u = kovan_disruptor_get(t->ring, seq);
	u->op = op;
	u->key = key;
	u->entry = entry;
	/* Releases the event and the new entry's contents to the writer. */
	return kovan_disruptor_publish(t->ring, seq, seq);
}

/**
 * lookup_set() - insert or replace a key's value, applied asynchronously
 * @t: the table
 * @key: the key
 * @value: its new value
 * @gfp: GFP_KERNEL where the caller may sleep: then the call also waits
 *	 for room in the ring; GFP_ATOMIC otherwise.
 *
 * Context: any but NMI, with @gfp to match; on PREEMPT_RT, where the slab
 * allocator may sleep, not in hard interrupt context, with preemption or
 * interrupts off or under a raw spinlock.
 * Return: 0 when queued (lookup_sync() waits for it); -ENOMEM; -EBUSY
 *	   when the ring is full and @gfp does not allow sleeping; -ESHUTDOWN
 *	   when the table is being destroyed. On error nothing changes.
 */
static int lookup_set(struct lookup_table *t, u32 key, u64 value, gfp_t gfp)
{
	struct lookup_entry *e = kmalloc(sizeof(*e), gfp);
	int ret;

	if (!e)
		return -ENOMEM;
	kovan_init_pointer(e->next, NULL);
	e->key = key;
	e->value = value;
	ret = lookup_submit(t, LOOKUP_SET, key, e, gfp);
	if (ret)
		kfree(e);
	return ret;
}

/**
 * lookup_delete() - remove a key, applied asynchronously
 * @t: the table
 * @key: the key; a missing key is not an error
 * @gfp: as for lookup_set(); nothing is allocated
 *
 * Context: any but NMI, with @gfp to match (it allocates nothing, so
 * PREEMPT_RT's hard interrupt context included).
 * Return: as lookup_set(), without -ENOMEM.
 */
static int lookup_delete(struct lookup_table *t, u32 key, gfp_t gfp)
{
	return lookup_submit(t, LOOKUP_DELETE, key, NULL, gfp);
}

/**
 * lookup_sync() - wait until the updates queued before the call are visible
 * @t: the table
 *
 * Context: process context; sleeps.
 */
static void lookup_sync(struct lookup_table *t)
{
	s64 target = kovan_disruptor_cursor(t->ring);

	/* Acquire: pairs with the writer's release, so the updates are seen. */
	wait_event(t->applied_wait, smp_load_acquire(&t->applied) >= target);
}

/* The writer stores every chain pointer, so it reads them without a guard. */
#define lookup_writer_deref(p)	kovan_dereference_protected(p, true)

/*
 * The writer: the only thread that changes the chains. A new entry goes in
 * at the head, stamped here, and the entry it replaces is unlinked after
 * it: links only ever lead to older entries.
 */
static int lookup_apply(void *event, s64 seq, bool end_of_batch, void *ctx)
{
	struct lookup_table *t = ctx;
	struct lookup_update *u = event;
	struct lookup_entry __kovan **head = &t->buckets[hash_32(u->key, t->bits)];
	struct lookup_entry __kovan **pp = head;
	struct lookup_entry *e;

	if (u->op == LOOKUP_SET) {
		kovan_node_init(&t->domain, &u->entry->knode);
		/* Not published yet: a plain store. */
		kovan_init_pointer(u->entry->next, lookup_writer_deref(*head));
		/* Release: the entry's contents before the entry; pairs with kovan_load(). */
		kovan_assign_pointer(*head, u->entry);
		pp = &u->entry->next;
		u->entry = NULL;
	}
	for (e = lookup_writer_deref(*pp); e && e->key != u->key; e = lookup_writer_deref(*pp))
		pp = &e->next;
	/* e->next was published before; the unlink needs no ordering of its own. */
	if (e)
		kovan_init_pointer(*pp, lookup_writer_deref(e->next));
	/* After the unlinking store: lookups that start now cannot find e. */
	if (e)
		kovan_retire_kfree(&t->domain, e, knode);

	/* Release: the updates up to @seq before @seq; pairs with lookup_sync(). */
	smp_store_release(&t->applied, seq);
	if (end_of_batch)
		wake_up_all(&t->applied_wait);
	return 0;
}

static void lookup_free_entries(struct lookup_table *t)
{
	struct lookup_entry *e, *next;
	unsigned int i;

	for (i = 0; i < (1U << t->bits); i++) {
		for (e = lookup_writer_deref(t->buckets[i]); e; e = next) {
			next = lookup_writer_deref(e->next);
			kfree(e);
		}
	}
}

/**
 * lookup_destroy() - free a table
 * @t: the table; nobody else may use it any more. NULL or an error
 *     pointer is ignored.
 *
 * Context: process context; sleeps.
 */
static void lookup_destroy(struct lookup_table *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	/* Drains: every published update is applied before the writer exits. */
	kovan_disruptor_destroy(t->ring);
	lookup_free_entries(t);
	/* Waits until the entries the writer retired are freed. */
	kovan_domain_destroy(&t->domain);
	kvfree(t->buckets);
	kfree(t);
}

/**
 * lookup_create() - a table of hash chains fed by a ring of updates
 * @nbuckets: hash chains
 * @ring_size: updates the ring holds before lookup_set() waits or fails
 *
 * Context: process context; sleeps.
 * Return: the table; ERR_PTR(-EINVAL) when @nbuckets is not a power of two
 *	   in 2..2^20 or @ring_size not a power of two in 1..2^24 (the
 *	   Disruptor's limit); ERR_PTR(-ENOMEM).
 */
static struct lookup_table *lookup_create(unsigned int nbuckets, unsigned int ring_size)
{
	struct kovan_disruptor_config cfg = {
		.size = ring_size,
		.event_size = sizeof(struct lookup_update),
		.producer = KOVAN_PRODUCER_MULTI,
		.wait = &kovan_disruptor_wait_blocking,
	};
	struct kovan_disruptor_handler writer = {
		.on_event = lookup_apply,
		.cpu = -1,
	};
	struct lookup_table *t;
	struct kovan_disruptor_stage *stage;
	int ret;

	/* hash_32() needs at least one bit. */
	if (nbuckets < 2 || !is_power_of_2(nbuckets) || nbuckets > LOOKUP_MAX_BUCKETS)
		return ERR_PTR(-EINVAL);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->bits = ilog2(nbuckets);
	t->applied = -1;
	init_waitqueue_head(&t->applied_wait);
	ret = kovan_domain_init(&t->domain, 0);
	if (ret)
		goto free_table;
	t->buckets = kvcalloc(nbuckets, sizeof(*t->buckets), GFP_KERNEL);
	if (!t->buckets) {
		ret = -ENOMEM;
		goto destroy_domain;
	}
	t->ring = kovan_disruptor_create(&cfg, GFP_KERNEL);
	if (IS_ERR(t->ring)) {
		ret = PTR_ERR(t->ring);
		goto free_buckets;
	}
	writer.ctx = t;
	stage = kovan_disruptor_handle_events_with(t->ring, &writer, 1);
	ret = PTR_ERR_OR_ZERO(stage);
	if (!ret)
		ret = kovan_disruptor_start(t->ring);
	if (ret)
		goto destroy_ring;
	return t;

destroy_ring:
	kovan_disruptor_destroy(t->ring);
free_buckets:
	kvfree(t->buckets);
destroy_domain:
	kovan_domain_destroy(&t->domain);
free_table:
	kfree(t);
	return ERR_PTR(ret);
}

/* ---- The module's own table, in debugfs ---- */

static struct lookup_table *lookup_main;
static struct dentry *lookup_debugfs;

static int lookup_show(struct seq_file *m, void *unused)
{
	struct lookup_table *t = m->private;
	struct lookup_entry *e;
	struct kovan_guard g;
	unsigned int i;

	kovan_pin(&t->domain, &g);
	for (i = 0; i < (1U << t->bits); i++)
		for (e = kovan_load(&t->buckets[i], &g); e; e = kovan_load(&e->next, &g))
			seq_printf(m, "%u %llu\n", e->key, e->value);
	kovan_unpin(&g);
	return 0;
}

static int lookup_open(struct inode *inode, struct file *file)
{
	return single_open(file, lookup_show, inode->i_private);
}

static ssize_t lookup_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct lookup_table *t = file_inode(file)->i_private;
	char buf[64], op[4];
	unsigned long long value = 0;
	unsigned int key;
	u64 found;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "set %u %llu", &key, &value) == 2) {
		ret = lookup_set(t, key, value, GFP_KERNEL);
	} else if (sscanf(buf, "%3s %u", op, &key) != 2) {
		return -EINVAL;
	} else if (!strcmp(op, "del")) {
		ret = lookup_delete(t, key, GFP_KERNEL);
	} else if (!strcmp(op, "get")) {
		ret = lookup_get(t, key, &found);
		if (!ret)
			pr_info("kovan_lookup: %u %llu\n", key, found);
		return ret ? ret : len;
	} else {
		return -EINVAL;
	}
	if (ret)
		return ret;
	lookup_sync(t);
	return len;
}

static const struct file_operations lookup_fops = {
	.owner = THIS_MODULE,
	.open = lookup_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = lookup_write,
};

static int __init lookup_init(void)
{
	lookup_main = lookup_create(256, 256);
	if (IS_ERR(lookup_main))
		return PTR_ERR(lookup_main);
	lookup_debugfs = debugfs_create_dir("kovan_lookup", NULL);
	debugfs_create_file("table", 0600, lookup_debugfs, lookup_main, &lookup_fops);
	return 0;
}

static void __exit lookup_exit(void)
{
	/* Waits for the file's callers to leave. */
	debugfs_remove(lookup_debugfs);
	lookup_destroy(lookup_main);
}

module_init(lookup_init);
module_exit(lookup_exit);

#if IS_ENABLED(CONFIG_KOVAN_LOOKUP_KUNIT_TEST)
#include "kovan_lookup_kunit.c"
#endif

MODULE_DESCRIPTION("kovan example: a lookup table with lock-free readers and a Disruptor writer");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
