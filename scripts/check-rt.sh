#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check-rt: kovan on PREEMPT_RT. A QEMU x86_64 kernel built with
# kunit/configs/x86_64-rt.config (PREEMPT_RT, NO_HZ_FULL, lockdep,
# DEBUG_ATOMIC_SLEEP) boots with CPU 1 isolated (nohz_full=1 isolcpus=1)
# and runs every KUnit suite, the consumer and the example, then a short
# torture run with the same CPU isolated. Lockdep and the atomic-sleep
# checks report any allocation or sleeping lock under a raw spinlock or
# with interrupts off; kovan_nohz_full_reader checks that the isolated CPU,
# which only reads, takes no kovan timer and runs no reclaim worker, and the
# torture run that a CPU with no reader takes no kovan timer or IPI; a
# second torture run, without isolation, offlines and onlines CPUs.
# Ends with one line "N passed, N failed, N skipped".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

secs=${KOVAN_CHECK_TORTURE_SECS:-30}
stage "make check-rt: logs in $KOVAN_LOGDIR"
stage "[1/4] PREEMPT_RT test kernel"
"$KOVAN_ROOT/scripts/build-kernel.sh" x86_64-rt >/dev/null || exit 1
export KOVAN_BOOT_ARGS="${KOVAN_BOOT_ARGS:-} nohz_full=1 isolcpus=1"
stage "[2/4] suites on QEMU -smp 2, PREEMPT_RT, CPU 1 isolated"
rm -f "$KOVAN_LOGDIR/x86_64-rt-smp2.json" "$KOVAN_LOGDIR/torture-x86_64-rt-smp2"*.json
"$KOVAN_ROOT/scripts/run-tests.sh" --smp 2 --label x86_64-rt-smp2 x86_64-rt
stage "[3/4] torture, $secs s on QEMU -smp 2, PREEMPT_RT, CPU 1 isolated"
"$KOVAN_ROOT/scripts/torture-boot.sh" --smp 2 --secs "$secs" --isolate 1 \
	--label torture-x86_64-rt-smp2 x86_64-rt
stage "[4/4] torture, $secs s on QEMU -smp 2, PREEMPT_RT, CPU hotplug"
"$KOVAN_ROOT/scripts/torture-boot.sh" --smp 2 --secs "$secs" --onoff 300 \
	--label torture-x86_64-rt-smp2-hotplug x86_64-rt
python3 "$KOVAN_ROOT/scripts/summary.py" "$KOVAN_LOGDIR/x86_64-rt-smp2.json" \
	"$KOVAN_LOGDIR/torture-x86_64-rt-smp2.json" \
	"$KOVAN_LOGDIR/torture-x86_64-rt-smp2-hotplug.json"
