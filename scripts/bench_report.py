#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""The Markdown reports and PNG plots of make bench and make bench-native.

Usage: bench_report.py kernel --out REPORT --version V --params P --host-cpus N
                              --configs C --commit C --qemu-version V
                              --uml CONSOLE [--qemu SMP:CONSOLE ...]
       bench_report.py native --log RAW --out REPORT --runs N --secs S --commit C --rustc V

kernel, make bench's consoles: the UML console carries the lines of
bench/kovan_bench.c, bench/kovan_hash_bench.c and
bench/kovan_disruptor_bench.c; every QEMU console carries those and
bench/kovan_queue_bench.c's. All ratios compare numbers from the same boot.
The report starts with the targets of doc/targets.md (the headline: make run
shows it) and links three PNG plots written next to it.

native, make bench-native's raw lines: RAW holds "run N" markers and the
lines of bench_native and bench-crossbeam (result / pending / replaced /
latency / error). Cells are median (min-max) over the runs; ratios
kovan/anchor are taken run by run (both measured within a few seconds of
each other), then summarised the same way. The Disruptor scenarios
(disruptor-TOPOLOGY-bBATCH) run at the thread count their topology has and
get sections of their own: throughput, and the per-hop latency percentiles
of the "latency" lines. Its headline judges the native targets of
doc/targets.md: each row's ratio at each thread count it judges must reach
the target with stable runs.

doc/targets.md is read through scripts/targets.py.
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

import targets  # scripts/targets.py: doc/targets.md


def cmd(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return 'unknown'


def gcc_version():
    return (cmd('gcc', '--version').splitlines() or ['gcc unknown'])[0]


def cpu_model(unknown):
    for line in open('/proc/cpuinfo', errors='replace'):
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return unknown


def pyplot():
    """matplotlib's pyplot, drawing into files only."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save(fig, path, dpi, title=None):
    """Writes @fig's PNG and frees it (pyplot keeps every figure otherwise)."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)


def write_report(path, lines):
    with open(path, 'w') as f:
        f.write('\n'.join(['<!-- SPDX-License-Identifier: GPL-2.0 OR MIT -->'] + lines) + '\n')


def row(*cells):
    return '| ' + ' | '.join(str(c) for c in cells) + ' |'


def table(header, rows):
    """A Markdown table: its header row, the separator, then @rows (lists of cells)."""
    return [row(*header), '|' + '---|' * len(header)] + [row(*r) for r in rows]


def med(runs):
    return statistics.median(runs.values())


def spread(values, fmt='%.2f', always_range=False):
    """median (min-max) of @values; a single value alone unless @always_range
    (make bench's tables always give the range); '-' for none."""
    values = list(values)
    if not values:
        return '-'
    m = statistics.median(values)
    if len(values) == 1 and not always_range:
        return fmt % m
    return f'{fmt % m} ({fmt % min(values)}-{fmt % max(values)})'


def run_ratios(mine, anchor):
    """kovan/anchor for each run both have: runs are interleaved, so run i
    of kovan and of its anchor saw the same host conditions."""
    return [mine[r] / anchor[r] for r in sorted(mine) if r in anchor and anchor[r]]


def scan(path, rules, errors=None):
    """Calls the handler of each (regex, handler) of @rules with the groups of
    its first match in each line of @path that has one."""
    with open(path, errors=errors) as f:
        for line in f:
            for regex, handle in rules:
                m = re.search(regex, line)
                if m:
                    handle(*m.groups())


# make bench: the consoles of the UML and QEMU benchmark boots.

TARGETS = targets.targets()

COST_ROWS = [
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'srcu_read_lock+deref+unlock'),
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'rcu_read_lock+deref+unlock'),
    ('pin+load+unpin, robust', 'kovan_pin+load+unpin(robust)', 'srcu_read_lock+deref+unlock'),
    ('pin+load+unpin, fenceless', 'kovan_pin+load+unpin(fenceless)',
     'srcu_read_lock+deref+unlock'),
    ('retire call', 'kovan_retire', 'call_rcu'),
    ('retire call', 'kovan_retire', 'kfree_rcu'),
    ('retire call, robust', 'kovan_retire(robust)', 'call_rcu'),
]
KOVAN_RECLAIM = ['kovan_retire', 'kovan_retire(robust)', 'kovan_retire(fenceless)']
LATENCY_ANCHORS = ['call_rcu', 'kfree_rcu', 'call_srcu']
PERCENTILES = ['p50', 'p90', 'p99', 'p99.9', 'max']
# Read-side rows of the headline: each kovan variant against the anchor of
# the platform's target (read-uml: RCU, read-tcg: SRCU).
PIN_VARIANTS = [(title, mine) for title, mine, anchor in COST_ROWS
                if anchor == 'srcu_read_lock+deref+unlock']
HASH_SCHEMES = ['kovan', 'kovan(robust)', 'rcu', 'srcu']

# kovan queue, its anchors, and the anchor its target names, at 2P2C.
QUEUES = [
    ('arrayq', ['ptr_ring', 'kfifo'], 'ptr_ring'),
    ('segq', ['lwq', 'llist+lock'], None),
]
TARGET_SHAPE = '2P2C'
QUEUE_TITLES = {'arrayq': 'ArrayQueue', 'segq': 'SegQueue'}

# Disruptor shapes as (producers, handler names stage by stage), in report order.
DIS_SHAPES = {'1P1C': (1, [['H']]), '1P3C': (1, [['A'], ['B'], ['C']]),
              '3P1C': (3, [['H']]), '1P3M': (1, [['A', 'B', 'C']]),
              '1P3D': (1, [['A', 'B'], ['C']])}
DIS_TITLES = {'1P1C': '1P1C unicast', '1P3C': '1P3C pipeline', '3P1C': '3P1C',
              '1P3M': '1P3M multicast', '1P3D': '1P3D diamond'}
# Each wait strategy next to the anchor that waits alike: the ones that
# never block next to the spinning ptr_ring, the ones that do next to the
# ptr_ring whose threads sleep on a wait queue.
DIS_ANCHOR = dict.fromkeys(['busy_spin', 'busy_spin_gathering', 'yielding', 'sleeping'],
                           'ptr_ring/spin') | \
    dict.fromkeys(['blocking', 'timeout_blocking', 'phased_backoff'], 'ptr_ring/block')
# doc/targets.md "disruptor": the blocking 1P3C pipeline, every batch size.
DIS_TARGET_SHAPE = '1P3C'
DIS_TARGET_WAIT = 'blocking'


class Boot:
    """What the bench/kovan_*bench.c modules printed in one boot."""

    def __init__(self, console):
        self.cost, self.latency, self.churn, self.stalled, self.hash = {}, {}, {}, {}, {}
        self.queue, self.dis, self.dis_latency, self.setup = {}, {}, {}, {}
        self.hash_errors, self.queue_errors, self.dis_errors = [], [], []

        def add(table, key, run, value):
            table.setdefault(key, {})[int(run)] = value

        scan(console, [
            (r'kovan-bench: cost (\S+) (\d+) ([\d.]+)',
             lambda n, r, v: add(self.cost, n, r, float(v))),
            (r'kovan-bench: latency (\S+) ((?:\d+ ){5}\d+)',
             lambda n, v: self.latency.__setitem__(n, dict(
                 zip(PERCENTILES + ['n'], map(int, v.split()))))),
            (r'kovan-bench: churn (\S+) (\d+) (\d+) (\d+) (\d+)',
             lambda n, r, *v: add(self.churn, n, r, tuple(map(int, v)))),
            (r'kovan-bench: stalled (\S+) (\d+) (-?\d+)',
             lambda n, t, v: self.stalled.setdefault(n, []).append((int(t), int(v)))),
            (r'kovan-hash-bench: tput (\S+) (\d+) (\d+)T (\d+) (\d+)',
             lambda n, pct, t, r, v: add(self.hash, (n, int(pct), int(t)), r, int(v))),
            (r'kovan-queue-bench: tput (\S+) (\S+) (\d+) (\d+)',
             lambda q, shape, r, v: add(self.queue, (q, shape), r, int(v))),
            (r'kovan-disruptor-bench: tput (\S+)/(\S+)/b(\d+) (\d+) (\d+)',
             lambda i, shape, b, r, v: add(self.dis, (f'{i}/{shape}', int(b)), r, int(v))),
            (r'kovan-disruptor-bench: latency (\S+) (\d+) (\d+) (\d+)',
             lambda n, *v: self.dis_latency.__setitem__(n, tuple(map(int, v)))),
            # The "begin" lines' key=value pairs (cpus, runs, ms, size, capacity).
            (r'kovan-(queue|disruptor)-bench: begin (.*)',
             lambda b, kv: self.setup.__setitem__(b, dict(x.split('=', 1) for x in kv.split()))),
            (r'kovan-hash-bench: error (.*)', lambda e: self.hash_errors.append(e.strip())),
            (r'kovan-queue-bench: error (.*)', lambda e: self.queue_errors.append(e.strip())),
            (r'kovan-disruptor-bench: error (.*)', lambda e: self.dis_errors.append(e.strip())),
        ], errors='replace')


class Platform:
    """Where a boot ran: its name in the report and whether it can judge."""

    def __init__(self, where, vcpus=None, host_cpus=None):
        self.where, self.vcpus, self.host_cpus = where, vcpus, host_cpus

    def stable(self, per_run=()):
        return targets.stable(list(per_run), self.vcpus, self.host_cpus)


def target_row(tid, what, plat, kovan, anchor, ratio, value, stable):
    """One row of the targets table at the top of the report, and its verdict:
    a ratio judged against the doc/targets.md target @tid (value is what the
    target compares, the ratio by default; a bool for "flat")."""
    t = TARGETS[tid]
    verdict = t.judge(value, stable)
    return verdict, row(what, plat.where, kovan, anchor, ratio, f'{t.text} ({tid})', verdict)


def ratio_row(tid, what, plat, kovan, anchor, compared):
    """The target_row() of a median ratio kovan/anchor, from compare()."""
    ratio, per_run, runs = compared
    return target_row(tid, what, plat, kovan, anchor,
                      f'{ratio:.2f}x (runs {runs}{unstable_note(plat, per_run)})', ratio,
                      plat.stable(per_run))


def compare(mine, base):
    """The median ratio of two measurements' runs, the per-run ratios, and
    their range as text."""
    mb = med(base)
    per_run = run_ratios(mine, base)
    return (med(mine) / mb if mb else float('inf'), per_run,
            f'{min(per_run):.2f}-{max(per_run):.2f}' if per_run else '')


def judged(tid, plat):
    """Whether the target @tid judges @plat."""
    return TARGETS[tid].applies(plat.where)


def unstable_note(plat, per_run):
    """What to add to a ratio when its verdict cannot count."""
    if plat.vcpus and plat.host_cpus and plat.vcpus > plat.host_cpus:
        return f', {plat.vcpus} vCPUs on {plat.host_cpus} CPUs'
    return ', unstable' if not plat.stable(per_run) else ''


def mega(runs):
    return {r: v / 1e6 for r, v in runs.items()}


def us(ns):
    return f'{ns / 1000:.1f}' if ns < 10**7 else f'{ns / 1000:.0f}'


def reclaim_section(boot, plat):
    """Read-side and retire costs, retire-to-free latency, churn and the
    stalled reader of one boot, and their headline rows."""
    cost, head = boot.cost, []
    out = table(['scenario', 'kovan ns', 'anchor', 'anchor ns', 'ratio'], [
        [title, spread(cost[mine].values(), always_range=True), anchor,
         spread(cost[anchor].values(), always_range=True),
         f'{med(cost[mine]) / med(cost[anchor]):.2f}']
        for title, mine, anchor in COST_ROWS if mine in cost and anchor in cost])
    tid, anchor, name = ('read-uml', 'rcu_read_lock+deref+unlock', 'RCU') if \
        plat.where == 'UML' else ('read-tcg', 'srcu_read_lock+deref+unlock', 'SRCU')
    for title, mine in PIN_VARIANTS:
        if mine in cost and anchor in cost and judged(tid, plat):
            head.append(ratio_row(tid, title, plat, f'{med(cost[mine]):.1f} ns',
                                          f'{name} {med(cost[anchor]):.1f} ns',
                                          compare(cost[mine], cost[anchor])))
    lat = boot.latency
    if lat:
        out += ['', 'Retire-to-free latency, one object retired every 10-20 us, in us',
                '(synchronize_srcu: the time the updater waits, then frees):', '',
                row('reclaim', *PERCENTILES, 'samples', 'anchor / kovan_retire, '
                    'p50 and p99 (above 1: kovan frees sooner)'),
                '|---|' + '---|' * len(PERCENTILES) + '---|---|']
        base = lat.get('kovan_retire')
        for name, v in lat.items():
            versus = ''
            if base and name not in KOVAN_RECLAIM:
                versus = (f'{v["p50"] / max(base["p50"], 1):.3g}x, '
                          f'{v["p99"] / max(base["p99"], 1):.3g}x')
            out.append(row(name, *(us(v[p]) for p in PERCENTILES), v['n'], versus))
        for anchor in LATENCY_ANCHORS:
            if base and anchor in lat and judged('latency', plat):
                r50 = lat[anchor]['p50'] / max(base['p50'], 1)
                r99 = lat[anchor]['p99'] / max(base['p99'], 1)
                head.append(target_row('latency', 'retire->free latency p50 / p99', plat,
                                       f'{us(base["p50"])} / {us(base["p99"])} us',
                                       f'{anchor} {us(lat[anchor]["p50"])} / '
                                       f'{us(lat[anchor]["p99"])} us',
                                       f'{r50:.0f}x / {r99:.0f}x shorter'
                                       f'{unstable_note(plat, [])}', min(r50, r99),
                                       plat.stable()))
    churn = boot.churn
    if churn:
        out += ['', 'Pending objects under churn: one updater replaces a shared object as fast',
                'as it can (a read-side section, kmalloc, publish, retire the old one) for',
                '100 ms; pending = retired, not yet freed, sampled every 64 updates. Median',
                '(min-max) over the runs of each run\'s mean; max = largest sample of all runs.',
                '', '| reclaim | mean pending | max pending | updates/s (M) | mean vs call_rcu |',
                '|---|---|---|---|---|']
        base = churn.get('call_rcu')
        for name, runs in churn.items():
            mean = {r: v[0] for r, v in runs.items()}
            rate = {r: v[2] / 1e6 for r, v in runs.items()}
            versus = f'{med(mean) / max(med({r: v[0] for r, v in base.items()}), 1):.3f}' \
                if base else ''
            out.append(row(name, spread(mean.values(), '%.0f', True),
                           max(v[1] for v in runs.values()),
                           spread(rate.values(), always_range=True), versus))
        if base and 'kovan_retire' in churn and judged('churn', plat):
            mine_runs = {r: v[0] for r, v in churn['kovan_retire'].items()}
            base_runs = {r: max(v[0], 1) for r, v in base.items()}
            mine, anchor = med(mine_runs), med(base_runs)
            ratio = mine / anchor
            per_run = run_ratios({r: max(v, 1) for r, v in mine_runs.items()}, base_runs)
            head.append(target_row('churn', 'pending objects under churn', plat, f'{mine:.0f}',
                                   f'call_rcu {anchor:.0f}', f'{ratio:.3f}x'
                                   f'{unstable_note(plat, per_run)}', ratio,
                                   plat.stable(per_run)))
    if boot.stalled:
        out += ['', 'Unfreed objects with one stalled reader: a reader kthread enters its',
                'read-side section (srcu_read_lock, kovan_pin) and sleeps there while an',
                'updater replaces the shared object every 20-40 us; unfreed = retired, not yet',
                'freed. Plot: bench-stalled.png.', '',
                *table(['reclaim'] + [f'{t} ms' for t in stall_marks(boot)],
                       [[name] + [dict(series).get(t, '') for t in stall_marks(boot)]
                        for name, series in boot.stalled.items()])]
        robust, srcu = boot.stalled.get('kovan_retire(robust)'), boot.stalled.get('call_srcu')
        if robust and srcu and judged('stalled', plat):
            flat = growth(robust) <= 0.1 * max(growth(srcu), 1)
            head.append(target_row('stalled', 'unfreed objects, one stalled reader, robust',
                                   plat, f'max {max(v for _, v in robust)}',
                                   f'SRCU: {srcu[-1][1]} after {srcu[-1][0]} ms',
                                   f'grows {growth(robust)} vs {growth(srcu)} over the 2nd half'
                                   f'{unstable_note(plat, [])}', flat and growth(srcu) > 0,
                                   plat.stable()))
    return out, head


def stall_marks(boot):
    """Sample times shown in the stalled-reader table: about five."""
    times = sorted({t for series in boot.stalled.values() for t, _ in series})
    step = max(1, len(times) // 4)
    return times[::step] + ([times[-1]] if (len(times) - 1) % step else [])


def growth(series):
    """How much a stalled-reader series grew over its second half."""
    half = series[len(series) // 2:]
    return half[-1][1] - half[0][1]


def hash_section(boot, plat):
    """Hash table throughput by update share and threads, and headline rows."""
    where = plat.where
    if not boot.hash and not boot.hash_errors:
        return [], []
    head = []
    out = ['', f'### Hash table, {where}', '',
           'Lookups plus updates per second over T worker kthreads (worker i on CPU i),',
           '1024 chains, 2048 keys, half of them present; an update removes the key if it',
           'is there, inserts it if not (per-chain spinlock; the node is allocated before',
           'the lock by every scheme). kovan: kovan_retire_kfree(); rcu: kfree_rcu();',
           'srcu: call_srcu(). Median (min-max) of the runs, millions of operations/s;',
           'ratio = kovan / anchor (above 1: kovan does more). Plot: bench-throughput.png.',
           "kovan closes a partly filled batch kovan.flush_us after it opened, through a",
           'timer and a worker: under a steady stream of retires that is a timer interrupt,',
           'two worker wake-ups and a batch of a few objects per period, where kfree_rcu()',
           'fills pages of pointers per grace period; the rest of the gap is the read side',
           '(pin+load+unpin against rcu_read_lock, above).', '']
    if boot.hash_errors:
        out += [f'Measurements that failed: {"; ".join(boot.hash_errors)}', '']
    keys = sorted({(pct, t) for _, pct, t in boot.hash})
    rows = []
    for pct, t in keys:
        vals = {s: boot.hash.get((s, pct, t)) for s in HASH_SCHEMES}
        rows.append([f'{pct}%', t] + [
            spread(mega(vals[s]).values(), always_range=True) if vals[s] else ''
            for s in HASH_SCHEMES] + [
            f'{med(vals["kovan"]) / med(vals[a]):.2f}' if vals['kovan'] and vals[a] else ''
            for a in ['rcu', 'srcu']])
    out += table(['updates', 'T', *HASH_SCHEMES, 'kovan/rcu', 'kovan/srcu'], rows)
    # doc/targets.md "hash": 90% lookups, the most threads, against RCU.
    pct = 10
    threads = [t for p, t in keys if p == pct]
    mine = boot.hash.get(('kovan', pct, max(threads))) if threads else None
    base = boot.hash.get(('rcu', pct, max(threads))) if threads else None
    if mine and base and judged('hash', plat):
        head.append(ratio_row(
            'hash', f'hash table, 90% lookups, {max(threads)} threads', plat,
            f'{med(mine) / 1e6:.2f} Mops/s', f'rcu {med(base) / 1e6:.2f} Mops/s',
            compare(mine, base)))
    return out, head


def pair_cells(plat, head, tid, what, anchor, mine, base, compared, fmt):
    """The kovan, anchor, ratio, per-run ratios and target cells of a row of
    the queue and Disruptor tables; for a row that target @tid judges (None:
    none does), its headline row goes to @head."""
    ratio, per_run, runs = compared
    goal = ''
    if tid and judged(tid, plat):
        head.append(ratio_row(tid, what, plat, f'{fmt % med(mine)} M/s',
                              f'{anchor} {fmt % med(base)} M/s', compared))
        goal = f'{TARGETS[tid].text}: {head[-1][0]}'
    return [spread(mine.values(), fmt, True), anchor, spread(base.values(), fmt, True),
            f'{ratio:.2f}', runs, goal]


def queue_section(tput, plat):
    shapes = sorted({shape for _, shape in tput if 'P' in shape},
                    key=lambda s: int(s.split('P')[0]))
    rows, head = [], []
    for mine, anchors, target_anchor in QUEUES:
        for shape in shapes:
            for anchor in anchors:
                if (mine, shape) not in tput or (anchor, shape) not in tput:
                    continue
                m, a = mega(tput[(mine, shape)]), mega(tput[(anchor, shape)])
                tid = 'arrayq' if shape == TARGET_SHAPE and anchor == target_anchor else None
                rows.append([mine, shape] + pair_cells(
                    plat, head, tid, f'{QUEUE_TITLES[mine]} {shape}', anchor, m, a,
                    compare(m, a), '%.2f'))
    out = table(['queue', 'shape', 'kovan Mitems/s', 'anchor', 'anchor Mitems/s', 'ratio',
                 'per-run ratios', 'target'], rows)
    pools = sorted({shape for q, shape in tput if q == 'objpool'}, key=lambda s: int(s[:-1]))
    if pools:
        out += ['', 'As an object pool: T kthreads each take an object and give it back,',
                'in a loop (objpool_pop/objpool_push; kovan_arrayq_pop/kovan_arrayq_push on',
                'a full ArrayQueue of the same capacity); millions of get+put pairs/s.', '',
                '| T | arrayq-pool | objpool | ratio |', '|---|---|---|---|']
        for shape in pools:
            m, a = tput.get(('arrayq-pool', shape)), tput.get(('objpool', shape))
            if m and a:
                out.append(row(shape[:-1], spread(mega(m).values(), always_range=True),
                               spread(mega(a).values(), always_range=True),
                               f'{med(m) / med(a):.2f}'))
    return out, head


def dis_placement(cpus):
    """Where bench/kovan_disruptor_bench.c puts its threads: producer i on
    CPU i, handler j (numbered stage by stage) on CPU P + j, modulo the CPUs."""
    out = []
    for shape, (np, stages) in DIS_SHAPES.items():
        names = [f'P{i}' for i in range(np)] if np > 1 else ['P']
        names += [h for stage in stages for h in stage]
        cpu = ', '.join(f'{n} on {i % cpus}' for i, n in enumerate(names))
        out.append(f'{shape}: {cpu}')
    return '; '.join(out)


def dis_section(boot, plat):
    """The Disruptor section of one boot, and its headline rows."""
    tput, latency, errors = boot.dis, boot.dis_latency, boot.dis_errors
    setup, platform, host_cpus = boot.setup.get('disruptor', {}), plat.where, plat.host_cpus
    if not tput and not latency and not errors:
        return [], []
    cpus = int(setup.get('cpus', '1'))
    out = ['', f'### Disruptor, {platform}', '',
           'Events per second that the last handler stage handled in a window of',
           f'{setup.get("ms", "?")} ms, median (min-max) of {setup.get("runs", "?")} '
           'interleaved runs, in millions;',
           'ratio = median Disruptor / median anchor (above 1: the Disruptor moves more);',
           'per-run ratios pair run i of both. Ring of '
           f'{setup.get("size", "?")} events of 24 bytes (sequence,',
           'stamp, payload). Shapes: 1P1C unicast (one producer kthread, one handler),',
           '1P3C pipeline (handlers A -> B -> C, kovan_disruptor_then), 3P1C (three producer',
           'kthreads, KOVAN_PRODUCER_MULTI, one handler), 1P3M multicast (A, B and C in',
           'one stage, each sees every event), 1P3D diamond (A and B in one stage, C after',
           'both); the last two only with busy_spin and blocking. Batch 1:',
           'kovan_disruptor_next(d, 1) and publish per event; batch 64: next(d, 64) and one',
           'publish of the range. Throughput counts the events every handler handled.',
           'Anchor, same boot and shapes: a ptr_ring (same size) from each thread to each',
           'handler it feeds, ptr_ring_produce / ptr_ring_consume (batch 64: 64 produce',
           'calls, then ptr_ring_consume_batched); 3P1C shares one ring and its producer',
           "lock; the diamond's C takes one event from A's ring and one from B's.",
           'ptr_ring/spin waits with cpu_relax() and schedule() when need_resched() every',
           '1024 spins (as busy_spin does); ptr_ring/block sleeps on a wait queue per ring,',
           'woken only',
           'when someone sleeps there (as blocking does). Busy_spin, yielding and sleeping',
           'are compared with ptr_ring/spin; blocking, timeout_blocking and phased_backoff',
           'with ptr_ring/block. Every stage checks each event (sequence, stages before',
           'it); a Disruptor run counts only if the halt drained every published event',
           'to every stage.',
           f'Placement ({cpus} CPU{"s" if cpus > 1 else ""}, handler cpu field / kthread_bind, '
           'producer i on CPU i, stage j on CPU P+j, modulo the CPUs):',
           dis_placement(cpus) + '.', '']
    if cpus == 1:
        out += ['UML: every thread shares the one CPU, and UML does not preempt the kernel on',
                'interrupt return, so a spinning thread keeps the CPU until it sees',
                'need_resched set by the tick (10 ms) and calls schedule(): busy_spin and',
                'ptr_ring/spin hand over about a ring per tick or two. The ratios against',
                'ptr_ring/spin measure that scheduling, not the handoff; the blocking ones are',
                'the meaningful comparison here (path length, no SMP costs).', '']
    else:
        out += ['TCG (see the queue section): atomics and fences are emulated and every',
                "cpu_relax() leaves translated code and retakes QEMU's global lock, so",
                'absolute numbers say nothing about real hardware.']
        if cpus < 4:
            out += ['1P3C and 3P1C put two threads on some vCPUs, where a spinner keeps the',
                    'vCPU until the tick preempts it.']
        if cpus > host_cpus:
            out += [f'{cpus} vCPUs on {host_cpus} host CPUs: the host preempts vCPU threads, a',
                    'running stage or a waker too, while the others wait for it.']
        out += ['']
    if errors:
        out += [f'Measurements that failed: {"; ".join(errors)}', '']
    rows, verdicts = [], []
    for shape in DIS_SHAPES:
        for batch in sorted({b for _, b in tput}):
            for wait, anchor in DIS_ANCHOR.items():
                mine = tput.get((f'disruptor/{wait}/{shape}', batch))
                base = tput.get((f'{anchor}/{shape}', batch))
                if not mine or not base:
                    continue
                # The ratios of the counts; the cells in millions.
                tid = 'disruptor' if (shape, wait) == (DIS_TARGET_SHAPE, DIS_TARGET_WAIT) \
                    else None
                rows.append([shape, batch, wait] + pair_cells(
                    plat, verdicts, tid, f'Disruptor {DIS_TITLES[shape]}, batch {batch}, {wait}',
                    anchor, mega(mine), mega(base), compare(mine, base), '%.3f'))
    out += table(['shape', 'batch', 'wait strategy', 'Disruptor Mevents/s', 'anchor',
                  'anchor Mevents/s', 'ratio', 'per-run ratios', 'target'], rows)
    if latency:
        out += ['', f'Publish-to-handle latency per hop, {platform}: one producer publishes an',
                'event every 10-20 us stamped with ktime_get_ns() (batch 1, same placement);',
                'each stage records now - stamp and restamps it, so a 1P3C event gives three',
                'samples (P->A, A->B, B->C). Samples of all runs pooled (each run measures',
                'every scenario once, interleaved). ns; "vs anchor" = anchor mean / Disruptor',
                'mean (above 1: the Disruptor hands over faster).', '',
                '| shape | handoff | mean ns/hop | p99 ns/hop | samples | vs anchor |',
                '|---|---|---|---|---|---|']
        for shape in DIS_SHAPES:
            for impl in ['ptr_ring/spin', 'ptr_ring/block'] + [f'disruptor/{w}' for w in DIS_ANCHOR]:
                if f'{impl}/{shape}' not in latency:
                    continue
                mean, p99, n = latency[f'{impl}/{shape}']
                versus = ''
                anchor = DIS_ANCHOR.get(impl.split('/', 1)[1]) if impl.startswith('disruptor') else None
                if anchor and f'{anchor}/{shape}' in latency and mean:
                    versus = f'{latency[f"{anchor}/{shape}"][0] / mean:.2f}x ({anchor})'
                out.append(row(shape, impl, mean, p99, n, versus))
    return out, verdicts


PLATFORM_NOTE = [
    'What each platform can show. UML runs natively on one host CPU, built without',
    'SMP: smp_mb() is a compiler barrier and atomics carry no LOCK prefix, so UML',
    'numbers are path lengths, not the cost of atomics on real cores, and nothing',
    'runs in parallel (a "2-thread" scenario time-slices one CPU). QEMU TCG runs',
    'real parallel vCPUs, one host thread each, executing emulated code: atomics,',
    'fences and cache-line transfers have emulated costs, so only ratios within one',
    'boot mean something, and with more vCPUs than host CPUs the host preempts',
    'vCPUs (a lock holder or a reader too). Neither shows real-core costs: those',
    'come from the userspace build of the same sources (make bench-native,',
    'doc/bench-native/).',
]


def save_titled(fig, outdir, name, title):
    """Legends where there are lines, a title, the PNG; returns its name."""
    for ax in fig.axes:
        if ax.lines:
            ax.legend(fontsize='small')
    save(fig, os.path.join(outdir, name), 80, title)
    return name


def plot_all(outdir, boots):
    """Writes bench-throughput.png, bench-stalled.png and bench-latency.png;
    returns their names. boots: (title, Boot, queue tput) in report order."""
    plt = pyplot()
    names = []
    # Throughput against the CPUs used, from the boot with the most vCPUs.
    title, boot, tput = boots[-1]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, pct in zip(axes, [10, 50]):
        for scheme in HASH_SCHEMES:
            pts = sorted((t, med(v) / 1e6) for (s, p, t), v in boot.hash.items()
                         if s == scheme and p == pct)
            if pts:
                ax.plot(*zip(*pts), marker='o', label=scheme)
        ax.set(title=f'hash table, {100 - pct}% lookups ({title})', xlabel='threads',
               ylabel='M operations/s')
    ax = axes[2]
    for queue in ['arrayq', 'ptr_ring', 'kfifo', 'segq', 'lwq', 'llist+lock']:
        pts = sorted((int(sh.split('P')[0]) * 2, med(v) / 1e6) for (q, sh), v in tput.items()
                     if q == queue and 'P' in sh)
        if pts:
            ax.plot(*zip(*pts), marker='o', label=queue,
                    linestyle='-' if queue in QUEUE_TITLES else '--')
    ax.set(title=f'queues, P producers + P consumers ({title})', xlabel='threads (P+C)',
           ylabel='M items/s')
    names = [save_titled(fig, outdir, 'bench-throughput.png', 'Throughput against threads; '
                         'QEMU TCG: compare lines, not absolute values')]

    # Per platform: unfreed objects over time with a stalled reader, and
    # retire-to-free latency percentiles (log scale).
    fig, axes = plt.subplots(1, len(boots), figsize=(5 * len(boots), 4), squeeze=False)
    for ax, (title, boot, _) in zip(axes[0], boots):
        for name, series in boot.stalled.items():
            ax.plot(*zip(*series), label={'call_srcu': 'SRCU (call_srcu)'}.get(name, name))
        ax.set(title=title, xlabel='ms since the reader stalled', ylabel='unfreed objects')
    names.append(save_titled(fig, outdir, 'bench-stalled.png',
                             'Unfreed objects with one reader stalled in its read-side section'))
    fig, axes = plt.subplots(1, len(boots), figsize=(5 * len(boots), 4), squeeze=False)
    for ax, (title, boot, _) in zip(axes[0], boots):
        for name, v in boot.latency.items():
            ax.plot(PERCENTILES, [max(v[p], 1) / 1000 for p in PERCENTILES], marker='o',
                    label=name)
        ax.set(title=title, xlabel='percentile', ylabel='retire to free, us', yscale='log')
    names.append(save_titled(fig, outdir, 'bench-latency.png',
                             'Retire-to-free latency, one object every 10-20 us'))
    return names


def host_line(host_cpus):
    mem = 0
    for line in open('/proc/meminfo'):
        if line.startswith('MemTotal:'):
            mem = int(line.split()[1]) // (1024 * 1024)
    return f'{cpu_model("unknown CPU")}, {host_cpus} CPUs, {mem} GiB, {platform.platform()}'


def kernel_main(argv):
    """make bench's report."""
    ap = argparse.ArgumentParser(prog='bench_report.py kernel')
    for opt in ('--out', '--version', '--params', '--uml'):
        ap.add_argument(opt, required=True)
    ap.add_argument('--host-cpus', type=int, required=True)
    for opt, default in (('--configs', ''), ('--commit', 'unknown'), ('--qemu-version', '')):
        ap.add_argument(opt, default=default)
    ap.add_argument('--qemu', action='append', default=[], metavar='SMP:CONSOLE')
    args = ap.parse_args(argv)

    runs = re.search(r'kovan-hash-bench: begin .*runs=(\d+)', open(args.uml, errors='replace').read())
    header = [f'# kovan benchmarks, Linux {args.version}, no debug options', '',
              f'- when: {time.strftime("%Y-%m-%d %H:%M %Z")}, kovan {args.commit}',
              f'- host: {host_line(args.host_cpus)}',
              f'- kernels: {args.configs} (kunit/configs/*-bench.config: no KASAN, KCSAN, '
              'lockdep or sleep checks; CONFIG_PREEMPT, high-resolution timers)',
              f'- compiler: {gcc_version()}; {args.qemu_version}',
              f'- kovan.ko parameters: {args.params}; kovan built without CONFIG_KOVAN_DEBUG',
              f'- runs: {runs.group(1) if runs else "?"} of each measurement, interleaved; '
              'median (min-max) over the runs', '']
    uml = Boot(args.uml)
    uml_plat = Platform('UML', host_cpus=args.host_cpus)
    boots = [('UML', uml, {})]
    body = ['## UML, one CPU', '',
            'ns per operation, median (min-max) of the runs; ratio = kovan / anchor',
            '(below 1: kovan is cheaper). Path lengths: no SMP, no LOCK prefix.',
            'Costs included: kovan_pin() and kovan_unpin() are inline (kovan.h),',
            "srcu_read_lock()/unlock() calls into the kernel's SRCU; rcu_read_lock()",
            'and its unlock are inline (a preempt count, or nothing). Every loop runs in',
            'a module. On UML this_cpu_inc() saves and restores the emulated interrupt',
            'state around its add, for kovan and SRCU alike.', '']
    head = []

    def add(section):
        """A section's lines, for the body; its rows go to the headline."""
        rows, more = section
        head.extend(more)
        return rows

    body += add(reclaim_section(uml, uml_plat)) + add(hash_section(uml, uml_plat)) + \
        add(dis_section(uml, uml_plat))

    for spec in args.qemu:
        smp, console = spec.split(':', 1)
        where = f'-smp {smp}'
        plat = Platform(where, int(smp), args.host_cpus)
        boot = Boot(console)
        boots.append((f'QEMU TCG {where}', boot, boot.queue))
        setup = boot.setup.get('queue', {})
        cap, ms = setup.get('capacity', '?'), setup.get('ms', '?')
        body += ['', f'## QEMU x86_64 TCG, -smp {smp} on a {args.host_cpus}-CPU host', '',
                 f'### Read-side and retire costs, -smp {smp}', '',
                 'As in the UML section, one thread, in ns of the emulated machine: real',
                 'LOCK-prefixed atomics and fences, emulated; ratios only.', '']
        body += add(reclaim_section(boot, plat)) + add(hash_section(boot, plat))
        body += ['', f'### Queue throughput, -smp {smp}', '',
                 'Items moved per second by P producer and C consumer kthreads (producer i on',
                 'CPU 2i, consumer i on CPU 2i+1, modulo the vCPUs), median (min-max) of the',
                 'runs; ratio = median kovan / median anchor (above 1: kovan moves more);',
                 'per-run ratios pair run i of both queues (runs are interleaved).',
                 f'Each run lasts {ms} ms. Bounded queues hold {cap} items; unbounded ones are',
                 f'fed from {cap} preallocated items per producer. ptr_ring uses',
                 'ptr_ring_produce/ptr_ring_consume with their locks; kfifo takes a spinlock',
                 'for each side that has more than one thread and none at 1P1C, as kfifo.h',
                 'prescribes; llist+lock is a LIFO (llist_add, llist_del_first under a',
                 'spinlock).',
                 '',
                 'On TCG a PAUSE (cpu_relax(), in every spin-wait: a contended spinlock, a',
                 'queue waiting for a peer between claim and publish) leaves translated code',
                 "and retakes QEMU's global lock, so contended spinning costs microseconds to",
                 'milliseconds.', '']
        if boot.queue_errors:
            body += [f'Measurements that failed: {"; ".join(boot.queue_errors)}', '']
        body += add(queue_section(boot.queue, plat)) + add(dis_section(boot, plat))

    plots = plot_all(os.path.dirname(os.path.abspath(args.out)), boots)
    met = sum(verdict == 'met' for verdict, _ in head)
    unstable = sum(verdict == 'unstable' for verdict, _ in head)
    missed = len(head) - met - unstable
    consoles = [args.uml] + [spec.split(':', 1)[1] for spec in args.qemu]
    failures = sum(len(re.findall(r'kovan-[a-z-]+bench: error ', open(c, errors='replace').read()))
                   for c in consoles)
    summary = ['## Headline: the targets of doc/targets.md', '',
               f'{met} met, {missed} not met, {unstable} unstable (not met either: the runs',
               'disagree by more than 4x, or the guest has more vCPUs than the host has',
               'CPUs). Each platform is judged on its own; the sections below hold every',
               'number and how it was measured.', '']
    if failures:
        summary += [f'**{failures} measurements failed their checks** (lost or duplicated items,',
                    'a damaged hash table, a Disruptor that did not drain): their sections say',
                    'which; their numbers are left out.', '']
    summary += table(['what', 'where', 'kovan', 'anchor', 'ratio', 'target', 'verdict'], []) + \
        [line for _, line in head]
    summary += ['', 'Plots: ' + ', '.join(f'[{p}]({p})' for p in plots), '']
    summary += PLATFORM_NOTE + ['']

    write_report(args.out, header + summary + body)
    print('\n'.join(summary))


# make bench-native: bench_native's and bench-crossbeam's lines.

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
RETIRE_PAIRS = [(k, a) for k in ('kovan', 'kovan(robust)')
                for a in ('call_rcu(memb)', 'ck_epoch_call', 'crossbeam-epoch')]
PAIRS = {
    'read': [(k, a) for k in ('kovan', 'kovan(robust)', 'kovan(fenceless)')
             for a in ('urcu-memb', 'urcu-qsbr', 'ck_epoch', 'crossbeam-epoch')],
    'retire': RETIRE_PAIRS,
    'retire+drain': RETIRE_PAIRS,
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
    # The Disruptor targets: 1P1C throughput against the crossbeam handoff,
    # at the two threads of its topology.
    'disruptor-native-b64': [('disruptor-1p1c-b64', 'kovan-disruptor', 'busy spin',
                              'crossbeam-arrayq-chain', [2]),
                             ('disruptor-1p1c-b64', 'kovan-disruptor(gathering)',
                              'busy spin, gathering', 'crossbeam-arrayq-chain', [2])],
    'disruptor-native-b1': [('disruptor-1p1c-b1', 'kovan-disruptor', 'busy spin',
                             'crossbeam-arrayq-chain', [2]),
                            ('disruptor-1p1c-b1', 'kovan-disruptor(gathering)',
                             'busy spin, gathering', 'crossbeam-arrayq-chain', [2])],
}
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
CHAIN = 'crossbeam-arrayq-chain'
DIS_IMPLS = DIS_KOVAN + (CHAIN,)
DIS_PERCENTILES = ('p50', 'p99', 'p99.9', 'max')


def is_dis(scen):
    return scen.startswith('disruptor-')


def parse_native(path):
    results = OrderedDict()   # (scenario, impl) -> {threads: {run: value}}
    pending, replaced = OrderedDict(), OrderedDict()
    latency = OrderedDict()   # (scenario, impl) -> {hop: {run: (p50, p99, p99.9, max)}}
    errors, cpus, run = [], set(), [0]

    def add(table, s, i, t, value):
        table.setdefault((s, i), {}).setdefault(int(t), {})[run[0]] = value

    def hop(s, i, h, *pct):
        per_hop = latency.setdefault((s, i), OrderedDict())
        per_hop.setdefault(h, {})[run[0]] = tuple(map(int, pct))

    # Whole lines only: every kind starts with its own word.
    scan(path, [
        (r'^run (\d+)$', lambda r: run.__setitem__(0, int(r))),
        (r'^result (\S+) (\S+) (\d+) ([-\d.]+) (\S+)$',
         lambda s, i, t, v, _: add(results, s, i, t, float(v))),
        (r'^(pending|replaced) (\S+) (\S+) (\d+) (\d+)$',
         lambda kind, s, i, t, v: add(pending if kind == 'pending' else replaced, s, i, t,
                                      int(v))),
        (r'^latency (\S+) (\S+) (\S+) (\d+) (\d+) (\d+) (\d+) \d+$', hop),
        (r'^cpus \S+ \d+ (owned|shared)$', cpus.add),
        (r'^(error.*)', errors.append),
    ])
    return results, pending, replaced, latency, errors, cpus


def ratios(results, scen, kovan, anchor, t):
    return run_ratios(results.get((scen, kovan), {}).get(t, {}),
                      results.get((scen, anchor), {}).get(t, {}))


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
    return cells, ('unstable' if 'unstable' in verdicts else
                   'met' if all(v == 'met' for v in verdicts) else 'not met')


def dis_cell(latency, scen, impl, hop, pct):
    """Median (min-max) over the runs of one percentile of one hop, in ns."""
    runs = latency.get((scen, impl), {}).get(hop, {})
    return spread([v[DIS_PERCENTILES.index(pct)] for v in runs.values()], '%d')


def reported_row(ident, tgt, latency, scen, k, mode, a, threads):
    """A headline row of a reported target: each hop's p99, kovan and anchor."""
    notes = []
    for impl in (k, a):
        hops = latency.get((scen, impl), {})
        notes.append('%s %s' % (impl, ', '.join(
            '%s %s' % (hop, dis_cell(latency, scen, impl, hop, 'p99')) for hop in hops) or '-'))
    return row(ident, k, mode, a, ' | '.join('' for _ in threads), tgt.text,
               'reported' if any((scen, i) in latency for i in (k, a)) else 'not measured',
               '%s: p99 per hop, ns: %s' % (scen, '; '.join(notes)))


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
                line = reported_row(ident, tgt, latency, scen, k, mode, a, threads)
                tally['reported' if '| reported |' in line else 'not measured'] += 1
                out.append(line)
            continue
        if ident not in MEASURED:
            out.append(row(ident, 'kovan', '-', tgt.anchor, ' | '.join('' for _ in threads),
                           tgt.text, 'not measured', 'make bench-native has no measurement for it'))
            tally['not measured'] += 1
            continue
        for scen, k, mode, a, judged in MEASURED[ident]:
            cells, verdict = judge_row(tgt, results, scen, k, a, threads, judged, ran)
            tally[verdict] += 1
            notes = ''
            if scen in PENDING_OF:
                per_impl = {i: pending.get((PENDING_OF[scen], i), {}) for i in (k, a)}
                notes = 'pending when the clock stopped (median): ' + '; '.join(
                    '%s %s' % (i, ', '.join('%d' % med(per_t[t]) if per_t.get(t) else '-'
                                            for t in (judged or threads)))
                    for i, per_t in per_impl.items())
            out.append(row(ident, k, mode, a, ' | '.join(cells), tgt.text,
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
            row('target', 'kovan', 'mode', 'anchor',
                ' | '.join('%d thread%s' % (t, '' if t == 1 else 's') for t in threads),
                'target', 'verdict', 'notes'),
            '|---|---|---|---|' + '---|' * len(threads) + '---|---|---|']
    return head + out + ['', 'The targets (doc/targets.md):', ''] + legend + ['']


def dpkg_version(pkg):
    return cmd('dpkg-query', '-W', '-f=${Version}', pkg) or 'not installed'


def plot(results, scen, threads, out):
    plt = pyplot()
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
    ax.set(xlabel='threads', ylabel=unit, xticks=threads, title='%s (median, min-max)' % title)
    if scen == 'read':
        ax.set_yscale('log')
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out, 100)


def dis_plots(results, latency, scens, impls, outdir, base):
    """Two plots: throughput per scenario, and p50 (dots) and p99 (bars) per
    hop of each scenario. Returns their file names."""
    plt = pyplot()
    names = ['%s-disruptor.png' % base, '%s-disruptor-latency.png' % base]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(impls), 1)
    for j, impl in enumerate(impls):
        # A Disruptor scenario runs at one thread count: all its runs.
        vals = [[v for per_run in results.get((s, impl), {}).values()
                 for v in per_run.values()] for s in scens]
        med = [statistics.median(v) if v else 0 for v in vals]
        err = [[m - min(v) if v else 0 for m, v in zip(med, vals)],
               [max(v) - m if v else 0 for m, v in zip(med, vals)]]
        ax.bar([x + j * width for x in range(len(scens))], med, width, yerr=err, capsize=3,
               label=impl)
    ax.set(xticks=[x + width * (len(impls) - 1) / 2 for x in range(len(scens))],
           xticklabels=[s[len('disruptor-'):] for s in scens], ylabel='Mevents/s',
           title='Disruptor vs crossbeam ArrayQueue chain: throughput (median, min-max)')
    ax.grid(True, axis='y', alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, os.path.join(outdir, names[0]), 100)

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
            ax.set(xticks=[x + width * (len(impls) - 1) / 2 for x in range(len(hops))],
                   xticklabels=hops, yscale='log', ylabel='ns')
            ax.set_title('%s: p99 per hop (bars), p50 (dots)' % scen, fontsize=9)
            ax.grid(True, axis='y', alpha=0.3)
            ax.legend(fontsize=7)
    save(fig, os.path.join(outdir, names[1]), 100)
    return names


def dis_sections(results, latency, outdir, base):
    """The Disruptor's sections: throughput with ratios, then per-hop
    latency percentiles, a table per topology and batch."""
    scens = [s for s in DIS_SCENARIOS if any((s, i) in results for i in DIS_IMPLS)]
    if not scens:
        return []
    impls = [i for i in DIS_IMPLS if any((s, i) in results for s in scens)]
    names = dis_plots(results, latency, scens, impls, outdir, base)
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
         ' | '.join('ratio %s/%s' % (k, CHAIN) for k in DIS_KOVAN if k in impls) + ' |',
         '|---|---|' + '---|' * (len(impls) + len([k for k in DIS_KOVAN if k in impls]))]
    for scen in scens:
        ts = sorted({t for i in impls for t in results.get((scen, i), {})})
        for t in ts:
            L.append(row(scen, t, *[spread(results.get((scen, i), {}).get(t, {}).values())
                                    for i in impls],
                         *[spread(ratios(results, scen, k, CHAIN, t))
                           for k in DIS_KOVAN if k in impls]))
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
        L += ['### %s' % scen, ''] + table(['implementation', 'hop', *DIS_PERCENTILES], [
            [impl, hop] + [dis_cell(latency, scen, impl, hop, p) for p in DIS_PERCENTILES]
            for impl in impls for hop in latency.get((scen, impl), {})]) + ['']
    return L


def thread_table(ran, rows):
    """A table of a column per thread count of @ran; @rows: (label, cells)."""
    return [row('implementation', ' | '.join('%d threads' % t for t in ran)),
            '|---|' + '---|' * len(ran)] + [row(label, ' | '.join(cells)) for label, cells in rows]


def native_main(argv):
    """make bench-native's report."""
    ap = argparse.ArgumentParser(prog='bench_report.py native')
    for opt in ('--log', '--out'):
        ap.add_argument(opt, required=True)
    for opt, default in (('--runs', '?'), ('--secs', '?'), ('--commit', 'unknown'),
                         ('--rustc', 'unknown')):
        ap.add_argument(opt, default=default)
    args = ap.parse_args(argv)
    results, pending, replaced, latency, errors, cpus = parse_native(args.log)
    # The thread counts the scenarios ran at; the Disruptor's are its topologies'.
    ran = sorted({t for (s, _), per_t in results.items() if not is_dis(s) for t in per_t})
    judged = {t for rows in MEASURED.values() for s, _, _, _, ts in rows
              if is_dis(s) and any(k[0] == s for k in results) for t in ts or []}
    threads = sorted(set(ran) | judged)
    outdir = os.path.dirname(os.path.abspath(args.out))
    base = os.path.splitext(os.path.basename(args.out))[0]
    L = ['# kovan userspace benchmarks on real cores (make bench-native)', '',
         '- when: %s, kovan %s' % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
                                   args.commit),
         '- host: %s, %d CPUs (nproc), %s' % (cpu_model(platform.processor() or 'unknown'),
                                              os.cpu_count(), platform.platform()),
         '- compilers: %s; %s' % (gcc_version(), args.rustc),
         '- anchors: liburcu %s, Concurrency Kit %s, crossbeam-epoch %s, crossbeam-queue %s '
         '(Debian packages liburcu-dev, libck-dev, librust-crossbeam-{epoch,queue}-dev)'
         % (dpkg_version('liburcu-dev'), dpkg_version('libck-dev'),
            dpkg_version('librust-crossbeam-epoch-dev'),
            dpkg_version('librust-crossbeam-queue-dev')),
         '- kovan: kovan/ and kovan_queue/ compiled unchanged against userspace/include '
         '(the shim), -O2, without CONFIG_KOVAN_DEBUG (fault injection hooks compiled '
         'in, never armed); us_set_quarantine(0) (frees at once); module parameters at '
         'their defaults',
         '- shim CPUs: %s' % CPU_MODES.get(' '.join(sorted(cpus)), 'not reported'),
         '- liburcu: call_rcu() with a call_rcu thread per CPU '
         '(create_all_cpu_call_rcu_data(0)), checked to be the calling CPU\'s; '
         'urcu-memb and urcu-qsbr read sides inlined (_LGPL_SOURCE)',
         '- threads pinned: thread i to the i-th CPU of the affinity mask, modulo nproc; '
         'threads above nproc share CPUs with another benchmark thread; the read '
         'scenario\'s writer (not counted) has a CPU of its own below nproc readers, '
         'and is unpinned from nproc readers on',
         '- runs: %s, interleaved (every scenario and implementation of run 1, then run 2, ...), '
         '%s s per measurement; cells are median (min-max) over the runs; ratios '
         'kovan/anchor are taken run by run, then summarised alike (> 1: kovan is faster)'
         % (args.runs, args.secs), '']
    if errors:
        L += ['## Correctness checks FAILED', ''] + ['    ' + e for e in errors] + ['']
    else:
        L += ['Correctness checks: all passed (every retired object freed after the '
              'barrier, every queue item popped exactly once, readers read the value of '
              'the objects the writer published, no lookup found a freed entry, every '
              'Disruptor handler handled every event in sequence with the marks of the '
              'handlers before it); bench_native -F and bench-crossbeam -F show each '
              'check can fail.', '']
    L += headline(results, pending, latency, threads, ran)
    for scen, (title, unit, how) in SCENARIOS.items():
        impls = [i for (s, i) in results if s == scen]
        if not impls:
            continue
        png = '%s-%s.png' % (base, scen.replace('+', '-'))
        L += ['## %s (%s)' % (title, unit), '', how, '', '![%s](%s)' % (title, png), '']
        L += thread_table(ran, [(i, [spread(results[(scen, i)].get(t, {}).values())
                                     for t in ran]) for i in impls] +
                          [('ratio %s/%s' % (k, a), [spread(ratios(results, scen, k, a, t))
                                                     for t in ran])
                           for k, a in PAIRS[scen]
                           if (scen, k) in results and (scen, a) in results]) + ['']
        if scen in INCLUDES:
            L += [INCLUDES[scen], '']
        counts = []
        if scen == 'read':
            counts.append(('Objects the writer replaced (median (min-max)):', replaced, 'read'))
        if scen not in ('retire', 'queue'):
            counts.append(('Retired but not yet freed when the clock stopped (objects, '
                           'median (min-max)):', pending, PENDING_OF.get(scen, scen)))
        for text, counted, src in counts:
            rows = [i for (s, i) in counted if s == src and i != 'rwlock']
            if not rows:
                continue
            L += [text, ''] + thread_table(ran, [
                (i, [spread(counted[(src, i)].get(t, {}).values(), '%d') for t in ran])
                for i in rows]) + ['']
        plot(results, scen, ran, os.path.join(outdir, png))
    L += dis_sections(results, latency, outdir, base)
    # Closing note: per anchor, the ratios over its scenarios and threads.
    L += ['## Closing note: kovan against each anchor', '',
          'Median ratio kovan/anchor per thread count (%s threads), every pair '
          'measured, targets or not; > 1: kovan is faster.' % ', '.join(str(t) for t in ran),
          '']
    anchors = OrderedDict()
    for scen, pairs in PAIRS.items():
        for k, a in pairs:
            if (scen, k) in results and (scen, a) in results:
                anchors.setdefault(a, []).append((scen, k))
    for a, uses in anchors.items():
        L.append('- **%s**: %s' % (a, '; '.join('%s %s %sx' % (scen, k, '/'.join(
            '%.2f' % statistics.median(r) if r else '-'
            for r in (ratios(results, scen, k, a, t) for t in ran))) for scen, k in uses)))
    parts = []
    for scen in DIS_SCENARIOS:
        for k in DIS_KOVAN:
            r = [x for t in sorted(results.get((scen, k), {}))
                 for x in ratios(results, scen, k, CHAIN, t)]
            if r:
                parts.append('%s %s %.2fx' % (scen, k, statistics.median(r)))
    if parts:
        L.append('- **%s** (at the topology\'s threads): %s' % (CHAIN, '; '.join(parts)))
    write_report(args.out, L + [''])


if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in ('kernel', 'native'):
        sys.exit(__doc__)
    {'kernel': kernel_main, 'native': native_main}[sys.argv[1]](sys.argv[2:])
