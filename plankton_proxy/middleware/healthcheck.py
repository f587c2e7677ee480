"""``GET /healthcheck``: is this replica up, and does its upstream answer?

``GET`` or ``HEAD`` on ``path`` answers ``text/plain``::

    OK
    upstream: reachable

(or ``upstream: unreachable``, or ``upstream: not checked``).  The status is
200, or 503 when the upstream does not answer and ``fail_when_upstream_down``
is on, or 503 with ``DISABLED BY FILE`` while ``disable_by_file_path``
exists (remove a replica from the load balancer before stopping it).  Every
other request passes on untouched.

The upstream is probed with a ``GET`` on its base URL, without credentials;
any HTTP answer below 500 (a 401 from a registry that wants a token is one)
counts as reachable.  A probe's result is reused for ``cache_seconds``, so
load balancers probing every second cost the upstream one request per period.

The plain answer never names the upstream.  A caller that sends the
configured ``detail_secret`` in the ``X-Healthcheck-Secret`` header gets JSON
instead: the upstream URL (without credentials), the probe's HTTP status or
error, its duration and age.  With ``detail_secret`` empty (the default)
nobody gets details.

Put it first in the pipeline: probes then skip the access log, authentication
and the translation filters.

Paste section (every option, with its default)::

    [filter:healthcheck]
    use = egg:plankton_proxy#healthcheck
    # The path answered here.
    path = /healthcheck
    # Base URL to probe. Empty: the pipeline's "upstream" (from [DEFAULT] or
    # what plankton-proxy serve passes), else the forward app's own.
    upstream =
    # Probe the upstream at all; false answers "upstream: not checked".
    upstream_check = true
    # Seconds a probe may take, and seconds its result is reused for.
    timeout = 2
    cache_seconds = 5
    # Answer 503 when the upstream does not answer (instead of 200).
    fail_when_upstream_down = false
    # While this file exists, answer 503 "DISABLED BY FILE". Empty: never.
    disable_by_file_path =
    # Secret that unlocks the detailed JSON answer (X-Healthcheck-Secret
    # header). Empty: no details for anyone.
    detail_secret =
    # Verify the upstream's TLS certificate; a CA bundle file to verify with.
    verify_tls = true
    ca_file =
"""

import hmac
import json
import os
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import urllib3

from plankton_proxy import __version__ as VERSION


def _true(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def _public_url(url):
    """``url`` without user:password@."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit('@', 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, '', ''))


def find_upstream(app, depth=32):
    """The ``upstream`` of the forward app below ``app``, following the
    ``app`` attribute every plankton_proxy filter keeps (None if not found)."""
    for _ in range(depth):
        if app is None:
            return None
        upstream = getattr(app, 'upstream', None)
        if isinstance(upstream, str) and upstream:
            return upstream
        app = getattr(app, 'app', None) or getattr(app, '_app', None)
    return None


class HealthcheckMiddleware(object):

    def __init__(self, app, conf):
        self.app = app
        self.path = '/' + (conf.get('path') or '/healthcheck').strip().strip('/')
        self.upstream_check = _true(conf.get('upstream_check', 'true'))
        self.timeout = float(conf.get('timeout', 2))
        self.cache_seconds = float(conf.get('cache_seconds', 5))
        self.fail_when_down = _true(conf.get('fail_when_upstream_down', 'false'))
        self.disable_file = (conf.get('disable_by_file_path') or '').strip()
        self.detail_secret = (conf.get('detail_secret') or '').strip()
        self._upstream = (conf.get('upstream') or '').strip() or None
        tls = {'cert_reqs': 'CERT_REQUIRED' if _true(conf.get('verify_tls', 'true'))
               else 'CERT_NONE'}
        if (conf.get('ca_file') or '').strip():
            tls['ca_certs'] = conf['ca_file'].strip()
        self._http = urllib3.PoolManager(num_pools=1, maxsize=1, block=False, **tls)
        self._lock = threading.Lock()
        self._last = None   # (monotonic time, result dict)

    @property
    def upstream(self):
        if self._upstream is None:
            self._upstream = find_upstream(self.app) or ''
        return self._upstream

    def probe(self):
        """-> dict: reachable (bool), status (int or None), error, seconds."""
        started = time.monotonic()
        try:
            resp = self._http.request(
                'GET', self.upstream, retries=False, redirect=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                headers={'User-Agent': 'plankton-proxy-healthcheck/' + VERSION})
            resp.drain_conn()
            resp.release_conn()
            result = {'reachable': resp.status < 500, 'status': resp.status, 'error': None}
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            reason = getattr(exc, 'reason', None) or exc
            result = {'reachable': False, 'status': None,
                      'error': reason.__class__.__name__}
        result['seconds'] = round(time.monotonic() - started, 4)
        return result

    def upstream_state(self):
        """The last probe's result when fresh enough, else a new probe's."""
        with self._lock:
            now = time.monotonic()
            if self._last is None or now - self._last[0] >= self.cache_seconds:
                self._last = (time.monotonic(), self.probe())
            checked_at, result = self._last
            return dict(result, age=round(now - checked_at, 3) if now > checked_at else 0.0)

    def _answer(self, environ, start_response, status, lines, document):
        secret = environ.get('HTTP_X_HEALTHCHECK_SECRET', '')
        if self.detail_secret and hmac.compare_digest(
                secret.encode('utf-8', 'replace'), self.detail_secret.encode('utf-8')):
            body = json.dumps(document).encode()
            content_type = 'application/json'
        else:
            body = ('\n'.join(lines) + '\n').encode()
            content_type = 'text/plain; charset=UTF-8'
        headers = [('Content-Type', content_type), ('Content-Length', str(len(body))),
                   ('Cache-Control', 'no-store')]
        start_response(status, headers)
        return [] if environ.get('REQUEST_METHOD') == 'HEAD' else [body]

    def __call__(self, environ, start_response):
        if environ.get('REQUEST_METHOD') not in ('GET', 'HEAD') or \
                environ.get('PATH_INFO', '').rstrip('/') != self.path:
            return self.app(environ, start_response)
        document = {'status': 'OK', 'version': VERSION, 'pid': os.getpid()}
        if self.disable_file and os.path.exists(self.disable_file):
            document['status'] = 'DISABLED BY FILE'
            return self._answer(environ, start_response, '503 Service Unavailable',
                                ['DISABLED BY FILE'], document)
        status = '200 OK'
        if not self.upstream_check or not self.upstream:
            state = 'not checked'
            document['upstream'] = {'checked': False}
        else:
            result = self.upstream_state()
            state = 'reachable' if result['reachable'] else 'unreachable'
            document['upstream'] = dict(result, checked=True, url=_public_url(self.upstream))
            if not result['reachable'] and self.fail_when_down:
                status = '503 Service Unavailable'
                document['status'] = 'UPSTREAM UNREACHABLE'
        first = 'OK' if status.startswith('200') else document['status']
        return self._answer(environ, start_response, status,
                            [first, 'upstream: ' + state], document)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def healthcheck_filter(app):
        return HealthcheckMiddleware(app, conf)
    return healthcheck_filter
