"""Keystone-style logins against the embedded identity (its catalog names the proxy),
and python-swiftclient against the embedded Pithos."""

import json
import os

import pytest

from tests.clients.conftest import USERS
from tests.clients.helpers import VENV_BIN, glance_list, run, run_many, swift

UUID, TOKEN = USERS['keystone']
SUUID, STOKEN = USERS['swift']


def _identity(stack):
    return stack.backend_url + '/identity/v2.0'


def test_catalog_names_the_proxy_unversioned(stack):
    import requests
    r = requests.post(_identity(stack) + '/tokens',
                      json={'auth': {'token': {'id': TOKEN}}})
    r.raise_for_status()
    (image,) = [s for s in r.json()['access']['serviceCatalog'] if s['type'] == 'image']
    assert image['endpoints'][0]['publicURL'] == stack.url
    doc = requests.get(_identity(stack)).json()
    assert doc['version']['id'] == 'v2.0'
    assert doc['version']['links'][0]['href'] == _identity(stack) + '/'


@pytest.mark.compat('glance CLI', 'Keystone v2.0 login: --os-auth-url BACKEND/identity/v2.0 '
                    '--os-username UUID --os-password TOKEN --os-tenant-name UUID',
                    caveat='Astakos logins take the user UUID as user name and tenant and '
                           'the token as password', family='log in')
@pytest.mark.compat('openstack CLI', 'Keystone v2.0 login: --os-auth-type v2password / '
                    '--os-identity-api-version 2',
                    caveat='Astakos logins take the user UUID as user name and project and '
                           'the token as password', family='log in')
@pytest.mark.compat('glance CLI', 'Keystone v3 login',
                    impossible='Astakos has no Keystone v3 API (v2.0 only): keystoneauth '
                               'finds no v3 endpoint, exit 1', family='log in')
def test_cli_logins(stack):
    loc = stack.upload(TOKEN, 'images', 'ks.img', b'k')
    stack.register(TOKEN, 'ks-image', loc)
    auth = _identity(stack)
    glance = os.path.join(VENV_BIN, 'glance')
    openstack = os.path.join(VENV_BIN, 'openstack')
    g2, o2, o2b, g3 = run_many([
        lambda: run([glance, '--os-image-api-version', '1', '--os-auth-url', auth,
                     '--os-username', UUID, '--os-password', TOKEN,
                     '--os-tenant-name', UUID, 'image-list']),
        lambda: run([openstack, '--os-image-api-version', '1', '--os-auth-type',
                     'v2password', '--os-auth-url', auth, '--os-username', UUID,
                     '--os-password', TOKEN, '--os-project-name', UUID, 'image', 'list',
                     '-f', 'json']),
        lambda: run([openstack, '--os-image-api-version', '1', '--os-identity-api-version',
                     '2', '--os-auth-url', auth, '--os-username', UUID, '--os-password',
                     TOKEN, '--os-project-name', UUID, 'image', 'list', '-f', 'json']),
        lambda: run([glance, '--os-image-api-version', '1', '--os-auth-url',
                     stack.backend_url + '/identity/v3', '--os-username', UUID,
                     '--os-password', TOKEN, '--os-project-name', UUID,
                     '--os-user-domain-id', 'default', '--os-project-domain-id', 'default',
                     'image-list']),
    ])
    assert g2.returncode == 0, g2.stderr
    assert [row['Name'] for row in glance_list(g2.stdout)] == ['ks-image']
    for r in (o2, o2b):
        assert r.returncode == 0, r.stderr
        assert [i['Name'] for i in json.loads(r.stdout)] == ['ks-image']
    assert g3.returncode == 1


@pytest.mark.compat('openstacksdk image v1 proxy', "Keystone v2.0 login: auth_type="
                    "'v2password' or 'password' with auth_url BACKEND/identity/v2.0",
                    caveat='Astakos logins take the user UUID as user name and project and '
                           'the token as password', family='log in')
def test_sdk_logins(stack):
    import openstack
    loc = stack.upload(TOKEN, 'images', 'ks-sdk.img', b'k')
    stack.register(TOKEN, 'ks-sdk', loc)
    for auth_type, scope in (('v2password', 'tenant_name'), ('password', 'project_name')):
        conn = openstack.connect(auth_type=auth_type, auth={
            'auth_url': _identity(stack), 'username': UUID, 'password': TOKEN,
            scope: UUID}, image_api_version='1')
        assert 'ks-sdk' in [i.name for i in conn.image.images()]
        assert conn.image.get_endpoint().rstrip('/').startswith(stack.url)


S = 'python-swiftclient'


@pytest.mark.compat(S, 'swiftclient.Connection: put_container / put_object / '
                       'get_container / head_object / get_object / delete_object')
def test_swiftclient_library(stack):
    from swiftclient.client import Connection
    conn = Connection(preauthurl='%s/%s' % (stack.pithos_url, SUUID), preauthtoken=STOKEN,
                      retries=0)
    conn.put_container('lib')
    conn.put_object('lib', 'disk é.img', b'abc' * 100,
                    content_type='application/octet-stream')
    _, listing = conn.get_container('lib')
    assert [o['name'] for o in listing] == ['disk é.img']
    assert int(conn.head_object('lib', 'disk é.img')['content-length']) == 300
    assert conn.get_object('lib', 'disk é.img')[1] == b'abc' * 100
    conn.delete_object('lib', 'disk é.img')
    assert conn.get_container('lib')[1] == []


@pytest.mark.compat(S, 'swift upload -H "Content-Type: ..." then glance image-create '
                       '--location pithos://...')
@pytest.mark.compat(S, 'swift list / stat / download / delete')
@pytest.mark.compat(S, 'swift upload without a Content-Type',
                    caveat='Pithos answers 411 (as Synnefo does) unless the operator turns '
                           'require_content_type off; pass -H "Content-Type: ..."')
def test_swift_cli(stack, tmp_path):
    storage = '%s/%s' % (stack.pithos_url, SUUID)
    disk = tmp_path / 'disk.img'
    disk.write_bytes(b'z' * 4096)
    r = swift(storage, STOKEN, 'upload', '-H', 'Content-Type: application/octet-stream',
              'images', str(disk), '--object-name', 'disk.img')
    assert r.returncode == 0, r.stderr
    r = swift(storage, STOKEN, 'upload', 'images', str(disk), '--object-name', 'bare.img')
    assert r.returncode != 0 and '411' in r.stderr
    lst, stat = run_many([lambda: swift(storage, STOKEN, 'list', 'images'),
                          lambda: swift(storage, STOKEN, 'stat', 'images', 'disk.img')])
    assert lst.stdout.split() == ['disk.img']
    assert 'Content Length: 4096' in stat.stdout
    r = swift(storage, STOKEN, 'download', 'images', 'disk.img', '-o', str(tmp_path / 'o'))
    assert r.returncode == 0 and (tmp_path / 'o').read_bytes() == b'z' * 4096
    from tests.clients.helpers import glance, glance_show
    r = glance(stack.url, STOKEN, 'image-create', '--name', 'from-swift', '--disk-format',
               'raw', '--container-format', 'bare', '--location',
               'pithos://%s/images/disk.img' % SUUID)
    assert r.returncode == 0, r.stderr
    assert glance_show(r.stdout)['size'] == '4096'
    r = swift(storage, STOKEN, 'delete', 'images', 'disk.img')
    assert r.returncode == 0, r.stderr
