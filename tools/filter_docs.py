"""Render the filter reference of docs/operators.rst from the module docstrings.

Each module's docstring goes into the doc whole (after its first line, which
becomes the summary): the docstrings are written in reStructuredText.

    python tools/filter_docs.py            # rewrite the generated part of the doc
    python tools/filter_docs.py --check    # exit 1 if the doc is out of date

Each filter module (``plankton_proxy/middleware/<name>.py``, one per filter)
and the ``forward`` app show their paste section, with every option and its
default, in a literal block of their docstring.  The doc carries those blocks
verbatim between the two marker comments, in the order of the shipped
``paste.ini`` main pipeline, so the two cannot drift apart unnoticed:
tests/ops/test_operators_doc.py runs ``--check``.
"""

import ast
import configparser
import os
import re
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, 'docs', 'operators.rst')
BEGIN = '.. BEGIN GENERATED FILTER REFERENCE (tools/filter_docs.py)'
END = '.. END GENERATED FILTER REFERENCE'

SECTION_RE = re.compile(r'^(\s+)\[(filter|app):(\w+)\]\s*$')


def modules():
    """``{entry point name: path}`` of every filter module and of forward."""
    found = {}
    middleware = os.path.join(ROOT, 'plankton_proxy', 'middleware')
    for name in sorted(os.listdir(middleware)):
        if name.endswith('.py') and not name.startswith('_'):
            found[name[:-3]] = os.path.join(middleware, name)
    found['forward'] = os.path.join(ROOT, 'plankton_proxy', 'forward.py')
    return found


def docstring(path):
    with open(path) as stream:
        return ast.get_docstring(ast.parse(stream.read()), clean=True) or ''


def paste_block(doc):
    """-> (kind, name, block lines dedented) of the first [filter:x]/[app:x]
    section in a docstring's literal blocks, or None."""
    lines = doc.splitlines()
    for index, line in enumerate(lines):
        match = SECTION_RE.match(line)
        if not match:
            continue
        indent = match.group(1)
        block = [line]
        for follow in lines[index + 1:]:
            if follow.strip() and not follow.startswith(indent):
                break
            block.append(follow)
        while block and not block[-1].strip():
            block.pop()
        return match.group(2), match.group(3), textwrap.dedent('\n'.join(block)).splitlines()
    return None


def options(block):
    """``{option: default}`` of a paste block: ``key = value`` lines, and
    ``# key = value`` lines that stand alone as a commented-out setting."""
    found = {}
    for line in block[1:]:
        text = line.strip()
        commented = text.startswith('#')
        if commented:
            text = text[1:].strip()
        match = re.match(r'^([a-z_][a-z0-9_]*)\s*=\s*(.*)$', text)
        if match and not (commented and ' ' in match.group(1)):
            if commented and (match.group(1) in found):
                continue
            found[match.group(1)] = match.group(2).strip()
    found.pop('use', None)
    return found


def pipeline_order():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'paste.ini'))
    order = []
    for name in parser.get('pipeline:main', 'pipeline').split():
        for kind in ('filter', 'app'):
            use = parser.get('%s:%s' % (kind, name), 'use', fallback='')
            if use.startswith('egg:plankton_proxy#'):
                order.append(use.split('#', 1)[1])
    return order


def render():
    found = modules()
    order = [name for name in pipeline_order() if name in found]
    order += sorted(name for name in found if name not in order)
    out = [BEGIN, '']
    for name in order:
        doc = docstring(found[name])
        summary = doc.split('\n\n', 1)[0].replace('\n', ' ').strip()
        block = paste_block(doc)
        title = '``%s``' % name
        rel = os.path.relpath(found[name], ROOT)
        out += [title, '-' * len(title), '',
                '%s (``%s``%s)' % (summary, rel,
                                   '' if name in pipeline_order() else
                                   '; not in the shipped pipeline'), '']
        if block is None:
            out += ['(no paste section in its docstring)', '']
        body = doc.split('\n\n', 1)[1] if '\n\n' in doc else ''
        out += [body.rstrip(), '']
    out.append(END)
    return '\n'.join(out) + '\n'


def current():
    text = open(DOC).read()
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    return text, start, end


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text, start, end = current()
    fresh = render()
    if '--check' in argv:
        if text[start:end] != fresh:
            sys.stderr.write('docs/operators.rst is out of date: run python tools/filter_docs.py\n')
            return 1
        return 0
    with open(DOC, 'w') as out:
        out.write(text[:start] + fresh + text[end:])
    return 0


if __name__ == '__main__':
    sys.exit(main())
