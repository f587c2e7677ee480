"""Synnefo-style API faults of the embedded backend (plankton.md §3).

A fault renders as ``{"<faultName>": {"code", "message", "details"}}`` JSON.  HEAD
replies carry no body.  The S13 dialect of Plankton has no JSON faults: see
``PlainFault`` for its bare or text bodies.
"""

import json

from webob import Response

JSON_CONTENT_TYPE = 'application/json; charset=UTF-8'


class Fault(Exception):
    """An error answer. ``name`` is the JSON key, ``code`` the HTTP status."""

    code = 500
    name = 'internalServerError'

    def __init__(self, message='', details='', headers=None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def body(self):
        return {self.name: {'code': self.code, 'message': self.message,
                            'details': self.details}}

    def response(self, request_method='GET'):
        resp = Response(status=self.code, content_type=None)
        resp.headers['Content-Type'] = JSON_CONTENT_TYPE
        for key, value in self.headers.items():
            resp.headers[key] = value
        if request_method != 'HEAD':
            resp.body = json.dumps(self.body()).encode('utf-8')
        return resp


class BadRequest(Fault):
    code, name = 400, 'badRequest'


class Unauthorized(Fault):
    code, name = 401, 'unauthorized'


class AuthServiceFault(Fault):
    """Astakos refused the token; Synnefo services re-wrap that as ``fault``."""
    code, name = 401, 'fault'


class Forbidden(Fault):
    code, name = 403, 'forbidden'


class ItemNotFound(Fault):
    code, name = 404, 'itemNotFound'


class NotAllowed(Fault):
    code, name = 405, 'notAllowed'

    def __init__(self, allowed, message='Method not allowed'):
        super().__init__(message, headers={'Allow': ','.join(allowed)})


class Conflict(Fault):
    code, name = 409, 'conflict'


class LengthRequired(Fault):
    code, name = 411, 'lengthRequired'


class PreconditionFailed(Fault):
    code, name = 412, 'preconditionFailed'


class RequestEntityTooLarge(Fault):
    code, name = 413, 'requestEntityTooLarge'


class RangeNotSatisfiable(Fault):
    code, name = 416, 'rangeNotSatisfiable'


class UnprocessableEntity(Fault):
    code, name = 422, 'unprocessableEntity'


class InternalServerError(Fault):
    code, name = 500, 'internalServerError'


class NotImplementedFault(Fault):
    code, name = 501, 'notImplemented'


class PlainFault(Exception):
    """A non-JSON answer: Django's bare responses (demux 405s, 501s) and all S13 errors."""

    def __init__(self, code, text='', headers=None,
                 content_type='text/html; charset=utf-8'):
        super().__init__(text)
        self.code = code
        self.text = text
        self.headers = dict(headers or {})
        self.content_type = content_type

    def response(self, request_method='GET'):
        resp = Response(status=self.code, content_type=None)
        resp.headers['Content-Type'] = self.content_type
        for key, value in self.headers.items():
            resp.headers[key] = value
        if request_method != 'HEAD' and self.text:
            resp.body = self.text.encode('utf-8')
        return resp
