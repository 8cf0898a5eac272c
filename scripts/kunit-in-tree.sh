#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check-in-tree: the KUnit suites built into a kernel, the way a kernel
# developer runs a subsystem's tests. A tree of hard links to the cached
# kernel source gets kovan through scripts/in-tree.sh, and the kernel's
# kunit.py builds and runs it with kovan's .kunitconfig:
#
#   kunit-in-tree.sh [--arch um|x86_64] [--label NAME]
#
# um (the default) runs on UML, one CPU; x86_64 on QEMU TCG with
# CONFIG_SMP and 2 vCPUs. The console (kunit.py's test.log) is judged by
# results.py like every other boot, and kunit.py's own verdict counts as
# one more result. Runs sharing the tree take turns.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=um label=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	*) die "usage: $0 [--arch um|x86_64] [--label NAME]" ;;
	esac
done
case $arch in
# kunit.py's UML defaults add virtio PCI, which warns at boot without a
# device; the harness would count that as a kernel report.
um) extra_args=(--kconfig_add=CONFIG_UML_PCI_OVER_VIRTIO=n) ;;
# kunit.py's x86_64 kernel is uniprocessor unless told.
x86_64) extra_args=(--kconfig_add=CONFIG_SMP=y --qemu_args='-smp 2') ;;
*) die "--arch: um or x86_64, not $arch" ;;
esac
label=${label:-in-tree-$arch}
log=$KOVAN_LOGDIR/$label.log
: >"$log"

ensure_packages kernel boot
ensure_kernel_source
t0=$(date +%s)

tree=$KOVAN_CACHE/src/in-tree-$KERNEL_SERIES
exec 9>"$tree.lock"
if ! flock -n 9; then
	stage "in-tree: another run uses $tree, waiting"
	flock 9
fi
# The tree is the cached source's links: rebuilt when that was unpacked
# again (its marker is then another file), copied aside first so that an
# interrupted copy is never taken for a tree.
marker=$(cd "$KSRC" && ls -d .kovan-unpacked*)
if ! [ "$tree/$marker" -ef "$KSRC/$marker" ]; then
	stage "in-tree: hard links to $KSRC in $tree"
	rm -rf "$tree" "$tree.new"
	cp -al "$KSRC" "$tree.new"
	mv "$tree.new" "$tree"
fi
"$KOVAN_ROOT/scripts/in-tree.sh" "$tree" >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }

# Keyed like the test kernels' build directories: what kbuild's time stamps
# cannot see (a source unpacked again keeps the tarball's) gets a new one.
key=$(printf '%s\n' "$marker" "$(kernel_version)" "$(gcc --version | head -n 1)" |
	sha256sum | cut -c1-12)
build=$KOVAN_CACHE/build/in-tree-$arch-$KERNEL_SERIES-$key
stage "in-tree: kunit.py run --kunitconfig=lib/kovan --arch=$arch ${extra_args[*]}" \
	"(build $build; cold, minutes; log: $log)"
rm -f "$build/test.log"
rc=0
python3 "$tree/tools/testing/kunit/kunit.py" run --kunitconfig="$tree/lib/kovan" \
	--arch="$arch" --build_dir="$build" --jobs="$JOBS" --make_options="CC=ccache gcc" \
	--timeout=1200 "${extra_args[@]}" >>"$log" 2>&1 || rc=$?
stage "in-tree: kunit.py exited $rc after $(($(date +%s) - t0)) s"

# The suites of the modules kunit/Kbuild builds, as kunit/SUITES lists them.
expect=()
for m in $(sed -n 's/^obj-$(CONFIG_KOVAN_KUNIT_TEST) += //p' "$KOVAN_ROOT/kunit/Kbuild"); do
	suites=$(awk -v m="${m%.o}" '$1 == m { print $2 }' "$KOVAN_ROOT/kunit/SUITES")
	[ -n "$suites" ] || die "kunit/SUITES has no line for ${m%.o}, which kunit/Kbuild builds"
	expect+=("$suites")
done
[ ${#expect[@]} -gt 0 ] || die "no test modules found in kunit/Kbuild"
# kunit.py reports its time limit on its output, not in its exit status.
timed_out=()
! grep -q 'timed out after' "$log" || timed_out=(--timed-out)
console=$build/test.log
[ -f "$console" ] || : >"$console"
python3 "$KOVAN_ROOT/scripts/results.py" --log "$console" --whole-console "${timed_out[@]}" \
	--kunit "$tree/tools/testing/kunit/kunit.py" --label "$label" \
	--expect "$(IFS=,; echo "${expect[*]}")" --step "kunit.py run=$rc" \
	--json "$KOVAN_LOGDIR/$label.json"
