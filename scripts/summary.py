#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Add up the results of several runs and print "N passed, N failed, N skipped".

Arguments: result JSON files (results.py, selftest.sh), and NAME=STATUS
pairs for steps without one (STATUS 0: passed, anything else: failed).
A JSON file that does not exist counts as one failure: its run produced no
results. Exit status 0 only when nothing failed.
"""

import json
import os
import sys


def main():
    passed = failed = skipped = 0
    for arg in sys.argv[1:]:
        name, sep, status = arg.partition('=')
        if sep and not name.endswith('.json'):
            if status == '0':
                passed += 1
            else:
                print(f'  FAIL {name}: see its output above')
                failed += 1
            continue
        if not os.path.exists(arg):
            print(f'  FAIL {os.path.basename(arg)}: run produced no results')
            failed += 1
            continue
        with open(arg) as f:
            r = json.load(f)
        passed += len(r['passed'])
        failed += len(r['failed'])
        skipped += len(r['skipped'])
        for item in r['failed']:
            print(f"  FAIL {r['label']}: {item}")
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
