"""A small in-memory Plankton (S16+ or S13) as a WSGI app, for the filter tests.

Stand-in for ``forward`` + the embedded backend until those land in main: it
takes the Plankton requests the translation filters build (paths relative
to the upstream root, e.g. ``/images/``) and answers as plankton.md says the
real registry does, for the parts the filters use.  Not a product.
"""

import json
import threading
import time
import uuid
from urllib.parse import quote, unquote

from webob import Request, Response

USERS = {
    'demo-token-alice': '9b7b5d2e-6b1e-4a39-a1d2-3c6f3f1e0a01',
    'demo-token-bob': '4f0c3a62-2d8e-4c55-9f57-8a1b2c3d4e02',
}
PLANKTON_FIELDS = {'name', 'disk_format', 'container_format', 'size', 'checksum',
                   'location', 'created_at', 'updated_at', 'deleted_at', 'status',
                   'is_public', 'owner', 'id', 'is_snapshot', 'description', 'store'}
POST_FIELDS = {'name', 'id', 'store', 'disk_format', 'container_format', 'size',
               'checksum', 'is_public', 'owner', 'location'}
PUT_FIELDS = {'name', 'disk_format', 'container_format', 'is_public', 'owner', 'status'}
DISK = ['diskdump', 'extdump', 'ntfsdump']
CONTAINER = ['aki', 'ari', 'ami', 'bare', 'ovf']


class PFile(object):
    def __init__(self, account, container, path, data):
        self.uuid = str(uuid.uuid4())
        self.account, self.container, self.path = account, container, path
        self.data = data
        self.meta = {}            # plankton domain
        self.read = []            # read list
        self.version_ts = time.time()

    @property
    def location(self):
        return 'pithos://%s/%s/%s' % (self.account, self.container, self.path)


class FakePlankton(object):

    def __init__(self, dialect='s16', wrapped_list=False):
        self.dialect = dialect
        self.wrapped_list = wrapped_list
        self.files = {}
        self.lock = threading.RLock()
        self.requests = []

    # -- test helpers -------------------------------------------------------

    def add_file(self, account, container, path, data=b'x' * 1024):
        f = PFile(account, container, path, data)
        self.files[(account, container, path)] = f
        return 'pithos://%s/%s/%s' % (account, container, path)

    def by_uuid(self, image_id):
        for f in self.files.values():
            if f.uuid == image_id:
                return f
        return None

    # -- WSGI -----------------------------------------------------------------

    def __call__(self, environ, start_response):
        req = Request(environ)
        self.requests.append((req.method, req.path_info, req.query_string))
        with self.lock:
            resp = self.handle(req)
        if self.dialect == 's16' and resp.content_type in (None, '', 'text/html'):
            resp.content_type = 'application/json'
            resp.charset = 'UTF-8'
        return resp(environ, start_response)

    def fault(self, status, name, message):
        if self.dialect == 's13':
            r = Response(status=status, body=b'')
            return r
        r = Response(status=status, content_type='application/json', charset='UTF-8')
        r.body = json.dumps({name: {'code': status, 'message': message,
                                    'details': ''}}).encode()
        return r

    def handle(self, req):
        token = req.headers.get('X-Auth-Token')
        user = USERS.get(token)
        if user is None:
            if not token:
                return self.fault(401, 'unauthorized',
                                  'Access denied. No authentication token')
            return self.fault(401, 'fault', 'Unauthorized')
        parts = req.path_info.split('/')[1:]
        if parts == ['images', ''] or parts == ['images']:
            if parts == ['images'] and self.dialect != 's16':
                return self.fault(400, 'badRequest', 'API endpoint not found')
            if req.method == 'GET':
                return self.list(req, user, detail=False)
            if req.method == 'POST':
                return self.register(req, user)
            return Response(status=405, headers={'Allow': 'GET, POST'})
        if parts == ['images', 'detail']:
            if req.method != 'GET':
                return self.fault(405, 'notAllowed', 'Method not allowed')
            return self.list(req, user, detail=True)
        if len(parts) >= 2 and parts[0] == 'images':
            f, err = self.resolve(parts[1], user, req.method)
            if err:
                return err
            if len(parts) == 2:
                return {'HEAD': self.head, 'GET': self.get_data, 'PUT': self.update,
                        'DELETE': self.unregister}.get(
                            req.method, lambda *a: self.fault(405, 'notAllowed', ''))(
                                req, user, f)
            if parts[2] == 'members':
                if len(parts) == 3:
                    if req.method == 'GET':
                        return self.members(f)
                    if req.method == 'PUT':
                        return self.replace_members(req, user, f)
                if len(parts) == 4 and req.method in ('PUT', 'DELETE'):
                    return self.member(req, user, f, parts[3])
                return self.fault(405, 'notAllowed', 'Method not allowed')
        if len(parts) == 2 and parts[0] == 'shared-images':
            return self.shared(user, parts[1])
        return self.fault(400, 'badRequest', 'API endpoint not found')

    # -- helpers ----------------------------------------------------------------

    def resolve(self, image_id, user, method):
        try:
            uuid.UUID(image_id)
        except ValueError:
            return None, self.fault(400, 'badRequest', '')
        f = self.by_uuid(image_id)
        if f is None or 'name' not in f.meta:
            if self.dialect == 's13' and method != 'HEAD':
                return None, Response(status=400, body=b'Image not found')
            return None, self.fault(404, 'itemNotFound', '')
        if not self.can_read(f, user):
            return None, self.fault(403, 'forbidden', '')
        return f, None

    def can_read(self, f, user):
        return f.account == user or user in f.read or '*' in f.read

    def image(self, f):
        status = f.meta.get('status', 'available')
        ts = time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(f.version_ts))
        return {'id': f.uuid, 'name': f.meta.get('name'),
                'disk_format': f.meta.get('disk_format', 'diskdump'),
                'container_format': f.meta.get('container_format', 'bare'),
                'size': len(f.data), 'checksum': 'ab' * 32,
                'location': f.location, 'created_at': ts, 'updated_at': ts,
                'deleted_at': '', 'status': status, 'is_public': '*' in f.read,
                'owner': f.account, 'properties': dict(f.meta.get('properties', {}))}

    def headers(self, f):
        im = self.image(f)
        s16 = self.dialect == 's16'
        h = []
        for field in ['name', 'disk_format', 'container_format', 'size', 'checksum',
                      'location', 'created_at', 'updated_at', 'deleted_at', 'status',
                      'is_public', 'owner']:
            v = im[field]
            if field == 'status' and s16:
                v = {'available': 'AVAILABLE', 'unavailable': 'SAVING',
                     'error': 'ERROR'}.get(str(v).lower(), 'UNKNOWN')
            if field in ('name',) and s16:
                v = quote(v or '', safe='/')
            if field == 'location' and s16:
                v = 'pithos://' + '/'.join(quote(p, safe='/') for p in
                                           [f.account, f.container, f.path])
            if isinstance(v, bool):
                v = str(v)
            h.append(('x-image-meta-' + field.replace('_', '-'), str(v)))
        for k, v in im['properties'].items():
            name = k.replace('_', '-')
            if s16:
                name, v = quote(name), quote(v, safe='/')
            h.append(('x-image-meta-property-' + name, v))
        h.append(('x-image-meta-id', f.uuid))
        if s16:
            h.append(('x-image-meta-is-snapshot', 'False'))
        return h

    def reply_headers(self, f):
        r = Response(status=200)
        for k, v in self.headers(f):
            r.headers.add(k, v.encode('utf-8').decode('latin-1'))
        return r

    def parse(self, req):
        fields, props = {}, {}
        for key, value in req.environ.items():
            if not key.startswith('HTTP_X_IMAGE_META_'):
                continue
            name = key[len('HTTP_X_IMAGE_META_'):].lower()
            value = value.encode('latin-1').decode('utf-8')
            if name.startswith('property_'):
                k = unquote(name[len('property_'):])
                k = ''.join(ch if ch.isalnum() else '_' for ch in k).lower()
                props[k] = unquote(value)
                continue
            if self.dialect == 's13' or name in ('name',):
                value = unquote(value)
            fields[name] = value
        return fields, props

    # -- handlers ----------------------------------------------------------------

    def head(self, req, user, f):
        return self.reply_headers(f)

    def get_data(self, req, user, f):
        return Response(status=501, body=b'')

    def register(self, req, user):
        fields, props = self.parse(req)
        unknown = set(fields) - PLANKTON_FIELDS
        if self.dialect == 's13' and unknown:
            return Response(status=400, body=b'')
        fields = {k: v for k, v in fields.items() if k in PLANKTON_FIELDS}
        if set(fields) - POST_FIELDS:
            return self.fault(400, 'badRequest', 'Invalid parameters')
        if not fields.get('name'):
            return self.fault(400, 'badRequest', "Image 'name' parameter is required")
        loc = fields.get('location')
        if not loc:
            return self.fault(400, 'badRequest', "'location' parameter is required")
        parts = loc[len('pithos://'):].split('/', 2) if loc.startswith('pithos://') \
            else []
        if len(parts) != 3:
            return self.fault(400, 'badRequest', "Invalid location '%s'" % loc)
        key = tuple(unquote(p) for p in parts)
        if 'id' in fields:
            return self.fault(400, 'badRequest', 'Setting the image ID is not supported')
        if fields.get('disk_format', 'diskdump') not in DISK:
            return self.fault(400, 'badRequest', "Invalid disk format '%s'"
                              % fields['disk_format'])
        if fields.get('container_format', 'bare') not in CONTAINER:
            return self.fault(400, 'badRequest', "Invalid container format '%s'"
                              % fields['container_format'])
        f = self.files.get(key)
        if f is None:
            return self.fault(404, 'itemNotFound', '')
        if f.account != user:
            return self.fault(403, 'forbidden', '')
        if 'size' in fields and self.dialect == 's16':
            return self.fault(400, 'badRequest', "Invalid 'size' field")
        if 'size' in fields and fields['size'] != str(len(f.data)):
            return Response(status=400, body=b'Invalid size')
        if 'checksum' in fields and fields['checksum'] != 'ab' * 32:
            return self.fault(400, 'badRequest', 'Invalid checksum field')
        public = fields.get('is_public', '').lower() == 'true'
        f.read = [user] + (['*'] if public else [])
        if self.dialect == 's13':
            f.meta = {'name': fields['name'], 'status': 'available',
                      'disk_format': fields.get('disk_format', 'diskdump'),
                      'container_format': fields.get('container_format', 'bare'),
                      'properties': props}
        else:
            f.meta['name'] = fields['name']
            f.meta['disk_format'] = fields.get('disk_format', 'diskdump')
            f.meta['container_format'] = fields.get('container_format', 'bare')
            f.meta.setdefault('properties', {}).update(props)
            f.meta['properties'] = {k: v for k, v in f.meta['properties'].items() if v}
            if len(f.meta['properties']) + 4 > 32:
                return self.fault(400, 'badRequest', 'Pithos+ resources cannot have '
                                  'more than 32 metadata items per domain')
        f.version_ts = time.time()
        return self.reply_headers(f)

    def update(self, req, user, f):
        fields, props = self.parse(req)
        fields = {k: v for k, v in fields.items() if k in PLANKTON_FIELDS}
        if set(fields) - PUT_FIELDS:
            return self.fault(400, 'badRequest', 'Invalid metadata')
        if f.account != user:
            return self.fault(403, 'forbidden', '')
        if 'is_public' in fields:
            if self.dialect == 's13':
                return Response(status=500, body=b'')
            f.read = [m for m in f.read if m != '*']
            if fields.pop('is_public').lower() == 'true':
                f.read.append('*')
        for k in ('name', 'disk_format', 'container_format', 'status'):
            if k in fields:
                f.meta[k] = fields[k]
        if self.dialect == 's13':
            f.meta['properties'] = props
        else:
            merged = dict(f.meta.get('properties', {}))
            merged.update(props)
            merged = {k: v for k, v in merged.items() if v != ''}
            if len(merged) + 4 > 32:
                return self.fault(400, 'badRequest', 'Pithos+ resources cannot have '
                                  'more than 32 metadata items per domain')
            f.meta['properties'] = merged
        f.version_ts = time.time()
        return self.reply_headers(f)

    def unregister(self, req, user, f):
        if self.dialect == 's13':
            return Response(status=405, headers={'Allow': 'GET, HEAD, PUT'})
        if f.account != user:
            return self.fault(403, 'forbidden', '')
        f.meta = {}
        return Response(status=204)

    def list(self, req, user, detail):
        items = []
        for f in self.files.values():
            if 'name' in f.meta and self.can_read(f, user):
                im = self.image(f)
                if self.dialect == 's16' and im['status'] == 'available':
                    im['status'] = 'AVAILABLE'
                if not detail:
                    im = {k: im[k] for k in ('status', 'name', 'disk_format',
                                             'container_format', 'size', 'id')}
                items.append(im)
        items.sort(key=lambda i: i.get('created_at', ''), reverse=True)
        doc = {'images': items} if self.wrapped_list else items
        return Response(status=200, content_type='application/json',
                        body=json.dumps(doc).encode())

    def members(self, f):
        return Response(status=200, content_type='application/json',
                        body=json.dumps({'members': [
                            {'member_id': m, 'can_share': False}
                            for m in f.read if m != '*']}).encode())

    def member(self, req, user, f, m):
        if f.account != user:
            return self.fault(403, 'forbidden', '')
        if req.method == 'PUT':
            if m not in f.read:
                f.read.append(m)
        else:
            f.read = [x for x in f.read if x != m]
        return Response(status=204)

    def replace_members(self, req, user, f):
        if f.account != user:
            return self.fault(403, 'forbidden', '')
        doc = json.loads(req.body)
        ids = [e['member_id'] for e in doc['memberships']]
        f.read = ids + (['*'] if '*' in f.read else [])
        return Response(status=204)

    def shared(self, user, m):
        return Response(status=200, content_type='application/json',
                        body=b'{"shared_images": []}')
