"""A scriptable HTTP upstream on loopback, for testing the forwarding layer.

It is a real threaded HTTP/1.1 server.  Paths (below any base prefix):

- ``.../echo``        -> 200 JSON: method, path, query, headers, body size + MD5
- ``.../sink``        -> reads the body (sized or chunked) -> 200 JSON size + MD5
- ``.../source?size=N[&chunked=1]`` -> N bytes of a repeating pattern
- ``.../slow?delay=S`` -> waits S seconds, then 200
- ``.../images/detail`` -> ``{"images": []}``
"""

import hashlib
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer, read_body, send_json

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
        for data in read_body(self):
            digest.update(data)
            size += len(data)
        return size, digest.hexdigest()

    def _json(self, status, document):
        send_json(self, status, document)

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


class FakeUpstream(LoopbackServer):
    def __init__(self):
        LoopbackServer.__init__(self, _Handler)
