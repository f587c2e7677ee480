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


def test_version_document_at_the_auth_url(backend):
    """Astakos answers ``GET <auth>`` with a version document (plankton.md §5.1);
    keystoneauth's generic plugins need it to log in at ``.../identity/v2.0``."""
    for path in ('/identity/v2.0', '/identity/v2.0/'):
        resp = requests.get(backend.url + path)
        assert resp.status_code == 200
        version = resp.json()['version']
        assert version['id'] == 'v2.0' and version['status'] == 'stable'
        assert version['links'] == [{'rel': 'self', 'href': backend.url + '/identity/v2.0/'}]


def test_image_public_url_names_a_front_end_in_the_catalog():
    """``image_public_url`` (set by ``serve`` to the proxy) replaces Plankton as the
    catalog's ``image`` endpoint; the other services stay on the backend."""
    from webob import Request

    from plankton_proxy.backend.app import make_app
    app = make_app(users={'tok': 'uuid-1'}, public_url='http://backend:1',
                   image_public_url='http://proxy:9292/')
    try:
        resp = Request.blank('/identity/v2.0/tokens', method='POST').get_response(app)
        catalog = resp.json['access']['serviceCatalog']
        assert endpoint(catalog, 'image')['publicURL'] == 'http://proxy:9292'
        assert endpoint(catalog, 'object-store')['publicURL'] == \
            'http://backend:1/object-store/v1'
    finally:
        app.close()
