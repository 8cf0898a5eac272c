#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make lint: checkpatch --strict, sparse (C=2), the compiler's W=1 warnings
# and kernel-doc -Wall, with the kernel's own tools; then that every Debian
# package a script installs comes from scripts/packages, and Documentation/
# rendered with sphinx and the kernel's kernel-doc extension (make docs).
# Any report fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_kernel_source
ensure_packages lint
log=$KOVAN_LOGDIR/lint.log
: >"$log"
cd "$KOVAN_ROOT"
failed=0

mapfile -t sources < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | sort)
# The compat headers exist to compare kernel versions; checkpatch's advice
# against LINUX_VERSION_CODE is for code merged into one kernel.
compat_headers=(include/kovan/compat.h kunit/compat.h userspace/include/linux/version.h)
# Trace event headers are laid out as include/trace/events/ is (one macro
# argument a line, TP_STRUCT__entry( and TP_fast_assign( opening blocks),
# which checkpatch's alignment checks do not model.
trace_headers=(include/trace/events/kovan.h include/trace/events/kovan_queue.h)
mapfile -t headers < <(printf '%s\n' "${sources[@]}" | grep -E '^(include|kovan|kovan_queue)/.*\.h$|^examples/.*\.c$' || true)

stage "lint 1/6: checkpatch --strict on ${#sources[@]} files"
mapfile -t plain < <(printf '%s\n' "${sources[@]}" |
	grep -vxF -f <(printf '%s\n' "${compat_headers[@]}" "${trace_headers[@]}"))
# checkpatch knows the kernel's sparse annotations by name and takes an
# unknown one for a variable ("struct foo __kovan *p" as a product): it
# reads a copy where __kovan is spelled __rcu, its counterpart, line for line.
checkpatch_tree=$KOVAN_CACHE/run/lint/checkpatch
rm -rf "$checkpatch_tree"
for f in "${sources[@]}"; do
	mkdir -p "$checkpatch_tree/$(dirname "$f")"
	sed 's/\b__kovan\b/__rcu/g' "$f" >"$checkpatch_tree/$f"
done
# Two reports are allowed, on KOVAN_INITIALIZER() only, whose form is
# RCU_INITIALIZER()'s: it names its argument twice, once inside typeof(),
# which does not evaluate it (checkpatch cannot tell that from a double
# evaluation), and checkpatch reads "typeof(*(v)) __force" as a cast
# followed by a space.
initializer=$(grep -n '^#define KOVAN_INITIALIZER(' include/kovan/kovan.h | cut -d: -f1)
allowed="^include/kovan/kovan.h:($initializer: CHECK:MACRO_ARG_REUSE: Macro argument reuse 'v'|$((initializer + 1)): CHECK:SPACING: No space is necessary after a cast)"
cd "$checkpatch_tree"
plain_log=$KOVAN_CACHE/run/lint/checkpatch.log
perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	-f "${plain[@]}" >"$plain_log" 2>&1 || true
cat "$plain_log" >>"$log"
if ! { ! grep -vE -e "$allowed" -e '^total: ' "$plain_log" | grep -q . &&
	perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "${compat_headers[@]}" &&
	perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE -f "${trace_headers[@]}"; } >>"$log" 2>&1; then
	grep -E ': (ERROR|WARNING|CHECK):' "$log" | head -n 30
	failed=1
fi
cd "$KOVAN_ROOT"

stage "lint 2/6: kernel-doc -Wall on ${#headers[@]} headers and examples"
kdoc=$(perl "$KSRC/scripts/kernel-doc" -Wall -none "${headers[@]}" 2>&1 || true)
if [ -n "$kdoc" ]; then
	printf '%s\n' "$kdoc" | tee -a "$log" | head -n 30
	failed=1
fi

stage "lint 3/6: sparse (C=2) and W=1 against the x86_64 test kernel; sparse rejects __kovan misuse"
build=$("$KOVAN_ROOT/scripts/build-kernel.sh" x86_64 | tail -n 1)
sparse_log=$KOVAN_LOGDIR/sparse.log
# build_modules fails on any warning, sparse's included.
(build_modules "$build" x86_64 "$KOVAN_CACHE/run/lint/src" "$sparse_log" C=2 W=1) || failed=1
cat "$sparse_log" >>"$log"
# ... and sparse must reject the seeded misuse of __kovan pointers: a
# report about address spaces on every line scripts/sparse-seed marks (any
# other report, a parse error in the annotation say, does not count).
seed=$KOVAN_CACHE/run/lint/sparse-seed
rm -rf "$seed"
cp -a "$KOVAN_ROOT/scripts/sparse-seed" "$seed"
make -C "$build" M="$seed" C=2 CC="ccache gcc" KOVAN_DIR="$KOVAN_ROOT" kovan_sparse_seed.o \
	>"$seed/sparse.log" 2>&1 || true
cat "$seed/sparse.log" >>"$log"
for line in $(grep -n 'sparse must flag' "$seed/kovan_sparse_seed.c" | cut -d: -f1); do
	if ! grep -qE "kovan_sparse_seed\.c:$line:[0-9]+: (warning|error): .*(address spaces|noderef)" \
		"$seed/sparse.log"; then
		echo "sparse: scripts/sparse-seed/kovan_sparse_seed.c:$line: misuse of a __kovan pointer not flagged" |
			tee -a "$log"
		failed=1
	fi
done

stage "lint 4/6: scripts/packages lists every need the scripts ask for"
# Every need a script asks for must have its packages in scripts/packages:
# ensure_packages refuses an unknown need, but only when that script runs.
needs=$(grep -hoE '^\s*(\[.*\] \|\| )?ensure_packages( [a-z0-9.-]+| "[^"]*")+' scripts/*.sh |
	sed 's/.*ensure_packages//' | tr -d '"' | tr ' ' '\n' | sed 's/\$KERNEL_SERIES/6.12/' | sort -u)
for need in $needs; do
	if [ -z "$(packages_of needs "$need")" ]; then
		echo "scripts: ensure_packages asks for '$need', which scripts/packages does not list" |
			tee -a "$log"
		failed=1
	fi
done
# ... and nothing installs a package around the list.
around=$(grep -nE 'apt-get( -[^ ]+)*( [^ ]+)* install|apt install|dpkg -i' scripts/*.sh |
	grep -vE '^scripts/(lib|lint).sh:' || true)
if [ -n "$around" ]; then
	printf '%s: installs a package outside ensure_packages (scripts/lib.sh)\n' "$around" |
		tee -a "$log"
	failed=1
fi

stage "lint 5/6: an SPDX line atop every tracked text file; every module names its author"
# The licence of every file is stated in it. Not in LICENSES/, which holds
# the texts; not in binary files (the plots); not in kunit/patches/, changes
# to the kernel under the kernel's licence, whose text keys the caches.
if git -C "$KOVAN_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	while read -r f; do
		case $f in LICENSES/* | kunit/patches/*) continue ;; esac
		grep -Iq . "$KOVAN_ROOT/$f" || continue
		head -n 3 "$KOVAN_ROOT/$f" | grep -q 'SPDX-License-Identifier: ' && continue
		echo "$f: no SPDX-License-Identifier in its first 3 lines" | tee -a "$log"
		failed=1
	done < <(git -C "$KOVAN_ROOT" ls-files)
else
	echo "not a git tree: SPDX lines not checked" | tee -a "$log"
fi
for f in $(grep -rl --include='*.c' '^MODULE_LICENSE(' "$KOVAN_ROOT"); do
	for tag in MODULE_AUTHOR MODULE_DESCRIPTION; do
		grep -q "^$tag(" "$f" && continue
		echo "${f#"$KOVAN_ROOT"/}: a module without $tag" | tee -a "$log"
		failed=1
	done
done

stage "lint 6/6: Documentation/ renders with sphinx -W, no sphinx or kernel-doc warning"
# The lint's own output directory: make docs's HTML stays as it was.
if ! KOVAN_DOCS_OUT=$KOVAN_CACHE/run/lint/docs "$KOVAN_ROOT/scripts/docs.sh"; then
	failed=1
fi
cat "$KOVAN_LOGDIR/docs.log" >>"$log"

if [ $failed -ne 0 ]; then
	stage "lint: FAILED (full log: $log)"
	exit 1
fi
stage "lint: clean (full log: $log)"
