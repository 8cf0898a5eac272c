#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make model: check kovan/reclaim.pml, the Promela model of kovan's slot
# protocol, with spin: every configuration must verify without an error,
# and every seeded mutation must be reported with a counterexample (so the
# checks can fail). scripts/model.sh --reduced is the short run make check
# does. Logs and counterexample trails: $KOVAN_LOGDIR/model/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=full
[ "${1:-}" = --reduced ] && mode=reduced

# name|spin defines|expect (ok, or the assertion a mutation must break)
full=(
	"plain: 2 slots, 2 readers (one interrupted), 2 updaters, 3 objects|-DIRQS=1 -DNUPDATERS=2|ok"
	"robust: 2 slots, 2 readers (one interrupted), 1 updater, 3 objects, any era frequency|-DROBUST=1 -DIRQS=1|ok"
	"stalled reader bound: robust, 1 CPU (2 slots), 1 stalled reader, 6 retires|-DSTALL=1 -DROBUST=1 -DNOBJ=7 -DERA_EVERY_INIT=1 -DNREADERS=1|ok"
	"stalled + live reader: robust, 1 CPU (2 slots), slot avoidance, 4 retires|-DSTALL=1 -DROBUST=1 -DNOBJ=5 -DERA_EVERY_INIT=1|ok"
	"mutation 1, kovan_walk() stops one batch early|-DMUTATION=1|unfreed==0"
	"mutation 2, share (b) without the readers' count|-DMUTATION=2|state[below]!=2"
	"mutation 3, no era skip: a plain domain against the robust bound|-DSTALL=1 -DROBUST=1 -DNOBJ=7 -DERA_EVERY_INIT=1 -DNREADERS=1 -DMUTATION=3|unfreed<="
)
reduced=(
	"plain: 2 slots, 2 readers (one interrupted), 1 updater, 3 objects|-DIRQS=1|ok"
	"robust: 2 slots, 2 readers, 1 updater, 3 objects, any era frequency|-DROBUST=1|ok"
	"mutation 1, kovan_walk() stops one batch early|-DMUTATION=1|unfreed==0"
	"mutation 2, share (b) without the readers' count|-DMUTATION=2|state[below]!=2"
)
if [ $mode = full ]; then
	configs=("${full[@]}")
else
	configs=("${reduced[@]}")
fi

ensure_packages model
dir=$KOVAN_LOGDIR/model
rm -rf "$dir"
mkdir -p "$dir"
cp "$KOVAN_ROOT/kovan/reclaim.pml" "$dir/"
failed=0
n=0
for config in "${configs[@]}"; do
	n=$((n + 1))
	IFS='|' read -r name defines expect <<<"$config"
	log=$dir/$n.log
	t0=$(date +%s)
	# shellcheck disable=SC2086 # defines are separate words
	(cd "$dir" && mkdir -p "$n" && cd "$n" && cp ../reclaim.pml . &&
		spin $defines -a reclaim.pml && gcc -w -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=8000 -o pan pan.c &&
		./pan -m1000000) >"$log" 2>&1 || true
	states=$(grep -oE '[0-9.e+]+ states, stored' "$log" | cut -d' ' -f1 || true)
	took=$(($(date +%s) - t0))
	if [ "$expect" = ok ]; then
		if grep -q 'errors: 0' "$log" && ! grep -q 'MEMLIM' "$log"; then
			stage "model $n/${#configs[@]}: $name: verified, ${states:-?} states, ${took} s"
		else
			stage "model $n/${#configs[@]}: $name: FAILED (${took} s; log and trail: $log, $dir/$n)"
			(cd "$dir/$n" && [ -f reclaim.pml.trail ] && spin -t -p reclaim.pml >"$dir/$n.trail.txt" 2>&1) || true
			failed=1
		fi
	elif grep -qF "assertion violated ($expect" "$log"; then
		(cd "$dir/$n" && spin -t -p reclaim.pml >"$dir/$n.trail.txt" 2>&1) || true
		steps=$(grep -cE '^ *[0-9]+:' "$dir/$n.trail.txt" || true)
		stage "model $n/${#configs[@]}: $name: counterexample found as it must be ($expect, $steps steps; $dir/$n.trail.txt)"
	else
		stage "model $n/${#configs[@]}: $name: NOT DETECTED, the model cannot see this bug (log: $log)"
		failed=1
	fi
done
if [ $failed -ne 0 ]; then
	stage "model: FAILED (logs: $dir)"
	exit 1
fi
stage "model: all ${#configs[@]} checks as expected (logs: $dir)"
