#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make bench: boot the UML benchmark kernel (no debug options) and run
# bench/kovan_bench.ko, bench/kovan_hash_bench.ko and
# bench/kovan_disruptor_bench.ko; then boot the x86_64 benchmark kernel under
# QEMU TCG with each vCPU count of KOVAN_BENCH_SMP and run those and
# bench/kovan_queue_bench.ko. Writes a Markdown report of kovan next to its
# in-kernel anchors, each ratio measured within one boot, and PNG plots.
# Report: $KOVAN_LOGDIR/bench.md, plots $KOVAN_LOGDIR/bench-*.png (make run
# shows the report's headline table).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${KOVAN_BENCH_RUNS:-5}
kovan_params=${KOVAN_BENCH_PARAMS:-}	# e.g. "flush_us=100 batch=32"
smp_list=${KOVAN_BENCH_SMP:-2 4}
queue_ms=${KOVAN_BENCH_QUEUE_MS:-300}	# length of one queue measurement
dis_ms=${KOVAN_BENCH_DISRUPTOR_MS:-200}	# length of one Disruptor measurement
hash_ms=${KOVAN_BENCH_HASH_MS:-200}	# length of one hash table measurement
timeout=${KOVAN_BOOT_TIMEOUT:-900}
report=$KOVAN_LOGDIR/bench.md
# The benchmark kernels have no DEBUG_KERNEL, so no torture framework
# (kernel/torture.c) for torture/ to link against; nothing here runs it.
KOVAN_EXTERNALS="examples/lookup bench"

ensure_packages kernel boot plots

# The plan of every boot; $1: also the queue benchmark (QEMU).
bench_plan() {
	echo "load \$M/kovan/kovan.ko $kovan_params"
	echo "load \$M/bench/kovan_bench.ko runs=$runs && unload kovan_bench"
	echo "load \$M/bench/kovan_hash_bench.ko runs=$runs ms=$hash_ms && unload kovan_hash_bench"
	echo 'load $M/kovan_queue/kovan_queue.ko'
	[ -z "${1:-}" ] ||
		echo "load \$M/bench/kovan_queue_bench.ko runs=$runs ms=$queue_ms && unload kovan_queue_bench"
	echo "load \$M/bench/kovan_disruptor_bench.ko runs=$runs ms=$dis_ms && unload kovan_disruptor_bench"
	echo 'unload kovan_queue'
	echo 'unload kovan'
}

# bench_boot ARCH BUILD WORK LABEL SMP MEM END-MARKER...: one boot, judged by
# results.py: a kernel report makes the numbers of that boot meaningless.
bench_boot() {
	local arch=$1 build=$2 work=$3 label=$4 smp=$5 mem=$6 rc=0 m required=()
	shift 6
	for m in "$@"; do
		required+=(--require "$m")
	done
	boot "$arch" "$build" "$work" "$KOVAN_LOGDIR/$label.console" "$timeout" "$smp" "$mem" || rc=$?
	console_verdict "$label" "$KOVAN_LOGDIR/$label.console" $rc "${required[@]}" ||
		die "benchmark boot $label: $verdict, see $KOVAN_LOGDIR/$label.console"
}

# UML: one CPU, native speed, path lengths.
uml_build=$("$KOVAN_ROOT/scripts/build-kernel.sh" uml-bench | tail -n 1)
uml_work=$KOVAN_CACHE/run/bench-uml
uml_console=$KOVAN_LOGDIR/bench-uml.console
rm -rf "$uml_work"
mkdir -p "$uml_work"
stage "bench: building kovan and the benchmark modules against uml-bench"
build_modules "$uml_build" um "$uml_work/src" "$KOVAN_LOGDIR/bench-uml.build.log" \
	CONFIG_KOVAN_KUNIT_TEST=n CONFIG_KOVAN_DEBUG=n
bench_plan >"$uml_work/plan"
stage "bench: booting UML, $runs runs of each reclamation, hash table and Disruptor scenario (about 2 minutes; console: $uml_console)"
bench_boot um "$uml_build" "$uml_work" bench-uml 1 512M \
	'kovan-bench: end' 'kovan-hash-bench: end' 'kovan-disruptor-bench: end'

# QEMU x86_64: real parallel vCPUs with emulated costs, ratios only.
x86_build=$("$KOVAN_ROOT/scripts/build-kernel.sh" x86_64-bench | tail -n 1)
x86_work=$KOVAN_CACHE/run/bench-x86_64
rm -rf "$x86_work"
mkdir -p "$x86_work"
stage "bench: building kovan and the benchmark modules against x86_64-bench"
build_modules "$x86_build" x86_64 "$x86_work/src" "$KOVAN_LOGDIR/bench-x86_64.build.log" \
	CONFIG_KOVAN_KUNIT_TEST=n CONFIG_KOVAN_DEBUG=n
bench_plan queue >"$x86_work/plan"
qemu_args=()
for smp in $smp_list; do
	console=$KOVAN_LOGDIR/bench-x86_64-smp$smp.console
	stage "bench: booting QEMU TCG -smp $smp, $runs runs of each scenario (3-4 minutes; console: $console)"
	bench_boot x86_64 "$x86_build" "$x86_work" "bench-x86_64-smp$smp" "$smp" 1G 'kovan-bench: end' \
		'kovan-hash-bench: end' 'kovan-queue-bench: end' 'kovan-disruptor-bench: end'
	qemu_args+=(--qemu "$smp:$console")
done

stage "bench: writing the report and plots"
# Debian's python3, where python3-matplotlib is installed.
/usr/bin/python3 "$KOVAN_ROOT/scripts/bench_report.py" kernel --out "$report" --version "$(kernel_version)" \
	--params "${kovan_params:-defaults}" --host-cpus "$(nproc)" --uml "$uml_console" \
	--configs "uml-bench:${uml_build##*/} x86_64-bench:${x86_build##*/}" \
	--commit "$(git -C "$KOVAN_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	--qemu-version "$(qemu-system-x86_64 --version | head -n 1)" \
	"${qemu_args[@]}"
stage "bench: report written to $report, plots $KOVAN_LOGDIR/bench-*.png"
