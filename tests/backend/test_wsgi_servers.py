"""The backend app is server-agnostic: a threaded stdlib server and Paste Deploy."""

import socketserver
import threading
import wsgiref.simple_server

import pytest
import requests

from backend_helpers import ALICE, BOB, write_users_file
from plankton_proxy.backend import load_users, make_app


class _ThreadingServer(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def threaded_backend():
    app = make_app(users={ALICE[1]: ALICE[0], BOB[1]: BOB[0]})
    server = wsgiref.simple_server.make_server('127.0.0.1', 0, app,
                                               server_class=_ThreadingServer,
                                               handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_port
    server.shutdown()
    server.server_close()
    app.close()


def test_register_and_read_back_under_a_threaded_server(threaded_backend):
    url, headers = threaded_backend, {'X-Auth-Token': ALICE[1]}
    account = url + '/object-store/v1/' + ALICE[0]
    assert requests.put(account + '/t', headers=headers).status_code == 201

    def upload(i):
        resp = requests.put(account + '/t/disk%d' % i, data=b'x' * (1000 + i),
                            headers=dict(headers, **{'Content-Type': 'application/octet-stream'}))
        assert resp.status_code == 201
        reg = requests.post(url + '/image/v1.0/images/', headers=dict(headers, **{
            'X-Image-Meta-Name': 'disk %d' % i,
            'X-Image-Meta-Location': 'pithos://%s/t/disk%d' % (ALICE[0], i)}))
        assert reg.status_code == 200
        results[i] = reg.headers['x-image-meta-id']

    results = {}
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results.values())) == 6
    detail = requests.get(url + '/image/v1.0/images/detail', headers=headers).json()
    assert sorted(i['id'] for i in detail) == sorted(results.values())
    assert {i['size'] for i in detail} == {1000 + i for i in range(6)}
    assert requests.get(url + '/image/v1.0/images/detail',
                        headers={'X-Auth-Token': BOB[1]}).json() == []


def test_load_users(tmp_path):
    path = tmp_path / 'users.conf'
    path.write_text('# comment\n\n  uuid-1   token-1  # trailing comment\nuuid-2\ttoken-2\n')
    assert load_users(str(path)) == {'token-1': 'uuid-1', 'token-2': 'uuid-2'}
    path.write_text('just-one-field\n')
    with pytest.raises(ValueError):
        load_users(str(path))


def test_paste_deploy_app_factory(tmp_path):
    from paste.deploy import loadapp
    from webob import Request
    from plankton_proxy.backend.app import app_factory

    users = write_users_file(tmp_path)
    ini = tmp_path / 'backend.ini'
    ini.write_text('[app:main]\npaste.app_factory = plankton_proxy.backend.app:app_factory\n'
                   'users = %s\ndialect = s13\npaginate = false\n'
                   'public_url = https://cloud.example.org/\ndata_dir = %s\n'
                   % (users, tmp_path / 'data'))
    app = loadapp('config:' + str(ini))
    try:
        assert app.dialect == 's13'
        assert not app.plankton.paginate
        resp = Request.blank('/identity/v2.0/tokens', method='POST').get_response(app)
        catalog = resp.json['access']['serviceCatalog']
        urls = {s['type']: s['endpoints'][0]['publicURL'] for s in catalog}
        assert urls['image'] == 'https://cloud.example.org/image/v1.0'
        resp = Request.blank('/plankton/images/', headers={
            'X-Auth-Token': ALICE[1]}).get_response(app)
        assert resp.status_int == 200 and resp.json == []
        assert (tmp_path / 'data' / 'metadata.sqlite3').exists()
    finally:
        app.close()
    assert callable(app_factory)
