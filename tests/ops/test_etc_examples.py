"""Every paste file in etc/ (and the shipped paste.ini) loads with paste.deploy
and answers requests as its comments say."""

import configparser
import logging
import os
import re
import ssl

import pytest
from paste.deploy import loadapp
from webob import Request, Response

from tests.fake_upstream import FakeUpstream

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ETC = os.path.join(ROOT, 'etc')
RID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


def call(app, path, **kwargs):
    """Run ``app`` as a WSGI server would (iterate, then close)."""
    req = Request.blank(path, **kwargs)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=headers)
    body = app(req.environ, start_response)
    try:
        data = b''.join(body)
    finally:
        if hasattr(body, 'close'):
            body.close()
    return Response(status=answer['status'], headerlist=answer['headers'], body=data)


def load(name, text=None, tmp_path=None, **global_conf):
    path = os.path.join(ROOT, name)
    if text is not None:
        path = str(tmp_path / os.path.basename(name))
        with open(path, 'w') as out:
            out.write(text)
    return loadapp('config:' + path, name='main', global_conf=global_conf)


def plankton_filters(path):
    """Our filters and app in the pipeline that ends in forward, by entry
    point, in order; our healthcheck left out (an example may use oslo's)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    for section in parser.sections():
        if section.startswith('pipeline:') and \
                parser.get(section, 'pipeline').split()[-1] == 'forward':
            break
    names = []
    for name in parser.get(section, 'pipeline').split():
        for kind in ('filter', 'app'):
            part = '%s:%s' % (kind, name)
            if parser.has_option(part, 'use'):
                use = parser.get(part, 'use')
                if use.startswith('egg:plankton_proxy#') and not use.endswith('#healthcheck'):
                    names.append(use.split('#', 1)[1])
    return names


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def access_lines():
    lines = []

    class Handler(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())
    handler = Handler()
    logger = logging.getLogger('plankton_proxy.access')
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)


@pytest.mark.parametrize('name', ['paste-keystone.ini', 'paste-oslo.ini', 'paste-external.ini',
                                  'paste-download.ini'])
def test_examples_keep_the_shipped_pipeline(name):
    # Each example is the shipped main pipeline plus other projects' filters:
    # when the shipped pipeline changes, the examples must follow.
    shipped = plankton_filters(os.path.join(ROOT, 'paste.ini'))
    assert plankton_filters(os.path.join(ETC, name)) == shipped


def test_default_pipeline(upstream, access_lines):
    app = load('paste.ini', upstream=upstream.url + '/image/v1.0')
    resp = call(app, '/healthcheck')
    assert resp.status_int == 200 and resp.text == 'OK\nupstream: reachable\n'
    resp = call(app, '/')
    assert resp.status_int == 300
    assert resp.json['versions'][0]['links'][0]['href'] == 'http://localhost:80/v2/'   # decision 18
    rid = resp.headers['X-Openstack-Request-Id']
    assert RID.match(rid) and access_lines[-1].startswith(rid + ' ')


def test_keystone_example(upstream, tmp_path, access_lines):
    from tests.ops.stub_keystone import StubKeystone
    text = open(os.path.join(ETC, 'paste-keystone.ini')).read()
    assert 'https://keystone.example.org:5000' in text
    with StubKeystone(valid_tokens=['good-token']) as keystone:
        app = load('etc/paste-keystone.ini',
                   text.replace('https://keystone.example.org:5000', keystone.url),
                   tmp_path, upstream=upstream.url + '/image/v1.0')
        # Discovery needs no token.
        assert call(app, '/').status_int == 300
        assert call(app, '/healthcheck').status_int == 200
        # No token, a bad token: 401 from auth_token, upstream never asked.
        before = len(upstream.seen)
        for headers in ({}, {'X-Auth-Token': 'bad-token'}):
            resp = call(app, '/v1/images/detail', headers=headers)
            assert resp.status_int == 401
            assert resp.headers['WWW-Authenticate'].startswith("Keystone uri=")
            assert keystone.url in resp.headers['WWW-Authenticate']
        assert len(upstream.seen) == before
        assert ' "GET /v1/images/detail" 401 ' in access_lines[-1]
        # A good token passes, with the identity auth_token found.
        resp = call(app, '/v1/images/detail', headers={'X-Auth-Token': 'good-token'})
        assert resp.status_int == 200
        seen = upstream.seen[-1]
        assert seen['path'] == '/image/v1.0/images/detail'
        assert seen['headers']['X-Auth-Token'] == 'good-token'
        # auth_token asked Keystone about that token, as the service user.
        assert any(method == 'GET' and path == '/v3/auth/tokens'
                   and headers.get('X-Subject-Token') == 'good-token'
                   and headers.get('X-Auth-Token') == 'stub-service-token'
                   for method, path, headers in keystone.seen)
        # The service user logged in with the file's credentials.
        assert any(method == 'POST' and path == '/v3/auth/tokens'
                   for method, path, _ in keystone.seen)
    assert not any('good-token' in line or 'bad-token' in line for line in access_lines)


def test_oslo_example(upstream, tmp_path, access_lines):
    text = open(os.path.join(ETC, 'paste-oslo.ini')).read()
    flag = tmp_path / 'healthcheck_disable'
    text = text.replace('/var/lib/plankton-proxy/healthcheck_disable', str(flag))
    app = load('etc/paste-oslo.ini', text, tmp_path, upstream=upstream.url + '/image/v1.0')
    resp = call(app, '/healthcheck')
    assert resp.status_int == 200 and resp.text == 'OK'
    flag.write_text('')
    assert call(app, '/healthcheck').status_int == 503
    # http_proxy_to_wsgi: discovery links point at the front end, prefix included.
    resp = call(app, '/', headers={'X-Forwarded-Proto': 'https',
                                   'X-Forwarded-Host': 'images.example.org',
                                   'X-Forwarded-Prefix': '/glance'})
    assert resp.json['versions'][0]['links'][0]['href'] == \
        'https://images.example.org/glance/v2/'  # v2 listed first (decision 18)
    # request_id makes the id, access_log logs the same, one header in the answer.
    rid = resp.headers['X-Openstack-Request-Id']
    assert RID.match(rid) and resp.headers.getall('X-Openstack-Request-Id') == [rid]
    assert access_lines[-1].startswith(rid + ' ')
    call(app, '/v1/images/detail', headers={'X-Auth-Token': 'T'})
    assert upstream.seen[-1]['path'] == '/image/v1.0/images/detail'


def test_external_example_over_tls(tmp_path, access_lines):
    from tests.ops.tls import make_ca_and_cert
    pem = make_ca_and_cert(tmp_path)
    with FakeUpstream() as registry:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem['server.pem'], pem['server.key'])
        registry.httpd.socket = context.wrap_socket(registry.httpd.socket, server_side=True)
        url = 'https://127.0.0.1:%d/image/v1.0' % registry.httpd.server_address[1]
        # Untrusted certificate: the proxy refuses to talk (502), health says so.
        app = load('etc/paste-external.ini', upstream=url)
        assert call(app, '/v1/images/detail', headers={'X-Auth-Token': 'T'}).status_int == 502
        assert call(app, '/healthcheck').text == 'OK\nupstream: unreachable\n'
        # With the file's ca_file option set to the registry's CA.
        text = open(os.path.join(ETC, 'paste-external.ini')).read()
        text = text.replace('# ca_file = /etc/plankton-proxy/synnefo-ca.pem',
                            'ca_file = ' + pem['ca.pem'])
        app = load('etc/paste-external.ini', text, tmp_path, upstream=url)
        assert call(app, '/healthcheck').text == 'OK\nupstream: reachable\n'
        resp = call(app, '/v1/images/detail', headers={'X-Auth-Token': 'T'})
        assert resp.status_int == 200
        assert registry.seen[-1]['path'] == '/image/v1.0/images/detail'
        assert call(app, '/').json['versions'][0]['links'][0]['href'] == \
            'https://images.example.org/v2/'  # v2 listed first (decision 18)


def test_every_etc_file_is_covered():
    # Each file in etc/ and the test(s) that load and exercise it.
    covered = {
        'users.conf': 'tests/foundation/test_serve.py (serve --users), plankton_proxy/testing.py',
        'logging.conf': 'tests/ops/test_check_and_logging.py',
        'paste-keystone.ini': 'test_keystone_example',
        'paste-oslo.ini': 'test_oslo_example',
        'paste-external.ini': 'test_external_example_over_tls',
        'paste-download.ini': 'tests/data/test_data_path.py (download enabled)',
        'gunicorn.conf.py': 'tests/ops/test_recipes.py',
        'uwsgi.ini': 'tests/ops/test_recipes.py',
        'plankton-proxy.service': 'tests/ops/test_recipes.py (systemd-analyze verify)',
        'nginx/plankton-proxy.conf': 'tests/ops/test_recipes.py',
        'nginx/nginx-standalone.conf': 'tests/ops/test_recipes.py',
    }
    found = sorted(os.path.relpath(os.path.join(d, f), ETC)
                   for d, _, files in os.walk(ETC) for f in files)
    assert [f for f in found if f not in covered] == []
