"""The embedded backend behind a recorder, served from the test process, so
that a test sees every request the proxy sends upstream."""

import contextlib
import re
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from plankton_proxy.backend.app import load_users, make_app
from plankton_proxy.testing import DEMO_USERS_FILE

#: What the proxy may ask the upstream: the Plankton image API (below
#: /image/v1.0), the identity service's token check and (for image data) the
#: Pithos object API, nothing else.
IMAGE_API = re.compile(
    r'^/image/v1\.0/images/?$|'
    r'^/image/v1\.0/images/detail$|'
    r'^/image/v1\.0/images/[^/]+$|'
    r'^/image/v1\.0/images/[^/]+/members/?$|'
    r'^/image/v1\.0/images/[^/]+/members/[^/]+$|'
    r'^/identity/v2\.0/tokens/?$|'
    # The data path (decision 4) streams uploads into the configured Pithos.
    r'^/object-store/v1/[^/]+(/[^/]+(/.+)?)?$')
UPSTREAM_METHODS = frozenset(('GET', 'HEAD', 'POST', 'PUT', 'DELETE'))


class Recorder(object):
    """Records every request; ``fault = (method, path prefix, status, delay)``
    makes the matching requests wait ``delay`` seconds and answer ``status``
    without reaching the backend."""

    def __init__(self, app):
        self.app = app
        self.seen = []
        self.lock = threading.Lock()
        self.fault = None

    def __call__(self, environ, start_response):
        with self.lock:
            self.seen.append((environ['REQUEST_METHOD'],
                              environ.get('PATH_INFO', ''),
                              environ.get('QUERY_STRING', '')))
        fault = self.fault
        if fault and environ['REQUEST_METHOD'] == fault[0] and \
                environ.get('PATH_INFO', '').startswith(fault[1]):
            time.sleep(fault[3])
            start_response('%d Injected' % fault[2], [('Content-Type', 'text/plain'),
                                                      ('Content-Length', '8')])
            return [b'injected']
        if 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
            # wsgiref hands the raw socket stream on: undo the chunking, as
            # the servers the backend normally runs under do.
            environ['wsgi.input'] = _Dechunked(environ['wsgi.input'])
            environ.pop('CONTENT_LENGTH', None)
        return self.app(environ, start_response)

    def outside_api(self, since=0):
        """Recorded requests, from index ``since``, that the proxy should
        never have sent."""
        return [(m, p, q) for m, p, q in self.seen[since:]
                if m not in UPSTREAM_METHODS or not IMAGE_API.match(p)]


class _Dechunked(object):
    def __init__(self, raw):
        self.raw = raw
        self.left = 0
        self.done = False

    def read(self, size=-1):
        out = b''
        while not self.done and (size is None or size < 0 or len(out) < size):
            if self.left == 0:
                line = self.raw.readline()
                self.left = int(line.split(b';')[0].strip() or b'0', 16)
                if self.left == 0:
                    while self.raw.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    self.done = True
                    break
            want = self.left if size is None or size < 0 else min(self.left, size - len(out))
            data = self.raw.read(want)
            if not data:
                self.done = True
                break
            out += data
            self.left -= len(data)
            if self.left == 0:
                self.raw.readline()
        return out

    def readline(self, size=-1):
        return self.read(size)


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
