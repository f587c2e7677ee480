"""Faults during an upload: the upstream drops the connection while a client
sends a body, and a client drops its own upload half-way."""

import socket
import struct
import time

import pytest
import requests

from plankton_proxy.testing import DEMO_USERS_FILE, RunningServer, Stack, read_users
from tests.faults.conftest import READ_TIMEOUT, derived_config
from tests.faults.recording import recorded_backend
from tests.faults.fault_server import FaultServer
from tests.faults.stack_helpers import image_ids, pithos_objects

MiB = 1024 * 1024
USERS = read_users(DEMO_USERS_FILE)


def test_upstream_drops_connection_during_upload(plankton_server, fast_config):
    # The bare forwarder (no translation) streams a client's body upstream:
    # the upstream reads 1 KiB of 4 MiB and resets.
    with FaultServer('drop_upload', methods=('PUT', 'POST')) as server:
        proxy = plankton_server(upstream=server.url + '/image/v1.0', config=fast_config,
                                args=['--pipeline', 'forward_only'])
        for method in ('PUT', 'POST'):
            before = len(server.requests)
            start = time.monotonic()
            resp = requests.request(method, proxy.url + '/v1/images/x',
                                    data=b'\0' * (4 * MiB),
                                    headers={'X-Auth-Token': 't'}, timeout=10)
            assert resp.status_code == 502, resp.text
            assert resp.json()['badGateway']['code'] == 502
            assert resp.headers['Retry-After']
            assert time.monotonic() - start < READ_TIMEOUT + 1.0
            # A request with a body is never retried.
            assert len(server.requests) - before == 1
        server.methods = frozenset()
        assert requests.get(proxy.url + '/v1/images/detail', timeout=10).status_code == 200


def test_client_drops_its_upload_nothing_is_left_behind():
    stack = Stack(['--in-memory'])
    try:
        alice = stack.users[0]
        before_images = image_ids(stack, alice)
        before_objects = pithos_objects(stack, alice)
        host, port = stack.url.split('//')[1].split(':')
        for framing in ('sized', 'chunked'):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                head = ('POST /v1/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
                        'x-image-meta-name: dropped\r\nx-image-meta-disk_format: raw\r\n'
                        'x-image-meta-container_format: bare\r\n'
                        'Content-Type: application/octet-stream\r\n' % alice[1])
                if framing == 'sized':
                    head += 'Content-Length: %d\r\n\r\n' % (8 * MiB)
                    sock.sendall(head.encode() + b'\1' * (256 * 1024))
                else:
                    head += 'Transfer-Encoding: chunked\r\n\r\n'
                    sock.sendall(head.encode() + b'40000\r\n' + b'\1' * 0x40000 + b'\r\n')
                time.sleep(0.2)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            time.sleep(0.3)
        assert image_ids(stack, alice) == before_images
        assert pithos_objects(stack, alice) == before_objects
        # Still serving.
        assert requests.get(stack.url + '/versions', timeout=5).status_code == 200
        assert requests.get(stack.url + '/v1/images', timeout=5,
                            headers={'X-Auth-Token': alice[1]}).status_code == 200
    finally:
        stack.stop()


# -- the registry or Pithos fails while an upload is registered -------------

UPLOAD_FAULTS = [
    # (method, path prefix, status, delay, the client's status)
    ('POST', '/image/v1.0/images', 500, 0, 502),
    ('POST', '/image/v1.0/images', 503, 0, 503),
    ('POST', '/image/v1.0/images', 500, READ_TIMEOUT * 2, 504),
    # The identity service that tells whose account receives the data.
    ('POST', '/identity/', 503, 0, 503),
    ('PUT', '/object-store/v1/', 503, 0, 502),
    ('PUT', '/object-store/v1/', 500, READ_TIMEOUT * 2, 504),
    # The object itself (the container PUT goes through).
    ('PUT', '/object-store/v1/%s/images/' % USERS[0][0], 503, 0, 502),
    # (a stall while the data streams is reported as the store failing: 502)
    ('PUT', '/object-store/v1/%s/images/' % USERS[0][0], 500, READ_TIMEOUT * 2, 502),
]


@pytest.mark.parametrize('method,prefix,status,delay,expected', UPLOAD_FAULTS,
                         ids=['%s-%s-%d-%s' % (f[0], 'object' if f[1].endswith('images/')
                                               else f[1].split('/')[1] or 'identity', f[2],
                                               'slow' if f[3] else 'now')
                              for f in UPLOAD_FAULTS])
def test_upload_fault_leaves_nothing_behind(tmp_path, method, prefix, status, delay,
                                            expected):
    with recorded_backend() as (backend_url, recorder):
        config = derived_config(tmp_path, {
            'DEFAULT': {'pithos_url': backend_url + '/object-store/v1',
                        'identity_url': backend_url + '/identity/v2.0'},
            'app:forward': {'read_timeout': READ_TIMEOUT},
            'filter:glance_upload': {'pithos_read_timeout': READ_TIMEOUT}})
        proxy = RunningServer(['--port', '0', '--upstream', backend_url + '/image/v1.0',
                               '--config', config])
        try:
            stack = _Direct(proxy.url, backend_url)
            alice = USERS[0]
            before = (image_ids(stack, alice), pithos_objects(stack, alice))
            recorder.fault = (method, prefix, status, delay)
            start = time.monotonic()
            resp = requests.post(proxy.url + '/v1/images', data=b'\2' * (256 * 1024),
                                 timeout=30, headers={
                                     'X-Auth-Token': alice[1], 'x-image-meta-name': 'up',
                                     'x-image-meta-disk_format': 'raw',
                                     'x-image-meta-container_format': 'bare',
                                     'Content-Type': 'application/octet-stream'})
            elapsed = time.monotonic() - start
            recorder.fault = None
            if resp.status_code == 501:
                pytest.skip('uploads are not served by this build')
            if resp.status_code != expected:
                print(''.join(proxy.output))
            assert resp.status_code == expected, resp.text
            (name, error), = resp.json().items()
            assert error['code'] == expected
            assert resp.headers['Retry-After']
            assert elapsed < READ_TIMEOUT * 3 + 1.0
            # Nothing half-done: no image, no object (the backend may still be
            # sleeping on the injected delay: wait for it, bounded).
            time.sleep(delay)
            assert (image_ids(stack, alice), pithos_objects(stack, alice)) == before
            # And the proxy serves the next upload.
            resp = requests.post(proxy.url + '/v1/images', data=b'ok', timeout=30, headers={
                'X-Auth-Token': alice[1], 'x-image-meta-name': 'after',
                'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
                'Content-Type': 'application/octet-stream'})
            assert resp.status_code == 201, resp.text
        finally:
            recorder.fault = None
            proxy.stop()


class _Direct(object):
    """What stack_helpers needs of a stack: the proxy and backend URLs."""

    def __init__(self, url, backend_url):
        self.url = url
        self.backend_url = backend_url
