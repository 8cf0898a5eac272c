#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# One torture boot: build the modules against a kernel flavour, boot it, load
# kovan, kovan_queue, the kernel's torture framework (kernel/torture.ko of the
# flavour's build) and torture/kovan_torture.ko with allocation failures
# injected, load and unload torture/kovan_torture_unload.ko in a loop until
# the torture run ends, and judge the console with results.py (the torture
# module prints one harness line per invariant).
#
# Usage: torture-boot.sh [--smp N] [--secs S] [--onoff MS] [--fault PCT]
#                   [--isolate CPU] [--selftest MODE] [--label L] FLAVOUR
#   FLAVOUR     uml (one CPU, KASAN) or x86_64 (QEMU TCG, KCSAN, hotplug)
#   --smp       vCPUs for QEMU (default 4)
#   --secs      length of the torture run (default 60)
#   --onoff     ms between CPU hotplug operations on QEMU (default 300; 0: none)
#   --fault     percent of kovan's allocations that fail (default 5)
#   --isolate   QEMU: boot with nohz_full= and isolcpus= for this CPU (no
#               hotplug then) and check that kovan left it alone
#   --selftest  a deliberate bug the run must report: race, early_free, lose,
#               stall (see kovan_torture.c's inject parameter)
# Results: $KOVAN_LOGDIR/<label>.json; console: $KOVAN_LOGDIR/<label>.console
set -euo pipefail
. "$(dirname "$0")/lib.sh"

smp=4 secs=60 onoff= fault=5 isolate=-1 selftest= label=
while [ $# -gt 1 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--onoff) onoff=$2; shift 2 ;;
	--fault) fault=$2; shift 2 ;;
	--isolate) isolate=$2; shift 2 ;;
	--selftest) selftest=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done
flavour=${1:?usage: torture-boot.sh [options] FLAVOUR}
if [ "$isolate" != -1 ]; then
	[ "${onoff:-0}" = 0 ] || die "--isolate takes no hotplug (--onoff 0)"
	onoff=0
fi
onoff=${onoff:-300}
arch=$(kernel_arch "$flavour")
if [ "$arch" = um ]; then
	smp=1 onoff=0 isolate=-1
fi
isolation=
[ "$isolate" != -1 ] && isolation=" nohz_full=$isolate isolcpus=$isolate"
label=${label:-torture-$flavour-smp$smp${selftest:+-selftest-$selftest}}
ensure_packages kernel boot
stall_timeout=60
[ "$selftest" = stall ] && stall_timeout=3
# kovan_torture's parameters. A deliberate bug needs the threads running,
# and a short self-test run would spend most of its time in stutter pauses;
# the shuffler would move threads onto the isolated CPU.
params="duration=$secs onoff_interval=$onoff stall_timeout=$stall_timeout"
params="$params isolated_cpu=$isolate inject=$selftest"
[ -z "$selftest" ] || params="$params stutter=0"
[ "$isolate" = -1 ] || params="$params shuffle_interval=0"
# Boot, module loads and the final barriers on top of the run; TCG is slow.
timeout=${KOVAN_BOOT_TIMEOUT:-$((secs + stall_timeout + 300))}

build=$("$KOVAN_ROOT/scripts/build-kernel.sh" "$flavour" | tail -n 1)
work=$KOVAN_CACHE/run/$label
console=$KOVAN_LOGDIR/$label.console
rm -rf "$work"
mkdir -p "$work"
build_modules "$build" "$arch" "$work/src" "$KOVAN_LOGDIR/$label.build.log" CONFIG_KOVAN_KUNIT_TEST=n
cp "$build/kernel/torture.ko" "$work/src/torture/"

# The plan. Failures start once the torture module is up: its own set-up
# would only be refused. An injected allocation failure may refuse a load
# of kovan_torture_unload with -ENOMEM: that is the module's init error
# path working, not a failure.
{
	echo "P='$params' fault=$fault"
	cat <<-'EOF'
	load $M/kovan/kovan.ko
	load $M/kovan_queue/kovan_queue.ko
	load $M/torture/torture.ko
	F=/sys/kernel/debug/kovan/fail_alloc
	if load $M/torture/kovan_torture.ko $P; then
		if [ -d $F ]; then
			echo 0 >$F/verbose; echo -1 >$F/times; echo 1 >$F/interval
			echo $fault >$F/probability
			echo "kovan-harness: ok fault injection: $fault% of kovan's allocations fail"
		else
			echo "kovan-harness: not ok fault injection: no $F (CONFIG_KOVAN_FAULT_INJECTION)"
		fi
		cycles=0 nomem=0 bad=0
		while ! $B dmesg | $B grep -q 'kovan-torture: end:'; do
			if err=$($B insmod $M/torture/kovan_torture_unload.ko 2>&1); then
				if $B rmmod kovan_torture_unload; then
					cycles=$((cycles + 1))
				else
					bad=$((bad + 1)); echo "rmmod kovan_torture_unload failed"
				fi
			elif echo "$err" | $B grep -q 'Cannot allocate memory'; then
				nomem=$((nomem + 1))
			else
				bad=$((bad + 1)); echo "$err"; $B sleep 1
			fi
		done
		if [ $cycles -gt 0 ] && [ $bad -eq 0 ]; then
			echo "kovan-harness: ok torture: $cycles load/unload cycles with retirements pending ($nomem loads refused with -ENOMEM)"
		else
			echo "kovan-harness: not ok torture: load/unload cycles: $cycles ok, $bad failed"
		fi
		echo 0 >$F/probability
		unload kovan_torture
	fi
	unload torture
	unload kovan_queue
	unload kovan
	EOF
} >"$work/plan"

desc="$secs s, fault injection $fault%"
[ "$onoff" != 0 ] && desc="$desc, hotplug every $onoff ms"
[ "$isolate" != -1 ] && desc="$desc, CPU $isolate isolated"
[ -n "$selftest" ] && desc="$desc, deliberate bug: $selftest"
if [ "$arch" = um ]; then
	how="UML (KASAN, one CPU)" mem=1G
else
	how="QEMU TCG -smp $smp (KCSAN)" mem=2G
fi
stage "$label: booting $how, $desc, limit $timeout s; console: $console"
t0=$(date +%s)
rc=0
boot "$arch" "$build" "$work" "$console" "$timeout" "$smp" $mem printk.time=1$isolation || rc=$?
secs_taken=$(($(date +%s) - t0))
res=0
console_verdict "$label" "$console" $rc || res=$?
# The run's counts, for the person waiting.
grep -o 'kovan-torture: reads.*' "$console" | sed 's/^kovan-torture: /  /' || true
grep -o 'kovan-torture: \(updaters\|hotplug\|end\).*' "$console" | sed 's/^kovan-torture: /  /' || true
sed -n 's/.*kovan-torture-unload: domain destroyed in \([0-9]*\) us.*/\1/p' "$console" |
	awk '{ n++; if ($1 > max) max = $1 } END { if (n) printf "  unload: slowest of %d domain destroys %.1f ms\n", n, max / 1000 }'
grep -o 'kovan-harness: ok torture: [0-9]* load/unload.*' "$console" |
	sed 's/^kovan-harness: ok torture: /  /' || true
stage "$label: boot+torture ${secs_taken} s ... $verdict"
exit $res
