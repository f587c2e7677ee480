"""python-glanceclient 4.x (Image API v2 only) for the real-clients suite.

The suite's own venv pins python-glanceclient 2.17 (the last release with Image API
v1), and 4.x cannot be installed next to it.  So 4.x lives in a venv of its own,
``<repo>/build/glanceclient4-venv``, made once with ``sys.executable -m venv`` and its
pip, and reused while the marker file in it records the same pin.  The tests run its
``glance`` script, and its ``python`` for library calls, as subprocesses.

``PLANKTON_GLANCECLIENT4_VENV=/path/to/venv`` uses a venv you made yourself (offline
work); it must hold a python-glanceclient 4.x.  When the venv cannot be made (no
package index), the tests that need it fail and say why: they are the only real
glanceclient 4.x tests there are, so a silent skip would hide a gap.
"""

import collections
import fcntl
import os
import shutil
import subprocess
import sys

import pytest

#: The one pin of the glanceclient 4.x the suite runs (the newest 4.x release when
#: these tests were written).
GLANCECLIENT4_REQUIREMENT = 'python-glanceclient==4.13.0'

ENV_VAR = 'PLANKTON_GLANCECLIENT4_VENV'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_VENV = os.path.join(ROOT, 'build', 'glanceclient4-venv')
#: Written into the venv last, holding the requirement: a venv without it (an
#: interrupted build) or with another pin is made again.
MARKER = 'plankton-glanceclient4-requirement'
INSTALL_TIMEOUT = 900

Glanceclient4 = collections.namedtuple('Glanceclient4', 'venv glance python version')


class VenvError(Exception):
    pass


def _bin(venv, name):
    return os.path.join(venv, 'bin', name)


def _run(argv, timeout):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise VenvError('%s: %s' % (' '.join(argv), e))
    if result.returncode != 0:
        raise VenvError('%s exited %d:\n%s' % (' '.join(argv), result.returncode,
                                               (result.stdout + result.stderr)[-3000:]))
    return result.stdout


def _installed_version(python):
    return _run([python, '-c', 'import glanceclient; print(glanceclient.__version__)'],
                timeout=60).strip()


def _marker_matches(venv):
    try:
        with open(os.path.join(venv, MARKER)) as f:
            return f.read().strip() == GLANCECLIENT4_REQUIREMENT
    except OSError:
        return False


def _build(venv):
    if os.path.lexists(venv):
        shutil.rmtree(venv)
    _run([sys.executable, '-m', 'venv', venv], timeout=300)
    _run([_bin(venv, 'python'), '-m', 'pip', 'install', '--quiet',
          GLANCECLIENT4_REQUIREMENT], timeout=INSTALL_TIMEOUT)
    with open(os.path.join(venv, MARKER), 'w') as f:
        f.write(GLANCECLIENT4_REQUIREMENT + '\n')


def ensure_venv(venv=DEFAULT_VENV):
    """Make (or reuse) the glanceclient 4.x venv at ``venv``.  A venv cannot be moved
    after it is made (its scripts name its python by absolute path), so it is built
    in place, under an exclusive lock that parallel test processes wait on."""
    if _marker_matches(venv):
        return venv
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    with open(venv + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _marker_matches(venv):   # another process may have made it meanwhile
                _build(venv)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return venv


def locate():
    """The glanceclient 4.x to run: ``$PLANKTON_GLANCECLIENT4_VENV`` or the cached
    venv (made if need be).  Raises VenvError saying what is wrong."""
    venv = os.environ.get(ENV_VAR)
    if venv:
        source = '%s=%s' % (ENV_VAR, venv)
    else:
        source = 'the venv made from %r' % GLANCECLIENT4_REQUIREMENT
        venv = ensure_venv()
    glance, python = _bin(venv, 'glance'), _bin(venv, 'python')
    for path in (glance, python):
        if not os.access(path, os.X_OK):
            raise VenvError('%s: %s is missing' % (source, path))
    version = _installed_version(python)
    if version.split('.')[0] != '4':
        raise VenvError('%s holds python-glanceclient %s, not 4.x' % (source, version))
    return Glanceclient4(venv, glance, python, version)


@pytest.fixture(scope='session')
def glanceclient4():
    """A Glanceclient4(venv, glance, python, version), or the test fails saying why."""
    try:
        return locate()
    except VenvError as e:
        problem = str(e)
    # Outside the except block, so that the report is the message alone.
    pytest.fail('python-glanceclient 4.x is needed for these tests and could not be set '
                'up (%s; offline, set %s to a venv holding it):\n%s'
                % (GLANCECLIENT4_REQUIREMENT, ENV_VAR, problem), pytrace=False)
