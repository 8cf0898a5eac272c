# SPDX-License-Identifier: GPL-2.0 OR MIT
"""The performance targets of doc/targets.md, for the benchmark reports.

targets() maps each row's id to a Target; Target.judge() turns a ratio and
whether its measurement was stable into a verdict.
"""
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
TARGETS = os.path.join(ROOT, 'doc', 'targets.md')
# A ratio whose largest run is more than this many times its smallest.
UNSTABLE = 4


class Target:
    def __init__(self, ident, what, where, anchor, target):
        self.id, self.what, self.where, self.anchor, self.text = ident, what, where, anchor, target
        m = re.fullmatch(r'(>=|<=) ([0-9.]+)x', target)
        self.op, self.value = (m.group(1), float(m.group(2))) if m else (target, None)

    def applies(self, where):
        """Whether the target judges the platform @where ('UML', '-smp 2', 'real cores')."""
        return 'every platform' in self.where or where in self.where

    def judge(self, ratio, stable=True):
        """'met', '**not met**' or 'unstable' (which counts as not met); for
        "flat" targets @ratio is a bool."""
        if not stable:
            return 'unstable'
        if self.value is None:
            met = bool(ratio)
        else:
            met = ratio >= self.value if self.op == '>=' else ratio <= self.value
        return 'met' if met else '**not met**'


def targets(path=TARGETS):
    rows = {}
    with open(path) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) != 5 or cells[0] in ('id', '') or set(cells[0]) <= set('-'):
                continue
            if cells[0] in rows:
                raise ValueError(f'{path}: target {cells[0]} twice')
            rows[cells[0]] = Target(*cells)
    return rows


def stable(per_run, vcpus=None, host_cpus=None):
    """Runs that agree, on a machine that is not oversubscribed."""
    if per_run and max(per_run) > UNSTABLE * min(per_run):
        return False
    return not (vcpus and host_cpus and vcpus > host_cpus)
