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

from tests.ops.recipes import ETC, ROOT, free_port, nginx_binary

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
    # A fresh directory laid out like the top of a checkout.
    shutil.copy(os.path.join(ROOT, 'paste.ini'), tmp_path)
    shutil.copytree(ETC, tmp_path / 'etc')
    script = walkthrough()
    # The doc's ports, unless something here already listens on them: then
    # the same commands and files with free ports instead.
    if any(_port_taken(port) for port in PORTS):
        moved = {port: free_port() for port in PORTS}
        files = [tmp_path / 'etc' / 'gunicorn.conf.py',
                 tmp_path / 'etc' / 'nginx' / 'plankton-proxy.conf']
        for path in files:
            text = path.read_text()
            for old, new in moved.items():
                text = text.replace('127.0.0.1:%d' % old, '127.0.0.1:%d' % new)
            path.write_text(text)
        for old, new in moved.items():
            script = script.replace('127.0.0.1:%d' % old, '127.0.0.1:%d' % new)
            script = script.replace('--port %d' % old, '--port %d' % new)
        commands = [line for line in script.splitlines() if not line.startswith('#')]
        assert not any(str(port) in line for port in PORTS for line in commands), script
    script = script.replace('/tmp/plankton-nginx', str(tmp_path / 'nginx'))
    (tmp_path / 'walkthrough.sh').write_text('set -euo pipefail\n' + script)
    script = tmp_path / 'walkthrough.sh'
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
