#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make dkms-check: install kovan with DKMS the way Documentation/usage.rst
# tells a new user to (dkms add ., dkms build, dkms install), against
# Debian's newest linux-headers-<abi>-amd64, then build a module that uses
# kovan the documented way, once by hand and once as its own DKMS package
# (BUILD_DEPENDS=kovan). Last, the plain "make -C <headers> M=<tree>" with
# nothing set must build kovan.ko and kovan_queue.ko with a description, an
# author, a license, dkms.conf's version and a description for every parameter.
# Nothing is loaded: the running kernel need not be the headers' kernel.
#
# dkms's trees (--sourcetree, --dkmstree, --installtree) and its module
# signing key are in $KOVAN_CACHE/dkms, so apart from the Debian packages
# (dkms and the headers) nothing outside the cache changes; the script
# removes what it registered (dkms remove --all) and checks that removal
# leaves no module behind. Any compiler or modpost warning fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

log=$KOVAN_LOGDIR/dkms.log
work=$KOVAN_CACHE/dkms
src=$work/usr/src
dkmstree=$work/var/lib/dkms
root=$work/root
arch=$(uname -m)
trees=(--sourcetree "$src" --dkmstree "$dkmstree" --installtree "$root/lib/modules")
# dkms signs modules when the headers have sign-file, with a key it creates
# in /var/lib/dkms unless told otherwise.
export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub

[ "$(id -u)" = 0 ] || die "dkms needs root"
: >"$log"
stage "dkms: log in $log"

fail() {
	tail -n 25 "$log" | sed 's/^/  | /' >&2
	die "dkms: $*, see $log"
}

# build_failed MAKE_LOG WHAT: show dkms's error and the build's errors, keep
# make.log (dkms leaves it in its build directory) in the log.
build_failed() {
	tail -n 8 "$log" | sed 's/^/  | /' >&2
	if [ -f "$1" ]; then
		grep -E '(error|warning|Error|ERROR|WARNING)[: ]' "$1" | head -n 12 | sed 's/^/  | /' >&2
		{
			printf '\n--- %s\n' "$1"
			cat "$1"
		} >>"$log"
	fi
	die "dkms: $2, see $log"
}

# run CMD...: append the command and its output to the log.
run() {
	printf '\n$ %s\n' "$*" >>"$log"
	"$@" >>"$log" 2>&1
}

# The headers are those Debian's linux-headers-amd64 depends on (the
# newest of the distribution), installed with dkms (scripts/packages).
ensure_packages dkms
headers=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 |
	grep -oE 'linux-headers-[0-9][^-]*-[0-9]+-amd64' | head -n 1) ||
	die "dkms: cannot read the package linux-headers-amd64 depends on"
kver=${headers#linux-headers-}
kdir=/lib/modules/$kver/build
[ -e "$kdir/include" ] || die "dkms: $kdir missing after installing $headers"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$KOVAN_ROOT/dkms.conf")
[ -n "$version" ] || die "dkms: no PACKAGE_VERSION in dkms.conf"
base=$dkmstree/kovan/$version/$kver/$arch
stage "dkms: $(dkms --version), kovan $version, headers $kver ($(dpkg-query -W -f='${Version}' "$headers"))"

# dkms remove --all of both packages, if this run registered them.
remove_all() {
	local p st=0
	for p in acme-driver/1.0 "kovan/$version"; do
		[ -d "$dkmstree/$p" ] || continue
		run dkms remove "${trees[@]}" --no-depmod "$p" --all || st=1
	done
	return $st
}
trap remove_all EXIT

# What dkms would change outside $work without --sourcetree, --dkmstree,
# --installtree and the key's location.
system_state() {
	find /var/lib/dkms /usr/src /etc/dkms -maxdepth 2 2>/dev/null
	find "/lib/modules/$kver" 2>/dev/null
}
state=$(system_state)
rm -rf "$work"
mkdir -p "$src" "$dkmstree" "$root/lib/modules/$kver"

# warnings FILE WHAT: fail when a build log has compiler or modpost warnings.
warnings() {
	if grep -qE '(warning|error|WARNING|ERROR)[: ]' "$1"; then
		grep -E '(warning|error|WARNING|ERROR)[: ]' "$1" | head -n 20 | sed 's/^/  | /' >&2
		die "dkms: $2 has warnings, see $log"
	fi
}

# installed PACKAGE/VERSION: dkms status says it is installed for the headers' kernel.
installed() {
	local st
	st=$(dkms status "${trees[@]}" "$1" -k "$kver/$arch" 2>&1)
	printf '\n$ dkms status %s -k %s\n%s\n' "$1" "$kver/$arch" "$st" >>"$log"
	grep -q "^$1, $kver, $arch: installed" <<<"$st"
}

# modinfo_field MODULE FIELD: the field's values, one a line.
modinfo_field() {
	modinfo -F "$2" "$1"
}

stage "dkms: usage.rst's commands: dkms add ., dkms build kovan/$version -k $kver, dkms install kovan/$version -k $kver"
(cd "$KOVAN_ROOT" && run dkms add "${trees[@]}" .) || fail "dkms add failed"
run dkms build "${trees[@]}" "kovan/$version" -k "$kver" ||
	build_failed "$dkmstree/kovan/$version/build/make.log" "dkms build failed"
make_log=$base/log/make.log
{
	printf '\n--- %s\n' "$make_log"
	cat "$make_log"
} >>"$log"
warnings "$make_log" "dkms build"
# The private install tree has no modules.order and the like, so depmod runs
# below with -b, not from dkms install.
run dkms install "${trees[@]}" --no-depmod "kovan/$version" -k "$kver" || fail "dkms install failed"
installed "kovan/$version" || fail "dkms status does not say kovan/$version is installed"

stage "dkms: checking what dkms installed (modinfo, depmod, Module.symvers)"
dest=$root/lib/modules/$kver/updates/dkms
files=$(cd "$dest" && ls) || fail "nothing installed in $dest"
printf '\n$ ls %s\n%s\n' "$dest" "$files" >>"$log"
[ "$(echo $files)" = "kovan.ko kovan_queue.ko" ] ||
	fail "installed modules are '$(echo $files)', not kovan.ko kovan_queue.ko"
for m in kovan kovan_queue; do
	printf '\n$ modinfo %s\n' "$dest/$m.ko" >>"$log"
	modinfo "$dest/$m.ko" | grep -v '^[[:space:]]' >>"$log" || fail "modinfo $m.ko failed"
	vermagic=$(modinfo_field "$dest/$m.ko" vermagic)
	[ "${vermagic%% *}" = "$kver" ] || fail "$m.ko vermagic '$vermagic' is not for $kver"
done
[ "$(modinfo_field "$dest/kovan_queue.ko" depends)" = kovan ] || fail "kovan_queue.ko does not depend on kovan"
modinfo_field "$dest/kovan_queue.ko" import_ns | grep -qx KOVAN || fail "kovan_queue.ko does not import KOVAN"
[ -n "$(modinfo_field "$dest/kovan.ko" signer)" ] || stage "dkms: note: modules are not signed"
run depmod -b "$root" "$kver" || fail "depmod failed"
grep -qx 'updates/dkms/kovan_queue.ko: updates/dkms/kovan.ko' "$root/lib/modules/$kver/modules.dep" ||
	fail "depmod: kovan_queue.ko does not depend on kovan.ko"
symvers=$base/Module.symvers
grep -qE '	kovan_retire	.*	KOVAN$' "$symvers" 2>/dev/null ||
	fail "$symvers (dkms.conf POST_BUILD) missing or without kovan_retire in namespace KOVAN"
grep -qE '	kovan_arrayq_create	.*	KOVAN$' "$symvers" ||
	fail "$symvers has no kovan_arrayq_create"

# A module using kovan, as README's "Using kovan from your module" has it.
consumer=$work/consumer
mkdir -p "$consumer"
cat >"$consumer/Kbuild" <<'EOF'
ccflags-y += -I$(KOVAN_DIR)/include
obj-m += mydriver.o
EOF
cat >"$consumer/mydriver.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <linux/module.h>
#include <linux/slab.h>

#include <kovan/kovan.h>
#include <kovan/arrayq.h>

MODULE_IMPORT_NS(KOVAN_NS);

DEFINE_STATIC_KOVAN_DOMAIN(my_domain);

struct entry {
	int key;
	struct kovan_node knode;
};

static struct entry __kovan *table[1];
static struct kovan_arrayq *q;

static int __init mydriver_init(void)
{
	struct kovan_guard g;
	struct entry *e, *old;

	q = kovan_arrayq_create(16, GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		kovan_arrayq_destroy(q, NULL);
		return -ENOMEM;
	}
	kovan_node_init(&my_domain, &e->knode);
	old = kovan_replace_pointer(&table[0], e);
	if (old)
		kovan_retire_kfree(&my_domain, old, knode);

	kovan_pin(&my_domain, &g);
	e = kovan_load(&table[0], &g);
	pr_info("mydriver: key %d\n", e ? e->key : -1);
	kovan_unpin(&g);
	return 0;
}

static void __exit mydriver_exit(void)
{
	struct entry *old = kovan_replace_pointer(&table[0], NULL);

	if (old)
		kovan_retire_kfree(&my_domain, old, knode);
	kovan_domain_destroy(&my_domain);
	kovan_arrayq_destroy(q, NULL);
}

module_init(mydriver_init);
module_exit(mydriver_exit);
MODULE_DESCRIPTION("uses kovan as README says");
MODULE_LICENSE("Dual MIT/GPL");
EOF

kovan_dir=$src/kovan-$version
stage "dkms: building a module against the installed kovan: KOVAN_DIR=$kovan_dir, KBUILD_EXTRA_SYMBOLS=$symvers"
consumer_log=$work/consumer.log
if ! make -C "$kdir" M="$consumer" KOVAN_DIR="$kovan_dir" KBUILD_EXTRA_SYMBOLS="$symvers" \
	modules >"$consumer_log" 2>&1; then
	cat "$consumer_log" >>"$log"
	fail "building a module against the installed kovan failed"
fi
cat "$consumer_log" >>"$log"
warnings "$consumer_log" "the module using kovan"
[ "$(modinfo_field "$consumer/mydriver.ko" depends)" = kovan,kovan_queue ] ||
	fail "mydriver.ko does not depend on kovan,kovan_queue"

# The same module as a DKMS package of its own, with the dkms.conf that
# Documentation/usage.rst gives modules using kovan. When the headers of a
# new kernel are installed, dkms autoinstall builds every package for it;
# BUILD_DEPENDS makes it build and install kovan first (this package sorts
# before kovan, so without it dkms would build it first and modpost would
# not find kovan's symbols).
pkg=$work/acme-driver
mkdir -p "$pkg"
cp "$consumer/Kbuild" "$consumer/mydriver.c" "$pkg/"
cat >"$pkg/dkms.conf" <<EOF
PACKAGE_NAME="acme-driver"
PACKAGE_VERSION="1.0"
KOVAN_VERSION="$version"
BUILD_DEPENDS[0]="kovan"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build KOVAN_DIR=\${source_tree}/kovan-\${KOVAN_VERSION} KBUILD_EXTRA_SYMBOLS=\${dkms_tree}/kovan/\${KOVAN_VERSION}/\${kernelver}/\${arch}/Module.symvers modules"
BUILT_MODULE_NAME[0]="mydriver"
DEST_MODULE_LOCATION[0]="/updates/dkms"
AUTOINSTALL="yes"
EOF
stage "dkms: the same module as a DKMS package (BUILD_DEPENDS=kovan); kovan unbuilt, then dkms autoinstall -k $kver"
run dkms add "${trees[@]}" "$pkg" || fail "dkms add of the package using kovan failed"
run dkms unbuild "${trees[@]}" --no-depmod "kovan/$version" -k "$kver" || fail "dkms unbuild failed"
run dkms autoinstall "${trees[@]}" --no-depmod -k "$kver" ||
	build_failed "$dkmstree/acme-driver/1.0/build/make.log" "dkms autoinstall failed"
for p in "kovan/$version" acme-driver/1.0; do
	installed "$p" || fail "dkms autoinstall did not install $p"
done
warnings "$dkmstree/acme-driver/1.0/$kver/$arch/log/make.log" "the package using kovan"
warnings "$make_log" "kovan's build by dkms autoinstall"
[ -f "$dest/mydriver.ko" ] || fail "the package using kovan did not install mydriver.ko"

stage "dkms: dkms remove --all"
trap - EXIT
remove_all || fail "dkms remove failed"
left=$(find "$root/lib/modules" -name '*.ko*')
[ -z "$left" ] || fail "dkms remove left $left"
# Like /usr/src/kovan-<version>, the source tree copy stays after dkms remove.
[ "$(system_state)" = "$state" ] || fail "files outside $work changed: $(diff <(echo "$state") <(system_state) | grep '^[<>]' | head -n 5)"
# Plain kbuild, as a kernel developer tries first: no Makefile, no
# CONFIG_KOVAN* on the command line.
plain=$work/plain
stage "plain kbuild: make -C $kdir M=$plain (a copy of the tree), nothing else set"
mkdir -p "$plain"
(cd "$KOVAN_ROOT" && git ls-files -z | xargs -0 cp --parents -t "$plain") ||
	fail "copying the tree to $plain failed"
plain_log=$work/plain.log
if ! make -C "$kdir" M="$plain" >"$plain_log" 2>&1; then
	cat "$plain_log" >>"$log"
	fail "make -C $kdir M=$plain failed"
fi
cat "$plain_log" >>"$log"
warnings "$plain_log" "the plain kbuild"
# modinfo_entries MODULE KEY: the module's .modinfo entries KEY=..., one a line.
modinfo_entries() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout | tr '\0' '\n' | sed -n "s/^$2=//p"
}
for m in kovan/kovan kovan_queue/kovan_queue; do
	ko=$plain/$m.ko
	[ -f "$ko" ] || fail "the plain kbuild did not build $m.ko"
	for field in description author license; do
		[ -n "$(modinfo_entries "$ko" $field)" ] || fail "${m##*/}.ko has no $field"
	done
	[ "$(modinfo_entries "$ko" version)" = "$version" ] ||
		fail "${m##*/}.ko version '$(modinfo_entries "$ko" version)' is not dkms.conf's $version"
	# module_param_cb() writes no parmtype: every parameter has a __param_ symbol.
	params=$(nm "$ko" | sed -n '/ __param_str_/d; s/^[0-9a-f]* [a-zA-Z] __param_//p')
	for p in $params $(modinfo_entries "$ko" parmtype | cut -d: -f1); do
		modinfo_entries "$ko" parm | grep -q "^$p:." || fail "${m##*/}.ko parameter $p has no description"
	done
	printf '\n$ modinfo %s\n' "$ko" >>"$log"
	modinfo "$ko" >>"$log"
done
stage "plain kbuild: kovan.ko and kovan_queue.ko, version $version, every parameter described"

stage "dkms: install, module build against it and removal work with $headers"
