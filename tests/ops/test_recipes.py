"""The deployment recipes of etc/, tried for real on loopback: gunicorn (its
threaded worker, and eventlet's where gunicorn still has it), uWSGI, nginx in
front, and the systemd unit (verified, not run)."""

import hashlib
import os
import shlex
import shutil
import subprocess

import pytest
import requests

from plankton_proxy.cli import build_parser
from tests.fake_upstream import FakeUpstream
from tests.ops.recipes import (BIN, ETC, ROOT, Process, free_port, nginx_binary,
                               ops_config, start_nginx)

MiB = 1024 * 1024


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as fake:
        yield fake


def check_glance_style_traffic(url, upstream, server, chunked=True):
    """What a front end or server must not break: header names with
    underscores, an upload (chunked, as the glance CLI sends it) streamed
    whole, the request id and the access log line."""
    resp = requests.get(url + '/healthcheck')
    assert resp.status_code == 200 and resp.text == 'OK\nupstream: reachable\n'
    body = [os.urandom(64 * 1024) for _ in range(40)]
    resp = requests.put(url + '/v1/images/sink',
                        data=iter(body) if chunked else b''.join(body),
                        headers={'x-image-meta-disk_format': 'raw',
                                 'X-Auth-Token': 'TOKEN-NOT-IN-LOG'})
    assert resp.status_code == 200, resp.text
    assert (resp.json()['size'], resp.json()['md5']) == (
        40 * 64 * 1024, hashlib.md5(b''.join(body)).hexdigest())
    rid = resp.headers['X-Openstack-Request-Id']
    echo = requests.get(url + '/v1/images/echo', headers={
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}).json()
    assert echo['headers'].get('X-Image-Meta-Disk-Format') == 'raw'
    assert echo['headers'].get('X-Image-Meta-Container-Format') == 'bare'
    line = server.wait_for_line(rid)
    assert line and '"PUT /v1/images/sink" 200 ' in line[0]
    assert ' %d ' % (40 * 64 * 1024) in line[0]
    assert not any('TOKEN-NOT-IN-LOG' in out for out in server.output)
    return echo


def test_gunicorn_gthread_with_the_shipped_settings(upstream, tmp_path):
    config = ops_config(tmp_path, upstream.url + '/image/v1.0')
    port = free_port()
    server = Process([os.path.join(BIN, 'gunicorn'), '-c', 'etc/gunicorn.conf.py',
                      '--paste', config, '-b', '127.0.0.1:%d' % port],
                     'http://127.0.0.1:%d' % port)
    try:
        check_glance_style_traffic(server.url, upstream, server)
    finally:
        server.stop()


def test_gunicorn_without_header_map_drops_underscore_headers(upstream, tmp_path):
    # The pitfall the settings file guards against, shown.
    import gunicorn
    if tuple(int(x) for x in gunicorn.__version__.split('.')[:1]) < (22,):
        pytest.skip('gunicorn < 22 keeps underscore headers')
    config = ops_config(tmp_path, upstream.url + '/image/v1.0')
    port = free_port()
    server = Process([os.path.join(BIN, 'gunicorn'), '--paste', config,
                      '-b', '127.0.0.1:%d' % port], 'http://127.0.0.1:%d' % port)
    try:
        echo = requests.get(server.url + '/v1/images/echo',
                            headers={'x-image-meta-disk_format': 'raw'}).json()
        assert 'X-Image-Meta-Disk-Format' not in echo['headers']
    finally:
        server.stop()


def test_gunicorn_eventlet_worker(upstream, tmp_path):
    from gunicorn.workers import SUPPORTED_WORKERS
    if 'eventlet' not in SUPPORTED_WORKERS:
        import gunicorn
        pytest.skip('gunicorn %s has no eventlet worker (removed in 26.0; 25.x has it, '
                    'deprecated)' % gunicorn.__version__)
    config = ops_config(tmp_path, upstream.url + '/image/v1.0')
    port = free_port()
    server = Process([os.path.join(BIN, 'gunicorn'), '-c', 'etc/gunicorn.conf.py',
                      '--worker-class', 'eventlet', '--workers', '1',
                      '--paste', config, '-b', '127.0.0.1:%d' % port],
                     'http://127.0.0.1:%d' % port)
    try:
        check_glance_style_traffic(server.url, upstream, server)
    finally:
        server.stop()


def test_uwsgi_with_the_shipped_settings(upstream, tmp_path):
    uwsgi = shutil.which('uwsgi', path=BIN) or shutil.which('uwsgi')
    if not uwsgi:
        pytest.skip('uWSGI is not installed (pip install uwsgi; it compiles)')
    config = ops_config(tmp_path, upstream.url + '/image/v1.0')
    # paste-logger: the logging sections go into the paste file.
    with open(config, 'a') as out:
        out.write('\n' + open(os.path.join(ETC, 'logging.conf')).read())
    port = free_port()
    text = open(os.path.join(ETC, 'uwsgi.ini')).read()
    assert 'http-socket = 127.0.0.1:9292' in text
    text = text.replace('http-socket = 127.0.0.1:9292', 'http-socket = 127.0.0.1:%d' % port)
    text = text.replace('paste = config:/etc/plankton-proxy/paste.ini', 'paste = config:' + config)
    (tmp_path / 'uwsgi.ini').write_text(text)
    server = Process([uwsgi, '--ini', str(tmp_path / 'uwsgi.ini')],
                     'http://127.0.0.1:%d' % port)
    try:
        check_glance_style_traffic(server.url, upstream, server, chunked=False)
        # disable-logging: only the access_log filter's lines, not uWSGI's.
        assert not any('GET /healthcheck =>' in line for line in server.output)
        # The pitfall etc/uwsgi.ini warns about: uWSGI 2.0 hands the app an
        # empty body for a chunked request (what the glance CLI sends).
        resp = requests.put(server.url + '/v1/images/sink', data=iter([b'x' * 1000]))
        assert resp.json()['size'] == 0
        # Behind nginx with request buffering on, nginx de-chunks: it works.
        if nginx_binary():
            front = start_nginx(server.url.split('//')[1], tmp_path, request_buffering=True)
            try:
                check_glance_style_traffic(front.url, upstream, server)
            finally:
                front.stop()
    finally:
        server.stop()


def test_systemd_unit():
    unit = open(os.path.join(ETC, 'plankton-proxy.service')).read()
    exec_start = [line for line in unit.splitlines() if line.startswith('ExecStart=')]
    assert len(exec_start) == 1
    argv = shlex.split(exec_start[0][len('ExecStart='):])
    assert argv[0] == '/opt/plankton-proxy/bin/plankton-proxy'
    args = build_parser().parse_args(argv[1:])
    assert args.command == 'serve' and args.port == 9292 and args.host == '127.0.0.1'
    # Every file it names is one we ship (paste.ini at the top, the rest in etc/).
    for path in (args.config, args.log_config, args.users):
        name = os.path.basename(path)
        assert os.path.exists(os.path.join(ROOT, name)) or os.path.exists(os.path.join(ETC, name))
    analyze = shutil.which('systemd-analyze')
    if not analyze:
        pytest.skip('systemd-analyze is not installed')
    local = os.path.join(os.environ.get('TMPDIR', '/tmp'),
                         'plankton-proxy-%d.service' % os.getpid())
    with open(local, 'w') as out:
        out.write(unit.replace('/opt/plankton-proxy/bin/', BIN + '/'))
    try:
        proc = subprocess.run([analyze, 'verify', local], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        os.unlink(local)


needs_nginx = pytest.mark.skipif(not nginx_binary(), reason='nginx is not installed '
                                 '(Debian: apt-get install nginx)')


@needs_nginx
def test_nginx_in_front_keeps_underscores_and_streams(upstream, tmp_path, plankton_server):
    proxy = plankton_server(upstream=upstream.url + '/image/v1.0',
                            config=ops_config(tmp_path, upstream.url + '/image/v1.0'))
    front = start_nginx(proxy.url.split('//')[1], tmp_path)
    try:
        class Lines(object):
            output = proxy.output

            def wait_for_line(self, text, timeout=5):
                import time
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    found = [line for line in proxy.output if text in line]
                    if found:
                        return found
                    time.sleep(0.05)
                return []
        echo = check_glance_style_traffic(front.url, upstream, Lines())
        # Discovery links name the front end, not the proxy behind it.
        versions = requests.get(front.url + '/').json()
        assert versions['versions'][0]['links'][0]['href'] == front.url + '/v2/'  # decision 18
        # X-Forwarded-For: the client, then nginx (as the proxy saw it).
        assert echo['headers']['X-Forwarded-For'] == '127.0.0.1, 127.0.0.1'
    finally:
        front.stop()


def _shipped_pipeline_translates():
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'paste.ini'))
    return 'glance_images' in parser.get('pipeline:main', 'pipeline')


@needs_nginx
@pytest.mark.skipif(not _shipped_pipeline_translates(),
                    reason='the shipped pipeline has no Glance translation filters yet')
def test_glance_cli_through_nginx_and_serve(plankton_server, tmp_path):
    stack = plankton_server()
    front = start_nginx(stack.url.split('//')[1], tmp_path)
    try:
        glance = [os.path.join(BIN, 'glance'), '--os-image-api-version', '1',
                  '--os-image-url', front.url, '--os-auth-token', 'demo-token-alice']
        proc = subprocess.run(glance + ['image-list'], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert 'Disk Format' in proc.stdout
    finally:
        front.stop()
