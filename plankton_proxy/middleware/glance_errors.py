"""Glance-shaped errors for everything behind it.

Put it first after ``versions``.  It

* answers **401** when a request carries no ``X-Auth-Token`` (Glance's
  keystone pipeline does; Plankton would answer its own fault later);
* re-renders every error reply that a translation filter did not already
  render (upstream Plankton faults that passed through, empty 4xx/5xx
  bodies, HTML pages) into the one shape of decision 14, with Glance's
  status codes (``API endpoint not found`` and bad ids -> 404, Pithos'
  "more than N metadata items" -> 413, ...);
* turns ``errors.UpstreamError`` (a reply the registry broke off or garbled)
  into a 502 (504 when it stalled), and any other exception raised further down into a
  Glance-shaped 500.

Configuration::

    [filter:glance_errors]
    use = egg:plankton_proxy#glance_errors
    # Answer 401 to requests without X-Auth-Token.
    require_token = true
"""

import logging

from plankton_proxy import translation as tr
from plankton_proxy.errors import UpstreamError
from plankton_proxy.middleware import _common as c

LOG = logging.getLogger(__name__)


class GlanceErrors(object):

    def __init__(self, app, conf):
        self.app = app
        self.require_token = c.conf_bool(conf, 'require_token', True)

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        if self.require_token and not environ.get('HTTP_X_AUTH_TOKEN'):
            resp = c.glance_error(401, 'This server could not verify that you are '
                                  'authorized to access the document you '
                                  'requested. No X-Auth-Token was given.', environ)
            return resp(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers
            return lambda data: captured.setdefault('written', []).append(data)

        try:
            app_iter = self.app(environ, capture)
        except UpstreamError as exc:
            return self.bad_gateway(environ, start_response, exc)
        except Exception:
            LOG.exception('unexpected error')
            resp = c.glance_error(500, 'The server has either erred or is incapable '
                                  'of performing the requested operation.', environ)
            return resp(environ, start_response)
        status = int(captured['status'].split(' ', 1)[0])
        if status < 400 or environ.get(c.RENDERED_KEY):
            if captured.get('written'):
                written = captured['written']
                app_iter = _chain(written, app_iter)
            start_response(captured['status'], captured['headers'])
            return app_iter
        try:
            body = b''.join(captured.get('written', [])) + b''.join(app_iter)
        except UpstreamError as exc:
            return self.bad_gateway(environ, start_response, exc)
        finally:
            if hasattr(app_iter, 'close'):
                app_iter.close()
        headers = dict((k.lower(), v) for k, v in captured['headers'])
        message = tr.plankton_error_message(body, headers.get('content-type', ''))
        method = environ['REQUEST_METHOD']
        kind = 'read' if method in ('GET', 'HEAD') else 'write'
        glance_status = tr.glance_status_for(status, message, kind)
        if glance_status == 404 and (not message or 'endpoint' in message):
            message = 'The resource could not be found.'
        if not message:
            message = captured['status'].split(' ', 1)[-1]
        extra = {}
        if 'allow' in headers:
            extra['Allow'] = headers['allow']
        if 'retry-after' in headers:
            extra['Retry-After'] = headers['retry-after']
        resp = c.glance_error(glance_status, message, environ, headers=extra)
        return resp(environ, start_response)

    @staticmethod
    def bad_gateway(environ, start_response, exc):
        LOG.warning('bad upstream reply: %s', exc)
        status = getattr(exc, 'status', 502)
        if status == 504:
            message = 'The image registry did not answer in time: %s.' % exc
        else:
            message = 'The image registry sent a broken reply: %s.' % exc
        resp = c.glance_error(status, message, environ)
        return resp(environ, start_response)


def _chain(first, rest):
    for chunk in first:
        yield chunk
    for chunk in rest:
        yield chunk


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceErrors(app, conf)
    return factory
