// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * MPMC stress test of kovan_arrayq and kovan_segq, built with the
 * userspace shim.
 *
 * Producers push items numbered per producer (single pushes, and bulk
 * pushes for the ArrayQueue); consumers pop (single and bulk) until the
 * producers are done and the queue is empty. Items are heap objects with
 * plain fields, so ThreadSanitizer checks that a push is a release and the
 * pop an acquire. The SegQueue's segment allocations fail now and then
 * (-ENOMEM, retried by the producer).
 *
 * Invariants, one line each per queue:
 *  - exactly once: every pushed item popped once, none twice, none lost
 *    (count and sum per producer)
 *  - per-producer FIFO: each consumer sees a producer's items in order
 *  - item contents intact (written before the push, read after the pop)
 *  - the queue is empty afterwards (len, is_empty)
 *  - SegQueue: every retired segment was freed after kovan_barrier()
 * plus ArrayQueue's exact capacity and force_push() order, single-threaded.
 */

#include <pthread.h>

#include <kovan/kovan.h>
#include <kovan/arrayq.h>
#include <kovan/segq.h>

#include "harness.h"

#define MAX_PRODUCERS	16
#define MAX_ITEMS	BIT(22)	/* per producer */

struct item {
	unsigned int producer;
	unsigned long seq;
	unsigned long check;
};

struct qtest {
	const char *name;
	struct kovan_arrayq *aq;
	struct kovan_segq *sq;
	unsigned int producers;
	unsigned long pushed[MAX_PRODUCERS];
	unsigned char *seen[MAX_PRODUCERS];
	unsigned long popped, dups, fifo_errors, bad_items, enomem;
	unsigned int producers_done;
};

struct worker {
	struct qtest *q;
	unsigned int id;
};

static struct t_opts opts = { .secs = 2, .cpus = 4, .readers = 3, .writers = 3 };

static unsigned long item_check(unsigned int producer, unsigned long seq)
{
	return (seq * 0x9e3779b97f4a7c15UL) ^ producer;
}

static int push_one(struct qtest *q, struct item *it)
{
	if (q->aq)
		return kovan_arrayq_push(q->aq, it);
	return kovan_segq_push(q->sq, it, GFP_KERNEL);
}

static void *producer(void *arg)
{
	struct worker *w = arg;
	struct qtest *q = w->q;
	struct item *batch[8];
	unsigned long seq = 0, enomem = 0;
	unsigned int n, i, done;
	int ret;

	while (!t_stopped() && seq < MAX_ITEMS - 8) {
		n = q->aq && (t_rand() & 1) ? 1 + t_rand() % 8 : 1;
		for (i = 0; i < n; i++) {
			batch[i] = malloc(sizeof(*batch[i]));
			batch[i]->producer = w->id;
			batch[i]->seq = seq + i;
			batch[i]->check = item_check(w->id, seq + i);
		}
		for (done = 0; done < n && !t_stopped();) {
			if (n > 1) {
				done += kovan_arrayq_push_bulk(q->aq, (void **)batch + done,
							       n - done);
				if (done < n)
					cpu_relax();
				continue;
			}
			ret = push_one(q, batch[0]);
			if (!ret)
				done = 1;
			else if (ret == -ENOMEM)
				enomem++;
			else
				cpu_relax();
		}
		for (i = done; i < n; i++)
			free(batch[i]);
		seq += done;
		if (!(t_rand() & 63))
			us_set_cpu(t_rand() % nr_cpu_ids);
	}
	q->pushed[w->id] = seq;
	__atomic_fetch_add(&q->enomem, enomem, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->producers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	struct qtest *q = w->q;
	unsigned long last[MAX_PRODUCERS];
	unsigned long popped = 0, dups = 0, fifo = 0, bad = 0;
	struct item *items[8];
	unsigned int n, i;
	bool done = false;

	memset(last, 0xff, sizeof(last));
	for (;;) {
		if (q->aq && (t_rand() & 1)) {
			n = kovan_arrayq_pop_bulk(q->aq, (void **)items, 1 + t_rand() % 8);
		} else {
			items[0] = q->aq ? kovan_arrayq_pop(q->aq) : kovan_segq_pop(q->sq);
			n = !!items[0];
		}
		if (!n) {
			/* Producers finished before this empty pop: nothing more will come. */
			if (done)
				break;
			done = __atomic_load_n(&q->producers_done, __ATOMIC_ACQUIRE) ==
			       q->producers;
			cpu_relax();
			continue;
		}
		for (i = 0; i < n; i++) {
			struct item *it = items[i];
			unsigned int p = it->producer;

			if (p >= q->producers || it->check != item_check(p, it->seq)) {
				bad++;
				continue;
			}
			if (__atomic_exchange_n(&q->seen[p][it->seq], 1, __ATOMIC_RELAXED))
				dups++;
			if (last[p] != ~0UL && it->seq <= last[p])
				fifo++;
			last[p] = it->seq;
			popped++;
			free(it);
		}
	}
	__atomic_fetch_add(&q->popped, popped, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->dups, dups, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->fifo_errors, fifo, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->bad_items, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void run(struct qtest *q, double secs, unsigned int consumers)
{
	struct worker w[2 * MAX_PRODUCERS];
	pthread_t th[2 * MAX_PRODUCERS];
	unsigned long pushed = 0, missing = 0, j;
	unsigned int i, n = 0;

	__atomic_store_n(&t_stop, false, __ATOMIC_RELAXED);
	for (i = 0; i < q->producers; i++)
		q->seen[i] = calloc(MAX_ITEMS, 1);
	for (i = 0; i < q->producers; i++, n++) {
		w[n] = (struct worker){ q, i };
		pthread_create(&th[n], NULL, producer, &w[n]);
	}
	for (i = 0; i < consumers; i++, n++) {
		w[n] = (struct worker){ q, i };
		pthread_create(&th[n], NULL, consumer, &w[n]);
	}
	t_run_for(secs);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < q->producers; i++) {
		pushed += q->pushed[i];
		for (j = 0; j < q->pushed[i]; j++)
			missing += !q->seen[i][j];
		free(q->seen[i]);
	}
	t_check(q->popped == pushed && !q->dups && !missing,
		"%s: exactly once: %lu pushed, %lu popped, %lu twice, %lu lost",
		q->name, pushed, q->popped, q->dups, missing);
	t_check(!q->fifo_errors, "%s: per-producer FIFO (%lu out of order)",
		q->name, q->fifo_errors);
	t_check(!q->bad_items, "%s: item contents intact (%lu bad)", q->name, q->bad_items);
	if (q->aq)
		t_check(!kovan_arrayq_len(q->aq) && kovan_arrayq_is_empty(q->aq),
			"%s: empty afterwards", q->name);
	else
		t_check(!kovan_segq_len(q->sq) && kovan_segq_is_empty(q->sq),
			"%s: empty afterwards (%lu pushes met -ENOMEM and retried)",
			q->name, q->enomem);
}

/* Single-threaded: exact capacity and force_push() displacing the oldest. */
static void check_arrayq_basics(void)
{
	struct kovan_arrayq *q = kovan_arrayq_create(3, GFP_KERNEL);
	unsigned long i;
	bool ok = !IS_ERR(q);

	for (i = 1; ok && i <= 3; i++)
		ok = !kovan_arrayq_push(q, (void *)i);
	ok = ok && kovan_arrayq_push(q, (void *)4UL) == -ENOSPC && kovan_arrayq_is_full(q);
	ok = ok && kovan_arrayq_force_push(q, (void *)4UL) == (void *)1UL;
	for (i = 2; ok && i <= 4; i++)
		ok = kovan_arrayq_pop(q) == (void *)i;
	ok = ok && !kovan_arrayq_pop(q);
	if (!IS_ERR(q))
		kovan_arrayq_destroy(q, NULL);
	t_check(ok, "arrayq: capacity 3 holds 3, force_push displaces the oldest");
}

int main(int argc, char **argv)
{
	struct qtest aq = { .name = "arrayq" }, sq = { .name = "segq" };
	struct kovan_segq_stats st;
	struct kovan_domain dom;

	t_parse(argc, argv, &opts);
	if (opts.writers > MAX_PRODUCERS || opts.readers > MAX_PRODUCERS || us_init(opts.cpus)) {
		printf("not ok - bad options or us_init(%u) failed\n", opts.cpus);
		return 2;
	}
	check_arrayq_basics();

	/* Small, so that pushes find it full and pops find it empty. */
	aq.aq = kovan_arrayq_create(64, GFP_KERNEL);
	if (IS_ERR(aq.aq)) {
		printf("not ok - kovan_arrayq_create() failed\n");
		return 2;
	}
	aq.producers = opts.writers;
	run(&aq, opts.secs / 2, opts.readers);
	kovan_arrayq_destroy(aq.aq, NULL);

	sq.sq = kovan_domain_init(&dom, 0) ? NULL : kovan_segq_create(&dom, GFP_KERNEL);
	if (IS_ERR_OR_NULL(sq.sq)) {
		printf("not ok - kovan_domain_init() or kovan_segq_create() failed\n");
		return 2;
	}
	sq.producers = opts.writers;
	/* One allocation in 50 fails, kovan's batch headers' included. */
	us_fault_set(50);
	/* Pushers stopped between linking a segment and moving tail over it. */
	us_window_preempt_one_in = 2;
	run(&sq, opts.secs / 2, opts.readers);
	us_window_preempt_one_in = 0;
	us_fault_set(0);
	kovan_barrier(&dom);
	kovan_segq_stats(sq.sq, &st);
	t_check(st.segments_allocated == st.segments_freed + 1,
		"segq: after kovan_barrier() every retired segment was freed (%lu allocated, %lu freed, %lu allocation failures)",
		st.segments_allocated, st.segments_freed, st.alloc_failures);
	/* The -ENOMEM path ran: the checks of run() covered it. */
	t_check(st.alloc_failures > 0 && sq.enomem > 0,
		"segq: %lu segment allocations failed on purpose, %lu pushes saw -ENOMEM",
		st.alloc_failures, sq.enomem);
	kovan_segq_destroy(sq.sq, NULL);
	kovan_domain_destroy(&dom);
	us_exit();
	return t_done();
}
