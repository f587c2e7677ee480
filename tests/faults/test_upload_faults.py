"""Faults during an upload: the upstream drops the connection while a client
sends a body, and a client drops its own upload half-way."""

import socket
import struct
import time

import requests

from plankton_proxy.testing import Stack
from tests.faults.conftest import READ_TIMEOUT
from tests.faults.fault_server import FaultServer
from tests.faults.stack_helpers import image_ids, pithos_objects

MiB = 1024 * 1024


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
