"""The healthcheck filter: OK, the upstream's state, no URL for strangers."""

import json

import pytest
from webob import Request

from plankton_proxy.forward import ForwardApp
from plankton_proxy.middleware import healthcheck
from tests.fake_upstream import FakeUpstream

DOWN = 'http://127.0.0.1:1/image/v1.0'


def _app(environ, start_response):
    start_response('299 Passed', [('Content-Type', 'text/plain')])
    return [b'passed on']


def make(app=_app, **conf):
    return healthcheck.filter_factory({}, **conf)(app)


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as fake:
        yield fake


def test_ok_and_upstream_reachable(upstream):
    resp = Request.blank('/healthcheck').get_response(make(upstream=upstream.url + '/base'))
    assert resp.status_int == 200
    assert resp.text == 'OK\nupstream: reachable\n'
    assert upstream.url.split('//')[1] not in resp.text
    assert upstream.seen[-1]['path'] == '/base'
    assert 'X-Auth-Token' not in upstream.seen[-1]['headers']
    head = Request.blank('/healthcheck', method='HEAD').get_response(
        make(upstream=upstream.url))
    assert head.status_int == 200 and head.body == b''


def test_other_requests_pass_on(upstream):
    app = make(upstream=upstream.url)
    for path, method in (('/healthcheck', 'POST'), ('/v1/images', 'GET'), ('/healthcheckx', 'GET')):
        assert Request.blank(path, method=method).get_response(app).status_int == 299


def test_upstream_down_is_reported_not_leaked():
    resp = Request.blank('/healthcheck').get_response(make(upstream=DOWN))
    assert resp.status_int == 200
    assert resp.text == 'OK\nupstream: unreachable\n'
    assert '127.0.0.1' not in resp.text
    resp = Request.blank('/healthcheck').get_response(
        make(upstream=DOWN, fail_when_upstream_down='true'))
    assert resp.status_int == 503
    assert resp.text == 'UPSTREAM UNREACHABLE\nupstream: unreachable\n'


def test_upstream_found_below_when_not_configured(upstream):
    forward = ForwardApp({'upstream': upstream.url + '/found'})
    app = make(app=make(app=forward, path='/other'))
    assert Request.blank('/healthcheck').get_response(app).text.endswith('reachable\n')
    assert upstream.seen[-1]['path'] == '/found'
    unknown = Request.blank('/healthcheck').get_response(make())
    assert unknown.text == 'OK\nupstream: not checked\n'
    off = Request.blank('/healthcheck').get_response(
        make(upstream=DOWN, upstream_check='false'))
    assert off.text == 'OK\nupstream: not checked\n'


def test_details_only_with_the_secret(upstream):
    app = make(upstream='http://user:pw@%s/base' % upstream.url.split('//')[1],
               detail_secret='s3cret')
    for sent in (None, 'wrong', ''):
        headers = {'X-Healthcheck-Secret': sent} if sent is not None else {}
        resp = Request.blank('/healthcheck', headers=headers).get_response(app)
        assert resp.content_type == 'text/plain'
    resp = Request.blank('/healthcheck', headers={'X-Healthcheck-Secret': 's3cret'}
                         ).get_response(app)
    document = json.loads(resp.body)
    assert document['status'] == 'OK'
    assert document['upstream']['url'] == upstream.url + '/base'   # no user:pw
    assert document['upstream']['reachable'] is True
    assert document['upstream']['status'] == 200
    # Without a configured secret, no header unlocks anything.
    resp = Request.blank('/healthcheck', headers={'X-Healthcheck-Secret': ''}).get_response(
        make(upstream=upstream.url))
    assert resp.content_type == 'text/plain'


def test_probe_results_are_reused(upstream):
    app = make(upstream=upstream.url + '/cached', cache_seconds='60')
    before = len([s for s in upstream.seen if s['path'] == '/cached'])
    for _ in range(5):
        Request.blank('/healthcheck').get_response(app)
    assert len([s for s in upstream.seen if s['path'] == '/cached']) == before + 1


def test_disable_by_file(tmp_path, upstream):
    flag = tmp_path / 'drain'
    app = make(upstream=upstream.url, disable_by_file_path=str(flag), path='/hc/')
    assert Request.blank('/hc').get_response(app).status_int == 200
    flag.write_text('')
    resp = Request.blank('/hc').get_response(app)
    assert resp.status_int == 503 and resp.text == 'DISABLED BY FILE\n'
