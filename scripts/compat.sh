#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Compile kovan against the 6.1 LTS kernel (Debian's linux-source-6.1) with
# W=1: kovan.ko, kovan_queue.ko (with fault injection and debug checks), the
# KUnit suites (through kunit/compat.h), the torture modules, the consumer
# test and the example, which build the way a driver does. A defconfig tree
# prepared for external modules (modules_prepare) is enough to compile;
# without a 6.1 vmlinux, modpost cannot resolve the kernel's own symbols
# (KBUILD_MODPOST_WARN; make check-6.1 boots them). Not built for 6.1: the
# benchmarks (lwq is 6.9, kvfree_rcu_barrier 6.12). Any compiler warning
# fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=6.1
src=$KOVAN_CACHE/src/linux-source-$series
ensure_packages kernel source-6.1
unpack_kernel_source "$series"
version=$(make -s -C "$src" kernelversion)
build=$KOVAN_CACHE/build/compat-$series-$(printf '%s\n' "$version" "$(gcc --version | head -n 1)" |
	sha256sum | cut -c1-12)
log=$KOVAN_LOGDIR/compat-$series.log
if [ ! -f "$build/.kovan-prepared" ]; then
	stage "compat: preparing a $version defconfig tree for external modules (log: $log)"
	mkdir -p "$build"
	{
		make -C "$src" O="$build" x86_64_defconfig &&
		"$src/scripts/config" --file "$build/.config" -e MODULES -e MODULE_UNLOAD \
			-e DEBUG_FS -e KUNIT -e FAULT_INJECTION -e FAULT_INJECTION_DEBUG_FS &&
		make -C "$src" O="$build" olddefconfig &&
		make -C "$src" O="$build" CC="ccache gcc" -j"$JOBS" modules_prepare
	} >"$log" 2>&1 || die "preparing the $version tree failed, see $log"
	touch "$build/.kovan-prepared"
fi
stage "compat: building kovan, kovan_queue, kunit/, torture/, examples/ against $version with W=1"
KOVAN_EXTERNALS="torture kunit/consumer examples/lookup" build_modules "$build" x86_64 \
	"$KOVAN_CACHE/run/compat-$series/src" "$KOVAN_LOGDIR/compat-$series.build.log" \
	W=1 KBUILD_MODPOST_WARN=1
stage "compat: $version builds warning-free"
