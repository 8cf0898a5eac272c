#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make run: kovan at work, in about half a minute once the kernel is built.
# Boots the UML test kernel (one CPU, KASAN, lockdep), loads kovan.ko,
# kovan_queue.ko and the example driver (examples/lookup), drives the
# example through its debugfs file, shows its kovan domain's statistics,
# and loads examples/demo, which runs a reader stalled against SRCU and
# retire-to-free latency against call_rcu, live, and prints them as two
# short tables. The boot passes when every module loaded and unloaded and
# the kernel reported nothing (scripts/results.py, as for the suites).
# The test suites are make check's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

label=run
timeout=${KOVAN_BOOT_TIMEOUT:-300}
ensure_packages kernel boot
build=$("$KOVAN_ROOT/scripts/build-kernel.sh" uml | tail -n 1)
work=$KOVAN_CACHE/run/$label
console=$KOVAN_LOGDIR/$label.console
rm -rf "$work"
mkdir -p "$work"

stage "run: building kovan, kovan_queue, examples/lookup and examples/demo (log: $KOVAN_LOGDIR/$label.build.log)"
KOVAN_EXTERNALS="examples/lookup examples/demo" build_modules "$build" um "$work/src" \
	"$KOVAN_LOGDIR/$label.build.log" CONFIG_KOVAN_KUNIT_TEST=n

# The guest's part. "show CMD" prints CMD and what it wrote, each line
# prefixed "kovan-run:" for the host to pick out of the console.
table=/sys/kernel/debug/kovan_lookup/table
cat >"$work/plan" <<-'EOF'
	for a in cat dmesg grep sed sleep tail; do eval "$a() { \$B $a \"\$@\"; }"; done
	show() {
		echo "kovan-run: \$ $*"
		out=$(eval "$@" 2>&1)
		rc=$?
		[ -z "$out" ] || echo "$out" | sed 's/^/kovan-run:   /'
		[ $rc -eq 0 ] || echo "kovan-run:   (exit status $rc)"
	}
	load $M/kovan/kovan.ko
	load $M/kovan_queue/kovan_queue.ko
	load $M/examples/lookup/kovan_lookup.ko
	cd /sys/kernel/debug/kovan_lookup
	show "echo set 1 100 > table"
	show "echo set 2 200 > table"
	show "echo set 1 150 > table"
	show "echo get 1 > table; dmesg | grep kovan_lookup: | tail -n 1"
	show "echo del 2 > table"
	show "echo get 2 > table"
	show "echo frob 1 > table"
	show "cat table"
	cd /
	# The lookup table's is the only domain so far ("&t->domain" in kovan_lookup.c).
	sleep 1
	for f in /sys/kernel/debug/kovan/*/stats; do
		echo "kovan-stats: ${f#/sys/kernel/debug/kovan/}:" $(cat $f)
	done
	load $M/examples/demo/kovan_demo.ko
	unload kovan_demo
	unload kovan_lookup
	unload kovan_queue
	unload kovan
EOF

stage "run: booting UML (one CPU, KASAN, lockdep; limit $timeout s; console: $console)"
t0=$(date +%s)
rc=0
boot um "$build" "$work" "$console" "$timeout" 1 512M || rc=$?
secs=$(($(date +%s) - t0))
res=0
console_verdict "$label" "$console" $rc --require 'kovan-demo: end' || res=$?
if [ $res -eq 0 ]; then
	verdict="$(sed -n 's/^kovan-harness: ok insmod //p' "$console" | paste -sd ' ')"
	verdict="loaded and unloaded $verdict; no kernel report (KASAN, lockdep, WARN)"
else
	verdict="FAILED: $verdict"
fi
stage "run: boot ${secs} s, $verdict"

# Lines of the console the guest marked, without the kernel's timestamp.
console_lines() {
	sed -n "s/^\(\[ *[0-9.]*\] \)\?$1//p" "$console"
}
stage "the example driver (examples/lookup) through $table:"
console_lines 'kovan-run: ' | sed 's/^/  /'
stage "the example's kovan domain, /sys/kernel/debug/kovan/<domain>/stats:"
console_lines 'kovan-stats: ' | fold -s -w 100 | sed 's/ *$//; s/^/  /'
stage "examples/demo (kovan_demo.ko), measured in this boot:"
console_lines 'kovan-demo: ' | grep -v '^end$' | sed 's/^/  /'
stage "full console: $console"
exit $res
