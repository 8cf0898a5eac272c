// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The userspace runtime behind include/shim/: CPUs and per-CPU memory,
 * allocation with poison and quarantine, WARN counting, module init and
 * parameters, wait queues, completions, workqueues, and the thread that
 * stands in for interrupt context (irq_work, hrtimers). The semantics and
 * why they are sound are described in the shim headers.
 */

#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

#include <shim/mm.h>
#include <shim/module.h>
#include <shim/runtime.h>
#include <shim/sync.h>
#include <shim/task.h>

unsigned int nr_cpu_ids = 1;
__thread int us_cpu_id = -1;
__thread bool us_cpu_owned;
static unsigned int us_cpu_reserved;
static bool us_cpu_taken[US_MAX_CPUS];
__thread unsigned int us_atomic_depth;
static __thread unsigned int us_spins;
static unsigned int us_cpu_next;
static unsigned long us_warn_count;

void us_warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&us_warn_count, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "WARNING: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

unsigned long us_warnings(void)
{
	return __atomic_load_n(&us_warn_count, __ATOMIC_RELAXED);
}

/* CPUs. */
int us_cpu_assign(void)
{
	unsigned int shared = nr_cpu_ids - us_cpu_reserved;

	us_cpu_id = us_cpu_reserved +
		    __atomic_fetch_add(&us_cpu_next, 1, __ATOMIC_RELAXED) % shared;
	return us_cpu_id;
}

void us_set_cpu(unsigned int cpu)
{
	/* Migration inside a preemption- or irq-disabled region: a caller bug. */
	if (WARN_ON(us_atomic_depth) || WARN_ON(cpu >= nr_cpu_ids))
		return;
	/* A reserved CPU runs its owner only. */
	if (WARN_ON(cpu < us_cpu_reserved) || WARN_ON(us_cpu_owned))
		return;
	us_cpu_id = cpu;
}

void us_reserve_cpus(unsigned int nr)
{
	us_cpu_reserved = nr;
}

/* IPIs to owned CPUs: one at a time, under us_ipi_lock. */
#define US_SIG_IPI	(SIGRTMIN + 3)
static pthread_mutex_t us_ipi_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t us_cpu_owner[US_MAX_CPUS];
static bool us_cpu_has_owner[US_MAX_CPUS];
static smp_call_func_t us_ipi_func;
static void *us_ipi_info;
static int us_ipi_done;
static pthread_once_t us_ipi_once = PTHREAD_ONCE_INIT;

static void us_ipi_handler(int sig)
{
	/* Acquire: pairs with the sender's release; the signal itself is no sync to TSan. */
	smp_call_func_t func = __atomic_load_n(&us_ipi_func, __ATOMIC_ACQUIRE);
	int saved_errno = errno;

	func(us_ipi_info);
	/* Release: the handler's accesses before the sender's return. */
	__atomic_store_n(&us_ipi_done, 1, __ATOMIC_RELEASE);
	errno = saved_errno;
}

static void us_ipi_setup(void)
{
	struct sigaction sa = { .sa_handler = us_ipi_handler, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(US_SIG_IPI, &sa, NULL);
}

void on_each_cpu_cond(smp_cond_func_t cond_func, smp_call_func_t func, void *info, bool wait)
{
	int saved_cpu = us_cpu_id;
	bool saved_owned = us_cpu_owned;
	unsigned int cpu;

	pthread_mutex_lock(&us_ipi_lock);
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (!cond_func(cpu, info))
			continue;
		if (us_cpu_has_owner[cpu] && !pthread_equal(us_cpu_owner[cpu], pthread_self())) {
			us_ipi_info = info;
			__atomic_store_n(&us_ipi_done, 0, __ATOMIC_RELAXED);
			/* Release: the request before the handler reads it. */
			__atomic_store_n(&us_ipi_func, func, __ATOMIC_RELEASE);
			if (!pthread_kill(us_cpu_owner[cpu], US_SIG_IPI)) {
				/* Acquire: pairs with the handler's release. */
				while (!__atomic_load_n(&us_ipi_done, __ATOMIC_ACQUIRE))
					us_cpu_relax();
				continue;
			}
		}
		us_cpu_id = cpu;
		us_cpu_owned = saved_owned && cpu == (unsigned int)saved_cpu;
		func(info);
		us_cpu_id = saved_cpu;
		us_cpu_owned = saved_owned;
	}
	pthread_mutex_unlock(&us_ipi_lock);
}

int us_own_cpu(unsigned int cpu)
{
	bool free = false;

	if (WARN_ON(us_atomic_depth) || WARN_ON(cpu >= us_cpu_reserved) || WARN_ON(us_cpu_owned))
		return -EINVAL;
	/* Acquire: pairs with the release in us_release_cpu() of the last owner. */
	if (!__atomic_compare_exchange_n(&us_cpu_taken[cpu], &free, true, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return -EBUSY;
	pthread_once(&us_ipi_once, us_ipi_setup);
	pthread_mutex_lock(&us_ipi_lock);
	us_cpu_owner[cpu] = pthread_self();
	us_cpu_has_owner[cpu] = true;
	pthread_mutex_unlock(&us_ipi_lock);
	us_cpu_id = cpu;
	us_cpu_owned = true;
	return 0;
}

void us_release_cpu(void)
{
	if (WARN_ON(!us_cpu_owned) || WARN_ON(us_atomic_depth))
		return;
	/* No IPI for us is under way, and none is sent to us once we left. */
	pthread_mutex_lock(&us_ipi_lock);
	us_cpu_has_owner[us_cpu_id] = false;
	us_cpu_owned = false;
	/* Release: the next owner's unlocked per-CPU updates come after ours. */
	__atomic_store_n(&us_cpu_taken[us_cpu_id], false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&us_ipi_lock);
	us_cpu_id = -1;
}

/*
 * A pause, and every 64th time a yield: with more threads than cores, a
 * spinner may wait for a peer that the OS preempted, which the kernel's
 * interrupts-off windows rule out.
 */
void us_cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#endif
	if (!(++us_spins & 63))
		sched_yield();
}

#ifdef CONFIG_KOVAN_DEBUG
unsigned int us_window_preempt_one_in;
static __thread unsigned int us_window_stores;

/*
 * In the kernel an interrupts-off window is bounded because its task keeps
 * its CPU; in a guest the vCPU itself can be preempted there, and a waiter
 * that relied on the window being short waits for that long. Yielding
 * before some release stores made in a window gives every peer the chance
 * to run into such a state, which otherwise takes hours of QEMU to hit.
 */
void us_window_preempt(void)
{
	unsigned int one_in = __atomic_load_n(&us_window_preempt_one_in, __ATOMIC_RELAXED);

	if (one_in && us_atomic_depth && !(++us_window_stores % one_in))
		sched_yield();
}
#endif

/* Once per process: the tests then run with workers at the default priority. */
static void us_note_highpri_refused(void)
{
	static int noted;

	if (!__atomic_exchange_n(&noted, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "note: WQ_HIGHPRI worker left at nice 0 (%s)\n", strerror(errno));
}

/* Per-CPU arena: US_MAX_CPUS windows of US_PCPU_STRIDE bytes. */
struct us_pcpu_free {
	size_t offset, size;
	struct us_pcpu_free *next;
};

static pthread_mutex_t us_pcpu_lock = PTHREAD_MUTEX_INITIALIZER;
static char *us_pcpu_base;
static size_t us_pcpu_used;
static struct us_pcpu_free *us_pcpu_freelist;
struct us_pcpu_block {
	size_t offset, size;
	struct us_pcpu_block *next;
};

static struct us_pcpu_block *us_pcpu_blocks;

void *__alloc_percpu(size_t size, size_t align)
{
	struct us_pcpu_free **pf, *f;
	struct us_pcpu_block *blk;
	size_t offset = SIZE_MAX;
	unsigned int cpu;
	void *ret = NULL;

	blk = malloc(sizeof(*blk));
	if (!blk)
		return NULL;
	pthread_mutex_lock(&us_pcpu_lock);
	if (!us_pcpu_base) {
		void *p = mmap(NULL, US_MAX_CPUS * US_PCPU_STRIDE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			goto out;
		us_pcpu_base = p;
	}
	for (pf = &us_pcpu_freelist; *pf; pf = &(*pf)->next) {
		if ((*pf)->size == size && !((*pf)->offset & (align - 1))) {
			f = *pf;
			*pf = f->next;
			offset = f->offset;
			free(f);
			break;
		}
	}
	if (offset == SIZE_MAX) {
		if (align < SMP_CACHE_BYTES)
			align = SMP_CACHE_BYTES;
		offset = (us_pcpu_used + align - 1) & ~(align - 1);
		if (offset + size > US_PCPU_STRIDE)
			goto out;
		us_pcpu_used = offset + size;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		memset(us_pcpu_base + cpu * US_PCPU_STRIDE + offset, 0, size);
	blk->offset = offset;
	blk->size = size;
	blk->next = us_pcpu_blocks;
	us_pcpu_blocks = blk;
	blk = NULL;
	ret = us_pcpu_base + offset;
out:
	pthread_mutex_unlock(&us_pcpu_lock);
	free(blk);
	return ret;
}

void free_percpu(void *ptr)
{
	struct us_pcpu_block **pb, *b;
	struct us_pcpu_free *f;

	if (!ptr)
		return;
	pthread_mutex_lock(&us_pcpu_lock);
	for (pb = &us_pcpu_blocks; *pb; pb = &(*pb)->next) {
		if (us_pcpu_base + (*pb)->offset != ptr)
			continue;
		b = *pb;
		*pb = b->next;
		f = malloc(sizeof(*f));
		if (f) {
			f->offset = b->offset;
			f->size = b->size;
			f->next = us_pcpu_freelist;
			us_pcpu_freelist = f;
		}
		free(b);
		pthread_mutex_unlock(&us_pcpu_lock);
		return;
	}
	pthread_mutex_unlock(&us_pcpu_lock);
	WARN(1, "%s(%p): not allocated\n", __func__, ptr);
}

/* Allocation, poison and quarantine. */
static pthread_mutex_t us_quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static void **us_quarantine;
static unsigned int us_quarantine_size = 4096, us_quarantine_next;

void us_set_quarantine(unsigned int n)
{
	unsigned int i;

	pthread_mutex_lock(&us_quarantine_lock);
	if (us_quarantine) {
		for (i = 0; i < us_quarantine_size; i++)
			free(us_quarantine[i]);
		free(us_quarantine);
		us_quarantine = NULL;
	}
	us_quarantine_size = n;
	us_quarantine_next = 0;
	pthread_mutex_unlock(&us_quarantine_lock);
}

void *us_alloc(size_t size, size_t align, gfp_t gfp)
{
	void *p;

	if (size == SIZE_MAX)
		return NULL;
	/* aligned_alloc() wants a multiple of the alignment. */
	p = aligned_alloc(align, (size + align - 1) & ~(align - 1));
	if (!p && (gfp & __GFP_NOFAIL)) {
		fprintf(stderr, "out of memory with __GFP_NOFAIL\n");
		abort();
	}
	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, size);
	return p;
}

void us_free(void *ptr, size_t size)
{
	void *old = NULL;

	if (!ptr)
		return;
	if (!us_quarantine_size) {
		free(ptr);
		return;
	}
	memset(ptr, POISON_FREE, malloc_usable_size(ptr));
	pthread_mutex_lock(&us_quarantine_lock);
	if (!us_quarantine)
		us_quarantine = calloc(us_quarantine_size, sizeof(void *));
	if (us_quarantine) {
		old = us_quarantine[us_quarantine_next];
		us_quarantine[us_quarantine_next] = ptr;
		us_quarantine_next = (us_quarantine_next + 1) % us_quarantine_size;
	} else {
		old = ptr;
	}
	pthread_mutex_unlock(&us_quarantine_lock);
	free(old);
}

struct kmem_cache {
	const char *name;
	unsigned int size, align;
	void (*ctor)(void *obj);
};

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned long flags, void (*ctor)(void *))
{
	struct kmem_cache *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = name;
	s->size = size;
	s->align = align < 16 ? 16 : align;
	s->ctor = ctor;
	return s;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	free(s);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *p = us_alloc(s->size, s->align, gfp);

	if (p && s->ctor)
		s->ctor(p);
	return p;
}

void kmem_cache_free(struct kmem_cache *s, void *ptr)
{
	us_free(ptr, s->size);
}

/* Module init and exit, parameters, fault injection. */
struct us_call {
	const char *name;
	int (*init)(void);
	void (*exit)(void);
};

static struct us_call us_inits[16], us_exits[16];
static unsigned int us_nr_inits, us_nr_exits;
static struct kernel_param *us_params;
static unsigned int us_fail_one_in;
static unsigned long us_failed;
static __thread unsigned long us_rand_state;

void us_register_initcall(const char *name, int (*fn)(void))
{
	if (!WARN_ON(us_nr_inits == ARRAY_SIZE(us_inits)))
		us_inits[us_nr_inits++] = (struct us_call){ .name = name, .init = fn };
}

void us_register_exitcall(const char *name, void (*fn)(void))
{
	if (!WARN_ON(us_nr_exits == ARRAY_SIZE(us_exits)))
		us_exits[us_nr_exits++] = (struct us_call){ .name = name, .exit = fn };
}

void us_register_param(struct kernel_param *kp)
{
	kp->next = us_params;
	us_params = kp;
}

int us_param_set(const char *name, const char *val)
{
	struct kernel_param *kp;

	for (kp = us_params; kp; kp = kp->next)
		if (!strcmp(kp->name, name))
			return kp->ops->set(val, kp);
	return -ENOENT;
}

void us_fault_set(unsigned int one_in)
{
	__atomic_store_n(&us_fail_one_in, one_in, __ATOMIC_RELAXED);
}

bool should_fail(struct fault_attr *attr, ssize_t size)
{
	unsigned int one_in = __atomic_load_n(&us_fail_one_in, __ATOMIC_RELAXED);
	unsigned long x = us_rand_state;

	if (!one_in)
		return false;
	if (!x)
		x = (unsigned long)&x | 1;
	/* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	us_rand_state = x;
	if (x % one_in)
		return false;
	__atomic_fetch_add(&us_failed, 1, __ATOMIC_RELAXED);
	return true;
}

unsigned long us_faults(void)
{
	return __atomic_load_n(&us_failed, __ATOMIC_RELAXED);
}

/* Wait queues and completions. */
struct wait_queue_head us_bit_wait = US_WAIT_QUEUE_HEAD_INIT;

void init_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	wq->sleepers = 0;
}

void __us_wait_begin(struct wait_queue_head *wq)
{
	pthread_mutex_lock(&wq->lock);
	__atomic_fetch_add(&wq->sleepers, 1, __ATOMIC_SEQ_CST);
	if (us_current)	/* for kthread_stop(); see include/shim/task.h */
		__atomic_store_n(&us_current->sleeping_on, wq, __ATOMIC_SEQ_CST);
	smp_mb();	/* The sleeper before the condition; pairs with wq_has_sleeper(). */
}

long __us_wait_timeout(struct wait_queue_head *wq, u64 deadline_ns)
{
	u64 now = us_clock_ns();
	struct timespec ts;

	if (now >= deadline_ns)
		return 0;
	/* wq->cond runs on CLOCK_REALTIME: PTHREAD_COND_INITIALIZER. */
	clock_gettime(CLOCK_REALTIME, &ts);
	now = deadline_ns - now + ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	ts.tv_sec = now / NSEC_PER_SEC;
	ts.tv_nsec = now % NSEC_PER_SEC;
	pthread_cond_timedwait(&wq->cond, &wq->lock, &ts);
	now = us_clock_ns();
	return now >= deadline_ns ? 0 : (deadline_ns - now) / NSEC_PER_MSEC + 1;
}

void __us_wait_sleep(struct wait_queue_head *wq)
{
	pthread_cond_wait(&wq->cond, &wq->lock);
}

void __us_wait_end(struct wait_queue_head *wq)
{
	if (us_current)
		__atomic_store_n(&us_current->sleeping_on, NULL, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&wq->sleepers, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->lock);
}

void wake_up_all(struct wait_queue_head *wq)
{
	pthread_mutex_lock(&wq->lock);
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

void init_completion(struct completion *c)
{
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->done = 0;
}

void complete(struct completion *c)
{
	pthread_mutex_lock(&c->lock);
	c->done++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void complete_all(struct completion *c)
{
	pthread_mutex_lock(&c->lock);
	c->done = UINT_MAX / 2;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void wait_for_completion(struct completion *c)
{
	might_sleep();
	pthread_mutex_lock(&c->lock);
	while (!c->done)
		pthread_cond_wait(&c->cond, &c->lock);
	if (c->done != UINT_MAX / 2)
		c->done--;
	pthread_mutex_unlock(&c->lock);
}

/*
 * Workqueues. Items run in queue order on the worker; each queueing gets a
 * sequence number, so flush_work() waits for the instance queued when it
 * was called, also while the item is queued again and again.
 */
struct workqueue_struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* new work, or stop */
	pthread_cond_t done;		/* an item finished */
	struct work_struct *head, *tail;
	struct work_struct *running;
	u64 running_seq, done_seq;
	bool stop;
	bool highpri;
	pthread_t thread;
};

struct workqueue_struct *system_wq;
static __thread struct work_struct *us_current_work;

struct work_struct *current_work(void)
{
	return us_current_work;
}

static void us_work_wait(struct workqueue_struct *wq, u64 seq)
{
	while (wq->done_seq < seq)
		pthread_cond_wait(&wq->done, &wq->lock);
}

/* The newest queued sequence of @work, or 0; called with wq->lock held. */
static u64 us_work_queued_seq(struct workqueue_struct *wq, struct work_struct *work)
{
	struct work_struct *w;
	u64 seq = wq->done_seq, n = 0;

	for (w = wq->head; w; w = w->next) {
		n++;
		if (w == work)
			return seq + (wq->running ? 1 : 0) + n;
	}
	return 0;
}

static void *us_worker(void *arg)
{
	struct workqueue_struct *wq = arg;
	struct work_struct *w;

	/*
	 * The kernel runs WQ_HIGHPRI work in pools at nice -20, ahead of the
	 * tasks that keep the CPUs busy; the tests' threads do that here.
	 * Without the privilege the worker stays at the default.
	 */
	if (wq->highpri && setpriority(PRIO_PROCESS, syscall(SYS_gettid), -20))
		us_note_highpri_refused();

	pthread_mutex_lock(&wq->lock);
	for (;;) {
		while (!wq->head && !wq->stop)
			pthread_cond_wait(&wq->cond, &wq->lock);
		w = wq->head;
		if (!w)
			break;
		wq->head = w->next;
		if (!wq->head)
			wq->tail = NULL;
		wq->running = w;
		wq->running_seq = wq->done_seq + 1;
		pthread_mutex_unlock(&wq->lock);
		/* As the kernel: pending is cleared, fully ordered, before func runs. */
		__us_full(__atomic_fetch_and(&w->pending, ~1UL, __ATOMIC_SEQ_CST));
		us_current_work = w;
		w->func(w);
		us_current_work = NULL;
		WARN_ON(us_atomic_depth);
		pthread_mutex_lock(&wq->lock);
		wq->running = NULL;
		wq->done_seq = wq->running_seq;
		pthread_cond_broadcast(&wq->done);
	}
	pthread_mutex_unlock(&wq->lock);
	return NULL;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active,
					 ...)
{
	struct workqueue_struct *wq = calloc(1, sizeof(*wq));

	if (!wq)
		return NULL;
	pthread_mutex_init(&wq->lock, NULL);
	pthread_cond_init(&wq->cond, NULL);
	pthread_cond_init(&wq->done, NULL);
	wq->highpri = flags & WQ_HIGHPRI;
	if (pthread_create(&wq->thread, NULL, us_worker, wq)) {
		free(wq);
		return NULL;
	}
	return wq;
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	pthread_mutex_lock(&wq->lock);
	wq->stop = true;
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	pthread_join(wq->thread, NULL);
	free(wq);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	if (test_and_set_bit(0, &work->pending))
		return false;
	pthread_mutex_lock(&wq->lock);
	__atomic_store_n(&work->wq, wq, __ATOMIC_RELAXED);
	work->next = NULL;
	if (wq->tail)
		wq->tail->next = work;
	else
		wq->head = work;
	wq->tail = work;
	pthread_cond_signal(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
	return true;
}

bool flush_work(struct work_struct *work)
{
	struct workqueue_struct *wq = __atomic_load_n(&work->wq, __ATOMIC_RELAXED);
	u64 seq;

	might_sleep();
	if (!wq)
		return false;
	pthread_mutex_lock(&wq->lock);
	seq = us_work_queued_seq(wq, work);
	if (!seq && wq->running == work)
		seq = wq->running_seq;
	if (seq)
		us_work_wait(wq, seq);
	pthread_mutex_unlock(&wq->lock);
	return seq;
}

bool cancel_work_sync(struct work_struct *work)
{
	struct workqueue_struct *wq = __atomic_load_n(&work->wq, __ATOMIC_RELAXED);
	struct work_struct **pw;
	bool was = false;

	might_sleep();
	if (!wq)
		return false;
	pthread_mutex_lock(&wq->lock);
	for (pw = &wq->head; *pw; pw = &(*pw)->next) {
		if (*pw != work)
			continue;
		*pw = work->next;
		if (wq->tail == work) {
			struct work_struct *t = wq->head;

			while (t && t->next)
				t = t->next;
			wq->tail = t;
		}
		clear_bit(0, &work->pending);
		was = true;
		break;
	}
	if (wq->running == work)
		us_work_wait(wq, wq->running_seq);
	pthread_mutex_unlock(&wq->lock);
	return was;
}

/* The interrupt thread: irq_work and hrtimer callbacks. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* new work, a timer, or stop */
	pthread_cond_t done;		/* a callback returned */
	struct irq_work *works;
	struct hrtimer *timers;
	struct irq_work *running_work;
	struct hrtimer *running_timer;
	bool stop;
	pthread_t thread;
} us_irq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void *us_irq_thread(void *arg)
{
	struct hrtimer *t, *first, **pt;
	struct irq_work *w;
	struct timespec ts;
	u64 now;

	pthread_mutex_lock(&us_irq.lock);
	while (!us_irq.stop) {
		w = us_irq.works;
		if (w) {
			us_irq.works = w->next;
			us_irq.running_work = w;
			pthread_mutex_unlock(&us_irq.lock);
			__us_full(__atomic_fetch_and(&w->pending, ~1UL, __ATOMIC_SEQ_CST));
			us_atomic_depth++;
			w->func(w);
			us_atomic_depth--;
			pthread_mutex_lock(&us_irq.lock);
			us_irq.running_work = NULL;
			pthread_cond_broadcast(&us_irq.done);
			continue;
		}
		first = NULL;
		for (t = us_irq.timers; t; t = t->next)
			if (!first || t->expires < first->expires)
				first = t;
		if (!first) {
			pthread_cond_wait(&us_irq.cond, &us_irq.lock);
			continue;
		}
		now = us_clock_ns();
		if (now < first->expires) {
			ts.tv_sec = first->expires / NSEC_PER_SEC;
			ts.tv_nsec = first->expires % NSEC_PER_SEC;
			pthread_cond_timedwait(&us_irq.cond, &us_irq.lock, &ts);
			continue;
		}
		for (pt = &us_irq.timers; *pt != first; pt = &(*pt)->next)
			;
		*pt = first->next;
		first->queued = false;
		us_irq.running_timer = first;
		pthread_mutex_unlock(&us_irq.lock);
		us_atomic_depth++;
		WARN_ON(first->function(first) != HRTIMER_NORESTART);
		us_atomic_depth--;
		pthread_mutex_lock(&us_irq.lock);
		us_irq.running_timer = NULL;
		pthread_cond_broadcast(&us_irq.done);
	}
	pthread_mutex_unlock(&us_irq.lock);
	return NULL;
}

bool irq_work_queue(struct irq_work *work)
{
	if (test_and_set_bit(0, &work->pending))
		return false;
	pthread_mutex_lock(&us_irq.lock);
	work->next = us_irq.works;
	us_irq.works = work;
	pthread_cond_signal(&us_irq.cond);
	pthread_mutex_unlock(&us_irq.lock);
	return true;
}

void irq_work_sync(struct irq_work *work)
{
	pthread_mutex_lock(&us_irq.lock);
	while (test_bit(0, &work->pending) || us_irq.running_work == work)
		pthread_cond_wait(&us_irq.done, &us_irq.lock);
	pthread_mutex_unlock(&us_irq.lock);
}

void hrtimer_init(struct hrtimer *timer, clockid_t clock, enum hrtimer_mode mode)
{
	memset(timer, 0, sizeof(*timer));
}

void hrtimer_start(struct hrtimer *timer, ktime_t time, enum hrtimer_mode mode)
{
	pthread_mutex_lock(&us_irq.lock);
	timer->expires = mode == HRTIMER_MODE_REL ? us_clock_ns() + time : (u64)time;
	if (!timer->queued) {
		timer->queued = true;
		timer->next = us_irq.timers;
		us_irq.timers = timer;
	}
	pthread_cond_signal(&us_irq.cond);
	pthread_mutex_unlock(&us_irq.lock);
}

int hrtimer_cancel(struct hrtimer *timer)
{
	struct hrtimer **pt;
	int was = 0;

	pthread_mutex_lock(&us_irq.lock);
	for (pt = &us_irq.timers; *pt; pt = &(*pt)->next) {
		if (*pt == timer) {
			*pt = timer->next;
			timer->queued = false;
			was = 1;
			break;
		}
	}
	while (us_irq.running_timer == timer)
		pthread_cond_wait(&us_irq.done, &us_irq.lock);
	pthread_mutex_unlock(&us_irq.lock);
	return was;
}

/* kthreads; the model is described in include/shim/task.h. */
__thread struct task_struct *us_current;

static void *us_kthread_main(void *arg)
{
	struct task_struct *task = arg;
	bool run;

	us_current = task;
	pthread_mutex_lock(&task->lock);
	while (!task->woken && !__atomic_load_n(&task->stop, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&task->cond, &task->lock);
	pthread_mutex_unlock(&task->lock);
	/* As kthread(): a stop before the thread first ran skips its function. */
	run = !__atomic_load_n(&task->stop, __ATOMIC_SEQ_CST);
	if (run && task->cpu >= 0)
		us_set_cpu(task->cpu);
	task->ret = run ? task->fn(task->data) : -EINTR;
	WARN_ON(us_atomic_depth);
	return NULL;
}

struct task_struct *kthread_create(int (*fn)(void *data), void *data, const char *namefmt, ...)
{
	struct task_struct *task = calloc(1, sizeof(*task));

	if (!task)
		return ERR_PTR(-ENOMEM);
	task->fn = fn;
	task->data = data;
	task->cpu = -1;
	pthread_mutex_init(&task->lock, NULL);
	pthread_cond_init(&task->cond, NULL);
	if (pthread_create(&task->thread, NULL, us_kthread_main, task)) {
		free(task);
		return ERR_PTR(-ENOMEM);
	}
	return task;
}

void kthread_bind(struct task_struct *task, unsigned int cpu)
{
	if (!WARN_ON(cpu >= nr_cpu_ids))
		task->cpu = cpu;
}

int wake_up_process(struct task_struct *task)
{
	pthread_mutex_lock(&task->lock);
	task->woken = true;
	pthread_cond_signal(&task->cond);
	pthread_mutex_unlock(&task->lock);
	return 1;
}

int kthread_stop(struct task_struct *task)
{
	struct wait_queue_head *wq;
	int ret;

	pthread_mutex_lock(&task->lock);
	__atomic_store_n(&task->stop, true, __ATOMIC_SEQ_CST);
	pthread_cond_signal(&task->cond);
	pthread_mutex_unlock(&task->lock);
	wq = __atomic_load_n(&task->sleeping_on, __ATOMIC_SEQ_CST);
	if (wq)
		wake_up_all(wq);
	pthread_join(task->thread, NULL);
	ret = task->ret;
	free(task);
	return ret;
}

bool kthread_should_stop(void)
{
	return us_current && __atomic_load_n(&us_current->stop, __ATOMIC_SEQ_CST);
}

void usleep_range(unsigned long min, unsigned long max)
{
	might_sleep();
	usleep(min);
}

void schedule(void)
{
	sched_yield();
}

/* Start and stop. */
int us_init(unsigned int nr_cpus)
{
	pthread_condattr_t attr;
	unsigned int i;
	int ret;

	if (!nr_cpus || nr_cpus > US_MAX_CPUS || us_cpu_reserved >= nr_cpus)
		return -EINVAL;
	nr_cpu_ids = nr_cpus;
	/* The interrupt thread's timed waits run on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&us_irq.cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&us_irq.thread, NULL, us_irq_thread, NULL))
		return -ENOMEM;
	system_wq = alloc_workqueue("events", 0, 0);
	if (!system_wq)
		return -ENOMEM;
	for (i = 0; i < us_nr_inits; i++) {
		ret = us_inits[i].init();
		if (ret) {
			fprintf(stderr, "%s() failed: %d\n", us_inits[i].name, ret);
			return ret;
		}
	}
	return 0;
}

void us_exit(void)
{
	unsigned int i = us_nr_exits;

	while (i--)
		us_exits[i].exit();
	destroy_workqueue(system_wq);
	pthread_mutex_lock(&us_irq.lock);
	us_irq.stop = true;
	pthread_cond_signal(&us_irq.cond);
	pthread_mutex_unlock(&us_irq.lock);
	pthread_join(us_irq.thread, NULL);
}
