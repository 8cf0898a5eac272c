#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Check the memory-order table of include/shim/atomic.h against the code.

1. Every atomic, barrier, bit, llist and this_cpu primitive that the core
   sources use has a row in the table.
2. Each row's example, compiled at -O2, keeps exactly the __atomic
   operations its "shim" column says (GCC's optimized GIMPLE, after
   inlining): the orders are read off the compiler's output, not the
   header's text.
3. No row's shim ordering is weaker than its kernel ordering (the kernel
   column's terms are defined at the top of the header).
EXTRA_CFLAGS in the environment is passed to the compiler (for instance
-DUS_C11_RELAXED, whose weaker marked writes this check must then reject).
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..')
CC = os.environ.get('CC', 'gcc')
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ['include/kovan/kovan.h', 'include/kovan/kovan_types.h', 'include/kovan/arrayq.h',
           'include/kovan/segq.h', 'include/kovan/disruptor.h',
           'kovan/domain.c', 'kovan/reclaim.c', 'kovan/batch.c', 'kovan/fault.c', 'kovan/fault.h',
           'kovan/internal.h', 'kovan_queue/arrayq.c', 'kovan_queue/segq.c',
           'kovan_queue/queue_module.c', 'kovan_queue/internal.h', 'kovan_queue/disruptor.c']
FAMILIES = re.compile(r'\b(READ_ONCE|WRITE_ONCE|smp_[a-z_]+|xchg|cmpxchg|'
                      r'atomic(?:64|_long)?_[a-z_]+|(?:test_and_set|test_and_clear|set|clear|'
                      r'change|test)_bit(?:_lock|_unlock)?|clear_and_wake_up_bit|'
                      r'wait_on_bit_lock|llist_(?:add|del_all|del_first)|this_cpu_[a-z_]+|'
                      r'raw_cpu_[a-z_]+|wq_has_sleeper)\b')
NOT_ACCESSES = {'smp_processor_id', 'this_cpu_ptr', 'raw_cpu_ptr'}
ORDERS = {0: 'relaxed', 1: 'consume', 2: 'acquire', 3: 'release', 4: 'acq_rel', 5: 'seq_cst'}
# Which shim kinds give at least the kernel's ordering.
SATISFIES = {
    'cpu': {'relaxed', 'acquire', 'release', 'acq_rel', 'seq_cst', 'full', 'fence'},
    'dep': {'acquire', 'acq_rel', 'seq_cst', 'full'},
    'rfe': {'release', 'acq_rel', 'seq_cst', 'full'},
    'acquire': {'acquire', 'acq_rel', 'seq_cst', 'full'},
    'release': {'release', 'acq_rel', 'seq_cst', 'full'},
    'rmb': {'fence', 'full'},
    'wmb': {'fence', 'full'},
    'full': {'fence', 'full'},
}
DECLS = """#include <linux/atomic.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
long l; long long ll; unsigned long ul; void *p; atomic_t a; atomic64_t a64; atomic_long_t al;
struct llist_head lh; struct llist_node ln; long __percpu *pc;
struct wait_queue_head wq;
"""

failed = 0


def fail(msg):
    global failed
    print('FAIL: ' + msg)
    failed += 1


def table():
    rows = {}
    text = open(os.path.join(HERE, 'include/shim/atomic.h')).read()
    for m in re.finditer(r'^ \* \| (\S+)\s*\| (\S+)\s*\| (\S+)\s*\| (.+)$', text, re.M):
        name, kernel, shim, example = m.groups()
        if name == 'primitive':
            continue
        if name in rows:
            fail(f'{name}: two rows')
        rows[name] = (kernel, shim, example.replace('$', name, 1).strip())
    return rows


def used():
    names = set()
    for f in SOURCES:
        text = open(os.path.join(ROOT, f)).read()
        text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
        text = re.sub(r'//.*', ' ', text)
        text = re.sub(r'^#include.*$', ' ', text, flags=re.M)
        for m in FAMILIES.finditer(text):
            name = m.group(1)
            if name not in NOT_ACCESSES and not name.endswith('_t'):
                names.add(name)
    return names


def events(body):
    """The atomic operations of one function's GIMPLE, in order."""
    out = []
    for line in body.splitlines():
        if '__asm__ __volatile__("" :  :  : "memory")' in line:
            out.append(('asm', ()))
            continue
        m = re.search(r'(__atomic_\w+|\.ATOMIC_\w+) \((.*)\)', line)
        if not m:
            continue
        fn, args = m.group(1), [a.strip() for a in m.group(2).split(',')]
        if 'compare_exchange' in fn.lower():
            orders = (int(args[-2]), int(args[-1]))
        elif fn.startswith('.ATOMIC_BIT_'):
            orders = (int(args[3]),)
        else:
            orders = (int(args[-1]),)
        if fn == '__atomic_thread_fence':
            kind = 'fence'
        elif re.match(r'__atomic_load', fn):
            kind = 'load'
        elif re.match(r'__atomic_store', fn):
            kind = 'store'
        else:
            kind = 'rmw'
        out.append((kind, orders))
    return out


def kinds(evs):
    """Classify each op: its C11 order, 'fence', or 'full' (bracketed seq_cst RMW)."""
    found = []
    barrier = ('asm', ()), ('fence', (5,))
    brackets = set()	# the fences of full RMWs (seq_cst fences off x86-64)
    for i, (kind, orders) in enumerate(evs):
        if (kind == 'rmw' and set(orders) == {5} and 0 < i < len(evs) - 1 and
                evs[i - 1] in barrier and evs[i + 1] in barrier):
            brackets |= {i - 1, i + 1}
    for i, (kind, orders) in enumerate(evs):
        if kind == 'asm' or i in brackets:
            continue
        if kind == 'fence':
            found.append('fence' if orders == (5,) else 'weak-fence')
            continue
        if kind == 'rmw' and i - 1 in brackets and i + 1 in brackets:
            found.append('full')
            continue
        if len(orders) == 2 and orders in ((4, 2), (3, 0), (2, 2), (0, 0), (5, 5)):
            # compare-exchange: the failure order is the success order minus release
            orders = orders[:1]
        if len(set(orders)) != 1:
            found.append('mixed')
            continue
        found.append(ORDERS[orders[0]])
    return found


def compile_error(stderr):
    """The compiler's first error, and what is missing when a header is."""
    first = next((l for l in stderr.splitlines() if 'error' in l), stderr.strip()[-200:])
    m = re.search(r'fatal error: (\S+): No such file or directory', first)
    if m and not m.group(1).startswith(('linux/', 'shim/')):
        return (f'the C library header {m.group(1)} is missing (the C library for {CC} is not '
                f'installed: scripts/packages lists it under the need "userspace")')
    return first


def main():
    rows = table()
    names = used()
    for name in sorted(names - rows.keys()):
        fail(f'{name}: used by the core sources, no row in the table')
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'orders.c')
        with open(src, 'w') as f:
            f.write(DECLS)
            for i, (name, (_, _, example)) in enumerate(sorted(rows.items())):
                f.write(f'void chk_{i}(void) {{ (void)({example}); }}\n')
        dump = os.path.join(tmp, 'orders.gimple')
        # -fno-ipa-icf: two examples that compile alike must not become one calling the other.
        cmd = [CC, '-std=gnu11', '-O2', '-fno-ipa-icf', '-pthread',
               '-I' + os.path.join(HERE, 'include'),
               *os.environ.get('EXTRA_CFLAGS', '').split(),
               f'-fdump-tree-optimized={dump}', '-c', '-o', os.devnull, src]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True)
        except FileNotFoundError:
            fail(f'{CC}: compiler not installed')
            return 1
        if run.returncode:
            sys.stdout.write(run.stderr)
            fail(f'{CC} cannot compile the table\'s examples: {compile_error(run.stderr)}')
            return 1
        gimple = open(dump).read()
    bodies = dict(re.findall(r'^;; Function chk_(\d+) .*?\n(.*?)(?=^;; Function|\Z)', gimple,
                             re.M | re.S))
    for i, (name, (kernel, shim, example)) in enumerate(sorted(rows.items())):
        want = set(shim.split('+'))
        got = kinds(events(bodies.get(str(i), '')))
        if not got:
            fail(f'{name}: {example} compiles to no atomic operation')
        elif set(got) != want:
            fail(f'{name}: documented {shim}, compiled to {"+".join(got)}')
        if kernel not in SATISFIES or not want & SATISFIES[kernel]:
            fail(f'{name}: shim {shim} is weaker than the kernel\'s {kernel}')
    print(f'{len(names)} primitives used by the core, {len(rows)} rows; '
          f'{"all" if not failed else "NOT all"} compiled as documented, none weaker than the kernel')
    return 1 if failed else 0


sys.exit(main())
