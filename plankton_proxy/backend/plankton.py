"""The Plankton image API (plankton.md §1–§3): S16+ behaviour, or S13 with ``s13=True``.

Routes under the mount (``/image/v1.0``, ``/image/v1``, and ``/plankton`` in S13):
``images/``, ``images/detail``, ``images/<id>``, ``images/<id>/members[/<m>]`` and
``shared-images/<m>``.  Images are objects of the Pithos store with ``plankton``
metadata; permissions are the objects' read lists.
"""

import json
import re
import time

from webob import Response

from .faults import (AuthServiceFault, BadRequest, Fault, Forbidden, InternalServerError,
                     ItemNotFound, NotAllowed, PlainFault, Unauthorized)
from .httputil import empty_response, http_date, read_small_body, unquote_utf8
from .images import (CONTAINER_FORMATS, DISK_FORMATS, PROPERTY_PREFIX, REGISTER_FIELDS,
                     SORT_KEYS, UPDATE_FIELDS, Image, ImageRequest, canonical_uuid,
                     is_image, parse_location)
from .pithos import can_read, can_write

JSON_TYPE = 'application/json; charset=UTF-8'
MAX_KEY = 111
MAX_VALUE = 256
MAX_ITEMS = 32

_ROUTES = [
    ('images', re.compile(r'^images/?$')),
    ('detail', re.compile(r'^images/detail$')),
    ('image', re.compile(r'^images/([\w-]+)$', re.ASCII)),
    ('members', re.compile(r'^images/([\w-]+)/members$', re.ASCII)),
    ('member', re.compile(r'^images/([\w-]+)/members/([\w@._-]+)$', re.ASCII)),
    ('shared', re.compile(r'^shared-images/([\w@._-]+)$', re.ASCII)),
]


def _demux_not_allowed(allowed):
    """Django's HttpResponseNotAllowed: empty body, ``Allow`` joined with ', '."""
    return PlainFault(405, headers={'Allow': ', '.join(allowed)})


class PlanktonAPI:
    """One Plankton mount; ``s13`` picks the 2013 dialect, ``paginate`` the extension,
    ``wrap_lists`` the ``{"images": [...]}`` envelope of Synnefo's develop HEAD."""

    def __init__(self, store, users, s13=False, paginate=True, wrap_lists=False):
        self.store = store
        self.users = users
        self.s13 = s13
        self.paginate = paginate and not s13
        self.wrap_lists = wrap_lists and not s13

    # -- errors in the active dialect ---------------------------------------------
    def bad(self, s16_message, s13_message=''):
        if self.s13:
            return PlainFault(400, s13_message)
        return BadRequest(s16_message)

    # -- dispatch -------------------------------------------------------------------
    def handle(self, req, subpath, mount_path):
        path = subpath.lstrip('/') if subpath.startswith('/') else subpath
        if self.s13 and path == 'images':
            location = req.host_url + mount_path + '/images/'
            if req.query_string:
                location += '?' + req.query_string
            return _redirect(location)
        for route, pattern in _ROUTES:
            match = pattern.match(path)
            if match:
                if self.s13 and route == 'images' and path != 'images/':
                    break
                try:
                    resp = getattr(self, 'route_' + route)(req, *match.groups())
                except Fault as fault:       # JSON faults get the S16+ headers too
                    resp = fault.response(req.method)
                return self.decorate(resp)
        if self.s13:
            raise PlainFault(404, '<h1>Not Found</h1>')
        raise BadRequest('API endpoint not found')

    def decorate(self, resp):
        """S16+ response headers: JSON Content-Type on everything, no caching."""
        if self.s13:
            resp.headers['Content-Type'] = 'text/html; charset=utf-8'   # Django's default
            return resp
        now = http_date(time.time())
        resp.headers['Content-Type'] = JSON_TYPE
        resp.headers['Vary'] = 'X-Auth-Token'
        resp.headers['Cache-Control'] = 'no-cache, no-store, must-revalidate, max-age=0'
        resp.headers['Expires'] = now
        resp.headers['Last-Modified'] = now
        return resp

    def authenticate(self, req):
        token = req.headers.get('X-Auth-Token')
        if self.s13 and not token:
            token = req.GET.get('X-Auth-Token')
        if not token:
            if self.s13:
                raise PlainFault(401)
            raise Unauthorized('Access denied. No authentication token')
        user = self.users.uuid_for(token)
        if user is None:
            if self.s13:
                raise PlainFault(401)
            raise AuthServiceFault('UNAUTHORIZED', details=json.dumps(
                {'unauthorized': {'code': 401, 'message': 'Invalid token'}}))
        return user

    # -- routes ---------------------------------------------------------------------
    def route_images(self, req):
        if req.method == 'GET':
            return self.list_images(req, self.authenticate(req), detail=False)
        if req.method == 'POST':
            return self.register(req, self.authenticate(req))
        raise _demux_not_allowed(['GET', 'POST'])

    def route_detail(self, req):
        self.require_method(req, ['GET'])
        return self.list_images(req, self.authenticate(req), detail=True)

    def route_image(self, req, image_id):
        method = req.method
        allowed = ['GET', 'HEAD', 'PUT'] if self.s13 else ['GET', 'HEAD', 'PUT', 'DELETE']
        if method not in allowed:
            if self.s13:
                self.authenticate(req)
            raise _demux_not_allowed(allowed)
        user = self.authenticate(req)
        if method == 'GET':
            return empty_response(501)
        if method == 'HEAD':
            return self.image_meta(req, user, image_id)
        if method == 'PUT':
            return self.update(req, user, image_id)
        return self.unregister(req, user, image_id)

    def route_members(self, req, image_id):
        if req.method == 'GET':
            return self.list_members(req, self.authenticate(req), image_id)
        if req.method == 'PUT':
            return self.replace_members(req, self.authenticate(req), image_id)
        raise _demux_not_allowed(['GET', 'PUT'])

    def route_member(self, req, image_id, member):
        if req.method == 'PUT':
            return self.add_member(req, self.authenticate(req), image_id, member)
        if req.method == 'DELETE':
            return self.remove_member(req, self.authenticate(req), image_id, member)
        raise _demux_not_allowed(['DELETE', 'PUT'])

    def route_shared(self, req, member):
        if req.method != 'GET':
            if self.s13:
                raise PlainFault(405)
            raise NotAllowed(['GET'])
        return self.shared_images(req, self.authenticate(req), member)

    def require_method(self, req, allowed):
        if req.method not in allowed:
            if self.s13:
                raise PlainFault(405, headers={'Allow': ', '.join(allowed)})
            raise NotAllowed(allowed)

    # -- resolving an id --------------------------------------------------------------
    def resolve(self, txn, user, image_id, head=False):
        """The readable image with this id (plankton.md §2.6 errors per dialect)."""
        object_uuid = canonical_uuid(image_id)
        if object_uuid is None:
            if self.s13:
                raise self._s13_not_found(head)
            raise BadRequest('')
        record = txn.object_by_uuid(object_uuid)
        if record is None:
            if self.s13:
                raise self._s13_not_found(head)
            raise ItemNotFound('')
        if not can_read(record, user):
            if self.s13:
                raise PlainFault(403)
            raise Forbidden('')
        if not is_image(record):
            if self.s13:
                raise self._s13_not_found(head)
            raise ItemNotFound("Object '%s' does not exist." % object_uuid)
        return record

    @staticmethod
    def _s13_not_found(head):
        return PlainFault(404) if head else PlainFault(400, 'Image not found')

    # -- listing ----------------------------------------------------------------------
    def list_images(self, req, user, detail):
        params = req.GET
        sort_key = params.get('sort_key', 'created_at')
        if sort_key not in SORT_KEYS:
            raise self.bad("Invalid 'sort_key'")
        sort_dir = params.get('sort_dir', 'desc')
        if sort_dir not in ('asc', 'desc'):
            raise self.bad("Invalid 'sort_dir'")
        size_range = {}
        for key in ('size_max', 'size_min'):
            if key in params:
                try:
                    size_range[key] = int(params[key])
                except ValueError:
                    raise self.bad('Malformed request.', '400 Bad Request')
        with self.store.transaction() as txn:
            records = [r for r in txn.objects_with_plankton()
                       if is_image(r) and self._listed(r, user)]
        images = [Image(r, self.s13) for r in records]
        if self.s13:
            images = self._s13_filter(images, params, size_range)
        rows = [(image, image.values()) for image in images]
        rows.sort(key=lambda row: row[1]['id'])
        rows.sort(key=lambda row: row[1][sort_key], reverse=(sort_dir == 'desc'))
        if self.paginate:
            rows = self._page(rows, params)
        body = [image.detail_json() if detail else image.brief_json()
                for image, _ in rows]
        return _json({'images': body} if self.wrap_lists else body)

    def _listed(self, record, user):
        if self.s13:
            return user in record.read or '*' in record.read or user in record.write
        return (record.account == user or user in record.read or user in record.write
                or '*' in record.read or '*' in record.write)

    @staticmethod
    def _s13_filter(images, params, size_range):
        for key in ('name', 'container_format', 'disk_format', 'status'):
            if key in params:
                images = [i for i in images
                          if i.record.plankton.get(key) == params[key]]
        if 'size_min' in size_range:
            images = [i for i in images if i.record.bytes >= size_range['size_min']]
        if 'size_max' in size_range:
            images = [i for i in images if i.record.bytes <= size_range['size_max']]
        return images

    @staticmethod
    def _page(rows, params):
        """The extension: ``marker`` (an image id) and ``limit`` on the sorted list."""
        marker = params.get('marker')
        if marker:
            ids = [values['id'] for _, values in rows]
            wanted = canonical_uuid(marker) or marker
            if wanted not in ids:
                raise BadRequest("Invalid marker '%s'" % marker)
            rows = rows[ids.index(wanted) + 1:]
        if 'limit' in params:
            try:
                limit = int(params['limit'])
            except ValueError:
                raise BadRequest("Invalid 'limit'")
            if limit < 0:
                raise BadRequest("Invalid 'limit'")
            rows = rows[:limit]
        return rows

    # -- one image --------------------------------------------------------------------
    def image_meta(self, req, user, image_id):
        with self.store.transaction() as txn:
            record = self.resolve(txn, user, image_id, head=True)
        return self.image_reply(record)

    def image_reply(self, record):
        resp = empty_response(200)
        for name, value in Image(record, self.s13).headers():
            resp.headerlist.append((name, value))
        return resp

    # -- register ---------------------------------------------------------------------
    def register(self, req, user):
        meta = ImageRequest(req.environ, self.s13)
        if self.s13:
            return self._register_s13(req, user, meta)
        fields = meta.fields
        if meta.names() - REGISTER_FIELDS:
            raise BadRequest('Invalid parameters')
        if 'name' not in fields:
            raise BadRequest("Image 'name' parameter is required")
        if not fields['name']:
            raise BadRequest('Invalid image name')
        if 'location' not in fields:
            raise BadRequest("'location' parameter is required")
        location = parse_location(fields['location'])
        if location is None:
            raise BadRequest("Invalid location '%s'" % fields['location'])
        if 'id' in fields:
            raise BadRequest('Setting the image ID is not supported')
        store = fields.get('store', 'pithos')
        if store not in 'pithos':
            raise BadRequest("Invalid store type '%s'" % store)
        disk_format = fields.get('disk_format', 'diskdump')
        if disk_format not in DISK_FORMATS:
            raise BadRequest("Invalid disk format '%s'" % disk_format)
        container_format = fields.get('container_format', 'bare')
        if container_format not in CONTAINER_FORMATS:
            raise BadRequest("Invalid container format '%s'" % container_format)
        if store != 'pithos':
            raise BadRequest("Invalid store '%s'. Only 'pithos' store is supported" % store)
        account, container, path = [unquote_utf8(part) for part in location]
        is_public = fields.get('is_public', '').lower() == 'true'
        with self.store.transaction() as txn:
            record = txn.object_at(account, container, path)
            if record is None:
                raise ItemNotFound('')
            if not can_read(record, user):
                raise Forbidden('')
            if 'size' in fields:
                raise BadRequest("Invalid 'size' field")
            if 'checksum' in fields and fields['checksum'] != record.merkle:
                raise BadRequest('Invalid checksum field')
            if record.account != user:
                raise Forbidden('')
            record.read = [user] + (['*'] if is_public else [])
            record.write = []
            updates = {'name': fields['name'], 'disk_format': disk_format,
                       'container_format': container_format,
                       'created_at': str(int(time.time()))}
            if 'owner' in fields:
                updates['owner'] = fields['owner']
            for key, value in meta.properties.items():
                updates[PROPERTY_PREFIX + key] = value
            record.plankton = self._merged(record.plankton, updates)
            self.check_limits(record.plankton)
            txn.bump(record, user)
            txn.save(record)
        return self.image_reply(record)

    def _register_s13(self, req, user, meta):
        fields = meta.fields
        if 'name' not in fields:
            raise PlainFault(400)
        if meta.names() - REGISTER_FIELDS:
            raise PlainFault(400)
        if 'location' not in fields:
            raise PlainFault(501)
        location = parse_location(fields['location'])
        if location is None:
            raise PlainFault(400, 'Invalid location')
        if 'id' in fields:
            raise PlainFault(400, 'Passing an ID is not supported')
        if fields.get('store', 'pithos') != 'pithos':
            raise PlainFault(400, 'Invalid store')
        disk_format = fields.get('disk_format', 'diskdump')
        if disk_format not in DISK_FORMATS:
            raise PlainFault(400, 'Invalid disk format')
        container_format = fields.get('container_format', 'bare')
        if container_format not in CONTAINER_FORMATS:
            raise PlainFault(400, 'Invalid container format')
        account, container, path = location
        is_public = fields.get('is_public', '').lower() == 'true'
        forbidden_after_metadata = False
        with self.store.transaction() as txn:
            record = txn.object_at(account, container, path)
            if record is None:
                raise PlainFault(400, 'File not found')
            if not can_read(record, user):
                raise PlainFault(403)
            if 'size' in fields:
                try:
                    size = int(fields['size'])
                except ValueError:
                    raise PlainFault(500)
                if size != record.bytes:
                    raise PlainFault(400, 'Invalid size')
            if 'checksum' in fields and fields['checksum'] != record.merkle:
                raise PlainFault(400, 'Invalid checksum')
            if not can_write(record, user):
                raise PlainFault(403)
            plankton = {'name': fields['name'], 'status': 'available',
                        'disk_format': disk_format, 'container_format': container_format}
            for key, value in meta.properties.items():
                plankton[PROPERTY_PREFIX + key] = value
            record.plankton = {k: v for k, v in plankton.items() if v != ''}
            txn.bump(record, user)
            if record.account == user:
                record.read = ['*'] if is_public else [user]
                record.write = []
            else:
                forbidden_after_metadata = True   # S13 commits metadata, then fails
            txn.save(record)
        if forbidden_after_metadata:
            raise PlainFault(403)
        if not is_image(record):
            raise PlainFault(500, 'Registration failed')
        return self.image_reply(record)

    @staticmethod
    def _merged(current, updates):
        """Pithos' merge: given keys overwrite, an empty value deletes the key."""
        merged = dict(current)
        for key, value in updates.items():
            if value == '':
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    @staticmethod
    def check_limits(plankton):
        for key, value in plankton.items():
            if len('plankton:' + key) > MAX_KEY:
                raise BadRequest('Metadata keys should be less than %d characters' % MAX_KEY)
            if len(value) > MAX_VALUE:
                raise BadRequest('Metadata values should be less than %d characters.'
                                 % MAX_VALUE)
        if len(plankton) > MAX_ITEMS:
            raise BadRequest('Pithos+ resources cannot have more than %d metadata items '
                             'per domain' % MAX_ITEMS)

    # -- update -----------------------------------------------------------------------
    def update(self, req, user, image_id):
        meta = ImageRequest(req.environ, self.s13)
        fields = meta.fields
        if meta.names() - UPDATE_FIELDS:
            raise self.bad('Invalid metadata')
        if self.s13 and 'is_public' in fields:
            raise PlainFault(500)
        if not self.s13:
            if 'disk_format' in fields and fields['disk_format'] not in DISK_FORMATS:
                raise BadRequest("Invalid disk format '%s'" % fields['disk_format'])
            if ('container_format' in fields
                    and fields['container_format'] not in CONTAINER_FORMATS):
                raise BadRequest("Invalid container format '%s'"
                                 % fields['container_format'])
        with self.store.transaction() as txn:
            record = self.resolve(txn, user, image_id)
            if 'is_public' in fields:
                if record.account != user:
                    raise Forbidden('')
                read = [m for m in record.read if m != '*']
                if fields['is_public'].lower() == 'true':
                    read.append('*')
                record.read = read
            updates = {k: v for k, v in fields.items() if k != 'is_public'}
            if updates or meta.properties or self.s13:
                if not can_write(record, user):
                    raise PlainFault(403) if self.s13 else Forbidden('')
                if self.s13:
                    plankton = {k: v for k, v in record.plankton.items()
                                if not k.startswith(PROPERTY_PREFIX)}
                else:
                    plankton = record.plankton
                for key, value in meta.properties.items():
                    updates[PROPERTY_PREFIX + key] = value
                record.plankton = self._merged(plankton, updates)
                if not self.s13:
                    self.check_limits(record.plankton)
                if not is_image(record):
                    if self.s13:
                        raise PlainFault(400, 'Image not found')
                    raise ItemNotFound("Object '%s' does not exist." % record.uuid)
                txn.bump(record, user)
            txn.save(record)
        return self.image_reply(record)

    # -- unregister -------------------------------------------------------------------
    def unregister(self, req, user, image_id):
        with self.store.transaction() as txn:
            record = self.resolve(txn, user, image_id)
            if not can_write(record, user):
                raise Forbidden('')
            record.plankton = {}
            txn.bump(record, user)
            txn.save(record)
        return empty_response(204)

    # -- members ----------------------------------------------------------------------
    def list_members(self, req, user, image_id):
        with self.store.transaction() as txn:
            record = self.resolve(txn, user, image_id)
        members = [{'member_id': m, 'can_share': False} for m in Image(record).members]
        return _json({'members': members})

    def _owned_image(self, txn, user, image_id):
        record = self.resolve(txn, user, image_id)
        if record.account != user:
            raise PlainFault(403) if self.s13 else Forbidden('')
        return record

    def add_member(self, req, user, image_id, member):
        with self.store.transaction() as txn:
            record = self._owned_image(txn, user, image_id)
            if member not in record.read:
                record.read = record.read + [member]
                txn.save(record)
        return empty_response(204)

    def remove_member(self, req, user, image_id, member):
        with self.store.transaction() as txn:
            record = self._owned_image(txn, user, image_id)
            if member in record.read:
                record.read = [m for m in record.read if m != member]
                txn.save(record)
        return empty_response(204)

    def replace_members(self, req, user, image_id):
        members = self._memberships(req)
        with self.store.transaction() as txn:
            record = self._owned_image(txn, user, image_id)
            read = []
            for member in members:
                if member not in read:
                    read.append(member)
            if '*' in record.read:
                read.append('*')
            record.read = read
            txn.save(record)
        return empty_response(204)

    def _memberships(self, req):
        """The member ids of a ``{"memberships": [{"member_id": ...}]}`` body."""
        if not self.s13:
            content_type = req.headers.get('Content-Type', '')
            if not content_type:
                raise BadRequest('Missing Content-Type header field')
            if not content_type.startswith('application/json'):
                raise BadRequest("Unsupported Content-type: '%s'" % content_type)
        body = read_small_body(req.environ)
        try:
            data = json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            raise self.bad('Could not decode request body as JSON')
        if self.s13:
            try:
                return [str(entry['member_id']) for entry in data['memberships']]
            except (KeyError, TypeError):
                raise PlainFault(400)
        if not isinstance(data, dict):
            raise InternalServerError('Unexpected error')
        if 'memberships' not in data:
            raise BadRequest("Malformed request. Missing attribute 'memberships'.")
        memberships = data['memberships']
        if not isinstance(memberships, list):
            raise BadRequest("Malformed request. Invalid 'memberships' field")
        members = []
        for entry in memberships:
            if not isinstance(entry, dict):
                raise BadRequest("Invalid 'memberships' field")
            if 'member_id' not in entry:
                raise BadRequest("Malformed request. Missing attribute 'member_id'.")
            members.append(str(entry['member_id']))
        return members

    # -- shared images ----------------------------------------------------------------
    def shared_images(self, req, user, member):
        with self.store.transaction() as txn:
            records = [r for r in txn.objects_with_plankton() if is_image(r)]
        if self.s13:
            chosen = [r for r in records if r.account == user and (
                member in r.read or '*' in r.read or member in r.write)]
        else:
            chosen = [r for r in records if r.account == member and can_read(r, user)
                      and '*' not in r.read]
        return _json({'shared_images': [{'image_id': r.uuid, 'can_share': False}
                                        for r in chosen]})


def _json(document):
    resp = Response(status=200, content_type=None)
    resp.headers['Content-Type'] = JSON_TYPE
    resp.body = json.dumps(document).encode('utf-8')
    return resp


def _redirect(location):
    resp = Response(status=301, content_type=None)
    resp.headers['Location'] = location
    resp.headers['Content-Type'] = 'text/html; charset=utf-8'
    return resp
