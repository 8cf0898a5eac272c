# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# kovan out-of-tree build and test entry points.
#
#   make [KDIR=<kernel build dir>] [ARCH=um]   build kovan.ko, kovan_queue.ko (+ tests);
#                                               make -C <kernel build dir> M=$PWD does too
#   make check                                  what CI runs: lint, 6.1 and arm64 compile,
#                                               DKMS, model,
#                                               KUnit suites, torture, harness self-test
#   make check-arm64                            arm64: W=1 cross-compile, suites on QEMU TCG
#   make lint                                   checkpatch, sparse, kernel-doc, sphinx
#   make docs                                   render Documentation/ to HTML with sphinx
#   make run                                    boot a kernel and show kovan working
#   make selftest                               prove the harness reports failures
#   make bench                                  benchmarks against the kernel's primitives
#   make bench-native                           userspace build on real cores vs liburcu, ck, crossbeam
#   make model                                  spin model check of the slot protocol
#   make torture                                stress runs: KASAN, KCSAN, hotplug, faults
#   make check-6.1                              6.1 LTS: compile, KUnit suites on UML 6.1
#   make check-rt                               PREEMPT_RT: suites with a nohz_full CPU, torture
#   make dkms-check                             DKMS install and a module using it, against
#                                               Debian's linux-headers (nothing loaded)
#   make check-in-tree [ARCH=x86_64]            the suites built into a kernel tree and run by
#                                               kunit.py (scripts/in-tree.sh puts kovan there)
#   make check-userspace                        the core compiled in userspace: stress tests
#                                               natively and under ThreadSanitizer
#   make check-fresh                            make check as on a new machine: removes the
#                                               packages of scripts/packages and the caches
#
# Options (set on the command line, like a kernel .config would):
#   CONFIG_KOVAN_ROBUST_DEFAULT=y   every domain is KOVAN_ROBUST
#   CONFIG_KOVAN_DEBUG=y            contract checks that WARN
#   CONFIG_KOVAN_KUNIT_TEST=m|n     test modules (default: m when KDIR has KUnit)
#   CONFIG_KOVAN_FAULT_INJECTION=y  debugfs kovan/fail_alloc fails allocations
#                                   (needs CONFIG_FAULT_INJECTION_DEBUG_FS)

KDIR ?= /lib/modules/$(shell uname -r)/build

CONFIG_KOVAN ?= m
CONFIG_KOVAN_QUEUE ?= m
CONFIG_KOVAN_ROBUST_DEFAULT ?= n
CONFIG_KOVAN_DEBUG ?= n
CONFIG_KOVAN_FAULT_INJECTION ?= n
CONFIG_KOVAN_KUNIT_TEST ?= $(if $(shell grep -s '^CONFIG_KUNIT=[ym]' $(KDIR)/.config),m,n)

KOVAN_CONFIG := CONFIG_KOVAN=$(CONFIG_KOVAN) CONFIG_KOVAN_QUEUE=$(CONFIG_KOVAN_QUEUE) \
	CONFIG_KOVAN_ROBUST_DEFAULT=$(CONFIG_KOVAN_ROBUST_DEFAULT) \
	CONFIG_KOVAN_DEBUG=$(CONFIG_KOVAN_DEBUG) \
	CONFIG_KOVAN_FAULT_INJECTION=$(CONFIG_KOVAN_FAULT_INJECTION) \
	CONFIG_KOVAN_KUNIT_TEST=$(CONFIG_KOVAN_KUNIT_TEST)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KOVAN_CONFIG) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KOVAN_CONFIG) clean

check:
	@scripts/check.sh

check-arm64:
	@scripts/arm64.sh

lint:
	@scripts/lint.sh

docs:
	@scripts/docs.sh

run:
	@scripts/run.sh

selftest:
	@scripts/selftest.sh

bench:
	@scripts/bench.sh

bench-native:
	@scripts/bench-native.sh

model:
	@scripts/model.sh

torture:
	@scripts/torture.sh

check-6.1:
	@scripts/check-6.1.sh

check-rt:
	@scripts/check-rt.sh

dkms-check:
	@scripts/dkms.sh

check-userspace:
	@scripts/userspace.sh

# ARCH from the command line only: kernel developers often export another.
check-in-tree:
	@scripts/kunit-in-tree.sh --arch $(if $(filter command line,$(origin ARCH)),$(ARCH),um)

check-fresh:
	@scripts/check-fresh.sh

.PHONY: all modules clean check check-arm64 check-in-tree lint docs run selftest bench bench-native model torture \
	check-6.1 check-rt dkms-check check-userspace check-fresh
