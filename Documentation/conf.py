# SPDX-License-Identifier: GPL-2.0 OR MIT
# Sphinx configuration of kovan's documentation: make docs (scripts/docs.sh).
#
# The kernel-doc directive is the kernel's own: KOVAN_KSRC names an unpacked
# kernel source tree, whose Documentation/sphinx/ extensions and
# scripts/kernel-doc are used as the kernel's make htmldocs uses them. The
# paths of the directives are relative to KOVAN_DOCS_SRCTREE, by default the
# repository this file is in.

import os
import sys

ksrc = os.environ.get('KOVAN_KSRC')
if not ksrc:
    sys.exit('KOVAN_KSRC is not set: build the documentation with make docs')
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'kovan'
extensions = ['kerneldoc', 'automarkup']
highlight_language = 'none'
exclude_patterns = ['_build']

kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.environ.get(
    'KOVAN_DOCS_SRCTREE', os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Annotations of the kernel's compiler headers that sphinx's C parser does
# not know, as the kernel's conf.py lists them, and kovan's __kovan.
c_id_attributes = [
    '__restrict__', '__iomem', '__kernel', 'noinstr', 'notrace', '__percpu',
    '__rcu', '__user', '__force', '__aligned', '__always_inline', '__cold',
    '__attribute_const__', '__pure', '__must_check', '__malloc', '__packed',
    '__always_unused', '__maybe_unused', '__used', '__weak', 'noinline',
    '__kovan',
]

# Sphinx's C domain keeps structs and functions in one namespace, so a
# header that documents both struct foo_stats and foo_stats() (C keeps
# struct tags apart) would make sphinx warn of a duplicate declaration. The
# kernel-doc directive below renders such a struct in a C namespace of its
# own, "tag": it reads "struct foo_stats" all the same, and :c:struct:
# references name it tag.foo_stats.
import re

from docutils.statemachine import ViewList
import kerneldoc

_C_DIRECTIVE = re.compile(r'^\.\. c:(\w+):: (.*)$')
_C_FUNCTION_NAME = re.compile(r'(\w+)\s*\(')


class KovanKernelDocDirective(kerneldoc.KernelDocDirective):
    def do_parse(self, result, node):
        functions = set()
        for line in result:
            m = _C_DIRECTIVE.match(line)
            if m and m.group(1) in ('function', 'macro'):
                name = _C_FUNCTION_NAME.search(m.group(2))
                functions.add(name.group(1) if name else m.group(2).strip())
        out = ViewList()
        pushed = False
        for line, (source, offset) in zip(result, result.items):
            m = _C_DIRECTIVE.match(line)
            if m and pushed:
                out.append('.. c:namespace-pop::', source, offset)
                out.append('', source, offset)
                pushed = False
            if m and m.group(1) in ('struct', 'union', 'enum') and \
                    m.group(2).strip() in functions:
                out.append('.. c:namespace-push:: tag', source, offset)
                out.append('', source, offset)
                pushed = True
            out.append(line, source, offset)
        if pushed:
            out.append('', source, offset)
            out.append('.. c:namespace-pop::', source, offset)
        super().do_parse(out, node)


def setup(app):
    app.add_directive('kernel-doc', KovanKernelDocDirective, override=True)
