#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Turn make bench's consoles into one Markdown report.

Usage: bench_report.py --out REPORT --version V --params P --host-cpus N
                       --uml CONSOLE [--qemu SMP:CONSOLE ...]

The UML console carries bench/kovan_bench.c's and
bench/kovan_disruptor_bench.c's lines; every QEMU console carries those and
bench/kovan_queue_bench.c's. All ratios compare numbers from the same boot.
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

# Disruptor shapes as (producers, stages), in report order.
DIS_SHAPES = {'1P1C': (1, 1), '1P3C': (1, 3), '3P1C': (3, 1)}
DIS_TITLES = {'1P1C': '1P1C unicast', '1P3C': '1P3C pipeline', '3P1C': '3P1C'}
# Each wait strategy next to the anchor that waits alike: the ones that
# never block next to the spinning ptr_ring, the ones that do next to the
# ptr_ring whose threads sleep on a wait queue.
DIS_ANCHOR = {
    'busy_spin': 'ptr_ring/spin',
    'yielding': 'ptr_ring/spin',
    'sleeping': 'ptr_ring/spin',
    'blocking': 'ptr_ring/block',
    'timeout_blocking': 'ptr_ring/block',
    'phased_backoff': 'ptr_ring/block',
}
# DESIGN.md section 6: Disruptor / ptr_ring handoff throughput, by batch,
# for these shapes, judged for these strategies (like for like).
DIS_TARGETS = {1: 2.0, 64: 5.0}
DIS_TARGET_SHAPES = ['1P1C', '1P3C']
DIS_TARGET_WAITS = ['busy_spin', 'blocking']


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


def parse_disruptor(console):
    tput, latency, errors, skipped, setup = {}, {}, [], [], {}
    for line in open(console, errors='replace'):
        m = re.search(r'kovan-disruptor-bench: begin (.*)', line)
        if m:
            setup = dict(kv.split('=', 1) for kv in m.group(1).split())
        m = re.search(r'kovan-disruptor-bench: tput (\S+)/(\S+)/b(\d+) (\d+) (\d+)', line)
        if m:
            key = (f'{m.group(1)}/{m.group(2)}', int(m.group(3)))
            tput.setdefault(key, {})[int(m.group(4))] = int(m.group(5))
        m = re.search(r'kovan-disruptor-bench: latency (\S+) (\d+) (\d+) (\d+)', line)
        if m:
            latency[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
        m = re.search(r'kovan-disruptor-bench: error (.*)', line)
        if m:
            errors.append(m.group(1).strip())
        m = re.search(r'kovan-disruptor-bench: skip (.*)', line)
        if m:
            skipped.append(m.group(1).strip())
    return tput, latency, errors, skipped, setup


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


def dis_placement(cpus):
    """Where bench/kovan_disruptor_bench.c puts its threads: producer i on
    CPU i, stage j on CPU P + j, modulo the CPUs."""
    out = []
    for shape, (np, ns) in DIS_SHAPES.items():
        names = [f'P{i}' for i in range(np)] if np > 1 else ['P']
        names += ['H'] if ns == 1 else ['A', 'B', 'C'][:ns]
        cpu = ', '.join(f'{n} on {i % cpus}' for i, n in enumerate(names))
        out.append(f'{shape}: {cpu}')
    return '; '.join(out)


def dis_pair(tput, impl, anchor, shape, batch):
    """Median ratio and per-run ratios of impl against anchor, or None."""
    mine, base = tput.get((f'{impl}/{shape}', batch)), tput.get((f'{anchor}/{shape}', batch))
    if not mine or not base:
        return None
    mb = statistics.median(base.values())
    ratio = statistics.median(mine.values()) / mb if mb else float('inf')
    per_run = run_ratios(mine, base)
    runs = f'{min(per_run):.2f}-{max(per_run):.2f}' if per_run else ''
    unstable = bool(per_run) and max(per_run) > UNSTABLE * min(per_run)
    return mine, base, ratio, runs, unstable


def dis_section(console, platform, host_cpus):
    """The Disruptor section of one boot, and its target verdicts."""
    tput, latency, errors, skipped, setup = parse_disruptor(console)
    if not tput and not latency and not errors and not skipped:
        return [], []
    mev = '{:.3f}'.format
    cpus = int(setup.get('cpus', '1'))
    out = ['', f'### Disruptor, {platform}', '',
           'Events per second that the last handler stage handled in a window of',
           f'{setup.get("ms", "?")} ms, median (min-max) of {setup.get("runs", "?")} '
           'interleaved runs, in millions;',
           'ratio = median Disruptor / median anchor (above 1: the Disruptor moves more);',
           'per-run ratios pair run i of both. Ring of '
           f'{setup.get("size", "?")} events of 24 bytes (sequence,',
           'stamp, payload). Shapes: 1P1C unicast (one producer kthread, one handler),',
           '1P3C pipeline (handlers A -> B -> C, kovan_stage_then), 3P1C (three producer',
           'kthreads, KOVAN_PRODUCER_MULTI, one handler). Batch 1: kovan_disruptor_next(d, 1)',
           'and publish per event; batch 64: next(d, 64) and one publish of the range.',
           'Anchor, same boot and shapes: a ptr_ring (same size) in front of each stage,',
           'ptr_ring_produce / ptr_ring_consume (batch 64: 64 produce calls, then',
           'ptr_ring_consume_batched); 3P1C shares one ring and its producer lock.',
           'ptr_ring/spin waits with cpu_relax() and cond_resched() every 1024 spins (as',
           'busy_spin does); ptr_ring/block sleeps on a wait queue per ring, woken only',
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
                'interrupt return (cond_resched() is a no-op under CONFIG_PREEMPT), so a',
                'spinning thread keeps the CPU until it passes a preemption point with',
                "need_resched set by the tick (10 ms): ptr_ring/spin passes one in every",
                "ptr_ring call's spin_unlock and hands over about a ring per tick; busy_spin",
                'has none and would never give the CPU back, so it is not run. The ratios',
                'against ptr_ring/spin measure that scheduling, not the handoff; the blocking',
                'ones are the meaningful comparison here (path length, no SMP costs).', '']
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
    if skipped:
        out += [f'Not run: {"; ".join(skipped)}.', '']
    if errors:
        out += [f'Measurements that failed: {"; ".join(errors)}', '']
    out += ['| shape | batch | wait strategy | Disruptor Mevents/s | anchor | anchor Mevents/s '
            '| ratio | per-run ratios | target |', '|---|---|---|---|---|---|---|---|---|']
    verdicts = []
    for shape in DIS_SHAPES:
        for batch in sorted({b for _, b in tput}):
            for wait, anchor in DIS_ANCHOR.items():
                pair = dis_pair(tput, f'disruptor/{wait}', anchor, shape, batch)
                if not pair:
                    continue
                mine, base, ratio, runs, unstable = pair
                mine = {r: v / 1e6 for r, v in mine.items()}
                base = {r: v / 1e6 for r, v in base.items()}
                goal = ''
                if shape in DIS_TARGET_SHAPES and wait in DIS_TARGET_WAITS and batch in DIS_TARGETS:
                    target = DIS_TARGETS[batch]
                    met = 'met' if ratio >= target else 'not met'
                    goal = f'>= {target:g}: {met}'
                    verdicts.append(f'{DIS_TITLES[shape]}, batch {batch}, {wait} vs {anchor}: '
                                    f'{ratio:.2f}x (runs {runs}{", unstable" if unstable else ""}), '
                                    f'target {target:g}x {met}')
                out.append(f'| {shape} | {batch} | {wait} | {spread(mine, mev)} | {anchor} | '
                           f'{spread(base, mev)} | {ratio:.2f} | {runs} | {goal} |')
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
                out.append(f'| {shape} | {impl} | {mean} | {p99} | {n} | {versus} |')
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
    rows, verdicts = dis_section(args.uml, 'UML', args.host_cpus)
    out += rows
    dis_verdicts = [f'UML: {v}' for v in verdicts]

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
        rows, verdicts = dis_section(console, f'-smp {smp}', args.host_cpus)
        out += rows
        dis_verdicts += [f'-smp {smp}: {v}' for v in verdicts]
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
    if dis_verdicts:
        out += ['', '## Disruptor targets (DESIGN.md section 6: 1P1C and 1P3C pipeline, >= 2x a',
                'ptr_ring handoff at batch 1, >= 5x at batch 64, anchor at the same batch)', '',
                'Judged like for like: busy_spin against the spinning ptr_ring, blocking against',
                'the ptr_ring that sleeps on a wait queue.', '']
        out += [f'- {v}' for v in dis_verdicts]

    text = '\n'.join(out) + '\n'
    with open(args.out, 'w') as f:
        f.write(text)
    print(text, end='')


if __name__ == '__main__':
    main()
