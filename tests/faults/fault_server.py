"""A misbehaving upstream on loopback, written on raw sockets.

``FaultServer(fault)`` listens on 127.0.0.1 and answers like a small S16+
Plankton (HEAD of one image, an empty detail list, register/update
accepted) except for the requests whose method is in ``methods``: those get
``fault``, one of ``FAULTS``.  It records every request it read
(``requests``: ``(method, path)``) and every connection it accepted, so a
test can count retries.

Nothing here sleeps longer than ``hold`` seconds (``blackhole``) or
``delay`` seconds (``slow``); ``close()`` wakes every waiting connection.
"""

import json
import socket
import struct
import threading
import time

IMAGE_ID = '6f2b8a4e-8c1d-4f3a-9a7e-1d2c3b4a5f60'
OWNER = 'a1b2c3d4-0000-4000-8000-000000000001'

#: fault -> what the upstream does after reading the request head.
FAULTS = {
    'blackhole': 'accepts, reads the request and never answers',
    'slow': 'answers correctly after `delay` seconds',
    'close_before_answer': 'closes the connection (FIN) without answering',
    'reset_before_answer': 'resets the connection (RST) without answering',
    'reset_mid_body': 'sends headers and part of the body, then resets',
    'truncated': 'sends headers and part of the body, then closes (FIN)',
    'stall_mid_body': 'sends headers and part of the body, then stalls',
    'status_500': 'answers 500 with a JSON fault',
    'status_503': 'answers 503 with Retry-After: 7',
    'not_http': 'answers a line that is not HTTP, then closes',
    'bad_json': 'answers 200 application/json with a body that is not JSON',
    'bad_content_length': 'answers with Content-Length: banana',
    'drop_upload': 'reads 1 KiB of the request body, then resets',
}


def image_headers(name='fault-image'):
    return [
        ('X-Image-Meta-Id', IMAGE_ID),
        ('X-Image-Meta-Name', name),
        ('X-Image-Meta-Disk-Format', 'diskdump'),
        ('X-Image-Meta-Container-Format', 'bare'),
        ('X-Image-Meta-Size', '1024'),
        ('X-Image-Meta-Checksum', ''),
        ('X-Image-Meta-Location', 'pithos://%s/images/fault.img' % OWNER),
        ('X-Image-Meta-Status', 'AVAILABLE'),
        ('X-Image-Meta-Is-Public', 'False'),
        ('X-Image-Meta-Owner', OWNER),
        ('X-Image-Meta-Created-At', '2026-01-01 00:00:00'),
        ('X-Image-Meta-Updated-At', '2026-01-01 00:00:00'),
        ('X-Image-Meta-Deleted-At', ''),
        ('X-Image-Meta-Is-Snapshot', 'False'),
    ]


def _reply(status, headers=(), body=b'', head=False):
    lines = ['HTTP/1.1 %s' % status]
    headers = list(headers)
    if not any(k.lower() == 'content-length' for k, _ in headers):
        headers.append(('Content-Length', str(len(body))))
    lines += ['%s: %s' % kv for kv in headers]
    out = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    return out if head else out + body


def good_answer(method, path):
    """What a healthy small Plankton answers."""
    if path.endswith('/images/detail') or path.endswith('/images'):
        body = b'[]'
        return _reply('200 OK', [('Content-Type', 'application/json')], body,
                      head=(method == 'HEAD'))
    if '/members' in path:
        if method == 'GET':
            return _reply('200 OK', [('Content-Type', 'application/json')],
                          json.dumps({'members': []}).encode())
        return _reply('204 No Content')
    if method in ('HEAD', 'POST', 'PUT'):
        return _reply('200 OK', image_headers(), head=True) if method == 'HEAD' \
            else _reply('200 OK', image_headers() + [('Content-Length', '0')])
    if method == 'DELETE':
        return _reply('204 No Content')
    return _reply('200 OK', [('Content-Type', 'application/json')], b'{}')


class FaultServer(object):

    def __init__(self, fault, methods=('GET', 'HEAD', 'POST', 'PUT', 'DELETE'),
                 delay=0.0, hold=10.0):
        assert fault in FAULTS, fault
        self.fault = fault
        self.methods = frozenset(methods)
        self.delay = delay
        self.hold = hold
        self.requests = []
        self.connections = 0
        self._stop = threading.Event()
        self._socks = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.sock.getsockname()[1]

    def close(self):
        self._stop.set()
        self.thread.join(5)
        self.sock.close()
        for conn in list(self._socks):
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- serving ------------------------------------------------------------

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            self._socks.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_head(self, conn, buf):
        while b'\r\n\r\n' not in buf:
            data = conn.recv(65536)
            if not data:
                return None, buf
            buf += data
        head, _, rest = buf.partition(b'\r\n\r\n')
        return head, rest

    def _serve(self, conn):
        conn.settimeout(self.hold + 1)
        buf = b''
        try:
            while not self._stop.is_set():
                head, buf = self._read_head(conn, buf)
                if head is None:
                    return
                lines = head.decode('latin-1').split('\r\n')
                method, path = lines[0].split(' ')[:2]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(':')
                    headers[name.strip().lower()] = value.strip()
                self.requests.append((method, path))
                faulty = method in self.methods
                if faulty and self.fault == 'drop_upload':
                    while len(buf) < 1024:
                        data = conn.recv(65536)
                        if not data:
                            break
                        buf += data
                    return self._reset(conn)
                buf = self._skip_body(conn, headers, buf)
                if not faulty:
                    conn.sendall(good_answer(method, path))
                    continue
                if not self._misbehave(conn, method, path):
                    return
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _skip_body(self, conn, headers, buf):
        if 'chunked' in headers.get('transfer-encoding', ''):
            while not buf.endswith(b'0\r\n\r\n'):
                data = conn.recv(65536)
                if not data:
                    break
                buf += data
            return b''
        length = int(headers.get('content-length') or 0)
        while len(buf) < length:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
        return buf[length:]

    @staticmethod
    def _reset(conn):
        # SO_LINGER with a zero timeout: close() sends RST, not FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        conn.close()

    def _misbehave(self, conn, method, path):
        """Act out the fault; True when the connection may serve on."""
        fault = self.fault
        if fault == 'blackhole':
            self._stop.wait(self.hold)
            return False
        if fault == 'slow':
            self._stop.wait(self.delay)
            conn.sendall(good_answer(method, path))
            return True
        if fault == 'close_before_answer':
            return False
        if fault == 'reset_before_answer':
            self._reset(conn)
            return False
        if fault in ('reset_mid_body', 'truncated', 'stall_mid_body'):
            conn.sendall(_reply('200 OK', [('Content-Type', 'application/json'),
                                           ('Content-Length', '4096')] +
                                (image_headers() if method != 'GET' else []),
                                b'[' + b' ' * 99))
            time.sleep(0.05)
            if fault == 'stall_mid_body':
                self._stop.wait(self.hold)
            if fault == 'reset_mid_body':
                self._reset(conn)
            return False
        if fault == 'status_500':
            conn.sendall(_reply('500 Internal Server Error',
                                [('Content-Type', 'application/json')],
                                b'{"computeFault": {"code": 500, "message": "boom"}}',
                                head=(method == 'HEAD')))
            return True
        if fault == 'status_503':
            conn.sendall(_reply('503 Service Unavailable',
                                [('Content-Type', 'application/json'),
                                 ('Retry-After', '7')],
                                b'{"serviceUnavailable": {"code": 503, '
                                b'"message": "maintenance"}}', head=(method == 'HEAD')))
            return True
        if fault == 'not_http':
            conn.sendall(b'SSH-2.0-OpenSSH_9.6 definitely not http\r\n')
            return False
        if fault == 'bad_json':
            if method == 'HEAD':
                conn.sendall(good_answer(method, path))
                return True
            conn.sendall(_reply('200 OK', [('Content-Type', 'application/json')],
                                b'{"images": [ this is not json'))
            return True
        if fault == 'bad_content_length':
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'
                         b'Content-Length: banana\r\n\r\n[]')
            return False
        raise AssertionError(fault)


def refused_url():
    """A loopback URL where nothing listens (the port was just freed)."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:%d' % port
