#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make model: check kovan/reclaim.pml, the Promela model of kovan's
# two-phase read side, with spin: every configuration must verify without an error,
# and every seeded mutation must be reported with a counterexample (so the
# checks can fail). scripts/model.sh --reduced is the short run make check
# does. Logs and counterexample trails: $KOVAN_LOGDIR/model/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=full
[ "${1:-}" = --reduced ] && mode=reduced

# name|spin defines|expect (ok, or part of the assertion a mutation must break)
# Seeded bugs, run at both sizes: each must give a counterexample.
mutations=(
	"mutation 1, a batch taken by the engine cycle under way|-DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2 -DMUTATION=1|state[o]!=3"
	"mutation 2, the phase flipped before the unused one drained|-DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2 -DMUTATION=2|state[o]!=3"
	"mutation 3, the idle check reads pins before unpins|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMUTATION=3|state[o]!=3"
	"mutation 4, no wait for the old phase after the flip|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMUTATION=4|state[o]!=3"
)
full=(
	"1 slot, 1 reader, 3 objects, 2 sections|-DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2|ok"
	"1 slot, 2 readers, 3 objects|-DNSLOTS=1 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1|ok"
	"2 slots, 2 readers, 2 objects|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1|ok"
	"2 slots, 1 reader that counts in another slot than it read, 3 objects, 2 sections|-DNSLOTS=2 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2 -DMIGRATE=1|ok"
	"2 slots, 2 readers that count in another slot than they read, 3 objects|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1 -DMIGRATE=1|ok"
	"${mutations[@]}"
)
reduced=(
	"1 slot, 1 reader, 3 objects, 2 sections|-DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2|ok"
	"1 slot, 2 readers, 3 objects|-DNSLOTS=1 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1|ok"
	"2 slots, 2 readers that count in another slot than they read, 2 objects|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMIGRATE=1|ok"
	"${mutations[@]}"
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

# verify DIR DEFINES DEPTH LOG: generate, compile and run the verifier. The
# largest configuration stores about 3.3e7 states.
verify() {
	# shellcheck disable=SC2086 # defines are separate words
	(cd "$dir" && mkdir -p "$1" && cd "$1" && cp ../reclaim.pml . &&
		spin $2 -a reclaim.pml && gcc -w -O2 -DSAFETY -DCOLLAPSE -DMEMLIM=16000 -o pan pan.c &&
		./pan -m"$3") >"$4" 2>&1 || true
}

# verified LOG: the search covered every state and found no error. A search
# cut short by the depth limit or the memory limit proves nothing.
verified() {
	grep -q 'errors: 0' "$1" && ! grep -q 'MEMLIM' "$1" &&
		! grep -q 'max search depth too small' "$1"
}

n=0
for config in "${configs[@]}"; do
	n=$((n + 1))
	IFS='|' read -r name defines expect <<<"$config"
	log=$dir/$n.log
	t0=$(date +%s)
	verify "$n" "$defines" 1000000 "$log"
	states=$(grep -oE '[0-9.e+]+ states, stored' "$log" | cut -d' ' -f1 || true)
	took=$(($(date +%s) - t0))
	if [ "$expect" = ok ]; then
		if verified "$log"; then
			stage "model $n/${#configs[@]}: $name: verified, ${states:-?} states, ${took} s"
		else
			grep -q 'max search depth too small' "$log" &&
				stage "model: the search was cut short by its depth limit (pan -m)"
			stage "model $n/${#configs[@]}: $name: FAILED (${took} s; log and trail: $log, $dir/$n)"
			(cd "$dir/$n" && [ -f reclaim.pml.trail ] && spin -t -p reclaim.pml >"$dir/$n.trail.txt" 2>&1) || true
			failed=1
		fi
	elif grep -F 'assertion violated (' "$log" | grep -qF "$expect"; then
		(cd "$dir/$n" && spin -t -p reclaim.pml >"$dir/$n.trail.txt" 2>&1) || true
		steps=$(grep -cE '^ *[0-9]+:' "$dir/$n.trail.txt" || true)
		stage "model $n/${#configs[@]}: $name: counterexample found as it must be ($expect, $steps steps; $dir/$n.trail.txt)"
	else
		stage "model $n/${#configs[@]}: $name: NOT DETECTED, the model cannot see this bug (log: $log)"
		failed=1
	fi
done

# The verdict itself can fail: the first configuration, searched only 50
# steps deep, must not count as verified.
IFS='|' read -r name defines expect <<<"${configs[0]}"
verify truncated "$defines" 50 "$dir/truncated.log"
if verified "$dir/truncated.log"; then
	stage "model: a search cut at depth 50 counted as verified (log: $dir/truncated.log)"
	failed=1
else
	stage "model: a search cut at depth 50 is refused, as it must be"
fi
if [ $failed -ne 0 ]; then
	stage "model: FAILED (logs: $dir)"
	exit 1
fi
stage "model: all ${#configs[@]} checks as expected (logs: $dir)"
