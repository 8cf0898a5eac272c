#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check-6.1: kovan on the 6.1 LTS series. The W=1 compile that make
# check runs (scripts/compat.sh), then the KUnit suites, the consumer and
# the example on a 6.1 UML kernel (KASAN, lockdep) built from Debian's
# linux-source-6.1 with kunit/configs/uml-6.1.config and the kernel fixes
# in kunit/patches/6.1/. UML before 6.10 cannot preempt, so this kernel
# also shows that nothing in kovan waits for a thread that is not running.
# Ends with one line "N passed, N failed, N skipped".
# KOVAN_SELFTEST=fail (or warn, kasan, hang, expect) shows a failing run.
set -uo pipefail
export KERNEL_SERIES=6.1
. "$(dirname "$0")/lib.sh"

stage "make check-6.1: logs in $KOVAN_LOGDIR"
compat_failed=0
stage "[1/3] compile against 6.1 with W=1"
"$KOVAN_ROOT/scripts/compat.sh" || compat_failed=1
stage "[2/3] 6.1 UML test kernel"
"$KOVAN_ROOT/scripts/build-kernel.sh" uml-6.1 >/dev/null || exit 1
stage "[3/3] 6.1 UML suites (one CPU, no preemption, KASAN, lockdep)"
rm -f "$KOVAN_LOGDIR/uml-6.1.json"
# The benchmarks need 6.12 (lwq, kvfree_rcu_barrier).
KOVAN_EXTERNALS="kunit/consumer examples/lookup examples/demo torture" \
	"$KOVAN_ROOT/scripts/run-tests.sh" --label uml-6.1 uml-6.1
python3 "$KOVAN_ROOT/scripts/summary.py" "$KOVAN_LOGDIR/uml-6.1.json" compat-6.1="$compat_failed"
