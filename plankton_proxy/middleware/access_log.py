"""One log line per request: who asked what, how it ended, how long it took.

The line is written when the server closes the response (after the last
byte was sent, or when the client went away), so its byte count and total
time cover the whole transfer.  Fields:

``request_id``
    The request id, also sent back in ``X-Openstack-Request-Id`` and
    forwarded upstream in the same header, so one id follows a request through
    the front end, the proxy and the registry.  Taken from oslo.middleware's
    ``request_id`` filter when it runs earlier in the pipeline, else from the
    client's ``X-Openstack-Request-Id`` when that is a well-formed
    ``req-<uuid>`` and ``trust_request_id`` is on, else a new ``req-<uuid>``.
``client``, ``forwarded_for``
    ``REMOTE_ADDR``, and the ``X-Forwarded-For`` a front end sent (``-``).
``method``, ``path``
    The path as the client sent it, with its query string; the values of query
    parameters whose names look secret (``redact_query``) become ``***``.
``status``, ``bytes_out``, ``bytes_in``
    The status code (``-`` when the app failed before answering), the response
    body bytes sent and the request body bytes read.
``total``, ``upstream``, ``upstream_requests``
    Seconds from the first byte of the request to the end of the response;
    seconds spent waiting for the upstream's answers (until their headers
    arrived, summed over every upstream request made for this one, as the
    ``forward`` app measures it), and how many upstream requests there were.
``agent``
    The User-Agent.
``query``
    The query string alone, redacted the same way (not in the default line).

Request headers other than User-Agent and X-Forwarded-For are never logged:
no token can reach the log.  Every field is escaped (``"``, ``\\`` and control
characters become ``%XX``), so a client cannot forge log lines.

Put it first in the pipeline (after ``healthcheck``, so that load balancer
probes stay out of the log, and after oslo.middleware's ``request_id`` when
you use that), so that it sees every answer, errors from later filters
included.

Paste section (every option, with its default)::

    [filter:access_log]
    use = egg:plankton_proxy#access_log
    # Logger the lines go to, at level INFO (configure its handlers in the
    # logging config file, see etc/logging.conf).
    logger_name = plankton_proxy.access
    # Reuse the request id a client sends in X-Openstack-Request-Id when it
    # is a well-formed req-<uuid>; false: always make a new one.
    trust_request_id = true
    # Comma-separated; a query parameter whose name contains one of these
    # (case-insensitive) is logged with its value replaced by ***.
    redact_query = token,password,secret,signature,credential,auth
    # The line: a Python str.format() template over the fields above
    # (braces, not %-style, which paste.ini files would try to interpolate).
    log_format = {request_id} {client} {forwarded_for} "{method} {path}" {status} {bytes_out} {bytes_in} {total:.4f} {upstream:.4f} {upstream_requests} "{agent}"
"""

import logging
import re
import time
import uuid
from urllib.parse import quote, unquote

#: The environ key oslo.middleware's request_id filter (and we) keep the id in.
ENV_REQUEST_ID = 'openstack.request_id'
#: The dict the forward app adds its upstream time to (see forward.py).
ENV_TIMING = 'plankton_proxy.timing'
REQUEST_ID_HEADER = 'X-Openstack-Request-Id'

REQUEST_ID_RE = re.compile(r'^req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                           r'[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')

DEFAULT_FORMAT = ('{request_id} {client} {forwarded_for} "{method} {path}" {status} '
                  '{bytes_out} {bytes_in} {total:.4f} {upstream:.4f} {upstream_requests} '
                  '"{agent}"')
DEFAULT_REDACT = 'token,password,secret,signature,credential,auth'

#: What a logged field may contain unescaped: printable ASCII but " and \.
_UNSAFE = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')


def _true(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def _escape(value):
    if not value:
        return '-'
    return _UNSAFE.sub(lambda m: ''.join('%%%02X' % b for b in m.group().encode('utf-8')),
                       value)


class _CountingInput(object):
    """``wsgi.input`` that counts the bytes read through it."""

    def __init__(self, stream):
        self._stream = stream
        self.count = 0

    def read(self, *args):
        data = self._stream.read(*args)
        self.count += len(data)
        return data

    def readline(self, *args):
        data = self._stream.readline(*args)
        self.count += len(data)
        return data

    def readlines(self, *args):
        lines = self._stream.readlines(*args)
        self.count += sum(len(line) for line in lines)
        return lines

    def __iter__(self):
        for line in self._stream:
            self.count += len(line)
            yield line

    def __getattr__(self, name):
        return getattr(self._stream, name)


class AccessLogMiddleware(object):

    def __init__(self, app, conf):
        self.app = app
        self.logger = logging.getLogger(conf.get('logger_name') or 'plankton_proxy.access')
        self.trust_request_id = _true(conf.get('trust_request_id', 'true'))
        self.redact = tuple(word.strip().lower() for word in
                            (conf.get('redact_query', DEFAULT_REDACT) or '').split(',')
                            if word.strip())
        self.log_format = conf.get('log_format') or DEFAULT_FORMAT
        # A bad template fails at start-up, not on the first request.
        self.log_format.format(request_id='', client='', forwarded_for='', method='',
                               path='', status='', bytes_out=0, bytes_in=0, total=0.0,
                               upstream=0.0, upstream_requests=0, agent='', query='')

    def _request_id(self, environ):
        """-> (id, whether an earlier filter owns the response header)."""
        request_id = environ.get(ENV_REQUEST_ID)
        if request_id:
            return request_id, True
        sent = environ.get('HTTP_X_OPENSTACK_REQUEST_ID', '')
        if self.trust_request_id and REQUEST_ID_RE.match(sent):
            return sent, False
        return 'req-' + str(uuid.uuid4()), False

    def redacted_query(self, query):
        if not query or not self.redact:
            return query
        parts = []
        for part in query.split('&'):
            name = part.split('=', 1)[0]
            if any(word in unquote(name).lower() for word in self.redact):
                part = name + '=***'
            parts.append(part)
        return '&'.join(parts)

    def __call__(self, environ, start_response):
        started = time.monotonic()
        request_id, outer_header = self._request_id(environ)
        environ[ENV_REQUEST_ID] = request_id
        environ['HTTP_X_OPENSTACK_REQUEST_ID'] = request_id
        timing = environ[ENV_TIMING] = {'upstream': 0.0, 'upstream_requests': 0}
        counting = None
        if environ.get('wsgi.input') is not None:
            counting = environ['wsgi.input'] = _CountingInput(environ['wsgi.input'])
        record = {
            'request_id': request_id, 'method': environ.get('REQUEST_METHOD', ''),
            'path': environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', ''),
            'query': environ.get('QUERY_STRING', ''), 'status': None,
            'client': environ.get('REMOTE_ADDR', ''),
            'forwarded_for': environ.get('HTTP_X_FORWARDED_FOR', ''),
            'agent': environ.get('HTTP_USER_AGENT', ''),
        }

        def _start_response(status, headers, exc_info=None):
            record['status'] = status.split(' ', 1)[0]
            # The upstream's own id (if it sends one) would be a second one.
            headers = [(name, value) for name, value in headers
                       if name.lower() != 'x-openstack-request-id']
            if not outer_header:
                headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        def _done(bytes_out):
            record.update(bytes_out=bytes_out, total=time.monotonic() - started,
                          bytes_in=counting.count if counting is not None else 0,
                          upstream=timing['upstream'],
                          upstream_requests=timing['upstream_requests'])
            self._log(record)

        try:
            body = self.app(environ, _start_response)
        except Exception:
            _done(0)
            raise
        return _LoggedBody(body, _done)

    def _log(self, record):
        if not self.logger.isEnabledFor(logging.INFO):
            return
        try:
            path = quote(record['path'].encode('latin-1', 'replace'),
                         safe="/:@!$&'()*+,;=-._~%")
            query = self.redacted_query(record['query'])
            fields = dict(record, path=_escape(path + ('?' + query if query else '')),
                          query=_escape(query),
                          method=_escape(record['method']),
                          status=record['status'] or '-',
                          client=_escape(record['client']),
                          forwarded_for=_escape(record['forwarded_for']),
                          agent=_escape(record['agent']),
                          request_id=_escape(record['request_id']))
            self.logger.info('%s', self.log_format.format(**fields))
        except Exception:
            self.logger.exception('could not write the access log line')


class _LoggedBody(object):
    """The app's response iterable, counted; logs when the server closes it."""

    def __init__(self, body, done):
        self._body = body
        self._done = done
        self._sent = 0
        self._closed = False

    def __iter__(self):
        for data in self._body:
            self._sent += len(data)
            yield data

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, 'close', None)
            if close is not None:
                close()
        finally:
            self._done(self._sent)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def access_log_filter(app):
        return AccessLogMiddleware(app, conf)
    return access_log_filter
