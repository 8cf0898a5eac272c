#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Turn make bench-native's raw lines into one Markdown report and plots.

Usage: report.py --log RAW --out REPORT --runs N --secs S --commit C --rustc V

RAW holds "run N" markers and the lines of bench_native and bench-crossbeam
(result / pending / replaced / latency / error). Cells are median (min-max)
over the runs; ratios kovan/anchor are taken run by run (both measured
within a few seconds of each other), then summarised the same way. The
Disruptor scenarios (disruptor-TOPOLOGY-bBATCH) run at the thread count
their topology has and get sections of their own: throughput, and the
per-hop latency percentiles of the "latency" lines.

The headline judges the native targets of doc/targets.md (read through
scripts/targets.py): each row's ratio at each thread count it judges must
reach the target with stable runs.
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
import targets  # noqa: E402  (scripts/targets.py: doc/targets.md)

SCENARIOS = OrderedDict([
    ('read', ('Read side: pin+load+unpin', 'Mops/s per thread',
              'Each reader loops over enter read section, load the published '
              'pointer, read the object\'s value (it must be 1), leave. A writer '
              'thread, not counted among the readers, replaces the object about '
              'every 100 us and retires the old one (kovan_retire(), call_rcu() '
              'with a call_rcu thread per CPU, ck_epoch_call() and ck_epoch_poll(), '
              'defer_destroy()); it is pinned to a CPU of its own when there are '
              'fewer readers than CPUs and unpinned otherwise. urcu-qsbr announces '
              'a quiescent state every 64 operations; its read side itself is '
              'empty.')),
    ('retire', ('Retire throughput, excluding the drain', 'Mobjs/s',
                'Each thread allocates a 48-byte object and hands it to the '
                'reclaimer (kovan_retire(), call_rcu() with a call_rcu thread per '
                'CPU, ck_epoch_call() with ck_epoch_poll() every 64, crossbeam '
                'defer_destroy() under a pin). The clock stops when the time runs '
                'out, before anything pending is freed: kovan and call_rcu free in '
                'worker threads and leave objects pending (the table under '
                'retire+drain), ck_epoch and crossbeam free inline in the retiring '
                'threads. Not judged; the headline uses retire+drain.')),
    ('retire+drain', ('Retire throughput until all freed', 'Mobjs/s',
                      'The objects of the retire scenario over the time until they '
                      'were all freed: the measurement plus kovan_barrier(), '
                      'rcu_barrier(), ck_epoch_barrier() on every record, or '
                      'crossbeam pins and flushes. Reclaimers that defer frees to '
                      'a worker (kovan, call_rcu) pay for them here. Every free is '
                      'counted; the run fails unless all are freed after the '
                      'barrier (crossbeam: after flushing).')),
    ('hash', ('Hash table, 90% lookups, 10% replacements', 'Mops/s',
              '1024 buckets, keys 0..8191 of which the even half is present; '
              'lookups of random keys, updates replace a present entry by a copy '
              'under a per-bucket spinlock and retire the old one (kovan_retire(), '
              'call_rcu() with a call_rcu thread per CPU, ck_epoch_call(), '
              'crossbeam defer_destroy(); rwlock: per-bucket pthread rwlock, freed '
              'at once).')),
    ('queue', ('MPMC queue throughput', 'Mitems/s',
               '1 thread pushes and pops in turn; more threads are half producers, '
               'half consumers (pinned alike). Bounded queues hold 4096 items; a '
               'failed push or pop yields the CPU, the same everywhere. Every item '
               'must be popped exactly once (count and sum).')),
])
# What each scenario's numbers include, one line under its table.
INCLUDES = {
    'read': 'Costs included: kovan_pin() and kovan_unpin() are inline (<kovan/kovan.h>; '
            'their slow paths are calls into libkovan.a), and the shim\'s per-CPU '
            'emulation with them: a thread-local CPU number for this_cpu_ptr() and '
            'smp_processor_id(), a thread-local preemption depth; the anchors\' read '
            'sides are inlined into the loop (liburcu with _LGPL_SOURCE, '
            'ck_epoch_begin/end from ck_epoch.h, crossbeam-epoch\'s #[inline] pin and '
            'unpin); kovan_load() is inline.',
    'retire': 'Costs included: malloc() of each object, the retire call, and whatever '
              'of the frees ran before the clock stopped (inline for ck_epoch_call and '
              'crossbeam, in worker threads for kovan and call_rcu).',
    'retire+drain': 'Costs included: malloc(), the retire call and every free (each '
                    'counted with one atomic add), wherever it ran.',
    'hash': 'Costs included: kovan_pin()/kovan_unpin() are inline, kovan_retire() '
            'is a call into libkovan.a; the anchors\' read sides are inlined.',
    'queue': 'Costs included: the C queues run one loop per implementation that calls '
             'its push and pop directly (bench.h: bench_queue_loop()); kovan\'s '
             'kovan_arrayq_push/pop and kovan_segq_push/pop are out-of-line calls into '
             'libkovan.a, ck_ring is inlined into its push and pop, crossbeam\'s loop '
             'is monomorphised per queue.',
}
# kovan's rows and the anchors they are compared to, per scenario.
PAIRS = {
    'read': [(k, a) for k in ('kovan', 'kovan(robust)', 'kovan(fenceless)')
             for a in ('urcu-memb', 'urcu-qsbr', 'ck_epoch', 'crossbeam-epoch')],
    'retire': [(k, a) for k in ('kovan', 'kovan(robust)')
               for a in ('call_rcu(memb)', 'ck_epoch_call', 'crossbeam-epoch')],
    'retire+drain': [(k, a) for k in ('kovan', 'kovan(robust)')
                     for a in ('call_rcu(memb)', 'ck_epoch_call', 'crossbeam-epoch')],
    'hash': [(k, a) for k in ('kovan', 'kovan(fenceless)')
             for a in ('urcu-memb', 'ck_epoch', 'crossbeam-epoch', 'rwlock')],
    'queue': [('kovan-arrayq', a) for a in ('crossbeam-arrayq', 'ck_ring', 'mutex-ring')] +
             [('kovan-segq', a) for a in ('crossbeam-segq', 'ck_ring', 'mutex-ring')],
}


# How each native target of doc/targets.md is measured: rows of (scenario,
# kovan row, its mode, anchor row, thread counts judged; None: every one
# measured). One kovan variant per row; robust rows are labelled.
MEASURED = {
    'read-native': [('read', 'kovan', 'plain', 'ck_epoch', None),
                    ('read', 'kovan', 'plain', 'crossbeam-epoch', None),
                    ('read', 'kovan(robust)', 'robust', 'ck_epoch', None),
                    ('read', 'kovan(robust)', 'robust', 'crossbeam-epoch', None)],
    'read-native-fenceless': [('read', 'kovan(fenceless)', 'fenceless', 'urcu-memb', None)],
    'hash-native': [('hash', 'kovan', 'plain', 'ck_epoch', None),
                    ('hash', 'kovan', 'plain', 'crossbeam-epoch', None)],
    'retire-native': [('retire+drain', 'kovan', 'plain', 'crossbeam-epoch', [1]),
                      ('retire+drain', 'kovan(robust)', 'robust', 'crossbeam-epoch', [1])],
    'retire-native-ck': [('retire+drain', 'kovan', 'plain', 'ck_epoch_call', [1]),
                         ('retire+drain', 'kovan(robust)', 'robust', 'ck_epoch_call', [1])],
    'retire-native-mt': [('retire+drain', 'kovan', 'plain', 'crossbeam-epoch', [2, 4]),
                         ('retire+drain', 'kovan', 'plain', 'call_rcu(memb)', [2, 4])],
    'queue-native': [('queue', 'kovan-arrayq', '-', 'crossbeam-arrayq', None),
                     ('queue', 'kovan-segq', '-', 'crossbeam-segq', None)],
}
# The Disruptor targets: 1P1C throughput against the crossbeam handoff, at
# the two threads of its topology.
MEASURED.update({
    'disruptor-native-b64': [('disruptor-1p1c-b64', 'kovan-disruptor', 'busy spin',
                              'crossbeam-arrayq-chain', [2]),
                             ('disruptor-1p1c-b64', 'kovan-disruptor(gathering)',
                              'busy spin, gathering', 'crossbeam-arrayq-chain', [2])],
    'disruptor-native-b1': [('disruptor-1p1c-b1', 'kovan-disruptor', 'busy spin',
                             'crossbeam-arrayq-chain', [2]),
                            ('disruptor-1p1c-b1', 'kovan-disruptor(gathering)',
                             'busy spin, gathering', 'crossbeam-arrayq-chain', [2])],
})
# Targets that are reported, not judged: their scenarios, whose p99 per hop
# the headline prints for kovan and the anchor.
REPORTED = {
    'disruptor-native-latency': [('disruptor-1p3c-b1', 'kovan-disruptor', 'busy spin',
                                  'crossbeam-arrayq-chain'),
                                 ('disruptor-1p3c-b1', 'kovan-disruptor(gathering)',
                                  'busy spin, gathering', 'crossbeam-arrayq-chain'),
                                 ('disruptor-1p3c-b64', 'kovan-disruptor', 'busy spin',
                                  'crossbeam-arrayq-chain'),
                                 ('disruptor-1p3c-b64', 'kovan-disruptor(gathering)',
                                  'busy spin, gathering', 'crossbeam-arrayq-chain')],
}
# Targets without a measurement, and why.
NOT_MEASURED = {}
# Rows whose pending counts (retired - freed when the clock stopped) the
# headline shows: the retire+drain rows come from the retire runs.
PENDING_OF = {'retire+drain': 'retire'}


# bench_native's "cpus" lines: how kovan's threads ran on the shim's CPUs.
CPU_MODES = {
    'owned': 'owned: kovan\'s thread i (and the writer, after the readers) runs alone on '
             'shim CPU i, whose this_cpu_*() operations are an unlocked load and store, as '
             'the kernel\'s are one unlocked instruction; kovan\'s workers share one more '
             'shim CPU',
    'shared': 'shared (-C): us_init(nproc) shim CPUs, thread i on shim CPU i mod nproc, '
              'this_cpu_*() are atomic RMWs (a lock prefix on x86)',
    'owned shared': 'mixed: some runs owned, some shared (-C); see the log',
}

DIS_TOPOLOGIES = OrderedDict([
    ('1p1c', 'producer -> h1'),
    ('1p3c', 'producer -> h1 -> h2 -> h3'),
    ('diamond', 'producer -> h1 and h2 -> h3'),
])
DIS_SCENARIOS = ['disruptor-%s-b%d' % (t, b) for t in DIS_TOPOLOGIES for b in (1, 64)]
DIS_KOVAN = ('kovan-disruptor', 'kovan-disruptor(gathering)', 'kovan-disruptor(blocking)')
DIS_ANCHOR = 'crossbeam-arrayq-chain'
DIS_IMPLS = DIS_KOVAN + (DIS_ANCHOR,)
DIS_PERCENTILES = ('p50', 'p99', 'p99.9', 'max')


def is_dis(scen):
    return scen.startswith('disruptor-')


def parse(path):
    results = OrderedDict()   # (scenario, impl) -> {threads: {run: value}}
    pending = OrderedDict()
    replaced = OrderedDict()
    latency = OrderedDict()   # (scenario, impl) -> {hop: {run: (p50, p99, p99.9, max)}}
    errors = []
    cpus = set()
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
        m = re.match(r'^(pending|replaced) (\S+) (\S+) (\d+) (\d+)$', line)
        if m:
            s, i, t, v = m.group(2), m.group(3), int(m.group(4)), int(m.group(5))
            into = pending if m.group(1) == 'pending' else replaced
            into.setdefault((s, i), {}).setdefault(t, {})[run] = v
            continue
        m = re.match(r'^latency (\S+) (\S+) (\S+) (\d+) (\d+) (\d+) (\d+) \d+$', line)
        if m:
            per_hop = latency.setdefault((m.group(1), m.group(2)), OrderedDict())
            per_hop.setdefault(m.group(3), {})[run] = tuple(int(m.group(i)) for i in range(4, 8))
            continue
        m = re.match(r'^cpus \S+ \d+ (owned|shared)$', line)
        if m:
            cpus.add(m.group(1))
            continue
        if line.startswith('error'):
            errors.append(line)
    return results, pending, replaced, latency, errors, cpus


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


def judge_row(tgt, results, scen, k, a, threads, judged, ran):
    """The cells of one headline row and its verdict: met, not met,
    unstable or not measured. A row that judges every thread count (judged
    None) judges those of @ran, the thread ran the scenarios ran at."""
    cells, verdicts = [], []
    for t in threads:
        if t not in (ran if judged is None else judged):
            cells.append('')
            continue
        r = ratios(results, scen, k, a, t)
        if not r:
            cells.append('not measured')
            verdicts.append('not measured')
            continue
        v = tgt.judge(statistics.median(r), targets.stable(r))
        verdicts.append(v)
        cells.append('%.2fx%s' % (statistics.median(r), ' unstable' if v == 'unstable' else ''))
    if all(v == 'not measured' for v in verdicts):
        return cells, 'not measured'
    if 'unstable' in verdicts:
        return cells, 'unstable'
    if all(v == 'met' for v in verdicts):
        return cells, 'met'
    return cells, 'not met'


def dis_cell(latency, scen, impl, hop, pct):
    """Median (min-max) over the runs of one percentile of one hop, in ns."""
    runs = latency.get((scen, impl), {}).get(hop, {})
    return summary([v[DIS_PERCENTILES.index(pct)] for v in runs.values()], '%d')


def reported_row(ident, tgt, latency, scen, k, mode, a, threads):
    """A headline row of a reported target: each hop's p99, kovan and anchor."""
    notes = []
    for impl in (k, a):
        hops = latency.get((scen, impl), {})
        notes.append('%s %s' % (impl, ', '.join(
            '%s %s' % (hop, dis_cell(latency, scen, impl, hop, 'p99')) for hop in hops) or '-'))
    return '| %s | %s | %s | %s | %s | %s | %s | %s: p99 per hop, ns: %s |' % (
        ident, k, mode, a, ' | '.join('' for _ in threads), tgt.text,
        'reported' if any((scen, i) in latency for i in (k, a)) else 'not measured',
        scen, '; '.join(notes))


def headline(results, pending, latency, threads, ran):
    """The targets table: one row per kovan variant and anchor of each
    native target of doc/targets.md, a cell per thread count it judges."""
    out, legend = [], []
    tally = OrderedDict((v, 0) for v in ('met', 'not met', 'unstable', 'not measured',
                                         'reported'))
    for ident, tgt in targets.targets().items():
        if tgt.where != 'real cores':
            continue
        legend.append('- %s: %s; anchor %s; target %s' % (ident, tgt.what, tgt.anchor, tgt.text))
        if ident in REPORTED:
            for scen, k, mode, a in REPORTED[ident]:
                row = reported_row(ident, tgt, latency, scen, k, mode, a, threads)
                tally['reported' if '| reported |' in row else 'not measured'] += 1
                out.append(row)
            continue
        if ident not in MEASURED:
            k, mode, why = NOT_MEASURED.get(ident, ('kovan', '-', 'make bench-native has no '
                                                    'measurement for it'))
            out.append('| %s | %s | %s | %s | %s | %s | not measured | %s |' % (
                ident, k, mode, tgt.anchor, ' | '.join('' for _ in threads), tgt.text, why))
            tally['not measured'] += 1
            continue
        for scen, k, mode, a, judged in MEASURED[ident]:
            cells, verdict = judge_row(tgt, results, scen, k, a, threads, judged, ran)
            tally[verdict] += 1
            notes = ''
            if scen in PENDING_OF:
                pend = []
                for impl in (k, a):
                    per_t = pending.get((PENDING_OF[scen], impl), {})
                    pend.append('%s %s' % (impl, ', '.join(
                        '%d' % statistics.median(per_t[t].values()) if per_t.get(t) else '-'
                        for t in (judged or threads))))
                notes = 'pending when the clock stopped (median): ' + '; '.join(pend)
            out.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                ident, k, mode, a, ' | '.join(cells), tgt.text,
                '**not met**' if verdict == 'not met' else verdict, notes))
    head = ['## Headline: kovan against its targets (targets from doc/targets.md)', '',
            '%s. A row is met when the median per-run ratio kovan/anchor reaches the '
            'target at every thread count it judges and the runs agree (largest per-run '
            'ratio at most %gx the smallest, scripts/targets.py); "unstable" counts as '
            'not met. Empty cells: thread counts the row does not judge. Mode: the kovan '
            'domain\'s flags (plain: none; robust: KOVAN_ROBUST; fenceless: KOVAN_FENCELESS), '
            'or the Disruptor\'s wait strategy; "reported" rows are not judged.'
            % (', '.join('%d row%s %s' % (n, '' if n == 1 else 's', v)
                         for v, n in tally.items()), targets.UNSTABLE),
            '',
            '| target | kovan | mode | anchor | ' +
            ' | '.join('%d thread%s' % (t, '' if t == 1 else 's') for t in threads) +
            ' | target | verdict | notes |',
            '|---|---|---|---|' + '---|' * len(threads) + '---|---|---|']
    return head + out + ['', 'The targets (doc/targets.md):', ''] + legend + ['']


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


def dis_runs(results, scen, impl):
    """The per-run values of a Disruptor scenario, which runs at one thread count."""
    return [v for per_run in results.get((scen, impl), {}).values() for v in per_run.values()]


def dis_plots(results, latency, outdir, base):
    """Two plots: throughput per scenario, and p50 (dots) and p99 (bars) per
    hop of each scenario. Returns their file names."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    scens = [s for s in DIS_SCENARIOS if any((s, i) in results for i in DIS_IMPLS)]
    impls = [i for i in DIS_IMPLS if any((s, i) in results for s in scens)]
    names = ['%s-disruptor.png' % base, '%s-disruptor-latency.png' % base]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(impls), 1)
    for j, impl in enumerate(impls):
        vals = [dis_runs(results, s, impl) for s in scens]
        med = [statistics.median(v) if v else 0 for v in vals]
        err = [[m - min(v) if v else 0 for m, v in zip(med, vals)],
               [max(v) - m if v else 0 for m, v in zip(med, vals)]]
        ax.bar([x + j * width for x in range(len(scens))], med, width, yerr=err, capsize=3,
               label=impl)
    ax.set_xticks([x + width * (len(impls) - 1) / 2 for x in range(len(scens))])
    ax.set_xticklabels([s[len('disruptor-'):] for s in scens])
    ax.set_ylabel('Mevents/s')
    ax.set_title('Disruptor vs crossbeam ArrayQueue chain: throughput (median, min-max)')
    ax.grid(True, axis='y', alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, names[0]), dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(len(DIS_TOPOLOGIES), 2, figsize=(11, 3.2 * len(DIS_TOPOLOGIES)),
                             squeeze=False)
    for row, topo in enumerate(DIS_TOPOLOGIES):
        for col, batch in enumerate((1, 64)):
            scen, ax = 'disruptor-%s-b%d' % (topo, batch), axes[row][col]
            hops = []
            for impl in impls:
                hops += [h for h in latency.get((scen, impl), {}) if h not in hops]
            for j, impl in enumerate(impls):
                per_hop = latency.get((scen, impl), {})
                xs = [x + j * width for x, h in enumerate(hops) if h in per_hop]
                med = {p: [statistics.median(v[i] for v in per_hop[h].values())
                           for h in hops if h in per_hop] for i, p in enumerate(DIS_PERCENTILES)}
                ax.bar(xs, med['p99'], width, label=impl)
                ax.plot(xs, med['p50'], 'o', color='black', markersize=3)
            ax.set_xticks([x + width * (len(impls) - 1) / 2 for x in range(len(hops))])
            ax.set_xticklabels(hops)
            ax.set_yscale('log')
            ax.set_ylabel('ns')
            ax.set_title('%s: p99 per hop (bars), p50 (dots)' % scen, fontsize=9)
            ax.grid(True, axis='y', alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, names[1]), dpi=100)
    plt.close(fig)
    return names


def dis_sections(results, latency, outdir, base):
    """The Disruptor's sections: throughput with ratios, then per-hop
    latency percentiles, a table per topology and batch."""
    scens = [s for s in DIS_SCENARIOS if any((s, i) in results for i in DIS_IMPLS)]
    if not scens:
        return []
    impls = [i for i in DIS_IMPLS if any((s, i) in results for s in scens)]
    names = dis_plots(results, latency, outdir, base)
    L = ['## Disruptor against a crossbeam ArrayQueue chain (Mevents/s)', '',
         'Topologies: %s. The producer claims and publishes 1 or 64 events at a time '
         '(kovan_disruptor_next(d, 64) and one kovan_disruptor_publish() of the range); every '
         'handler checks each event (in sequence, holding its sequence number, marked by the '
         'handlers before it) and marks it for the next. kovan-disruptor waits with '
         'kovan_disruptor_wait_busy_spin (cpu_relax(): a pause, and in the shim a sched_yield() every '
         '64th time; the Disruptor also yields every 1024 spins), kovan-disruptor(gathering) '
         'with kovan_disruptor_wait_busy_spin_gathering (the same, and a handler that has just handled '
         'fewer than 16 events spins 64 cpu_relax() before it looks for more), '
         'kovan-disruptor(blocking) with kovan_disruptor_wait_blocking. The anchor is a chain of crossbeam ArrayQueues shaped '
         'the same: a queue of 1024 events in front of each handler thread, which forwards '
         'each event by value (64 bytes, as the Disruptor\'s events) to the next; in the '
         'diamond the producer pushes each event to h1\'s and h2\'s queue and h3 takes one '
         'from each of theirs. Its threads wait with a pause and a yield every 64th time, as '
         'the shim\'s cpu_relax(). The Disruptor\'s ring holds 1024 events. Throughput is the '
         'events every handler handled, per second until the last handled the last one. The '
         'producer is thread 0, the handlers threads 1-3, pinned as every scenario\'s threads '
         '(on 2 CPUs, 4 threads share them).' % '; '.join(
             '%s: %s' % kv for kv in DIS_TOPOLOGIES.items()), '',
         '![Disruptor throughput](%s)' % names[0], '',
         '| scenario | threads | ' + ' | '.join(impls) + ' | ' +
         ' | '.join('ratio %s/%s' % (k, DIS_ANCHOR) for k in DIS_KOVAN if k in impls) + ' |',
         '|---|---|' + '---|' * (len(impls) + len([k for k in DIS_KOVAN if k in impls]))]
    for scen in scens:
        ts = sorted({t for i in impls for t in results.get((scen, i), {})})
        for t in ts:
            cells = [summary(list(results.get((scen, i), {}).get(t, {}).values())) for i in impls]
            cells += [summary(ratios(results, scen, k, DIS_ANCHOR, t))
                      for k in DIS_KOVAN if k in impls]
            L.append('| %s | %d | %s |' % (scen, t, ' | '.join(cells)))
    L += ['', '## Disruptor: latency per hop (ns)', '',
          'One event in 256 carries timestamps (clock_gettime(CLOCK_MONOTONIC), the same '
          'clock on both sides): the producer\'s when it fills the event, each handler\'s '
          'when the event reaches it (the Disruptor: its handler\'s field of the event; the '
          'chain: the field of the message it forwards). Hops: p-h1 producer to h1, h1-h2, '
          'h2-h3, p-h2 (diamond), h1h2-h3 from the later of h1 and h2 to h3 (diamond), p-h3 '
          'the whole way. The producer runs flat out, so the latencies are those of a full '
          'ring or queue: mostly the time an event queues behind the ones before it. Each '
          'cell: median (min-max) over the runs of that run\'s percentile.', '',
          '![Disruptor latency](%s)' % names[1], '']
    for scen in scens:
        L += ['### %s' % scen, '',
              '| implementation | hop | ' + ' | '.join(DIS_PERCENTILES) + ' |',
              '|---|---|' + '---|' * len(DIS_PERCENTILES)]
        for impl in impls:
            for hop in latency.get((scen, impl), {}):
                L.append('| %s | %s | %s |' % (impl, hop, ' | '.join(
                    dis_cell(latency, scen, impl, hop, p) for p in DIS_PERCENTILES)))
        L.append('')
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--runs', default='?')
    ap.add_argument('--secs', default='?')
    ap.add_argument('--commit', default='unknown')
    ap.add_argument('--rustc', default='unknown')
    args = ap.parse_args()
    results, pending, replaced, latency, errors, cpus = parse(args.log)
    # The thread counts the scenarios ran at; the Disruptor's are its topologies'.
    ran = sorted({t for (s, _), per_t in results.items() if not is_dis(s) for t in per_t})
    judged = {t for rows in MEASURED.values() for s, _, _, _, ts in rows
              if is_dis(s) and any(k[0] == s for k in results) for t in ts or []}
    threads = sorted(set(ran) | judged)
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
             'in, never armed); us_set_quarantine(0) (frees at once); module parameters at '
             'their defaults')
    L.append('- shim CPUs: %s' % CPU_MODES.get(' '.join(sorted(cpus)), 'not reported'))
    L.append('- liburcu: call_rcu() with a call_rcu thread per CPU '
             '(create_all_cpu_call_rcu_data(0)), checked to be the calling CPU\'s; '
             'urcu-memb and urcu-qsbr read sides inlined (_LGPL_SOURCE)')
    L.append('- threads pinned: thread i to the i-th CPU of the affinity mask, modulo nproc; '
             'threads above nproc share CPUs with another benchmark thread; the read '
             'scenario\'s writer (not counted) has a CPU of its own below nproc readers, '
             'and is unpinned from nproc readers on')
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
                 'barrier, every queue item popped exactly once, readers read the value of '
                 'the objects the writer published, no lookup found a freed entry, every '
                 'Disruptor handler handled every event in sequence with the marks of the '
                 'handlers before it); bench_native -F and bench-crossbeam -F show each '
                 'check can fail.')
        L.append('')
    L.extend(headline(results, pending, latency, threads, ran))
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
        L.append('| implementation | ' + ' | '.join('%d threads' % t for t in ran) + ' |')
        L.append('|---|' + '---|' * len(ran))
        for i in impls:
            per_t = results[(scen, i)]
            L.append('| %s | %s |' % (i, ' | '.join(summary(list(per_t.get(t, {}).values()))
                                                    for t in ran)))
        for k, a in PAIRS[scen]:
            if (scen, k) not in results or (scen, a) not in results:
                continue
            L.append('| ratio %s/%s | %s |' % (k, a, ' | '.join(
                summary(ratios(results, scen, k, a, t)) for t in ran)))
        L.append('')
        if scen in INCLUDES:
            L.append(INCLUDES[scen])
            L.append('')
        counts = []
        if scen == 'read':
            counts.append(('Objects the writer replaced (median (min-max)):', replaced, 'read'))
        if scen not in ('retire', 'queue'):
            counts.append(('Retired but not yet freed when the clock stopped (objects, '
                           'median (min-max)):', pending, PENDING_OF.get(scen, scen)))
        for text, table, src in counts:
            rows = [i for (s, i) in table if s == src and i != 'rwlock']
            if not rows:
                continue
            L.append(text)
            L.append('')
            L.append('| implementation | ' + ' | '.join('%d threads' % t for t in ran) + ' |')
            L.append('|---|' + '---|' * len(ran))
            for i in rows:
                per_t = table[(src, i)]
                L.append('| %s | %s |' % (i, ' | '.join(
                    summary(list(per_t.get(t, {}).values()), '%d') for t in ran)))
            L.append('')
        plot(results, scen, ran,
             os.path.join(outdir, '%s-%s.png' % (base, scen.replace('+', '-'))))
    L.extend(dis_sections(results, latency, outdir, base))
    # Closing note: per anchor, the ratios over its scenarios and threads.
    L.append('## Closing note: kovan against each anchor')
    L.append('')
    L.append('Median ratio kovan/anchor per thread count (%s threads), every pair '
             'measured, targets or not; > 1: kovan is faster.'
             % ', '.join(str(t) for t in ran))
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
            for t in ran:
                r = ratios(results, scen, k, a, t)
                meds.append('%.2f' % statistics.median(r) if r else '-')
            parts.append('%s %s %sx' % (scen, k, '/'.join(meds)))
        L.append('- **%s**: %s' % (a, '; '.join(parts)))
    parts = []
    for scen in DIS_SCENARIOS:
        for k in DIS_KOVAN:
            r = [x for t in sorted(results.get((scen, k), {}))
                 for x in ratios(results, scen, k, DIS_ANCHOR, t)]
            if r:
                parts.append('%s %s %.2fx' % (scen, k, statistics.median(r)))
    if parts:
        L.append('- **%s** (at the topology\'s threads): %s' % (DIS_ANCHOR, '; '.join(parts)))
    L.append('')
    with open(args.out, 'w') as f:
        f.write('\n'.join(['<!-- SPDX-License-Identifier: GPL-2.0 OR MIT -->'] + L) + '\n')


if __name__ == '__main__':
    main()
