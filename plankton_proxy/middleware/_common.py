"""Helpers shared by the Glance v1 translation filters.

Not a filter.  Routing of the Glance v1 paths, sub-requests to the rest of
the pipeline (and so to the configured upstream only), and the one error
shape (``plankton_proxy.errors``).
"""

import hashlib
import io
import re
import threading
from urllib.parse import unquote

from webob import Request

from plankton_proxy.errors import error_response
from plankton_proxy.middleware._identity import CallerIdentity
from plankton_proxy import translation as tr

#: environ flag: this request is already in Plankton terms (a sub-request
#: made by a translation filter); Glance filters further down pass it on.
UPSTREAM_KEY = 'plankton_proxy.upstream'
#: environ flag: a translation filter answered with a Glance-shaped error.
RENDERED_KEY = 'plankton_proxy.glance_rendered'
#: environ key: the canonical RequestMeta parsed by glance_normalize.
META_KEY = 'plankton_proxy.request_meta'
#: environ key: the caller's token, percent-decoded.
TOKEN_KEY = 'plankton_proxy.token'
#: environ key: the Image API version a request was routed to ('v1', 'v2').
API_VERSION_KEY = 'plankton_proxy.api_version'

_UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                      r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')


def is_uuid_like(value):
    return bool(value) and bool(_UUID_RE.match(value))


def is_upstream(environ):
    return bool(environ.get(UPSTREAM_KEY))


def route(path):
    """Glance v1 path (relative to the API root) -> (kind, image_id, member).

    kinds: index, detail, image, file, members, member, shared, bad (a path
    under ours that Glance does not serve: 404), None (not ours).  The path
    is PATH_INFO, already percent-decoded by the server (PEP 3333)."""
    if path in ('', '/'):
        return ('index', None, None)
    parts = path.split('/')
    if parts[0] != '':
        return (None, None, None)
    parts = parts[1:]
    if parts[0] == 'images':
        if len(parts) == 1:
            return ('index', None, None)
        if len(parts) == 2:
            if parts[1] == '':
                return ('bad', None, None)
            if parts[1] == 'detail':
                return ('detail', None, None)
            return ('image', parts[1], None)
        image_id = parts[1]
        if len(parts) == 3 and parts[2] == 'file':
            return ('file', image_id, None)
        if len(parts) == 3 and parts[2] == 'members':
            return ('members', image_id, None)
        if len(parts) == 4 and parts[2] == 'members' and parts[3]:
            return ('member', image_id, parts[3])
        return ('bad', None, None)
    if parts[0] == 'shared-images':
        if len(parts) == 2 and parts[1]:
            return ('shared', None, parts[1])
        return ('bad', None, None)
    return (None, None, None)


def glance_error(status, message, environ, headers=None):
    """A Glance-shaped error (decision 14), marked as final for glance_errors."""
    environ[RENDERED_KEY] = True
    return error_response(status, message, environ, headers=headers)


def not_allowed(environ, allow):
    """Glance's 405 for this request's method, with ``Allow: <allow>``."""
    return glance_error(405, 'The method %s is not allowed for this resource.'
                        % environ['REQUEST_METHOD'], environ, headers={'Allow': allow})


def answer(handler, environ, *args, **kwargs):
    """``handler(environ, ...)``'s response; a refusal it raises
    (``translation.Invalid``) becomes its Glance error response."""
    try:
        return handler(environ, *args, **kwargs)
    except tr.Invalid as exc:
        return glance_error(exc.status, str(exc), environ)


def upstream_error(resp, environ, kind='read', image_id=None):
    """Re-render a Plankton error reply the Glance way, with the status remaps."""
    message = tr.plankton_error_message(resp.body, resp.content_type)
    status = tr.glance_status_for(resp.status_int, message, kind)
    if status == 404 and image_id is not None:
        message = 'Image with identifier %s not found' % image_id
    elif status == 401:
        message = message or 'This server could not verify that you are authorized.'
    elif not message:
        message = resp.status.split(' ', 1)[-1]
    headers = {}
    if status == 405 and resp.headers.get('Allow'):
        headers['Allow'] = resp.headers['Allow']
    if resp.headers.get('Retry-After'):
        headers['Retry-After'] = resp.headers['Retry-After']
    return glance_error(status, message, environ, headers=headers)


def is_glanceclient(environ):
    return environ.get('HTTP_USER_AGENT', '').startswith('python-glanceclient')


def is_sdk(environ):
    return 'openstacksdk' in environ.get('HTTP_USER_AGENT', '')


def json_show_agents(conf):
    """The ``json_show_agents`` option: User-Agent substrings whose
    ``GET /images/<id>`` gets JSON, not data."""
    return [a.strip() for a in conf.get('json_show_agents', 'openstacksdk').split(',')
            if a.strip()]


def wants_json(environ, agents):
    """Does this ``GET /images/<id>`` ask for the JSON image rather than its data?
    (``agents``: from :func:`json_show_agents`.)"""
    agent = environ.get('HTTP_USER_AGENT', '')
    if any(a in agent for a in agents):
        return True
    accept = environ.get('HTTP_ACCEPT', '')
    return 'application/json' in accept and not is_glanceclient(environ)


def caller_token(environ):
    if TOKEN_KEY in environ:
        return environ[TOKEN_KEY]
    token = environ.get('HTTP_X_AUTH_TOKEN')
    if token and is_glanceclient(environ) and '%' in token:
        token = unquote(token)
    return token


def caller_key(environ):
    token = caller_token(environ) or ''
    return hashlib.sha256(token.encode('utf-8', 'replace')).hexdigest()


def subrequest(app, environ, method, path, headers=(), body=b'', query='',
               face='upstream', meta=None, stream=None, length=None):
    """Call the rest of the pipeline; -> webob Response.

    ``face='upstream'``: a Plankton request (the translation filters below
    pass it on).  ``face='v1'``: a Glance v1 request that the v1 filters
    below translate (the v2 face reuses them this way), with ``meta`` (a
    RequestMeta) already parsed and, for image data, ``stream`` (a
    file-like body) of ``length`` bytes (None: chunked).

    Only the caller's token, host and the pipeline's own keys are copied
    from the client's request."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    env = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': environ.get('SCRIPT_NAME', ''),
        'PATH_INFO': path,
        'QUERY_STRING': query,
        'SERVER_NAME': environ.get('SERVER_NAME', 'localhost'),
        'SERVER_PORT': environ.get('SERVER_PORT', '80'),
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': environ.get('wsgi.url_scheme', 'http'),
        'wsgi.input': io.BytesIO(body),
        'wsgi.errors': environ.get('wsgi.errors'),
        'wsgi.multithread': environ.get('wsgi.multithread', True),
        'wsgi.multiprocess': environ.get('wsgi.multiprocess', False),
        'wsgi.run_once': False,
        'CONTENT_LENGTH': str(len(body)),
    }
    for key, value in environ.items():
        if key.startswith('plankton_proxy.') and key not in (
                META_KEY, RENDERED_KEY, UPSTREAM_KEY):
            env[key] = value
    if face == 'upstream':
        env[UPSTREAM_KEY] = True
    else:
        env[API_VERSION_KEY] = face
        if meta is not None:
            env[META_KEY] = meta
        if stream is not None:
            env['wsgi.input'] = stream
            if length is None:
                del env['CONTENT_LENGTH']
                env['HTTP_TRANSFER_ENCODING'] = 'chunked'
            else:
                env['CONTENT_LENGTH'] = str(length)
    for key in ('HTTP_HOST', 'HTTP_X_OPENSTACK_REQUEST_ID', 'REMOTE_ADDR'):
        if key in environ:
            env[key] = environ[key]
    token = caller_token(environ)
    if token is not None:
        env['HTTP_X_AUTH_TOKEN'] = token
    for name, value in headers:
        key = name.upper().replace('-', '_')
        if key == 'CONTENT_TYPE':
            env['CONTENT_TYPE'] = value
        else:
            env['HTTP_' + key] = value
    resp = Request(env).get_response(app)
    # Read the (metadata-sized) body now, even when the caller only looks at
    # the headers: the upstream connection goes back to the pool, and a reply
    # the registry broke off raises errors.UpstreamError (502) here instead of
    # passing for a success.
    resp.body
    return resp


def fetch_image(app, environ, translator, image_id):
    """HEAD the image upstream -> (canonical Glance image, None) or (None, a
    Glance-shaped error response)."""
    if not image_id or '/' in image_id or image_id in tr.PLANKTON_IMAGES_SUBROUTES:
        return None, glance_error(
            404, 'Image with identifier %s not found' % image_id, environ)
    resp = subrequest(app, environ, 'HEAD', '/images/%s' % image_id)
    if resp.status_int != 200:
        return None, upstream_error(resp, environ, 'read', image_id)
    return translator.image_from_plankton_headers(resp.headerlist), None


def meta_headers(environ):
    """The x-image-meta-* request headers with their field part as WSGI
    gives it (underscores, which equal dashes for Glance)."""
    for key, value in environ.items():
        if key.startswith('HTTP_X_IMAGE_META_'):
            yield 'x-image-meta-' + key[len('HTTP_X_IMAGE_META_'):].lower(), value
        elif key == 'HTTP_X_GLANCE_REGISTRY_PURGE_PROPS':
            yield tr.GLANCE_PURGE_HEADER, value
        elif key == 'HTTP_X_GLANCE_API_COPY_FROM':
            yield tr.GLANCE_COPY_FROM_HEADER, value


def read_body(environ, limit=1 << 20):
    """The request body (for metadata bodies), at most ``limit`` bytes."""
    stream = environ.get('wsgi.input')
    if stream is None:
        return b''
    length = environ.get('CONTENT_LENGTH')
    if length not in (None, ''):
        try:
            length = int(length)
        except ValueError:
            length = 0
        return stream.read(min(length, limit)) if length > 0 else b''
    if 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
        return stream.read(limit)
    return b''


def is_json_body(environ):
    return environ.get('CONTENT_TYPE', '').lower().startswith('application/json')


def has_data(environ):
    """True when the request carries image data (not JSON metadata).

    An empty chunked body (the glance CLI with ``</dev/null``) is no data.
    Peeks one byte of a chunked body and puts it back."""
    if is_json_body(environ):
        return False
    length = environ.get('CONTENT_LENGTH')
    if length not in (None, ''):
        try:
            return int(length) > 0
        except ValueError:
            return False
    if 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
        stream = environ.get('wsgi.input')
        first = stream.read(1) if stream is not None else b''
        if not first:
            return False
        environ['wsgi.input'] = _Prepend(first, stream)
        return True
    return False


class _Prepend(object):
    def __init__(self, head, stream):
        self.head = head
        self.stream = stream

    def read(self, size=-1):
        head, self.head = self.head, b''
        if size is None or size < 0:
            return head + self.stream.read()
        if size <= len(head):
            self.head = head[size:]
            return head[:size]
        return head + self.stream.read(size - len(head))

    def readline(self, size=-1):
        return self.read(size)


class KeyedLocks(object):
    """One lock per key (e.g. per image id), created on demand."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks = {}

    def __call__(self, key):
        return _KeyedLock(self, key)

    def _acquire(self, key):
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            if lock is None:
                lock = threading.Lock()
            self._locks[key] = (lock, users + 1)
        lock.acquire()
        return lock

    def _release(self, key, lock):
        lock.release()
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _KeyedLock(object):
    def __init__(self, owner, key):
        self.owner = owner
        self.key = key
        self.lock = None

    def __enter__(self):
        self.lock = self.owner._acquire(self.key)
        return self

    def __exit__(self, *exc):
        self.owner._release(self.key, self.lock)
        return False


def conf_bool(conf, name, default=False):
    value = conf.get(name)
    if value is None:
        return default
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on', 't', 'y')


def conf_int(conf, name, default):
    value = conf.get(name)
    if value in (None, ''):
        return default
    return int(value)


def conf_float(conf, name, default):
    value = conf.get(name)
    if value in (None, ''):
        return default
    return float(value)


def caller_identity(conf):
    """The cached identity lookup a filter's ``identity_url`` and
    ``identity_cache_ttl`` options describe (no URL: every caller unknown)."""
    return CallerIdentity(conf.get('identity_url') or None,
                          ttl=conf_float(conf, 'identity_cache_ttl', 60.0))
