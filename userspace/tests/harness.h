/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_TESTS_HARNESS_H
#define _US_TESTS_HARNESS_H

/*
 * What the stress tests share: TAP-like "ok N - ..." / "not ok N - ..."
 * lines, one per invariant; a watchdog that fails a hung run; options;
 * a per-thread random generator; a relaxed stop flag.
 */

#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include <shim/runtime.h>

static int t_checks, t_failed;

static __attribute((format(printf, 2, 3))) void t_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++t_checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		t_failed++;
}

static int t_done(void)
{
	t_check(!us_warnings(), "no WARN from kovan or the shim (%lu)", us_warnings());
	printf("# %d checks, %d failed\n", t_checks, t_failed);
	return t_failed ? 1 : 0;
}

static void t_watchdog_fired(int sig)
{
	static const char msg[] = "not ok - watchdog: the test hung\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* Fail the run if it is not over after @secs. */
static void t_watchdog(unsigned int secs)
{
	signal(SIGALRM, t_watchdog_fired);
	alarm(secs);
}

static __thread unsigned long t_rand_state;

static inline unsigned long t_rand(void)
{
	unsigned long x = t_rand_state;

	if (!x)
		x = (unsigned long)&x ^ 0x9e3779b97f4a7c15UL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t_rand_state = x;
	return x;
}

static bool t_stop;

static inline bool t_stopped(void)
{
	return __atomic_load_n(&t_stop, __ATOMIC_RELAXED);
}

/* For a second phase of a test, after the threads of the first one ended. */
static inline void t_restart(void)
{
	__atomic_store_n(&t_stop, false, __ATOMIC_RELAXED);
}

static inline void t_run_for(double secs)
{
	usleep((useconds_t)(secs * 1e6));
	__atomic_store_n(&t_stop, true, __ATOMIC_RELAXED);
}

struct t_opts {
	double secs;
	unsigned int cpus, readers, writers, watchdog;
};

static void t_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-s secs] [-c cpus] [-r readers] [-w writers] [-W timeout]\n",
		prog);
	exit(2);
}

static void t_parse(int argc, char **argv, struct t_opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "s:c:r:w:W:")) != -1) {
		switch (c) {
		case 's':
			o->secs = atof(optarg);
			break;
		case 'c':
			o->cpus = atoi(optarg);
			break;
		case 'r':
			o->readers = atoi(optarg);
			break;
		case 'w':
			o->writers = atoi(optarg);
			break;
		case 'W':
			o->watchdog = atoi(optarg);
			break;
		default:
			t_usage(argv[0]);
		}
	}
	t_watchdog(o->watchdog ? o->watchdog : o->secs * 4 + 60);
}

#endif /* _US_TESTS_HARNESS_H */
