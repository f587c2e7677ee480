"""The same paste pipeline under a threaded WSGI server (gunicorn gthread),
so that eventlet stays a deployment choice (decision 20)."""

import hashlib
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.fake_upstream import FakeUpstream


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(scope='module')
def gunicorn_proxy(upstream, tmp_path_factory):
    config = tmp_path_factory.mktemp('gunicorn') / 'paste.ini'
    shipped = open(os.path.join(os.path.dirname(__file__), '..', '..', 'paste.ini')).read()
    # The shipped pipeline, with the upstream set in the file as the README says.
    config.write_text(shipped.replace('[DEFAULT]\n', '[DEFAULT]\nupstream = %s/base\n'
                                      % upstream.url, 1))
    port = _free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
    proc = subprocess.Popen([gunicorn, '--paste', str(config) + '#forward_only',
                             '--worker-class', 'gthread',
                             '--threads', '4', '--header-map', 'dangerous',
                             '-b', '127.0.0.1:%d' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = 'http://127.0.0.1:%d' % port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + '/', timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def test_discovery_under_gunicorn(gunicorn_proxy):
    resp = requests.get(gunicorn_proxy + '/')
    assert resp.status_code == 300
    assert resp.json()['versions'][0]['links'][0]['href'] == gunicorn_proxy + '/v1/'


def test_chunked_upload_and_underscore_headers_under_gunicorn(gunicorn_proxy):
    body = [b'x' * 65536] * 40
    resp = requests.post(gunicorn_proxy + '/v1/images/sink', data=iter(body),
                         headers={'x-image-meta-disk_format': 'raw'})
    assert resp.status_code == 200
    assert resp.json()['size'] == 40 * 65536
    assert resp.json()['md5'] == hashlib.md5(b''.join(body)).hexdigest()
    echo = requests.get(gunicorn_proxy + '/v1/images/echo',
                        headers={'x-image-meta-disk_format': 'raw'}).json()
    assert echo['headers']['X-Image-Meta-Disk-Format'] == 'raw'
