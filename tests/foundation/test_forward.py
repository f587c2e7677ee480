"""The forwarding app, through a real `plankton-proxy serve` in front of a
real (fake) upstream on loopback."""

import hashlib
import socket
import threading
import time

import psutil
import pytest
import requests

from tests.fake_upstream import FakeUpstream, pattern_bytes

MiB = 1024 * 1024


@pytest.fixture
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def proxy(plankton_server, upstream):
    return plankton_server(upstream=upstream.url + '/base', args=['--pipeline', 'forward_only'])


def test_forwards_method_path_query_and_headers(proxy, upstream):
    resp = requests.post(proxy.url + '/v1/images/echo?a=1&b=%20x',
                         data=b'hello', headers={'X-Auth-Token': 'tok',
                                                 'x-image-meta-disk_format': 'raw'})
    assert resp.status_code == 200
    seen = resp.json()
    assert seen['method'] == 'POST'
    assert seen['path'] == '/base/images/echo'
    assert seen['query'] == 'a=1&b=%20x'
    assert seen['headers']['X-Auth-Token'] == 'tok'
    # Plankton reads dashed names; underscores in names are dropped by many
    # front ends, so names go upstream dashed.
    assert seen['headers']['X-Image-Meta-Disk-Format'] == 'raw'
    assert seen['size'] == 5
    assert seen['md5'] == hashlib.md5(b'hello').hexdigest()


def test_hop_by_hop_headers_are_stripped_both_ways(proxy, upstream):
    resp = requests.get(proxy.url + '/v1/images/echo', headers={
        'Connection': 'keep-alive, X-Private', 'X-Private': 'secret',
        'Keep-Alive': 'timeout=5', 'TE': 'trailers', 'Upgrade': 'h2c',
        'Proxy-Authorization': 'Basic eDp5', 'X-End-To-End': 'kept'})
    headers = {k.lower(): v for k, v in resp.json()['headers'].items()}
    for name in ('x-private', 'keep-alive', 'te', 'upgrade', 'proxy-authorization'):
        assert name not in headers
    assert headers['x-end-to-end'] == 'kept'
    assert headers['x-forwarded-for'] == '127.0.0.1'
    assert headers['x-forwarded-proto'] == 'http'
    assert headers['x-forwarded-host'] == proxy.url.split('//')[1]
    # The upstream names X-Secret-Hop in Connection: it must not reach us.
    source = requests.get(proxy.url + '/v1/images/source?size=10')
    assert 'X-Secret-Hop' not in source.headers
    assert source.content == b''.join(pattern_bytes(10))


@pytest.mark.parametrize('path', ['/v1/images/../../../etc/passwd',
                                  '/v1/images/%2e%2e/%2e%2e/x',
                                  '/v1/./images/echo'])
def test_paths_cannot_leave_the_upstream_base(proxy, upstream, path):
    # Sent raw (requests would normalise the dots away).
    host, port = proxy.url.split('//')[1].split(':')
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(('GET %s HTTP/1.1\r\nHost: evil.example\r\n'
                      'Connection: close\r\n\r\n' % path).encode())
        answer = b''
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status = int(answer.split(b' ', 2)[1])
    for seen in upstream.seen:
        assert seen['path'].startswith('/base/')
        assert '..' not in seen['path'].split('/')
    assert status in (200, 400, 404)
    if status == 200:
        # Only the literal, still-quoted segment may arrive, below the base.
        assert upstream.seen[-1]['path'].startswith('/base/')


def test_host_header_and_absolute_uri_do_not_redirect(proxy, upstream):
    host, port = proxy.url.split('//')[1].split(':')
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b'GET http://198.51.100.7/steal HTTP/1.1\r\n'
                     b'Host: 198.51.100.7\r\nConnection: close\r\n\r\n')
        answer = b''
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    # Whatever the answer, nothing went anywhere but our upstream base.
    assert answer.startswith(b'HTTP/1.1 ')
    for seen in upstream.seen:
        assert seen['path'].startswith('/base/')


def test_refused_upstream_is_a_502_in_glance_shape(plankton_server):
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        closed_port = probe.getsockname()[1]
    proxy = plankton_server(upstream='http://127.0.0.1:%d/base' % closed_port,
                            args=['--pipeline', 'forward_only'])
    started = time.monotonic()
    resp = requests.get(proxy.url + '/v1/images/detail', timeout=30)
    assert time.monotonic() - started < 10
    assert resp.status_code == 502
    assert resp.headers['Content-Type'].startswith('application/json')
    body = resp.json()
    assert body['badGateway']['code'] == 502
    assert 'could not be reached' in body['badGateway']['message']


def test_slow_upstream_is_a_504_within_the_timeout(plankton_server, upstream, tmp_path):
    config = tmp_path / 'paste.ini'
    config.write_text('[pipeline:main]\npipeline = versions forward\n'
                      '[filter:versions]\nuse = egg:plankton_proxy#versions\n'
                      '[app:forward]\nuse = egg:plankton_proxy#forward\n'
                      'read_timeout = 1\n')
    proxy = plankton_server(upstream=upstream.url + '/base', config=str(config))
    started = time.monotonic()
    resp = requests.get(proxy.url + '/v1/images/slow?delay=5', timeout=30)
    elapsed = time.monotonic() - started
    assert resp.status_code == 504
    assert resp.json()['gatewayTimeout']['code'] == 504
    assert resp.headers['Retry-After']
    assert elapsed < 4
    # And the proxy still serves afterwards.
    assert requests.get(proxy.url + '/v1/images/echo').status_code == 200


class _RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.baseline = self.peak = self.process.memory_info().rss
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.join()

    @property
    def growth(self):
        return self.peak - self.baseline


BIG = 384 * MiB
BOUND = 48 * MiB


@pytest.mark.parametrize('chunked', [False, True], ids=['sized', 'chunked'])
def test_big_download_streams_with_bounded_memory(proxy, chunked):
    requests.get(proxy.url + '/v1/images/echo')  # warm the pool
    expected = hashlib.md5()
    for piece in pattern_bytes(BIG):
        expected.update(piece)
    digest, size = hashlib.md5(), 0
    with _RssSampler(proxy.pid) as rss:
        with requests.get(proxy.url + '/v1/images/source?size=%d&chunked=%d'
                          % (BIG, int(chunked)), stream=True) as resp:
            assert resp.status_code == 200
            for data in resp.iter_content(1024 * 1024):
                digest.update(data)
                size += len(data)
    assert size == BIG
    assert digest.hexdigest() == expected.hexdigest()
    assert rss.growth < BOUND, 'proxy RSS grew by %d MiB' % (rss.growth // MiB)


class _Body(object):
    """A body of BIG pattern bytes that requests sends without holding it."""

    def __init__(self, sized):
        self.sized = sized
        self.pieces = pattern_bytes(BIG)
        if sized:
            self.len = BIG

    def read(self, size=-1):
        return next(self.pieces, b'')

    def __iter__(self):
        return self.pieces


@pytest.mark.parametrize('sized', [True, False], ids=['sized', 'chunked'])
def test_big_upload_streams_with_bounded_memory(proxy, sized):
    requests.get(proxy.url + '/v1/images/echo')
    expected = hashlib.md5()
    for piece in pattern_bytes(BIG):
        expected.update(piece)
    body = _Body(sized)
    with _RssSampler(proxy.pid) as rss:
        resp = requests.put(proxy.url + '/v1/images/sink',
                            data=body if sized else iter(body))
    assert resp.status_code == 200
    assert resp.json()['size'] == BIG
    assert resp.json()['md5'] == expected.hexdigest()
    assert rss.growth < BOUND, 'proxy RSS grew by %d MiB' % (rss.growth // MiB)
