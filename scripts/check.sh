#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# make check: everything CI runs. Installs what it needs, builds (or finds in
# the cache) the test kernels, lints, runs the KUnit suites on UML and on
# QEMU x86_64 with 2 and 4 vCPUs, model-checks a reduced size of the slot
# protocol with spin (make model: the full sizes), proves the harness still
# reports failures,
# and ends with one line "N passed, N failed, N skipped".
#
# KOVAN_SMP="2 4" picks the QEMU vCPU counts; KOVAN_SKIP_SELFTEST=1 skips the
# harness self-test; KOVAN_SELFTEST=fail (or warn, kasan, hang, expect)
# makes every suite run carry that deliberate failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

stage "make check: logs in $KOVAN_LOGDIR"
rm -f "$KOVAN_LOGDIR"/*.json
total=8
n=0
step() {
	n=$((n + 1))
	stage "[$n/$total] $*"
}
results=()
lint_failed=0
model_failed=0

step "packages and kernel source"
ensure_kernel_source
step "UML test kernel"
"$KOVAN_ROOT/scripts/build-kernel.sh" uml >/dev/null || exit 1
step "x86_64 test kernel"
"$KOVAN_ROOT/scripts/build-kernel.sh" x86_64 >/dev/null || exit 1

step "lint"
"$KOVAN_ROOT/scripts/lint.sh" || lint_failed=1

step "spin model of the slot protocol, reduced sizes (make model: full)"
"$KOVAN_ROOT/scripts/model.sh" --reduced || model_failed=1

step "UML suites (one CPU, KASAN, lockdep)"
"$KOVAN_ROOT/scripts/run-tests.sh" uml
results+=("$KOVAN_LOGDIR/uml-smp1.json")

step "QEMU x86_64 suites (lockdep), -smp ${KOVAN_SMP:-2 4}"
for smp in ${KOVAN_SMP:-2 4}; do
	"$KOVAN_ROOT/scripts/run-tests.sh" --smp "$smp" x86_64
	results+=("$KOVAN_LOGDIR/x86_64-smp$smp.json")
done

step "harness self-test: deliberate failures must be reported"
if [ "${KOVAN_SKIP_SELFTEST:-0}" = 1 ]; then
	stage "skipped (KOVAN_SKIP_SELFTEST=1)"
else
	"$KOVAN_ROOT/scripts/selftest.sh"
	results+=("$KOVAN_LOGDIR/selftest.json")
fi

python3 - "$lint_failed" "$model_failed" "${results[@]}" <<'EOF'
import json, os, sys
lint_failed = sys.argv[1] == '1'
model_failed = sys.argv[2] == '1'
passed = failed = skipped = 0
for path in sys.argv[3:]:
    if not os.path.exists(path):
        print(f'  FAIL {os.path.basename(path)}: run produced no results')
        failed += 1
        continue
    r = json.load(open(path))
    passed += len(r['passed'])
    failed += len(r['failed'])
    skipped += len(r['skipped'])
    for f in r['failed']:
        print(f"  FAIL {r['label']}: {f}")
if lint_failed:
    print('  FAIL lint: see the lint output above')
    failed += 1
else:
    passed += 1
if model_failed:
    print('  FAIL model: see the model output above')
    failed += 1
else:
    passed += 1
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
EOF
