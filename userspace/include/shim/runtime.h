/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef _US_SHIM_RUNTIME_H
#define _US_SHIM_RUNTIME_H

/* The userspace runtime's own interface, for tests and benchmarks. */

#include <shim/percpu.h>

/* Set nr_cpu_ids (1..US_MAX_CPUS), start the workers, run the module inits. */
int us_init(unsigned int nr_cpus);
/* Run the module exits, stop the workers. */
void us_exit(void);
/* Write a module parameter ("batch", "flush_us", ...) with its checks. */
int us_param_set(const char *name, const char *val);
/* Make one allocation in @one_in fail in should_fail(); 0: none. */
void us_fault_set(unsigned int one_in);
/* Allocations should_fail() has failed so far. */
unsigned long us_faults(void);
/* Frees kept poisoned before reuse; 0 frees at once. Default 4096. */
void us_set_quarantine(unsigned int n);
/* WARNs so far (tests fail on any). */
unsigned long us_warnings(void);

#endif /* _US_SHIM_RUNTIME_H */
