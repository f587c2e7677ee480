"""The terminal app of the pipeline: forward a request to the one upstream.

It knows nothing of Glance or Plankton.  It sends the method, ``PATH_INFO``
(appended to the upstream base URL), the query string, the end-to-end headers
and the body to the configured upstream over a pool of kept-alive connections, and
streams the answer back.  Bodies stream both ways, chunked or sized, and are
never held whole in memory.

Paste section (every option, with its default)::

    [app:forward]
    use = egg:plankton_proxy#forward
    # Base URL of the upstream API; the request path is appended to it.
    # Required (``plankton-proxy serve`` passes it as a global option).
    upstream = http://127.0.0.1:9393/image/v1.0
    # Seconds to wait for a TCP connection, and between bytes of the reply.
    connect_timeout = 5
    read_timeout = 60
    # Verify the upstream's TLS certificate; a CA bundle file to verify with.
    verify_tls = true
    ca_file =
    # Connections kept open to the upstream.
    pool_size = 32
    # Bytes read at a time when streaming a body.
    chunk_size = 65536

Timing: when the environ carries a ``plankton_proxy.timing`` dict (the
``access_log`` filter puts one there), each upstream request adds the seconds
until the upstream's status line and headers arrived to its ``upstream``
entry and 1 to its ``upstream_requests`` entry.  Translation filters that make
several upstream calls for one client request pass the same dict on, so the
totals cover them all.

Answers it makes itself: 502 when the upstream refuses the connection or
breaks the protocol, 504 when it does not answer in time, 400 for a path that
would leave the upstream base (``.`` or ``..`` segments, no leading ``/``).
"""

import logging
import time
import types
from urllib.parse import quote, urlsplit

import urllib3
import urllib3.connectionpool
from webob.util import status_reasons

from plankton_proxy.errors import error_response

LOG = logging.getLogger(__name__)

#: RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset((
    'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
    'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
))

#: Methods retried once when the upstream drops the connection before or
#: while answering (a stale pooled connection, a reset): reads only, never
#: a request with a body.
IDEMPOTENT_READS = frozenset(('GET', 'HEAD'))
READ_RETRY = urllib3.Retry(total=1, connect=1, read=1, status=0, other=0,
                           redirect=False, raise_on_status=False,
                           allowed_methods=IDEMPOTENT_READS)

#: environ key of the dict the upstream time is added to (see the docstring).
ENV_TIMING = 'plankton_proxy.timing'

#: CGI variables that carry request headers without the ``HTTP_`` prefix.
CGI_HEADERS = {'CONTENT_TYPE': 'Content-Type', 'CONTENT_LENGTH': 'Content-Length'}

#: Characters left as they are when a decoded path is quoted again.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _true(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


class _SizedBody(object):
    """A file-like view of ``wsgi.input`` that stops at Content-Length, so
    the body goes upstream sized, read a chunk at a time, and a client that
    sends less than it announced fails the request instead of hanging it."""

    def __init__(self, stream, length):
        self._stream = stream
        self._left = length

    def read(self, size=-1):
        if self._left <= 0:
            return b''
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._stream.read(size)
        self._left -= len(data)
        if not data:
            # The client went away before sending what it announced.
            raise IOError('client closed the request body early')
        return data


def _chunks(stream, chunk_size):
    while True:
        data = stream.read(chunk_size)
        if not data:
            return
        yield data


class ForwardApp(object):
    """WSGI app that relays every request to ``upstream`` and streams back."""

    def __init__(self, conf):
        upstream = (conf.get('upstream') or '').strip()
        parts = urlsplit(upstream)
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise ValueError('forward: "upstream" must be an http(s) URL, got %r'
                             % upstream)
        self.upstream = upstream
        self.base_path = parts.path.rstrip('/')
        self.chunk_size = int(conf.get('chunk_size', 65536))
        tls = {}
        if parts.scheme == 'https':
            ca_file = (conf.get('ca_file') or '').strip()
            verify = _true(conf.get('verify_tls', 'true'))
            tls = {'cert_reqs': 'CERT_REQUIRED' if verify else 'CERT_NONE'}
            if ca_file:
                tls['ca_certs'] = ca_file
        # One pool to the one upstream: every request goes to this host and
        # port, whatever the request says (urllib3 directly rather than a
        # requests Session: the same pool, less work per request, which the
        # hop budget of decision 21 needs).
        self.pool = urllib3.connectionpool.connection_from_url(
            '%s://%s' % (parts.scheme, parts.netloc),
            maxsize=int(conf.get('pool_size', 32)), block=False,
            timeout=urllib3.Timeout(connect=float(conf.get('connect_timeout', 5)),
                                    read=float(conf.get('read_timeout', 60))),
            retries=False, **tls)

    # -- request -------------------------------------------------------

    def _target_url(self, environ):
        path = environ.get('PATH_INFO', '') or '/'
        if not path.startswith('/'):
            return None
        segments = path.split('/')
        if any(seg in ('.', '..') for seg in segments):
            return None
        # PATH_INFO is decoded latin-1 per PEP 3333; send it as the bytes the
        # client sent, quoted, so nothing in it is read as a new URL part.
        raw = path.encode('latin-1')
        url = self.base_path + quote(raw, safe=PATH_SAFE)
        query = environ.get('QUERY_STRING')
        if query:
            url += '?' + quote(query, safe="=&;:@!$'()*+,/?-._~%")
        return url

    @staticmethod
    def _request_headers(environ):
        headers = {}
        for key, value in environ.items():
            if key.startswith('HTTP_'):
                name = key[5:].replace('_', '-').title()
            elif key in CGI_HEADERS:
                name = CGI_HEADERS[key]
            else:
                continue
            if not isinstance(value, str):
                # Not a header but a filter's note: keystonemiddleware sets
                # HTTP_OPENSTACK_SYSTEM_SCOPE to None for a project token.
                continue
            if value == '':
                if key in CGI_HEADERS:
                    continue
            headers[name] = value
        connection = headers.get('Connection', '')
        dropped = set(HOP_BY_HOP).union(t.strip().lower() for t in connection.split(','))
        # Host names the upstream (the pool sets it); 100-continue was
        # already answered to the client by our own server.
        dropped.update(('host', 'expect'))
        headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
        # Add this hop to the chain of forwarded-for addresses.
        remote = environ.get('REMOTE_ADDR')
        if remote:
            prior = headers.get('X-Forwarded-For')
            headers['X-Forwarded-For'] = '%s, %s' % (prior, remote) if prior else remote
        headers.setdefault('X-Forwarded-Proto', environ.get('wsgi.url_scheme', 'http'))
        if environ.get('HTTP_HOST'):
            headers.setdefault('X-Forwarded-Host', environ['HTTP_HOST'])
        return headers

    def _request_body(self, environ, headers):
        stream = environ.get('wsgi.input')
        length = environ.get('CONTENT_LENGTH')
        chunked = 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
        if length not in (None, '') and not chunked:
            try:
                length = int(length)
            except ValueError:
                return None, error_response(400, 'Invalid Content-Length.', environ)
            if length < 0:
                return None, error_response(400, 'Invalid Content-Length.', environ)
            return (_SizedBody(stream, length) if length else None), None
        if chunked and stream is not None:
            headers.pop('Content-Length', None)
            return _chunks(stream, self.chunk_size), None
        return None, None

    # -- response ------------------------------------------------------

    @staticmethod
    def _response_headers(upstream_resp):
        headers = upstream_resp.headers
        connection = headers.get('Connection', '')
        dropped = set(HOP_BY_HOP).union(t.strip().lower() for t in connection.split(','))
        return [(name, value) for name, value in headers.items()
                if name.lower() not in dropped]

    def _body_iter(self, upstream_resp):
        done = False
        try:
            for data in upstream_resp.stream(self.chunk_size, decode_content=False):
                if data:
                    yield data
            done = True
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Headers are gone already: all that is left is to cut the body
            # short, so the client sees a truncated reply, never a silent one.
            LOG.warning('upstream broke mid-body: %s', exc.__class__.__name__)
            raise
        finally:
            if done:
                upstream_resp.release_conn()
            else:
                # Client gone or upstream broken: this connection is not reusable.
                upstream_resp.close()

    def __call__(self, environ, start_response):
        path = self._target_url(environ)
        if path is None:
            return error_response(400, 'Invalid request path.', environ)(
                environ, start_response)
        headers = self._request_headers(environ)
        body, error = self._request_body(environ, headers)
        if error is not None:
            return error(environ, start_response)
        method = environ['REQUEST_METHOD']
        retries = READ_RETRY if body is None and method in IDEMPOTENT_READS else False
        timing = environ.get(ENV_TIMING)
        started = time.monotonic()
        try:
            upstream_resp = self.pool.urlopen(
                method, path, body=body, headers=headers, retries=retries,
                redirect=False, assert_same_host=True, preload_content=False,
                decode_content=False, chunked=isinstance(body, types.GeneratorType))
        except (urllib3.exceptions.TimeoutError, urllib3.exceptions.MaxRetryError) as exc:
            reason = getattr(exc, 'reason', exc)
            if isinstance(reason, urllib3.exceptions.TimeoutError) and \
                    not isinstance(reason, urllib3.exceptions.ConnectTimeoutError):
                return error_response(
                    504, 'The image registry did not answer in time.', environ,
                    {'Retry-After': '5'})(environ, start_response)
            return self._unreachable(environ, start_response, reason)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return self._unreachable(environ, start_response, exc)
        finally:
            if timing is not None:
                timing['upstream'] = timing.get('upstream', 0.0) + time.monotonic() - started
                timing['upstream_requests'] = timing.get('upstream_requests', 0) + 1
        code = upstream_resp.status
        status = '%d %s' % (code, upstream_resp.reason or status_reasons.get(code, 'Unknown'))
        start_response(status, self._response_headers(upstream_resp))
        if method == 'HEAD':
            upstream_resp.release_conn()
            return []
        return self._body_iter(upstream_resp)

    @staticmethod
    def _unreachable(environ, start_response, exc):
        LOG.warning('upstream request failed: %s', exc.__class__.__name__)
        return error_response(
            502, 'The image registry could not be reached.', environ,
            {'Retry-After': '5'})(environ, start_response)


def app_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    return ForwardApp(conf)
