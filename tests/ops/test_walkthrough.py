"""docs/operators.rst's walk-through, run as written: the embedded backend,
gunicorn with the shipped settings, nginx in front, glance through it all."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.ops.recipes import ETC, ROOT, nginx_binary

DOC = os.path.join(ROOT, 'docs', 'operators.rst')
PORTS = (9393, 9292, 8080)


def walkthrough():
    text = open(DOC).read()
    block = text.split('.. walkthrough: begin', 1)[1].split('.. walkthrough: end', 1)[0]
    literal = block.split('::\n', 1)[1]
    return textwrap.dedent(literal).strip() + '\n'


def _port_taken(port):
    with socket.socket() as sock:
        return sock.connect_ex(('127.0.0.1', port)) == 0


def _translates():
    from tests.ops.test_recipes import _shipped_pipeline_translates
    return _shipped_pipeline_translates()


def test_walkthrough_block_is_found():
    script = walkthrough()
    assert script.startswith('# 1. The embedded backend')
    assert 'gunicorn -c etc/gunicorn.conf.py --paste paste.ini' in script
    assert 'glance --os-image-api-version 1 image-list' in script


@pytest.mark.skipif(not nginx_binary(), reason='nginx is not installed')
@pytest.mark.skipif(not shutil.which('curl'), reason='curl is not installed')
@pytest.mark.skipif(not _translates(),
                    reason='the shipped pipeline has no Glance translation filters yet')
def test_walkthrough_runs_as_written(tmp_path):
    taken = [port for port in PORTS if _port_taken(port)]
    if taken:
        pytest.skip('the walk-through needs ports %s free; taken: %s' % (PORTS, taken))
    # A fresh directory laid out like the top of a checkout.
    shutil.copy(os.path.join(ROOT, 'paste.ini'), tmp_path)
    shutil.copytree(ETC, tmp_path / 'etc')
    script = tmp_path / 'walkthrough.sh'
    script.write_text('set -euo pipefail\n' + walkthrough())
    out = open(tmp_path / 'out.log', 'w+')
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ.get('PATH', '') + os.pathsep + '/usr/sbin')
    env.pop('OS_AUTH_URL', None)
    proc = subprocess.Popen(['bash', str(script)], cwd=tmp_path, stdout=out,
                            stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        rc = proc.wait(120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    out.seek(0)
    output = out.read()
    assert rc == 0, output
    assert '0 error(s)' in output
    assert 'OK\nupstream: reachable' in output
    rows = [line for line in output.splitlines() if '| debian' in line]
    assert rows, output
    assert 'raw' in rows[-1], output
