#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make docs: render Documentation/ to HTML with Debian's sphinx and the
# kernel's kernel-doc extension and script (Documentation/sphinx/ and
# scripts/kernel-doc of the unpacked kernel source), which read the public
# headers as the kernel's make htmldocs reads its own. Any sphinx or
# kernel-doc warning fails: sphinx runs with -W, and kernel-doc's own
# warnings, which the extension passes through to stderr without making
# them sphinx warnings, are caught in the log. make lint runs this too.
#
# KOVAN_DOCS_SRCTREE: the tree the paths of the .. kernel-doc:: directives
# are relative to (default: this repository). KOVAN_DOCS_OUT: where the
# HTML goes (default: $KOVAN_CACHE/docs/html).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_kernel_source
ensure_packages docs
out=${KOVAN_DOCS_OUT:-$KOVAN_CACHE/docs}
log=$KOVAN_LOGDIR/docs.log
export KOVAN_KSRC=$KSRC
# The extensions are imported from the kernel source: leave no bytecode there.
export PYTHONDONTWRITEBYTECODE=1
export KOVAN_DOCS_SRCTREE=${KOVAN_DOCS_SRCTREE:-$KOVAN_ROOT}

stage "docs: sphinx-build -W of Documentation/, kernel-doc on the headers of $KOVAN_DOCS_SRCTREE (log: $log)"
# From scratch every time: sphinx rereads only changed pages otherwise, and
# the warnings of the others would not be repeated.
rm -rf "$out"
mkdir -p "$KOVAN_LOGDIR"
rc=0
sphinx-build -b html -W --keep-going -q -d "$out/doctrees" "$KOVAN_ROOT/Documentation" \
	"$out/html" >"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ] || grep -qiE 'warning|error' "$log"; then
	grep -iE 'warning|error' "$log" | head -n 30
	stage "docs: FAILED (full log: $log)"
	exit 1
fi
stage "docs: $out/html/index.html"
