// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A hash table protected by kovan, RCU or SRCU, in one boot: the read-mostly
 * and the write-heavy workloads of the Hyaline and Crystalline papers.
 *
 * The table has BH_BUCKETS chains of nodes and holds about half of the
 * BH_KEYS keys. Each of T worker kthreads (worker i bound to online CPU i,
 * modulo the CPUs) repeatedly draws a key and an operation: a lookup walks
 * the key's chain inside a read-side section; an update takes the chain's
 * spinlock and removes the key if it is there (retiring the node) or
 * inserts it if not, so the table stays half full. Updates allocate their
 * node before taking the lock, whether they insert or not, so every scheme
 * pays the same allocator cost.
 *
 *	kovan		kovan_pin / kovan_load / kovan_unpin, kovan_retire_kfree()
 *	kovan(robust)	the same in a KOVAN_ROBUST domain (kovan_node_init())
 *	rcu		rcu_read_lock / rcu_dereference, kfree_rcu()
 *	srcu		srcu_read_lock / srcu_dereference, call_srcu() + kfree
 *
 * Each measurement runs for ms milliseconds; the number is lookups plus
 * updates per second over all workers. T takes each power of two up to the
 * CPUs online. Runs are interleaved (run 0 of everything, then run 1, ...).
 * After each measurement the table is checked (every key in its chain, no
 * duplicates, the count of keys the updates left) and everything retired is
 * freed before the next one starts. Loading the module prints
 *
 *	kovan-hash-bench: tput <scheme> <update %> <T>T <run> <operations per second>
 *	kovan-hash-bench: error <scheme> <update %> <T>T <run> <what>
 *
 * and stays loaded, holding nothing, until rmmod. Not a test: it asserts
 * nothing.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>

#include <kovan/kovan.h>

static unsigned int runs = 5;
module_param(runs, uint, 0400);
MODULE_PARM_DESC(runs, "repetitions of each scheme, mix and thread count (default 5)");

static unsigned int ms = 200;
module_param(ms, uint, 0400);
MODULE_PARM_DESC(ms, "length of one measurement in milliseconds (default 200)");

#define BH_BUCKETS	1024
#define BH_KEYS		(2 * BH_BUCKETS)
#define BH_MAX_THREADS	8
/* Operations between looks at the stop flag and cond_resched(). */
#define BH_CHUNK	64

enum bh_scheme {
	BH_KOVAN,
	BH_KOVAN_ROBUST,
	BH_RCU,
	BH_SRCU,
	BH_NR_SCHEMES,
};

static const char * const bh_names[BH_NR_SCHEMES] = {
	[BH_KOVAN] = "kovan",
	[BH_KOVAN_ROBUST] = "kovan(robust)",
	[BH_RCU] = "rcu",
	[BH_SRCU] = "srcu",
};

static const unsigned int bh_update_pcts[] = { 10, 50 };

struct bh_node {
	struct bh_node __rcu *next;
	unsigned long key;
	union {
		struct kovan_node kn;
		struct rcu_head rcu;
	};
};

struct bh_bucket {
	struct bh_node __rcu *head;
	/* Serialises the chain's updaters; readers take none. */
	spinlock_t lock;
};

DEFINE_STATIC_SRCU(bh_srcu);

static struct bh_bucket *bh_table;
static struct kovan_domain bh_plain, bh_robust;
static atomic_long_t bh_keys;

static struct bh_run {
	enum bh_scheme scheme;
	unsigned int update_pct;
	bool stop;
	struct completion go;
	atomic_long_t ops;
} bh;

static struct kovan_domain *bh_domain(enum bh_scheme scheme)
{
	if (scheme == BH_KOVAN)
		return &bh_plain;
	return scheme == BH_KOVAN_ROBUST ? &bh_robust : NULL;
}

static struct bh_bucket *bh_bucket(unsigned long key)
{
	return &bh_table[key % BH_BUCKETS];
}

/* Walks the chain inside a read-side section; its loads are the scheme's. */
static bool bh_lookup(enum bh_scheme scheme, unsigned long key)
{
	struct bh_bucket *b = bh_bucket(key);
	struct bh_node *n;
	struct kovan_guard g;
	bool found = false;
	int idx;

	switch (scheme) {
	case BH_KOVAN:
	case BH_KOVAN_ROBUST:
		kovan_pin(bh_domain(scheme), &g);
		/* kovan_load() is this scheme's rcu_dereference(). */
		for (n = kovan_load((struct bh_node __kovan * __force *)&b->head, &g); n;
		     n = kovan_load((struct bh_node __kovan * __force *)&n->next, &g)) {
			if (n->key == key) {
				found = true;
				break;
			}
		}
		kovan_unpin(&g);
		break;
	case BH_RCU:
		rcu_read_lock();
		for (n = rcu_dereference(b->head); n; n = rcu_dereference(n->next)) {
			if (n->key == key) {
				found = true;
				break;
			}
		}
		rcu_read_unlock();
		break;
	case BH_SRCU:
		idx = srcu_read_lock(&bh_srcu);
		for (n = srcu_dereference(b->head, &bh_srcu); n;
		     n = srcu_dereference(n->next, &bh_srcu)) {
			if (n->key == key) {
				found = true;
				break;
			}
		}
		srcu_read_unlock(&bh_srcu, idx);
		break;
	default:
		break;
	}
	return found;
}

static void bh_srcu_free(struct rcu_head *h)
{
	kfree(container_of(h, struct bh_node, rcu));
}

static void bh_retire(enum bh_scheme scheme, struct bh_node *n)
{
	switch (scheme) {
	case BH_KOVAN:
	case BH_KOVAN_ROBUST:
		kovan_retire_kfree(bh_domain(scheme), n, kn);
		break;
	case BH_RCU:
		kfree_rcu(n, rcu);
		break;
	case BH_SRCU:
		call_srcu(&bh_srcu, &n->rcu, bh_srcu_free);
		break;
	default:
		break;
	}
}

/*
 * Removes @key if it is in the table, inserts @fresh with it if not.
 * Return: the node the caller still owns (@fresh when it was not needed).
 */
static struct bh_node *bh_update(enum bh_scheme scheme, unsigned long key, struct bh_node *fresh)
{
	struct bh_bucket *b = bh_bucket(key);
	struct bh_node __rcu **link;
	struct bh_node *n;

	spin_lock(&b->lock);
	for (link = &b->head; (n = rcu_dereference_protected(*link, lockdep_is_held(&b->lock)));
	     link = &n->next) {
		if (n->key == key)
			break;
	}
	if (n) {
		/* Readers that see the old link still walk on through n->next. */
		WRITE_ONCE(*link, n->next);
		spin_unlock(&b->lock);
		atomic_long_dec(&bh_keys);
		bh_retire(scheme, n);
		return fresh;
	}
	if (fresh) {
		fresh->key = key;
		/*
		 * At the head, stamped under the lock: links lead from younger to
		 * older nodes, as Documentation/robust.rst asks of the robust domain's readers, who
		 * may walk on from a node removed under them. The table outlives
		 * each scheme's turn: a node inserted now may be removed under the
		 * robust domain later, which needs its birth.
		 */
		kovan_node_init(&bh_robust, &fresh->kn);
		n = rcu_dereference_protected(b->head, lockdep_is_held(&b->lock));
		RCU_INIT_POINTER(fresh->next, n);
		/* Orders the node's initialisation before readers find it. */
		rcu_assign_pointer(b->head, fresh);
		atomic_long_inc(&bh_keys);
		fresh = NULL;
	}
	spin_unlock(&b->lock);
	return fresh;
}

static int bh_worker(void *arg)
{
	struct rnd_state rnd;
	struct bh_node *spare = NULL;
	unsigned long ops = 0;
	unsigned int i;

	prandom_seed_state(&rnd, (uintptr_t)arg * 7919 + 1);
	wait_for_completion(&bh.go);
	/* Pairs with the WRITE_ONCE() of bh.stop in bh_measure(). */
	while (!READ_ONCE(bh.stop)) {
		for (i = 0; i < BH_CHUNK; i++) {
			u32 r = prandom_u32_state(&rnd);
			unsigned long key = (r / 100) % BH_KEYS;

			if (r % 100 >= bh.update_pct) {
				bh_lookup(bh.scheme, key);
				continue;
			}
			if (!spare)
				spare = kmalloc(sizeof(*spare), GFP_KERNEL);
			spare = bh_update(bh.scheme, key, spare);
		}
		ops += BH_CHUNK;
		cond_resched();
	}
	kfree(spare);
	atomic_long_add(ops, &bh.ops);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static void bh_settle(enum bh_scheme scheme)
{
	switch (scheme) {
	case BH_KOVAN:
	case BH_KOVAN_ROBUST:
		kovan_barrier(bh_domain(scheme));
		break;
	case BH_RCU:
		kvfree_rcu_barrier();
		break;
	case BH_SRCU:
		srcu_barrier(&bh_srcu);
		break;
	default:
		break;
	}
}

/* Every key in its own chain, at most once, as many as the updates left. */
static const char *bh_check(void)
{
	long count = 0;
	unsigned int i;

	for (i = 0; i < BH_BUCKETS; i++) {
		struct bh_node *n, *m;

		for (n = rcu_dereference_raw(bh_table[i].head); n;
		     n = rcu_dereference_raw(n->next)) {
			if (bh_bucket(n->key) != &bh_table[i])
				return "key in the wrong chain";
			for (m = rcu_dereference_raw(n->next); m; m = rcu_dereference_raw(m->next))
				if (m->key == n->key)
					return "key twice in a chain";
			count++;
		}
	}
	return count == atomic_long_read(&bh_keys) ? NULL : "key count differs";
}

static void bh_measure(enum bh_scheme scheme, unsigned int update_pct, unsigned int threads,
		       unsigned int run)
{
	struct task_struct *workers[BH_MAX_THREADS];
	unsigned int i, started = 0;
	const char *error = NULL;
	u64 t;

	bh.scheme = scheme;
	bh.update_pct = update_pct;
	bh.stop = false;
	atomic_long_set(&bh.ops, 0);
	init_completion(&bh.go);
	for (i = 0; i < threads; i++) {
		uintptr_t seed = run * BH_MAX_THREADS + i;

		workers[i] = kthread_create(bh_worker, (void *)seed, "kovan_hash/%u", i);
		if (IS_ERR(workers[i])) {
			error = "kthread_create failed";
			break;
		}
		kthread_bind(workers[i], cpumask_nth(i % num_online_cpus(), cpu_online_mask));
		get_task_struct(workers[i]);
		wake_up_process(workers[i]);
		started++;
	}
	t = ktime_get_ns();
	complete_all(&bh.go);
	if (!error)
		msleep(ms);
	/* Pairs with the READ_ONCE() of bh.stop in bh_worker(). */
	WRITE_ONCE(bh.stop, true);
	for (i = 0; i < started; i++) {
		kthread_stop(workers[i]);
		put_task_struct(workers[i]);
	}
	t = ktime_get_ns() - t;
	bh_settle(scheme);
	error = error ?: bh_check();
	if (error)
		pr_info("kovan-hash-bench: error %s %u %uT %u %s\n", bh_names[scheme], update_pct,
			threads, run, error);
	else
		pr_info("kovan-hash-bench: tput %s %u %uT %u %llu\n", bh_names[scheme], update_pct,
			threads, run, div64_u64((u64)atomic_long_read(&bh.ops) * NSEC_PER_SEC, t));
}

/* Half of the keys, every other one; the other half is for inserts. */
static int bh_fill(void)
{
	unsigned long key;

	for (key = 0; key < BH_KEYS; key += 2) {
		struct bh_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

		if (!n)
			return -ENOMEM;
		n->key = key;
		n->next = bh_bucket(key)->head;
		RCU_INIT_POINTER(bh_bucket(key)->head, n);
		atomic_long_inc(&bh_keys);
	}
	return 0;
}

/* Only after every scheme's reclaimer was settled: nobody reads any more. */
static void bh_empty(void)
{
	unsigned int i;

	for (i = 0; i < BH_BUCKETS; i++) {
		struct bh_node *n = rcu_dereference_raw(bh_table[i].head), *next;

		for (; n; n = next) {
			next = rcu_dereference_raw(n->next);
			kfree(n);
		}
	}
	kvfree(bh_table);
}

static int __init kovan_hash_bench_init(void)
{
	unsigned int run, s, u, threads;
	int ret;

	bh_table = kvcalloc(BH_BUCKETS, sizeof(*bh_table), GFP_KERNEL);
	if (!bh_table)
		return -ENOMEM;
	for (s = 0; s < BH_BUCKETS; s++)
		spin_lock_init(&bh_table[s].lock);
	ret = bh_fill();
	if (ret)
		goto out_table;
	ret = kovan_domain_init(&bh_plain, 0);
	if (ret)
		goto out_table;
	ret = kovan_domain_init(&bh_robust, KOVAN_ROBUST);
	if (ret)
		goto out_plain;

	pr_info("kovan-hash-bench: begin cpus=%u ms=%u runs=%u buckets=%u keys=%u\n",
		num_online_cpus(), ms, runs, BH_BUCKETS, BH_KEYS);
	for (run = 0; run < runs; run++)
		for (u = 0; u < ARRAY_SIZE(bh_update_pcts); u++)
			for (threads = 1; threads <= min(num_online_cpus(), BH_MAX_THREADS);
			     threads *= 2)
				for (s = 0; s < BH_NR_SCHEMES; s++)
					bh_measure(s, bh_update_pcts[u], threads, run);
	pr_info("kovan-hash-bench: end\n");

	kovan_domain_destroy(&bh_robust);
out_plain:
	kovan_domain_destroy(&bh_plain);
out_table:
	kvfree_rcu_barrier();
	srcu_barrier(&bh_srcu);
	bh_empty();
	/* Succeed once measured: busybox insmod would retry a failed init. */
	return ret;
}

/* Nothing to undo; an exit function makes the module removable. */
static void __exit kovan_hash_bench_exit(void)
{
}

module_init(kovan_hash_bench_init);
module_exit(kovan_hash_bench_exit);

MODULE_DESCRIPTION("kovan hash table benchmark against RCU and SRCU");
MODULE_AUTHOR("kovan developers");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(KOVAN_NS);
