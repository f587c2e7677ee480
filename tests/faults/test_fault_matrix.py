"""The fault matrix: what a client gets when the upstream misbehaves.

Every row runs a real ``plankton-proxy serve`` (timeouts of a fraction of a
second, from a derived paste.ini) in front of a raw-socket ``FaultServer``
on loopback, sends one Glance v1 request and checks

* the status and the Glance error shape (502/503/504, with Retry-After);
* that the answer came within the configured timeout (no test sleeps longer
  than the timeouts under test);
* how often the faulted upstream call was made: reads retried once on a
  dropped connection, never on a timeout, never a write;
* that nothing was half-done (a failed read before a register means no
  register was sent);
* that the same proxy serves the next request once the upstream is healthy.

docs/reliability.rst shows the same matrix as a table.
"""

import time

import pytest
import requests

from tests.faults.conftest import CONNECT_TIMEOUT, READ_TIMEOUT
from tests.faults.fault_server import IMAGE_ID, OWNER, FaultServer, refused_url

TOKEN = {'X-Auth-Token': 'fault-token'}

#: request name -> (method, path, headers, upstream method that gets the fault)
REQUESTS = {
    'list': ('GET', '/v1/images/detail', {}, 'GET'),
    'show': ('HEAD', '/v1/images/%s' % IMAGE_ID, {}, 'HEAD'),
    'update': ('PUT', '/v1/images/%s' % IMAGE_ID,
               {'x-image-meta-property-color': 'blue'}, 'PUT'),
    'register': ('POST', '/v1/images', {
        'x-image-meta-name': 'fault', 'x-image-meta-disk_format': 'raw',
        'x-image-meta-container_format': 'bare',
        'x-image-meta-location': 'pithos://%s/images/other.img' % OWNER}, 'POST'),
    # The read a register makes first (is the location already an image?).
    'register_lookup': ('POST', '/v1/images', {
        'x-image-meta-name': 'fault', 'x-image-meta-disk_format': 'raw',
        'x-image-meta-container_format': 'bare',
        'x-image-meta-location': 'pithos://%s/images/other.img' % OWNER}, 'GET'),
    'delete': ('DELETE', '/v1/images/%s' % IMAGE_ID, {}, 'DELETE'),
}

#: (fault, request, expected status, upstream calls of the faulted method,
#:  Retry-After expected, most seconds the answer may take)
T = READ_TIMEOUT
MATRIX = [
    ('refused', 'list', 502, 0, True, 1.0),
    ('refused', 'register', 502, 0, True, 1.0),
    ('blackhole', 'list', 504, 1, True, T + 0.6),
    ('blackhole', 'show', 504, 1, True, T + 0.6),
    ('blackhole', 'update', 504, 1, True, T + 0.6),
    ('blackhole', 'register', 504, 1, True, T + 0.6),
    ('slow', 'list', 504, 1, True, T + 0.6),
    ('slow', 'register', 504, 1, True, T + 0.6),
    ('slow_ok', 'list', 200, 1, False, T + 0.6),
    ('slow_ok', 'update', 200, 1, False, T + 0.6),
    ('close_before_answer', 'list', 502, 2, True, 1.0),
    ('close_before_answer', 'show', 502, 2, True, 1.0),
    ('close_before_answer', 'update', 502, 1, True, 1.0),
    ('close_before_answer', 'register', 502, 1, True, 1.0),
    ('close_before_answer', 'delete', 502, 1, True, 1.0),
    ('reset_before_answer', 'list', 502, 2, True, 1.0),
    ('reset_before_answer', 'register', 502, 1, True, 1.0),
    ('reset_mid_body', 'list', 502, 1, True, 1.0),
    ('reset_mid_body', 'register', 502, 1, True, 1.0),
    ('truncated', 'list', 502, 1, True, 1.0),
    ('stall_mid_body', 'list', 504, 1, True, T + 0.6),
    ('stall_mid_body', 'register', 504, 1, True, T + 0.6),
    ('truncated', 'update', 502, 1, True, 1.0),
    ('status_500', 'list', 502, 1, True, 1.0),
    ('status_500', 'show', 502, 1, True, 1.0),
    ('status_500', 'update', 502, 1, True, 1.0),
    ('status_500', 'register', 502, 1, True, 1.0),
    ('status_503', 'list', 503, 1, True, 1.0),
    ('status_503', 'register', 503, 1, True, 1.0),
    ('not_http', 'list', 502, 2, True, 1.0),
    ('not_http', 'register', 502, 1, True, 1.0),
    ('bad_json', 'list', 502, 1, True, 1.0),
    ('bad_json', 'register_lookup', 502, 1, True, 1.0),
    ('bad_content_length', 'list', 502, None, True, 1.0),
]


def _start_fault(fault):
    if fault == 'refused':
        return None
    if fault == 'slow':
        return FaultServer('slow', delay=READ_TIMEOUT * 2)
    if fault == 'slow_ok':
        return FaultServer('slow', delay=READ_TIMEOUT / 3)
    return FaultServer(fault, hold=READ_TIMEOUT * 3)


def _assert_shape(resp, status, retry_after):
    assert resp.status_code == status, (resp.status_code, resp.text)
    if status >= 400:
        if resp.request.method != 'HEAD':
            body = resp.json()
            (name, error), = body.items()
            assert error['code'] == status
            assert error['message']
        if retry_after:
            assert int(resp.headers['Retry-After']) > 0


@pytest.mark.parametrize('fault,request_name,status,calls,retry_after,within', MATRIX,
                         ids=['%s-%s' % (row[0], row[1]) for row in MATRIX])
def test_fault_matrix(plankton_server, fast_config, fault, request_name, status,
                      calls, retry_after, within):
    method, path, headers, faulted = REQUESTS[request_name]
    server = _start_fault(fault)
    if server is not None:
        server.methods = frozenset([faulted])
    try:
        upstream = (server.url if server else refused_url()) + '/image/v1.0'
        proxy = plankton_server(upstream=upstream, config=fast_config)
        start = time.monotonic()
        resp = requests.request(method, proxy.url + path, headers=dict(TOKEN, **headers),
                                timeout=10)
        elapsed = time.monotonic() - start
        _assert_shape(resp, status, retry_after)
        assert elapsed < within, elapsed
        if fault == 'status_503':
            assert resp.headers['Retry-After'] == '7'     # the upstream's own
        if server is not None:
            seen = [m for m, _ in server.requests if m == faulted]
            if calls is not None:
                assert len(seen) == calls, server.requests
            if request_name == 'register_lookup':
                # The lookup failed: nothing was registered.
                assert 'POST' not in [m for m, _ in server.requests]
            # The upstream heals: the same proxy serves again at once.
            server.methods = frozenset()
            again = requests.get(proxy.url + '/v1/images/detail', headers=TOKEN,
                                 timeout=10)
            assert again.status_code == 200, again.text
        else:
            assert requests.get(proxy.url + '/versions', timeout=10).status_code == 200
    finally:
        if server is not None:
            server.close()


def test_connect_timeout_is_a_gateway_error_within_the_timeout(plankton_server, fast_config):
    # A listener whose backlog is full never completes the handshake: bind,
    # listen(0) and fill the queue ourselves.
    import socket
    lsock = socket.socket()
    lsock.bind(('127.0.0.1', 0))
    lsock.listen(0)
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(lsock.getsockname())
            fillers.append(s)
        proxy = plankton_server(upstream='http://127.0.0.1:%d/image/v1.0'
                                % lsock.getsockname()[1], config=fast_config)
        start = time.monotonic()
        resp = requests.get(proxy.url + '/v1/images/detail', headers=TOKEN, timeout=10)
        elapsed = time.monotonic() - start
        assert resp.status_code in (502, 504)
        assert resp.headers['Retry-After']
        assert elapsed < CONNECT_TIMEOUT + 1.0
    finally:
        for s in fillers:
            s.close()
        lsock.close()
