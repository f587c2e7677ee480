"""The terminal app of the pipeline: forward a request to the one upstream.

It knows nothing of Glance or Plankton.  It sends the method, ``PATH_INFO``
(appended to the upstream base URL), the query string, the end-to-end headers
and the body to the configured upstream over a pooled ``requests`` session, and
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

Answers it makes itself: 502 when the upstream refuses the connection or
breaks the protocol, 504 when it does not answer in time, 400 for a path that
would leave the upstream base (``.`` or ``..`` segments, no leading ``/``).
"""

import http.cookiejar
import logging
from urllib.parse import quote, urlsplit

import requests
import requests.adapters
import urllib3
from webob.util import status_reasons

from plankton_proxy.errors import error_response

LOG = logging.getLogger(__name__)

#: RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset((
    'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
    'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
))

#: CGI variables that carry request headers without the ``HTTP_`` prefix.
CGI_HEADERS = {'CONTENT_TYPE': 'Content-Type', 'CONTENT_LENGTH': 'Content-Length'}

#: Characters left as they are when a decoded path is quoted again.
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _true(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


class _SizedBody(object):
    """A file-like view of ``wsgi.input`` that tells requests its length,
    so the body goes upstream with Content-Length, read a chunk at a time."""

    def __init__(self, stream, length):
        self._stream = stream
        self.len = length
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
        self.upstream = upstream.rstrip('/')
        self.timeout = (float(conf.get('connect_timeout', 5)),
                        float(conf.get('read_timeout', 60)))
        ca_file = (conf.get('ca_file') or '').strip()
        self.verify = ca_file or _true(conf.get('verify_tls', 'true'))
        self.chunk_size = int(conf.get('chunk_size', 65536))
        pool_size = int(conf.get('pool_size', 32))
        self.session = requests.Session()
        # Only what the client sent goes upstream: no proxies or netrc from
        # the environment, no cookies kept between callers.
        self.session.trust_env = False
        self.session.cookies.set_policy(_NoCookies())
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=pool_size, max_retries=0,
            pool_block=False)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)

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
        url = self.upstream + quote(raw, safe=PATH_SAFE)
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
            if value == '':
                if key in CGI_HEADERS:
                    continue
            headers[name] = value
        connection = headers.get('Connection', '')
        dropped = set(HOP_BY_HOP).union(t.strip().lower() for t in connection.split(','))
        # Host names the upstream (requests sets it); 100-continue was
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
        raw = upstream_resp.raw.headers
        connection = raw.get('Connection', '')
        dropped = set(HOP_BY_HOP).union(t.strip().lower() for t in connection.split(','))
        return [(name, value) for name, value in raw.items()
                if name.lower() not in dropped]

    def _body_iter(self, upstream_resp):
        try:
            for data in upstream_resp.raw.stream(self.chunk_size, decode_content=False):
                if data:
                    yield data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Headers are gone already: all that is left is to cut the body
            # short, so the client sees a truncated reply, never a silent one.
            LOG.warning('upstream broke mid-body: %s', exc.__class__.__name__)
            raise
        finally:
            upstream_resp.close()

    def __call__(self, environ, start_response):
        url = self._target_url(environ)
        if url is None:
            return error_response(400, 'Invalid request path.', environ)(
                environ, start_response)
        headers = self._request_headers(environ)
        body, error = self._request_body(environ, headers)
        if error is not None:
            return error(environ, start_response)
        method = environ['REQUEST_METHOD']
        try:
            upstream_resp = self.session.request(
                method, url, headers=headers, data=body, stream=True,
                allow_redirects=False, timeout=self.timeout, verify=self.verify)
        except requests.exceptions.Timeout:
            return error_response(
                504, 'The image registry did not answer in time.', environ,
                {'Retry-After': '5'})(environ, start_response)
        except (requests.exceptions.RequestException, OSError) as exc:
            LOG.warning('upstream request failed: %s', exc.__class__.__name__)
            return error_response(
                502, 'The image registry could not be reached.', environ,
                {'Retry-After': '5'})(environ, start_response)
        code = upstream_resp.status_code
        status = '%d %s' % (code, upstream_resp.reason or status_reasons.get(code, 'Unknown'))
        start_response(status, self._response_headers(upstream_resp))
        if method == 'HEAD':
            upstream_resp.close()
            return []
        return self._body_iter(upstream_resp)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False


def app_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    return ForwardApp(conf)
