/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_SYNC_H
#define _US_SHIM_SYNC_H

/*
 * Locks, wait queues, completions, lock-less lists, time, and the deferred
 * execution kovan uses (workqueues, irq_work, hrtimers), on pthreads.
 *
 * Locks are pthread mutexes: a thread that spins on a lock whose holder
 * was preempted would waste its time slice, and ThreadSanitizer knows
 * mutexes. Every workqueue is one worker thread running its work items in
 * queue order; irq_work and hrtimer callbacks run on one more thread
 * standing in for interrupt context. in_nmi() is always false, so kovan
 * never queues irq_work; it is here so the sources compile and link.
 */

#include <pthread.h>
#include <time.h>

#include <shim/percpu.h>

/* Spinlocks and mutexes. */
struct us_lock {
	pthread_mutex_t m;
};

#define raw_spinlock_t		struct us_lock
#define spinlock_t		struct us_lock

static inline void raw_spin_lock_init(struct us_lock *l)
{
	pthread_mutex_init(&l->m, NULL);
}

static inline void raw_spin_lock(struct us_lock *l)
{
	pthread_mutex_lock(&l->m);
}

static inline void raw_spin_unlock(struct us_lock *l)
{
	pthread_mutex_unlock(&l->m);
}

#define raw_spin_lock_irqsave(l, flags)					\
	do {								\
		local_irq_save(flags);					\
		raw_spin_lock(l);					\
	} while (0)
#define raw_spin_unlock_irqrestore(l, flags)				\
	do {								\
		raw_spin_unlock(l);					\
		local_irq_restore(flags);				\
	} while (0)
#define spin_lock_init			raw_spin_lock_init
#define spin_lock			raw_spin_lock
#define spin_unlock			raw_spin_unlock
#define spin_lock_irqsave		raw_spin_lock_irqsave
#define spin_unlock_irqrestore		raw_spin_unlock_irqrestore

struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(name)	struct mutex name = { PTHREAD_MUTEX_INITIALIZER }

static inline void mutex_init(struct mutex *l)
{
	pthread_mutex_init(&l->m, NULL);
}

static inline void mutex_lock(struct mutex *l)
{
	might_sleep();
	pthread_mutex_lock(&l->m);
}

static inline void mutex_unlock(struct mutex *l)
{
	pthread_mutex_unlock(&l->m);
}

/* Lock-less lists: llist_add() and llist_del_all() are fully ordered. */
struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

#define LLIST_HEAD(name)	struct llist_head name = { NULL }
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)

/*
 * llist_for_each_entry_safe(): as the kernel's, @n is read before the body
 * runs. An iterator that sets @pos and @n through pointers.
 */
struct __us_llist_iter {
	void **pos, **n;
	struct llist_node *next;
	size_t offset;
};

static inline struct __us_llist_iter __us_llist_iter(void **pos, void **n,
						     struct llist_node *node, size_t offset)
{
	return (struct __us_llist_iter){ pos, n, node, offset };
}

static inline bool __us_llist_next(struct __us_llist_iter *it)
{
	struct llist_node *node = it->next;

	if (!node)
		return false;
	it->next = node->next;
	*it->pos = (char *)node - it->offset;
	*it->n = it->next ? (char *)it->next - it->offset : NULL;
	return true;
}

#define llist_for_each_entry_safe(pos, n, node, member)			\
	for (struct __us_llist_iter __us_it = __us_llist_iter((void **)&(pos), (void **)&(n), \
		(node), offsetof(typeof(*(typeof(pos))NULL), member));	\
	     __us_llist_next(&__us_it);)

static inline void init_llist_head(struct llist_head *list)
{
	list->first = NULL;
}

static inline bool llist_empty(const struct llist_head *head)
{
	return !READ_ONCE(head->first);
}

/* Returns true when the list was empty. */
static inline bool llist_add(struct llist_node *new, struct llist_head *head)
{
	struct llist_node *first = READ_ONCE(head->first);

	do {
		new->next = first;
	} while (!__us_full(__atomic_compare_exchange_n(&head->first, &first, new, false,
							__ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST)));
	return !first;
}

/* One consumer at a time, as in the kernel; concurrent llist_add()s are fine. */
static inline struct llist_node *llist_del_first(struct llist_head *head)
{
	/* The first node's next pointer after its add; pairs with llist_add(). */
	struct llist_node *entry = smp_load_acquire(&head->first), *next;

	do {
		if (!entry)
			return NULL;
		next = READ_ONCE(entry->next);
	} while (!__us_full(__atomic_compare_exchange_n(&head->first, &entry, next, false,
							__ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST)));
	return entry;
}

static inline struct llist_node *llist_del_all(struct llist_head *head)
{
	return xchg(&head->first, NULL);
}

/* Time. */
static inline u64 us_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#define ktime_get_mono_fast_ns()	us_clock_ns()
#define ktime_get_ns()			us_clock_ns()
#define ktime_get()			((ktime_t)us_clock_ns())
#define ns_to_ktime(ns)			((ktime_t)(ns))

/* Wait queues: a mutex, a condition variable and a count of sleepers. */
struct wait_queue_head {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int sleepers;
};

#define wait_queue_head_t	struct wait_queue_head
#define US_WAIT_QUEUE_HEAD_INIT						\
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }
#define DECLARE_WAIT_QUEUE_HEAD(name)					\
	struct wait_queue_head name = US_WAIT_QUEUE_HEAD_INIT

void init_waitqueue_head(struct wait_queue_head *wq);
void __us_wait_begin(struct wait_queue_head *wq);
void __us_wait_sleep(struct wait_queue_head *wq);
void __us_wait_end(struct wait_queue_head *wq);
void wake_up_all(struct wait_queue_head *wq);
#define wake_up(wq)		wake_up_all(wq)

/*
 * Sleep until @condition. __us_wait_begin() counts the sleeper and runs
 * smp_mb() before the condition is read, as prepare_to_wait() does, so a
 * waker that changes the condition, runs smp_mb() and finds no sleeper
 * (wq_has_sleeper()) cannot be missed.
 */
#define wait_event(wq, ...)		/* ...: the condition */		\
	do {								\
		struct wait_queue_head *__us_wq = &(wq);		\
									\
		might_sleep();						\
		if (__VA_ARGS__)					\
			break;						\
		__us_wait_begin(__us_wq);				\
		while (!(__VA_ARGS__))					\
			__us_wait_sleep(__us_wq);			\
		__us_wait_end(__us_wq);					\
	} while (0)

/*
 * Sleep until @condition or for @timeout jiffies at most; 0 when the time
 * ran out, as the kernel's. A poll every jiffy: timed waits are rare here.
 */
#define wait_event_timeout(wq, condition, timeout)			\
	({								\
		long __us_left = (timeout);				\
		bool __us_done;						\
									\
		(void)(wq);						\
		might_sleep();						\
		while (!(__us_done = (condition)) && __us_left > 0) {	\
			usleep_range(1000000 / HZ, 1000000 / HZ);	\
			__us_left--;					\
		}							\
		__us_done ? (__us_left ? __us_left : 1) : 0;		\
	})

static inline bool wq_has_sleeper(struct wait_queue_head *wq)
{
	smp_mb();	/* The waker's condition before the sleepers; as the kernel's. */
	return __atomic_load_n(&wq->sleepers, __ATOMIC_ACQUIRE);
}

/* Bit waits share one queue, as the kernel's hashed bit wait tables may. */
extern struct wait_queue_head us_bit_wait;
#define TASK_UNINTERRUPTIBLE	2

static inline int wait_on_bit_lock(unsigned long *word, int bit, unsigned int mode)
{
	while (test_and_set_bit(bit, word))
		wait_event(us_bit_wait, !test_bit(bit, word));
	return 0;
}

static inline void wake_up_bit(unsigned long *word, int bit)
{
	if (wq_has_sleeper(&us_bit_wait))
		wake_up_all(&us_bit_wait);
}

static inline void clear_and_wake_up_bit(int bit, unsigned long *word)
{
	clear_bit_unlock(bit, word);
	smp_mb__after_atomic();	/* The clear before the sleepers, as the kernel's. */
	wake_up_bit(word, bit);
}

/* Completions. */
struct completion {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int done;
};

#define US_COMPLETION_INIT						\
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }
#define DECLARE_COMPLETION(name)	struct completion name = US_COMPLETION_INIT
#define DECLARE_COMPLETION_ONSTACK(name)	DECLARE_COMPLETION(name)

void init_completion(struct completion *c);
void complete(struct completion *c);
void complete_all(struct completion *c);
void wait_for_completion(struct completion *c);

/* Workqueues: one worker thread each. */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	unsigned long pending;		/* bit 0: queued, not yet started */
	struct work_struct *next;	/* on the workqueue's list */
	struct workqueue_struct *wq;	/* where it was queued last */
	work_func_t func;
};

#define DECLARE_WORK(n, f)	struct work_struct n = { .func = (f) }
#define INIT_WORK(w, f)		(*(w) = (struct work_struct){ .func = (f) })

#define WQ_UNBOUND		BIT(1)
#define WQ_MEM_RECLAIM		BIT(3)
#define WQ_HIGHPRI		BIT(4)

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active,
					 ...);
void destroy_workqueue(struct workqueue_struct *wq);
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
/* One worker per workqueue: the CPU only names the kernel's choice. */
#define queue_work_on(cpu, wq, work)	((void)(cpu), queue_work((wq), (work)))
/* The work item the calling worker runs, or NULL. */
struct work_struct *current_work(void);
bool flush_work(struct work_struct *work);
bool cancel_work_sync(struct work_struct *work);
extern struct workqueue_struct *system_wq;
/* Every shim worker may run on any CPU. */
#define system_unbound_wq	system_wq
#define schedule_work(w)	queue_work(system_wq, (w))

/* irq_work: run on the interrupt thread. */
struct irq_work {
	unsigned long pending;
	struct irq_work *next;
	void (*func)(struct irq_work *work);
};

#define DEFINE_IRQ_WORK(name, f)	struct irq_work name = { .func = (f) }
bool irq_work_queue(struct irq_work *work);
void irq_work_sync(struct irq_work *work);

/* hrtimers: callbacks on the interrupt thread; HRTIMER_NORESTART only. */
enum hrtimer_restart {
	HRTIMER_NORESTART,
	HRTIMER_RESTART,
};

enum hrtimer_mode {
	HRTIMER_MODE_ABS = 0,
	HRTIMER_MODE_REL = 1,
};

struct hrtimer {
	enum hrtimer_restart (*function)(struct hrtimer *timer);
	u64 expires;			/* us_clock_ns() */
	bool queued;
	struct hrtimer *next;
};

void hrtimer_init(struct hrtimer *timer, clockid_t clock, enum hrtimer_mode mode);
void hrtimer_start(struct hrtimer *timer, ktime_t time, enum hrtimer_mode mode);
int hrtimer_cancel(struct hrtimer *timer);

#endif /* _US_SHIM_SYNC_H */
