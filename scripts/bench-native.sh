#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make bench-native: kovan (the core compiled unchanged against the
# userspace shim, native -O2, without CONFIG_KOVAN_DEBUG) on the machine's
# real cores, next to userspace anchors from Debian packages: liburcu
# (urcu-memb, urcu-qsbr, call_rcu), Concurrency Kit (ck_epoch, ck_ring),
# lock-based baselines, and crossbeam (epoch, ArrayQueue, SegQueue; built
# offline from Debian's librust-crossbeam-*-dev). Scenarios: pin+load+unpin
# with a writer replacing the object, retire throughput (and until all is
# freed), a 90%-read hash table, MPMC queue throughput; threads 1, nproc
# and 2x nproc; and the Disruptor (1P1C, 1P3C pipeline, diamond; producer
# batch 1 and 64; throughput and per-hop latency) against a crossbeam
# ArrayQueue chain, at its topology's threads. KOVAN_BENCH_RUNS (5)
# interleaved runs of KOVAN_BENCH_NATIVE_SECS (0.5) per measurement; median
# (min-max) and per-run ratios kovan/anchor, the headline judged against
# doc/targets.md.
# Exits non-zero when a correctness check fails, never for a target. See
# userspace/bench/README.
#
# Report: $KOVAN_LOGDIR/bench-native.md, plots $KOVAN_LOGDIR/bench-native-*.png;
# raw lines $KOVAN_LOGDIR/bench-native.log; builds in $KOVAN_CACHE/bench-native.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${KOVAN_BENCH_RUNS:-5}
secs=${KOVAN_BENCH_NATIVE_SECS:-0.5}
ncpu=$(nproc)
threads=${KOVAN_BENCH_NATIVE_THREADS:-$(printf '%s\n' 1 "$ncpu" $((2 * ncpu)) | sort -nu | xargs)}
work=$KOVAN_CACHE/bench-native
raw=$KOVAN_LOGDIR/bench-native.log
buildlog=$KOVAN_LOGDIR/bench-native-build.log
report=$KOVAN_LOGDIR/bench-native.md
bench=$KOVAN_ROOT/userspace/bench
# Debian's toolchain, not one a user installed in front of it in PATH.
cargo=/usr/bin/cargo
rustc=/usr/bin/rustc

ensure_packages userspace bench-native plots
mkdir -p "$work"
: >"$buildlog"

t0=$(date +%s)
build_bench_native "$work" "$buildlog"
stage "bench-native 1/3: libkovan.a and bench_native built, $(($(date +%s) - t0)) s (log: $buildlog)"

# crossbeam in a copy under the cache (cargo writes Cargo.lock and target/
# next to the manifest), its crates-io replaced by Debian's registry.
t0=$(date +%s)
cb=$work/crossbeam
mkdir -p "$cb/.cargo" "$cb/src"
cp "$bench/crossbeam/Cargo.toml" "$cb/"
cp "$bench/crossbeam/src/main.rs" "$cb/src/"
cat >"$cb/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"
TOML
cbbin=$cb/target/release/bench-crossbeam
if (cd "$cb" && CARGO_HOME=$work/cargo-home RUSTC=$rustc "$cargo" build --release --offline) \
	>>"$buildlog" 2>&1; then
	stage "bench-native 2/3: crossbeam peer built offline with $("$rustc" --version), $(($(date +%s) - t0)) s"
else
	cbbin=
	stage "bench-native 2/3: crossbeam peer did NOT build, its rows are left out (log: $buildlog)"
fi

# measure PROGRAM ARGS...: one invocation, its lines appended to the raw
# log; a hang (a lost queue item keeps a consumer waiting) is killed.
measure() {
	local rc=0
	timeout --signal=KILL 300 "$@" >>"$raw" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "error: $* exited with $rc" >>"$raw"
		failed=1
	fi
}

t0=$(date +%s)
failed=0
: >"$raw"
stage "bench-native 3/3: $runs interleaved runs, threads $threads, ${secs} s per measurement (raw: $raw)"
for run in $(seq 1 "$runs"); do
	t1=$(date +%s)
	echo "run $run" >>"$raw"
	for scenario in read retire hash queue; do
		for t in $threads; do
			measure "$work/bin/bench_native" -S "$scenario" -t "$t" -s "$secs"
			if [ -n "$cbbin" ]; then
				measure "$cbbin" -S "$scenario" -t "$t" -s "$secs"
			fi
		done
	done
	# The topology sets the Disruptor's threads.
	for topology in 1p1c 1p3c diamond; do
		for batch in 1 64; do
			measure "$work/bin/bench_native" -S "disruptor-$topology-b$batch" -s "$secs"
			if [ -n "$cbbin" ]; then
				measure "$cbbin" -S "disruptor-$topology-b$batch" -s "$secs"
			fi
		done
	done
	stage "bench-native: run $run/$runs done, $(($(date +%s) - t1)) s"
done

/usr/bin/python3 "$KOVAN_ROOT/scripts/bench_report.py" native --log "$raw" --out "$report" --runs "$runs" --secs "$secs" \
	--commit "$(git -C "$KOVAN_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	--rustc "$([ -n "$cbbin" ] && "$rustc" --version || echo 'crossbeam not built')"
stage "bench-native: report written to $report, plots $KOVAN_LOGDIR/bench-native-*.png, $(($(date +%s) - t0)) s"
if [ $failed -ne 0 ] || grep -q '^error' "$raw"; then
	grep '^error' "$raw" >&2 || true
	die "bench-native: a correctness check failed or a benchmark did not finish, see $raw"
fi
