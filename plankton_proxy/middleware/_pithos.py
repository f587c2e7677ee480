"""The Pithos object API as the data filters use it.  Not a filter.

Talks only to the configured ``pithos_url`` (a pool of kept-alive
connections to that one host), always with the caller's own token, and
streams bodies both ways: nothing here holds an image in memory.  The
token is sent, never logged.
"""

import hashlib
import logging
import types
from urllib.parse import quote, urlsplit

import urllib3
import urllib3.connectionpool

from plankton_proxy import translation as tr

LOG = logging.getLogger(__name__)


class ClientGone(Exception):
    """The client stopped sending the body before its end."""


class TooLarge(Exception):
    """The body grew past the size cap."""


class SourceBroken(Exception):
    """The source being copied from broke off mid-stream."""


class Meter(object):
    """Iterate a body in chunks, computing MD5, sha512 and size, enforcing a cap.

    ``stream``: a file-like ``read(n)`` (``wsgi.input``) or an iterable of
    byte strings.  ``length``: the declared length (None: read to the end).
    """

    def __init__(self, stream, length=None, cap=None, chunk_size=65536):
        self.stream = stream
        self.length = length
        self.cap = cap
        self.chunk_size = chunk_size
        self.md5 = hashlib.md5()
        self.multihash = hashlib.new(tr.OS_HASH_ALGO)
        self.size = 0
        self.error = None

    @property
    def checksum(self):
        return self.md5.hexdigest()

    @property
    def os_hash(self):
        """Image API v2's ``os_hash_value`` (``tr.OS_HASH_ALGO``) of the data."""
        return self.multihash.hexdigest()

    def _account(self, data):
        self.size += len(data)
        if self.cap is not None and self.size > self.cap:
            self.error = TooLarge()
            raise self.error
        self.md5.update(data)
        self.multihash.update(data)

    def __iter__(self):
        if not hasattr(self.stream, 'read'):
            try:
                for data in self.stream:
                    if data:
                        self._account(data)
                        yield data
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                self.error = SourceBroken(str(exc))
                raise self.error
            if self.length is not None and self.size != self.length:
                self.error = SourceBroken('short source')
                raise self.error
            return
        while True:
            want = self.chunk_size
            if self.length is not None:
                want = min(want, self.length - self.size)
                if want <= 0:
                    return
            try:
                data = self.stream.read(want)
            except (IOError, OSError, ValueError) as exc:
                self.error = ClientGone(str(exc))
                raise self.error
            if not data:
                if self.length is not None:
                    self.error = ClientGone('body ended before Content-Length')
                    raise self.error
                return
            self._account(data)
            yield data


class Pithos(object):
    """A small Pithos client for one ``pithos_url`` (``.../object-store/v1``)."""

    def __init__(self, pithos_url, connect_timeout=5.0, read_timeout=60.0,
                 pool_size=16, verify_tls=True, ca_file=None, chunk_size=65536):
        parts = urlsplit((pithos_url or '').strip())
        if parts.scheme not in ('http', 'https') or not parts.netloc:
            raise ValueError('"pithos_url" must be an http(s) URL, got %r' % pithos_url)
        self.base_path = parts.path.rstrip('/')
        self.chunk_size = chunk_size
        tls = {}
        if parts.scheme == 'https':
            tls = {'cert_reqs': 'CERT_REQUIRED' if verify_tls else 'CERT_NONE'}
            if ca_file:
                tls['ca_certs'] = ca_file
        self.pool = urllib3.connectionpool.connection_from_url(
            '%s://%s' % (parts.scheme, parts.netloc), maxsize=pool_size, block=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            retries=False, **tls)

    @classmethod
    def from_conf(cls, conf):
        from plankton_proxy.middleware import _common as c
        url = conf.get('pithos_url')
        if not url:
            return None
        return cls(url, connect_timeout=c.conf_float(conf, 'pithos_connect_timeout', 5.0),
                   read_timeout=c.conf_float(conf, 'pithos_read_timeout', 60.0),
                   verify_tls=c.conf_bool(conf, 'verify_tls', True),
                   ca_file=(conf.get('ca_file') or '').strip() or None,
                   chunk_size=c.conf_int(conf, 'chunk_size', 65536))

    def path(self, account, container=None, name=None):
        path = self.base_path + '/' + quote(account, safe='@')
        if container is not None:
            path += '/' + quote(container, safe='')
        if name is not None:
            path += '/' + quote(name, safe='/')
        return path

    def request(self, method, path, token, headers=None, body=None, preload=True,
                query=''):
        hdrs = {'X-Auth-Token': token or ''}
        hdrs.update(headers or {})
        chunked = isinstance(body, (types.GeneratorType, Meter))
        if chunked and 'Content-Length' in hdrs:
            chunked = False
        if isinstance(body, Meter):
            body = iter(body)
        return self.pool.urlopen(
            method, path + ('?' + query if query else ''), body=body, headers=hdrs,
            retries=False, redirect=False, assert_same_host=True,
            preload_content=preload, decode_content=False, chunked=chunked)

    def ensure_container(self, account, container, token):
        """Create the container if needed (201 new, 202 existing); -> None,
        or the failed reply.  Asked on every upload: a user may delete the
        container at any time, and one small request is nothing next to an
        image."""
        resp = self.request('PUT', self.path(account, container), token,
                            {'Content-Length': '0'})
        if resp.status in (201, 202, 204):
            return None
        return resp

    def put(self, account, container, name, token, meter, length=None, extra=None):
        """Stream ``meter`` into the object; -> the urllib3 reply (read)."""
        # Every file the proxy writes carries the marker (decision 16): a
        # Pithos PUT replaces the object's metadata, so it is sent each time.
        headers = {'Content-Type': tr.PITHOS_DATA_CONTENT_TYPE,
                   tr.UPLOAD_MARKER_HEADER: tr.UPLOAD_MARKER_VALUE}
        if length is not None:
            headers['Content-Length'] = str(length)
        headers.update(extra or {})
        body = meter if (length is None or length > 0) else b''
        return self.request('PUT', self.path(account, container, name), token,
                            headers, body=body)

    def delete(self, account, container, name, token):
        try:
            resp = self.request('DELETE', self.path(account, container, name), token)
            return resp.status
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            LOG.warning('Pithos DELETE failed: %s', exc.__class__.__name__)
            return None

    def head(self, account, container, name, token):
        return self.request('HEAD', self.path(account, container, name), token)

    def get(self, account, container, name, token, headers=None):
        """A streaming GET (``preload=False``): the caller drains and releases."""
        return self.request('GET', self.path(account, container, name), token,
                            headers, preload=False)


def stream_reply(resp, chunk_size=65536):
    """Iterate a streaming urllib3 reply; release or drop the connection."""
    done = False
    try:
        for data in resp.stream(chunk_size, decode_content=False):
            if data:
                yield data
        done = True
    finally:
        if done:
            resp.release_conn()
        else:
            resp.close()


def pithos_message(resp):
    try:
        body = resp.data
    except Exception:
        body = b''
    return tr.plankton_error_message(body, resp.headers.get('Content-Type', ''))
