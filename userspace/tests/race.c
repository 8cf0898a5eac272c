// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A deliberate data race, for scripts/userspace.sh --selftest: under
 * ThreadSanitizer this program must be reported (exit code 66); if it is
 * not, the TSan build cannot be trusted to find races in kovan either.
 */

#include <pthread.h>
#include <stdio.h>

static unsigned long counter;

static void *bump(void *arg)
{
	int i;

	for (i = 0; i < 100000; i++)
		counter++;	/* Plain, unlocked: the race. */
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, bump, NULL);
	pthread_create(&b, NULL, bump, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("counter %lu\n", counter);
	return 0;
}
