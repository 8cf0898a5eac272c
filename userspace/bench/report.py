#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Turn make bench-native's raw lines into one Markdown report and plots.

Usage: report.py --log RAW --out REPORT --runs N --secs S --commit C --rustc V

RAW holds "run N" markers and the lines of bench_native and bench-crossbeam
(result / pending / error). Cells are median (min-max) over the runs;
ratios kovan/anchor are taken run by run (both measured within a few
seconds of each other), then summarised the same way.
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import time
from collections import OrderedDict

SCENARIOS = OrderedDict([
    ('read', ('Read side: pin+load+unpin', 'Mops/s per thread',
              'Each thread loops over enter read section, load the published '
              'pointer, read the object, leave; no writer. urcu-qsbr announces a '
              'quiescent state every 64 operations; its read side itself is empty.')),
    ('retire', ('Retire throughput', 'Mobjs/s',
                'Each thread allocates a 48-byte object and hands it to the '
                'reclaimer (kovan_retire(), call_rcu(), ck_epoch_call() with '
                'ck_epoch_poll() every 64, crossbeam defer_destroy() under a pin). '
                'Every free is counted; the run fails unless all are freed after '
                'the barrier (crossbeam: after flushing).')),
    ('retire+drain', ('Retire throughput until all freed', 'Mobjs/s',
                      'The objects of the retire scenario over the time until they '
                      'were all freed: the measurement plus kovan_barrier(), '
                      'rcu_barrier(), ck_epoch_barrier() on every record, or '
                      'crossbeam pins and flushes. Reclaimers that defer frees to '
                      'a worker (kovan, call_rcu) pay for them here.')),
    ('hash', ('Hash table, 90% lookups, 10% replacements', 'Mops/s',
              '1024 buckets, keys 0..8191 of which the even half is present; '
              'lookups of random keys, updates replace a present entry by a copy '
              'under a per-bucket spinlock and retire the old one (kovan_retire(), '
              'call_rcu(), ck_epoch_call(), crossbeam defer_destroy(); rwlock: '
              'per-bucket pthread rwlock, freed at once).')),
    ('queue', ('MPMC queue throughput', 'Mitems/s',
               '1 thread pushes and pops in turn; more threads are half producers, '
               'half consumers (pinned alike). Bounded queues hold 4096 items; a '
               'failed push or pop yields the CPU, the same everywhere. Every item '
               'must be popped exactly once (count and sum).')),
])
# kovan's rows and the anchors they are compared to, per scenario.
PAIRS = {
    'read': [(k, a) for k in ('kovan', 'kovan(robust)')
             for a in ('urcu-memb', 'urcu-qsbr', 'ck_epoch', 'crossbeam-epoch')],
    'retire': [(k, a) for k in ('kovan', 'kovan(robust)')
               for a in ('call_rcu(memb)', 'ck_epoch_call', 'crossbeam-epoch')],
    'retire+drain': [(k, a) for k in ('kovan', 'kovan(robust)')
                     for a in ('call_rcu(memb)', 'ck_epoch_call', 'crossbeam-epoch')],
    'hash': [('kovan', a) for a in ('urcu-memb', 'ck_epoch', 'crossbeam-epoch', 'rwlock')],
    'queue': [('kovan-arrayq', a) for a in ('crossbeam-arrayq', 'ck_ring', 'mutex-ring')] +
             [('kovan-segq', a) for a in ('crossbeam-segq', 'ck_ring', 'mutex-ring')],
}


def parse(path):
    results = OrderedDict()   # (scenario, impl) -> {threads: {run: value}}
    pending = OrderedDict()
    errors = []
    run = 0
    for line in open(path):
        line = line.rstrip('\n')
        m = re.match(r'^run (\d+)$', line)
        if m:
            run = int(m.group(1))
            continue
        m = re.match(r'^result (\S+) (\S+) (\d+) ([-\d.]+) (\S+)$', line)
        if m:
            s, i, t, v = m.group(1), m.group(2), int(m.group(3)), float(m.group(4))
            results.setdefault((s, i), {}).setdefault(t, {})[run] = v
            continue
        m = re.match(r'^pending (\S+) (\S+) (\d+) (\d+)$', line)
        if m:
            s, i, t, v = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
            pending.setdefault((s, i), {}).setdefault(t, {})[run] = v
            continue
        if line.startswith('error'):
            errors.append(line)
    return results, pending, errors


def summary(values, fmt='%.2f'):
    if not values:
        return '-'
    med = statistics.median(values)
    if len(values) == 1:
        return fmt % med
    return '%s (%s-%s)' % (fmt % med, fmt % min(values), fmt % max(values))


def ratios(results, scen, kovan, anchor, t):
    k = results.get((scen, kovan), {}).get(t, {})
    a = results.get((scen, anchor), {}).get(t, {})
    return [k[r] / a[r] for r in sorted(k) if r in a and a[r] > 0]


def cmd(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return 'unknown'


def dpkg_version(pkg):
    v = cmd('dpkg-query', '-W', '-f=${Version}', pkg)
    return v or 'not installed'


def cpu_model():
    for line in open('/proc/cpuinfo'):
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return platform.processor() or 'unknown'


def plot(results, scen, threads, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    title, unit, _ = SCENARIOS[scen]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (s, impl), per_t in results.items():
        if s != scen:
            continue
        ts = [t for t in threads if per_t.get(t)]
        med = [statistics.median(per_t[t].values()) for t in ts]
        lo = [m - min(per_t[t].values()) for m, t in zip(med, ts)]
        hi = [max(per_t[t].values()) - m for m, t in zip(med, ts)]
        style = '-o' if impl.startswith('kovan') else '--s'
        ax.errorbar(ts, med, yerr=[lo, hi], fmt=style, capsize=3, label=impl)
    ax.set_xlabel('threads')
    ax.set_ylabel(unit)
    ax.set_xticks(threads)
    if scen == 'read':
        ax.set_yscale('log')
    ax.set_title('%s (median, min-max)' % title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--runs', default='?')
    ap.add_argument('--secs', default='?')
    ap.add_argument('--commit', default='unknown')
    ap.add_argument('--rustc', default='unknown')
    args = ap.parse_args()
    results, pending, errors = parse(args.log)
    threads = sorted({t for per_t in results.values() for t in per_t})
    outdir = os.path.dirname(os.path.abspath(args.out))
    base = os.path.splitext(os.path.basename(args.out))[0]
    gcc = cmd('gcc', '--version').splitlines()
    L = []
    L.append('# kovan userspace benchmarks on real cores (make bench-native)')
    L.append('')
    L.append('- when: %s, kovan %s' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), args.commit))
    L.append('- host: %s, %d CPUs (nproc), %s' % (cpu_model(), os.cpu_count(), platform.platform()))
    L.append('- compilers: %s; %s' % (gcc[0] if gcc else 'gcc unknown', args.rustc))
    L.append('- anchors: liburcu %s, Concurrency Kit %s, crossbeam-epoch %s, crossbeam-queue %s '
             '(Debian packages liburcu-dev, libck-dev, librust-crossbeam-{epoch,queue}-dev)'
             % (dpkg_version('liburcu-dev'), dpkg_version('libck-dev'),
                dpkg_version('librust-crossbeam-epoch-dev'),
                dpkg_version('librust-crossbeam-queue-dev')))
    L.append('- kovan: kovan/ and kovan_queue/ compiled unchanged against userspace/include '
             '(the shim), -O2, without CONFIG_KOVAN_DEBUG (fault injection hooks compiled '
             'in, never armed); us_init(nproc) emulated CPUs, thread i on shim CPU i mod '
             'nproc; us_set_quarantine(0) (frees at once); module parameters at their defaults')
    L.append('- threads pinned: thread i to the i-th CPU of the affinity mask, modulo nproc; '
             'threads above nproc share CPUs with another benchmark thread')
    L.append('- runs: %s, interleaved (every scenario and implementation of run 1, then run 2, ...), '
             '%s s per measurement; cells are median (min-max) over the runs; ratios '
             'kovan/anchor are taken run by run, then summarised alike (> 1: kovan is faster)'
             % (args.runs, args.secs))
    L.append('')
    if errors:
        L.append('## Correctness checks FAILED')
        L.append('')
        L.extend('    ' + e for e in errors)
        L.append('')
    else:
        L.append('Correctness checks: all passed (every retired object freed after the '
                 'barrier, every queue item popped exactly once, readers read the published '
                 'value).')
        L.append('')
    # Headline: the ratios.
    L.append('## Headline: throughput ratios kovan/anchor')
    L.append('')
    L.append('| scenario | kovan | anchor | ' + ' | '.join('%d threads' % t for t in threads) + ' |')
    L.append('|---|---|---|' + '---|' * len(threads))
    for scen, pairs in PAIRS.items():
        for k, a in pairs:
            if (scen, k) not in results or (scen, a) not in results:
                continue
            cells = []
            for t in threads:
                r = ratios(results, scen, k, a, t)
                cells.append(('%.2fx' % statistics.median(r)) if r else '-')
            L.append('| %s | %s | %s | %s |' % (scen, k, a, ' | '.join(cells)))
    L.append('')
    for scen, (title, unit, how) in SCENARIOS.items():
        impls = [i for (s, i) in results if s == scen]
        if not impls:
            continue
        L.append('## %s (%s)' % (title, unit))
        L.append('')
        L.append(how)
        L.append('')
        L.append('![%s](%s-%s.png)' % (title, base, scen.replace('+', '-')))
        L.append('')
        L.append('| implementation | ' + ' | '.join('%d threads' % t for t in threads) + ' |')
        L.append('|---|' + '---|' * len(threads))
        for i in impls:
            per_t = results[(scen, i)]
            L.append('| %s | %s |' % (i, ' | '.join(summary(list(per_t.get(t, {}).values()))
                                                    for t in threads)))
        for k, a in PAIRS[scen]:
            if (scen, k) not in results or (scen, a) not in results:
                continue
            L.append('| ratio %s/%s | %s |' % (k, a, ' | '.join(
                summary(ratios(results, scen, k, a, t)) for t in threads)))
        L.append('')
        pend = [i for (s, i) in pending if s == scen and i != 'rwlock']
        if pend:
            L.append('Retired but not yet freed when the time ran out (objects, median (min-max)):')
            L.append('')
            L.append('| implementation | ' + ' | '.join('%d threads' % t for t in threads) + ' |')
            L.append('|---|' + '---|' * len(threads))
            for i in pend:
                per_t = pending[(scen, i)]
                L.append('| %s | %s |' % (i, ' | '.join(
                    summary(list(per_t.get(t, {}).values()), '%d') for t in threads)))
            L.append('')
        plot(results, scen, threads,
             os.path.join(outdir, '%s-%s.png' % (base, scen.replace('+', '-'))))
    # Closing note: per anchor, the ratios over its scenarios and threads.
    L.append('## Closing note: kovan against each anchor')
    L.append('')
    L.append('Median ratio kovan/anchor per thread count (%s threads); > 1: kovan '
             'is faster.' % ', '.join(str(t) for t in threads))
    L.append('')
    anchors = OrderedDict()
    for scen, pairs in PAIRS.items():
        for k, a in pairs:
            if (scen, k) in results and (scen, a) in results:
                anchors.setdefault(a, []).append((scen, k))
    for a, uses in anchors.items():
        parts = []
        for scen, k in uses:
            meds = []
            for t in threads:
                r = ratios(results, scen, k, a, t)
                meds.append('%.2f' % statistics.median(r) if r else '-')
            parts.append('%s %s %sx' % (scen, k, '/'.join(meds)))
        L.append('- **%s**: %s' % (a, '; '.join(parts)))
    L.append('')
    with open(args.out, 'w') as f:
        f.write('\n'.join(L) + '\n')


if __name__ == '__main__':
    main()
