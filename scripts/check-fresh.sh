#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check-fresh: make check as a new machine runs it. Clones the
# committed tree (HEAD; uncommitted changes are not in it), removes the
# project's caches ($KOVAN_CACHE: kernel sources and builds, ccache, logs)
# and every Debian package that scripts/packages marks "added" together with
# the dependencies only they needed, then runs make check in the clone.
# A package a script uses without asking for its need then fails here,
# as it would in CI on a new machine.
#
# Destructive by design: it uninstalls packages and deletes the cache, so
# nothing else that uses them (another make check, a helper) may run
# meanwhile. Needs root. Ends with make check's own last line.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "check-fresh removes Debian packages: run it as root"
clone=$(mktemp -d /tmp/kovan-fresh.XXXXXX)
log=$clone.log

stage "make check-fresh: clone in $clone, this script's log in $log"
stage "[1/4] cloning the committed tree (HEAD $(git -C "$KOVAN_ROOT" rev-parse --short HEAD))"
[ -z "$(git -C "$KOVAN_ROOT" status --porcelain)" ] ||
	stage "warning: uncommitted changes in $KOVAN_ROOT are not part of the check"
git clone -q "$KOVAN_ROOT" "$clone" || die "git clone of $KOVAN_ROOT failed"

stage "[2/4] removing the project's caches: $KOVAN_CACHE"
rm -rf "$KOVAN_CACHE"

# installed PACKAGE...: those of the PACKAGEs that dpkg has installed.
installed() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && echo "$p"
	done
	return 0
}

# autoremovable: the packages apt-get autoremove would remove now, without
# apt.conf.d, whose kernel rules keep the linux-headers-<abi> packages
# that linux-headers-amd64 pulled in.
autoremovable() {
	apt-get -s -o Dir::Etc::Parts=/nonexistent autoremove 2>/dev/null |
		awk '$1 == "Remv" { print $2 }' | sort
}

mapfile -t added < <(installed $(packages_of machine added))
stage "[3/4] removing ${#added[@]} Debian package(s) marked added in scripts/packages${added:+: ${added[*]}}"
if [ ${#added[@]} -gt 0 ]; then
	# Only the dependencies that these packages alone pulled in: what was
	# autoremovable before is the machine's business, not ours.
	before=$(autoremovable)
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -q "${added[@]}" \
		>>"$log" 2>&1 || die "apt-get purge failed, see $log"
	mapfile -t orphans < <(comm -13 <(printf '%s\n' "$before") <(autoremovable))
	if [ ${#orphans[@]} -gt 0 ]; then
		stage "removing ${#orphans[@]} dependencies only they needed"
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -q \
			"${orphans[@]}" >>"$log" 2>&1 || die "apt-get purge of dependencies failed, see $log"
	fi
	left=$(installed $(packages_of machine added))
	[ -z "$left" ] || die "still installed after the purge: $left"
fi

stage "[4/4] make check in $clone, as CI runs it (.ci/run)"
# A new shell's environment: none of this script's exports.
(cd "$clone" && env -u KOVAN_T0 -u CCACHE_DIR -u MAKEFLAGS -u MFLAGS -u MAKELEVEL .ci/run) 2>&1 |
	tee -a "$log"
rc=${PIPESTATUS[0]}
stage "check-fresh: make check exited $rc (clone $clone, log $log)"
exit "$rc"
