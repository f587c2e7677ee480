"""A stub Keystone v3 on loopback: enough for keystonemiddleware.auth_token.

It knows one service user (``plankton-proxy`` / ``service-password``) and a
set of valid user tokens; every request is recorded in ``seen``.
"""

import json
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler

from tests.loopback import LoopbackServer, read_body, send_json

SERVICE_TOKEN = 'stub-service-token'


def _token_body(user, project, base):
    now = datetime.now(timezone.utc)
    stamp = '%Y-%m-%dT%H:%M:%S.000000Z'
    return {'token': {
        'methods': ['password'],
        'issued_at': now.strftime(stamp),
        'expires_at': (now + timedelta(hours=1)).strftime(stamp),
        'user': {'id': user + '-id', 'name': user,
                 'domain': {'id': 'default', 'name': 'Default'}},
        'project': {'id': project + '-id', 'name': project,
                    'domain': {'id': 'default', 'name': 'Default'}},
        'roles': [{'id': 'member-id', 'name': 'member'}],
        'catalog': [{'type': 'identity', 'name': 'keystone', 'id': 'ks',
                     'endpoints': [{'id': 'ks-' + interface, 'interface': interface,
                                    'region': 'RegionOne', 'region_id': 'RegionOne',
                                    'url': base + '/v3'}
                                   for interface in ('public', 'internal', 'admin')]}],
    }}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def _json(self, status, document, headers=()):
        send_json(self, status, document, headers)

    def _version(self):
        return {'id': 'v3.14', 'status': 'stable', 'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.server.base + '/v3/'}],
                'media-types': [{'base': 'application/json',
                                 'type': 'application/vnd.openstack.identity-v3+json'}]}

    def do_GET(self):
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        path = self.path.split('?')[0].rstrip('/')
        if path == '':
            return self._json(300, {'versions': {'values': [self._version()]}})
        if path == '/v3':
            return self._json(200, {'version': self._version()})
        if path == '/v3/auth/tokens':
            if self.headers.get('X-Auth-Token') != SERVICE_TOKEN:
                return self._json(401, {'error': {'code': 401, 'message': 'no service token'}})
            subject = self.headers.get('X-Subject-Token', '')
            if subject in self.server.valid:
                return self._json(200, _token_body('alice', 'demo', self.server.base),
                                  [('X-Subject-Token', subject)])
            return self._json(404, {'error': {'code': 404, 'message': 'token not found'}})
        return self._json(404, {'error': {'code': 404, 'message': 'not here'}})

    do_HEAD = do_GET

    def do_POST(self):
        body = json.loads(b''.join(read_body(self)) or b'{}')
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        if self.path.rstrip('/') != '/v3/auth/tokens':
            return self._json(404, {'error': {'code': 404, 'message': 'not here'}})
        password = body.get('auth', {}).get('identity', {}).get('password', {})
        user = password.get('user', {})
        if user.get('name') != 'plankton-proxy' or user.get('password') != 'service-password':
            return self._json(401, {'error': {'code': 401, 'message': 'bad credentials'}})
        return self._json(201, _token_body('plankton-proxy', 'service', self.server.base),
                          [('X-Subject-Token', SERVICE_TOKEN)])


class StubKeystone(LoopbackServer):
    def __init__(self, valid_tokens=()):
        LoopbackServer.__init__(self, _Handler, valid=set(valid_tokens))
        self.httpd.base = self.url
