#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check: everything CI runs. Installs what it needs, builds (or finds in
# the cache) the test kernels, lints, compiles against the 6.1 LTS kernel
# and against 6.15 simulated on the 6.12 tree (namespace strings, hrtimer),
# model-checks a reduced size of the slot
# protocol with spin (make model: the full sizes), runs the userspace
# build's stress tests natively and under ThreadSanitizer, runs the KUnit suites on
# UML (KASAN; once more with every domain robust; once built into the kernel
# by kunit.py, as in a kernel tree; and a boot for each of the three
# deadlocks lockdep must report) and on QEMU x86_64 (KCSAN)
# with 2 vCPUs and 5-level paging and with 4 vCPUs, runs the torture
# module for a minute on each (make torture: longer, and -smp 8), proves the
# harness and the userspace checks still report failures, and ends with one line
# "N passed, N failed, N skipped".
#
# KOVAN_SMP="2 4" picks the QEMU vCPU counts; KOVAN_CHECK_TORTURE_SECS (60)
# the length of each torture run; KOVAN_SKIP_SELFTEST=1 skips the
# harness self-test; KOVAN_SELFTEST=fail (or warn, kasan, hang, expect)
# makes every suite run carry that deliberate failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

stage "make check: logs in $KOVAN_LOGDIR"
rm -f "$KOVAN_LOGDIR"/*.json
total=18
n=0
step() {
	n=$((n + 1))
	stage "[$n/$total] $*"
}
results=()
lint_failed=0
compat_failed=0
sim_failed=0
model_failed=0
dkms_failed=0
arm64_failed=0
userspace_failed=0

step "packages and kernel source"
ensure_kernel_source
step "UML test kernel"
"$KOVAN_ROOT/scripts/build-kernel.sh" uml >/dev/null || exit 1
step "x86_64 test kernel (KCSAN)"
"$KOVAN_ROOT/scripts/build-kernel.sh" x86_64 >/dev/null || exit 1

step "lint"
"$KOVAN_ROOT/scripts/lint.sh" || lint_failed=1

step "6.1 LTS: compile with W=1"
"$KOVAN_ROOT/scripts/compat.sh" || compat_failed=1

step "6.15 simulated on the 6.12 tree (namespace strings, hrtimer_setup): compile with W=1"
"$KOVAN_ROOT/scripts/compat.sh" --sim-6.15 || sim_failed=1

step "arm64: cross-compile every module with W=1 (make check-arm64: boot)"
"$KOVAN_ROOT/scripts/arm64.sh" --compile || arm64_failed=1

step "DKMS: install against Debian's linux-headers, build a module on it; plain kbuild"
"$KOVAN_ROOT/scripts/dkms.sh" || dkms_failed=1

step "spin model of the slot protocol, reduced sizes (make model: full)"
"$KOVAN_ROOT/scripts/model.sh" --reduced || model_failed=1

step "userspace build: stress tests natively and under ThreadSanitizer"
"$KOVAN_ROOT/scripts/userspace.sh" || userspace_failed=1
step "userspace self-test: seeded bugs the stress tests must catch"
"$KOVAN_ROOT/scripts/userspace.sh" --selftest || userspace_failed=1

step "UML suites (one CPU, KASAN, lockdep)"
"$KOVAN_ROOT/scripts/run-tests.sh" uml
results+=("$KOVAN_LOGDIR/uml-smp1.json")
step "UML suites with CONFIG_KOVAN_ROBUST_DEFAULT=y: every user on robust domains"
"$KOVAN_ROOT/scripts/run-tests.sh" --robust --label uml-robust uml
results+=("$KOVAN_LOGDIR/uml-robust.json")

step "UML, built in: scripts/in-tree.sh into a kernel tree, kunit.py run --kunitconfig=lib/kovan"
"$KOVAN_ROOT/scripts/kunit-in-tree.sh" --arch um
results+=("$KOVAN_LOGDIR/in-tree-um.json")

step "UML lockdep: kovan_synchronize() and kovan_barrier() in a guard, and under a mutex a reader takes, are reported"
for c in recursive barrier abba; do
	"$KOVAN_ROOT/scripts/run-tests.sh" --provoke $c --label "uml-lockdep-$c" uml
	results+=("$KOVAN_LOGDIR/uml-lockdep-$c.json")
done

smps=(${KOVAN_SMP:-2 4})
step "QEMU x86_64 suites (KCSAN, lockdep), -smp ${smps[*]}; the first with 5-level paging"
for smp in "${smps[@]}"; do
	if [ "$smp" = "${smps[0]}" ]; then
		"$KOVAN_ROOT/scripts/run-tests.sh" --smp "$smp" --cpu max --label "x86_64-smp$smp-la57" x86_64
		results+=("$KOVAN_LOGDIR/x86_64-smp$smp-la57.json")
	else
		"$KOVAN_ROOT/scripts/run-tests.sh" --smp "$smp" x86_64
		results+=("$KOVAN_LOGDIR/x86_64-smp$smp.json")
	fi
done

step "torture, ${KOVAN_CHECK_TORTURE_SECS:-60} s each: UML (KASAN), QEMU -smp 4 (KCSAN, hotplug)"
for smp in 1 4; do
	flavour=$([ $smp = 1 ] && echo uml || echo x86_64)
	"$KOVAN_ROOT/scripts/torture-boot.sh" --smp $smp --secs "${KOVAN_CHECK_TORTURE_SECS:-60}" \
		--label "torture-$flavour-smp$smp" $flavour
	results+=("$KOVAN_LOGDIR/torture-$flavour-smp$smp.json")
done

step "harness self-test: deliberate failures must be reported"
if [ "${KOVAN_SKIP_SELFTEST:-0}" = 1 ]; then
	stage "skipped (KOVAN_SKIP_SELFTEST=1)"
else
	"$KOVAN_ROOT/scripts/selftest.sh"
	results+=("$KOVAN_LOGDIR/selftest.json")
fi

python3 "$KOVAN_ROOT/scripts/summary.py" "${results[@]}" lint="$lint_failed" \
	compat-6.1="$compat_failed" compat-6.15-sim="$sim_failed" arm64="$arm64_failed" \
	dkms="$dkms_failed" model="$model_failed" \
	userspace="$userspace_failed"
