#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Prove the harness reports each kind of failure: boot with a deliberate
# failure and require that the run fails, for the right reason.
# Usage: selftest.sh [FLAVOUR:MODE ...]   (default: every KUnit mode on UML,
#        "fail" on QEMU, and the torture module's deliberate bugs)
# A FLAVOUR torture-<kernel flavour> runs scripts/torture-boot.sh for a few
# seconds with that bug injected (kovan_torture.c's inject parameter).
# Writes $KOVAN_LOGDIR/selftest.json with one pass/fail entry per mode.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# mode -> text that must appear among the run's failures
declare -A reason=(
	[fail]='kovan_harness.selftest_fail: FAIL'
	[warn]='console: .* WARNING:'
	[kasan]='console: .* KASAN'
	[hang]='boot: timed out'
	[insmod]='harness: insmod kovan_harness_kunit.ko rc='
	[missing]='suite kovan: expected but did not report'
	[expect]='expected report: .* did not appear'
	[poweroff]='boot: test region not closed by KOVAN-TESTS-END'
	[ktap]='ktap: document [0-9]+: '
	[later]='kovan_harness.selftest_later: FAIL'
	[oops]='console: .*(Oops|BUG: kernel NULL pointer dereference)'
	[panic]='console: .*Kernel panic'
	[lockdep]='console: .*possible circular locking dependency'
	[rmmod]='harness: rmmod kovan_harness_kunit rc='
	[lose]='torture: ArrayQueue delivered every item once'
	[early_free]='torture: (readers never found a freed object|no object was freed while)|KASAN'
	[stall]='torture: no thread went stall_timeout without progress'
	[race]='console: .*KCSAN: data-race in tort_reader \[kovan_torture\]'
)
rm -f "$KOVAN_LOGDIR/selftest.json"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(uml:fail uml:warn uml:kasan uml:hang uml:insmod uml:missing uml:expect
	uml:poweroff uml:ktap uml:later uml:panic uml:lockdep uml:rmmod x86_64:fail x86_64:oops
	torture-uml:lose torture-uml:early_free torture-uml:stall torture-x86_64:race)

# One deliberate failure: boot, then check it was reported for the right
# reason. Leaves "ok" or the complaint in $verdicts/<label>.
selftest_one() {
	local flavour=${1%%:*} mode=${1#*:} label out rc json started
	label=selftest-$flavour-$mode
	out=$KOVAN_LOGDIR/$label.out
	json=$KOVAN_LOGDIR/$label.json
	# A result left by an earlier run must not count for this one.
	rm -f "$json"
	started=$(mktemp "$KOVAN_LOGDIR/.$label.started.XXXXXX")
	case $flavour in
	torture-*)
		# A use after free may leave the kernel hung: do not wait long.
		KOVAN_BOOT_TIMEOUT=90 "$KOVAN_ROOT/scripts/torture-boot.sh" --secs 6 --smp 2 \
			--selftest "$mode" --label "$label" "${flavour#torture-}" >"$out" 2>&1
		;;
	*)
		KOVAN_HANG_TIMEOUT=20 "$KOVAN_ROOT/scripts/run-tests.sh" --selftest "$mode" \
			--label "$label" "$flavour" >"$out" 2>&1
		;;
	esac
	rc=$?
	if [ ! "$json" -nt "$started" ]; then
		echo "$label: the run wrote no results (rc $rc, see $out)" >"$verdicts/$label"
		stage "harness self-test $flavour $mode: NO RESULTS (rc $rc, see $out)"
	elif [ $rc -ne 0 ] && python3 - "$json" "${reason[$mode]}" <<-'EOF'
		import json, re, sys
		failures = json.load(open(sys.argv[1]))['failed']
		sys.exit(0 if any(re.search(sys.argv[2], f) for f in failures) else 1)
	EOF
	then
		echo ok >"$verdicts/$label"
		stage "harness self-test $flavour $mode: detected ($(grep -c '^  FAIL' "$out") failure line(s))"
	else
		echo "$label: the harness did not report '${reason[$mode]}' (rc $rc, see $out)" \
			>"$verdicts/$label"
		stage "harness self-test $flavour $mode: NOT DETECTED (rc $rc, see $out)"
	fi
	rm -f "$started"
}

# Two boots at a time: each is mostly one CPU (UML) or leaves one idle.
jobs_max=${KOVAN_SELFTEST_JOBS:-2}
verdicts=$(mktemp -d)
trap 'rm -rf "$verdicts"' EXIT
for run in "${runs[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n
	done
	selftest_one "$run" &
done
wait

passed=() failed=()
for run in "${runs[@]}"; do
	label=selftest-${run%%:*}-${run#*:}
	verdict=$(cat "$verdicts/$label" 2>/dev/null || echo "$label: no verdict")
	if [ "$verdict" = ok ]; then
		passed+=("$label")
	else
		failed+=("$verdict")
	fi
done

python3 - "$KOVAN_LOGDIR/selftest.json" "${#passed[@]}" "${passed[@]}" "${failed[@]}" <<'EOF'
import json, sys
n = int(sys.argv[2])
items = sys.argv[3:]
json.dump({'label': 'harness-selftest', 'passed': items[:n], 'failed': items[n:],
           'skipped': [], 'reports': []}, open(sys.argv[1], 'w'), indent=1)
EOF
[ ${#failed[@]} -eq 0 ]
