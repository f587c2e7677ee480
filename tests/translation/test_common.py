"""The helpers shared by the filters: routing, bodies, locks, sub-requests."""

import io
import threading
import time

import pytest

from plankton_proxy.middleware import _common as c


@pytest.mark.parametrize('path,expected', [
    ('', ('index', None, None)), ('/', ('index', None, None)),
    ('/images', ('index', None, None)), ('/images/', ('bad', None, None)),
    ('/images/detail', ('detail', None, None)),
    ('/images/abc', ('image', 'abc', None)),
    ('/images/a%20b', ('image', 'a%20b', None)),   # PATH_INFO is decoded already
    ('/images/abc/file', ('file', 'abc', None)),
    ('/images/abc/members', ('members', 'abc', None)),
    ('/images/abc/members/t1', ('member', 'abc', 't1')),
    ('/images/abc/members/', ('bad', None, None)),
    ('/images/abc/other', ('bad', None, None)),
    ('/shared-images/t1', ('shared', None, 't1')),
    ('/shared-images/', ('bad', None, None)),
    ('/nothing', (None, None, None)),
])
def test_route(path, expected):
    assert c.route(path) == expected


def env(**kw):
    e = {'REQUEST_METHOD': 'POST', 'wsgi.input': io.BytesIO(kw.pop('body', b''))}
    e.update(kw)
    return e


def test_has_data():
    assert not c.has_data(env(CONTENT_LENGTH='0'))
    assert c.has_data(env(CONTENT_LENGTH='3', body=b'abc'))
    assert not c.has_data(env(CONTENT_LENGTH='3', CONTENT_TYPE='application/json',
                              body=b'{} '))
    empty = env(HTTP_TRANSFER_ENCODING='chunked')          # glance CLI </dev/null
    assert not c.has_data(empty)
    chunked = env(HTTP_TRANSFER_ENCODING='chunked', body=b'hello')
    assert c.has_data(chunked)
    assert chunked['wsgi.input'].read() == b'hello'         # the peeked byte is back
    assert not c.has_data(env())


def test_read_body():
    assert c.read_body(env(CONTENT_LENGTH='2', body=b'{}xx')) == b'{}'
    assert c.read_body(env(HTTP_TRANSFER_ENCODING='chunked', body=b'{"a":1}')) == \
        b'{"a":1}'
    assert c.read_body(env()) == b''


def test_keyed_locks_serialise_one_key_only():
    locks = c.KeyedLocks()
    order = []

    def worker(key, tag):
        with locks(key):
            order.append(('in', tag))
            time.sleep(0.05)
            order.append(('out', tag))
    threads = [threading.Thread(target=worker, args=('a', i)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(0, 6, 2):
        assert order[i][0] == 'in' and order[i + 1] == ('out', order[i][1])
    assert locks._locks == {}
    # Different keys are held at the same time: both holders meet at a
    # barrier inside their locks (it breaks if one had to wait for the other).
    barrier = threading.Barrier(2, timeout=5)
    met = []

    def holder(key):
        with locks(key):
            barrier.wait()
            met.append(key)
    both = [threading.Thread(target=holder, args=(k,)) for k in ('x', 'y')]
    for t in both:
        t.start()
    for t in both:
        t.join()
    assert sorted(met) == ['x', 'y']


def test_subrequest_copies_only_what_it_should():
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response('200 OK', [])
        return [b'']
    original = {'REQUEST_METHOD': 'PUT', 'SCRIPT_NAME': '/v1', 'PATH_INFO': '/images/x',
                'HTTP_X_AUTH_TOKEN': 'a%3Ab', 'HTTP_USER_AGENT': 'python-glanceclient',
                'HTTP_COOKIE': 'secret', 'HTTP_X_IMAGE_META_NAME': 'n',
                'HTTP_HOST': 'h:1', 'SERVER_NAME': 'h', 'SERVER_PORT': '1',
                'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(b'')}
    c.subrequest(app, original, 'HEAD', '/images/x',
                 headers=[('x-image-meta-name', 'm'), ('Content-Type', 'a/b')])
    assert seen['REQUEST_METHOD'] == 'HEAD' and seen['PATH_INFO'] == '/images/x'
    assert seen['HTTP_X_AUTH_TOKEN'] == 'a:b'          # glanceclient's quoting undone
    assert seen['HTTP_X_IMAGE_META_NAME'] == 'm' and seen['CONTENT_TYPE'] == 'a/b'
    assert 'HTTP_COOKIE' not in seen and seen[c.UPSTREAM_KEY] is True
