"""Small threaded HTTP/1.1 servers on loopback for the tests: the common parts.

``LoopbackServer`` runs a ``BaseHTTPRequestHandler`` class on a free port of
127.0.0.1 as a context manager (``url``, ``seen``); ``read_body`` reads a
request body, sized or chunked; ``send_json`` answers a JSON document.
"""

import json
import threading
from http.server import ThreadingHTTPServer


def read_body(handler, block=65536):
    """Yield the request body of ``handler`` in pieces: ``Content-Length`` bytes,
    or the de-chunked ``Transfer-Encoding: chunked`` body.  ``IOError`` when the
    client sends less than it announced."""
    rfile = handler.rfile
    if 'chunked' in handler.headers.get('Transfer-Encoding', '').lower():
        while True:
            line = rfile.readline()
            length = int(line.split(b';')[0].strip() or b'0', 16)
            if length == 0:
                while rfile.readline() not in (b'\r\n', b'\n', b''):
                    pass            # trailers
                return
            yield from _read_exactly(rfile, length, block, 'short chunk')
            rfile.readline()
    else:
        yield from _read_exactly(rfile, int(handler.headers.get('Content-Length') or 0),
                                 block, 'short body')


def _read_exactly(rfile, left, block, message):
    while left:
        data = rfile.read(min(left, block))
        if not data:
            raise IOError(message)
        left -= len(data)
        yield data


def send_json(handler, status, document, headers=()):
    """Answer ``document`` as JSON with ``status`` (no body for HEAD)."""
    body = json.dumps(document).encode()
    handler.send_response(status)
    handler.send_header('Content-Type', 'application/json')
    handler.send_header('Content-Length', str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != 'HEAD':
        handler.wfile.write(body)


class LoopbackServer(object):
    """``handler_class`` served by a ThreadingHTTPServer on a free loopback port,
    while the ``with`` block runs.  ``attributes`` are set on the server (the
    handler reads them as ``self.server.<name>``); ``seen`` is a list the handler
    may record requests in."""

    def __init__(self, handler_class, **attributes):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), handler_class)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        for name, value in attributes.items():
            setattr(self.httpd, name, value)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.httpd.server_address[1]

    @property
    def seen(self):
        return self.httpd.seen

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
