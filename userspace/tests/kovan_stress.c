// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Stress test of kovan's reclamation, built with the userspace shim.
 *
 * Three domains run at once, plain, robust and fenceless (its updaters
 * retire half the time with preemption off, as under a spinlock, which
 * leaves the close to the flush worker). In each, readers pin, load
 * objects from a shared table, check them, sometimes sleep, nest a guard
 * or migrate to another CPU while pinned, and unpin; updaters replace
 * table entries and retire the old objects (kovan_retire() or
 * kovan_retire_kfree()), now and then calling kovan_synchronize() or
 * kovan_barrier(). The robust domain also has a reader stalled for the
 * whole run. Object fields are plain memory, so ThreadSanitizer checks that
 * every reader access happens before the free.
 *
 * Invariants, one line each:
 *  - no reader saw a freed object: magic and payload intact, generation
 *    unchanged from the first look to the last while pinned
 *  - no object was freed while a reader held it (per-object reader count)
 *  - after kovan_barrier(), every retired object was freed
 *  - robust: the batches held by a stalled reader stay bounded
 *  - kovan_synchronize() waits for a reader pinned before it
 *  - fenceless: closes sent IPIs (to threads owning no CPU: run as theirs)
 *  - then, alone: domains created, used and destroyed in a loop by four
 *    threads, each freed right after kovan_domain_destroy(): every object
 *    freed before it returned, and the reclaim worker never touches the
 *    freed domain (TSan)
 *  - no WARN
 */

#include <pthread.h>

#include <kovan/kovan.h>
#include <shim/sync.h>

#include "harness.h"

#define NR_ENTRIES	64
#define MAX_HELD	4
#define MAGIC_LIVE	0x4b4f56414e4c4956UL
#define MAGIC_FREED	0x4b4f56414e444544UL

struct dtest;

struct obj {
	struct kovan_node node;
	unsigned long magic;
	unsigned long gen;
	unsigned long payload[4];
	int readers;		/* relaxed atomics: creates no happens-before */
	struct dtest *t;
};

struct dtest {
	const char *name;
	unsigned int flags;
	struct kovan_domain dom;
	struct obj *table[NR_ENTRIES];
	unsigned long gen;
	unsigned long loads, bad_reads, bad_frees, retired, retired_kfree, freed;
	long max_unfreed, max_spike;
	bool stall;
};

static struct t_opts opts = { .secs = 2, .cpus = 4, .readers = 3, .writers = 2 };
static unsigned int batch = 16, stall_batches = 8;

static void count(unsigned long *c, unsigned long n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static bool obj_intact(const struct obj *o, unsigned long gen)
{
	int i;

	if (o->magic != MAGIC_LIVE || o->gen != gen)
		return false;
	for (i = 0; i < 4; i++)
		if (o->payload[i] != gen * 4 + i)
			return false;
	return true;
}

static void obj_free(struct kovan_node *n)
{
	struct obj *o = container_of(n, struct obj, node);
	struct dtest *t = o->t;

	if (__atomic_load_n(&o->readers, __ATOMIC_RELAXED) || o->magic != MAGIC_LIVE)
		count(&t->bad_frees, 1);
	o->magic = MAGIC_FREED;
	count(&t->freed, 1);
	kfree(o);
}

static struct obj *obj_new(struct dtest *t)
{
	struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL | __GFP_NOFAIL);
	unsigned long gen = __atomic_add_fetch(&t->gen, 1, __ATOMIC_RELAXED);
	int i;

	o->magic = MAGIC_LIVE;
	o->gen = gen;
	for (i = 0; i < 4; i++)
		o->payload[i] = gen * 4 + i;
	o->readers = 0;
	o->t = t;
	kovan_node_init(&t->dom, &o->node);
	return o;
}

static void *reader(void *arg)
{
	struct dtest *t = arg;
	unsigned long loads = 0, bad = 0, gens[MAX_HELD];
	struct obj *held[MAX_HELD];
	struct kovan_guard g, inner;
	int n, i;

	while (!t_stopped()) {
		unsigned long r = t_rand();

		kovan_pin(&t->dom, &g);
		for (n = 0; n < MAX_HELD; n++) {
			held[n] = kovan_load(&t->table[(r >> (8 * n)) % NR_ENTRIES], &g);
			if (!held[n])
				break;
			__atomic_fetch_add(&held[n]->readers, 1, __ATOMIC_RELAXED);
			gens[n] = held[n]->gen;
			bad += !obj_intact(held[n], gens[n]);
			loads++;
		}
		if (!(r >> 40 & 31)) {	/* a nested guard, as an interrupt would */
			kovan_pin(&t->dom, &inner);
			kovan_unpin(&inner);
		}
		if (!(r >> 45 & 63))	/* migrate while pinned */
			us_set_cpu(t_rand() % nr_cpu_ids);
		if (!(r >> 51 & 255))	/* sleep while pinned */
			usleep(100);
		for (i = 0; i < n; i++) {
			bad += !obj_intact(held[i], gens[i]);
			__atomic_fetch_sub(&held[i]->readers, 1, __ATOMIC_RELAXED);
		}
		kovan_unpin(&g);
	}
	count(&t->loads, loads);
	count(&t->bad_reads, bad);
	return NULL;
}

static void *updater(void *arg)
{
	struct dtest *t = arg;
	unsigned long i, r;
	struct obj *old;

	for (i = 0; !t_stopped(); i++) {
		r = t_rand();
		old = kovan_replace_pointer(&t->table[r % NR_ENTRIES], obj_new(t));
		/* Fenceless: a caller that may not wait for IPIs leaves the close to the worker. */
		if (t->flags & KOVAN_FENCELESS && r >> 56 & 1)
			preempt_disable();
		if (old && r >> 32 & 7) {
			kovan_retire(&t->dom, &old->node, obj_free);
			count(&t->retired, 1);
		} else if (old) {
			kovan_retire_kfree(&t->dom, old, node);
			count(&t->retired_kfree, 1);
		}
		if (t->flags & KOVAN_FENCELESS && r >> 56 & 1)
			preempt_enable();
		if (!(r >> 40 & 63))
			us_set_cpu(t_rand() % nr_cpu_ids);
		/* Both would wait for the stalled reader of the robust domain. */
		if (!(i % 4096) && i && !t->stall)
			(r >> 48 & 1) ? kovan_synchronize(&t->dom) : kovan_barrier(&t->dom);
	}
	return NULL;
}

static bool stall_pinned;
/* Batches closed onto the stalled reader's slot while it was pinned. */
static long stall_pushes;

/*
 * Pins once and holds the guard until the run ends; counts the batches
 * closed onto its slot meanwhile (the slot's engine can never finish a
 * cycle, so each is held for good): what Documentation/robust.rst bounds.
 */
static void *staller(void *arg)
{
	struct dtest *t = arg;
	struct kovan_guard g;
	struct kovan_slot *s;
	long pushes;

	kovan_pin(&t->dom, &g);
	s = per_cpu_ptr(g.slot, g.cpu);
	pushes = atomic_long_read(&s->pushes);
	__atomic_store_n(&stall_pinned, true, __ATOMIC_RELEASE);
	while (!t_stopped())
		usleep(1000);
	stall_pushes = atomic_long_read(&s->pushes) - pushes;
	kovan_unpin(&g);
	return NULL;
}

/*
 * Samples the robust domain's unfreed objects (not counting the worker's
 * queue) every millisecond, for the report: the largest of the minima of
 * 10 ms windows. Besides what the stalled reader holds it counts what the
 * live readers' slots hold until their engines' next cycles end, which on
 * an oversubscribed machine, with readers preempted inside their guards,
 * lasts as long as a host time slice; robust.rst bounds only the first.
 */
static void *sampler(void *arg)
{
	struct dtest *t = arg;
	long unfreed, window = LONG_MAX;
	struct kovan_stats s;
	unsigned int n = 0;

	while (!__atomic_load_n(&stall_pinned, __ATOMIC_ACQUIRE) && !t_stopped())
		usleep(100);
	usleep(100000);	/* the bound holds once the stalled slot is avoided */
	while (!t_stopped()) {
		kovan_domain_stats(&t->dom, &s);
		unfreed = (long)(s.pending - s.queued);
		if (unfreed > t->max_spike)
			t->max_spike = unfreed;
		if (unfreed < window)
			window = unfreed;
		if (!(++n % 10)) {
			if (window > t->max_unfreed)
				t->max_unfreed = window;
			window = LONG_MAX;
		}
		usleep(1000);
	}
	return NULL;
}

static unsigned long churned, churn_lost, churn_enomem;

/*
 * Domains that live for twenty retires: destroyed, then their memory
 * freed at once, as a module's exit path does. A reclaim worker that still
 * touches the domain after kovan_domain_destroy() returned races with the
 * kfree() (ThreadSanitizer).
 */
static void *domain_churner(void *arg)
{
	unsigned int flags = 0;
	struct kovan_guard g;
	struct dtest *t;
	int i;

	while (!t_stopped()) {
		t = kzalloc(sizeof(*t), GFP_KERNEL | __GFP_NOFAIL);
		t->name = "churn";
		flags = (flags + 1) & (KOVAN_ROBUST | KOVAN_FENCELESS);
		/* Allocation failures are injected: -ENOMEM is one of the answers. */
		if (kovan_domain_init(&t->dom, flags)) {
			count(&churn_enomem, 1);
			kfree(t);
			continue;
		}
		for (i = 0; i < 20; i++) {
			kovan_pin(&t->dom, &g);
			kovan_retire(&t->dom, &obj_new(t)->node, obj_free);
			kovan_unpin(&g);
		}
		kovan_domain_destroy(&t->dom);
		if (__atomic_load_n(&t->freed, __ATOMIC_RELAXED) != 20)
			count(&churn_lost, 1);
		kfree(t);
		count(&churned, 1);
	}
	return NULL;
}

static bool sync_flag;
static bool sync_pinned;

static void *sync_reader(void *arg)
{
	struct dtest *t = arg;
	struct kovan_guard g;

	kovan_pin(&t->dom, &g);
	__atomic_store_n(&sync_pinned, true, __ATOMIC_RELEASE);
	usleep(20000);
	__atomic_store_n(&sync_flag, true, __ATOMIC_RELAXED);
	kovan_unpin(&g);
	return NULL;
}

static void check_synchronize(struct dtest *t)
{
	pthread_t th;
	bool waited;

	pthread_create(&th, NULL, sync_reader, t);
	while (!__atomic_load_n(&sync_pinned, __ATOMIC_ACQUIRE))
		usleep(100);
	kovan_synchronize(&t->dom);
	waited = __atomic_load_n(&sync_flag, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	t_check(waited, "%s: kovan_synchronize() waited for a reader pinned before it", t->name);
}

static void finish(struct dtest *t)
{
	struct kovan_stats s;
	int i;

	kovan_barrier(&t->dom);
	kovan_domain_stats(&t->dom, &s);
	t_check(!t->bad_reads, "%s: %lu loads, %lu saw a freed or changed object",
		t->name, t->loads, t->bad_reads);
	t_check(!t->bad_frees, "%s: %lu frees, %lu while a reader held the object or twice",
		t->name, t->freed, t->bad_frees);
	t_check(t->freed == t->retired && s.retired == t->retired + t->retired_kfree &&
		s.freed == s.retired && !s.pending,
		"%s: after kovan_barrier() retired == freed (%lu + %lu kfree retired, %lu freed; stats %lu/%lu, %lu batches)",
		t->name, t->retired, t->retired_kfree, t->freed, s.retired, s.freed, s.batches);
	for (i = 0; i < NR_ENTRIES; i++)
		if (t->table[i])
			kovan_retire(&t->dom, &t->table[i]->node, obj_free);
	kovan_domain_destroy(&t->dom);
}

int main(int argc, char **argv)
{
	static struct dtest plain = { .name = "plain" };
	static struct dtest robust = { .name = "robust", .flags = KOVAN_ROBUST, .stall = true };
	static struct dtest fenceless = { .name = "fenceless", .flags = KOVAN_FENCELESS };
	struct dtest *tests[] = { &plain, &robust, &fenceless };
	struct kovan_stats fs;
	pthread_t th[64];
	unsigned int n = 0, i, j;
	char buf[16];
	long bound;

	t_parse(argc, argv, &opts);
	if (us_init(opts.cpus)) {
		printf("not ok - us_init(%u) failed\n", opts.cpus);
		return 2;
	}
	snprintf(buf, sizeof(buf), "%u", batch);
	us_param_set("batch", buf);
	snprintf(buf, sizeof(buf), "%u", stall_batches);
	us_param_set("stall_batches", buf);
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (kovan_domain_init(&tests[i]->dom, tests[i]->flags)) {
			printf("not ok - kovan_domain_init() failed\n");
			return 2;
		}
	}
	/* Allocation failures of batch headers: kovan keeps collecting. */
	us_fault_set(50);
	check_synchronize(&plain);
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		for (j = 0; j < NR_ENTRIES; j++)
			tests[i]->table[j] = obj_new(tests[i]);
		for (j = 0; j < opts.readers && n < ARRAY_SIZE(th); j++)
			pthread_create(&th[n++], NULL, reader, tests[i]);
		for (j = 0; j < opts.writers && n < ARRAY_SIZE(th); j++)
			pthread_create(&th[n++], NULL, updater, tests[i]);
	}
	pthread_create(&th[n++], NULL, staller, &robust);
	pthread_create(&th[n++], NULL, sampler, &robust);
	t_run_for(opts.secs);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	/* With the workers idle otherwise, destroys come fast and race with them. */
	t_restart();
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, domain_churner, NULL);
	t_run_for(opts.secs / 2 < 1 ? 1 : opts.secs / 2);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	us_fault_set(0);
	t_check(churned && !churn_lost,
		"%lu domains created, used and destroyed (%lu more refused with -ENOMEM); %lu of them freed fewer than 20 objects before kovan_domain_destroy() returned",
		churned, churn_enomem, churn_lost);
	/* The allocation failure paths ran: the frees checked below went through them. */
	t_check(us_faults() > 0, "%lu batch header allocations failed on purpose", us_faults());

	/*
	 * robust.rst: a stalled reader holds at most 2 * stall_batches + 3 +
	 * nr_cpu_ids batches, plus one per object born before its slot's era
	 * froze (the table's objects, and those the live readers could still
	 * reach). Twice that, in batches closed onto its slot.
	 */
	bound = 2L * (2 * stall_batches + 3 + nr_cpu_ids + NR_ENTRIES + opts.readers);
	t_check(stall_pushes <= bound,
		"robust: %ld batches closed onto the stalled reader's slot (bound %ld; the domain's unfreed objects at most %ld, spikes to %ld; %lu retired)",
		stall_pushes, bound, robust.max_unfreed, robust.max_spike,
		robust.retired + robust.retired_kfree);
	kovan_domain_stats(&fenceless.dom, &fs);
	t_check(fs.fence_ipis > 0, "fenceless: %lu IPIs of closes to CPUs that pinned",
		fs.fence_ipis);
	finish(&plain);
	finish(&robust);
	finish(&fenceless);
	us_exit();
	return t_done();
}
