"""Glance-style error responses, the one error shape every proxy filter answers with.

Decision 14: a JSON body ``{"<name>": {"code": <int>, "message": "..."}}`` that
glanceclient, openstacksdk and the openstack CLI all display, or a small HTML
page when the caller prefers HTML (a browser).  A HEAD reply carries no body.
"""

import html
import json

from webob import Response
from webob.util import status_reasons

#: The JSON key of the error body for each status (Nova/Synnefo fault names).
ERROR_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflict',
    411: 'lengthRequired',
    412: 'preconditionFailed',
    413: 'overLimit',
    415: 'badMediaType',
    416: 'rangeNotSatisfiable',
    500: 'serverError',
    501: 'notImplemented',
    502: 'badGateway',
    503: 'serviceUnavailable',
    504: 'gatewayTimeout',
}


#: Statuses that tell the client the registry is (perhaps briefly) unwell:
#: they carry ``Retry-After`` so that a client or an operator's script knows
#: that trying again later is the right move.
RETRY_STATUSES = frozenset((502, 503, 504))
#: Seconds suggested in ``Retry-After`` when nobody said better.
DEFAULT_RETRY_AFTER = '5'


class UpstreamError(Exception):
    """The upstream broke the protocol after it had started to answer (a
    body cut short or reset, a reply that is not what it claims to be).

    Raised by ``forward`` while a body is read and by a filter that cannot
    make sense of a reply; ``glance_errors`` turns it into ``status`` (502,
    or 504 when the reply stalled beyond the read timeout), so that a broken
    registry never looks like a proxy bug (500) nor like an empty success."""

    def __init__(self, message, status=502):
        Exception.__init__(self, message)
        self.status = status


def _prefers_html(environ):
    accept = environ.get('HTTP_ACCEPT', '') if environ else ''
    if not accept or 'text/html' not in accept:
        return False
    # A browser lists text/html before JSON; clients send */* or JSON.
    json_at = accept.find('application/json')
    return json_at < 0 or accept.find('text/html') < json_at


def error_response(status, message, environ=None, headers=None):
    """Build a webob Response for an error ``status`` (int) with ``message``."""
    reason = status_reasons.get(status, 'Error')
    resp = Response(status='%d %s' % (status, reason))
    if headers:
        resp.headers.update(headers)
    if status in RETRY_STATUSES and 'Retry-After' not in resp.headers:
        resp.headers['Retry-After'] = DEFAULT_RETRY_AFTER
    if _prefers_html(environ):
        title = html.escape('%d %s' % (status, reason))
        resp.content_type = 'text/html'
        resp.charset = 'UTF-8'
        resp.text = ('<html>\n <head>\n  <title>%s</title>\n </head>\n <body>\n'
                     '  <h1>%s</h1>\n  %s\n </body>\n</html>\n'
                     % (title, title, html.escape(message)))
    else:
        name = ERROR_NAMES.get(status, 'computeFault' if status >= 500 else 'badRequest')
        resp.content_type = 'application/json'
        resp.charset = None
        resp.body = json.dumps({name: {'code': status, 'message': message}}).encode()
    if environ is not None and environ.get('REQUEST_METHOD') == 'HEAD':
        resp.body = b''
        resp.content_length = 0
    return resp
