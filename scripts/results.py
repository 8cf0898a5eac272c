#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Turn one test boot's console log into results.

Cuts the log between the init script's markers, splits it into one KTAP
document per insmod-ed KUnit module (kunit.py parse reads only the first
document of its input), parses each with the kernel's own kunit.py, adds the
init script's harness lines (insmod/rmmod), checks that every expected suite
reported, and scans the whole console for kernel reports.

Writes a JSON summary and prints one line: "<label>: N passed, N failed, N skipped".
Exit status 0 only when nothing failed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

BEGIN = 'KOVAN-TESTS-BEGIN'
END = 'KOVAN-TESTS-END'
HARNESS = re.compile(r'kovan-harness: (ok|not ok) (.*)$')
# A test that provokes a report on purpose (a documented WARN) brackets it;
# reports inside a bracket are expected, and a bracket without one fails.
EXPECT_BEGIN = re.compile(r'kovan-expect-report: begin ([\w-]+): (.*)$')
EXPECT_END = re.compile(r'kovan-expect-report: end')
TIMESTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')

# Kernel reports that fail a run wherever they appear on the console:
# a report in a helper kthread does not fail its KUnit case by itself.
# The first pattern a line matches names its kind: the two lockdep reports
# a bracket may expect come before the WARNING line they are printed on.
REPORTS = [
    ('lockdep-recursive', re.compile(r'possible recursive locking detected')),
    ('lockdep-circular', re.compile(r'possible circular locking dependency detected')),
    ('BUG', re.compile(r'\bBUG:')),
    ('WARNING', re.compile(r'\bWARNING:')),
    ('KASAN', re.compile(r'\bKASAN\b')),
    ('KCSAN', re.compile(r'\bKCSAN\b')),
    ('lockdep', re.compile(r'possible (recursive|circular) locking|inconsistent lock state|'
                           r'lock held when returning|bad unlock balance|'
                           r'suspicious RCU usage|INFO: trying to register non-static key')),
    ('Oops', re.compile(r'\bOops\b')),
    ('Call Trace', re.compile(r'Call [Tt]race')),  # arm64: "Call trace:"
    ('panic', re.compile(r'Kernel panic')),
    ('general protection fault', re.compile(r'general protection fault')),
    ('UBSAN', re.compile(r'\bUBSAN\b')),
    ('hung task', re.compile(r'blocked for more than \d+ seconds')),
    ('RCU stall', re.compile(r'rcu.*detected stalls')),
]


# A KCSAN report runs from its "BUG: KCSAN:" title to a line of '='. Its
# title names the functions that made the racing accesses, with their module
# ("data-race in kovan_flush [kovan] / kovan_retire_node [kovan]"). KCSAN
# reports races anywhere in the kernel; those with one of the accesses in our
# modules fail a run, the others are listed.
KCSAN_TITLE = re.compile(r'BUG: KCSAN:')
KCSAN_END = re.compile(r'^(\[\s*\d+\.\d+\]\s?)?={20,}')
OURS = re.compile(r'\[kovan\w*\]')


def foreign_kcsan_lines(console):
    """Indices of the lines of KCSAN reports about accesses outside our
    modules, and the titles of those reports."""
    skip, titles = set(), []
    i = 0
    while i < len(console):
        if not KCSAN_TITLE.search(console[i]):
            i += 1
            continue
        j = i + 1
        while j < len(console) and j - i < 200 and not KCSAN_END.search(console[j]):
            j += 1
        if not OURS.search(console[i]):
            skip.update(range(i, j))
            titles.append(strip_prefix(console[i]).strip())
        i = j
    return skip, titles


def strip_prefix(line):
    return TIMESTAMP.sub('', line)


TOP_RESULT = re.compile(r'^(not )?ok \d+ ')


def split_ktap(lines):
    """One list of lines per top-level KTAP document.

    KUnit in 6.12 prints each module's suites as a document of their own.
    KUnit in 6.1 prints only the suites, indented, with top-level result
    lines numbered across modules: they are one document, whose header is
    supplied here."""
    docs = []
    for line in lines:
        if strip_prefix(line).startswith('KTAP version'):
            docs.append([])
        if docs:
            docs[-1].append(line)
    if docs or not any(strip_prefix(l).lstrip().startswith('KTAP version') for l in lines):
        return docs
    results = sum(1 for l in lines if TOP_RESULT.match(strip_prefix(l)))
    return [['KTAP version 1', f'1..{results}'] + list(lines)]


def leaves(group, prefix=''):
    """Yield (name, status) for every leaf case, parameterised ones included."""
    name = group.get('name', '')
    path = f'{prefix}.{name}' if prefix else name
    for sub in group.get('sub_groups', []):
        yield from leaves(sub, path)
    for case in group.get('test_cases', []):
        yield f"{path}.{case['name']}", case['status']


PARSE_ERROR = re.compile(r'\[ERROR\] (.*)$')


def parse_doc(kunit_py, doc, parse_log):
    """Parse one KTAP document with kunit.py.

    Returns (top-level groups, top-level cases, parser errors): kunit.py
    parse exits non-zero for failed cases too, so its errors are read from
    its output ("[ERROR] Test: main: missing expected subtest!"), and a
    document it could not turn into JSON at all is one error more."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'ktap.log')
        out = os.path.join(tmp, 'ktap.json')
        with open(src, 'w') as f:
            f.write('\n'.join(doc) + '\n')
        proc = subprocess.run([sys.executable, kunit_py, 'parse', f'--json={out}', src],
                              capture_output=True, text=True)
        parse_log.write(proc.stdout + proc.stderr)
        errors = [m.group(1).strip() for m in map(PARSE_ERROR.search, proc.stdout.splitlines())
                  if m]
        if not os.path.exists(out):
            return [], [], errors + ['kunit.py parse wrote no results']
        with open(out) as f:
            top = json.load(f)
    return top.get('sub_groups', []), top.get('test_cases', []), errors


def marked_region(console, timed_out, failed):
    """The lines between the init script's markers; what is wrong with
    them goes to failed."""
    begin = next((i for i, l in enumerate(console) if strip_prefix(l).strip() == BEGIN), None)
    if begin is None:
        failed.append(f'boot: never reached the test marker {BEGIN}')
        return []
    end = next((i for i, l in enumerate(console) if i > begin and
                strip_prefix(l).strip() == END), None)
    if end is None and not timed_out:
        failed.append(f'boot: test region not closed by {END} (crash or early exit)')
    return console[begin + 1:end]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--log', required=True, help='console log of the boot')
    ap.add_argument('--kunit', required=True, help='path to tools/testing/kunit/kunit.py')
    ap.add_argument('--expect', default='', help='comma-separated suites that must report')
    ap.add_argument('--label', required=True)
    ap.add_argument('--json', required=True, help='where to write the summary')
    ap.add_argument('--timed-out', action='store_true', help='the boot hit its time limit')
    ap.add_argument('--require', action='append', default=[], metavar='REGEX',
                    help='a console line that must appear (the boot was what it claims)')
    ap.add_argument('--whole-console', action='store_true',
                    help='no init script marks the test region: suites built into the '
                    'kernel, run by kunit.py')
    ap.add_argument('--step', action='append', default=[], metavar='NAME=STATUS',
                    help='a step outside the console, one result: status 0 passed')
    args = ap.parse_args()

    with open(args.log, errors='backslashreplace') as f:
        console = f.read().splitlines()

    passed, failed, skipped = [], [], []

    if args.timed_out:
        failed.append('boot: timed out (see the console log)')

    for step in args.step:
        name, _, status = step.partition('=')
        (passed if status == '0' else failed).append(
            f'{name}' + ('' if status == '0' else f': exit status {status}'))

    region = console if args.whole_console else marked_region(console, args.timed_out, failed)
    if args.whole_console and not console:
        failed.append('boot: empty console log')

    for line in region:
        m = HARNESS.search(line)
        if m:
            (passed if m.group(1) == 'ok' else failed).append(f'harness: {m.group(2)}')

    seen_suites = set()
    with open(args.log + '.parsed', 'w') as parse_log:
        for number, doc in enumerate(split_ktap(region), 1):
            groups, cases, errors = parse_doc(args.kunit, doc, parse_log)
            for error in errors:
                failed.append(f'ktap: document {number}: {error}')
            results = [leaf for group in groups for leaf in leaves(group)]
            results += [(case['name'] or f'document {number}', case['status']) for case in cases]
            if not results:
                failed.append(f'ktap: document {number} holds no test results')
            seen_suites.update(group['name'] for group in groups)
            for name, status in results:
                {'PASS': passed, 'SKIP': skipped}.get(status, failed).append(
                    name if status in ('PASS', 'SKIP') else f'{name}: {status}')

    for suite in filter(None, args.expect.split(',')):
        if suite not in seen_suites:
            failed.append(f'suite {suite}: expected but did not report')
    for pattern in args.require:
        if not any(re.search(pattern, line) for line in console):
            failed.append(f'console: no line matches {pattern!r}')

    reports = []
    foreign, foreign_titles = foreign_kcsan_lines(console)
    expecting, expected_seen = None, 0
    for index, line in enumerate(console):
        if index in foreign:
            continue
        m = EXPECT_BEGIN.search(line)
        if m:
            expected_kind, expecting, expected_seen = m.group(1), m.group(2), 0
            continue
        if EXPECT_END.search(line) and expecting is not None:
            (passed if expected_seen else failed).append(
                f'expected report: {expecting}' + ('' if expected_seen else ' did not appear'))
            expecting = None
            continue
        for kind, pattern in REPORTS:
            if pattern.search(line):
                if expecting is not None and kind == expected_kind:
                    expected_seen += 1
                elif expecting is None or kind != 'Call Trace':
                    reports.append(f'{kind}: {line.strip()}')
                break
    if expecting is not None:
        failed.append(f'expected report: {expecting}: bracket never closed')
    if reports:
        failed.append(f'console: {len(reports)} kernel report line(s), first: {reports[0]}')

    summary = {'label': args.label, 'passed': passed, 'failed': failed,
               'skipped': skipped, 'reports': reports, 'foreign_kcsan': foreign_titles}
    with open(args.json, 'w') as f:
        json.dump(summary, f, indent=1)

    for name in failed:
        print(f'  FAIL {args.label}: {name}')
    if foreign_titles:
        print(f'  note {args.label}: {len(foreign_titles)} KCSAN report(s) outside kovan, '
              f'not counted; first: {foreign_titles[0]}')
    print(f'{args.label}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
