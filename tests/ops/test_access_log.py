"""The access_log filter: one line per request, request ids, no secrets."""

import logging
import re

import pytest
import requests
from webob import Request, Response

from plankton_proxy.forward import ForwardApp
from plankton_proxy.middleware import access_log
from tests.fake_upstream import FakeUpstream

RID = 'req-12345678-1234-4234-8234-123456789abc'


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def capture():
    handler = Capture()
    logger = logging.getLogger('plankton_proxy.access')
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(old)


def call(req, app):
    """Run ``app`` the way a WSGI server does: iterate, then close."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=headers)
    body = app(req.environ, start_response)
    try:
        data = b''.join(body)
    finally:
        body.close()
    return Response(status=answer['status'], headerlist=answer['headers'], body=data)


def _app(environ, start_response):
    body = environ['wsgi.input'].read()
    start_response('201 Created', [('Content-Type', 'text/plain'),
                                   ('X-Openstack-Request-Id', 'from-upstream')])
    return [b'got ', str(len(body)).encode()]


def make(app=_app, **conf):
    return access_log.filter_factory({}, **conf)(app)


def test_one_line_with_every_field(capture):
    req = Request.blank('/v1/images?name=x', method='POST', body=b'12345',
                        headers={'User-Agent': 'python-glanceclient',
                                 'X-Forwarded-For': '192.0.2.7'})
    req.remote_addr = '10.0.0.1'
    resp = call(req, make())
    assert resp.status_int == 201
    rid = resp.headers['X-Openstack-Request-Id']
    assert re.match(r'^req-[0-9a-f-]{36}$', rid)
    # One id in the answer: the upstream's is replaced, not duplicated.
    assert resp.headers.getall('X-Openstack-Request-Id') == [rid]
    assert len(capture) == 1
    fields = capture[0].split(' ')
    assert fields[:5] == [rid, '10.0.0.1', '192.0.2.7', '"POST', '/v1/images?name=x"']
    assert fields[5:8] == ['201', '5', '5']
    float(fields[8]), float(fields[9])
    assert fields[10] == '0' and fields[11] == '"python-glanceclient"'


def test_request_id_honoured_when_well_formed_and_forwarded(capture):
    seen = {}

    def app(environ, start_response):
        seen['header'] = environ.get('HTTP_X_OPENSTACK_REQUEST_ID')
        return _app(environ, start_response)
    resp = call(Request.blank('/', headers={'X-Openstack-Request-Id': RID}), make(app))
    assert resp.headers['X-Openstack-Request-Id'] == RID
    assert seen['header'] == RID
    assert capture[0].startswith(RID + ' ')
    # Garbage (a log-forging attempt) is not trusted; neither is any id when told so.
    for sent, conf in (('req-x\n injected', {}), (RID, {'trust_request_id': 'false'})):
        resp = call(Request.blank('/', headers={'X-Openstack-Request-Id': sent}),
                    make(app, **conf))
        assert resp.headers['X-Openstack-Request-Id'] not in (sent, RID)
        assert seen['header'] == resp.headers['X-Openstack-Request-Id']


def test_oslo_request_id_earlier_in_the_pipeline_is_reused(capture):
    req = Request.blank('/')
    req.environ['openstack.request_id'] = RID
    resp = call(req, make())
    # oslo's filter adds the response header itself; we must not add a second.
    assert 'X-Openstack-Request-Id' not in resp.headers
    assert capture[0].startswith(RID + ' ')


def test_no_secret_reaches_the_log(capture):
    req = Request.blank('/v1/images/detail?limit=1&token=SECRET1&X-Auth-Token=SECRET2'
                        '&os_password=SECRET3&sort_key=name',
                        headers={'X-Auth-Token': 'SECRET4', 'X-Healthcheck-Secret': 'SECRET5',
                                 'Authorization': 'Bearer SECRET6',
                                 'User-Agent': 'evil"\n fake line'})
    call(req, make())
    line = capture[0]
    assert 'SECRET' not in line
    assert 'token=***' in line and 'X-Auth-Token=***' in line and 'os_password=***' in line
    assert 'limit=1' in line and 'sort_key=name' in line
    assert '\n' not in line and '"evil%22%0A fake line"' in line


def test_custom_format_and_logger_name():
    handler = Capture()
    logging.getLogger('my.access').addHandler(handler)
    logging.getLogger('my.access').setLevel(logging.INFO)
    call(Request.blank('/x?password=p'), make(
        logger_name='my.access', log_format='{method} {path} {query} {status}'))
    assert handler.lines == ['GET /x?password=*** password=*** 201']
    with pytest.raises(KeyError):
        make(log_format='{nosuchfield}')


def test_app_that_raises_is_logged_and_reraised(capture):
    def broken(environ, start_response):
        raise RuntimeError('boom')
    with pytest.raises(RuntimeError):
        call(Request.blank('/'), make(broken))
    assert ' "GET /" - 0 0 ' in capture[0]


def test_upstream_time_and_count_come_from_forward(capture):
    with FakeUpstream() as upstream:
        app = make(ForwardApp({'upstream': upstream.url + '/base'}))
        resp = call(Request.blank('/images/slow?delay=0.2'), app)
        assert resp.status_int == 200
        fields = capture[-1].split(' ')
        total, upstream_time, count = float(fields[8]), float(fields[9]), fields[10]
        assert 0.2 <= upstream_time <= total and count == '1'
        # Not reachable: counted too, with the 502 it gave.
        app = make(ForwardApp({'upstream': 'http://127.0.0.1:1/base'}))
        assert call(Request.blank('/images/x'), app).status_int == 502
        assert capture[-1].split(' ')[5] == '502'
        assert capture[-1].split(' ')[10] == '1'


def test_forward_adds_to_a_shared_timing_dict():
    # Translation filters pass one dict to every sub-request of a request.
    with FakeUpstream() as upstream:
        app = ForwardApp({'upstream': upstream.url})
        timing = {}
        for _ in range(3):
            req = Request.blank('/echo')
            req.environ['plankton_proxy.timing'] = timing
            req.get_response(app)
        assert timing['upstream_requests'] == 3 and timing['upstream'] > 0


def test_lines_from_a_running_server(plankton_server, tmp_path):
    from tests.ops.recipes import ops_config
    with FakeUpstream() as upstream:
        proxy = plankton_server(upstream=upstream.url + '/base',
                                config=ops_config(tmp_path, upstream.url + '/base'))
        body = b'x' * 100000
        resp = requests.put(proxy.url + '/v1/images/sink?token=SECRET', data=iter([body]),
                            headers={'X-Auth-Token': 'SECRET'})
        assert resp.status_code == 200
        rid = resp.headers['X-Openstack-Request-Id']
        # The id went upstream too.
        assert upstream.seen[-1]['headers']['X-Openstack-Request-Id'] == rid
        # The line is written when the response is closed.
        for _ in range(50):
            lines = [line for line in proxy.output if rid in line]
            if lines:
                break
            import time
            time.sleep(0.05)
        assert len(lines) == 1
        assert '"PUT /v1/images/sink?token=***" 200 ' in lines[0]
        assert ' 100000 ' in lines[0]        # bytes_in, chunked
        assert not any('SECRET' in line for line in proxy.output)
        # eventlet's own request lines are off when the pipeline logs itself.
        assert not any('plankton_proxy.server.proxy' in line and 'HTTP/1.1' in line
                       for line in proxy.output)


def test_forward_skips_environ_values_that_are_not_strings():
    # keystonemiddleware.auth_token leaves HTTP_OPENSTACK_SYSTEM_SCOPE = None.
    with FakeUpstream() as upstream:
        req = Request.blank('/echo', headers={'X-Kept': 'yes'})
        req.environ['HTTP_OPENSTACK_SYSTEM_SCOPE'] = None
        resp = call(req, ForwardApp({'upstream': upstream.url}))
        assert resp.status_int == 200
        assert 'Openstack-System-Scope' not in resp.json['headers']
        assert resp.json['headers']['X-Kept'] == 'yes'


def test_eventlet_request_lines_mask_query_secrets():
    import io as _io
    import logging as _logging
    from plankton_proxy.server import _AccessLog
    stream = _io.StringIO()
    handler = _logging.StreamHandler(stream)
    logger = _logging.getLogger('plankton_proxy.server.test')
    logger.addHandler(handler)
    logger.setLevel(_logging.INFO)
    _AccessLog('plankton_proxy.server.test').write(
        '127.0.0.1 - - "GET /image/v1.0/images/?limit=2&token=S1&X-Auth-Token=S2'
        '&os_password=S3&sort_key=name HTTP/1.1" 200 10 0.001\n')
    line = stream.getvalue()
    assert 'S1' not in line and 'S2' not in line and 'S3' not in line
    assert 'limit=2&token=***&X-Auth-Token=***&os_password=***&sort_key=name' in line
