"""Serve WSGI apps with eventlet: the default server of ``plankton-proxy``.

Nothing here knows what the apps do; the apps know nothing of eventlet
(decision 20), so the same paste pipeline runs under gunicorn or uwsgi too.
"""

import logging
import re
import signal

import eventlet
import eventlet.wsgi

LOG = logging.getLogger(__name__)


#: Query parameters whose values never reach a log line (a token or a
#: password sent in a URL, which no client should do but some do).
_SECRET_QUERY = re.compile(r'([?&;][^=&;\s"]*(?:token|password|secret|signature|credential|auth)'
                           r'[^=&;\s"]*=)[^&;\s"]*', re.IGNORECASE)


class _AccessLog(object):
    """eventlet writes its access log to a file-like object; send it to logging.
    Its lines carry the request line, never request headers; secret-looking
    query parameter values are replaced by ``***``."""

    def __init__(self, name):
        self.logger = logging.getLogger(name)

    def write(self, line):
        line = line.rstrip()
        if line:
            self.logger.info('%s', _SECRET_QUERY.sub(r'\1***', line))


#: Header names with underscores that Glance clients send and we must see
#: (``x-image-meta-disk_format``, ``x-glance-registry-purge-props``...).
UNDERSCORE_PREFIXES = ('x-image-meta-', 'x-glance-')


class EventletEnvironFix(object):
    """Undo two things eventlet.wsgi does to the environ.

    It drops every header whose name has an underscore (like nginx, gunicorn
    >= 22 and Django), but glanceclient sends ``x-image-meta-disk_format``,
    ``-is_public``, ``-min_ram``...; we restore those, and only those, from
    the raw header list eventlet keeps.  And it fills in ``CONTENT_TYPE`` as
    ``text/plain`` when the client sent none (openstacksdk's uploads), which
    would then travel upstream as if the client had said so.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        raw = environ.get('headers_raw')
        if raw is not None:
            seen_type = False
            for name, value in raw:
                lname = name.lower()
                if lname == 'content-type':
                    seen_type = True
                elif '_' in name and lname.startswith(UNDERSCORE_PREFIXES):
                    key = 'HTTP_' + name.upper().replace('-', '_')
                    if key in environ:
                        environ[key] += ',' + value
                    else:
                        environ[key] = value
            if not seen_type:
                environ.pop('CONTENT_TYPE', None)
        return self.app(environ, start_response)


#: Defaults of the tuning knobs (``plankton-proxy serve`` options).
DEFAULT_BACKLOG = 128
DEFAULT_CLIENT_TIMEOUT = 300
DEFAULT_MAX_CLIENTS = 1024


def listen(host, port, backlog=DEFAULT_BACKLOG):
    """Open a listening socket; port 0 picks a free one.

    A fixed port is opened with SO_REUSEPORT (eventlet's default), so that
    several ``serve`` processes can share it on purpose (benchmarks/hop.py
    measures that).  Port 0 is not: with SO_REUSEPORT Linux may hand the
    same free port to two listeners, even to the proxy and its own embedded
    backend, and requests then land on either."""
    return eventlet.listen((host, port), backlog=backlog, reuse_port=bool(port))


def spawn_server(sock, app, name, client_timeout=DEFAULT_CLIENT_TIMEOUT,
                 max_clients=DEFAULT_MAX_CLIENTS, environ_fix=True, capitalize_headers=True,
                 keepalive=True, access_log=True):
    """Serve ``app`` on ``sock`` in a green thread and return it.

    ``max_clients`` is the green thread pool: connections served at once
    (more wait in the listen backlog); ``keepalive=False`` closes every
    client connection after one request; ``access_log=False`` turns
    eventlet's own request lines (logger ``plankton_proxy.server.<name>``)
    off, for an app that logs its requests itself (the ``access_log``
    filter) or when no line per request is wanted.  ``environ_fix=False`` leaves eventlet's environ
    as it is: the embedded backend wants that, since a real Synnefo behind
    nginx drops underscore header names just the same, and
    ``capitalize_headers=False`` keeps its lower-case ``x-image-meta-*``
    reply names as Plankton sends them."""
    return eventlet.spawn(
        eventlet.wsgi.server, sock, EventletEnvironFix(app) if environ_fix else app,
        log=_AccessLog('plankton_proxy.server.' + name),
        log_output=access_log,
        socket_timeout=client_timeout,
        max_size=max_clients,
        capitalize_response_headers=capitalize_headers,
        keepalive=keepalive,
        # A crash answers a bare 500: tracebacks go to the log, not to clients.
        debug=False)


class _Stopper(object):
    """SIGINT and SIGTERM only set a flag; the main green thread notices it
    within ``poll`` seconds. (Raising from the handler would land in whatever
    green thread happened to run, and could be lost.)"""

    def __init__(self, poll=0.1):
        self.poll = poll
        self.requested = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._request)

    def _request(self, signum, frame):
        self.requested = True


def wait_forever(threads, sockets, poll=0.1):
    """Serve until SIGINT/SIGTERM (or until a server dies); then close every
    listening socket and end the servers."""
    stopper = _Stopper(poll)
    try:
        while not stopper.requested and not any(t.dead for t in threads):
            eventlet.sleep(stopper.poll)
    finally:
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass
        for thread in threads:
            thread.kill()

