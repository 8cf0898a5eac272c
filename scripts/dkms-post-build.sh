#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR MIT
# dkms.conf's POST_BUILD: run by dkms in its build directory after a build,
# before it deletes that directory. Keeps kovan's Module.symvers in the
# directory given, dkms's record of this kernel's build
# ($dkms_tree/kovan/<version>/<kernel>/<arch>), for modules that use kovan.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 <dkms kernel/arch directory>" >&2; exit 1; }
[ -s Module.symvers ] || { echo "$0: no Module.symvers in $(pwd)" >&2; exit 1; }
mkdir -p "$1"
cp Module.symvers "$1/Module.symvers"
