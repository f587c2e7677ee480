"""Fixtures for the translation filter tests.

The pipeline under test is the real one, in process: the ``versions`` filter ->
the translation filters -> :class:`Upstream`, the embedded backend
(``plankton_proxy.backend``) seen as ``forward`` sees it.
"""

import pytest
from urllib.parse import quote
from webob import Request

from plankton_proxy.backend.app import make_app
from plankton_proxy.middleware import (glance_errors, glance_images, glance_lists,
                                       glance_members, glance_normalize, versions)

#: The demo users of etc/users.conf (what ``plankton-proxy serve`` starts with),
#: token -> uuid.
USERS = {
    'demo-token-alice': '9b7b5d2e-6b1e-4a39-a1d2-3c6f3f1e0a01',
    'demo-token-bob': '4f0c3a62-2d8e-4c55-9f57-8a1b2c3d4e02',
}
ALICE_TOKEN = 'demo-token-alice'
BOB_TOKEN = 'demo-token-bob'
ALICE = USERS[ALICE_TOKEN]
BOB = USERS[BOB_TOKEN]
TOKENS = {uuid: token for token, uuid in USERS.items()}


def with_versions(app):
    """``app`` behind the real ``versions`` filter, as in paste.ini."""
    return versions.filter_factory({})(app)


def build_pipeline(upstream, **conf):
    app = upstream
    for module in (glance_images, glance_members, glance_lists, glance_normalize,
                   glance_errors):
        app = module.filter_factory({}, **conf)(app)
    return with_versions(app)


class Upstream(object):
    """The embedded backend in ``dialect``, as ``forward`` presents it: paths
    relative to its ``/image/v1.0`` mount.  Records ``(method, path, query)``
    of every request in ``requests``; ``add_file`` goes through its Pithos."""

    def __init__(self, dialect='s16'):
        self.dialect = dialect
        self.app = make_app(users=dict(USERS), dialect=dialect)
        self.requests = []

    def __call__(self, environ, start_response):
        self.requests.append((environ['REQUEST_METHOD'], environ.get('PATH_INFO', ''),
                              environ.get('QUERY_STRING', '')))
        environ['PATH_INFO'] = '/image/v1.0' + environ.get('PATH_INFO', '')
        environ['SCRIPT_NAME'] = ''
        return self.app(environ, start_response)

    def add_file(self, account, container, path, data=b'x' * 1024):
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


@pytest.fixture(params=['s16', 's13'])
def dialect(request):
    return request.param


@pytest.fixture
def upstream(dialect):
    backend = Upstream(dialect)
    yield backend
    backend.close()


@pytest.fixture
def s16_upstream():
    backend = Upstream('s16')
    yield backend
    backend.close()


@pytest.fixture
def pipeline(upstream, dialect):
    return build_pipeline(upstream, upstream_dialect=dialect)
