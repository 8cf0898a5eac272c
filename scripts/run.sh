#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make run: boot the UML test kernel, load kovan.ko, kovan_queue.ko and the
# test modules with kovan's trace events on, show what happened and a few
# trace events, and show the headline of the last
# make bench report: this machine's, else the one committed in doc/bench/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

KOVAN_TRACE_EVENTS=1 "$KOVAN_ROOT/scripts/run-tests.sh" --label run uml
rc=$?
console=$KOVAN_LOGDIR/run.console
stage "trace events (tracefs events/kovan and events/kovan_queue), the first two of each:"
sed -n 's/.*kovan-trace: //p' "$console" | head -n 20
stage "kernel messages of the run (full console: $console):"
sed -n '/KOVAN-TESTS-BEGIN/,/KOVAN-TESTS-END/p' "$console" | grep -vE '^\s*(#|KTAP|ok|not ok|1\.\.)' |
	grep -E 'kovan|insmod|rmmod' | head -n 40
stage "KUnit results as kunit.py parse reads them:"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' "$console.parsed" | head -n 60
# This machine's last make bench, else the run committed in doc/bench/.
report=$KOVAN_LOGDIR/bench.md
if [ -f "$report" ]; then
	stage "last make bench summary on this machine ($(date -r "$report" '+%F %T'); full report $report):"
else
	report=$KOVAN_ROOT/doc/bench/bench.md
	stage "no make bench run on this machine yet; the committed run ($(git -C "$KOVAN_ROOT" log -1 \
		--format=%cs -- doc/bench/bench.md 2>/dev/null || echo undated); full report doc/bench/bench.md):"
fi
sed -n '/^## Headline/,/^Plots:/p' "$report"
exit $rc
