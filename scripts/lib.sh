# SPDX-License-Identifier: GPL-2.0 OR MIT
# Shared helpers for kovan's scripts: cache layout, packages, stage lines.
# Sourced, not executed.

KOVAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# A script behaves the same whether make started it or a shell did: the
# top-level make's flags (-w adds "Entering directory" lines to captured
# output such as kernelversion, which keys the kernel build directories)
# stay out of the scripts' own make calls.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
KOVAN_CACHE=${KOVAN_CACHE:-$HOME/.cache/kovan}
KOVAN_LOGDIR=${KOVAN_LOGDIR:-$KOVAN_CACHE/logs}
KERNEL_SERIES=${KERNEL_SERIES:-6.12}
KSRC=$KOVAN_CACHE/src/linux-source-$KERNEL_SERIES
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$KOVAN_CACHE/ccache}
mkdir -p "$KOVAN_CACHE" "$KOVAN_LOGDIR"

KOVAN_T0=${KOVAN_T0:-$(date +%s)}
export KOVAN_T0

elapsed() {
	local s=$(($(date +%s) - KOVAN_T0))
	printf '%d:%02d' $((s / 60)) $((s % 60))
}

# One progress line per stage, with the elapsed time since the top-level command started.
stage() {
	printf '[%s] %s\n' "$(elapsed)" "$*"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Debian packages: scripts/packages lists each with the needs it serves.
KOVAN_PACKAGE_LIST=$KOVAN_ROOT/scripts/packages

# packages_of FIELD VALUE: the packages of scripts/packages whose FIELD
# (machine, needs) holds VALUE (needs is a comma-separated list).
packages_of() {
	awk -v field="$1" -v want="$2" '
		/^#/ || NF < 3 { next }
		{ col = field == "machine" ? $2 : $3; n = split(col, v, ",")
		  for (i = 1; i <= n; i++) if (v[i] == want) { print $1; next } }' "$KOVAN_PACKAGE_LIST"
}

# missing_packages NEED...: the packages serving the NEEDs that dpkg has
# not installed, one per line.
missing_packages() {
	local need p
	for need in "$@"; do
		for p in $(packages_of needs "$need"); do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
				echo "$p"
		done
	done | sort -u
}

# ensure_packages NEED...: install (when missing) every package of
# scripts/packages that serves one of the NEEDs. CI may be a new machine.
ensure_packages() {
	local missing=() log=$KOVAN_LOGDIR/apt.log need try
	for need in "$@"; do
		[ -n "$(packages_of needs "$need")" ] ||
			die "ensure_packages: no package in scripts/packages serves the need '$need'"
	done
	mapfile -t missing < <(missing_packages "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	# One install at a time among our scripts (make selftest boots two at
	# once); apt-get update does not wait for the lists lock by itself.
	exec 8>"/var/lock/kovan-apt.lock"
	flock 8
	mapfile -t missing < <(missing_packages "$@")
	if [ ${#missing[@]} -gt 0 ]; then
		stage "installing Debian packages for $*: ${missing[*]}"
		# Another apt (unattended upgrades) may hold the locks for a while.
		for try in 1 2 3 4 5 6; do
			apt-get -o DPkg::Lock::Timeout=300 update -q >>"$log" 2>&1 && break
			[ $try -lt 6 ] || die "apt-get update failed, see $log"
			sleep 10
		done
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
			--no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
			die "apt-get install failed, see $log"
	fi
	exec 8>&-
}

# locked_unpack SRC MARKER COMMAND...: make sure SRC/MARKER exists, running
# COMMAND (which creates SRC) when it does not, under SRC.lock: held shared
# from here until this run ends, as every run using SRC holds it, and
# exclusive while COMMAND runs. Two runs (two worktrees) never unpack the
# same source at once, and never under a run that uses it.
declare -gA kovan_source_locks
locked_unpack() {
	local src=$1 marker=$2 fd=${kovan_source_locks[$1]:-}
	shift 2
	if [ -z "$fd" ]; then
		mkdir -p "$(dirname "$src")"
		exec {fd}>>"$src.lock"
		kovan_source_locks[$src]=$fd
	fi
	flock -n -s "$fd" || { stage "waiting: another run is unpacking $src"; flock -s "$fd"; }
	[ ! -f "$src/$marker" ] || return 0
	flock -n -x "$fd" || { stage "waiting for the runs using $src to end, to unpack it"; flock -x "$fd"; }
	if [ ! -f "$src/$marker" ]; then
		"$@" || die "unpacking $src failed"
		touch "$src/$marker"
	fi
	flock -s "$fd"
}

# Unpack Debian's kernel source of a series once into the cache, with the
# kernel fixes our test kernels need (kunit/patches/<series>/*.patch),
# keyed by the patches' text.
unpack_kernel_source() {
	local series=$1 marker=.kovan-unpacked patches=()
	if [ -d "$KOVAN_ROOT/kunit/patches/$series" ]; then
		patches=("$KOVAN_ROOT/kunit/patches/$series"/*.patch)
		marker=.kovan-unpacked-$(cat "${patches[@]}" | sha256sum | cut -c1-12)
	fi
	locked_unpack "$KOVAN_CACHE/src/linux-source-$series" "$marker" \
		unpack_tarball "$series" "${patches[@]}"
}

# unpack_tarball SERIES PATCH...: for unpack_kernel_source, under its lock.
unpack_tarball() {
	local series=$1 tarball=/usr/src/linux-source-$1.tar.xz p
	shift
	[ -f "$tarball" ] || die "$tarball missing after installing linux-source-$series"
	stage "unpacking $tarball into $KOVAN_CACHE/src, $# patch(es) from kunit/patches/$series"
	rm -rf "$KOVAN_CACHE/src/linux-source-$series"
	tar -C "$KOVAN_CACHE/src" -xf "$tarball" || die "unpacking $tarball failed"
	for p in "$@"; do
		patch -d "$KOVAN_CACHE/src/linux-source-$series" -p1 -s <"$p" ||
			die "$p does not apply to $tarball"
	done
}

ensure_kernel_source() {
	ensure_packages kernel "source-$KERNEL_SERIES"
	unpack_kernel_source "$KERNEL_SERIES"
}

kernel_version() {
	make -s -C "$KSRC" kernelversion 2>/dev/null
}

# Build directory of a kernel flavour, keyed by everything that shapes the kernel:
# our config fragment, the source version, our patches to it and the compiler.
kernel_build_dir() {
	local flavour=$1 key
	key=$({
		cat "$KOVAN_ROOT/kunit/configs/$flavour.config"
		kernel_version
		cat "$KOVAN_ROOT/kunit/patches/$KERNEL_SERIES"/*.patch 2>/dev/null || true
		"$(kernel_cross_compile "$flavour")gcc" --version | head -n 1
	} | sha256sum | cut -c1-12)
	echo "$KOVAN_CACHE/build/$flavour-$KERNEL_SERIES-$key"
}

kernel_arch() {
	case $1 in
	uml*) echo um ;;
	x86_64*) echo x86_64 ;;
	arm64*) echo arm64 ;;
	*) die "unknown kernel flavour $1" ;;
	esac
}

# CROSS_COMPILE prefix of a flavour's compiler; empty for the host's gcc.
kernel_cross_compile() {
	case $1 in
	arm64*) echo aarch64-linux-gnu- ;;
	esac
}

# external_tree NAME SRC ARCH [KEY...]: a defconfig tree of the kernel source
# SRC for ARCH with what kovan's modules use (modules, debugfs, KUnit, fault
# injection), prepared for external modules (modules_prepare) once into
# $KOVAN_CACHE/build/NAME-<key of the version, the compiler and KEYs>;
# prints its path. Enough to compile against; without the kernel's vmlinux
# modpost cannot check the kernel's own symbols (KBUILD_MODPOST_WARN).
external_tree() {
	local name=$1 src=$2 arch=$3 cross version build log o enable=()
	shift 3
	cross=$(kernel_cross_compile "$arch")
	version=$(make -s -C "$src" kernelversion)
	build=$KOVAN_CACHE/build/$name-$(printf '%s\n' "$version" "$("${cross}gcc" --version | head -n 1)" \
		"$@" | sha256sum | cut -c1-12)
	log=$KOVAN_LOGDIR/$name.log
	if [ ! -f "$build/.kovan-prepared" ]; then
		stage "$name: preparing a $version defconfig tree for external modules (log: $log)" >&2
		for o in MODULES MODULE_UNLOAD KUNIT DEBUG_FS FAULT_INJECTION FAULT_INJECTION_DEBUG_FS; do
			enable+=(-e "$o")
		done
		mkdir -p "$build"
		{
			make -C "$src" O="$build" ARCH="$arch" CROSS_COMPILE="$cross" defconfig &&
			"$src/scripts/config" --file "$build/.config" "${enable[@]}" &&
			make -C "$src" O="$build" ARCH="$arch" CROSS_COMPILE="$cross" olddefconfig &&
			make -C "$src" O="$build" ARCH="$arch" CROSS_COMPILE="$cross" \
				CC="ccache ${cross}gcc" -j"$JOBS" modules_prepare
		} >"$log" 2>&1 || die "preparing the $version tree $build failed, see $log"
		touch "$build/.kovan-prepared"
	fi
	echo "$build"
}

# build_bench_native WORK LOG: libkovan.a and userspace/bench's bench_native
# (WORK/bin/bench_native) against the C anchors' libraries. CONFIG_KOVAN_DEBUG
# off as in make bench's modules; the fault injection hooks stay compiled in
# (the shim needs them), never armed.
build_bench_native() {
	local work=$1 log=$2
	if ! make -C "$KOVAN_ROOT/userspace" -j"$JOBS" MODE=native O="$work/lib" \
		EXTRA_CFLAGS=-UCONFIG_KOVAN_DEBUG "$work/lib/libkovan.a" >>"$log" 2>&1 ||
		! make -C "$KOVAN_ROOT/userspace/bench" O="$work/bin" LIB="$work/lib/libkovan.a" \
			>>"$log" 2>&1; then
		grep -E 'error' "$log" | head -n 20 >&2 || true
		die "bench_native: build failed, see $log"
	fi
}

# build_modules BUILD ARCH TREE LOG [make variables...]
# Copy the sources to TREE and build kovan, kovan_queue and (unless told
# otherwise, CONFIG_KOVAN_KUNIT_TEST=n) the test modules against the kernel
# in BUILD; then build the external modules (kunit/consumer unless tests are
# off, examples/lookup, examples/demo, bench, torture) against kovan's
# Module.symvers, exactly as a user's driver would; KOVAN_EXTERNALS="dir ..."
# picks others.
# Warnings fail the build. Allocation failure injection is built in when the
# kernel has the framework for it. A CROSS_COMPILE=<prefix> variable selects
# <prefix>gcc as the compiler.
build_modules() {
	local build=$1 arch=$2 tree=$3 log=$4
	shift 4
	local fault=n cross= v
	grep -qs '^CONFIG_FAULT_INJECTION_DEBUG_FS=y' "$build/.config" && fault=y
	for v in "$@"; do
		case $v in CROSS_COMPILE=*) cross=${v#CROSS_COMPILE=} ;; esac
	done
	local mflags=(ARCH="$arch" CC="ccache ${cross}gcc" CONFIG_KOVAN=m CONFIG_KOVAN_QUEUE=m
		CONFIG_KOVAN_KUNIT_TEST=m CONFIG_KOVAN_DEBUG=y CONFIG_KOVAN_FAULT_INJECTION=$fault "$@")
	local externals="kunit/consumer examples/lookup examples/demo bench torture"
	case " $* " in
	*" CONFIG_KOVAN_KUNIT_TEST=n "*) externals="examples/lookup examples/demo bench torture" ;;
	esac
	externals=${KOVAN_EXTERNALS:-$externals}
	rm -rf "$tree"
	mkdir -p "$tree"
	cp -a "$KOVAN_ROOT"/Kbuild "$KOVAN_ROOT"/dkms.conf "$KOVAN_ROOT"/include "$KOVAN_ROOT"/kovan "$KOVAN_ROOT"/kovan_queue \
		"$KOVAN_ROOT"/kunit "$KOVAN_ROOT"/bench "$KOVAN_ROOT"/torture \
		"$KOVAN_ROOT"/examples "$tree"/
	if ! (make -C "$build" M="$tree" "${mflags[@]}" -j"$JOBS" modules &&
		for ext in $externals; do
			make -C "$build" M="$tree/$ext" "${mflags[@]}" KOVAN_DIR="$tree" \
				KBUILD_EXTRA_SYMBOLS="$tree/Module.symvers" modules || exit 1
		done) >"$log" 2>&1; then
		grep -E 'error|ERROR' "$log" | sed "s|$tree/||" | head -n 20 >&2 || true
		die "module build against $build failed, see $log"
	fi
	# Sparse reports some problems as errors without failing the build.
	if grep -qE '(warning|error):' "$log"; then
		grep -E '(warning|error):' "$log" | sed "s|$tree/||" | head -n 20 >&2
		die "module build against $build has warnings, see $log"
	fi
}

# Test boots. A boot runs a plan, WORK/plan: busybox shell lines between the
# markers results.py cuts at, in which "load <.ko> [parameters]" and "unload
# <module>" print each insmod's and rmmod's result as results.py counts them
# (load fails when insmod does), and $M is the module tree build_modules
# built in WORK/src (the guest sees it there on UML, on the host's file
# system, and at /lib/kovan of its initramfs on QEMU). On arm64 the plan
# holds load and unload lines only: its init is scripts/arm64-init.c.
init_preamble() {
	echo '#!/bin/busybox sh'
	echo 'B=/bin/busybox'
	echo '$B mount -t proc proc /proc'
	echo '$B mount -t sysfs sysfs /sys'
	echo '$B mount -t debugfs debugfs /sys/kernel/debug'
	echo 'echo; echo KOVAN-TESTS-BEGIN'
	echo 'load() { if $B insmod "$@"; then echo "kovan-harness: ok insmod ${1##*/}";' \
		'else echo "kovan-harness: not ok insmod ${1##*/} rc=$?"; return 1; fi; }'
	echo 'unload() { if $B rmmod "$1"; then echo "kovan-harness: ok rmmod $1";' \
		'else echo "kovan-harness: not ok rmmod $1 rc=$?"; fi; }'
}

# boot ARCH BUILD WORK CONSOLE TIMEOUT SMP MEM [KERNEL ARGUMENTS...]: boot the
# kernel built in BUILD, UML on the host's file system or QEMU TCG (-smp SMP)
# with an initramfs of busybox (arm64: the static init and the plan) and the
# .ko files the plan names as $M/<path>, and run the plan; the console goes
# to CONSOLE. KOVAN_QEMU_CPU: x86_64's -cpu; KOVAN_ARM64_CPU: arm64's (default
# max,pauth-impdef=on: LSE atomics; cortex-a57 has the LL/SC ones of ARMv8.0).
# Returns timeout's status: 124 or 137 when the boot timed out.
boot() {
	local arch=$1 build=$2 work=$3 console=$4 timeout=$5 smp=$6 mem=$7 dir=/lib/kovan
	local init=$3/init list=$3/initramfs.list qemu kernel tty ko f
	shift 7
	[ "$arch" != um ] || dir=$work/src
	if [ "$arch" = arm64 ]; then
		sed "s|\$M/|$dir/|g" "$work/plan" >"$work/plan.arm64"
		aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$init" \
			"$KOVAN_ROOT/scripts/arm64-init.c" || die "compiling scripts/arm64-init.c failed"
	else
		{
			init_preamble
			echo "M=$dir"
			cat "$work/plan"
			echo 'echo; echo KOVAN-TESTS-END'
			if [ "$arch" = um ]; then echo '$B poweroff -f'; else echo '$B reboot -f'; fi
		} >"$init"
		chmod +x "$init"
	fi
	if [ "$arch" = um ]; then
		timeout -k 5 "$timeout" "$build/linux" mem="$mem" root=/dev/root rootfstype=hostfs \
			rootflags=/ rw init="$init" "$@" </dev/null >"$console" 2>&1
		return
	fi
	case $arch in
	arm64)
		qemu=(qemu-system-aarch64 -M virt -cpu "${KOVAN_ARM64_CPU:-max,pauth-impdef=on}")
		kernel=$build/arch/arm64/boot/Image tty=ttyAMA0
		;;
	*)
		qemu=(qemu-system-x86_64 ${KOVAN_QEMU_CPU:+-cpu "$KOVAN_QEMU_CPU"})
		kernel=$build/arch/x86/boot/bzImage tty=ttyS0
		;;
	esac
	mapfile -t ko < <(grep -o '\$M/[^[:space:]";]*\.ko' "$work/plan" | sed 's|^\$M/||' | sort -u)
	{
		printf 'dir %s 0755 0 0\n' /bin /dev /proc /sys $(printf "$dir/%s\n" "${ko[@]}" |
			awk -F/ '{ p = ""; for (i = 2; i < NF; i++) print p = p "/" $i }' | sort -u)
		echo 'nod /dev/console 0600 0 0 c 5 1'
		echo "file /init $init 0755 0 0"
		if [ "$arch" = arm64 ]; then
			echo "file /plan $work/plan.arm64 0644 0 0"
		else
			echo 'file /bin/busybox /bin/busybox 0755 0 0'
		fi
		for f in "${ko[@]}"; do echo "file $dir/$f $work/src/$f 0644 0 0"; done
	} >"$list"
	"$build/usr/gen_init_cpio" "$list" >"$work/initramfs.cpio" || die "gen_init_cpio $list failed"
	timeout -k 5 "$timeout" "${qemu[@]}" -nodefaults -no-reboot -nographic \
		-accel tcg,thread=multi -smp "$smp" -m "$mem" -serial stdio \
		-kernel "$kernel" -initrd "$work/initramfs.cpio" \
		-append "console=$tty panic=-1 $*" </dev/null >"$console" 2>&1
}

# console_verdict LABEL CONSOLE RC [results.py options...]: judge a boot's
# console (RC: boot's status) with scripts/results.py, the one scanner of
# kernel reports; print its failure lines, leave its count line in $verdict
# ("N passed, N failed, N skipped"), the results in $KOVAN_LOGDIR/LABEL.json.
console_verdict() {
	local label=$1 console=$2 rc=$3 out res=0
	shift 3
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || set -- "$@" --timed-out
	out=$(python3 "$KOVAN_ROOT/scripts/results.py" --log "$console" \
		--kunit "$KSRC/tools/testing/kunit/kunit.py" --label "$label" \
		--json "$KOVAN_LOGDIR/$label.json" "$@") || res=$?
	printf '%s\n' "$out" | sed '$d'
	verdict=$(printf '%s\n' "$out" | tail -n 1 | sed "s/^$label: //")
	return $res
}
