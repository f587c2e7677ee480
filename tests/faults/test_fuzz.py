"""Bad input, sent over raw sockets to a running proxy (hypothesis, seeded).

The target is ``plankton-proxy serve`` (the shipped pipeline) in front of the
embedded backend, which runs in this process behind a recorder.  Every input
must get

* an answer, and never a 5xx;
* for a 4xx from the proxy, the Glance error shape (decision 14); the only
  other 4xx allowed is the HTTP server's own 400 for a request it cannot
  parse at all (counted and reported);
* no upstream request outside the image API (``recording.IMAGE_API``);

and the proxy is still serving at the end.

Budget: ``FUZZ_EXAMPLES`` inputs in all (default 2,500, split over the
strategies below; ``FUZZ_EXAMPLES=20000`` for the long run).  The counts are
printed at the end (``pytest -s``) and written to ``FUZZ_REPORT`` if set.
"""

import json
import os
import re
import socket
import string
import time
from collections import Counter

import pytest
import requests
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from plankton_proxy.testing import RunningServer, read_users, DEMO_USERS_FILE
from tests.faults.conftest import derived_config
from tests.faults.recording import recorded_backend

TOTAL = int(os.environ.get('FUZZ_EXAMPLES', '2500'))
SEED = int(os.environ.get('FUZZ_SEED', '20261127'))
#: Strategy -> share of the budget.
SHARES = {'headers': 0.22, 'paths': 0.22, 'queries': 0.18, 'bodies': 0.18, 'methods': 0.1,
          'uploads': 0.1}
COUNTS = Counter()
STATUSES = Counter()

USERS = read_users(DEMO_USERS_FILE)
ALICE, BOB = USERS[0], USERS[1]


def _settings(share):
    return settings(max_examples=max(1, int(TOTAL * share)), deadline=None,
                    database=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))


# -- the target -------------------------------------------------------------

class Target(object):
    def __init__(self, url, recorder, image_id, proxy):
        self.url = url
        self.recorder = recorder
        self.image_id = image_id
        self.proxy = proxy
        host, port = url.split('//')[1].split(':')
        self.addr = (host, int(port))


@pytest.fixture(scope='module')
def target(tmp_path_factory):
    with recorded_backend() as (backend_url, recorder):
        # As `serve` configures the proxy for its embedded backend: the
        # identity service, and Pithos for image data (once uploads are served).
        config = derived_config(tmp_path_factory.mktemp('fuzz'), {'DEFAULT': {
            'pithos_url': backend_url + '/object-store/v1',
            'identity_url': backend_url + '/identity/v2.0'}})
        proxy = RunningServer(['--port', '0', '--upstream', backend_url + '/image/v1.0',
                               '--config', config, '--log-level', 'WARNING'])
        try:
            account, token = ALICE
            base = '%s/object-store/v1/%s/images' % (backend_url, account)
            requests.put(base, headers={'X-Auth-Token': token}, timeout=10)
            requests.put(base + '/fuzz.img', data=b'x' * 100, timeout=10,
                         headers={'X-Auth-Token': token,
                                  'Content-Type': 'application/octet-stream'})
            resp = requests.post(proxy.url + '/v1/images', timeout=10, headers={
                'X-Auth-Token': token, 'x-image-meta-name': 'fuzz',
                'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
                'x-image-meta-location': 'pithos://%s/images/fuzz.img' % account})
            assert resp.status_code == 201, resp.text
            yield Target(proxy.url, recorder, resp.json()['image']['id'], proxy)
            assert proxy.proc.poll() is None, 'the proxy died'
            resp = requests.get(proxy.url + '/v1/images/detail', timeout=10,
                                headers={'X-Auth-Token': token})
            assert resp.status_code == 200
        finally:
            proxy.stop()
            _report()


def _report():
    total = sum(v for k, v in COUNTS.items() if not k.startswith('server-'))
    lines = ['fuzz: %d inputs (seed %d): %s' % (total, SEED, dict(COUNTS)),
             'fuzz: statuses %s' % dict(sorted(STATUSES.items()))]
    print('\n' + '\n'.join(lines))
    if os.environ.get('FUZZ_REPORT'):
        with open(os.environ['FUZZ_REPORT'], 'a') as stream:
            stream.write('\n'.join(lines) + '\n')


def send(target, raw, kind, timeout=10.0):
    """Send one raw request; check the answer and the upstream."""
    COUNTS[kind] += 1
    since = len(target.recorder.seen)
    with socket.create_connection(target.addr, timeout=timeout) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass          # the server refused to read all of it: fine
        answer = b''
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError('no answer within %ss to %r; proxy log:\n%s' % (
                    timeout, raw[:300], ''.join(target.proxy.output[-30:])))
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b'\r\n\r\n')
    assert answer, 'no answer to %r' % raw[:300]
    status_line = head.split(b'\r\n', 1)[0]
    status = int(status_line.split(b' ')[1])
    STATUSES[status] += 1
    # 501 is a designed answer (decision 3: downloads), in the error shape.
    assert status < 500 or status == 501, (raw[:500], answer[:1000])
    headers = {}
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        headers[name.strip().lower().decode('latin-1')] = value.strip().decode('latin-1')
    if status >= 400 and status != 501 or (status == 501 and body.strip()):
        if 'application/json' in headers.get('content-type', ''):
            if body.strip():
                doc = json.loads(_dechunk(body, headers))
                assert isinstance(doc, dict) and len(doc) == 1, doc
                (inner,) = doc.values()
                assert inner['code'] == status and isinstance(inner['message'], str)
        elif 'text/html' in headers.get('content-type', '') and b'<h1>' in body:
            pass          # the same error as HTML, for a browser-like Accept
        elif not body.strip() or raw.startswith(b'HEAD '):
            pass          # HEAD: no body
        else:
            # The HTTP server's own answer to a request it could not parse.
            assert status in (400, 414, 431), (raw[:300], answer[:500])
            COUNTS['server-' + str(status)] += 1
    outside = target.recorder.outside_api(since)
    assert not outside, (raw[:300], outside)
    return status


def _dechunk(body, headers):
    if 'chunked' not in headers.get('transfer-encoding', ''):
        return body
    out = b''
    while body:
        size, _, rest = body.partition(b'\r\n')
        n = int(size.split(b';')[0] or b'0', 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


def request(method, target_path, headers=(), body=None, token=True):
    lines = [method + b' ' + target_path + b' HTTP/1.1', b'Host: 127.0.0.1',
             b'Connection: close']
    if token:
        lines.append(b'X-Auth-Token: ' + ALICE[1].encode())
    lines += [name + b': ' + value for name, value in headers]
    if body is not None:
        lines.append(b'Content-Length: %d' % len(body))
    return b'\r\n'.join(lines) + b'\r\n\r\n' + (body or b'')


# -- strategies -------------------------------------------------------------

NASTY = ['\r\n', '\r', '\n', '\x00', '\x7f', '\xff', '%', '%zz', '%00', '%0d%0a',
         '%ff%fe', '%25', '%2f', '..', '\t', ' ', '"', "'", ';', ',', '\\', '/', '?',
         '#', '\u00e9', '\u2603', '\ud7ff', '{', '[', 'null', 'True', '-1', '1e999']
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY),
                                st.text(max_size=12),
                                st.text(alphabet=string.printable, max_size=30)),
                      max_size=8).map(''.join)


def to_bytes(text):
    return text.encode('utf-8', 'surrogatepass')


huge = st.integers(min_value=1000, max_value=40000).map(lambda n: 'A' * n)
header_value = st.one_of(nasty_text, huge, st.binary(max_size=64).map(
    lambda b: b.decode('latin-1')))
KNOWN_NAMES = ['X-Auth-Token', 'x-image-meta-name', 'x-image-meta-size',
               'x-image-meta-is_public', 'x-image-meta-property-foo',
               'x-image-meta-property-%ff', 'x-image-meta-min_ram', 'x-image-meta-status',
               'x-image-meta-disk_format', 'x-image-meta-location', 'x-image-meta-id',
               'x-glance-registry-purge-props', 'x-image-meta-protected', 'Accept',
               'User-Agent', 'x-image-meta-checksum', 'X-Forwarded-Host', 'Connection',
               'Upgrade', 'Host', 'x-image-meta-\u00e9', 'x-image-meta-property-a b']
header_name = st.one_of(st.sampled_from(KNOWN_NAMES),
                        st.text(alphabet=string.ascii_letters + '-_', min_size=1,
                                max_size=40),
                        nasty_text.filter(lambda s: ':' not in s and s.strip()))
SAFE_TARGETS = ['/v1/images', '/v1/images/detail', '/v1/images/{id}',
                '/v1/images/{id}/members', '/v1/images/{id}/members/bob',
                '/v1/shared-images/bob', '/v1/images/{id}/file']


@st.composite
def header_requests(draw):
    method = draw(st.sampled_from(['GET', 'HEAD', 'PUT', 'POST']))
    path = draw(st.sampled_from(SAFE_TARGETS))
    many = draw(st.integers(min_value=0, max_value=20))
    headers = draw(st.lists(st.tuples(header_name, header_value), max_size=12))
    if many == 20:        # thousands of headers
        count = draw(st.integers(min_value=100, max_value=3000))
        headers += [('x-image-meta-property-p%d' % i, 'v') for i in range(count)]
    token = draw(st.booleans()) or True
    return method, path, headers, token


@given(case=header_requests())
@seed(SEED)
@_settings(SHARES['headers'])
def test_fuzz_headers(target, case):
    method, path, headers, token = case
    raw_headers = []
    for name, value in headers:
        name_b, value_b = to_bytes(name), to_bytes(value)
        if name_b.lower().strip() in (b'content-length', b'transfer-encoding', b'expect'):
            continue      # framing is fuzzed separately, below
        raw_headers.append((name_b, value_b))
    path = path.replace('{id}', target.image_id).encode()
    body = b'' if method in ('PUT', 'POST') else None
    send(target, request(method.encode(), path, raw_headers, body, token), 'headers')


SEGMENTS = ['images', 'v1', 'v1.0', 'v1.1', 'v2', 'schemas', 'tags', 'stage', 'import', 'detail', 'members', 'file', 'shared-images',
            '..', '.', '%2e%2e', '%2E%2e', '%252e%252e', '%2f', '%2F', '%252f', '',
            '..%2f', '%2e', '%00', '%ff', '%', '%zz', 'image', 'object-store', 'identity',
            'v2.0', 'tokens', 'bob', '*', ';x=1', '\u00e9', '~', '@', 'a' * 300]


@st.composite
def paths(draw):
    prefix = draw(st.sampled_from(['', '', '', 'http://evil.example', 'http://127.0.0.1:1',
                                   '//evil.example', 'https://x@evil.example:443',
                                   '*']))
    segments = draw(st.lists(st.one_of(st.sampled_from(SEGMENTS + ['{id}']),
                                       nasty_text.filter(lambda s: not any(
                                           c in s for c in ' \r\n#?'))),
                             min_size=0, max_size=7))
    overlong = draw(st.integers(min_value=0, max_value=10))
    if overlong == 10:
        segments.append('f' * draw(st.integers(min_value=1000, max_value=12000)))
    start = draw(st.sampled_from([['v1', 'images'], ['v1'], [], ['images'], ['v2', 'images'],
                                  ['v2']]))
    return prefix + '/' + '/'.join(start + segments)


@given(path=paths(), method=st.sampled_from(['GET', 'HEAD', 'PUT', 'DELETE', 'POST']))
@seed(SEED)
@_settings(SHARES['paths'])
def test_fuzz_paths(target, path, method):
    path = to_bytes(path.replace('{id}', target.image_id))
    body = b'' if method in ('PUT', 'POST') else None
    since = len(target.recorder.seen)
    send(target, request(method.encode(), path, body=body), 'paths')
    deletes = [p for m, p, _ in target.recorder.seen[since:]
               if m == 'DELETE' and p == '/image/v1.0/images/' + target.image_id]
    if deletes:
        # Only the plain path of the image may delete it.
        assert re.match(br'^(/v1(\.[01])?)?/images/%s$' % target.image_id.encode(), path), \
            (path, deletes)


QUERY_KEYS = ['limit', 'marker', 'sort_key', 'sort_dir', 'size_min', 'size_max', 'name',
              'status', 'disk_format', 'container_format', 'is_public', 'changes-since',
              'property-foo', 'min_ram', 'min_disk', 'protected', 'x-auth-token', 'token',
              'format', 'until', 'limit[]', '']
query_value = st.one_of(st.integers(min_value=-2 ** 70, max_value=2 ** 70).map(str),
                        st.sampled_from(['', 'asc', 'desc', 'name', 'size', 'id', 'nan',
                                         'inf', '-0', '1.5', '0x10', '1e3', 'true', 'None',
                                         '2026-13-45T99:99:99', '{id}', '%', '%%', '%zz']),
                        nasty_text)


@given(pairs=st.lists(st.tuples(st.sampled_from(QUERY_KEYS), query_value), max_size=6),
       path=st.sampled_from(['/v1/images', '/v1/images/detail', '/v1/', '/images/detail',
                             '/v2/images', '/v2/images/{id}/members',
                             '/v1/shared-images/bob', '/v1/images/{id}/members']),
       raw=st.booleans())
@seed(SEED)
@_settings(SHARES['queries'])
def test_fuzz_queries(target, pairs, path, raw):
    from urllib.parse import quote
    parts = []
    for key, value in pairs:
        value = value.replace('{id}', target.image_id)
        if raw:
            value = ''.join(c for c in value if c not in ' \r\n#')
            parts.append('%s=%s' % (key, value))
        else:
            parts.append('%s=%s' % (quote(key), quote(value, safe='')))
    query = '&'.join(parts)
    path = path.replace('{id}', target.image_id)
    send(target, request(b'GET', to_bytes(path + ('?' + query if query else ''))),
         'queries')


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.text(max_size=20) | nasty_text,
    lambda children: st.lists(children, max_size=4) |
    st.dictionaries(st.sampled_from(['memberships', 'member', 'member_id', 'can_share',
                                     'image', 'name', 'properties', 'is_public',
                                     'min_ram', 'size', 'location', 'id', 'status',
                                     'disk_format', 'protected']) | st.text(max_size=8),
                    children, max_size=5),
    max_leaves=20)


@st.composite
def json_bodies(draw):
    shape = draw(st.integers(min_value=0, max_value=9))
    if shape == 0:
        depth = draw(st.integers(min_value=50, max_value=200000))
        return b'[' * depth + b']' * draw(st.sampled_from([0, depth]))
    if shape == 1:
        depth = draw(st.integers(min_value=50, max_value=5000))
        return b'{"memberships": ' + b'{"a": ' * depth + b'1' + b'}' * depth + b'}'
    if shape == 2:
        return json.dumps({'memberships': [{'member_id': 'm%d' % i, 'can_share': False}
                                           for i in range(draw(st.integers(
                                               min_value=100, max_value=5000)))]}).encode()
    if shape == 3:
        return draw(st.binary(max_size=200))
    if shape == 4:
        return json.dumps({'image': {'name': 'n', 'properties': {
            'k' * draw(st.integers(min_value=1, max_value=400)):
            'v' * draw(st.integers(min_value=0, max_value=70000))}}}).encode()
    return json.dumps(draw(json_values)).encode()


@given(body=json_bodies(),
       where=st.sampled_from([('PATCH', '/v2/images/{id}'), ('POST', '/v2/images'),
                              ('POST', '/v2/images/{id}/members'),
                              ('PUT', '/v1/images/{id}/members'),
                              ('PUT', '/v1/images/{id}/members/bob'),
                              ('PUT', '/v1/images/{id}'),
                              ('POST', '/v1/images')]),
       ctype=st.sampled_from([b'application/json', b'application/json; charset=latin-1',
                              None, b'text/plain',
                              b'application/openstack-images-v2.1-json-patch']))
@seed(SEED)
@_settings(SHARES['bodies'])
def test_fuzz_json_bodies(target, body, where, ctype):
    method, path = where
    if method == 'POST' and ctype is None:
        ctype = b'application/json'   # else it is an upload of image data
    headers = [(b'Content-Type', ctype)] if ctype else []
    path = path.replace('{id}', target.image_id).encode()
    send(target, request(method.encode(), path, headers, body), 'bodies')


@given(method=st.one_of(st.sampled_from(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH',
                                         'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND',
                                         'MKCOL', 'COPY', 'MOVE', 'LOCK', 'get', 'G\x00T',
                                         'PURGE']),
                        st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=12)),
       path=st.sampled_from(['/v1/images', '/v1/images/detail', '/v1/images/{other}',
                             '/v1/images/{other}/members', '/v1/images/{other}/members/bob',
                             '/v1/shared-images/bob', '/v1/images/{other}/file', '/v1/',
                             '/v1/images/{id}/members/bob', '/versions', '/v1/foo',
                             '/image/v1.0/images/', '/object-store/v1/x',
                             '/v2/images', '/v2/images/{id}', '/v2/images/{other}/tags/t',
                             '/v2/images/{other}/members', '/v2/schemas/image']))
@seed(SEED)
@_settings(SHARES['methods'])
def test_fuzz_methods(target, method, path):
    path = path.replace('{id}', target.image_id).replace(
        '{other}', '00000000-0000-4000-8000-000000000000')
    body = b'' if method in ('PUT', 'POST', 'PATCH') else None
    send(target, request(method.encode(), path.encode(), body=body), 'methods')


@st.composite
def uploads(draw):
    headers = [(b'x-image-meta-name', b'fuzz-up'),
               (b'x-image-meta-disk_format', draw(st.sampled_from([b'raw', b'qcow2', b'']))),
               (b'x-image-meta-container_format', draw(st.sampled_from([b'bare', b'ova'])))]
    size = draw(st.integers(min_value=0, max_value=70000))
    data = draw(st.binary(min_size=0, max_size=64)) * (size // 64 + 1)
    data = data[:size]
    lie = draw(st.sampled_from([None, 'size', 'checksum', 'both', 'garbage']))
    if lie in ('size', 'both'):
        headers.append((b'x-image-meta-size', b'%d' % (len(data) + 1)))
    if lie in ('checksum', 'both'):
        headers.append((b'x-image-meta-checksum', b'0' * 32))
    if lie == 'garbage':
        headers.append((b'x-image-meta-size', to_bytes(draw(nasty_text))))
    headers.append((b'Content-Type', draw(st.sampled_from(
        [b'application/octet-stream', b'text/plain']))))
    chunked = draw(st.booleans())
    method, path = draw(st.sampled_from([('POST', '/v1/images'), ('PUT', '/v1/images/{id}'),
                                         ('PUT', '/v1/images/{other}')]))
    return method, path, headers, data, chunked


@given(case=uploads())
@seed(SEED)
@_settings(SHARES['uploads'])
def test_fuzz_uploads(target, case):
    """Image data with lying sizes and checksums: an answer below 500 (501
    while uploads are not served), and only the image API or Pithos asked."""
    method, path, headers, data, chunked = case
    path = path.replace('{id}', target.image_id).replace(
        '{other}', '00000000-0000-4000-8000-000000000000').encode()
    if chunked:
        body = (b'%x\r\n%s\r\n' % (len(data), data) if data else b'') + b'0\r\n\r\n'
        raw = request(method.encode(), path, headers + [(b'Transfer-Encoding', b'chunked')])
        send(target, raw + body, 'uploads')
    else:
        send(target, request(method.encode(), path, headers, data), 'uploads')


def test_fuzz_framing(target):
    """Content-Length and Transfer-Encoding that lie or conflict."""
    path = ('/v1/images/%s/members' % target.image_id).encode()
    cases = [
        [(b'Content-Length', b'-1')], [(b'Content-Length', b'abc')],
        [(b'Content-Length', b'1, 2')],
        [(b'Content-Length', b'99999999999999999999999')],
        [(b'Transfer-Encoding', b'gzip')],
        [(b'Transfer-Encoding', b'chunked'), (b'Content-Length', b'5')],
    ]
    for headers in cases:
        raw = request(b'PUT', path, headers) + b'0\r\n\r\n'
        send(target, raw, 'framing', timeout=15)
    # A body shorter than announced: answered or cut, never a 5xx.
    raw = request(b'PUT', path, [(b'Content-Type', b'application/json'),
                                 (b'Content-Length', b'10')]) + b'{}'
    with socket.create_connection(target.addr, timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)
    COUNTS['framing'] += 1
    if answer:
        assert int(answer.split(b' ')[1]) < 500, answer


def test_server_alive_and_total(target):
    """Last: the proxy is alive and the budget was spent."""
    assert target.proxy.proc.poll() is None
    resp = requests.get(target.url + '/v1/images/detail', timeout=10,
                        headers={'X-Auth-Token': ALICE[1]})
    assert resp.status_code == 200
    total = sum(v for k, v in COUNTS.items() if not k.startswith('server-'))
    assert total >= min(TOTAL, 2000) * 0.9, COUNTS
