#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make lint: checkpatch --strict, sparse (C=2) and kernel-doc -Wall, with the
# kernel's own tools. Any report fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_kernel_source
log=$KOVAN_LOGDIR/lint.log
: >"$log"
cd "$KOVAN_ROOT"
failed=0

mapfile -t sources < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | sort)
mapfile -t headers < <(printf '%s\n' "${sources[@]}" | grep -E '^(kovan|kovan_queue)/.*\.h$' || true)

stage "lint 1/3: checkpatch --strict on ${#sources[@]} files"
if ! perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	-f "${sources[@]}" >>"$log" 2>&1; then
	grep -E ': (ERROR|WARNING|CHECK):' "$log" | head -n 30
	failed=1
fi

stage "lint 2/3: kernel-doc -Wall on ${#headers[@]} public headers"
kdoc=$(perl "$KSRC/scripts/kernel-doc" -Wall -none "${headers[@]}" 2>&1 || true)
if [ -n "$kdoc" ]; then
	printf '%s\n' "$kdoc" | tee -a "$log" | head -n 30
	failed=1
fi

stage "lint 3/3: sparse (C=2) against the x86_64 test kernel"
build=$("$KOVAN_ROOT/scripts/build-kernel.sh" x86_64 | tail -n 1)
tree=$KOVAN_CACHE/run/lint/src
rm -rf "$tree"
mkdir -p "$tree"
cp -a Kbuild kovan kovan_queue kunit "$tree"/
mflags=(C=2 CC="ccache gcc" CONFIG_KOVAN=m CONFIG_KOVAN_QUEUE=m CONFIG_KOVAN_KUNIT_TEST=m CONFIG_KOVAN_DEBUG=y)
sparse_log=$KOVAN_LOGDIR/sparse.log
if ! { make -C "$build" M="$tree" "${mflags[@]}" -j"$JOBS" modules &&
	make -C "$build" M="$tree/kunit/consumer" "${mflags[@]}" KOVAN_DIR="$tree" \
		KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" modules; } >"$sparse_log" 2>&1; then
	tail -n 20 "$sparse_log"
	failed=1
fi
cat "$sparse_log" >>"$log"
if grep -E 'warning:|error:' "$sparse_log" | sed "s|$tree/||" | head -n 30 | grep .; then
	failed=1
fi

if [ $failed -ne 0 ]; then
	stage "lint: FAILED (full log: $log)"
	exit 1
fi
stage "lint: clean (full log: $log)"
