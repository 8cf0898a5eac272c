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

# name|spin defines|expect (ok, or part of the assertion a mutation must break)
# Seeded bugs, run at both sizes: each must give a counterexample.
mutations=(
	"mutation 1, kovan_walk() stops one batch early|-DMUTATION=1|unfreed==0"
	"mutation 2, share (b) without the readers' count|-DMUTATION=2|state[below]!=2"
	"mutation 3, no era skip: a plain domain against the robust bound|-DSTALL=1 -DROBUST=1 -DNOBJ=7 -DERA_EVERY_INIT=1 -DNREADERS=1 -DMUTATION=3|unfreed<="
	"mutation 4, a link to a younger object (what kovan.h forbids)|-DROBUST=1 -DLINKS=1 -DMUTATION=4|state[o2]!=2"
	"mutation 5, guards never leave a stalled slot|-DSTALL=1 -DROBUST=1 -DLIVE=1 -DNOBJ=8 -DERA_EVERY_INIT=1 -DMUTATION=5|late[stall_slot]<="
	"mutation 6, pins ignore the reader limit|-DCOUNTW=1 -DCOUNT_BITS=2 -DNREADERS=4 -DROBUST=1 -DNOBJ=1 -DMUTATION=6|head_readers[s]+1)<"
)
# The count configuration retires nothing: with one retire and 4 readers the
# search passes 3.2e8 states and 16 GB (and with 3 readers, or with readers
# that never load) before it ends. Pins and unpins are what move a count;
# mutation 6 is caught at this size, and kovan_edges and KUnit pin past the
# real limit.
counts="reader counts: 4 readers, 2-bit counts, robust pick, no retire|-DCOUNTW=1 -DCOUNT_BITS=2 -DNREADERS=4 -DROBUST=1 -DNOBJ=1|ok"
full=(
	"plain: 2 slots, 2 readers (one interrupted), 2 updaters, 3 objects|-DIRQS=1 -DNUPDATERS=2|ok"
	"robust: 2 slots, 2 readers (one interrupted), 1 updater, 3 objects, any era frequency|-DROBUST=1 -DIRQS=1|ok"
	"robust links: a reader follows a link out of a retired object|-DROBUST=1 -DLINKS=1|ok"
	"plain links: a reader follows a link out of a retired object|-DLINKS=1|ok"
	"stalled reader bound: robust, 1 CPU (2 slots), 1 stalled reader, 6 retires|-DSTALL=1 -DROBUST=1 -DNOBJ=7 -DERA_EVERY_INIT=1 -DNREADERS=1|ok"
	"stalled + long-lived reader: robust, 1 CPU (2 slots), moves, 7 retires|-DSTALL=1 -DROBUST=1 -DLIVE=1 -DNOBJ=8 -DERA_EVERY_INIT=1|ok"
	"$counts"
	"${mutations[@]}"
)
reduced=(
	"plain: 2 slots, 2 readers (one interrupted), 1 updater, 3 objects|-DIRQS=1|ok"
	"robust: 2 slots, 2 readers, 1 updater, 3 objects, any era frequency|-DROBUST=1|ok"
	"plain links: a reader follows a link out of a retired object|-DLINKS=1|ok"
	"stalled reader bound: robust, 1 CPU (2 slots), 1 stalled reader, 6 retires|-DSTALL=1 -DROBUST=1 -DNOBJ=7 -DERA_EVERY_INIT=1 -DNREADERS=1|ok"
	"stalled + long-lived reader: robust, 1 CPU (2 slots), moves, 6 retires|-DSTALL=1 -DROBUST=1 -DLIVE=1 -DNOBJ=7 -DERA_EVERY_INIT=1|ok"
	"$counts"
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
# full plain and robust configurations store about 1.4e8 states in 6-9 GB.
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
