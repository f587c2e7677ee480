"""Glance v1 image metadata over Plankton: show, create, update, delete.

Handles, for Glance v1 clients (paths relative to the API root, as the
``versions`` filter leaves them):

* ``HEAD /images/<id>``: Plankton's HEAD, re-rendered with Glance names
  (``x-image-meta-disk_format``), ``True``/``False``, Glance timestamps and
  statuses, ASCII values, ``Content-Type: text/html; charset=UTF-8``;
* ``GET /images/<id>``: JSON ``{"image": {...}}`` for openstacksdk and the
  openstack CLI (and any request that asks for JSON); for everybody else
  (glanceclient's download) **501** naming the image's ``pithos://``
  location.  ``GET /images/<id>/file`` (openstacksdk's download) -> 501 too;
* ``POST /images`` with ``x-image-meta-location`` (or a JSON ``location``):
  registers the Pithos file, answers **201** with ``{"image": {...}}`` and an
  absolute ``Location``.  A location that already is an image -> **409**
  with its id, unless ``allow_reregister = true``;
* ``PUT /images/<id>``: Plankton's PUT with Glance's merge/purge rules on
  both upstream generations, serialised per image; **200** ``{"image"}``;
* ``DELETE /images/<id>``: **200** with an empty body; 403 when protected.

Every other Glance path passes through untouched, and so do sub-requests of
other translation filters.  Image data (uploads) is not handled here: a
request that carries data gets 501 (or 409 on an active image, as Glance).

Configuration::

    [filter:glance_images]
    use = egg:plankton_proxy#glance_images
    # Upstream generation: s16 (Synnefo 0.16-0.20) or s13 (Synnefo 0.13).
    upstream_dialect = s16
    # Glance disk format -> Plankton disk format; others are refused (400).
    disk_formats = raw:diskdump
    # Glance container format -> Plankton container format.
    container_formats = aki:aki, ari:ari, ami:ami, bare:bare, ovf:ovf
    # Glance status shown for a Plankton status outside the table.
    unknown_status = active
    # Let POST re-register a location that already is an image (Plankton's
    # "update by re-registration": drops members, may un-publish).
    allow_reregister = false
    # Most properties an image may have (negative: unlimited) -> 413.
    property_quota = 128
    # User-Agent substrings whose GET /images/<id> gets JSON, not data.
    json_show_agents = openstacksdk
    # How glanceclient's percent-encoded header names and values are read:
    # glanceclient (only requests from python-glanceclient), always, never.
    percent_decode = glanceclient
"""

import json

from webob import Request, Response

from plankton_proxy import translation as tr
from plankton_proxy.errors import UpstreamError
from plankton_proxy.middleware import _common as c


class GlanceImages(object):

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf
        self.translator = tr.Translator.from_conf(conf)
        self.allow_reregister = c.conf_bool(conf, 'allow_reregister', False)
        self.property_quota = c.conf_int(conf, 'property_quota',
                                         tr.DEFAULT_PROPERTY_QUOTA)
        self.json_agents = c.json_show_agents(conf)
        self.percent_decode = conf.get('percent_decode', 'glanceclient')
        self.locks = c.KeyedLocks()

    # -- plumbing ---------------------------------------------------------

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        kind, image_id, _member = c.route(environ.get('PATH_INFO', ''))
        method = environ['REQUEST_METHOD']
        handler = None
        if kind == 'index' and environ.get('PATH_INFO') not in ('', '/'):
            if method == 'POST':
                handler = self.create
            elif method not in ('GET',):
                handler = self._not_allowed('GET, POST')
        elif kind == 'image':
            handler = {'HEAD': self.head, 'GET': self.show, 'PUT': self.update,
                       'DELETE': self.delete}.get(
                           method, self._not_allowed('GET, HEAD, PUT, DELETE'))
        elif kind == 'file':
            handler = self.file if method in ('GET', 'HEAD') else \
                self._not_allowed('GET')
        elif kind == 'bad':
            handler = self._not_found
        if handler is None:
            return self.app(environ, start_response)
        return c.answer(handler, environ, image_id)(environ, start_response)

    def _not_allowed(self, allow):
        def handler(environ, image_id):
            return c.not_allowed(environ, allow)
        return handler

    def _not_found(self, environ, image_id):
        return c.glance_error(404, 'The resource could not be found.', environ)

    def fetch(self, environ, image_id, kind='read'):
        """HEAD the image upstream -> (canonical image, None) or (None, error)."""
        return c.fetch_image(self.app, environ, self.translator, image_id)

    def request_meta(self, environ):
        meta = environ.get(c.META_KEY)
        if meta is not None:
            return meta
        if c.is_json_body(environ):
            body = c.read_body(environ)
            meta = tr.meta_from_glance_json(body) if body.strip() else tr.RequestMeta()
        else:
            decode = (self.percent_decode == 'always' or
                      (self.percent_decode == 'glanceclient'
                       and c.is_glanceclient(environ)))
            meta = tr.meta_from_glance_headers(
                c.meta_headers(environ), percent_decoded=decode,
                unknown_as_property=c.is_sdk(environ))
            meta.has_data = c.has_data(environ)
        environ[c.META_KEY] = meta
        return meta

    def image_response(self, image, status=200, environ=None):
        resp = Response(status=status, content_type='application/json', charset=None)
        resp.body = json.dumps({'image': self.translator.glance_json(image)}).encode()
        if image.get('checksum'):
            resp.headers['ETag'] = image['checksum']
        return resp

    # -- HEAD / GET ----------------------------------------------------------

    def head(self, environ, image_id):
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        resp = Response(status=200)
        resp.content_type = 'text/html'
        resp.charset = 'UTF-8'
        for name, value in self.translator.glance_headers(image):
            resp.headers.add(name, value)
        resp.content_length = 0
        return resp

    def show(self, environ, image_id):
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        if c.wants_json(environ, self.json_agents):
            return self.image_response(image)
        return self.not_served(environ, image)

    def file(self, environ, image_id):
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        return self.not_served(environ, image)

    def not_served(self, environ, image):
        location = image.get('location') or '(unknown)'
        where = tr.parse_pithos_location(location)
        how = ''
        if where:
            how = (" Fetch it from Pithos: GET <pithos-url>/%s/%s/%s with your token,"
                   " or 'kamaki file download /%s/%s'."
                   % (tr.quote(where[0]), tr.quote(where[1]),
                      tr.quote(where[2], safe='/'), where[1], where[2]))
        return c.glance_error(
            501, 'Image download is not implemented by this proxy: the data of '
            'image %s lives at %s.%s' % (image['id'], location, how), environ)

    # -- create -------------------------------------------------------------

    def create(self, environ, _image_id):
        meta = self.request_meta(environ)
        fields = meta.fields
        if 'id' in fields:
            raise tr.Invalid('Setting the image ID is not supported: the id of an '
                             'image is the UUID of its Pithos file.')
        if fields.get('copy_from'):
            raise tr.Invalid("External sources are not supported: '%s'"
                             % fields['copy_from'])
        location = fields.get('location')
        if meta.has_data:
            if location:
                raise tr.Invalid("It's invalid to provide multiple image sources.")
            return c.glance_error(
                501, 'Uploading image data through this proxy is not supported '
                'yet. Upload the file to Pithos and register it with '
                '--location pithos://<account>/<container>/<path>.', environ)
        if location is None:
            return c.glance_error(
                501, 'Images without a location (queued images) are not '
                'supported yet. Register a Pithos file with '
                '--location pithos://<account>/<container>/<path>.', environ)
        if not location:
            raise tr.Invalid('External source should not be empty')
        if not location.startswith('pithos://'):
            raise tr.Invalid("External sources are not supported: '%s'. Only "
                             "pithos://<account>/<container>/<path> locations "
                             "can be registered." % location)
        if tr.parse_pithos_location(location) is None:
            raise tr.Invalid("Invalid location %s" % location)
        self.translator.check_formats(fields, required=True)
        if not fields.get('name'):
            raise tr.Invalid("The registry requires an image name "
                             "(x-image-meta-name).")
        self.check_quota(len(meta.properties))
        # One create per location at a time (in this process): two clients
        # registering the same file at once get one 201 and one 409, never
        # a silent re-registration between the check and the POST.
        with self.locks('location:' + location):
            return self._create(environ, meta, fields, location)

    def _create(self, environ, meta, fields, location):
        # Decision 7: never re-register an existing image by surprise.
        if not self.allow_reregister:
            existing, error = self.find_by_location(environ, location)
            if error:
                return error
            if existing:
                return c.glance_error(
                    409, 'An image with identifier %s is already registered at '
                    '%s. Update it with PUT /v1/images/%s (glance image-update '
                    '%s) instead.' % (existing, location, existing, existing),
                    environ)
        headers = self.translator.plankton_headers(meta, 'create')
        resp = c.subrequest(self.app, environ, 'POST', '/images/', headers=headers)
        size = fields.get('size')
        if resp.status_int == 400 and size is not None and 'Invalid size' in \
                tr.plankton_error_message(resp.body, resp.content_type):
            return c.glance_error(
                409, 'Provided image size must match the stored image size. '
                '(provided size: %d)' % size, environ)
        if resp.status_int == 403:
            return c.glance_error(
                403, 'Access was denied to %s: only the owner of a Pithos file can '
                'register it.' % location, environ)
        if resp.status_int == 404:
            return c.glance_error(
                404, 'No Pithos file at %s (or its container does not exist).'
                % location, environ)
        if resp.status_int >= 400:
            return c.upstream_error(resp, environ, 'write')
        image = self.translator.image_from_plankton_headers(resp.headerlist)
        if size is not None and size != image['size']:
            if not self.allow_reregister:
                c.subrequest(self.app, environ, 'DELETE', '/images/%s' % image['id'])
            return c.glance_error(
                409, 'Provided image size must match the stored image size. '
                '(provided size: %d, stored size: %d)' % (size, image['size']),
                environ)
        out = self.image_response(image, status=201)
        out.headers['Location'] = '%s%s/images/%s' % (
            Request(environ).host_url, environ.get('SCRIPT_NAME', ''), image['id'])
        return out

    def check_quota(self, count):
        tr.check_property_quota(count, self.property_quota)

    def find_by_location(self, environ, location):
        resp = c.subrequest(self.app, environ, 'GET', '/images/detail')
        if resp.status_int != 200:
            return None, c.upstream_error(resp, environ, 'read')
        for item in plankton_list(resp):
            if tr.unquote_location(item.get('location') or '') == location:
                return item.get('id'), None
        return None, None

    # -- update -------------------------------------------------------------

    def update(self, environ, image_id):
        meta = self.request_meta(environ)
        with self.locks(image_id):
            current, error = self.fetch(environ, image_id)
            if error:
                return error
            return self._update(environ, image_id, meta, current)

    def _update(self, environ, image_id, meta, current):
        image, error = self.update_image(environ, image_id, meta, current)
        return error or self.image_response(image)

    def update_image(self, environ, image_id, meta, current):
        """Glance's update rules on canonical ``meta`` over ``current``
        -> (canonical image, None) or (None, error response).  The caller
        holds ``self.locks(image_id)``.  Shared with the v2 face."""
        image, error = None, None
        try:
            image = self._apply_update(environ, image_id, meta, current)
        except _Refused as exc:
            error = exc.response
        return image, error

    def _apply_update(self, environ, image_id, meta, current):
        def refuse(response):
            raise _Refused(response)
        fields = dict(meta.fields)
        status = current['status']
        if status == 'deleted':
            refuse(c.glance_error(403, 'Forbidden to update deleted image.', environ))
        for field in ('status', 'id'):
            if field in fields and fields[field] is not None \
                    and fields[field] != current.get(field):
                refuse(c.glance_error(403, "Forbidden to modify '%s' of image."
                                      % field, environ))
        for field in ('size', 'checksum'):
            if fields.get(field) is not None and fields[field] != current.get(field) \
                    and status == 'active':
                refuse(c.glance_error(403, "Forbidden to modify '%s' of %s image."
                                      % (field, status), environ))
        if meta.has_data:
            if status != 'queued':
                refuse(c.glance_error(409, 'Cannot upload to an unqueued image',
                                      environ))
            refuse(c.glance_error(501, 'Uploading image data through this proxy '
                                  'is not supported yet.', environ))
        if fields.get('location') or fields.get('copy_from'):
            if status != 'queued':
                refuse(c.glance_error(400, 'Attempted to update Location field for '
                                      'an image not in queued status.', environ))
            refuse(c.glance_error(501, 'Activating a queued image through this '
                                  'proxy is not supported yet.', environ))
        if 'name' in fields and fields['name'] is None:
            raise tr.Invalid('The registry requires an image name; an empty name '
                             'cannot be set.')
        for field in ('size', 'checksum', 'status', 'id', 'location', 'copy_from',
                      'owner', 'store', 'uri'):
            fields.pop(field, None)
        if fields.get('is_public') is None:
            fields.pop('is_public', None)
        elif fields['is_public'] == current['is_public']:
            fields.pop('is_public')
        elif self.translator.dialect == 's13':
            refuse(c.glance_error(
                501, 'The upstream registry (Synnefo 0.13) cannot change '
                'is_public of a registered image.', environ))
        self.translator.check_formats(fields)
        for field in ('name', 'disk_format', 'container_format'):
            if field in fields and fields[field] == current.get(field):
                fields.pop(field)
        purge = meta.purge
        if purge is None:
            purge = meta.source == 'headers' and not c.is_sdk(environ)
        meta = tr.RequestMeta(fields, meta.properties, purge, meta.source)
        wanted = dict(meta.properties) if purge else \
            dict(current['properties'], **meta.properties)
        self.check_quota(len([v for v in wanted.values() if v != '']))
        headers = self.translator.plankton_headers(meta, 'update', current)
        if not headers:
            return current
        resp = c.subrequest(self.app, environ, 'PUT', '/images/%s' % image_id,
                            headers=headers)
        if resp.status_int >= 400:
            refuse(c.upstream_error(resp, environ, 'write', None))
        image = self.translator.image_from_plankton_headers(resp.headerlist)
        if not image.get('id'):
            image, error = self.fetch(environ, image_id)
            if error:
                refuse(error)
        return image

    # -- delete -------------------------------------------------------------

    def delete(self, environ, image_id):
        with self.locks(image_id):
            current, error = self.fetch(environ, image_id)
            if error:
                return error
            if current['protected']:
                return c.glance_error(403, 'Image is protected', environ)
            resp = c.subrequest(self.app, environ, 'DELETE', '/images/%s' % image_id)
        if resp.status_int == 405:
            return c.glance_error(501, 'The upstream registry (Synnefo 0.13) '
                                  'cannot unregister images.', environ)
        if resp.status_int >= 400:
            return c.upstream_error(resp, environ, 'write', None)
        out = Response(status=200)
        out.content_type = 'text/html'
        out.charset = 'UTF-8'
        out.content_length = 0
        return out


class _Refused(Exception):
    """An update refused with this Glance-shaped response."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def plankton_list(resp):
    """The items of a Plankton list reply (see ``translation.plankton_list_items``).

    A successful reply that is not such a list raises ``UpstreamError`` (a
    502): taking it for an empty list would hide images, and would let a
    create register a location that already is an image."""
    try:
        return tr.plankton_list_items(resp.body)
    except ValueError:
        raise UpstreamError('the image list is not a JSON list')


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceImages(app, conf)
    return factory
