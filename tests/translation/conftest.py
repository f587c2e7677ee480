"""Fixtures for the translation filter tests.

Until the embedded backend, ``forward`` and ``versions`` land in main, the
pipeline under test is: a minimal version-prefix shim (what ``versions``
does to PATH_INFO/SCRIPT_NAME) -> the translation filters -> the in-memory
``FakePlankton`` (which stands for ``forward`` + a Plankton upstream).
"""

import contextlib
import json
import os
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from urllib.parse import quote

from plankton_proxy.middleware import (glance_errors, glance_images, glance_lists,
                                       glance_members, glance_normalize)
from tests.translation.fake_plankton import FakePlankton, USERS

ALICE_TOKEN = 'demo-token-alice'
BOB_TOKEN = 'demo-token-bob'
ALICE = USERS[ALICE_TOKEN]
BOB = USERS[BOB_TOKEN]
TOKENS = {uuid: token for token, uuid in USERS.items()}


class VersionShim(object):
    """Strip /v1 (/v1.0, /v1.1) into SCRIPT_NAME, as the lead's versions filter."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path in ('', '/', '/versions'):
            host = 'http://%s' % environ['HTTP_HOST']
            body = json.dumps({'versions': [
                {'id': 'v1.1', 'status': 'CURRENT',
                 'links': [{'rel': 'self', 'href': host + '/v1/'}]},
                {'id': 'v1.0', 'status': 'SUPPORTED',
                 'links': [{'rel': 'self', 'href': host + '/v1/'}]}]}).encode()
            start_response('300 Multiple Choices',
                           [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(body)))])
            return [body]
        for prefix in ('/v1.0', '/v1.1', '/v1'):
            if path == prefix or path.startswith(prefix + '/'):
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
                environ['PATH_INFO'] = path[len(prefix):]
                break
        environ['plankton_proxy.api_version'] = 'v1'
        return self.app(environ, start_response)


def build_pipeline(upstream, **conf):
    app = upstream
    for module in (glance_images, glance_members, glance_lists, glance_normalize,
                   glance_errors):
        app = module.filter_factory({}, **conf)(app)
    return VersionShim(app)


@pytest.fixture(params=['s16', 's13'])
def dialect(request):
    return request.param


class EmbeddedUpstream(object):
    """The project's embedded backend, in process, seen as forward sees it:
    paths relative to ``/image/v1.0``.  ``add_file`` goes through its Pithos."""

    def __init__(self, dialect):
        from plankton_proxy.backend.app import make_app
        self.dialect = dialect
        self.app = make_app(users=dict(USERS), dialect=dialect)
        self.requests = []

    def __call__(self, environ, start_response):
        from webob import Request
        req = Request(environ)
        self.requests.append((req.method, req.path_info, req.query_string))
        environ['PATH_INFO'] = '/image/v1.0' + environ.get('PATH_INFO', '')
        environ['SCRIPT_NAME'] = ''
        return self.app(environ, start_response)

    def add_file(self, account, container, path, data=b'x' * 1024):
        from webob import Request
        token = TOKENS[account]
        base = '/object-store/v1/%s/%s' % (account, container)
        r = Request.blank(base, method='PUT', headers={'X-Auth-Token': token})
        assert r.get_response(self.app).status_int in (201, 202)
        r = Request.blank(base + '/' + quote(path), method='PUT', body=data,
                          headers={'X-Auth-Token': token,
                                   'Content-Type': 'application/octet-stream'})
        resp = r.get_response(self.app)
        assert resp.status_int == 201, resp.body
        return 'pithos://%s/%s/%s' % (account, container, path)

    def close(self):
        self.app.close()


@pytest.fixture(params=['fake', 'embedded'])
def upstream(request, dialect):
    if request.param == 'fake':
        yield FakePlankton(dialect=dialect)
        return
    backend = EmbeddedUpstream(dialect)
    yield backend
    backend.close()


@pytest.fixture
def pipeline(upstream, dialect):
    return build_pipeline(upstream, upstream_dialect=dialect)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Prefix(object):
    """Mount an app under a path prefix (``/image/v1.0``, as Synnefo does)."""

    def __init__(self, app, prefix):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if not path.startswith(self.prefix + '/'):
            start_response('404 Not Found', [('Content-Length', '0')])
            return [b'']
        environ['SCRIPT_NAME'] = self.prefix
        environ['PATH_INFO'] = path[len(self.prefix):]
        return self.app(environ, start_response)


@contextlib.contextmanager
def serve_wsgi(app):
    server = make_server('127.0.0.1', 0, app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_port
    finally:
        server.shutdown()
        server.server_close()


PASTE_INI = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'paste.ini')


class LiveStack(object):
    """A running proxy and a way to put files into the Pithos behind it."""

    def __init__(self, url, pithos_url, upstream=None):
        self.url = url
        self.pithos_url = pithos_url      # None: the fake Plankton (no Pithos)
        self.upstream = upstream

    def add_file(self, account, container, path, data=b'x' * 1024):
        if self.upstream is not None:
            return self.upstream.add_file(account, container, path, data)
        token = TOKENS[account]
        base = '%s/%s/%s' % (self.pithos_url, account, container)
        r = requests.put(base, headers={'X-Auth-Token': token})
        assert r.status_code in (201, 202), r.text
        r = requests.put(base + '/' + quote(path), data=data,
                         headers={'X-Auth-Token': token,
                                  'Content-Type': 'application/octet-stream'})
        assert r.status_code == 201, r.text
        return 'pithos://%s/%s/%s' % (account, container, path)


def _config(tmp_path, dialect):
    config = tmp_path / 'paste.ini'
    text = open(PASTE_INI).read().replace('upstream_dialect = s16',
                                          'upstream_dialect = %s' % dialect)
    config.write_text(text)
    return str(config)


@pytest.fixture
def live_proxy(dialect, plankton_server, tmp_path):
    """``plankton-proxy serve`` (the shipped paste.ini: versions, the glance
    filters, forward) in front of the embedded backend in ``dialect``."""
    # The shipped paste.ini: serve hands --dialect to the glance filters too.
    proxy = plankton_server(args=['--dialect', dialect])
    yield LiveStack(proxy.url, proxy.backend_url + '/object-store/v1')


@pytest.fixture
def fake_live_proxy(upstream, dialect, plankton_server, tmp_path):
    """The same, in front of the fake Plankton of this directory."""
    with serve_wsgi(Prefix(upstream, '/image/v1.0')) as url:
        proxy = plankton_server(upstream=url + '/image/v1.0',
                                config=_config(tmp_path, dialect))
        yield LiveStack(proxy.url, None, upstream)


@pytest.fixture
def inproc_proxy(upstream, dialect):
    """The filters + fake Plankton in this process, served on loopback."""
    app = build_pipeline(upstream, upstream_dialect=dialect)
    with serve_wsgi(app) as url:
        yield url
