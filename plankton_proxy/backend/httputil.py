"""Small HTTP helpers shared by the backend's services (no service logic here)."""

import datetime
import email.utils
import json
from urllib.parse import quote, unquote_to_bytes

from webob import Response

from .faults import BadRequest, LengthRequired

READ_CHUNK = 64 * 1024


class ClientDisconnected(Exception):
    """The request body ended before its announced length (or the peer vanished)."""


def wsgi_str_to_text(value):
    """A PEP 3333 native string (latin-1 transport of raw bytes) as real UTF-8 text."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def unquote_utf8(value, message='Could not decode request as UTF-8 string'):
    """Percent-decode a header value (received as latin-1 text) to UTF-8 text; 400 if bad."""
    try:
        raw = value.encode('latin-1')
    except UnicodeEncodeError:
        raw = value.encode('utf-8')
    try:
        return unquote_to_bytes(raw).decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest(message)


def quote_value(value, safe='/'):
    return quote(str(value).encode('utf-8'), safe=safe)


def http_date(timestamp):
    return email.utils.formatdate(timestamp, usegmt=True)


def iso_date(timestamp):
    return datetime.datetime.fromtimestamp(
        timestamp, datetime.timezone.utc).isoformat()


def plankton_date(timestamp):
    return datetime.datetime.fromtimestamp(
        timestamp, datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S')


def json_response(document, status=200, content_type='application/json; charset=UTF-8'):
    resp = Response(status=status, content_type=None)
    resp.headers['Content-Type'] = content_type
    resp.body = json.dumps(document).encode('utf-8')
    return resp


def empty_response(status, content_type=None):
    resp = Response(status=status, content_type=None)
    if content_type:
        resp.headers['Content-Type'] = content_type
    return resp


def is_chunked(environ):
    return 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()


def request_length(environ):
    """The declared body length, or None when the body is chunked; 411 otherwise."""
    if is_chunked(environ):
        return None
    raw = environ.get('CONTENT_LENGTH', '')
    try:
        length = int(raw)
    except ValueError:
        raise LengthRequired('Missing or invalid Content-Length header')
    if length < 0:
        raise LengthRequired('Missing or invalid Content-Length header')
    return length


def iter_body(environ, length):
    """Yield the request body in pieces without holding it in memory.

    ``length`` None means chunked: read until the server reports the end.  A body that
    stops short of ``length`` raises ClientDisconnected.
    """
    stream = environ['wsgi.input']
    if length is None:
        while True:
            try:
                piece = stream.read(READ_CHUNK)
            except (IOError, OSError, ValueError) as exc:
                raise ClientDisconnected(str(exc))
            if not piece:
                return
            yield piece
    remaining = length
    while remaining > 0:
        try:
            piece = stream.read(min(READ_CHUNK, remaining))
        except (IOError, OSError, ValueError) as exc:
            raise ClientDisconnected(str(exc))
        if not piece:
            raise ClientDisconnected('body ended %d bytes early' % remaining)
        remaining -= len(piece)
        yield piece


def read_small_body(environ, limit=16 * 1024 * 1024):
    """The whole body of a small (JSON or single-block) request."""
    length = request_length(environ) if (environ.get('CONTENT_LENGTH')
                                         or is_chunked(environ)) else 0
    data = bytearray()
    for piece in iter_body(environ, length):
        data += piece
        if len(data) > limit:
            raise BadRequest('Request body too large')
    return bytes(data)
