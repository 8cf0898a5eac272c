/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_TASK_H
#define _US_SHIM_TASK_H

/*
 * Lists, kthreads, sleeping and the scheduler calls the Disruptor uses.
 *
 * A kthread is a pthread that waits for wake_up_process() before it runs
 * its function, and whose function never runs when kthread_stop() comes
 * first, as in the kernel. kthread_stop() sets the stop flag and wakes the
 * thread from the wait queue it sleeps on, if any: a sleeper records its
 * queue (seq_cst) before it checks its condition, and kthread_stop() sets
 * the flag (seq_cst) before it reads that record, so either the sleeper
 * sees the flag or kthread_stop() sees the queue. kthread_bind() sets the
 * thread's CPU (include/shim/percpu.h). Jiffies are milliseconds (HZ=1000).
 */

#include <shim/sync.h>

/* Doubly linked lists. */
struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	new->prev = head->prev;
	new->next = head;
	head->prev->next = new;
	head->prev = new;
}

static inline void list_del(struct list_head *entry)
{
	entry->prev->next = entry->next;
	entry->next->prev = entry->prev;
	entry->next = NULL;
	entry->prev = NULL;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/*
 * list_for_each_entry() and _safe(): an iterator that reads the next entry
 * before the body runs, which is what _safe promises and more than the
 * plain one needs; it sets @pos and @n through pointers.
 */
struct __us_list_iter {
	void **pos, **n;
	struct list_head *head, *next;
	size_t offset;
};

static inline struct __us_list_iter __us_list_iter(void **pos, void **n, struct list_head *head,
						   size_t offset)
{
	return (struct __us_list_iter){ pos, n, head, head->next, offset };
}

static inline bool __us_list_next(struct __us_list_iter *it)
{
	struct list_head *node = it->next;

	if (node == it->head)
		return false;
	it->next = node->next;
	*it->pos = (char *)node - it->offset;
	if (it->n)
		*it->n = (char *)it->next - it->offset;
	return true;
}

#define list_for_each_entry_safe(pos, n, head, member)			\
	for (struct __us_list_iter __us_it = __us_list_iter((void **)&(pos), (void **)&(n), \
		(head), offsetof(typeof(*(typeof(pos))NULL), member));	\
	     __us_list_next(&__us_it);)
#define list_for_each_entry(pos, head, member)				\
	for (struct __us_list_iter __us_it = __us_list_iter((void **)&(pos), NULL, \
		(head), offsetof(typeof(*(typeof(pos))NULL), member));	\
	     __us_list_next(&__us_it);)

/* kthreads. */
struct task_struct {
	pthread_t thread;
	int (*fn)(void *data);
	void *data;
	int cpu;			/* kthread_bind(), or -1 */
	int prio;			/* never a real-time one here */
	bool woken;			/* under lock */
	bool stop;			/* seq_cst */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wait_queue_head *sleeping_on;	/* seq_cst; see above */
	int ret;
};

struct task_struct *kthread_create(int (*fn)(void *data), void *data, const char *namefmt, ...);
void kthread_bind(struct task_struct *task, unsigned int cpu);
int wake_up_process(struct task_struct *task);
int kthread_stop(struct task_struct *task);
bool kthread_should_stop(void);
/* The current thread's task, NULL unless it is a kthread. */
extern __thread struct task_struct *us_current;
/*
 * Threads here run until they block, at normal priority; the arguments are
 * not evaluated (current is NULL outside kthreads).
 */
#define current			us_current
#define task_is_running(task)	((void)sizeof(task), 1)
#define rt_prio(prio)		((void)sizeof(prio), 0)

#define HZ			1000
#define MAX_SCHEDULE_TIMEOUT	LONG_MAX

static inline unsigned long usecs_to_jiffies(unsigned int us)
{
	return (us + 999) / 1000;
}

/* Sleep until @condition or @timeout jiffies passed: 0 on a timeout, else left (>= 1). */
long __us_wait_timeout(struct wait_queue_head *wq, u64 deadline_ns);

#define wait_event_idle(wq, ...)	wait_event(wq, __VA_ARGS__)
#define wait_event_idle_timeout(wq, cond, timeout)			\
({									\
	struct wait_queue_head *__us_wq = &(wq);			\
	u64 __us_end = us_clock_ns() + (u64)(timeout) * NSEC_PER_MSEC;	\
	bool __us_waiting = false;					\
	long __us_left = 1;						\
									\
	might_sleep();							\
	for (;;) {							\
		if (cond) {						\
			if (!__us_left)					\
				__us_left = 1;				\
			break;						\
		}							\
		if (!__us_left)						\
			break;						\
		if (__us_waiting) {					\
			__us_left = __us_wait_timeout(__us_wq, __us_end); \
		} else {						\
			__us_wait_begin(__us_wq);			\
			__us_waiting = true;				\
		}							\
	}								\
	if (__us_waiting)						\
		__us_wait_end(__us_wq);					\
	__us_left;							\
})

void usleep_range(unsigned long min, unsigned long max);
void schedule(void);
#define need_resched()		1

#endif /* _US_SHIM_TASK_H */
