#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Build (or find in the cache) the test kernel of one flavour.
# Usage: build-kernel.sh FLAVOUR     (FLAVOUR: a file name in kunit/configs without .config)
# Prints the build directory on stdout's last line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:?usage: build-kernel.sh FLAVOUR}
config=$KOVAN_ROOT/kunit/configs/$flavour.config
[ -f "$config" ] || die "no kernel config $config"

ensure_kernel_source
arch=$(kernel_arch "$flavour")
cross=$(kernel_cross_compile "$flavour")
[ -z "$cross" ] || ensure_packages arm64
build=$(kernel_build_dir "$flavour")

# One build per directory: concurrent runs wait here for the first to finish.
mkdir -p "$(dirname "$build")"
exec 9>"$build.lock"
if ! flock -n 9; then
	stage "$flavour kernel: another run is building it, waiting" >&2
	flock 9
fi

if [ -f "$build/.kovan-built" ]; then
	stage "$flavour kernel: cached ($build)" >&2
	echo "$build"
	exit 0
fi

log=$KOVAN_LOGDIR/kernel-$flavour.log
stage "$flavour kernel: building $(kernel_version) with ccache into $build (about 8 min cold on 2 cores; log: $log)" >&2
mkdir -p "$build"
t0=$(date +%s)
if ! python3 "$KSRC/tools/testing/kunit/kunit.py" build \
	--arch="$arch" ${cross:+--cross_compile="$cross"} --build_dir="$build" \
	--kunitconfig="$config" --jobs="$JOBS" --make_options="CC=ccache ${cross}gcc" \
	>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "$flavour kernel build failed, see $log"
fi
touch "$build/.kovan-built"
stage "$flavour kernel: built in $(($(date +%s) - t0)) s" >&2
echo "$build"
