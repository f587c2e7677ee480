"""Refuse, before any work is done, what no Glance v1 client sends.

Put it right after ``versions``, before every other filter: what it
refuses never costs an upstream request, a body read or a parse.

* **paths outside the image API**: only ``/images...`` and
  ``/shared-images/...`` (below the ``/v1`` prefix) are served; anything
  else -> 404, and a method Glance v1 does not route for a path -> 405 with
  ``Allow``.  So no client request can reach an upstream path that the
  translation filters do not know.  (``/v2`` paths are ``glance_v2``'s to
  route: it answers 404 itself for what it does not serve);
* **headers**: more than ``max_header_count`` -> 400; a header line longer
  than ``max_header_size`` -> 400; a name outside the HTTP token set or a
  value with a control character (NUL, CR, LF...) -> 400;
* **URL** longer than ``max_url_length`` -> 414;
* **metadata bodies** (JSON, every v1 member-list body, every v2 body but
  ``PUT /v2/images/<id>/file``) larger than ``max_json_body`` -> 413
  (Glance's code for "too large"), sized or chunked; image data is not a
  metadata body and is not limited here;
* **properties**: a name longer than ``max_property_name`` or a value longer
  than ``max_property_value`` characters (``x-image-meta-property-*``
  headers, or the ``properties`` of a JSON body) -> 400.  The number of
  properties is ``glance_images``' ``property_quota`` (413).

Errors have the one shape of decision 14.  Sub-requests of the translation
filters never pass here (they go further down the pipeline).

Configuration (every option, with its default)::

    [filter:limits]
    use = egg:plankton_proxy#limits
    max_header_count = 100
    max_header_size = 16384
    max_url_length = 8192
    max_json_body = 65536
    max_property_name = 255
    max_property_value = 65535
"""

import io
import json
import re

from plankton_proxy.middleware import _common as c

#: Methods Glance v1 routes, per kind of path (``_common.route``).
ALLOWED_METHODS = {
    'root': ('GET',),
    'index': ('GET', 'HEAD', 'POST'),
    'detail': ('GET', 'HEAD'),
    'image': ('GET', 'HEAD', 'PUT', 'DELETE'),
    'file': ('GET', 'HEAD'),
    'members': ('GET', 'PUT'),
    'member': ('GET', 'PUT', 'DELETE'),
    'shared': ('GET', 'HEAD'),
}

#: RFC 9110 token characters (header names).
TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
#: Control characters other than horizontal tab (header values).
CONTROL_RE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')

PROPERTY_HEADER = 'HTTP_X_IMAGE_META_PROPERTY_'
#: Set by ``versions``: the API a request was routed to ('v1' or 'v2').
API_VERSION_KEY = 'plankton_proxy.api_version'
CGI_HEADERS = ('CONTENT_TYPE', 'CONTENT_LENGTH')


class RequestLimits(object):

    def __init__(self, app, conf):
        self.app = app
        self.max_header_count = c.conf_int(conf, 'max_header_count', 100)
        self.max_header_size = c.conf_int(conf, 'max_header_size', 16384)
        self.max_url_length = c.conf_int(conf, 'max_url_length', 8192)
        self.max_json_body = c.conf_int(conf, 'max_json_body', 65536)
        self.max_property_name = c.conf_int(conf, 'max_property_name', 255)
        self.max_property_value = c.conf_int(conf, 'max_property_value', 65535)

    def __call__(self, environ, start_response):
        try:
            self.check(environ)
        except _Refused as exc:
            resp = c.glance_error(exc.status, exc.message, environ, exc.headers)
            return resp(environ, start_response)
        return self.app(environ, start_response)

    # -- checks ---------------------------------------------------------------

    def check(self, environ):
        self.check_url(environ)
        self.check_headers(environ)
        if environ.get(API_VERSION_KEY) == 'v2':
            # glance_v2 routes (and 404s) v2 paths itself; every v2 body but
            # image data (PUT .../file) is a metadata body.
            if not environ.get('PATH_INFO', '').endswith('/file'):
                self.check_body(environ, 'v2')
            return
        kind = self.check_route(environ)
        self.check_body(environ, kind)

    def check_url(self, environ):
        length = len(environ.get('PATH_INFO', '')) + len(environ.get('QUERY_STRING', ''))
        if length > self.max_url_length:
            raise _Refused(414, 'The request URL is longer than %d bytes.'
                           % self.max_url_length)

    def check_headers(self, environ):
        count = 0
        for key, value in environ.items():
            if key.startswith('HTTP_'):
                name = key[5:]
            elif key in CGI_HEADERS:
                name = key
            else:
                continue
            count += 1
            if not isinstance(value, str):
                continue
            if not TOKEN_RE.match(name):
                raise _Refused(400, 'Invalid header name.')
            if CONTROL_RE.search(value):
                raise _Refused(400, 'Invalid character in the value of header %s.'
                               % _header_name(name))
            if len(name) + len(value) + 2 > self.max_header_size:
                raise _Refused(400, 'Header %s is longer than %d bytes.'
                               % (_header_name(name), self.max_header_size))
            if key.startswith(PROPERTY_HEADER):
                self.check_property(key[len(PROPERTY_HEADER):].lower(), value)
        if count > self.max_header_count:
            raise _Refused(400, 'Too many headers: %d, at most %d are accepted.'
                           % (count, self.max_header_count))

    def check_property(self, name, value):
        if not isinstance(name, str) or not isinstance(value, (str, type(None))):
            return
        if len(name) > self.max_property_name:
            raise _Refused(400, 'Property name is longer than %d characters.'
                           % self.max_property_name)
        if value is not None and len(value) > self.max_property_value:
            raise _Refused(400, "Value of property '%s' is longer than %d characters."
                           % (name[:64], self.max_property_value))

    def check_route(self, environ):
        path = environ.get('PATH_INFO', '')
        kind, _, _ = c.route(path)
        if kind == 'bad':
            return kind          # glance_images answers Glance's 404
        if kind is None:
            raise _Refused(404, 'The resource could not be found.')
        if kind == 'index' and path in ('', '/'):
            kind = 'root'
        method = environ['REQUEST_METHOD']
        allowed = ALLOWED_METHODS[kind]
        if method not in allowed:
            raise _Refused(405, 'The method %s is not allowed for this resource.'
                           % method[:32], {'Allow': ', '.join(allowed)})
        return kind

    def check_body(self, environ, kind):
        method = environ['REQUEST_METHOD']
        if method not in ('POST', 'PUT', 'PATCH'):
            return
        metadata = kind in ('members', 'member', 'v2') or c.is_json_body(environ)
        if not metadata:
            return
        length = environ.get('CONTENT_LENGTH')
        chunked = 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
        if length not in (None, '') and not chunked:
            try:
                length = int(length)
            except ValueError:
                raise _Refused(400, 'Invalid Content-Length.')
            if length < 0:
                raise _Refused(400, 'Invalid Content-Length.')
            if length > self.max_json_body:
                raise _Refused(413, 'The request body is larger than %d bytes.'
                               % self.max_json_body)
            if not c.is_json_body(environ) or kind not in ('index', 'image'):
                return
            body = environ['wsgi.input'].read(length) if length else b''
        elif chunked:
            body = environ['wsgi.input'].read(self.max_json_body + 1)
            if len(body) > self.max_json_body:
                raise _Refused(413, 'The request body is larger than %d bytes.'
                               % self.max_json_body)
            environ.pop('HTTP_TRANSFER_ENCODING', None)
        else:
            return
        # Hand the (small) body on as a sized one.
        environ['wsgi.input'] = io.BytesIO(body)
        environ['CONTENT_LENGTH'] = str(len(body))
        if c.is_json_body(environ) and kind in ('index', 'image'):
            self.check_json_properties(body)

    def check_json_properties(self, body):
        try:
            doc = json.loads(body.decode('utf-8'))
        except (ValueError, RecursionError):
            return               # glance_normalize answers 400 for it
        if isinstance(doc, dict) and isinstance(doc.get('image'), dict):
            doc = doc['image']
        if not isinstance(doc, dict):
            return
        props = doc.get('properties')
        if isinstance(props, dict):
            for name, value in props.items():
                self.check_property(name, value if isinstance(value, str) else None)


class _Refused(Exception):
    def __init__(self, status, message, headers=None):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.headers = headers


def _header_name(cgi_name):
    return '-'.join(part.capitalize() for part in cgi_name.split('_'))[:64]


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return RequestLimits(app, conf)
    return factory
