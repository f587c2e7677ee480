"""The real-clients suite: one stack for the session, a user per client, and the
``compat`` marker whose outcomes become docs/compatibility.rst.

``@pytest.mark.compat(client, operation, caveat=None, impossible=None, family=None)``
says that a test shows what ``client`` does for ``operation``:

* no ``caveat``/``impossible``: the operation works as against Glance (the same Image
  API version);
* ``caveat='...'``: it works, with a difference the user can see;
* ``impossible='...'``: no proxy can make it work (a client bug, or a Plankton limit);
  the test asserts that it fails the same way as against a real Glance, not worse;
* ``family='list'`` (or a tuple): the row(s) of the page's overview it counts in,
  one of ``matrix.FAMILIES`` (what a user does: list, show, create with data, ...).

A test marked ``xfail`` as well shows a proxy bug or a missing feature (the reason says
which). After the session the outcomes are written to ``build/compat-results.json``
(``PLANKTON_COMPAT_RESULTS`` overrides the path); ``python -m tests.clients.matrix``
turns them into the page.
"""

import json
import os
import uuid

import pytest

from plankton_proxy.testing import Stack

from tests.clients import matrix

DOWNLOAD_CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'etc', 'paste-download.ini')
#: The tail of an operation that works only with that opt-in, and why.
OPT_IN = ' (operator opt-in: etc/paste-download.ini)'
DOWNLOAD_CAVEAT = ('off by default: Plankton serves no data, so the proxy streams it '
                   'from Pithos only when the operator enables glance_download')

#: One user (uuid, token) per client, so that each client's lists hold its own images.
CLIENT_USERS = ['alice', 'bob', 'glance', 'lib', 'sdk', 'cloud', 'osc', 'odd', 'swift',
                'keystone', 'glance4', 'osc2', 'sdk2', 'glance2', 'member2']


def _user(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'plankton-proxy-clients/' + name)), \
        'token-' + name


USERS = {name: _user(name) for name in CLIENT_USERS}


@pytest.fixture(scope='session')
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('users') / 'users.conf'
    path.write_text(''.join('%s %s\n' % pair for pair in USERS.values()))
    return str(path)


@pytest.fixture(scope='session')
def stack(users_file):
    """``plankton-proxy serve`` (S16+, in memory) for the whole client suite."""
    s = Stack(['--in-memory'], users_file=users_file)
    yield s
    s.stop()


@pytest.fixture(scope='session')
def download_stack(users_file):
    """The same with image download enabled (the operator's opt-in,
    etc/paste-download.ini)."""
    s = Stack(['--in-memory', '--config', DOWNLOAD_CONFIG], users_file=users_file)
    yield s
    s.stop()


@pytest.fixture(scope='session')
def s13_stack(users_file):
    """The same in front of an S13 (Synnefo 0.13) backend."""
    s = Stack(['--in-memory', '--dialect', 's13'], users_file=users_file)
    yield s
    s.stop()


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'compat(client, operation, caveat=None, impossible=None, family=None): '
        'the test shows what a real client does for one operation (docs/compatibility.rst)')


_RESULTS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    marks = list(item.iter_markers('compat'))
    if not marks:
        return
    if rep.when == 'call' or (rep.when == 'setup' and not rep.passed):
        if hasattr(rep, 'wasxfail'):
            state = 'xfailed' if rep.skipped else 'xpassed'
        else:
            state = rep.outcome
        for mark in marks:
            row = matrix.row_from_mark(mark)
            row.update(test=item.nodeid, outcome=state)
            if state == 'xfailed':
                row['xfail_reason'] = rep.wasxfail
            _RESULTS.append(row)


def pytest_sessionfinish(session):
    if not _RESULTS:
        return
    path = os.environ.get('PLANKTON_COMPAT_RESULTS') or os.path.join(
        str(session.config.rootpath), 'build', 'compat-results.json')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(sorted(_RESULTS, key=lambda r: (r['client'], r['operation'], r['test'])),
                  f, indent=1, ensure_ascii=False)
