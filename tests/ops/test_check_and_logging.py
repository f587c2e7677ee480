"""`plankton-proxy check` and `plankton-proxy serve --log-config`."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.fake_upstream import FakeUpstream

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(*args):
    proc = subprocess.run([sys.executable, '-m', 'plankton_proxy.cli', 'check'] + list(args),
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


def test_shipped_paste_ini_checks_with_an_upstream():
    with FakeUpstream() as upstream:
        rc, out = check('--upstream', upstream.url + '/image/v1.0')
    assert rc == 0, out
    assert 'ok: pipeline "main" of %s loads: ' % os.path.join(ROOT, 'paste.ini') in out
    assert re.search(r'ok: upstream http://127.0.0.1:\d+/image/v1.0 answered 200 OK', out)
    assert '0 error(s), 0 warning(s)' in out


def test_missing_upstream_is_explained():
    rc, out = check('--config', os.path.join(ROOT, 'paste.ini'))
    assert rc == 1
    assert 'error: [app:forward] upstream is not set' in out
    assert '--paste-global upstream=URL' in out


def test_every_mistake_is_reported(tmp_path):
    bad = tmp_path / 'bad.ini'
    bad.write_text('[DEFAULT]\nupstream = ftp://example.org/\n'
                   '[pipeline:main]\npipeline = acess_log auth nosuch versions early forward\n'
                   '[filter:auth]\npaste.filter_factory = no_such_module:filter_factory\n'
                   '[filter:nosuch]\nuse = egg:plankton_proxy#nosuch\n'
                   '[filter:versions]\nuse = egg:plankton_proxy#versions\n'
                   '[filter:early]\nuse = egg:plankton_proxy#healthcheck\n'
                   '[app:forward]\nuse = egg:plankton_proxy#forward\n')
    rc, out = check('--config', str(bad))
    assert rc == 1
    assert ('error: pipeline "main" names "acess_log", but bad.ini has no '
            '[filter:acess_log] section') in out
    assert "cannot import it (No module named 'no_such_module')" in out
    assert 'plankton_proxy has no filter "nosuch" (it has: access_log, ' in out
    assert ', healthcheck, versions)' in out
    assert 'warning: filter "early" (healthcheck) comes after "versions"' in out
    assert 'error: [app:forward] upstream = ftp://example.org/ is not an http://' in out
    assert '4 error(s), 1 warning(s)' in out


def test_unreachable_upstream_and_missing_file(tmp_path):
    rc, out = check('--upstream', 'http://127.0.0.1:1/image/v1.0', '--timeout', '1')
    assert rc == 1 and 'error: upstream http://127.0.0.1:1/image/v1.0 does not answer' in out
    rc, out = check('--config', str(tmp_path / 'none.ini'))
    assert rc == 1 and 'cannot read' in out and 'No such file' in out
    (tmp_path / 'nopipe.ini').write_text('[app:other]\nuse = egg:plankton_proxy#forward\n')
    rc, out = check('--config', str(tmp_path / 'nopipe.ini'))
    assert rc == 1 and 'has no [pipeline:main] (nor [app:main]) section; it has: app:other' in out


def test_serve_with_the_shipped_logging_conf(plankton_server, tmp_path):
    from tests.ops.recipes import ops_config
    with FakeUpstream() as upstream:
        proxy = plankton_server(upstream=upstream.url, config=ops_config(tmp_path, upstream.url),
                                args=['--log-config', os.path.join(ROOT, 'etc', 'logging.conf')])
        resp = requests.get(proxy.url + '/v1/images/echo',
                            headers={'X-Auth-Token': 'TOKEN-NOT-IN-LOG'})
        rid = resp.headers['X-Openstack-Request-Id']
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(rid in line for line in proxy.output):
            time.sleep(0.05)
        line = [out for out in proxy.output if rid in out][0]
        # etc/logging.conf's access format: the time, then the access_log line.
        assert re.match(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} %s 127.0.0.1 - '
                        r'"GET /v1/images/echo" 200 \d+ 0 ' % rid, line), line
        assert not any('TOKEN-NOT-IN-LOG' in line for line in proxy.output)


@pytest.mark.parametrize('name', ['paste.ini', 'etc/paste-keystone.ini', 'etc/paste-oslo.ini',
                                  'etc/paste-external.ini'])
def test_every_shipped_paste_file_checks_clean(name):
    with FakeUpstream() as upstream:
        rc, out = check('--config', os.path.join(ROOT, name),
                        '--upstream', upstream.url + '/image/v1.0')
    assert rc == 0, out
    assert '\nerror:' not in '\n' + out
