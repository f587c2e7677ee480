"""docs/compatibility.rst is in step with the compat markers of this suite."""

import os

from tests.clients import matrix


def test_page_is_in_step_with_the_markers():
    """The committed page is what a run gives when every test has its declared outcome
    (passed, or xfailed for a test marked xfail).  Changed a marker?  Run the suite,
    then ``python -m tests.clients.matrix``."""
    expected = matrix.render(matrix.declared())
    with open(matrix.PAGE) as f:
        assert f.read() == expected, (
            'docs/compatibility.rst is out of step with the compat/xfail markers: run '
            'python -m pytest tests/clients, then python -m tests.clients.matrix')


def test_readme_links_the_page():
    with open(os.path.join(matrix.ROOT, 'README.rst')) as f:
        assert 'docs/compatibility.rst' in f.read()


def test_render_states():
    rows = [
        {'client': 'c', 'operation': 'a', 'caveat': None, 'impossible': None,
         'test': 't1', 'outcome': 'passed'},
        {'client': 'c', 'operation': 'b', 'caveat': 'note', 'impossible': None,
         'test': 't2', 'outcome': 'passed'},
        {'client': 'c', 'operation': 'd', 'caveat': None, 'impossible': 'why',
         'test': 't3', 'outcome': 'passed'},
        {'client': 'c', 'operation': 'e', 'caveat': None, 'impossible': None,
         'test': 't4', 'outcome': 'xfailed', 'xfail_reason': 'bug'},
        {'client': 'c', 'operation': 'f', 'caveat': None, 'impossible': None,
         'test': 't5', 'outcome': 'failed'},
    ]
    table = matrix.combine(rows)
    assert table[('c', 'a')] == (matrix.WORKS, [])
    assert table[('c', 'b')] == (matrix.CAVEAT, ['note'])
    assert table[('c', 'd')] == (matrix.IMPOSSIBLE, ['why'])
    assert table[('c', 'e')] == (matrix.NOT_YET, ['bug'])
    assert table[('c', 'f')][0] == matrix.FAILS
    text = matrix.render(rows)
    assert 'works: 1, works, with a caveat: 1, impossible: 1, not yet: 1, FAILS: 1' in text


def test_overview_groups_rows_by_family():
    """Each cell lists the statuses of one client's rows in one family; a client with
    no family rows (or none at all, e.g. not merged yet) has no column."""
    def row(client, operation, outcome='passed', family=None, **kw):
        return dict({'client': client, 'operation': operation, 'caveat': None,
                     'impossible': None, 'test': 't', 'outcome': outcome,
                     'families': [family] if family else []}, **kw)
    rows = [row('openstack CLI (v2)', 'image list', family='list'),
            row('openstack CLI (v2)', 'image save (default)', family='download',
                impossible='no data'),
            row('openstack CLI (v2)', 'image save (opt-in)', family='download',
                caveat='opt-in'),
            row('glance CLI', 'image-list', family='list', outcome='xfailed'),
            row('python-swiftclient', 'swift list')]
    columns, grid = matrix.overview(rows)
    assert columns == ['glance CLI v1', 'openstack CLI v2']
    assert dict(grid) == {
        'list images (filters, paging)': ['not yet', 'works'],
        'download': ['-', 'caveat, impossible']}
    assert [label for label, _ in grid] == ['list images (filters, paging)', 'download']
    text = matrix.render(rows)
    assert text.index('Overview') < text.index('openstack CLI (v2)\n===')


def test_unknown_family_is_refused():
    import pytest
    with pytest.raises(ValueError, match='unknown family'):
        matrix.row_from_mark(pytest.mark.compat('c', 'op', family='lists').mark)

