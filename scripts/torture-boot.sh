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
tree=$work/src
build_modules "$build" "$arch" "$tree" "$KOVAN_LOGDIR/$label.build.log" CONFIG_KOVAN_KUNIT_TEST=n

# $1: where the .ko files are; $2: how to stop the machine.
write_init() {
	local dir=$1 stop=$2
	cat >"$work/init" <<-EOF
	#!/bin/busybox sh
	B=/bin/busybox
	\$B mount -t proc proc /proc
	\$B mount -t sysfs sysfs /sys
	\$B mount -t debugfs debugfs /sys/kernel/debug
	echo; echo KOVAN-TESTS-BEGIN
	load() { if \$B insmod "\$@"; then echo "kovan-harness: ok insmod \${1##*/}";
		else echo "kovan-harness: not ok insmod \${1##*/} rc=\$?"; return 1; fi; }
	unload() { if \$B rmmod "\$1"; then echo "kovan-harness: ok rmmod \$1";
		else echo "kovan-harness: not ok rmmod \$1 rc=\$?"; fi; }
	load $dir/kovan.ko
	load $dir/kovan_queue.ko
	load $dir/torture.ko
	F=/sys/kernel/debug/kovan/fail_alloc
	# Failures start once the torture module is up: its own set-up would
	# only be refused.
	if load $dir/kovan_torture.ko $params; then
		if [ -d \$F ]; then
			echo 0 >\$F/verbose; echo -1 >\$F/times; echo 1 >\$F/interval
			echo $fault >\$F/probability
			echo "kovan-harness: ok fault injection: $fault% of kovan's allocations fail"
		else
			echo "kovan-harness: not ok fault injection: no \$F (CONFIG_KOVAN_FAULT_INJECTION)"
		fi
		# An injected allocation failure may refuse a load with -ENOMEM: that
		# is the module's init error path working, not a failure.
		cycles=0 nomem=0 bad=0
		while ! \$B dmesg | \$B grep -q 'kovan-torture: end:'; do
			if err=\$(\$B insmod $dir/kovan_torture_unload.ko 2>&1); then
				if \$B rmmod kovan_torture_unload; then
					cycles=\$((cycles + 1))
				else
					bad=\$((bad + 1)); echo "rmmod kovan_torture_unload failed"
				fi
			elif echo "\$err" | \$B grep -q 'Cannot allocate memory'; then
				nomem=\$((nomem + 1))
			else
				bad=\$((bad + 1)); echo "\$err"; \$B sleep 1
			fi
		done
		if [ \$cycles -gt 0 ] && [ \$bad -eq 0 ]; then
			echo "kovan-harness: ok torture: \$cycles load/unload cycles with retirements pending (\$nomem loads refused with -ENOMEM)"
		else
			echo "kovan-harness: not ok torture: load/unload cycles: \$cycles ok, \$bad failed"
		fi
		echo 0 >\$F/probability
		unload kovan_torture
	fi
	unload torture
	unload kovan_queue
	unload kovan
	echo; echo KOVAN-TESTS-END
	$stop
	EOF
	chmod +x "$work/init"
}

desc="$secs s, fault injection $fault%"
[ "$onoff" != 0 ] && desc="$desc, hotplug every $onoff ms"
[ "$isolate" != -1 ] && desc="$desc, CPU $isolate isolated"
[ -n "$selftest" ] && desc="$desc, deliberate bug: $selftest"
t0=$(date +%s)
rc=0
if [ "$arch" = um ]; then
	stage "$label: booting UML (KASAN, one CPU), $desc, limit $timeout s; console: $console"
	write_init "$tree/torture" '$B poweroff -f'
	cp "$tree/kovan/kovan.ko" "$tree/kovan_queue/kovan_queue.ko" "$build/kernel/torture.ko" \
		"$tree/torture/"
	timeout -k 5 "$timeout" "$build/linux" mem=1G root=/dev/root rootfstype=hostfs \
		rootflags=/ rw printk.time=1 init="$work/init" </dev/null >"$console" 2>&1 || rc=$?
else
	stage "$label: booting QEMU TCG -smp $smp (KCSAN), $desc, limit $timeout s; console: $console"
	write_init /lib/kovan '$B reboot -f'
	{
		echo 'dir /bin 0755 0 0'
		echo 'dir /dev 0755 0 0'
		echo 'nod /dev/console 0600 0 0 c 5 1'
		echo 'dir /proc 0755 0 0'
		echo 'dir /sys 0755 0 0'
		echo 'dir /lib 0755 0 0'
		echo 'dir /lib/kovan 0755 0 0'
		echo 'file /bin/busybox /bin/busybox 0755 0 0'
		echo "file /init $work/init 0755 0 0"
		for ko in kovan/kovan kovan_queue/kovan_queue torture/kovan_torture \
			torture/kovan_torture_unload; do
			echo "file /lib/kovan/${ko##*/}.ko $tree/$ko.ko 0644 0 0"
		done
		echo "file /lib/kovan/torture.ko $build/kernel/torture.ko 0644 0 0"
	} >"$work/initramfs.list"
	"$build/usr/gen_init_cpio" "$work/initramfs.list" >"$work/initramfs.cpio"
	timeout -k 5 "$timeout" qemu-system-x86_64 -nodefaults -no-reboot -nographic \
		-accel tcg,thread=multi -smp "$smp" -m 2G -serial stdio \
		-kernel "$build/arch/x86/boot/bzImage" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 printk.time=1$isolation" </dev/null >"$console" 2>&1 || rc=$?
fi
secs_taken=$(($(date +%s) - t0))
timed_out=()
[ $rc -eq 124 ] || [ $rc -eq 137 ] && timed_out=(--timed-out)

res=0
summary=$(python3 "$KOVAN_ROOT/scripts/results.py" --log "$console" \
	--kunit "$KSRC/tools/testing/kunit/kunit.py" --label "$label" \
	--json "$KOVAN_LOGDIR/$label.json" "${timed_out[@]}") || res=$?
printf '%s\n' "$summary" | sed '$d'
# The run's counts, for the person waiting.
grep -o 'kovan-torture: reads.*' "$console" | sed 's/^kovan-torture: /  /' || true
grep -o 'kovan-torture: \(updaters\|hotplug\|end\).*' "$console" | sed 's/^kovan-torture: /  /' || true
sed -n 's/.*kovan-torture-unload: domain destroyed in \([0-9]*\) us.*/\1/p' "$console" |
	awk '{ n++; if ($1 > max) max = $1 } END { if (n) printf "  unload: slowest of %d domain destroys %.1f ms\n", n, max / 1000 }'
grep -o 'kovan-harness: ok torture: [0-9]* load/unload.*' "$console" |
	sed 's/^kovan-harness: ok torture: /  /' || true
stage "$label: boot+torture ${secs_taken} s ... $(printf '%s\n' "$summary" | tail -n 1 | sed "s/^$label: //")"
exit $res
