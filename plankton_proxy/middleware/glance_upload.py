"""Image data into Pithos: uploads, queued placeholders, activation.

Plankton never accepted image data; this filter does what a Glance client
expects when it sends some (decisions 4, 5, 6):

* ``POST /images`` **with data** (chunked from glanceclient, Content-Length
  from openstacksdk): the metadata is validated first (formats, name,
  property quota, declared size against the cap), then the body is streamed
  into the caller's Pithos account under ``upload_container`` while its MD5,
  sha512 (Image API v2's ``os_hash_value``) and size are computed; the request then continues down the pipeline as a
  registration of that ``pithos://`` location, with the MD5 kept as the
  image's checksum.  A declared ``x-image-meta-size``/``-checksum`` that
  does not match -> Glance's 400; a chunked body past ``image_size_cap`` ->
  413 (a declared size past it -> 400 before a byte is stored).  On any
  failure (mismatch, client gone, Pithos failing mid-stream, registration
  refused) the object is removed: no orphan, no image;
* ``POST /images`` with **neither data nor location** (openstacksdk creates
  this way before it uploads; an empty chunked body is no data): a zero-byte
  placeholder object is registered with status ``queued``.  A declared
  ``x-image-meta-size: 0`` gives an active empty image instead, as Glance
  does (``zero_size_status``);
* ``PUT /images/<id>`` **with data** or with ``x-image-meta-location`` on a
  queued image: the data (or the named Pithos file, streamed) overwrites the
  placeholder object, which keeps its UUID and so the image id.  The image
  shows ``saving`` while the data streams (a second upload meanwhile, from
  any proxy process, gets 409), then becomes active with size and MD5.  On
  failure the placeholder is put back and the image is queued again.  Data
  to an image that is not queued -> 409;
* with ``delete_uploaded = true``, ``DELETE /images/<id>`` also removes the
  Pithos file when the proxy itself uploaded it (decision 16).

Everything else passes through.  Put it after ``glance_normalize`` (it reads
the parsed metadata) and before ``glance_images`` (which registers).  The
caller's uuid comes from the identity service (``identity_url``, cached
``identity_cache_ttl`` seconds; the token is never logged); Pithos calls go
only to ``pithos_url`` with the caller's token.

Configuration::

    [filter:glance_upload]
    use = egg:plankton_proxy#glance_upload
    # Pithos object API base (serve passes the embedded backend's) and the
    # Astakos-style identity API that tells the caller's uuid.
    # pithos_url = https://storage.example.org/object-store/v1
    # identity_url = https://accounts.example.org/identity/v2.0
    identity_cache_ttl = 60
    # Container of the caller's account that receives uploads; object name
    # template ({name}: the image name made path-safe, {random}: a random
    # hex uuid, {date}: YYYYMMDD).  {random} keeps names collision-free; the
    # proxy also writes with If-None-Match: * so it never overwrites a file.
    upload_container = images
    object_name = {name}-{random}
    # Largest image in bytes (Glance's image_size_cap, 1 TiB).
    image_size_cap = 1099511627776
    # Status of an image created with x-image-meta-size: 0 and no data:
    # active (Glance) or queued.
    zero_size_status = active
    # DELETE /images/<id> also removes the Pithos file the proxy uploaded.
    delete_uploaded = false
    # Pithos connection: timeouts (s), TLS, bytes per read.
    pithos_connect_timeout = 5
    pithos_read_timeout = 60
    verify_tls = true
    ca_file =
    chunk_size = 65536
    # Upstream generation and format maps (as glance_images).
    upstream_dialect = s16
    disk_formats = raw:diskdump
    container_formats = aki:aki, ari:ari, ami:ami, bare:bare, ovf:ovf
    # Glance status shown for a Plankton status outside the table.
    unknown_status = active
    # Most properties an image may have (negative: unlimited) -> 413.
    property_quota = 128
"""

import io
import logging
import re
import time
import uuid as uuidlib

import urllib3
from webob import Request

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _common as c
from plankton_proxy.middleware import _pithos as p
from plankton_proxy.middleware._identity import IdentityUnavailable

LOG = logging.getLogger(__name__)

_UNSAFE_NAME = re.compile(r'[^A-Za-z0-9._-]+')


class _Failed(Exception):
    """A Glance-shaped error response to answer with."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class GlanceUpload(object):

    def __init__(self, app, conf):
        self.app = app
        self.translator = tr.Translator.from_conf(conf)
        self.pithos = p.Pithos.from_conf(conf)
        self.identity = c.caller_identity(conf)
        self.container = conf.get('upload_container', 'images').strip() or 'images'
        self.object_name = conf.get('object_name', '{name}-{random}').strip()
        self.size_cap = c.conf_int(conf, 'image_size_cap', tr.DEFAULT_IMAGE_SIZE_CAP)
        self.zero_size_status = conf.get('zero_size_status', tr.ZERO_SIZE_STATUS).strip()
        self.delete_uploaded = c.conf_bool(conf, 'delete_uploaded', False)
        self.property_quota = c.conf_int(conf, 'property_quota',
                                         tr.DEFAULT_PROPERTY_QUOTA)
        self.chunk_size = c.conf_int(conf, 'chunk_size', 65536)
        self.locks = c.KeyedLocks()

    # -- plumbing ---------------------------------------------------------

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        kind, image_id, _ = c.route(environ.get('PATH_INFO', ''))
        method = environ['REQUEST_METHOD']
        handler = None
        if kind == 'index' and method == 'POST' and \
                environ.get('PATH_INFO') not in ('', '/'):
            handler = self.create
        elif kind == 'image' and method == 'PUT':
            handler = self.update
        elif kind == 'image' and method == 'DELETE' and self.delete_uploaded:
            handler = self.delete
        if handler is None:
            return self.app(environ, start_response)
        try:
            resp = c.answer(handler, environ, image_id)
        except _Failed as exc:
            resp = exc.response
        if resp is None:
            return self.app(environ, start_response)
        return resp(environ, start_response)

    def request_meta(self, environ):
        meta = environ.get(c.META_KEY)
        if meta is None:        # no glance_normalize in front: parse as it does
            from plankton_proxy.middleware.glance_normalize import GlanceNormalize
            meta = GlanceNormalize(None, {}).parse(environ)
            environ[c.META_KEY] = meta
        return meta

    def fail(self, status, message, environ):
        return _Failed(c.glance_error(status, message, environ))

    def need_pithos(self, environ):
        if self.pithos is None:
            raise self.fail(501, 'Image data cannot be stored: this proxy has no '
                            'pithos_url configured. Upload the file to Pithos and '
                            'register it with --location pithos://<account>/'
                            '<container>/<path>.', environ)

    def caller(self, environ):
        self.need_pithos(environ)
        token = c.caller_token(environ)
        try:
            user = self.identity.uuid(token, strict=True)
        except IdentityUnavailable:
            # Not "bad token" (401): the client would drop a good one.
            raise self.fail(503, 'The identity service that tells whose Pithos '
                            'account receives the image could not be asked; '
                            'nothing was stored.', environ)
        if user is None:
            if not self.identity.url:
                raise self.fail(501, 'Image data cannot be stored: this proxy has '
                                'no identity_url configured to tell whose Pithos '
                                'account receives it.', environ)
            raise self.fail(401, 'This server could not verify that you are '
                            'authorized: the identity service does not know '
                            'your token.', environ)
        return user, token

    def new_object_name(self, name):
        safe = _UNSAFE_NAME.sub('_', name or 'image').strip('._') or 'image'
        return self.object_name.format(name=safe[:128], random=uuidlib.uuid4().hex,
                                       date=time.strftime('%Y%m%d', time.gmtime()))

    def check_quota(self, count):
        tr.check_property_quota(count, self.property_quota)

    def declared_length(self, environ):
        """Content-Length of a sized body, None for a chunked one."""
        if 'chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower():
            return None
        try:
            return int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            raise tr.Invalid('Invalid Content-Length.')

    def check_cap(self, fields, length):
        for declared in (length, fields.get('size')):
            if declared is not None and 0 <= self.size_cap < declared:
                raise tr.Invalid(tr.MSG_SIZE_CAP % self.size_cap)

    def fetch(self, environ, image_id):
        image, error = c.fetch_image(self.app, environ, self.translator, image_id)
        if error:
            raise _Failed(error)
        return image

    @staticmethod
    def empty_body(environ):
        environ['wsgi.input'] = io.BytesIO(b'')
        environ['CONTENT_LENGTH'] = '0'
        environ.pop('HTTP_TRANSFER_ENCODING', None)

    def continue_down(self, environ):
        """Call the rest of the pipeline with this (now metadata-only)
        request; -> webob Response (small JSON or an error)."""
        self.empty_body(environ)
        return Request(environ).get_response(self.app)

    # -- Pithos writes ------------------------------------------------------

    def write_failed(self, environ, account, token, where, meter, exc):
        """After a broken write: clean up and raise the matching Glance error.
        ``where`` is (container, name)."""
        error = meter.error or exc
        LOG.info('image upload stopped: %s', error.__class__.__name__)
        self.cleanup(account, token, where)
        if isinstance(error, p.TooLarge):
            raise self.fail(413, tr.MSG_SIZE_CAP % self.size_cap, environ)
        if isinstance(error, p.ClientGone):
            raise self.fail(400, 'The image data ended before it was complete; '
                            'nothing was stored.', environ)
        if isinstance(error, p.SourceBroken):
            raise self.fail(502, 'Reading the source location failed before its '
                            'end; nothing was stored.', environ)
        raise self.fail(502, 'The object store failed while receiving the image '
                        'data; nothing was stored.', environ)

    def cleanup(self, account, token, where):
        """Remove a new object (create) or restore an empty placeholder."""
        container, name, placeholder = where
        if placeholder:
            try:
                self.pithos.put(account, container, name, token, p.Meter(io.BytesIO()),
                                length=0)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                LOG.warning('could not restore placeholder: %s', exc.__class__.__name__)
        else:
            self.pithos.delete(account, container, name, token)

    def write(self, environ, account, token, container, name, meter, length,
              placeholder=False):
        """Stream into Pithos; -> (size, md5).  On any failure the object is
        gone (new) or back to an empty placeholder, and _Failed is raised."""
        where = (container, name, placeholder)
        extra = {} if placeholder else {'If-None-Match': '*'}
        try:
            resp = self.pithos.put(account, container, name, token, meter,
                                   length=length, extra=extra)
        except (p.ClientGone, p.TooLarge, p.SourceBroken,
                urllib3.exceptions.HTTPError, OSError) as exc:
            self.write_failed(environ, account, token, where, meter, exc)
        if meter.error is not None:
            self.write_failed(environ, account, token, where, meter, meter.error)
        if resp.status not in (200, 201, 204):
            message = p.pithos_message(resp)
            if placeholder:
                self.cleanup(account, token, where)
            status = resp.status
            if status == 412:
                status, message = 409, ('The object store already has a file '
                                        'named %s/%s.' % (container, name))
            elif status in (401, 403, 404, 413):
                message = message or resp.reason
            else:
                status, message = 502, ('The object store refused the image data '
                                        '(%d %s).' % (resp.status, message or resp.reason))
            raise self.fail(status, message, environ)
        return meter.size, meter.checksum

    def check_result(self, environ, account, token, where, fields, size, checksum):
        """Glance's after-upload comparisons (glance-v1.md §4 step 7)."""
        problem = None
        if fields.get('size') is not None and fields['size'] != size:
            problem = tr.MSG_SIZE_MISMATCH % (fields['size'], size)
        elif fields.get('checksum') and fields['checksum'] != checksum:
            problem = tr.MSG_CHECKSUM_MISMATCH % (fields['checksum'], checksum)
        if problem:
            self.cleanup(account, token, where)
            raise self.fail(400, problem, environ)

    def body_meter(self, environ, length):
        return p.Meter(environ['wsgi.input'], length=length,
                       cap=self.size_cap if self.size_cap >= 0 else None,
                       chunk_size=self.chunk_size)

    # -- POST /images ---------------------------------------------------------

    def create(self, environ, _image_id):
        meta = self.request_meta(environ)
        fields = meta.fields
        if 'id' in fields or fields.get('copy_from'):
            return None                       # glance_images refuses these
        location = fields.get('location')
        if location is not None:
            if meta.has_data:
                raise tr.Invalid(tr.MSG_MULTIPLE_SOURCES)
            return None                       # a registration: not ours
        # Validate everything before a byte is stored.
        declared_zero = not meta.has_data and fields.get('size') == 0
        self.translator.check_formats(fields, required=meta.has_data or declared_zero)
        if not fields.get('name'):
            raise tr.Invalid('The registry requires an image name '
                             '(x-image-meta-name).')
        self.check_quota(len(meta.properties))
        length = self.declared_length(environ) if meta.has_data else 0
        self.check_cap(fields, length)
        account, token = self.caller(environ)
        try:
            broken = self.pithos.ensure_container(account, self.container, token)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Pithos refused, reset or timed out: a gateway error, nothing stored.
            timeout = isinstance(exc, urllib3.exceptions.TimeoutError) or \
                isinstance(getattr(exc, 'reason', None), urllib3.exceptions.TimeoutError)
            raise self.fail(504 if timeout else 502,
                            'The object store did not answer%s; nothing was stored.'
                            % (' in time' if timeout else ''), environ)
        if broken is not None:
            raise self.fail(broken.status if broken.status in (401, 403, 413) else 502,
                            'Cannot use the Pithos container %s: %s' % (
                                self.container, p.pithos_message(broken)
                                or broken.reason), environ)
        name = self.new_object_name(fields.get('name'))
        if meta.has_data:
            meter = self.body_meter(environ, length)
        else:
            meter = p.Meter(io.BytesIO(), length=0)
            length = 0
        size, checksum = self.write(environ, account, token, self.container, name,
                                    meter, length)
        where = (self.container, name, False)
        self.check_result(environ, account, token, where, fields, size, checksum)
        fields['location'] = 'pithos://%s/%s/%s' % (account, self.container, name)
        fields['size'] = size
        if meta.has_data:
            fields['checksum'] = checksum
            fields['os_hash_algo'] = tr.OS_HASH_ALGO
            fields['os_hash_value'] = meter.os_hash
        else:
            fields.pop('checksum', None)
            # Plankton stores its default formats when none are named;
            # glance_images wants them named for a registration.
            unset = [f for f in tr.FORMAT_FIELDS if not fields.get(f)]
            if unset:
                meta.properties.update(tr.reserved_items('unset_formats', unset))
            disk, cont = self.translator.default_formats()
            fields.setdefault('disk_format', disk)
            fields.setdefault('container_format', cont)
            if not declared_zero or self.zero_size_status == tr.QUEUED_STATUS:
                meta.properties[tr.RESERVED_PROPERTIES['status']] = tr.QUEUED_STATUS
        meta.has_data = False
        try:
            resp = self.continue_down(environ)
        except BaseException:
            self.cleanup(account, token, where)
            raise
        if resp.status_int >= 400:
            self.cleanup(account, token, where)
        return resp

    # -- PUT /images/<id> -----------------------------------------------------

    def update(self, environ, image_id):
        meta = self.request_meta(environ)
        fields = meta.fields
        location = fields.get('location')
        if not meta.has_data and not location:
            return None
        if meta.has_data and location:
            raise tr.Invalid(tr.MSG_MULTIPLE_SOURCES)
        if not image_id or '/' in image_id:
            return None
        with self.locks(image_id):
            current = self.fetch(environ, image_id)
            if current['status'] != tr.QUEUED_STATUS:
                if meta.has_data:
                    return c.glance_error(409, tr.MSG_UNQUEUED, environ)
                return None                   # glance_images: 400 for a location
            return self.activate(environ, image_id, meta, current)

    def activate(self, environ, image_id, meta, current):
        fields = meta.fields
        self.translator.check_formats(fields, required=True, current=current)
        # What glance_images would refuse in the metadata part, refused
        # before any data is stored.
        if 'name' in fields and not fields['name']:
            raise tr.Invalid('The registry requires an image name; an empty name '
                             'cannot be set.')
        self.check_quota(len(set(current.get('properties') or {}) |
                             set(meta.properties)))
        length = self.declared_length(environ) if meta.has_data else None
        self.check_cap(fields, length)
        account, token = self.caller(environ)
        where = tr.parse_pithos_location(current.get('location'))
        if where is None:
            raise self.fail(502, 'The registry did not tell where the data of '
                            'image %s lives.' % image_id, environ)
        owner, container, name = where
        if owner != account:
            raise self.fail(403, 'Only the owner of image %s can upload its data.'
                            % image_id, environ)
        source = None
        if meta.has_data:
            meter = self.body_meter(environ, length)
        else:
            source, length = self.open_source(environ, fields['location'], token)
            if fields.get('size') is not None and fields['size'] != length:
                source.close()
                raise self.fail(409, tr.MSG_LOCATION_SIZE % (fields['size'], length),
                                environ)
            meter = p.Meter(p.stream_reply(source, self.chunk_size), length=length,
                            cap=self.size_cap if self.size_cap >= 0 else None)
        place = (container, name, True)
        saving = False
        try:
            try:
                self.mark_status(environ, image_id, current, tr.SAVING_STATUS)
                saving = True
                size, checksum = self.write(environ, account, token, container, name,
                                            meter, length, placeholder=True)
            finally:
                if source is not None:
                    source.release_conn()
            self.check_result(environ, account, token, place, fields, size, checksum)
            # (formats named only in this request are set by the metadata
            # update that follows)
            headers = self.translator.reserved_update_headers(
                current, {'checksum': checksum, 'status': None,
                          'os_hash_algo': tr.OS_HASH_ALGO,
                          'os_hash_value': meter.os_hash, 'unset_formats': None})
            resp = c.subrequest(self.app, environ, 'PUT', '/images/%s' % image_id,
                                headers=headers)
            if resp.status_int >= 400:
                self.cleanup(account, token, place)
                raise _Failed(c.upstream_error(resp, environ, 'write', image_id))
        except BaseException:
            # The placeholder is back (write/check_result/cleanup saw to the
            # object); the image goes back to queued so the upload can be retried.
            if saving:
                self.mark_status(environ, image_id, current, tr.QUEUED_STATUS,
                                 quiet=True)
            raise
        # The rest of the request (name, properties...) is a metadata update;
        # Glance never purges properties on the PUT that uploads data.
        for field in ('size', 'checksum', 'location', 'status', 'os_hash_algo',
                      'os_hash_value'):
            fields.pop(field, None)
        meta.purge = False
        meta.has_data = False
        return self.continue_down(environ)

    def mark_status(self, environ, image_id, current, status, quiet=False):
        """Set the reserved status of a queued image (``saving`` while its
        data streams, as Glance shows it, and ``queued`` again after a failed
        upload).  ``saving`` also turns away a second upload, even one through
        another proxy process, with 409."""
        headers = self.translator.reserved_update_headers(current, {'status': status})
        try:
            resp = c.subrequest(self.app, environ, 'PUT', '/images/%s' % image_id,
                                headers=headers)
        except Exception as exc:
            if not quiet:
                raise
            LOG.warning('could not set image status back to %s: %s', status,
                        exc.__class__.__name__)
            return
        if resp.status_int >= 400:
            if quiet:
                LOG.warning('could not set image status back to %s: %d', status,
                            resp.status_int)
                return
            raise _Failed(c.upstream_error(resp, environ, 'write', image_id))

    def open_source(self, environ, location, token):
        """A streaming GET of the Pithos file named by ``location``."""
        if not location.startswith('pithos://'):
            raise tr.Invalid("External sources are not supported: '%s'. Only "
                             "pithos://<account>/<container>/<path> locations "
                             "can be used." % location)
        where = tr.parse_pithos_location(location)
        if where is None:
            raise tr.Invalid('Invalid location %s' % location)
        try:
            resp = self.pithos.get(where[0], where[1], where[2], token)
        except (urllib3.exceptions.HTTPError, OSError):
            raise self.fail(502, 'The object store could not be reached.', environ)
        if resp.status != 200:
            message = p.pithos_message(resp)
            resp.release_conn()
            status = 404 if resp.status in (403, 404) else 502
            raise self.fail(status, 'Cannot read %s: %s' % (
                location, message or resp.reason), environ)
        try:
            length = int(resp.headers.get('Content-Length'))
        except (TypeError, ValueError):
            length = None
        return resp, length

    # -- DELETE /images/<id> (delete_uploaded) --------------------------------

    def delete(self, environ, image_id):
        if not image_id or '/' in image_id:
            return None
        try:
            current = self.fetch(environ, image_id)
        except _Failed:
            return None                       # glance_images answers the error
        resp = Request(environ).get_response(self.app)
        where = tr.parse_pithos_location(current.get('location'))
        if resp.status_int >= 300 or where is None or self.pithos is None:
            return resp
        token = c.caller_token(environ)
        try:
            head = self.pithos.head(where[0], where[1], where[2], token)
            if head.headers.get(tr.UPLOAD_MARKER_HEADER) == tr.UPLOAD_MARKER_VALUE:
                self.pithos.delete(where[0], where[1], where[2], token)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            LOG.warning('could not remove uploaded file: %s', exc.__class__.__name__)
        return resp


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceUpload(app, conf)
    return factory
