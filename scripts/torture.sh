#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make torture: the torture module (torture/kovan_torture.c) on UML with
# KASAN, on QEMU x86_64 with KCSAN and CPU hotplug at -smp 4, and
# oversubscribed at -smp 8 on this machine's cores (preempted vCPUs stall
# readers and queue peers for real); allocation failures injected throughout,
# a module loaded and unloaded with retirements pending in a loop alongside.
# make check runs the first two for a minute each (scripts/torture-boot.sh).
# Ends with one line "N passed, N failed, N skipped".
#
# KOVAN_TORTURE_SECS sets the length of each run (default 300).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

secs=${KOVAN_TORTURE_SECS:-300}
stage "make torture: 3 runs of $secs s each; logs in $KOVAN_LOGDIR"
ensure_kernel_source
results=()
for smp in 1 4 8; do
	if [ $smp = 1 ]; then
		flavour=uml
	else
		flavour=x86_64
	fi
	label=torture-$flavour-smp$smp
	"$KOVAN_ROOT/scripts/torture-boot.sh" --smp $smp --secs "$secs" --label "$label" "$flavour"
	results+=("$KOVAN_LOGDIR/$label.json")
done
python3 "$KOVAN_ROOT/scripts/summary.py" "${results[@]}"
