"""The Pithos object-store subset (plankton.md §4), Swift-compatible where Pithos is.

Mounted at ``/object-store/v1``: accounts are user UUIDs, then containers, then objects
(names may contain ``/``).  Sharing (``X-Object-Sharing``) is per object.  The reply
``ETag`` is the MD5 of the data (Pithos with ``PITHOS_UPDATE_MD5``), which is what
python-swiftclient checks uploads against; ``X-Object-Hash`` is always the Merkle hash.
"""

import json
import uuid as uuidlib
from urllib.parse import quote, unquote

from webob import Response

from . import faults
from .faults import (BadRequest, Conflict, Forbidden, ItemNotFound, LengthRequired,
                     NotAllowed, PreconditionFailed, RangeNotSatisfiable, Unauthorized,
                     UnprocessableEntity)
from .httputil import (READ_CHUNK, empty_response, http_date,
                       iso_date, iter_body, json_response, read_small_body,
                       request_length, wsgi_str_to_text)
from .merkle import BLOCK_HASH, BLOCK_SIZE

HEADER_SAFE = '/=,:@; "'
MAX_META_HEADERS = 90
MAX_META_KEY = 128
MAX_META_VALUE = 256
MAX_CONTAINER_NAME = 256
MAX_OBJECT_NAME = 1024


# -- sharing and metadata headers ---------------------------------------------------

def parse_sharing(value):
    """``read=a,b;write=c`` → (read list, write list), the way Pithos reads it.

    Spaces and ``~`` are ignored, names lower-cased, ``*`` collapses a list to
    ``['*']``, and a name in both lists stays only in the write list.
    """
    value = value.replace('~', '').replace(' ', '')
    lists = {}
    if not value:
        return [], []
    for part in value.split(';'):
        kind, sep, names = part.partition('=')
        if not sep or kind not in ('read', 'write'):
            raise BadRequest('Bad X-Object-Sharing header value: missing prefix')
        found = []
        for name in names.split(','):
            name = name.lower()
            if name and name not in found:
                found.append(name)
        if '*' in found:
            found = ['*']
        if not found:
            raise BadRequest('Bad X-Object-Sharing header value: invalid length')
        lists[kind] = found
    write = lists.get('write', [])
    read = [name for name in lists.get('read', []) if name == '*' or name not in write]
    return read, write


def format_sharing(read, write):
    parts = []
    if read:
        parts.append('read=' + ','.join(read))
    if write:
        parts.append('write=' + ','.join(write))
    return '; '.join(parts)


def normalise_meta_key(key):
    """``foo_bar`` / ``FOO-BAR`` → ``Foo-Bar`` (Pithos' spelling of meta keys)."""
    return '-'.join(word.capitalize() for word in key.replace('_', '-').split('-'))


def header_text(value):
    """Pithos unquotes any request header value that contains '%'."""
    value = wsgi_str_to_text(value)
    if '%' in value:
        try:
            return unquote(value, errors='strict')
        except UnicodeDecodeError:
            raise BadRequest('Bad character in headers.')
    return value


def meta_from_request(req, prefix):
    """The ``<prefix>*`` headers as {normalised key: text}, with Pithos' limits."""
    meta = {}
    for name, value in req.headers.items():
        if name.lower().startswith(prefix.lower()):
            key = normalise_meta_key(name[len(prefix):])
            if not key:
                continue
            if len(key) > MAX_META_KEY:
                raise BadRequest('Metadata key too large')
            text = header_text(value)
            if len(text) > MAX_META_VALUE:
                raise BadRequest('Metadata value too large')
            meta[key] = text
    if len(meta) > MAX_META_HEADERS:
        raise BadRequest('Too many headers.')
    return meta


def quote_header(value):
    return quote(str(value).encode('utf-8'), safe=HEADER_SAFE)


# -- access rules ---------------------------------------------------------------------

def can_read(record, user):
    return (record.account == user or user in record.read or '*' in record.read
            or user in record.write or '*' in record.write)


def can_write(record, user):
    return record.account == user or user in record.write or '*' in record.write


# -- ranges ---------------------------------------------------------------------------

def parse_ranges(header, size):
    """``bytes=a-b,...`` → list of (start, end inclusive); None if malformed (ignored).

    Pithos does not clamp: a range reaching past the end is unsatisfiable (416).
    """
    if not header or not header.strip().lower().startswith('bytes='):
        return None
    ranges = []
    for spec in header.split('=', 1)[1].split(','):
        spec = spec.strip()
        start, sep, end = spec.partition('-')
        if not sep:
            return None
        try:
            if start == '':
                count = int(end)
                if count <= 0 or count > size:
                    raise RangeNotSatisfiable('Requested range not satisfiable')
                ranges.append((size - count, size - 1))
                continue
            first = int(start)
            last = int(end) if end else size - 1
        except ValueError:
            return None
        if end and last < first:
            return None
        if first >= size or last >= size:
            raise RangeNotSatisfiable('Requested range not satisfiable')
        ranges.append((first, last))
    return ranges or None


def file_slices(fileobj, ranges):
    """Yield the bytes of each (start, end) range of an open file, then close it."""
    try:
        for start, end in ranges:
            fileobj.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                piece = fileobj.read(min(READ_CHUNK, remaining))
                if not piece:
                    break
                remaining -= len(piece)
                yield piece
    finally:
        fileobj.close()


def multipart_ranges(fileobj, ranges, size, content_type, boundary):
    try:
        for start, end in ranges:
            yield ('--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n'
                   % (boundary, content_type, start, end, size)).encode('latin-1')
            for piece in file_slices(_Unclosable(fileobj), [(start, end)]):
                yield piece
            yield b'\r\n'
        yield ('--%s--\r\n' % boundary).encode('latin-1')
    finally:
        fileobj.close()


class _Unclosable:
    def __init__(self, f):
        self._f = f

    def seek(self, pos):
        self._f.seek(pos)

    def read(self, n):
        return self._f.read(n)

    def close(self):
        pass


# -- the service ----------------------------------------------------------------------

class PithosAPI:
    """Handles everything under ``/object-store/v1``."""

    def __init__(self, store, users, catalog, update_md5=True, require_content_type=True):
        self.store = store
        self.users = users
        self.catalog = catalog
        # PITHOS_UPDATE_MD5: the ETag is the data's MD5 (True, 0.13's default and what
        # Swift clients check) or the Merkle hash (False, the default from 0.14).
        self.update_md5 = update_md5
        # Pithos answers 411 to a PUT without Content-Type (the swift CLI sends none);
        # False takes application/octet-stream instead, as Swift would guess.
        self.require_content_type = require_content_type

    def etag(self, record):
        return record.md5 if self.update_md5 else record.merkle

    # routing
    def handle(self, req, subpath):
        path = wsgi_str_to_text(subpath)
        if path in ('', '/'):
            return self.top_level(req)
        parts = path.lstrip('/').split('/', 2)
        account = parts[0]
        container = parts[1] if len(parts) > 1 else ''
        name = parts[2] if len(parts) > 2 else ''
        user = self.authenticate(req)
        if not container:
            return self.account_view(req, user, account)
        if len(container) > MAX_CONTAINER_NAME:
            raise BadRequest('Container name too large')
        if not name:
            return self.container_view(req, user, account, container)
        if len(name) > MAX_OBJECT_NAME:
            raise BadRequest('Object name too large.')
        return self.object_view(req, user, account, container, name)

    def authenticate(self, req):
        token = req.headers.get('X-Auth-Token') or req.GET.get('X-Auth-Token')
        if not token:
            raise Unauthorized('Access denied. No authentication token')
        user = self.users.uuid_for(token)
        if user is None:
            raise Unauthorized('Invalid token')
        return user

    def top_level(self, req):
        """Swift v1 auth emulation (X-Auth-User = uuid, X-Auth-Key = token)."""
        auth_user = req.headers.get('X-Auth-User')
        auth_key = req.headers.get('X-Auth-Key')
        if auth_user and auth_key and not req.headers.get('X-Auth-Token'):
            if self.users.uuid_for(auth_key) != auth_user:
                raise Unauthorized('Invalid credentials')
            resp = empty_response(204)
            resp.headers['X-Auth-Token'] = auth_key
            resp.headers['X-Storage-Url'] = (self.catalog.base_url(req)
                                             + '/object-store/v1/' + auth_user)
            return resp
        user = self.authenticate(req)
        with self.store.transaction() as txn:
            owners = sorted({r.account for r in txn.objects_with_plankton()
                             if r.account != user and can_read(r, user)})
        return self._name_listing(req, [{'name': o} for o in owners])

    # accounts
    def account_view(self, req, user, account):
        if req.method not in ('GET', 'HEAD'):
            raise NotAllowed(['GET', 'HEAD'])
        if account != user:
            raise Forbidden('Not allowed')
        with self.store.transaction() as txn:
            containers = txn.containers(account)
        headers = {
            'X-Account-Container-Count': str(len(containers)),
            'X-Account-Object-Count': str(sum(c['count'] for c in containers)),
            'X-Account-Bytes-Used': str(sum(c['bytes'] for c in containers)),
        }
        if req.method == 'HEAD':
            return self._with_headers(empty_response(204), headers)
        entries = self._page(req, containers)
        listing = [{'name': c['name'], 'count': c['count'], 'bytes': c['bytes'],
                    'last_modified': iso_date(c['mtime'])} for c in entries]
        return self._with_headers(self._name_listing(req, listing), headers)

    # containers
    def container_view(self, req, user, account, container):
        method = req.method
        if method == 'PUT':
            if account != user:
                raise Forbidden('Not allowed')
            meta = meta_from_request(req, 'X-Container-Meta-')
            with self.store.transaction() as txn:
                created = txn.create_container(account, container, meta)
                if not created and meta:
                    old = txn.container(account, container)['meta']
                    old.update(meta)
                    txn.set_container_meta(account, container, old)
            return empty_response(201 if created else 202)
        if method == 'POST':
            if account != user:
                raise Forbidden('Not allowed')
            if 'update' in req.GET and req.content_type == 'application/octet-stream':
                return self.upload_blocks(req, account, container)
            meta = meta_from_request(req, 'X-Container-Meta-')
            with self.store.transaction() as txn:
                found = txn.container(account, container)
                if found is None:
                    raise ItemNotFound('Container does not exist')
                if 'update' in req.GET:
                    merged = dict(found['meta'])
                    for key, value in meta.items():
                        if value:
                            merged[key] = value
                        else:
                            merged.pop(key, None)
                    meta = merged
                txn.set_container_meta(account, container, meta)
            return empty_response(202)
        if method == 'DELETE':
            if account != user:
                raise Forbidden('Not allowed')
            with self.store.transaction() as txn:
                if txn.container(account, container) is None:
                    raise ItemNotFound('Container does not exist')
                if txn.container_stats(account, container)['count']:
                    raise Conflict('Container is not empty')
                txn.delete_container(account, container)
            return empty_response(204)
        if method not in ('GET', 'HEAD'):
            raise NotAllowed(['DELETE', 'GET', 'HEAD', 'POST', 'PUT'])
        with self.store.transaction() as txn:
            found = txn.container(account, container)
            if found is None:
                raise ItemNotFound('Container does not exist')
            stats = txn.container_stats(account, container)
            objects = txn.objects_in(account, container) if method == 'GET' else []
        if account != user:
            objects = [o for o in objects if can_read(o, user)]
            if method == 'HEAD' or not objects:
                raise Forbidden('Not allowed')
        headers = {
            'X-Container-Object-Count': str(stats['count']),
            'X-Container-Bytes-Used': str(stats['bytes']),
            'X-Container-Block-Size': str(BLOCK_SIZE),
            'X-Container-Block-Hash': BLOCK_HASH,
            'X-Container-Policy-Versioning': 'auto',
            'X-Container-Policy-Quota': '0',
            'Last-Modified': http_date(stats['mtime'] or found['created']),
        }
        for key, value in found['meta'].items():
            headers['X-Container-Meta-' + key] = quote_header(value)
        if method == 'HEAD':
            return self._with_headers(empty_response(204), headers)
        return self._with_headers(self._object_listing(req, objects), headers)

    def _object_listing(self, req, objects):
        prefix = req.GET.get('prefix', '')
        delimiter = req.GET.get('delimiter', '')
        if 'path' in req.GET:
            prefix = req.GET['path'].rstrip('/') + '/' if req.GET['path'] else ''
            delimiter = '/'
        entries, seen_dirs = [], set()
        for record in objects:
            if not record.name.startswith(prefix):
                continue
            if delimiter:
                cut = record.name.find(delimiter, len(prefix))
                if cut >= 0:
                    subdir = record.name[:cut + len(delimiter)]
                    if subdir not in seen_dirs:
                        seen_dirs.add(subdir)
                        entries.append({'subdir': subdir, 'name': subdir})
                    continue
            entries.append(self._object_entry(record))
        entries = self._page(req, entries)
        for entry in entries:
            if 'subdir' in entry:
                entry.pop('name')
        return self._name_listing(req, entries)

    def _object_entry(self, record):
        entry = {
            'name': record.name, 'bytes': record.bytes,
            'hash': record.md5 if self.update_md5 else '',
            'x_object_hash': record.merkle, 'content_type': record.content_type,
            'last_modified': iso_date(record.mtime), 'x_object_uuid': record.uuid,
            'x_object_version': record.version,
            'x_object_version_timestamp': str(record.mtime),
            'x_object_modified_by': record.modified_by,
        }
        if record.read or record.write:
            entry['x_object_sharing'] = format_sharing(record.read, record.write)
        if record.public:
            entry['x_object_public'] = True
        for key, value in record.meta.items():
            entry['x_object_meta_' + key.lower().replace('-', '_')] = value
        return entry

    @staticmethod
    def _page(req, entries):
        marker = req.GET.get('marker')
        if marker:
            entries = [e for e in entries if e.get('subdir', e['name']) > marker]
        limit = req.GET.get('limit')
        if limit:
            try:
                entries = entries[:max(0, int(limit))]
            except ValueError:
                pass
        return entries

    @staticmethod
    def _name_listing(req, entries):
        if req.GET.get('format') == 'json':
            return json_response(entries)
        if not entries:
            return empty_response(204, 'text/plain; charset=UTF-8')
        names = [e.get('subdir', e.get('name')) for e in entries]
        resp = Response(status=200, content_type=None)
        resp.headers['Content-Type'] = 'text/plain; charset=UTF-8'
        resp.body = ''.join(n + '\n' for n in names).encode('utf-8')
        return resp

    @staticmethod
    def _with_headers(resp, headers):
        for key, value in headers.items():
            resp.headers[key] = value
        return resp

    # objects
    def object_view(self, req, user, account, container, name):
        method = req.method
        if method in ('GET', 'HEAD'):
            return self.read_object(req, user, account, container, name)
        if method == 'PUT':
            return self.put_object(req, user, account, container, name)
        if method == 'POST':
            return self.update_object(req, user, account, container, name)
        if method == 'DELETE':
            return self.delete_object(req, user, account, container, name)
        if method in ('COPY', 'MOVE'):
            destination = req.headers.get('Destination')
            if not destination:
                raise BadRequest('Missing Destination header')
            dest_account = req.headers.get('Destination-Account', account)
            dest_container, _, dest_name = unquote(destination).lstrip('/').partition('/')
            return self.copy_or_move(req, user, method == 'MOVE', account, container, name,
                                     dest_account, dest_container, dest_name)
        raise NotAllowed(['COPY', 'DELETE', 'GET', 'HEAD', 'MOVE', 'POST', 'PUT'])

    def _readable(self, txn, user, account, container, name):
        record = txn.object_at(account, container, name)
        if record is None:
            if txn.container(account, container) is None and account == user:
                raise ItemNotFound('Container does not exist')
            raise ItemNotFound('Object does not exist')
        if not can_read(record, user):
            raise Forbidden('Not allowed')
        return record

    def object_headers(self, req, record, user):
        headers = {
            'ETag': self.etag(record),
            'Content-Type': quote_header(record.content_type),
            'Last-Modified': http_date(record.mtime),
            'X-Object-Hash': record.merkle,
            'X-Object-UUID': record.uuid,
            'X-Object-Version': str(record.version),
            'X-Object-Version-Timestamp': http_date(record.mtime),
            'X-Object-Modified-By': record.modified_by,
            'Accept-Ranges': 'bytes',
            'Available': '1',
        }
        for key, value in record.meta.items():
            headers['X-Object-Meta-' + key] = quote_header(value)
        if record.read or record.write:
            headers['X-Object-Sharing'] = quote_header(
                format_sharing(record.read, record.write))
        if record.account != user:
            headers['X-Object-Allowed-To'] = 'write' if can_write(record, user) else 'read'
        elif record.public:
            headers['X-Object-Public'] = (self.catalog.base_url(req)
                                          + '/object-store/v1/public/'
                                          + uuidlib.UUID(record.uuid).hex)
        return headers

    def read_object(self, req, user, account, container, name):
        with self.store.transaction() as txn:
            record = self._readable(txn, user, account, container, name)
            data = self.store.open_blob(record.blob) if req.method == 'GET' else None
        try:
            return self._object_reply(req, user, record, data)
        except BaseException:
            if data is not None:
                data.close()
            raise

    def _object_reply(self, req, user, record, data):
        headers = self.object_headers(req, record, user)
        if req.method == 'GET' and 'hashmap' in req.GET:
            data.close()
            return self._with_headers(json_response(
                {'block_hash': BLOCK_HASH, 'block_size': BLOCK_SIZE,
                 'bytes': record.bytes, 'hashes': record.hashmap}), {
                     k: v for k, v in headers.items() if k != 'Content-Type'})
        if_none = req.headers.get('If-None-Match')
        etag = self.etag(record)
        if if_none and (if_none.strip() == '*' or etag in if_none):
            resp = empty_response(304)
            if data is not None:
                data.close()
            return self._with_headers(resp, {'ETag': etag})
        if_match = req.headers.get('If-Match')
        if if_match and if_match.strip() != '*' and etag not in if_match:
            raise PreconditionFailed('Object ETag does not match')
        resp = Response(status=200, content_type=None)
        self._with_headers(resp, headers)
        size = record.bytes
        ranges = parse_ranges(req.headers.get('Range'), size) if req.method == 'GET' else None
        if req.method == 'HEAD':
            resp.headers['Content-Length'] = str(size)
            return resp
        if ranges is None:
            if not size:
                data.close()
                resp.headers['Content-Length'] = '0'
                return resp
            resp.app_iter = file_slices(data, [(0, size - 1)])
            resp.headers['Content-Length'] = str(size)
            return resp
        resp.status = 206
        if len(ranges) == 1:
            start, end = ranges[0]
            resp.app_iter = file_slices(data, ranges)
            resp.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end, size)
            resp.headers['Content-Length'] = str(end - start + 1)
            return resp
        boundary = uuidlib.uuid4().hex
        body = list(multipart_ranges(data, ranges, size, record.content_type, boundary))
        resp.headers['Content-Type'] = 'multipart/byteranges; boundary=' + boundary
        resp.body = b''.join(body)
        return resp

    def put_object(self, req, user, account, container, name):
        if 'X-Copy-From' in req.headers or 'X-Move-From' in req.headers:
            move = 'X-Move-From' in req.headers
            source = unquote(req.headers['X-Move-From' if move else 'X-Copy-From'])
            src_container, _, src_name = source.lstrip('/').partition('/')
            src_account = req.headers.get('X-Source-Account', account)
            return self.copy_or_move(req, user, move, src_account, src_container,
                                     src_name, account, container, name)
        content_type = req.headers.get('Content-Type', '')
        if not content_type:
            if self.require_content_type:
                raise LengthRequired('Missing Content-Type header')
            content_type = 'application/octet-stream'
        length = request_length(req.environ)
        meta = meta_from_request(req, 'X-Object-Meta-')
        sharing = req.headers.get('X-Object-Sharing')
        permissions = parse_sharing(header_text(sharing)) if sharing is not None else None
        self._check_writable(req, user, account, container, name,
                             changes_sharing=permissions is not None)
        if 'hashmap' in req.GET:
            info = self._assemble_hashmap(req)
        else:
            info = self._receive(req, length)
        try:
            with self.store.transaction() as txn:
                self._check_writable_in(txn, req, user, account, container, name,
                                        permissions is not None)
                read, write = permissions if permissions is not None else (None, None)
                record = txn.put_data(account, container, name, info, content_type, user,
                                      meta=meta, read=read, write=write)
                if 'X-Object-Public' in req.headers:
                    record.public = req.headers['X-Object-Public'].lower() == 'true'
                    txn.save(record)
        except BaseException:
            self.store.remove_blob(info.blob)
            raise
        resp = empty_response(201, 'text/plain; charset=UTF-8')
        resp.headers['ETag'] = self.etag(record)
        resp.headers['X-Object-Version'] = str(record.version)
        return resp

    def _receive(self, req, length):
        expected = req.headers.get('ETag')
        writer = self.store.blob_writer()
        with writer:
            for piece in iter_body(req.environ, length):
                writer.write(piece)
            if expected and expected.strip('"').lower() != writer.md5_hex():
                raise UnprocessableEntity('Object ETag does not match')
            return writer.finish()

    def _assemble_hashmap(self, req):
        body = read_small_body(req.environ)
        try:
            document = json.loads(body.decode('utf-8'))
            size = int(document['bytes'])
            hashes = [str(h).lower() for h in document['hashes']]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise BadRequest('Invalid data formatting')
        missing = [h for h in hashes if not self.store.has_block(h)]
        if missing:
            raise _MissingBlocks(missing)
        if size > len(hashes) * BLOCK_SIZE or size < 0:
            raise BadRequest('Invalid data formatting')
        return self.store.assemble_blocks(hashes, size)

    def upload_blocks(self, req, account, container):
        with self.store.transaction() as txn:
            if txn.container(account, container) is None:
                raise ItemNotFound('Container does not exist')
        length = request_length(req.environ)
        hashes, block = [], bytearray()
        for piece in iter_body(req.environ, length):
            block += piece
            while len(block) >= BLOCK_SIZE:
                hashes.append(self.store.store_block(block[:BLOCK_SIZE]))
                del block[:BLOCK_SIZE]
        if block or not hashes:
            hashes.append(self.store.store_block(block))
        return json_response(hashes, status=202)

    def _check_writable(self, req, user, account, container, name, changes_sharing):
        with self.store.transaction() as txn:
            self._check_writable_in(txn, req, user, account, container, name,
                                    changes_sharing)

    def _check_writable_in(self, txn, req, user, account, container, name,
                           changes_sharing):
        existing = txn.object_at(account, container, name)
        if account != user:
            if existing is None or not can_write(existing, user) or changes_sharing:
                raise Forbidden('Not allowed')
        elif txn.container(account, container) is None:
            raise ItemNotFound('Container does not exist')
        if_none = req.headers.get('If-None-Match')
        if if_none and existing is not None and (
                if_none.strip() == '*' or self.etag(existing) in if_none):
            raise PreconditionFailed('Resource exists or ETag matches')
        if_match = req.headers.get('If-Match')
        if if_match and if_match.strip() != '*' and (
                existing is None or self.etag(existing) not in if_match):
            raise PreconditionFailed('Resource ETag does not match')
        return existing

    def copy_or_move(self, req, user, move, src_account, src_container, src_name,
                     account, container, name):
        if not src_container or not src_name or not container or not name:
            raise BadRequest('Missing source or destination')
        with self.store.transaction() as txn:
            source = self._readable(txn, user, src_account, src_container, src_name)
            if move and not can_write(source, user):
                raise Forbidden('Not allowed')
            self._check_writable_in(txn, req, user, account, container, name, False)
            meta = meta_from_request(req, 'X-Object-Meta-') or None
            if move:
                record = txn.move(source, account, container, name, user)
            else:
                record = txn.copy(source, account, container, name, user, new_meta=meta,
                                  content_type=req.headers.get('Content-Type') or None)
        resp = empty_response(201, 'text/plain; charset=UTF-8')
        resp.headers['ETag'] = self.etag(record)
        resp.headers['X-Object-Version'] = str(record.version)
        return resp

    def update_object(self, req, user, account, container, name):
        meta = meta_from_request(req, 'X-Object-Meta-')
        sharing = req.headers.get('X-Object-Sharing')
        public = req.headers.get('X-Object-Public')
        with self.store.transaction() as txn:
            record = self._readable(txn, user, account, container, name)
            if not can_write(record, user):
                raise Forbidden('Not allowed')
            if (sharing is not None or public is not None) and record.account != user:
                raise Forbidden('Not allowed')
            changed_meta = False
            if 'update' in req.GET:
                for key, value in meta.items():
                    if value:
                        record.meta[key] = value
                    else:
                        record.meta.pop(key, None)
                changed_meta = bool(meta)
            elif meta or (sharing is None and public is None):
                record.meta = {k: v for k, v in meta.items() if v}
                changed_meta = True
            if sharing is not None:
                record.read, record.write = parse_sharing(header_text(sharing))
            if public is not None:
                record.public = public.strip().lower() == 'true'
            if changed_meta:
                txn.bump(record, user)
            txn.save(record)
        return empty_response(202, 'text/plain; charset=UTF-8')

    def delete_object(self, req, user, account, container, name):
        with self.store.transaction() as txn:
            record = self._readable(txn, user, account, container, name)
            if not can_write(record, user):
                raise Forbidden('Not allowed')
            txn.delete(record)
        return empty_response(204)


class _MissingBlocks(faults.Conflict):
    """Hashmap PUT: 409 whose body is the JSON list of the hashes not yet uploaded."""

    def __init__(self, missing):
        super().__init__('Missing blocks')
        self.missing = missing

    def response(self, request_method='GET'):
        return json_response(self.missing, status=409)
