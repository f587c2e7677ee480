"""Astakos-style identity (plankton.md §5.1, §6.1 item 1)."""

import requests

from backend_helpers import ALICE, BOB


def tokens(backend, body=None, **kwargs):
    return requests.post(backend.url + '/identity/v2.0/tokens', json=body, **kwargs)


def endpoint(catalog, kind):
    (service,) = [s for s in catalog if s['type'] == kind]
    return service['endpoints'][0]


def test_token_body(backend):
    resp = tokens(backend, {'auth': {'token': {'id': ALICE[1]}}})
    assert resp.status_code == 200
    access = resp.json()['access']
    assert access['token']['id'] == ALICE[1]
    assert access['token']['tenant']['id'] == ALICE[0]
    assert access['token']['expires']
    assert access['user']['id'] == ALICE[0]
    assert access['user']['roles'] == [{'id': '1', 'name': 'default'}]
    image = endpoint(access['serviceCatalog'], 'image')
    assert image['versionId'] == 'v1.0'
    assert image['publicURL'] == backend.url + '/image/v1.0'
    store = endpoint(access['serviceCatalog'], 'object-store')
    assert store['versionId'] == 'v1'
    assert store['publicURL'] == backend.url + '/object-store/v1'
    # kamaki's astakosclient needs an astakos_account service
    account = endpoint(access['serviceCatalog'], 'account')
    assert account['versionId'] == 'v1.0' and 'SNF:uiURL' in account


def test_password_credentials(backend):
    resp = tokens(backend, {'auth': {'passwordCredentials': {'username': BOB[0],
                                                             'password': BOB[1]}}})
    assert resp.status_code == 200
    assert resp.json()['access']['user']['id'] == BOB[0]
    wrong = tokens(backend, {'auth': {'passwordCredentials': {'username': ALICE[0],
                                                              'password': BOB[1]}}})
    assert wrong.status_code == 401


def test_empty_body_gives_the_catalog_only(backend):
    resp = requests.post(backend.url + '/identity/v2.0/tokens')
    assert resp.status_code == 200
    assert list(resp.json()['access']) == ['serviceCatalog']


def test_unknown_token_is_401(backend):
    resp = tokens(backend, {'auth': {'token': {'id': 'who-knows'}}})
    assert resp.status_code == 401
    assert resp.json()['unauthorized']['message'] == 'Invalid token'


def test_missing_credentials_is_400(backend):
    resp = tokens(backend, {'auth': {}})
    assert resp.status_code == 400


def test_the_catalog_follows_the_host_the_client_used(backend):
    port = backend.url.rsplit(':', 1)[1]
    resp = requests.post('http://localhost:%s/identity/v2.0/tokens' % port)
    image = endpoint(resp.json()['access']['serviceCatalog'], 'image')
    assert image['publicURL'] == 'http://localhost:%s/image/v1.0' % port
