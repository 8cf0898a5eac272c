#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Compile kovan against a kernel it is not tested on, with W=1: kovan.ko,
# kovan_queue.ko (with fault injection and debug checks), the KUnit suites
# (through kunit/compat.h), the torture modules, the consumer test and the
# example, which build the way a driver does. Any compiler warning fails.
#
#   compat.sh            the 6.1 LTS kernel (Debian's linux-source-6.1)
#   compat.sh --sim-6.15 6.15 simulated: the 6.12 tree with
#                        kunit/patches/sim-6.15/*.patch (version 6.15.0,
#                        symbol namespaces as string literals, and
#                        hrtimer_setup() instead of hrtimer_init()), for
#                        the kernels after 6.12 that no package here carries
#
# Against a tree of external_tree (lib.sh; make check-6.1 boots 6.1). Not
# built: the benchmarks (lwq is 6.9, kvfree_rcu_barrier 6.12).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The sim-6.15 source: links to the 6.12 tree, patched files copied first
# (the links lead into the 6.12 tree, which must stay as it is).
sim_source() {
	local f p copies=(Makefile)
	stage "compat: $name source: links to $base, ${#patches[@]} patch(es) applied to copies"
	rm -rf "$src"
	cp -as "$base" "$src"
	rm -f "$src"/.kovan-unpacked*
	mapfile -t -O 1 copies < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "${patches[@]}")
	for f in "${copies[@]}"; do
		cp --remove-destination "$base/$f" "$src/$f" || die "cannot copy $f from $base"
	done
	sed -i 's/^PATCHLEVEL = .*/PATCHLEVEL = 15/; s/^SUBLEVEL = .*/SUBLEVEL = 0/' "$src/Makefile"
	for p in "${patches[@]}"; do
		patch -d "$src" -p1 -s <"$p" || die "$p does not apply to $base"
	done
}

if [ "${1:-}" = --sim-6.15 ]; then
	name=sim-6.15
	ensure_kernel_source
	base=$KOVAN_CACHE/src/linux-source-$KERNEL_SERIES
	src=$KOVAN_CACHE/src/linux-$name
	patches=("$KOVAN_ROOT/kunit/patches/$name"/*.patch)
	# Keyed by the patches and by the base tree: its version and the
	# marker naming the patches it was unpacked with.
	key=.kovan-$name-$( (cat "${patches[@]}"; make -s -C "$base" kernelversion
		printf '%s\n' "$base"/.kovan-unpacked*) | sha256sum | cut -c1-12)
	locked_unpack "$src" "$key" sim_source
else
	name=6.1
	src=$KOVAN_CACHE/src/linux-source-6.1
	ensure_packages kernel source-6.1
	unpack_kernel_source 6.1
	key=
fi
build=$(external_tree "compat-$name" "$src" x86_64 ${key:+"$key"})
version=$(make -s -C "$src" kernelversion)
stage "compat: building kovan, kovan_queue, kunit/, torture/, examples/ against $version ($name) with W=1"
KOVAN_EXTERNALS="torture kunit/consumer examples/lookup examples/demo" build_modules "$build" x86_64 \
	"$KOVAN_CACHE/run/compat-$name/src" "$KOVAN_LOGDIR/compat-$name.build.log" \
	W=1 KBUILD_MODPOST_WARN=1
# The namespaces as modpost reads them: every export in KOVAN, every
# module that imports one imports KOVAN. EXPORT_TRACEPOINT_SYMBOL_GPL()
# has no namespace form: kovan's tracepoints are exported plainly, as the
# kernel's own are.
tree=$KOVAN_CACHE/run/compat-$name/src
bad=$(awk -F '\t' '$5 != "KOVAN" && $2 !~ /^(__tracepoint_|__traceiter_|__SC[KT]__tp_func_)kovan_/ {
	print $2 " in \"" $5 "\"" }' "$tree/Module.symvers")
[ -z "$bad" ] || die "exported outside namespace KOVAN on $version: $bad"
while read -r ko; do
	ns=$(modinfo -F import_ns "$ko")
	[ -z "$ns" ] || [ "$ns" = KOVAN ] || die "${ko#"$tree"/} imports namespace '$ns' on $version"
done < <(find "$tree" -name '*.ko')
stage "compat: $version ($name) builds warning-free, exports and imports in namespace KOVAN"
