#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check-userspace: kovan/ and kovan_queue/ compiled unchanged in
# userspace against userspace/include (the shim of the kernel APIs), then:
# the shim's memory-order table checked against what GCC compiles, and the
# stress tests run natively (-O2), under ThreadSanitizer (-O1), and under
# ThreadSanitizer in the shim's hunting mode (marked writes relaxed, see
# userspace/include/shim/atomic.h). TSan must report nothing but the known
# kovan findings listed in userspace/tsan.supp.
#
#   scripts/userspace.sh              the check (KOVAN_US_SECS=2 per test,
#                                     KOVAN_US_CPUS=4 emulated CPUs)
#   scripts/userspace.sh --selftest   proves the checks can fail: seeded
#                                     bugs in a copy of the core, a
#                                     deliberate race, a weakened shim,
#                                     and bench_native -F (make
#                                     bench-native's correctness checks)
#
# Logs: $KOVAN_LOGDIR/userspace*.log; builds in $KOVAN_CACHE/userspace/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=check
case "${1:-}" in
"") ;;
--selftest) mode=selftest ;;
*) die "usage: $0 [--selftest]" ;;
esac

secs=${KOVAN_US_SECS:-2}
cpus=${KOVAN_US_CPUS:-4}
us=$KOVAN_ROOT/userspace
work=$KOVAN_CACHE/userspace
supp=$us/tsan.supp
[ "${KOVAN_US_NO_SUPPRESS:-0}" = 1 ] && supp=/dev/null
passed=0
failed=0

ensure_packages userspace
[ $mode = check ] || ensure_packages anchors-c
mkdir -p "$work"

pass() {
	passed=$((passed + 1))
	stage "$*"
}

fail() {
	failed=$((failed + 1))
	stage "$*"
}

# Builds: name|make MODE|extra CFLAGS|tests. tsan-c11 is the hunting mode
# of include/shim/atomic.h (marked writes relaxed): it also reports the
# LKMM-valid orderings the Disruptor relies on, so its test is left out.
flavours=(
	"native|native||kovan_stress kovan_edges queue_stress disruptor_stress shim_cpus"
	"tsan|tsan||kovan_stress kovan_edges queue_stress disruptor_stress shim_cpus"
	"tsan-c11|tsan|-DUS_C11_RELAXED|kovan_stress queue_stress"
)

# build FLAVOUR SRC OUT LOG: the library and the tests from the core in SRC.
build() {
	local name mode extra tests src=$2 out=$3 log=$4
	IFS='|' read -r name mode extra tests <<<"$(printf '%s\n' "${flavours[@]}" | grep "^$1|")"
	if ! make -C "$us" -j"$JOBS" MODE="$mode" EXTRA_CFLAGS="$extra" SRC="$src" O="$out" \
		>"$log" 2>&1; then
		grep -E 'error' "$log" | head -n 20 >&2 || true
		return 1
	fi
}

# run_test BIN LOG ARGS...: runs one test, output appended to LOG. Sets
# $verdict to "ok" or to what reported the failure.
run_test() {
	local bin=$1 log=$2 rc=0 report
	oks=0
	suppressed=""
	shift 2
	printf '\n$ %s %s\n' "$bin" "$*" >>"$log"
	# A subshell, so that the shell's own "Segmentation fault" goes to the log.
	(TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 print_suppressions=1 suppressions=$supp" \
		"$bin" "$@"
		exit $?) >"$log.out" 2>&1 || rc=$?
	cat "$log.out" >>"$log"
	oks=$(grep -c '^ok' "$log.out" || true)
	suppressed=$(sed -n 's/^ *\([0-9]*\) race:\(.*\)$/\2 x\1/p' "$log.out" | tr '\n' ' ')
	[ -z "$suppressed" ] || suppressed=" (suppressed, known: ${suppressed% })"
	# The report's kind and the function of its first frame.
	report=$(awk '/(WARNING|ERROR): ThreadSanitizer: / && !kind { kind = $0;
			sub(/.*ThreadSanitizer: /, "", kind); sub(/ (\(pid=|on ).*/, "", kind) }
		kind && /^ +#0 / { print kind " in " $2; exit }' "$log.out")
	if grep -q '^not ok - watchdog' "$log.out"; then
		verdict="not ok - watchdog: the test hung"	# TSan then reports the threads left
	elif [ -n "$report" ]; then
		verdict="TSan: $report"
	elif grep -q '^not ok' "$log.out"; then
		verdict="$(grep -m1 '^not ok' "$log.out")"
	elif [ $rc -gt 128 ]; then
		verdict="killed by signal $((rc - 128))"
	elif [ $rc -ne 0 ]; then
		verdict="exit code $rc"
	else
		verdict=ok
	fi
	rm -f "$log.out"
}

check() {
	local log t0 f name mode extra tests bin n=1 steps=1
	for f in "${flavours[@]}"; do
		IFS='|' read -r name mode extra tests <<<"$f"
		steps=$((steps + 1 + $(wc -w <<<"$tests")))
	done
	log=$KOVAN_LOGDIR/userspace-orders.log
	# Off x86-64 the full RMWs' fences are real fences: arm64 is checked too
	# (the "userspace" need installs its cross compiler and C library).
	if python3 "$us/check_orders.py" "$KOVAN_ROOT" >"$log" 2>&1 &&
		CC=aarch64-linux-gnu-gcc python3 "$us/check_orders.py" "$KOVAN_ROOT" >>"$log" 2>&1; then
		pass "userspace $n/$steps: memory orders: $(tail -n 1 "$log") (x86-64 and arm64)"
	else
		fail "userspace $n/$steps: memory orders: FAILED: $(grep -c '^FAIL' "$log") problem(s), the first:" \
			"$(grep -m1 '^FAIL' "$log" || tail -n 1 "$log") (see $log)"
	fi
	for f in "${flavours[@]}"; do
		IFS='|' read -r name mode extra tests <<<"$f"
		log=$KOVAN_LOGDIR/userspace-$name.log
		: >"$log"
		n=$((n + 1))
		t0=$(date +%s)
		build "$name" "$KOVAN_ROOT" "$work/$name" "$KOVAN_LOGDIR/userspace-build-$name.log" ||
			die "userspace $name build failed, see $KOVAN_LOGDIR/userspace-build-$name.log"
		stage "userspace $n/$steps: $name build, $(($(date +%s) - t0)) s"
		for bin in $tests; do
			n=$((n + 1))
			t0=$(date +%s)
			run_test "$work/$name/$bin" "$log" -s "$secs" -c "$cpus"
			if [ "$verdict" = ok ]; then
				pass "userspace $n/$steps: $name $bin: $oks invariants ok$suppressed," \
					"$(($(date +%s) - t0)) s"
			else
				fail "userspace $n/$steps: $name $bin: FAILED: $verdict (log: $log)"
			fi
		done
	done
}

# mutate FILE OLD NEW: replace the first OLD by NEW, or fail if OLD is gone.
mutate() {
	python3 - "$@" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path).read()
if old not in text:
    sys.exit(f"{path}: mutation site not found: {old!r}")
open(path, 'w').write(text.replace(old, new, 1))
PY
}

# Seeded bugs: name|file|old|new|test [options]|expect (caught, or "info: why"
# when it may pass). M11 needs a pop to meet a pusher stopped inside its
# window, and M9 a domain freed while the reclaim worker still touches it:
# half a second of either does not always bring it on a loaded machine.
mutations=(
	"M1 kovan_close_batch() takes every slot for idle (frees at once)|kovan/reclaim.c|		if (kovan_slot_idle(s)) {
			skipped++;|		if (1) {
			skipped++;|kovan_stress|caught"
	"M2 the engine pays without waiting for the old phase to drain|kovan/reclaim.c|		case KOVAN_STEP_OLD:
			if (!kovan_engine_drained(s, !s->phase, looks))
				return true;|		case KOVAN_STEP_OLD:|kovan_stress|caught"
	"M3 kovan_unpin() never counts itself out (batches never freed)|include/kovan/kovan.h|	kovan_this_cpu_inc_release(ps->unpins[phase]);	/* B: pairs with J. */|	barrier();|kovan_stress|caught"
	"M4 kovan_unpin() counts itself out without release (B lost)|include/kovan/kovan.h|	kovan_this_cpu_inc_release(ps->unpins[phase]);	/* B: pairs with J. */|	this_cpu_inc(ps->unpins[phase]);|kovan_stress|caught"
	"M5 kovan_close_batch() without smp_mb() C|kovan/reclaim.c|	smp_mb(); /* C:|	/* C:|kovan_stress|info: the updaters unpublish with kovan_replace_pointer(), a fully ordered xchg (make model checks C)"
	"M6 ArrayQueue publishes its item with a relaxed store (AQ-A lost)|kovan_queue/arrayq.c|				smp_store_release(&slot->stamp, tail + 1);	/* AQ-A */|				WRITE_ONCE(slot->stamp, tail + 1);|queue_stress|caught"
	"M7 SegQueue pops without a kovan guard (segments freed under pops)|kovan_queue/segq.c|	kovan_pin(q->domain, &g);|	g.domain = NULL;|queue_stress|caught"
	"M8 robust domains never skip a slot by era (a stalled reader holds all)|kovan/reclaim.c|		if (robust && (s64)(access - b->min_birth) < 0) {|		if (0) {|kovan_stress|caught"
	"M9 the reclaim worker's last touch of a domain is unordered (I lost)|kovan/reclaim.c|		atomic_long_dec_return_release(&d->in_flight);
		cond_resched();|		atomic_long_dec(&d->in_flight);
		cond_resched();|kovan_stress -s 4 -W 20|caught"
	"M10 the engine flips without waiting for the unused phase to drain|kovan/reclaim.c|		case KOVAN_STEP_UNUSED:
			if (!kovan_engine_drained(s, !s->phase, looks))
				return true;|		case KOVAN_STEP_UNUSED:|kovan_stress|info: it needs a pin held off between its phase read and its count for a whole engine cycle (make model and KUnit's kovan_pin_counts_late check it)"
	"M11 a SegQueue pop takes head past tail for items (waits for no push)|kovan_queue/segq.c|			if ((long)(tail - pos) <= 0) {|			if (pos == tail) {|queue_stress -s 4 -W 16|caught"
	"M12 a parked engine is never looked at again (no backstop)|kovan/reclaim.c|		    !atomic_read(&kovan_backstop_armed) &&|		    0 &&|kovan_edges|caught"
	"M13 a fenceless retire that may not be preempted waits for IPIs itself|kovan/reclaim.c|	if (kovan_fenceless(d) && (!preemptible() |	if (0 && (!preemptible() |kovan_stress|caught"
	"M14 a fenceless close sends no IPI (P lost; make model shows the use after free)|kovan/reclaim.c|		on_each_cpu_cond(kovan_cpu_unfenced, kovan_fence_ipi, d, true);|		(void)kovan_cpu_unfenced; (void)kovan_fence_ipi;|kovan_stress|caught"
	"M15 retires never wait for a reclaim worker that falls behind|kovan/reclaim.c|	if (likely(atomic_long_read(&r->backlog) <= READ_ONCE(kovan_backlog)))|	if (1)|kovan_edges|caught"
	"M16 SegQueue reuses a freed segment without clearing its places|kovan_queue/segq.c|	memset(seg->items, 0, sizeof(seg->items));|	barrier();|queue_stress -s 4 -W 16|caught"
)

selftest() {
	local i=0 entry name file old new test bin expect src log t0 m found verdicts opts
	log=$KOVAN_LOGDIR/userspace-selftest.log
	: >"$log"
	for entry in "${mutations[@]}"; do
		i=$((i + 1))
		IFS='|' read -r -d '' name file old new test expect < <(printf '%s\0' "$entry") || true
		# The test, and options that replace the defaults below.
		read -r bin opts <<<"$test"
		t0=$(date +%s)
		src=$work/selftest/m$i
		rm -rf "$src"
		mkdir -p "$src"
		cp -a "$KOVAN_ROOT/include" "$KOVAN_ROOT/kovan" "$KOVAN_ROOT/kovan_queue" "$src/"
		mutate "$src/$file" "$old" "$new" >>"$log" 2>&1 ||
			die "selftest: $name: mutation does not apply, see $log"
		found=()
		verdicts=""
		for m in native tsan tsan-c11; do
			build $m "$src" "$src/build-$m" "$log.build" ||
				die "selftest: $name: $m build failed, see $log.build"
			# shellcheck disable=SC2086 # options are separate words
			run_test "$src/build-$m/$bin" "$log" -s 1 -c "$cpus" -W 8 $opts
			verdicts+="${verdicts:+; }$m: $verdict"
			[ "$verdict" = ok ] || found+=("$m")
		done
		if [ ${#found[@]} -gt 0 ]; then
			pass "selftest $i: $name: caught ($verdicts), $(($(date +%s) - t0)) s"
		elif [ "${expect%%:*}" = info ]; then
			stage "selftest $i: $name: not caught, as expected:${expect#info:}, $(($(date +%s) - t0)) s"
		else
			fail "selftest $i: $name: NOT CAUGHT (log: $log)"
		fi
	done

	# A deliberate data race must be reported by the TSan build.
	t0=$(date +%s)
	build tsan "$KOVAN_ROOT" "$work/tsan" "$log.build" || die "selftest: tsan build failed, see $log.build"
	run_test "$work/tsan/race" "$log"
	if [[ $verdict == "TSan: data race"* ]]; then
		pass "selftest: tests/race.c under TSan: reported ($verdict), $(($(date +%s) - t0)) s"
	else
		fail "selftest: tests/race.c under TSan: NOT REPORTED ($verdict)"
	fi

	# A shim that weakens an ordering must fail the order check.
	t0=$(date +%s)
	rm -rf "$work/selftest/shim"
	mkdir -p "$work/selftest"
	cp -a "$us" "$work/selftest/shim"
	rm -rf "$work/selftest/shim/build"
	mutate "$work/selftest/shim/include/shim/atomic.h" \
		'return __us_full(__atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST));' \
		'return __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);'
	if python3 "$work/selftest/shim/check_orders.py" "$KOVAN_ROOT" >>"$log" 2>&1; then
		fail "selftest: relaxed atomic64_fetch_add() in the shim: NOT CAUGHT by the order check"
	else
		pass "selftest: relaxed atomic64_fetch_add() in the shim: caught ($(grep -m1 FAIL "$log")), $(($(date +%s) - t0)) s"
	fi

	# make bench-native's correctness checks: each scenario passes as it is,
	# and under -F (a lost free, a lost item, a freed object read) every
	# implementation of it must report an error.
	t0=$(date +%s)
	build_bench_native "$work/bench" "$log.build"
	local scenario rc impls caught
	for scenario in read retire hash queue; do
		rc=0
		"$work/bench/bin/bench_native" -S "$scenario" -t 2 -s 0.1 >"$log.out" 2>&1 || rc=$?
		cat "$log.out" >>"$log"
		impls=$(awk '$1 == "result" { print $3 }' "$log.out" | sort -u | wc -l)
		if [ $rc -ne 0 ] || [ "$impls" -eq 0 ]; then
			fail "selftest: bench_native -S $scenario fails without -F (rc $rc, log: $log)"
			continue
		fi
		rc=0
		"$work/bench/bin/bench_native" -S "$scenario" -t 2 -s 0.1 -F >"$log.out" 2>&1 || rc=$?
		cat "$log.out" >>"$log"
		caught=$(awk '$1 == "error" { print $3 }' "$log.out" | sort -u | wc -l)
		if [ $rc -eq 1 ] && [ "$caught" -eq "$impls" ]; then
			pass "selftest: bench_native -S $scenario -F: all $impls implementations caught"
		else
			fail "selftest: bench_native -S $scenario -F: $caught of $impls implementations caught (rc $rc, log: $log)"
		fi
	done
	rm -f "$log.out"
	stage "selftest: bench_native checked, $(($(date +%s) - t0)) s"
}

if [ $mode = check ]; then
	check
else
	selftest
fi
stage "userspace: $passed passed, $failed failed"
[ $failed -eq 0 ]
