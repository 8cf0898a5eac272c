#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make run: boot the UML test kernel, load kovan.ko, kovan_queue.ko and the
# test modules, show what happened, and show the headline of the last
# make bench report.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

"$KOVAN_ROOT/scripts/run-tests.sh" --label run uml
rc=$?
console=$KOVAN_LOGDIR/run.console
stage "kernel messages of the run (full console: $console):"
sed -n '/KOVAN-TESTS-BEGIN/,/KOVAN-TESTS-END/p' "$console" | grep -vE '^\s*(#|KTAP|ok|not ok|1\.\.)' |
	grep -E 'kovan|insmod|rmmod' | head -n 40
stage "KUnit results as kunit.py parse reads them:"
grep -E '\[(PASSED|FAILED|SKIPPED|CRASHED)\]|Testing complete' "$console.parsed" | head -n 60
report=$KOVAN_LOGDIR/bench.md
if [ -f "$report" ]; then
	stage "last make bench summary ($(date -r "$report" '+%F %T'); full report $report):"
	sed -n '/^## Headline/,/^Plots:/p' "$report"
else
	stage "no benchmark report yet: make bench writes one"
fi
exit $rc
