#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Turn make bench's consoles into one Markdown report.

Usage: bench_report.py --out REPORT --version V --params P --host-cpus N
                       --uml CONSOLE [--qemu SMP:CONSOLE ...]

The UML console carries bench/kovan_bench.c's lines; every QEMU console
carries those and bench/kovan_queue_bench.c's. All ratios compare numbers
from the same boot.
"""
import argparse
import re
import statistics

COST_ROWS = [
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'srcu_read_lock+deref+unlock'),
    ('pin+load+unpin', 'kovan_pin+load+unpin', 'rcu_read_lock+deref+unlock'),
    ('pin+load+unpin, robust', 'kovan_pin+load+unpin(robust)', 'srcu_read_lock+deref+unlock'),
    ('retire call', 'kovan_retire', 'call_rcu'),
    ('retire call, robust', 'kovan_retire(robust)', 'call_rcu'),
]

# kovan queue, its anchors, and the DESIGN.md section 6 target (kovan/anchor
# throughput at 2P2C).
QUEUES = [
    ('arrayq', ['ptr_ring', 'kfifo+lock'], 2.0),
    ('segq', ['lwq', 'llist+lock'], 1.5),
]
TARGET_SHAPE = '2P2C'
UNSTABLE = 4


def parse(console):
    cost, latency, tput, errors, setup = {}, {}, {}, [], {}
    for line in open(console, errors='replace'):
        m = re.search(r'kovan-queue-bench: begin (.*)', line)
        if m:
            setup = dict(kv.split('=', 1) for kv in m.group(1).split())
        m = re.search(r'kovan-bench: cost (\S+) (\d+) ([\d.]+)', line)
        if m:
            cost.setdefault(m.group(1), {})[int(m.group(2))] = float(m.group(3))
        m = re.search(r'kovan-bench: latency (\S+) (\d+) (\d+) (\d+)', line)
        if m:
            latency[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
        m = re.search(r'kovan-queue-bench: tput (\S+) (\S+) (\d+) (\d+)', line)
        if m:
            tput.setdefault((m.group(1), m.group(2)), {})[int(m.group(3))] = int(m.group(4))
        m = re.search(r'kovan-queue-bench: error (.*)', line)
        if m:
            errors.append(m.group(1).strip())
    return cost, latency, tput, errors, setup


def spread(runs, fmt):
    v = list(runs.values())
    return f'{fmt(statistics.median(v))} ({fmt(min(v))}-{fmt(max(v))})'


def run_ratios(mine, anchor):
    """kovan/anchor for each run both have: runs are interleaved, so run i
    of one queue and of its anchor saw the same host conditions."""
    return [mine[r] / anchor[r] for r in sorted(mine) if r in anchor and anchor[r]]


def cost_section(cost, latency):
    ns = '{:.2f}'.format
    out = ['| scenario | kovan ns | anchor | anchor ns | ratio |', '|---|---|---|---|---|']
    for title, mine, anchor in COST_ROWS:
        if mine in cost and anchor in cost:
            ratio = statistics.median(cost[mine].values()) / statistics.median(cost[anchor].values())
            out.append(f'| {title} | {spread(cost[mine], ns)} | {anchor} | '
                       f'{spread(cost[anchor], ns)} | {ratio:.2f} |')
    out += ['', 'Retire-to-free latency, one object every 10-20 us, ns:', '',
            '| retire | p50 | p99 | samples | p50 vs call_rcu |', '|---|---|---|---|---|']
    base = latency.get('call_rcu')
    for name, (p50, p99, n) in latency.items():
        speedup = f'{base[0] / p50:.0f}x shorter' if base and name != 'call_rcu' and p50 else ''
        out.append(f'| {name} | {p50} | {p99} | {n} | {speedup} |')
    return out


def queue_section(tput):
    mops = '{:.2f}'.format
    shapes = sorted({shape for _, shape in tput}, key=lambda s: int(s.split('P')[0]))
    out = ['| queue | shape | kovan Mitems/s | anchor | anchor Mitems/s | ratio | '
           'per-run ratios | target |', '|---|---|---|---|---|---|---|---|']
    verdicts = []
    for mine, anchors, target in QUEUES:
        for shape in shapes:
            if (mine, shape) not in tput:
                continue
            m = {r: v / 1e6 for r, v in tput[(mine, shape)].items()}
            for anchor in anchors:
                if (anchor, shape) not in tput:
                    continue
                a = {r: v / 1e6 for r, v in tput[(anchor, shape)].items()}
                ma = statistics.median(a.values())
                ratio = statistics.median(m.values()) / ma if ma else float('inf')
                per_run = run_ratios(m, a)
                runs = f'{min(per_run):.2f}-{max(per_run):.2f}' if per_run else ''
                # Per-run ratios further apart than this: the median is luck.
                unstable = per_run and max(per_run) > UNSTABLE * min(per_run)
                goal = ''
                if shape == TARGET_SHAPE:
                    met = 'met' if ratio >= target else 'not met'
                    goal = f'>= {target:g}: {met}'
                    verdicts.append(f'{mine} vs {anchor} at {shape}: {ratio:.2f}x (runs {runs}'
                                    f'{", unstable" if unstable else ""}), target {target:g}x {met}')
                out.append(f'| {mine} | {shape} | {spread(m, mops)} | {anchor} | '
                           f'{spread(a, mops)} | {ratio:.2f} | {runs} | {goal} |')
    return out, verdicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--version', required=True)
    ap.add_argument('--params', required=True)
    ap.add_argument('--host-cpus', type=int, required=True)
    ap.add_argument('--uml', required=True)
    ap.add_argument('--qemu', action='append', default=[], metavar='SMP:CONSOLE')
    args = ap.parse_args()

    out = [f'# kovan benchmarks, Linux {args.version}, no debug options', '',
           f'kovan.ko parameters: {args.params}. kovan built without CONFIG_KOVAN_DEBUG.', '',
           '## UML, one CPU', '',
           'ns per operation, median (min-max) of the runs; ratio = kovan / anchor',
           '(below 1: kovan is cheaper). UML runs natively but without SMP: smp_mb() is a',
           'compiler barrier and atomics have no LOCK prefix, so this shows path length,',
           'not the cost of atomics on real cores.', '']
    cost, latency, _, _, _ = parse(args.uml)
    out += cost_section(cost, latency)

    all_verdicts = []
    for spec in args.qemu:
        smp, console = spec.split(':', 1)
        cost, latency, tput, errors, setup = parse(console)
        cap, ms = setup.get('capacity', '?'), setup.get('ms', '?')
        out += ['', f'## QEMU x86_64 TCG, -smp {smp} on a {args.host_cpus}-CPU host', '',
                f'### Queue throughput, -smp {smp}', '',
                'Items moved per second by P producer and C consumer kthreads (producer i on',
                'CPU 2i, consumer i on CPU 2i+1, modulo the vCPUs), median (min-max) of the',
                'runs; ratio = median kovan / median anchor (above 1: kovan moves more);',
                'per-run ratios pair run i of both queues (runs are interleaved).',
                f'Each run lasts {ms} ms. Bounded queues hold {cap} items; unbounded ones are',
                f'fed from {cap} preallocated items per producer. ptr_ring uses',
                'ptr_ring_produce/ptr_ring_consume with their locks; kfifo+lock takes one',
                'spinlock for both ends; llist+lock is a LIFO (llist_add, llist_del_first',
                'under a spinlock).',
                '',
                'What TCG can show: every vCPU is a host thread running emulated code, so',
                'atomics, barriers and cache-line transfers have emulated costs and the',
                'absolute items/s say nothing about real hardware. The ratios compare the',
                'algorithms under real parallelism in the same boot, with two distortions.',
                'A PAUSE (cpu_relax(), in every spin-wait: a contended spinlock, a queue',
                'waiting for a peer between claim and publish) leaves translated code and',
                "retakes QEMU's global lock, so contended spinning costs microseconds to",
                'milliseconds, not nanoseconds: kfifo+lock, one lock for all producers and',
                "consumers, collapses under it, and ratios against it overstate kovan's lead.",
                'With more vCPUs than host CPUs the host preempts vCPUs, also one that holds',
                'a lock or a claimed slot, while the others wait for it.', '']
        if errors:
            out += [f'Measurements that failed: {"; ".join(errors)}', '']
        rows, verdicts = queue_section(tput)
        out += rows
        all_verdicts += [f'-smp {smp}: {v}' for v in verdicts]
        if cost:
            out += ['', f'### Read-side and retire costs, -smp {smp}', '',
                    'As in the UML section, single-threaded, in ns per operation of the emulated',
                    'machine: real LOCK-prefixed atomics and fences, emulated; ratios only.', '']
            out += cost_section(cost, latency)
    if all_verdicts:
        out += ['', '## Queue targets (DESIGN.md section 6, at 2P2C)', '',
                f'Unstable: the per-run ratios differ by more than {UNSTABLE}x, so the median',
                'is mostly luck (on TCG: a contended spinlock that collapsed in some runs).', '']
        out += [f'- {v}' for v in all_verdicts]

    text = '\n'.join(out) + '\n'
    with open(args.out, 'w') as f:
        f.write(text)
    print(text, end='')


if __name__ == '__main__':
    main()
