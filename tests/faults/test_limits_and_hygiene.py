"""Limits (the ``limits`` filter), TLS verification and the one-upstream rule."""

import json
import socket
import ssl
import subprocess

import pytest
import requests

from tests.fake_upstream import FakeUpstream
from tests.faults.conftest import derived_config
from tests.faults.stack_helpers import raw_request, status_of

TOKEN = {'X-Auth-Token': 'limits-token'}
IMAGE = '/v1/images/6f2b8a4e-8c1d-4f3a-9a7e-1d2c3b4a5f60'


@pytest.fixture
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def proxy(plankton_server, upstream, tmp_path):
    config = derived_config(tmp_path, {'filter:limits': {
        'max_header_count': 40, 'max_header_size': 4096, 'max_url_length': 2048,
        'max_json_body': 1024, 'max_property_name': 50, 'max_property_value': 300}})
    return plankton_server(upstream=upstream.url + '/image/v1.0', config=config)


def _error(resp, status):
    assert resp.status_code == status, resp.text
    (name, body), = resp.json().items()
    assert body['code'] == status and body['message']
    return body['message']


def test_limits_answer_before_the_upstream(proxy, upstream):
    cases = [
        ('GET', IMAGE + '/members', dict(TOKEN, **{'X-H%d' % i: 'v' for i in range(50)}),
         None, 400),
        ('GET', IMAGE + '/members', dict(TOKEN, **{'X-Big': 'v' * 5000}), None, 400),
        ('GET', '/v1/images/detail?name=' + 'n' * 3000, TOKEN, None, 414),
        ('PUT', IMAGE + '/members', dict(TOKEN, **{'Content-Type': 'application/json'}),
         json.dumps({'memberships': [{'member_id': 'm%d' % i} for i in range(200)]}), 413),
        ('PUT', IMAGE + '/members/bob', TOKEN, 'x' * 2000, 413),
        ('PUT', IMAGE, dict(TOKEN, **{'x-image-meta-property-' + 'k' * 60: 'v'}), None, 400),
        ('PUT', IMAGE, dict(TOKEN, **{'x-image-meta-property-k': 'v' * 400}), None, 400),
        ('PUT', IMAGE, dict(TOKEN, **{'Content-Type': 'application/json'}),
         json.dumps({'image': {'properties': {'k': 'v' * 301}}}), 400),
        ('GET', '/v1/foo', TOKEN, None, 404),
        ('GET', '/v1/images/%s/members/bob/extra' % IMAGE, TOKEN, None, 404),
        ('POST', '/v1/images/detail', TOKEN, '', 405),
        ('HEAD', '/v1/images/detail/', TOKEN, None, 404),
        ('PATCH', IMAGE, TOKEN, '', 405),
        ('OPTIONS', '/v1/images', TOKEN, None, 405),
        ('DELETE', '/v1/images/detail', TOKEN, None, 405),
        ('GET', '/v1/images/detail', dict(TOKEN, **{'X-Nul': 'a\x01b'}), None, 400),
    ]
    for method, path, headers, body, status in cases:
        resp = requests.request(method, proxy.url + path, headers=headers, data=body,
                                timeout=10)
        assert resp.status_code == status, (method, path, resp.status_code, resp.text)
        if method != 'HEAD':
            _error(resp, status)
        if status == 405:
            assert resp.headers['Allow']
    assert upstream.seen == []


def test_chunked_metadata_body_is_capped(proxy, upstream):
    def gen():
        for _ in range(10):
            yield b'{"memberships": []}' * 10
    resp = requests.put(proxy.url + IMAGE + '/members', data=gen(), timeout=10,
                        headers=dict(TOKEN, **{'Content-Type': 'application/json'}))
    _error(resp, 413)
    assert upstream.seen == []


def test_defaults_leave_ordinary_requests_alone(plankton_server, upstream):
    proxy = plankton_server(upstream=upstream.url + '/image/v1.0')
    resp = requests.get(proxy.url + '/v1/images/detail', headers=TOKEN, timeout=10)
    assert resp.status_code == 200
    assert [s['path'] for s in upstream.seen] == ['/image/v1.0/images/detail']


# -- only the configured upstream -------------------------------------------

def test_only_the_configured_upstream_is_contacted(plankton_server, upstream):
    with FakeUpstream() as decoy:
        decoy_host = decoy.url.split('//')[1]
        for pipeline in ('main', 'forward_only'):
            proxy = plankton_server(upstream=upstream.url + '/image/v1.0',
                                    args=['--pipeline', pipeline])
            for target in ('http://%s/v1/images/detail' % decoy_host,
                           '//%s/v1/images/detail' % decoy_host,
                           '/v1/images/detail'):
                answer = raw_request(proxy.url, (
                    'GET %s HTTP/1.1\r\nHost: %s\r\nX-Auth-Token: t\r\n'
                    'X-Forwarded-Host: %s\r\nConnection: close\r\n\r\n'
                    % (target, decoy_host, decoy_host)).encode())
                assert status_of(answer) is not None and status_of(answer) < 500
        assert decoy.seen == []


# -- TLS ----------------------------------------------------------------------

@pytest.fixture(scope='module')
def self_signed(tmp_path_factory):
    directory = tmp_path_factory.mktemp('tls')
    cert, key = directory / 'cert.pem', directory / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                    '-keyout', str(key), '-out', str(cert), '-days', '2',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_upstream(self_signed):
    cert, key = self_signed
    fake = FakeUpstream()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    fake.httpd.socket = context.wrap_socket(fake.httpd.socket, server_side=True)
    with fake:
        yield fake


def _https(fake):
    return 'https://127.0.0.1:%d' % fake.httpd.server_address[1]


def test_tls_upstream_with_unknown_ca_is_refused_by_default(plankton_server, tls_upstream):
    proxy = plankton_server(upstream=_https(tls_upstream) + '/base',
                            args=['--pipeline', 'forward_only'])
    resp = requests.get(proxy.url + '/v1/images/echo', headers=TOKEN, timeout=10)
    _error(resp, 502)
    assert tls_upstream.seen == []


def test_tls_upstream_accepted_with_its_ca_file(plankton_server, tls_upstream,
                                                self_signed, tmp_path):
    config = derived_config(tmp_path, {'app:forward': {'ca_file': self_signed[0]}})
    proxy = plankton_server(upstream=_https(tls_upstream) + '/base', config=config,
                            args=['--pipeline', 'forward_only'])
    resp = requests.get(proxy.url + '/v1/images/echo', headers=TOKEN, timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json()['path'] == '/base/images/echo'
