"""The embedded backend behind a recorder, served from the test process, so
that a test sees every request the proxy sends upstream."""

import contextlib
import re
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from plankton_proxy.backend.app import load_users, make_app
from plankton_proxy.testing import DEMO_USERS_FILE

#: What the proxy may ask the upstream: the Plankton image API (below
#: /image/v1.0) and the identity service's token check, nothing else.
IMAGE_API = re.compile(
    r'^/image/v1\.0/images/?$|'
    r'^/image/v1\.0/images/detail$|'
    r'^/image/v1\.0/images/[^/]+$|'
    r'^/image/v1\.0/images/[^/]+/members/?$|'
    r'^/image/v1\.0/images/[^/]+/members/[^/]+$|'
    r'^/identity/v2\.0/tokens/?$')
UPSTREAM_METHODS = frozenset(('GET', 'HEAD', 'POST', 'PUT', 'DELETE'))


class Recorder(object):
    def __init__(self, app):
        self.app = app
        self.seen = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.seen.append((environ['REQUEST_METHOD'],
                              environ.get('PATH_INFO', ''),
                              environ.get('QUERY_STRING', '')))
        return self.app(environ, start_response)

    def outside_api(self, since=0):
        """Recorded requests, from index ``since``, that the proxy should
        never have sent."""
        return [(m, p, q) for m, p, q in self.seen[since:]
                if m not in UPSTREAM_METHODS or not IMAGE_API.match(p)]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def recorded_backend(dialect='s16'):
    """-> (base URL, Recorder) of the embedded backend (in memory)."""
    users = load_users(DEMO_USERS_FILE)
    holder = {}
    server = make_server('127.0.0.1', 0, lambda e, s: holder['app'](e, s),
                         server_class=_Server, handler_class=_Quiet)
    url = 'http://127.0.0.1:%d' % server.server_port
    backend = make_app(users=users, dialect=dialect, paginate=True, public_url=url)
    recorder = holder['app'] = Recorder(backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, recorder
    finally:
        server.shutdown()
        server.server_close()
        if hasattr(backend, 'close'):
            backend.close()
