"""Build docs/compatibility.rst from the outcomes of the real-clients suite.

    python -m pytest tests/clients        # writes build/compat-results.json
    python -m tests.clients.matrix        # writes docs/compatibility.rst from it
    python -m tests.clients.matrix --check   # exit 1 if the page is not what the run gives

Every row comes from a ``@pytest.mark.compat(client, operation, caveat=, impossible=,
family=)`` marker (tests/clients/conftest.py) and the outcome of the test that carries it.
The page opens with an overview (what a user does x each client and API version, from
the markers' ``family``), then one section per client with every row.  The page holds no
timings, so the same results give the same bytes.
"""

import argparse
import importlib
import json
import os
import pkgutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, 'build', 'compat-results.json')
PAGE = os.path.join(ROOT, 'docs', 'compatibility.rst')

#: The clients as the markers name them, in display order (others follow
#: alphabetically), each with its column title in the overview.  A client without
#: rows in a run (e.g. one whose tests are not merged yet) gets no column.
CLIENTS = [
    ('glance CLI', 'glance CLI v1'),
    ('glance CLI 2.17 (v2)', 'glance CLI 2.17 v2'),
    ('glance CLI 4.x (v2)', 'glance CLI 4.x v2'),
    ('glanceclient.v1', 'glanceclient v1'),
    ('glanceclient.v2 2.17', 'glanceclient 2.17 v2'),
    ('glanceclient.v2 4.x', 'glanceclient 4.x v2'),
    ('openstack CLI', 'openstack CLI v1'),
    ('openstack CLI (v2)', 'openstack CLI v2'),
    ('openstacksdk image v1 proxy', 'openstacksdk v1'),
    ('openstacksdk image v2 proxy', 'openstacksdk v2'),
    ('openstacksdk cloud layer', 'openstacksdk cloud layer v1'),
    ('python-swiftclient', 'swift (Pithos)'),
]
CLIENT_NAMES = [name for name, _ in CLIENTS]

#: The rows of the overview: what a user does, in the order they do it.  A marker's
#: ``family=`` (one of these keys, or a tuple of them) puts its row in one or more.
FAMILIES = [
    ('log in', 'log in, find the API (tokens, discovery, environment)'),
    ('list', 'list images (filters, paging)'),
    ('show', 'show one image'),
    ('create without data', 'create without data (register a Pithos file, queued)'),
    ('create with data', 'create with data (upload)'),
    ('update', 'update name and properties'),
    ('tags', 'tags'),
    ('sharing', 'share: visibility and members'),
    ('download', 'download'),
    ('delete', 'delete'),
]

WORKS, CAVEAT, IMPOSSIBLE, NOT_YET, FAILS, NOT_RUN = (
    'works', 'works, with a caveat', 'impossible', 'not yet', 'FAILS', 'not run')


def row_from_mark(mark):
    args = list(mark.args) + [None, None]
    family = mark.kwargs.get('family') or ()
    families = [family] if isinstance(family, str) else list(family)
    unknown = set(families) - {key for key, _ in FAMILIES}
    if unknown:
        raise ValueError('compat marker %r: unknown family %s (matrix.FAMILIES has the '
                         'known ones)' % (mark.args, sorted(unknown)))
    return {'client': mark.kwargs.get('client', args[0]),
            'operation': mark.kwargs.get('operation', args[1]),
            'caveat': mark.kwargs.get('caveat'),
            'impossible': mark.kwargs.get('impossible'),
            'families': families}


def declared():
    """The rows the markers in tests/clients declare, each with the outcome it must
    have: ``passed``, or ``xfailed`` (with the reason) for a test marked xfail."""
    rows = []
    for info in pkgutil.iter_modules([HERE]):
        if not info.name.startswith('test_'):
            continue
        module = importlib.import_module('tests.clients.' + info.name)
        for name, func in sorted(vars(module).items()):
            if not (name.startswith('test_') and callable(func)):
                continue
            marks = getattr(func, 'pytestmark', [])
            xfail = [m for m in marks if m.name == 'xfail'
                     and (not m.args or m.args[0] is True)]
            for mark in marks:
                if mark.name != 'compat':
                    continue
                row = row_from_mark(mark)
                row['test'] = 'tests/clients/%s.py::%s' % (info.name, name)
                if xfail:
                    row['outcome'] = 'xfailed'
                    row['xfail_reason'] = xfail[0].kwargs.get('reason', '')
                else:
                    row['outcome'] = 'passed'
                rows.append(row)
    return rows


def combine(rows):
    """``{(client, operation): (status, [notes])}``."""
    by_key = {}
    for row in rows:
        by_key.setdefault((row['client'], row['operation']), []).append(row)
    table = {}
    for key, group in by_key.items():
        outcomes = {r['outcome'] for r in group}
        notes = []

        def add(text):
            if text and text not in notes:
                notes.append(text)
        impossible = [r['impossible'] for r in group if r.get('impossible')]
        if 'failed' in outcomes:
            status = FAILS
            for r in group:
                if r['outcome'] == 'failed':
                    add('failing test: ``%s``' % r['test'])
        elif outcomes <= {'skipped'}:
            status = NOT_RUN
        elif impossible:
            status = IMPOSSIBLE
            for text in impossible:
                add(text)
        elif 'xfailed' in outcomes:
            status = NOT_YET
            for r in group:
                if r['outcome'] == 'xfailed':
                    add(_xfail_text(r.get('xfail_reason')))
        else:
            status = CAVEAT if any(r.get('caveat') for r in group) else WORKS
        for r in group:
            if status in (CAVEAT, NOT_YET, IMPOSSIBLE):
                add(r.get('caveat'))
        table[key] = (status, notes)
    return table


def _xfail_text(reason):
    reason = (reason or '').strip()
    if reason.startswith('reason: '):
        reason = reason[len('reason: '):]
    return reason


def _client_order(client):
    return (CLIENT_NAMES.index(client) if client in CLIENT_NAMES else len(CLIENT_NAMES),
            client)


#: How a cell of the overview names each status, in the order it lists them
#: (short: "works, with a caveat" holds the comma that separates statuses).
CELL_WORDS = [(WORKS, 'works'), (CAVEAT, 'caveat'), (NOT_YET, 'not yet'),
              (IMPOSSIBLE, 'impossible'), (FAILS, 'FAILS'), (NOT_RUN, 'not run')]


def overview(rows):
    """The overview grid: ``(columns, [(family label, [cell, ...]), ...])``.  A
    column is a client with at least one row in a family; a cell lists the distinct
    statuses of that client's rows in that family (``CELL_WORDS``), or ``-``."""
    table = combine(rows)
    families = {}
    for row in rows:
        for family in row.get('families') or ():
            families.setdefault((family, row['client']), set()).add(
                table[(row['client'], row['operation'])][0])
    clients = sorted({client for _, client in families}, key=_client_order)
    titles = dict(CLIENTS)
    columns = [titles.get(client, client) for client in clients]
    grid = []
    for key, label in FAMILIES:
        cells = [', '.join(word for status, word in CELL_WORDS
                           if status in families.get((key, client), ())) or '-'
                 for client in clients]
        if any(cell != '-' for cell in cells):
            grid.append((label, cells))
    return columns, grid


def render(rows):
    table = combine(rows)
    counts = {}
    for status, _ in table.values():
        counts[status] = counts.get(status, 0) + 1
    out = []
    w = out.append
    title = 'Client compatibility matrix'
    w('.. This page is generated by `python -m tests.clients.matrix` from the outcomes')
    w('   of the real-clients suite (tests/clients); do not edit it by hand.')
    w('')
    w('=' * len(title))
    w(title)
    w('=' * len(title))
    w('')
    w('Each row is one operation of a real, unmodified client, run end to end against')
    w('``plankton-proxy serve`` (the shipped pipeline in front of the embedded S16+')
    w('backend, in memory) by the test suite in ``tests/clients``, with the static-token')
    w('invocations below.  Client versions: python-glanceclient 2.17 (the last line with')
    w("v1; its v1 and its v2), openstacksdk 4 (with ``image_api_version='1'``: the image")
    w('v1 proxy and the cloud layer; without: the default image proxy, v2),')
    w('python-openstackclient with ``--os-image-api-version 1`` and without a version flag')
    w('(discovery picks v2), python-swiftclient against the embedded Pithos.')
    w('')
    w('* **works**: as against Glance (the same Image API version);')
    w('* **works, with a caveat**: works, with a difference the note describes;')
    w('* **impossible**: no server can make it work (a client bug or a Plankton limit);')
    w('  the suite checks that it fails as it would against a real Glance, not worse;')
    w('* **not yet**: a proxy bug or a missing feature, tracked by an expected-failure test.')
    w('')
    summary = ', '.join('%s: %d' % (s, counts[s]) for s in
                        (WORKS, CAVEAT, IMPOSSIBLE, NOT_YET, FAILS, NOT_RUN) if counts.get(s))
    w('Summary (client × operation): %s.' % summary)
    w('')
    columns, grid = overview(rows)
    if grid:
        w('Overview')
        w('========')
        w('')
        w('What a user does, by client and Image API version: each cell lists the')
        w("statuses of that client's rows for the task (*caveat*: works, with a caveat;")
        w('the sections below have every row and its notes); ``-``: no row.')
        w('')
        w('.. list-table::')
        w('   :header-rows: 1')
        w('   :stub-columns: 1')
        w('')
        w('   * - Task')
        for column in columns:
            w('     - %s' % column)
        for label, cells in grid:
            w('   * - %s' % label)
            for cell in cells:
                w('     - %s' % cell)
        w('')
    w('Invocations')
    w('===========')
    w('')
    w('Static tokens, Image API v1::')
    w('')
    w('    glance --os-image-api-version 1 --os-image-url URL --os-auth-token TOKEN ...')
    w("    glanceclient.Client('1', endpoint=URL, token=TOKEN)")
    w("    openstack.connect(auth_type='admin_token',")
    w("                      auth={'endpoint': URL + '/v1', 'token': TOKEN},")
    w("                      image_api_version='1')")
    w('    openstack --os-image-api-version 1 --os-auth-type admin_token \\')
    w('              --os-endpoint URL/v1 --os-token TOKEN image ...')
    w('    swift --os-storage-url BACKEND/object-store/v1/USER_UUID --os-auth-token TOKEN ...')
    w('')
    w('Static tokens, Image API v2 (the root URL: discovery through ``GET /`` picks v2)::')
    w('')
    w('    glance --os-image-api-version 2 --os-image-url URL --os-auth-token TOKEN ...')
    w("    glanceclient.Client('2', endpoint=URL, token=TOKEN)")
    w("    openstack.connect(auth_type='admin_token', auth={'endpoint': URL, 'token': TOKEN})")
    w('    openstack --os-auth-type admin_token --os-endpoint URL --os-token TOKEN image ...')
    w('')
    w('Keystone-style login: ``--os-auth-url BACKEND/identity/v2.0`` with the user UUID')
    w('as user name and tenant, the token as password.  The embedded identity answers')
    w("the version document and names the proxy's unversioned root as the ``image``")
    w('endpoint of its catalog (``serve`` sets the backend option ``image_public_url``).')
    w('')
    for client in sorted({c for c, _ in table}, key=_client_order):
        w(client)
        w('=' * len(client))
        w('')
        w('.. list-table::')
        w('   :header-rows: 1')
        w('   :widths: 30 15 55')
        w('')
        w('   * - Operation')
        w('     - Status')
        w('     - Notes')
        for (c, operation), (status, notes) in sorted(table.items()):
            if c != client:
                continue
            w('   * - ``%s``' % operation.replace('`', "'"))
            w('     - %s' % status)
            w(('     - %s' % ' '.join(notes)) if notes else '     -')
        w('')
    return '\n'.join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tests.clients.matrix',
                                     description=__doc__.split('\n')[0])
    parser.add_argument('--results', default=RESULTS, help='default: %(default)s')
    parser.add_argument('--output', default=PAGE, help='default: %(default)s')
    parser.add_argument('--check', action='store_true',
                        help='do not write; exit 1 if the page differs from the results')
    parser.add_argument('--allow-missing', action='store_true',
                        help='write the page even if some markers have no result '
                             '(a partial run)')
    args = parser.parse_args(argv)
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    with open(args.results) as f:
        rows = json.load(f)
    have = {(r['client'], r['operation']) for r in rows}
    missing = sorted({(r['client'], r['operation']) for r in declared()} - have)
    if missing and not args.allow_missing:
        sys.stderr.write('no result for %d rows (a partial run?), e.g. %s; run the whole '
                         'tests/clients suite first\n' % (len(missing), missing[:3]))
        return 1
    text = render(rows)
    failing = [k for k, (s, _) in combine(rows).items() if s == FAILS]
    if args.check:
        current = open(args.output).read() if os.path.exists(args.output) else ''
        if current != text:
            sys.stderr.write('%s is not what %s gives; run python -m tests.clients.matrix\n'
                             % (args.output, args.results))
            return 1
        return 0
    with open(args.output, 'w') as f:
        f.write(text)
    print('wrote %s (%d rows)' % (args.output, len(combine(rows))))
    if failing:
        sys.stderr.write('%d rows FAIL: %s\n' % (len(failing), failing))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
