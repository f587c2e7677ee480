"""docs/operators.rst cannot drift from the code: its filter reference is the
module docstrings (tools/filter_docs.py), and each docstring's paste section
lists exactly the options its filter reads, with the defaults it uses."""

import importlib
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import filter_docs  # noqa: E402

#: Options every filter receives from [DEFAULT] / plankton-proxy serve, which
#: a filter may look at without owning them.
SHARED = {'here', '__file__'}


class RecordingDict(dict):
    """A conf dict that remembers which options were read, with the default
    the reader gave."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read = {}

    def get(self, key, default=None):
        self.read.setdefault(key, default)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.setdefault(key, None)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.setdefault(key, None)
        return super().__contains__(key)


def _app(environ, start_response):
    start_response('200 OK', [])
    return [b'']


def read_options(name):
    """{option: default given in code} that building ``name`` reads."""
    conf = RecordingDict(upstream='http://127.0.0.1:9/image/v1.0')
    if name == 'forward':
        from plankton_proxy.forward import ForwardApp
        ForwardApp(conf)
        return conf.read
    module = importlib.import_module('plankton_proxy.middleware.' + name)
    make = module.filter_factory({})
    cells = [cell for cell in (make.__closure__ or ()) if isinstance(cell.cell_contents, dict)]
    assert len(cells) == 1, '%s.filter_factory should close over one conf dict' % name
    conf.update(cells[0].cell_contents)
    cells[0].cell_contents = conf
    make(_app)
    return conf.read


def _same(documented, code):
    documented, code = str(documented).strip(), str(code).strip()
    if documented.lower() == code.lower():
        return True
    try:
        return float(documented) == float(code)
    except ValueError:
        return False


MODULES = filter_docs.modules()


def test_the_doc_is_generated_from_the_docstrings():
    assert filter_docs.main(['--check']) == 0, \
        'docs/operators.rst is out of date: run python tools/filter_docs.py'


@pytest.mark.parametrize('name', sorted(MODULES))
def test_docstring_lists_every_option_with_its_default(name):
    block = filter_docs.paste_block(filter_docs.docstring(MODULES[name]))
    assert block is not None, '%s: no [filter:%s] section in the docstring' % (name, name)
    kind, section, lines = block
    assert section == name
    assert lines[1].strip() == 'use = egg:plankton_proxy#%s' % name
    documented = filter_docs.options(lines)
    read = read_options(name)
    undocumented = set(read) - set(documented) - SHARED
    assert not undocumented, '%s reads options its docstring does not show' % name
    # Every documented option exists in the code (some are read per request).
    source = ''
    for directory, _, files in os.walk(os.path.join(ROOT, 'plankton_proxy')):
        if 'backend' not in directory:
            source += ''.join(open(os.path.join(directory, f)).read()
                              for f in files if f.endswith('.py'))
    for option in documented:
        assert re.search(r"['\"]%s['\"]" % re.escape(option), source), \
            '%s documents %s, which no code reads' % (name, option)
    for option, default in read.items():
        if default is not None and option in documented:
            assert _same(documented[option], default), \
                '%s: %s documented as %r, code default %r' % (
                    name, option, documented[option], default)


def test_the_walkthrough_names_only_files_that_exist():
    text = open(filter_docs.DOC).read()
    for path in set(re.findall(r'\b(etc/[\w./-]+\w|paste\.ini)\b', text)):
        assert os.path.exists(os.path.join(ROOT, path)), path
