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
ko=$work/src
table=/sys/kernel/debug/kovan_lookup/table
{
	init_preamble
	cat <<-'EOF'
	for a in cat dmesg grep sed sleep tail; do eval "$a() { \$B $a \"\$@\"; }"; done
	show() {
		echo "kovan-run: \$ $*"
		out=$(eval "$@" 2>&1)
		rc=$?
		[ -z "$out" ] || echo "$out" | sed 's/^/kovan-run:   /'
		[ $rc -eq 0 ] || echo "kovan-run:   (exit status $rc)"
	}
	EOF
	echo "load $ko/kovan/kovan.ko"
	echo "load $ko/kovan_queue/kovan_queue.ko"
	echo "load $ko/examples/lookup/kovan_lookup.ko"
	echo "cd ${table%/*}"
	echo 'show "echo set 1 100 > table"'
	echo 'show "echo set 2 200 > table"'
	echo 'show "echo set 1 150 > table"'
	echo 'show "echo get 1 > table; dmesg | grep kovan_lookup: | tail -n 1"'
	echo 'show "echo del 2 > table"'
	echo 'show "echo get 2 > table"'
	echo 'show "echo frob 1 > table"'
	echo 'show "cat table"'
	echo 'cd /'
	# The lookup table's is the only domain so far ("&t->domain" in kovan_lookup.c).
	echo 'sleep 1'
	echo 'for f in /sys/kernel/debug/kovan/*/stats; do' \
		'echo "kovan-stats: ${f#/sys/kernel/debug/kovan/}:" $(cat $f); done'
	echo "load $ko/examples/demo/kovan_demo.ko"
	echo 'unload kovan_demo'
	echo 'unload kovan_lookup'
	echo 'unload kovan_queue'
	echo 'unload kovan'
	echo 'echo; echo KOVAN-TESTS-END'
	echo '$B poweroff -f'
} >"$work/init"
chmod +x "$work/init"

stage "run: booting UML (one CPU, KASAN, lockdep; limit $timeout s; console: $console)"
t0=$(date +%s)
rc=0
boot_uml "$build" "$work/init" "$console" "$timeout" || rc=$?
secs=$(($(date +%s) - t0))
timed_out=()
[ $rc -eq 124 ] || [ $rc -eq 137 ] && timed_out=(--timed-out)
res=0
summary=$(python3 "$KOVAN_ROOT/scripts/results.py" --log "$console" \
	--kunit "$KSRC/tools/testing/kunit/kunit.py" --label "$label" --json "$KOVAN_LOGDIR/$label.json" \
	--require 'kovan-demo: end' "${timed_out[@]}") || res=$?
printf '%s\n' "$summary" | sed '$d'
if [ $res -eq 0 ]; then
	verdict="$(sed -n 's/^kovan-harness: ok insmod //p' "$console" | paste -sd ' ')"
	verdict="loaded and unloaded $verdict; no kernel report (KASAN, lockdep, WARN)"
else
	verdict="FAILED: $(printf '%s\n' "$summary" | tail -n 1 | sed "s/^$label: //")"
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
