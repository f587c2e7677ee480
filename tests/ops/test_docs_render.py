"""The reStructuredText of README.rst and docs/ renders without a warning:
a table whose text runs past its column, a short title underline or a
broken reference shows up here, not on the reader's screen."""

import glob
import io
import os

import docutils.core
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGES = [os.path.join(ROOT, 'README.rst')] + sorted(
    glob.glob(os.path.join(ROOT, 'docs', '*.rst')))


@pytest.mark.parametrize('path', PAGES, ids=[os.path.relpath(p, ROOT) for p in PAGES])
def test_page_renders_without_warnings(path):
    with open(path, encoding='utf-8') as f:
        source = f.read()
    warnings = io.StringIO()
    docutils.core.publish_string(
        source, source_path=path, writer_name='null',
        settings_overrides={'report_level': 2, 'halt_level': 5,
                            'warning_stream': warnings})
    assert warnings.getvalue() == ''
