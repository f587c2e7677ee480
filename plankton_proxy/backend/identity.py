"""Users, tokens and the Astakos-style identity service (plankton.md §5.1).

``Users`` maps tokens to user UUIDs; ``load_users`` reads the users file (one
``UUID TOKEN`` pair per line, ``#`` comments).  ``IdentityAPI`` answers
``POST /identity/v2.0/tokens`` with a Keystone-v2-like ``access`` document whose
service catalog points at this backend.
"""

import datetime
import json

from webob import Response

from .faults import BadRequest, NotAllowed, Unauthorized

TOKEN_LIFETIME = datetime.timedelta(days=30)


class Users:
    """The known users: token → user UUID."""

    def __init__(self, tokens=None):
        self._by_token = dict(tokens or {})

    def uuid_for(self, token):
        """The user UUID of a token, or None."""
        if not token:
            return None
        return self._by_token.get(token)

    def __len__(self):
        return len(self._by_token)

    def known_uuids(self):
        return set(self._by_token.values())


def load_users(path):
    """Parse a users file into a ``{token: uuid}`` dict."""
    tokens = {}
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ValueError('%s:%d: expected "UUID TOKEN", got %r'
                                 % (path, number, line))
            user_uuid, token = parts
            tokens[token] = user_uuid
    return tokens


class IdentityAPI:
    """``/identity/v2.0/tokens``: token validation and the service catalog."""

    def __init__(self, users, catalog):
        self.users = users
        self.catalog = catalog

    def handle(self, req, subpath):
        if subpath.strip('/') == '' and req.method in ('GET', 'HEAD'):
            return self.version(req)
        if subpath.strip('/') != 'tokens':
            raise BadRequest('API endpoint not found')
        if req.method != 'POST':
            raise NotAllowed(['POST'])
        base = self.catalog.base_url(req)
        raw = req.body
        if not raw.strip():
            return self._reply({'access': {'serviceCatalog': self.catalog.services(base)}})
        try:
            data = json.loads(raw.decode('utf-8'))
            auth = data['auth']
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            raise BadRequest('Malformed request: missing credentials')
        if not isinstance(auth, dict):
            raise BadRequest('Malformed request: missing credentials')
        token = user_claim = None
        if isinstance(auth.get('token'), dict):
            token = auth['token'].get('id')
        elif isinstance(auth.get('passwordCredentials'), dict):
            creds = auth['passwordCredentials']
            user_claim, token = creds.get('username'), creds.get('password')
        if not token:
            raise BadRequest('Malformed request: missing credentials')
        user_uuid = self.users.uuid_for(token)
        if user_uuid is None:
            raise Unauthorized('Invalid token')
        if user_claim is not None and user_claim != user_uuid:
            raise Unauthorized('Invalid credentials')
        tenant = auth.get('tenantName')
        if tenant and tenant != user_uuid:
            raise BadRequest('Not conforming tenantName')
        expires = (datetime.datetime.now(datetime.timezone.utc) + TOKEN_LIFETIME)
        access = {
            'token': {'id': token, 'expires': expires.isoformat(),
                      'tenant': {'id': user_uuid, 'name': user_uuid}},
            'user': {'id': user_uuid, 'name': user_uuid,
                     'roles': [{'id': '1', 'name': 'default'}], 'roles_links': [],
                     'projects': [user_uuid]},
            'serviceCatalog': self.catalog.services(base),
        }
        return self._reply({'access': access})

    def version(self, req):
        """``GET <auth>``: the version document Astakos answers there (plankton.md
        §5.1); keystoneauth's generic plugins (the glance CLI's Keystone login)
        discover the identity version with it."""
        href = self.catalog.base_url(req) + '/identity/v2.0/'
        return self._reply({'version': {
            'id': 'v2.0', 'status': 'stable', 'updated': '2014-04-17T00:00:00Z',
            'links': [{'rel': 'self', 'href': href}],
            'media-types': [{'base': 'application/json',
                             'type': 'application/vnd.openstack.identity-v2.0+json'}]}})

    def handle_account(self, req, subpath):
        """``/account/v1.0/user_catalogs``: uuid ↔ display name (kamaki asks for it).

        Display names are the uuids themselves."""
        if subpath.strip('/') != 'user_catalogs':
            raise BadRequest('API endpoint not found')
        if req.method != 'POST':
            raise NotAllowed(['POST'])
        if self.users.uuid_for(req.headers.get('X-Auth-Token')) is None:
            raise Unauthorized('Invalid token')
        try:
            data = json.loads(req.body.decode('utf-8') or '{}')
            uuids = list(data.get('uuids') or [])
            names = list(data.get('displaynames') or [])
        except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
            raise BadRequest('Request body should be json formatted.')
        known = self.users.known_uuids()
        return self._reply({
            'uuid_catalog': {u: u for u in uuids if u in known},
            'displayname_catalog': {n: n for n in names if n in known}})

    @staticmethod
    def _reply(document):
        resp = Response(status=200, content_type=None)
        resp.headers['Content-Type'] = 'application/json; charset=UTF-8'
        resp.body = json.dumps(document).encode('utf-8')
        return resp


class ServiceCatalog:
    """The endpoints of this backend, absolute to ``public_url`` or the request host.

    ``image_public_url``, when given, is announced as the ``image`` service instead of
    this backend's Plankton: a Glance-compatible front end (unversioned root, as
    Keystone catalogs name Glance) that Keystone-authenticating clients must use."""

    def __init__(self, public_url=None, image_public_url=None):
        self.public_url = public_url.rstrip('/') if public_url else None
        self.image_public_url = image_public_url.rstrip('/') if image_public_url else None

    def base_url(self, req):
        if self.public_url:
            return self.public_url
        return (req.host_url + req.script_name).rstrip('/')

    def services(self, base):
        def service(name, kind, version, url):
            return {'name': name, 'type': kind, 'endpoints_links': [],
                    'endpoints': [{'versionId': version, 'publicURL': url,
                                   'SNF:uiURL': base + '/ui', 'region': 'default'}]}
        return [
            service('cyclades_plankton', 'image', 'v1.0',
                    self.image_public_url or base + '/image/v1.0'),
            service('pithos_object-store', 'object-store', 'v1', base + '/object-store/v1'),
            service('astakos_identity', 'identity', 'v2.0', base + '/identity/v2.0'),
            service('astakos_account', 'account', 'v1.0', base + '/account/v1.0'),
        ]
