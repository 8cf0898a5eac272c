#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make model: check kovan/reclaim.pml, the Promela model of kovan's
# two-phase read side (store buffers of x86-TSO, the engines' hint, kicks,
# backstop and RUNNING/PENDING hand-off, and the opt-in fenceless pin with
# its IPIs), with spin: every configuration must verify without an error
# (safety, and liveness as an assertion at the final quiescent state), and
# every seeded mutation must be reported with a counterexample (so the
# checks can fail). scripts/model.sh --reduced is the short run make check
# does (about a minute on 2 cores); the full run about 3 minutes.
# Logs and counterexample trails: $KOVAN_LOGDIR/model/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=full
[ "${1:-}" = --reduced ] && mode=reduced

# name|spin defines|expect (ok, or part of the assertion a mutation must break:
# state[o]!=3 is a use after free, state[o]==3 an object never freed)
# Seeded bugs, run at both sizes: each must give a counterexample.
tso="-DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2"
fl="-DFENCELESS=1 -DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=2"
mutations=(
	"mutation 1, a batch taken by the engine cycle under way|$tso -DMUTATION=1|state[o]!=3"
	"mutation 2, the phase flipped before the unused one drained|$tso -DMUTATION=2|state[o]!=3"
	"mutation 3, the idle check reads pins before unpins|-DNSLOTS=1 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMUTATION=3|state[o]!=3"
	"mutation 4, no wait for the old phase after the flip|$tso -DMUTATION=4|state[o]!=3"
	"mutation 5, no fence A after the pin's increment|$tso -DMUTATION=5|state[o]!=3"
	"mutation 6, no release B: the unpin's count before the last use|$tso -DMUTATION=6|state[o]!=3"
	"mutation 7, fenceless: the closer reads the flags before its fence C|$fl -DMUTATION=7|state[o]!=3"
	"mutation 8, no backstop timer: a lost kick|$tso -DMUTATION=8|state[o]==3"
	"mutation 9, the runner does not look at PENDING after its release|$tso -DMUTATION=9|state[o]==3"
	"mutation 10, fenceless: no IPI to CPU 0 though its flag is set|$fl -DMUTATION=10|state[o]!=3"
	"mutation 11, fenceless: the pin reads its flag before its increment|-DFENCELESS=1 -DUNFENCED=1 -DNSLOTS=1 -DNREADERS=1 -DNOBJ=3 -DROUNDS=1 -DMUTATION=11|state[o]!=3"
	"mutation 12, fenceless: the IPI handler clears the flag without smp_mb()|$fl -DMUTATION=12|state[o]!=3"
)
full=(
	"TSO, 1 slot, 1 reader, 3 objects, 2 sections|$tso|ok"
	"TSO, 1 slot, 2 readers, 3 objects|-DNSLOTS=1 -DNREADERS=2 -DNOBJ=3 -DROUNDS=1|ok"
	"TSO, 2 slots, 2 readers that may read another slot's phase, 2 objects|-DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMIGRATE=1|ok"
	"fenceless, 1 slot, 1 reader, 3 objects, 2 sections|$fl|ok"
	"fenceless, 1 slot, 2 readers with the flag set, 2 objects|-DFENCELESS=1 -DUNFENCED=1 -DNSLOTS=1 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1|ok"
	"fenceless, 2 closers, 1 reader with the flag set, 2 objects each|-DFENCELESS=1 -DUNFENCED=1 -DNCLOSERS=2 -DNSLOTS=1 -DNREADERS=1 -DNOBJ=2 -DROUNDS=1|ok"
	"fenceless, 2 slots, 2 readers with the flag set that may read another slot's phase, 2 objects|-DFENCELESS=1 -DUNFENCED=1 -DNSLOTS=2 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1 -DMIGRATE=1|ok"
	"${mutations[@]}"
)
reduced=(
	"TSO, 1 slot, 1 reader, 3 objects, 2 sections|$tso|ok"
	"fenceless, 1 slot, 1 reader, 3 objects, 2 sections|$fl|ok"
	"fenceless, 1 slot, 2 readers with the flag set, 2 objects|-DFENCELESS=1 -DUNFENCED=1 -DNSLOTS=1 -DNREADERS=2 -DNOBJ=2 -DROUNDS=1|ok"
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

# verify DIR DEFINES DEPTH LOG OPT: generate, compile (gcc OPT) and run the
# verifier. The largest configuration stores about 2.5e7 states (about
# 3 GB with COLLAPSE). Mutations, found in a few seconds, compile with -O0:
# compiling pan.c takes longer than their search at -O2.
verify() {
	# shellcheck disable=SC2086 # defines are separate words
	(cd "$dir" && mkdir -p "$1" && cd "$1" && cp ../reclaim.pml . &&
		spin $2 -a reclaim.pml && gcc -w "$5" -DSAFETY -DCOLLAPSE -DMEMLIM=16000 -o pan pan.c &&
		./pan -m"$3") >"$4" 2>&1 || true
}

# trail N DEFINES: the counterexample of configuration N, step by step.
trail() {
	# shellcheck disable=SC2086 # defines are separate words
	(cd "$dir/$1" && [ -f reclaim.pml.trail ] && spin $2 -t -p reclaim.pml >"$dir/$1.trail.txt" 2>&1) || true
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
	opt=-O2
	[ "$expect" = ok ] || opt=-O0
	verify "$n" "$defines" 1000000 "$log" $opt
	states=$(grep -oE '[0-9.e+]+ states, stored' "$log" | cut -d' ' -f1 || true)
	took=$(($(date +%s) - t0))
	if [ "$expect" = ok ]; then
		if verified "$log"; then
			stage "model $n/${#configs[@]}: $name: verified, ${states:-?} states, ${took} s"
		else
			grep -q 'max search depth too small' "$log" &&
				stage "model: the search was cut short by its depth limit (pan -m)"
			stage "model $n/${#configs[@]}: $name: FAILED (${took} s; log and trail: $log, $dir/$n)"
			trail "$n" "$defines"
			failed=1
		fi
	elif grep -F 'assertion violated (' "$log" | grep -qF "$expect"; then
		trail "$n" "$defines"
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
verify truncated "$defines" 50 "$dir/truncated.log" -O0
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
