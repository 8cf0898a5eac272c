#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make bench: boot the UML benchmark kernel (no debug options), run
# bench/kovan_bench.ko, and write a Markdown report of kovan next to its
# in-kernel anchors measured in the same boot.
# Report: $KOVAN_LOGDIR/bench-uml.md (printed at the end).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=uml-bench
runs=${KOVAN_BENCH_RUNS:-5}
kovan_params=${KOVAN_BENCH_PARAMS:-}	# e.g. "flush_us=100 batch=32"

build=$("$KOVAN_ROOT/scripts/build-kernel.sh" "$flavour" | tail -n 1)
work=$KOVAN_CACHE/run/bench-uml
console=$KOVAN_LOGDIR/bench-uml.console
report=$KOVAN_LOGDIR/bench-uml.md
rm -rf "$work"
mkdir -p "$work"

stage "bench: building kovan and the benchmark module against $flavour"
build_modules "$build" um "$work/src" "$KOVAN_LOGDIR/bench-uml.build.log" CONFIG_KOVAN_KUNIT_TEST=n

cat >"$work/init" <<EOF
#!/bin/busybox sh
B=/bin/busybox
\$B mount -t proc proc /proc
\$B insmod $work/src/kovan/kovan.ko $kovan_params
\$B insmod $work/src/bench/kovan_bench.ko runs=$runs
\$B rmmod kovan
\$B poweroff -f
EOF
chmod +x "$work/init"
stage "bench: booting UML, $runs runs of each scenario (about a minute; console: $console)"
timeout -k 5 "${KOVAN_BOOT_TIMEOUT:-900}" "$build/linux" mem=512M root=/dev/root \
	rootfstype=hostfs rootflags=/ rw init="$work/init" </dev/null >"$console" 2>&1 ||
	die "benchmark boot failed or timed out, see $console"
grep -q 'kovan-bench: end' "$console" || die "benchmark did not finish, see $console"

python3 - "$console" "$report" "$(kernel_version)" "${kovan_params:-defaults}" <<'EOF'
import re, statistics, sys
console, report, version, params = sys.argv[1:5]
cost, latency = {}, {}
for line in open(console, errors='replace'):
    m = re.search(r'kovan-bench: cost (\S+) \d+ ([\d.]+)', line)
    if m:
        cost.setdefault(m.group(1), []).append(float(m.group(2)))
    m = re.search(r'kovan-bench: latency (\S+) (\d+) (\d+) (\d+)', line)
    if m:
        latency[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))

def fmt(name):
    v = cost[name]
    return f'{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})'

rows = [
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'srcu_read_lock+deref+unlock'),
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'rcu_read_lock+deref+unlock'),
    ('pin+load+unpin, robust', 'kovan_pin+load+unpin(robust)', 'srcu_read_lock+deref+unlock'),
    ('retire call', 'kovan_retire', 'call_rcu'),
    ('retire call, robust', 'kovan_retire(robust)', 'call_rcu'),
]
out = [f'# kovan micro-benchmarks, UML {version}, one CPU, no debug options', '',
       f'kovan.ko parameters: {params}', '',
       'ns per operation, median (min-max) of the runs; ratio = kovan / anchor '
       '(below 1: kovan is cheaper). UML runs natively but without SMP: smp_mb() is a',
       'compiler barrier and atomics have no LOCK prefix, so this shows path length,',
       'not the cost of atomics on real cores.', '',
       '| scenario | kovan | anchor | anchor ns | ratio |', '|---|---|---|---|---|']
for title, mine, anchor in rows:
    if mine in cost and anchor in cost:
        ratio = statistics.median(cost[mine]) / statistics.median(cost[anchor])
        out.append(f'| {title} | {fmt(mine)} | {anchor} | {fmt(anchor)} | {ratio:.2f} |')
out += ['', 'Retire-to-free latency, one object every 10-20 us, ns:', '',
        '| retire | p50 | p99 | samples | p50 vs call_rcu |', '|---|---|---|---|---|']
base = latency.get('call_rcu')
for name, (p50, p99, n) in latency.items():
    speedup = f'{base[0] / p50:.0f}x shorter' if base and name != 'call_rcu' else ''
    out.append(f'| {name} | {p50} | {p99} | {n} | {speedup} |')
open(report, 'w').write('\n'.join(out) + '\n')
print('\n'.join(out))
EOF
stage "bench: report written to $report"
