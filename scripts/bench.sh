#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make bench: boot the UML benchmark kernel (no debug options) and run
# bench/kovan_bench.ko, bench/kovan_hash_bench.ko and
# bench/kovan_disruptor_bench.ko; then boot the x86_64 benchmark kernel under
# QEMU TCG with each vCPU count of KOVAN_BENCH_SMP and run those and
# bench/kovan_queue_bench.ko. Writes a Markdown report of kovan next to its
# in-kernel anchors, each ratio measured within one boot, and PNG plots.
# Report: $KOVAN_LOGDIR/bench.md, plots $KOVAN_LOGDIR/bench-*.png (make run
# shows the report's headline table).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${KOVAN_BENCH_RUNS:-5}
kovan_params=${KOVAN_BENCH_PARAMS:-}	# e.g. "flush_us=100 batch=32"
smp_list=${KOVAN_BENCH_SMP:-2 4}
queue_ms=${KOVAN_BENCH_QUEUE_MS:-300}	# length of one queue measurement
dis_ms=${KOVAN_BENCH_DISRUPTOR_MS:-200}	# length of one Disruptor measurement
hash_ms=${KOVAN_BENCH_HASH_MS:-200}	# length of one hash table measurement
timeout=${KOVAN_BOOT_TIMEOUT:-900}
report=$KOVAN_LOGDIR/bench.md
# The benchmark kernels have no DEBUG_KERNEL, so no torture framework
# (kernel/torture.c) for torture/ to link against; nothing here runs it.
KOVAN_EXTERNALS="examples/lookup bench"

ensure_packages kernel boot plots

# A splat makes the numbers of that boot meaningless.
# check_console CONSOLE MARKER...: every marker must be there.
check_console() {
	local console=$1 marker
	shift
	if grep -qE 'BUG:|WARNING:|Oops|Call Trace|Kernel panic|general protection' "$console"; then
		die "the kernel reported a problem during the benchmark, see $console"
	fi
	if grep -qE "(insmod|rmmod): can't" "$console"; then
		die "loading or unloading a module failed, see $console"
	fi
	for marker in "$@"; do
		grep -q "$marker" "$console" || die "benchmark did not finish, see $console"
	done
}

# UML: one CPU, native speed, path lengths.
uml_build=$("$KOVAN_ROOT/scripts/build-kernel.sh" uml-bench | tail -n 1)
uml_work=$KOVAN_CACHE/run/bench-uml
uml_console=$KOVAN_LOGDIR/bench-uml.console
rm -rf "$uml_work"
mkdir -p "$uml_work"

stage "bench: building kovan and the benchmark modules against uml-bench"
build_modules "$uml_build" um "$uml_work/src" "$KOVAN_LOGDIR/bench-uml.build.log" \
	CONFIG_KOVAN_KUNIT_TEST=n CONFIG_KOVAN_DEBUG=n

cat >"$uml_work/init" <<EOF
#!/bin/busybox sh
B=/bin/busybox
\$B mount -t proc proc /proc
\$B insmod $uml_work/src/kovan/kovan.ko $kovan_params
\$B insmod $uml_work/src/bench/kovan_bench.ko runs=$runs && \$B rmmod kovan_bench
\$B insmod $uml_work/src/bench/kovan_hash_bench.ko runs=$runs ms=$hash_ms && \$B rmmod kovan_hash_bench
\$B insmod $uml_work/src/kovan_queue/kovan_queue.ko
\$B insmod $uml_work/src/bench/kovan_disruptor_bench.ko runs=$runs ms=$dis_ms && \$B rmmod kovan_disruptor_bench
\$B rmmod kovan_queue
\$B rmmod kovan
\$B poweroff -f
EOF
chmod +x "$uml_work/init"
stage "bench: booting UML, $runs runs of each reclamation, hash table and Disruptor scenario (about 2 minutes; console: $uml_console)"
timeout -k 5 "$timeout" "$uml_build/linux" mem=512M root=/dev/root \
	rootfstype=hostfs rootflags=/ rw init="$uml_work/init" </dev/null >"$uml_console" 2>&1 ||
	die "benchmark boot failed or timed out, see $uml_console"
check_console "$uml_console" 'kovan-bench: end' 'kovan-hash-bench: end' 'kovan-disruptor-bench: end'

# QEMU x86_64: real parallel vCPUs with emulated costs, ratios only.
x86_build=$("$KOVAN_ROOT/scripts/build-kernel.sh" x86_64-bench | tail -n 1)
x86_work=$KOVAN_CACHE/run/bench-x86_64
tree=$x86_work/src
rm -rf "$x86_work"
mkdir -p "$x86_work"

stage "bench: building kovan and the benchmark modules against x86_64-bench"
build_modules "$x86_build" x86_64 "$tree" "$KOVAN_LOGDIR/bench-x86_64.build.log" \
	CONFIG_KOVAN_KUNIT_TEST=n CONFIG_KOVAN_DEBUG=n

cat >"$x86_work/init" <<EOF
#!/bin/busybox sh
B=/bin/busybox
\$B mount -t proc proc /proc
\$B insmod /lib/kovan/kovan.ko $kovan_params
\$B insmod /lib/kovan/kovan_queue.ko
\$B insmod /lib/kovan/kovan_bench.ko runs=$runs && \$B rmmod kovan_bench
\$B insmod /lib/kovan/kovan_hash_bench.ko runs=$runs ms=$hash_ms && \$B rmmod kovan_hash_bench
\$B insmod /lib/kovan/kovan_queue_bench.ko runs=$runs ms=$queue_ms && \$B rmmod kovan_queue_bench
\$B insmod /lib/kovan/kovan_disruptor_bench.ko runs=$runs ms=$dis_ms && \$B rmmod kovan_disruptor_bench
\$B rmmod kovan_queue
\$B rmmod kovan
\$B reboot -f
EOF
{
	echo 'dir /bin 0755 0 0'
	echo 'dir /dev 0755 0 0'
	echo 'nod /dev/console 0600 0 0 c 5 1'
	echo 'dir /proc 0755 0 0'
	echo 'dir /lib 0755 0 0'
	echo 'dir /lib/kovan 0755 0 0'
	echo 'file /bin/busybox /bin/busybox 0755 0 0'
	echo "file /init $x86_work/init 0755 0 0"
	for ko in kovan/kovan kovan_queue/kovan_queue bench/kovan_bench bench/kovan_hash_bench \
		bench/kovan_queue_bench bench/kovan_disruptor_bench; do
		echo "file /lib/kovan/${ko##*/}.ko $tree/$ko.ko 0644 0 0"
	done
} >"$x86_work/initramfs.list"
"$x86_build/usr/gen_init_cpio" "$x86_work/initramfs.list" >"$x86_work/initramfs.cpio"

qemu_args=()
for smp in $smp_list; do
	console=$KOVAN_LOGDIR/bench-x86_64-smp$smp.console
	stage "bench: booting QEMU TCG -smp $smp, $runs runs of each scenario (3-4 minutes; console: $console)"
	timeout -k 5 "$timeout" qemu-system-x86_64 -nodefaults -no-reboot -nographic \
		-accel tcg,thread=multi -smp "$smp" -m 1G -serial stdio \
		-kernel "$x86_build/arch/x86/boot/bzImage" -initrd "$x86_work/initramfs.cpio" \
		-append "console=ttyS0 panic=-1" </dev/null >"$console" 2>&1 ||
		die "benchmark boot failed or timed out, see $console"
	check_console "$console" 'kovan-bench: end' 'kovan-hash-bench: end' 'kovan-queue-bench: end' \
		'kovan-disruptor-bench: end'
	qemu_args+=(--qemu "$smp:$console")
done

stage "bench: writing the report and plots"
# Debian's python3, where python3-matplotlib is installed.
/usr/bin/python3 "$KOVAN_ROOT/scripts/bench_report.py" --out "$report" --version "$(kernel_version)" \
	--params "${kovan_params:-defaults}" --host-cpus "$(nproc)" --uml "$uml_console" \
	--configs "uml-bench:${uml_build##*/} x86_64-bench:${x86_build##*/}" \
	--commit "$(git -C "$KOVAN_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	--qemu-version "$(qemu-system-x86_64 --version | head -n 1)" \
	"${qemu_args[@]}"
stage "bench: report written to $report, plots $KOVAN_LOGDIR/bench-*.png"
