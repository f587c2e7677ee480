"""Version discovery: raw HTTP, and the three clients finding the v1 API."""

import os
import subprocess
import sys

import pytest
import requests

from tests.fake_upstream import FakeUpstream

BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture(scope='module')
def proxy(upstream):
    from plankton_proxy.testing import RunningServer
    server = RunningServer(['--port', '0', '--upstream', upstream.url + '/base',
                            '--pipeline', 'forward_only'])
    yield server
    server.stop()


def hrefs(document):
    return {v['id']: (v['status'], v['links'][0]['href']) for v in document['versions']}


@pytest.mark.parametrize('method', ['GET', 'POST', 'PUT'])
@pytest.mark.parametrize('path', ['/', '/v3/images', '/v2/images', '/foo', '/V1/images'])
def test_unknown_paths_get_300_with_the_versions(proxy, method, path):
    resp = requests.request(method, proxy.url + path)
    assert resp.status_code == 300
    assert resp.headers['Content-Type'] == 'application/json'
    assert hrefs(resp.json()) == {'v1.1': ('CURRENT', proxy.url + '/v1/'),
                                  'v1.0': ('SUPPORTED', proxy.url + '/v1/')}


def test_head_root_is_300_without_body(proxy):
    resp = requests.head(proxy.url + '/')
    assert resp.status_code == 300
    assert resp.content == b''


@pytest.mark.parametrize('path', ['/versions', '/versions/', '/versions/x'])
def test_versions_path_is_200(proxy, path):
    resp = requests.get(proxy.url + path)
    assert resp.status_code == 200
    assert set(hrefs(resp.json())) == {'v1.1', 'v1.0'}


@pytest.mark.parametrize('path', ['/v1', '/v1/', '/v1.0/', '/v1.1'])
def test_versioned_root_answers_a_version_document(proxy, path):
    resp = requests.get(proxy.url + path)
    assert resp.status_code == 200
    version = resp.json()['version']
    assert version['id'] == 'v1.1'
    assert version['links'][0]['href'] == proxy.url + '/v1/'


def test_hrefs_honour_forwarded_headers(proxy):
    resp = requests.get(proxy.url + '/', headers={
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'images.example.org'})
    assert hrefs(resp.json())['v1.1'][1] == 'https://images.example.org/v1/'


def test_public_endpoint_option_wins(plankton_server, upstream, tmp_path):
    config = tmp_path / 'paste.ini'
    config.write_text('[pipeline:main]\npipeline = versions forward\n'
                      '[filter:versions]\nuse = egg:plankton_proxy#versions\n'
                      'public_endpoint = https://glance.example.org:9292/\n'
                      '[app:forward]\nuse = egg:plankton_proxy#forward\n')
    server = plankton_server(upstream=upstream.url + '/base', config=str(config))
    resp = requests.get(server.url + '/', headers={'X-Forwarded-Host': 'other'})
    assert hrefs(resp.json())['v1.1'][1] == 'https://glance.example.org:9292/v1/'


@pytest.mark.parametrize('prefix', ['/v1', '/v1.0', '/v1.1', ''])
def test_prefixes_reach_the_same_upstream_path(proxy, upstream, prefix):
    resp = requests.get(proxy.url + prefix + '/images/echo')
    assert resp.status_code == 200
    assert resp.json()['path'] == '/base/images/echo'


def test_vnd_accept_selects_v1_without_a_prefix(proxy):
    resp = requests.get(proxy.url + '/images/echo',
                        headers={'Accept': 'application/vnd.openstack.images-v1'})
    assert resp.json()['path'] == '/base/images/echo'
    resp = requests.get(proxy.url + '/images/echo',
                        headers={'Accept': 'application/vnd.openstack.images-v9'})
    assert resp.status_code == 300


# -- the real clients --------------------------------------------------------

def _run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


def _detail_paths(upstream):
    return [s['path'] for s in upstream.seen if s['path'].endswith('/images/detail')]


def test_glance_cli_discovers_v1_from_the_root(proxy, upstream):
    before = len(_detail_paths(upstream))
    result = _run([os.path.join(BIN, 'glance'), '--os-image-url', proxy.url,
                   '--os-auth-token', 'tok', 'image-list'])
    assert result.returncode == 0, result.stderr
    assert 'falling back to v1' in result.stderr
    assert len(_detail_paths(upstream)) > before


def test_glance_cli_with_a_versioned_url(proxy, upstream):
    result = _run([os.path.join(BIN, 'glance'), '--os-image-url', proxy.url + '/v1',
                   '--os-auth-token', 'tok', 'image-list'])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize('auth', [
    {'auth_type': 'admin_token', 'suffix': '/v1'},
    {'auth_type': 'admin_token', 'suffix': ''},
    {'auth_type': 'none', 'suffix': ''},
], ids=['admin_token-v1', 'admin_token-root', 'none-root'])
def test_openstacksdk_discovers_and_lists(proxy, upstream, auth):
    import openstack
    kwargs = {'endpoint': proxy.url + auth['suffix']}
    if auth['auth_type'] == 'admin_token':
        kwargs['token'] = 'tok'
    conn = openstack.connect(auth_type=auth['auth_type'], auth=kwargs,
                             image_api_version='1')
    before = len(_detail_paths(upstream))
    assert list(conn.image.images()) == []
    assert len(_detail_paths(upstream)) == before + 1


@pytest.mark.parametrize('args', [
    ['--os-auth-type', 'admin_token', '--os-endpoint', '{url}/v1', '--os-token', 'tok'],
    ['--os-endpoint', '{url}', '--os-token', 'tok'],
    ['--os-auth-type', 'none', '--os-endpoint', '{url}'],
], ids=['admin_token-v1', 'token-root', 'none-root'])
def test_openstack_cli_discovers_and_lists(proxy, upstream, args):
    before = len(_detail_paths(upstream))
    argv = [os.path.join(BIN, 'openstack'), '--os-image-api-version', '1']
    argv += [a.format(url=proxy.url) for a in args] + ['image', 'list', '-f', 'json']
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    result = _run(argv, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'
    assert len(_detail_paths(upstream)) > before
