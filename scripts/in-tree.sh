#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# scripts/in-tree.sh KERNEL_TREE: put kovan into a kernel source tree, as a
# subsystem of lib/ would be: the sources in lib/kovan/, one line sourcing
# its Kconfig at the end of lib/Kconfig's "Library routines" menu, one line
# descending into it in lib/Makefile. Run again, it refreshes lib/kovan/
# (files whose content did not change keep their time stamps, so kbuild
# rebuilds only what changed) and leaves the two lines as they are. Then,
# from the kernel tree:
#
#   tools/testing/kunit/kunit.py run --kunitconfig=lib/kovan [--arch=x86_64]
#
# builds kovan, kovan_queue and their KUnit suites into a kernel and runs
# them (lib/kovan/.kunitconfig). Or set CONFIG_KOVAN and its options in
# menuconfig, under "Library routines".
#
# Files are replaced, never written in place, so that a tree of hard links
# to another (cp -al) keeps that one intact.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 KERNEL_TREE"
tree=$(cd "$1" && pwd -P)
[ -f "$tree/lib/Kconfig" ] && [ -f "$tree/lib/Makefile" ] ||
	die "$tree is not a kernel source tree (no lib/Kconfig, lib/Makefile)"
dest=$tree/lib/kovan
case $(cd "$KOVAN_ROOT" && pwd -P)/ in
"$dest"/*) die "this kovan is in $dest already: run the script of a copy elsewhere" ;;
esac

# The new lib/kovan next to the old one, then moved over it file by file.
new=$dest.kovan-new
rm -rf "$new"
mkdir -p "$new/kunit"
cp -R "$KOVAN_ROOT"/Kbuild "$KOVAN_ROOT"/Kconfig "$KOVAN_ROOT"/dkms.conf \
	"$KOVAN_ROOT"/.kunitconfig "$KOVAN_ROOT"/include "$KOVAN_ROOT"/kovan "$KOVAN_ROOT"/kovan_queue "$new"/
# The suites of kunit/Kbuild; the consumer test is an external module.
cp "$KOVAN_ROOT"/kunit/Kbuild "$KOVAN_ROOT"/kunit/*.[ch] "$new/kunit/"
mkdir -p "$dest"
# Sources kovan no longer has go (not build products of an in-tree build);
# files whose content changed are replaced.
(cd "$dest" && find . -type f -name '*.[ch]' | sort) | comm -23 - <(cd "$new" && find . -type f | sort) |
	while read -r f; do rm -f "$dest/$f"; done
(cd "$new" && find . -type f) | while read -r f; do
	cmp -s "$new/$f" "$dest/$f" && continue
	mkdir -p "$(dirname "$dest/$f")"
	mv -f "$new/$f" "$dest/$f"
done
rm -rf "$new"

# add_line FILE PATTERN LINE: add LINE to FILE unless a line matches the
# extended regular expression PATTERN; before the last "endmenu" when there
# is one, else at the end. The result replaces FILE with FILE's mode.
add_line() {
	local file=$1 pattern=$2 line=$3
	grep -qE "$pattern" "$file" && return
	cp -p "$file" "$file.kovan-new"
	awk -v line="$line" '
		{ text[NR] = $0 }
		/^endmenu[[:space:]]*$/ { last = NR }
		END {
			for (i = 1; i <= NR; i++) {
				if (i == last)
					print line
				print text[i]
			}
			if (!last)
				print line
		}' "$file" >"$file.kovan-new"
	mv "$file.kovan-new" "$file"
}
add_line "$tree/lib/Kconfig" '^[[:space:]]*source[[:space:]]+"lib/kovan/Kconfig"' \
	'source "lib/kovan/Kconfig"'
add_line "$tree/lib/Makefile" '^[[:space:]]*obj-\$\(CONFIG_KOVAN\)[[:space:]]*\+=[[:space:]]*kovan/' \
	'obj-$(CONFIG_KOVAN) += kovan/'

stage "kovan is in $dest; from $tree run:"
stage "  tools/testing/kunit/kunit.py run --kunitconfig=lib/kovan [--arch=x86_64]"
