#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# arm64: weak memory ordering is where lock-free code breaks; x86 hides it.
#
# Usage: arm64.sh --compile   cross-compile every module for arm64 (make check)
#        arm64.sh             make check-arm64: the cross-compile, then the
#                             KUnit suites on an arm64 test kernel under
#                             qemu-system-aarch64 (TCG, -smp 2)
#
# --compile: kovan.ko, kovan_queue.ko, the KUnit suites, kunit/consumer/,
# bench/ and torture/ with W=1, ARCH=arm64 and gcc-aarch64-linux-gnu against
# an arm64 defconfig tree of 6.12 of external_tree (lib.sh), as
# scripts/compat.sh's 6.1 tree; the boot checks the kernel's own symbols.
# Any compiler warning fails.
#
# Without --compile, also builds (or finds in the cache) the kernel of
# kunit/configs/arm64.config and boots it with scripts/run-tests.sh
# (KOVAN_ARM64_SMP vCPUs, default 2; KOVAN_ARM64_CPU, see there), ending with
# "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Cross-compile with W=1 against a prepared arm64 defconfig tree, keyed by
# its option list as before external_tree served compat.sh too.
compile() {
	local build version
	ensure_kernel_source
	ensure_packages arm64
	build=$(external_tree "cross-arm64-$KERNEL_SERIES" "$KSRC" arm64 \
		"MODULES MODULE_UNLOAD KUNIT DEBUG_FS FAULT_INJECTION FAULT_INJECTION_DEBUG_FS")
	version=$(kernel_version)
	stage "arm64: cross-compiling every module against $version with W=1" \
		"(log: $KOVAN_LOGDIR/cross-arm64.build.log)"
	build_modules "$build" arm64 "$KOVAN_CACHE/run/cross-arm64/src" \
		"$KOVAN_LOGDIR/cross-arm64.build.log" W=1 CROSS_COMPILE=aarch64-linux-gnu- KBUILD_MODPOST_WARN=1
	stage "arm64: $version builds warning-free"
}

case ${1:-} in
--compile)
	compile
	exit 0
	;;
'') ;;
*) die "usage: arm64.sh [--compile]" ;;
esac

stage "make check-arm64: logs in $KOVAN_LOGDIR"
compile_failed=0
"$KOVAN_ROOT/scripts/arm64.sh" --compile || compile_failed=1
results=()
for smp in ${KOVAN_ARM64_SMP:-2}; do
	rm -f "$KOVAN_LOGDIR/arm64-smp$smp.json"
	"$KOVAN_ROOT/scripts/run-tests.sh" --smp "$smp" arm64 || true
	results+=("$KOVAN_LOGDIR/arm64-smp$smp.json")
done
python3 "$KOVAN_ROOT/scripts/summary.py" "${results[@]}" cross-arm64="$compile_failed"
