#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# Build the modules against one test kernel, boot it, load kovan, kovan_queue
# and every test module of kunit/SUITES, and judge the console log.
#
# Usage: run-tests.sh [--smp N] [--cpu MODEL] [--robust] [--selftest MODE] [--provoke CASE]
#                     [--timeout S] [--label L] FLAVOUR
#   FLAVOUR   uml, x86_64 or arm64 (a kernel config in kunit/configs)
#   --smp     vCPUs for QEMU (default 2); UML always has one CPU
#   --cpu     x86_64: QEMU's -cpu (default QEMU's own); "max" gives the
#             guest 5-level paging (LA57), its direct map then above
#             0xff11000000000000, and the run fails unless the kovan suite
#             reports 5 levels
#   --robust  build with CONFIG_KOVAN_ROBUST_DEFAULT=y: every domain of
#             every user (queues, example, tests) is KOVAN_ROBUST
#   --selftest  make the harness see a failure of one kind (see kunit/kovan_harness_kunit.c):
#             fail, warn, kasan, hang, expect, poweroff, ktap, later, oops,
#             panic, lockdep, rmmod, insmod, missing
#   --provoke  load only kovan_lockdep_kunit, with provoke=CASE (recursive,
#             barrier or abba): its case provokes one lockdep report inside an
#             expect-report bracket, and the run passes only if it comes
# Results: $KOVAN_LOGDIR/<label>.json; console: $KOVAN_LOGDIR/<label>.console
# arm64: cross-compiled, booted with qemu-system-aarch64 -M virt -cpu
# $KOVAN_ARM64_CPU (see boot() in lib.sh).
# KOVAN_BOOT_ARGS adds to the kernel command line (for instance
# kunit.filter_glob=kovan.kovan_barrier* to run some cases only).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

smp=2 cpu= robust=() selftest= provoke= timeout=${KOVAN_BOOT_TIMEOUT:-900} label=
while [ $# -gt 1 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--robust) robust=(CONFIG_KOVAN_ROBUST_DEFAULT=y); shift ;;
	--selftest) selftest=$2; shift 2 ;;
	--provoke) provoke=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--label) label=$2; shift 2 ;;
	*) die "unknown option $1" ;;
	esac
done
flavour=${1:?usage: run-tests.sh [options] FLAVOUR}
arch=$(kernel_arch "$flavour")
cross=$(kernel_cross_compile "$flavour")
if [ "$arch" = um ]; then
	smp=1
fi
ensure_packages kernel boot
[ "$arch" != arm64 ] || ensure_packages arm64 arm64-boot
arm64_cpu=${KOVAN_ARM64_CPU:-max,pauth-impdef=on}
label=${label:-$flavour-smp$smp${selftest:+-selftest-$selftest}}

build=$("$KOVAN_ROOT/scripts/build-kernel.sh" "$flavour" | tail -n 1)
work=$KOVAN_CACHE/run/$label
log=$KOVAN_LOGDIR/$label.build.log
console=$KOVAN_LOGDIR/$label.console
rm -rf "$work"
mkdir -p "$work"

# Module list, expected suites, and the selftest's module parameter.
# A self-test run loads only the self-test module ("later": after the
# consumer test, so that the failure is in the second document); "missing"
# then also expects a suite it never loads.
modules=() expect=()
while read -r mod suites; do
	case $mod in '#'* | '') continue ;; esac
	if [ -n "$selftest" ] && [ "$mod" != kovan_harness_kunit ] &&
		! { [ "$selftest" = later ] && [ "$mod" = kovan_consumer_kunit ]; }; then
		continue
	fi
	[ -z "$provoke" ] || [ "$mod" = kovan_lockdep_kunit ] || continue
	modules+=("$mod")
	expect+=("$suites")
done <"$KOVAN_ROOT/kunit/SUITES"
if [ "$selftest" = later ]; then
	# kunit/SUITES loads the self-test module first: load it last.
	modules=("${modules[@]:1}" "${modules[0]}")
	expect=("${expect[@]:1}" "${expect[0]}")
fi
[ "$selftest" = missing ] && expect+=(kovan)
# KOVAN_SELFTEST=<mode> (e.g. make check KOVAN_SELFTEST=fail) switches a
# deliberate failure on in every ordinary run too.
selftest_param=${KOVAN_SELFTEST:+mode=$KOVAN_SELFTEST}
case $selftest in
'' | missing) ;;
insmod) selftest_param="mode=bogus" ;;
*) selftest_param="mode=$selftest" ;;
esac
selftest_build=()
[ "$selftest_param" = "mode=bogus" ] || selftest_build=(KOVAN_SELFTEST_MODE="${selftest_param#mode=}")

# Modules: from a private copy, so kernels of different arches never share
# objects; the consumer test and the example are separate external modules.
build_modules "$build" "$arch" "$work/src" "$log" ${cross:+CROSS_COMPILE="$cross"} "${selftest_build[@]}" \
	"${robust[@]}"
[ "$selftest" = hang ] && timeout=${KOVAN_HANG_TIMEOUT:-30}

modpath() {
	case $1 in
	kovan | kovan_queue) echo "$1/$1.ko" ;;
	kovan_consumer_kunit) echo "kunit/consumer/$1.ko" ;;
	kovan_lookup) echo "examples/lookup/$1.ko" ;;
	*) echo "kunit/$1.ko" ;;
	esac
}

# The plan: load kovan, kovan_queue and the test modules, then unload them
# in reverse order.
{
	echo 'load $M/kovan/kovan.ko'
	echo 'load $M/kovan_queue/kovan_queue.ko'
	for m in "${modules[@]}"; do
		if [ "$m" = kovan_harness_kunit ]; then
			echo "load \$M/$(modpath "$m") $selftest_param"
		elif [ -n "$provoke" ] && [ "$m" = kovan_lockdep_kunit ]; then
			echo "load \$M/$(modpath "$m") provoke=$provoke"
		else
			echo "load \$M/$(modpath "$m")"
		fi
	done
	for ((i = ${#modules[@]} - 1; i >= 0; i--)); do
		echo "unload ${modules[i]}"
	done
	echo 'unload kovan_queue'
	echo 'unload kovan'
} >"$work/plan"

case $arch in
um) how="UML${robust:+, CONFIG_KOVAN_ROBUST_DEFAULT=y}" mem=512M ;;
arm64) how="QEMU aarch64 TCG -cpu $arm64_cpu -smp $smp" mem=1G ;;
*) how="QEMU TCG -smp $smp${cpu:+ -cpu $cpu}${robust:+, CONFIG_KOVAN_ROBUST_DEFAULT=y}" mem=1G ;;
esac
stage "$label: booting ($how, limit ${timeout} s; console: $console)"
t0=$(date +%s)
rc=0
KOVAN_QEMU_CPU=$cpu KOVAN_ARM64_CPU=$arm64_cpu boot "$arch" "$build" "$work" "$console" "$timeout" \
	"$smp" "$mem" ${KOVAN_BOOT_ARGS:-} || rc=$?
secs=$(($(date +%s) - t0))
required=()
[ "$cpu" != max ] || required=(--require 'paging: 5 levels')
# A provoked case that skipped (the parameter did not arrive) proves nothing.
[ -z "$provoke" ] || required+=(--require 'kovan-expect-report: begin lockdep-')
res=0
console_verdict "$label" "$console" $rc --expect "$(IFS=,; echo "${expect[*]}")" \
	"${required[@]}" || res=$?
stage "$label: boot+test ${secs} s ... $verdict"
exit $res
