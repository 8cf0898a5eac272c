// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * KUnit suite of the example, included at the end of kovan_lookup.c (the
 * kernel's pattern for testing static functions) when the module is built
 * with the test modules. It runs when the module loads; in 6.1 that is
 * before lookup_init(), so the cases build tables of their own.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>

/* A value names its key and a version, so a reader can tell what it found. */
static u64 lt_value(u32 key, u32 version)
{
	return (u64)key << 32 | version;
}

static void lookup_create_checks_input(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(0, 8)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(1, 8)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(24, 8)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(LOOKUP_MAX_BUCKETS * 2, 8)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(16, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(lookup_create(16, 12)), -EINVAL);
	lookup_destroy(NULL);
	lookup_destroy(ERR_PTR(-EINVAL));
}

/* Set, replace, delete; a ring of 4 makes lookup_set() wait for room. */
static void lookup_set_get_delete(struct kunit *test)
{
	struct lookup_table *t = lookup_create(16, 4);
	struct kovan_stats s;
	u64 v;
	u32 k;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_EXPECT_EQ(test, lookup_get(t, 1, &v), -ENOENT);
	for (k = 0; k < 200; k++)
		KUNIT_ASSERT_EQ(test, lookup_set(t, k, lt_value(k, 0), GFP_KERNEL), 0);
	for (k = 0; k < 200; k += 2)
		KUNIT_ASSERT_EQ(test, lookup_set(t, k, lt_value(k, 1), GFP_KERNEL), 0);
	for (k = 0; k < 200; k += 3)
		KUNIT_ASSERT_EQ(test, lookup_delete(t, k, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, lookup_delete(t, 1000, GFP_KERNEL), 0);
	lookup_sync(t);

	for (k = 0; k < 200; k++) {
		if (k % 3 == 0) {
			KUNIT_EXPECT_EQ(test, lookup_get(t, k, &v), -ENOENT);
			continue;
		}
		KUNIT_ASSERT_EQ(test, lookup_get(t, k, &v), 0);
		KUNIT_EXPECT_EQ(test, v, lt_value(k, k % 2 == 0));
	}
	/* 100 replaced, 67 deleted: every one retired and freed once. */
	kovan_barrier(&t->domain);
	kovan_domain_stats(&t->domain, &s);
	KUNIT_EXPECT_EQ(test, s.retired, 167UL);
	KUNIT_EXPECT_EQ(test, s.freed, 167UL);
	lookup_destroy(t);
}

/*
 * Updates and lookups from hardirq context (an hrtimer). lookup_set()
 * allocates, which PREEMPT_RT forbids there: on that kernel the timer is a
 * soft one, which RT runs in a thread (lt_updater publishes deletes with
 * interrupts off there).
 */
#define LT_IRQ_MODE	(IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL_SOFT : \
			 HRTIMER_MODE_REL_HARD)

struct lt_irq {
	struct hrtimer timer;
	struct lookup_table *t;
	unsigned int fired;
	unsigned int queued;
	unsigned int busy;
	unsigned int other_errors;
	unsigned int bad_reads;
	u32 next_key;
	struct completion done;
};

static enum hrtimer_restart lt_irq_fn(struct hrtimer *timer)
{
	struct lt_irq *x = container_of(timer, struct lt_irq, timer);
	int ret;
	u64 v;

	if (lookup_get(x->t, x->next_key - 1, &v) == 0 && v != lt_value(x->next_key - 1, 7))
		x->bad_reads++;
	ret = lookup_set(x->t, x->next_key, lt_value(x->next_key, 7), GFP_ATOMIC);
	if (ret == 0)
		x->next_key++;
	else if (ret == -EBUSY)
		x->busy++;
	else
		x->other_errors++;
	if (++x->fired == 200) {
		complete(&x->done);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(timer, ns_to_ktime(20 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void lookup_from_hardirq(struct kunit *test)
{
	struct lt_irq *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	u32 k;
	u64 v;

	KUNIT_ASSERT_NOT_NULL(test, x);
	x->t = lookup_create(64, 2);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, x->t);
	x->next_key = 1;
	init_completion(&x->done);
	kovan_hrtimer_setup(&x->timer, lt_irq_fn, CLOCK_MONOTONIC, LT_IRQ_MODE);
	hrtimer_start(&x->timer, ns_to_ktime(20 * NSEC_PER_USEC), LT_IRQ_MODE);
	wait_for_completion(&x->done);
	hrtimer_cancel(&x->timer);
	lookup_sync(x->t);

	kunit_info(test, "200 hardirq updates: %u queued, %u found the ring of 2 full\n",
		   x->next_key - 1, x->busy);
	KUNIT_EXPECT_EQ(test, x->other_errors, 0U);
	KUNIT_EXPECT_EQ(test, x->bad_reads, 0U);
	KUNIT_EXPECT_EQ(test, x->next_key - 1 + x->busy, 200U);
	/* Every queued update was applied; a refused one changed nothing. */
	for (k = 1; k < x->next_key; k++) {
		KUNIT_ASSERT_EQ(test, lookup_get(x->t, k, &v), 0);
		KUNIT_EXPECT_EQ(test, v, lt_value(k, 7));
	}
	KUNIT_EXPECT_EQ(test, lookup_get(x->t, x->next_key, &v), -ENOENT);
	lookup_destroy(x->t);
}

/*
 * Readers look keys up while two updaters, each owning half of the keys,
 * replace, delete and reinsert them with rising versions. A reader must only
 * ever find its key's own value, and never an older version than it found
 * before: the writer applies each updater's updates in order and every
 * lookup pins, a full barrier. The updaters know which of their updates
 * replace or delete an entry, so the entries retired are counted exactly:
 * an update that was lost or applied twice shows there, even when a later
 * update of the same key hides it from the final contents.
 */
#define LT_KEYS		64
#define LT_ROUNDS	1000
#define LT_READERS	3

struct lt_stress {
	struct lookup_table *t;
	atomic_t updaters_left;
	atomic_long_t lookups;
	atomic_long_t found;
	atomic_t bad_key;
	atomic_t went_back;
	atomic_t update_errors;
	atomic_long_t expect_retired;
	u32 last_version[LT_KEYS];	/* each updater's own keys */
	bool deleted[LT_KEYS];
	struct completion done[LT_READERS + 2];
};

struct lt_thread {
	struct lt_stress *st;
	unsigned int id;
};

static int lt_reader(void *arg)
{
	struct lt_thread *th = arg;
	struct lt_stress *st = th->st;
	u32 seen[LT_KEYS] = {};
	long n = 0, found = 0;
	u32 k;
	u64 v;

	while (atomic_read(&st->updaters_left)) {
		for (k = 0; k < LT_KEYS; k++, n++) {
			if (lookup_get(st->t, k, &v))
				continue;
			found++;
			if (v >> 32 != k)
				atomic_inc(&st->bad_key);
			if ((u32)v < seen[k])
				atomic_inc(&st->went_back);
			seen[k] = (u32)v;
		}
		cond_resched();
	}
	atomic_long_add(n, &st->lookups);
	atomic_long_add(found, &st->found);
	complete(&st->done[th->id]);
	return 0;
}

/* Updater 0 owns the even keys and may sleep; updater 1 the odd ones, atomically. */
static int lt_updater(void *arg)
{
	struct lt_thread *th = arg;
	struct lt_stress *st = th->st;
	unsigned int owner = th->id - LT_READERS;
	gfp_t gfp = owner ? GFP_ATOMIC : GFP_KERNEL;
	bool irqs_off;
	long retires = 0;
	u32 round, k;
	int ret;

	for (round = 1; round <= LT_ROUNDS; round++) {
		k = (round * 7 % (LT_KEYS / 2)) * 2 + owner;
		/* lookup_set() allocates: PREEMPT_RT allows that with interrupts on only. */
		irqs_off = owner && (!IS_ENABLED(CONFIG_PREEMPT_RT) || round % 5 == 0);
		do {
			if (irqs_off)
				local_irq_disable();
			if (round % 5 == 0)
				ret = lookup_delete(st->t, k, gfp);
			else
				ret = lookup_set(st->t, k, lt_value(k, round), gfp);
			if (irqs_off)
				local_irq_enable();
			if (ret == -EBUSY)
				cond_resched();
		} while (ret == -EBUSY);
		if (ret) {
			atomic_inc(&st->update_errors);
			continue;
		}
		if (st->last_version[k] && !st->deleted[k])
			retires++;
		st->deleted[k] = round % 5 == 0;
		st->last_version[k] = round;
		if (round % 64 == 0)
			cond_resched();
	}
	atomic_long_add(retires, &st->expect_retired);
	atomic_dec(&st->updaters_left);
	complete(&st->done[th->id]);
	return 0;
}

static void lookup_readers_and_updaters(struct kunit *test)
{
	struct lt_stress *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	struct lt_thread *th = kunit_kcalloc(test, LT_READERS + 2, sizeof(*th), GFP_KERNEL);
	struct task_struct *task;
	struct kovan_stats s;
	unsigned int i;
	u64 v;
	u32 k;

	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_NOT_NULL(test, th);
	st->t = lookup_create(8, 16);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, st->t);
	atomic_set(&st->updaters_left, 2);
	for (i = 0; i < LT_READERS + 2; i++) {
		th[i].st = st;
		th[i].id = i;
		init_completion(&st->done[i]);
	}
	/* Threads that fail to start count as done, and as errors. */
	for (i = 0; i < LT_READERS + 2; i++) {
		task = kthread_run(i < LT_READERS ? lt_reader : lt_updater, &th[i],
				   "lookup_test/%u", i);
		if (IS_ERR(task)) {
			atomic_inc(&st->update_errors);
			if (i >= LT_READERS)
				atomic_dec(&st->updaters_left);
			complete(&st->done[i]);
		}
	}
	for (i = 0; i < LT_READERS + 2; i++)
		wait_for_completion(&st->done[i]);
	lookup_sync(st->t);

	kunit_info(test, "%ld lookups, %ld found, %d updates\n",
		   atomic_long_read(&st->lookups), atomic_long_read(&st->found), 2 * LT_ROUNDS);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->update_errors), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->bad_key), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&st->went_back), 0);
	for (k = 0; k < LT_KEYS; k++) {
		if (!st->last_version[k] || st->deleted[k]) {
			KUNIT_EXPECT_EQ(test, lookup_get(st->t, k, &v), -ENOENT);
			continue;
		}
		KUNIT_EXPECT_EQ(test, lookup_get(st->t, k, &v), 0);
		KUNIT_EXPECT_EQ(test, v, lt_value(k, st->last_version[k]));
	}
	kovan_barrier(&st->t->domain);
	kovan_domain_stats(&st->t->domain, &s);
	KUNIT_EXPECT_EQ(test, s.retired, (unsigned long)atomic_long_read(&st->expect_retired));
	KUNIT_EXPECT_EQ(test, s.freed, s.retired);
	lookup_destroy(st->t);
}

/*
 * A lookup stopped on an entry X while the writer replaces X's successor,
 * deletes X, then deletes the replacement: the lookup must not find the
 * replacement through X. In a robust domain (CONFIG_KOVAN_ROBUST_DEFAULT)
 * the replacement, born after the lookup pinned, is freed under it;
 * Documentation/robust.rst allows following a link out of an unpublished entry only to an
 * entry born no later, so the writer links new entries only in front of
 * older ones.
 */
static void lookup_walk_from_unlinked_entry(struct kunit *test)
{
	struct lookup_table *t = lookup_create(2, 16);
	struct lookup_entry *x, *w, *replacement, *e;
	struct kovan_guard g, h;
	struct kovan_stats s;
	u32 k, keys[2], n = 0;
	int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	for (k = 1; n < 2; k++)
		if (!hash_32(k, t->bits))
			keys[n++] = k;
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_EQ(test, lookup_set(t, keys[i], lt_value(keys[i], 0), GFP_KERNEL), 0);
	lookup_sync(t);

	kovan_pin(&t->domain, &g);
	x = kovan_load(&t->buckets[0], &g);
	KUNIT_ASSERT_NOT_NULL(test, x);
	w = kovan_load(&x->next, &g);
	KUNIT_ASSERT_NOT_NULL(test, w);
	/* Entries born from now on are younger than the lookup's era. */
	for (k = 1, n = 0; n < 256; k++) {
		if (!hash_32(k, t->bits))
			continue;
		KUNIT_ASSERT_EQ(test, lookup_set(t, k, lt_value(k, 0), GFP_KERNEL), 0);
		n++;
	}
	KUNIT_ASSERT_EQ(test, lookup_set(t, w->key, lt_value(w->key, 1), GFP_KERNEL), 0);
	lookup_sync(t);
	kovan_pin(&t->domain, &h);
	replacement = kovan_load(&t->buckets[0], &h);
	while (replacement && replacement->key != w->key)
		replacement = kovan_load(&replacement->next, &h);
	kovan_unpin(&h);
	KUNIT_ASSERT_NOT_NULL(test, replacement);
	KUNIT_ASSERT_EQ(test, lookup_delete(t, x->key, GFP_KERNEL), 0);
	lookup_sync(t);
	kovan_domain_stats(&t->domain, &s);
	KUNIT_ASSERT_EQ(test, lookup_delete(t, w->key, GFP_KERNEL), 0);
	lookup_sync(t);
	/* A robust domain frees the replacement now; a bounded wait, not a timing check. */
	for (i = 0; i < 25; i++) {
		kovan_domain_stats(&t->domain, &s);
		if (s.freed)
			break;
		msleep(20);
	}
	e = kovan_load(&x->next, &g);
	KUNIT_EXPECT_PTR_NE(test, e, replacement);
	if (e)
		KUNIT_EXPECT_EQ(test, READ_ONCE(e->value) >> 32, (u64)READ_ONCE(e->key));
	kovan_unpin(&g);
	lookup_destroy(t);
}

static struct kunit_case lookup_cases[] = {
	KUNIT_CASE(lookup_create_checks_input),
	KUNIT_CASE(lookup_set_get_delete),
	KUNIT_CASE(lookup_from_hardirq),
	KUNIT_CASE(lookup_readers_and_updaters),
	KUNIT_CASE(lookup_walk_from_unlinked_entry),
	{}
};

static struct kunit_suite lookup_suite = {
	.name = "kovan_lookup",
	.test_cases = lookup_cases,
};

kunit_test_suite(lookup_suite);
