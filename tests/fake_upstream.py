"""A scriptable HTTP upstream on loopback, for testing the forwarding layer.

It is a real threaded HTTP/1.1 server.  Paths (below any base prefix):

- ``.../echo``        -> 200 JSON: method, path, query, headers, body size + MD5
- ``.../sink``        -> reads the body (sized or chunked) -> 200 JSON size + MD5
- ``.../source?size=N[&chunked=1]`` -> N bytes of a repeating pattern
- ``.../slow?delay=S`` -> waits S seconds, then 200
- ``.../images/detail`` -> ``{"images": []}``
"""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PATTERN = bytes(range(256)) * 256  # 64 KiB


def pattern_bytes(size):
    """Yield ``size`` bytes of the pattern the source endpoint sends."""
    left = size
    while left > 0:
        piece = PATTERN[:min(left, len(PATTERN))]
        left -= len(piece)
        yield piece


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _read_body(self):
        digest, size = hashlib.md5(), 0
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            while True:
                line = self.rfile.readline()
                length = int(line.split(b';')[0].strip() or b'0', 16)
                if length == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    break
                left = length
                while left:
                    data = self.rfile.read(min(left, 65536))
                    if not data:
                        raise IOError('short chunk')
                    digest.update(data)
                    size += len(data)
                    left -= len(data)
                self.rfile.readline()
        else:
            left = int(self.headers.get('Content-Length') or 0)
            while left:
                data = self.rfile.read(min(left, 65536))
                if not data:
                    raise IOError('short body')
                digest.update(data)
                size += len(data)
                left -= len(data)
        return size, digest.hexdigest()

    def _json(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _handle(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.server.seen.append({'method': self.command, 'path': url.path,
                                 'headers': dict(self.headers.items())})
        size, md5 = self._read_body()
        if url.path.endswith('/slow'):
            time.sleep(float(query.get('delay', ['2'])[0]))
            return self._json(200, {'slow': True})
        if url.path.endswith('/source'):
            total = int(query['size'][0])
            chunked = query.get('chunked', ['0'])[0] == '1'
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Connection', 'keep-alive, X-Secret-Hop')
            self.send_header('X-Secret-Hop', 'must-not-pass')
            if chunked:
                self.send_header('Transfer-Encoding', 'chunked')
            else:
                self.send_header('Content-Length', str(total))
            self.end_headers()
            for piece in pattern_bytes(total):
                if chunked:
                    self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
                else:
                    self.wfile.write(piece)
            if chunked:
                self.wfile.write(b'0\r\n\r\n')
            return
        if url.path.endswith('/images/detail'):
            return self._json(200, {'images': []})
        return self._json(200, {
            'method': self.command, 'path': url.path, 'query': url.query,
            'headers': dict(self.headers.items()), 'size': size, 'md5': md5})

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


class FakeUpstream(object):
    def __init__(self):
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
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
