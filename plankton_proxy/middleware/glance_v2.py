"""Glance Image API v2 over Plankton: a second face of the v1 rules.

Handles every request the ``versions`` filter routed to v2
(``environ['plankton_proxy.api_version'] == 'v2'``; paths relative to
``/v2``).  It keeps no rules of its own: values are translated by the one
table in ``plankton_proxy.translation`` (``v2_json``, ``meta_from_v2_patch``,
``meta_from_v2_create``), and the work is done by the v1 machinery, either
composed (the list selection of ``glance_lists`` and the update/delete rules
of ``glance_images`` over upstream sub-requests) or as Glance v1
sub-requests through the filters below it (queued create, data, members):

* ``GET /schemas/image|images|member|members``: the JSON schemas of what
  is served (formats from the configured maps, no ``community``);
* ``GET /images``: filters (``name``, ``status``, ``visibility``, ``owner``,
  ``container_format``, ``disk_format``, ``size_min``/``size_max``,
  ``protected``, ``os_hidden`` (default false), ``checksum``, ``id``;
  ``eq:``/``in:a,b`` on name, id, status and the formats, another
  operator -> 400; ``created_at``/``updated_at`` with ``gt:``/``gte:``/...
  or none (eq), repeated ``tag``, ``member_status`` (``pending`` and
  ``rejected`` leave out what is shared with the caller), other keys =
  properties; ``changes-since`` -> 400; killed images are not listed),
  ``sort=k:dir,...`` or repeated ``sort_key``/``sort_dir``, ``limit`` and
  ``marker``; ``first``/``next`` links;
* ``POST /images``: JSON create -> 201, a queued placeholder (decision 5,
  done by the data-path filters below);
* ``GET``/``PATCH``/``DELETE /images/<id>``: PATCH takes
  ``application/openstack-images-v2.1-json-patch`` (and v2.0's), formats
  change only while queued (403); DELETE -> 204, 403 when protected; no
  HEAD anywhere (405, as Glance);
* ``PUT``/``DELETE /images/<id>/tags/<tag>``: 204;
* ``PUT /images/<id>/file`` with ``application/octet-stream`` (else 415)
  -> 204 (the data path below streams it into Pithos; the image is
  ``saving`` meanwhile), ``GET /images/<id>/file`` -> the data when
  download is on, else 501 naming the Pithos location;
* ``POST /images/<id>/actions/deactivate|reactivate`` -> 403 (admin-only
  in Glance; Plankton has no deactivated state);
* ``GET``/``POST /images/<id>/members``, ``GET``/``PUT``/``DELETE
  /images/<id>/members/<m>``: members of ``shared`` images (403 for
  others); only the owner adds and removes members, only the member
  answers (403); every member is ``accepted`` (Plankton has no member
  status: a member may confirm ``accepted``, ``pending``/``rejected`` ->
  403).

Anything else under ``/v2`` -> 404; errors have the one shape of
decision 14.  Put it right after ``glance_errors``.

Configuration::

    [filter:glance_v2]
    use = egg:plankton_proxy#glance_v2
    # As for glance_images/glance_lists (read from [DEFAULT] in paste.ini).
    upstream_dialect = s16
    disk_formats = raw:diskdump
    container_formats = aki:aki, ari:ari, ami:ami, bare:bare, ovf:ovf
    unknown_status = active
    # Lists: page size without a limit, largest page, cache of a caller's
    # translated list for follow-up pages (seconds, callers).
    default_limit = 25
    max_limit = 1000
    list_cache_ttl = 10
    list_cache_size = 256
    # Most properties / tags an image may have (negative: unlimited) -> 413.
    property_quota = 128
    tag_quota = 128
    # Astakos-style identity API that tells the caller's uuid (serve passes
    # the embedded backend's), for the owner-only answers; empty: the
    # registry's own checks decide (404 instead of 403).
    # identity_url = https://accounts.example.org/identity/v2.0
    identity_cache_ttl = 60
    # Read by the v1 rules this filter composes; they change nothing in v2
    # (v2 lists are always selected in the proxy, v2 never re-registers,
    # reads no x-image-meta headers and always answers JSON).
    allow_reregister = false
    upstream_paginates = false
    json_show_agents = openstacksdk
    percent_decode = glanceclient
"""

import json
from urllib.parse import parse_qsl, urlencode

from webob import Response

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _common as c
from plankton_proxy.middleware.glance_images import GlanceImages
from plankton_proxy.middleware.glance_lists import GlanceLists

PREFIX = '/v2'


class GlanceV2(object):

    def __init__(self, app, conf):
        self.app = app
        self.translator = tr.Translator.from_conf(conf)
        # The v1 rules, composed over this filter's part of the pipeline.
        self.images = GlanceImages(app, conf)
        self.lists = GlanceLists(app, conf)
        self.tag_quota = c.conf_int(conf, 'tag_quota', tr.DEFAULT_TAG_QUOTA)
        # Who the caller is decides v2's owner-only answers (403 where v1
        # had 404) and what member_status=pending lists.
        self.identity = c.caller_identity(conf)
        self.schemas = {
            'image': tr.v2_image_schema(self.translator),
            'images': tr.v2_images_schema(self.translator),
            'member': tr.v2_member_schema(),
            'members': tr.v2_members_schema(),
        }

    # -- plumbing ---------------------------------------------------------

    def __call__(self, environ, start_response):
        if c.is_upstream(environ) or environ.get(c.API_VERSION_KEY) != 'v2':
            return self.app(environ, start_response)
        method = environ['REQUEST_METHOD']
        handler, args, allow = self.route(environ.get('PATH_INFO', ''), method)
        if handler is None and allow:
            resp = c.not_allowed(environ, allow)
        elif handler is None:
            resp = c.glance_error(404, 'The resource could not be found.', environ)
        else:
            try:
                resp = handler(environ, *args)
            except tr.Invalid as exc:
                headers = None
                if exc.status == 415:
                    headers = {'Accept-Patch': ', '.join(
                        sorted(tr.V2_PATCH_MEDIA_TYPES))}
                resp = c.glance_error(exc.status, str(exc), environ, headers=headers)
        return resp(environ, start_response)

    def route(self, path, method):
        """-> (handler, args, allowed methods) for a v2 path."""
        parts = path.split('/')[1:] if path.startswith('/') else []
        table = None
        args = ()
        if len(parts) == 2 and parts[0] == 'schemas' and parts[1] in self.schemas:
            table, args = {'GET': self.schema}, (parts[1],)
        elif parts == ['images']:
            table = {'GET': self.list, 'POST': self.create}
        elif len(parts) >= 2 and parts[0] == 'images' and parts[1]:
            args = (parts[1],)
            rest = parts[2:]
            if not rest:
                table = {'GET': self.show, 'PATCH': self.update,
                         'DELETE': self.delete}
            elif rest == ['file']:
                table = {'GET': self.download, 'PUT': self.upload}
            elif len(rest) == 2 and rest[0] == 'tags' and rest[1]:
                table, args = {'PUT': self.add_tag, 'DELETE': self.delete_tag}, \
                    (parts[1], rest[1])
            elif rest == ['members']:
                table = {'GET': self.members, 'POST': self.add_member}
            elif len(rest) == 2 and rest[0] == 'actions' and \
                    rest[1] in tr.V2_IMAGE_ACTIONS:
                table, args = {'POST': self.action}, (parts[1], rest[1])
            elif len(rest) == 2 and rest[0] == 'members' and rest[1]:
                table, args = {'GET': self.member, 'PUT': self.member_status,
                               'DELETE': self.delete_member}, (parts[1], rest[1])
        if table is None:
            return None, (), None
        handler = table.get(method)     # v2 serves no HEAD (Glance: 405)
        return handler, args, (None if handler else ', '.join(sorted(table)))

    @staticmethod
    def json_reply(doc, status=200):
        resp = Response(status=status, content_type='application/json', charset=None)
        resp.body = json.dumps(doc).encode()
        return resp

    @staticmethod
    def no_content():
        resp = Response(status=204)
        resp.content_type = None
        return resp

    def image_reply(self, image, status=200):
        return self.json_reply(tr.v2_json(image, PREFIX), status)

    def fetch(self, environ, image_id):
        image, error = self.images.fetch(environ, image_id)
        if error is not None and error.status_int == 404:
            error = c.glance_error(404, 'No image found with ID %s' % image_id, environ)
        return image, error

    def caller(self, environ):
        """The caller's uuid, or None when no identity service is configured
        or it cannot tell (the owner-only checks are then the registry's)."""
        return self.identity.uuid(c.caller_token(environ))

    @staticmethod
    def passed_on(resp, environ):
        """A reply of the v1 filters below, shown as it is (already shaped)."""
        environ[c.RENDERED_KEY] = True
        return resp

    @staticmethod
    def json_body(environ):
        body = c.read_body(environ)
        if not body.strip():
            raise tr.Invalid('Body expected in request.')
        try:
            return json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise tr.Invalid('Malformed JSON in request body.')

    # -- schemas ------------------------------------------------------------

    def schema(self, environ, name):
        return self.json_reply(self.schemas[name])

    # -- list ---------------------------------------------------------------

    @staticmethod
    def time_filter(param, value):
        """``created_at=gte:2016-04-18T21:38:54Z`` (no operator: eq) ->
        (list op, canonical time)."""
        operator, moment = 'eq', value
        try:
            tr.parse_glance_time(value)
        except tr.Invalid:
            operator, _, moment = value.partition(':')
        if operator not in tr.V2_TIME_OPS:
            raise tr.Invalid("Unable to filter by unknown operator '%s'." % operator)
        try:
            when = tr.parse_glance_time(moment)
        except tr.Invalid:
            raise tr.Invalid('Bad "%s" query filter format. Use ISO 8601 DateTime '
                             'notation.' % param)
        return tr.V2_TIME_OPS[operator], tr.render_glance_time(when)

    def parse_list(self, environ):
        params = parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True)
        single = {}
        sort_keys, sort_dirs, tags, props, filters = [], [], [], {}, []
        sort = None
        for key, value in params:
            if key in tr.V2_REMOVED_FILTERS:
                raise tr.Invalid(tr.V2_REMOVED_FILTERS[key])
            if key == 'sort_key':
                sort_keys.append(value)
            elif key == 'sort_dir':
                sort_dirs.append(value)
            elif key == 'tag':
                tags.append(value)
            elif key in tr.V2_LIST_PARAMS or key in tr.V2_LIST_FILTERS:
                single[key] = value
            else:
                props[key] = value
        limit = self.lists.default_limit
        if 'limit' in single:
            try:
                limit = int(single['limit'])
            except ValueError:
                raise tr.Invalid('limit param must be an integer')
            if limit < 0:
                raise tr.Invalid('limit param must be positive')
        limit = min(limit, self.lists.max_limit)
        marker = single.get('marker')
        if 'sort' in single:
            if sort_keys or sort_dirs:
                raise tr.Invalid('The "sort" parameter cannot be combined with '
                                 '"sort_key" or "sort_dir".')
            sort = []
            for item in single['sort'].split(','):
                key, _, direction = item.strip().partition(':')
                sort.append((key.strip(), (direction or 'desc').strip()))
        else:
            if len(sort_dirs) > 1 and len(sort_dirs) != len(sort_keys):
                raise tr.Invalid('Number of sort dirs does not match the number '
                                 'of sort keys')
            keys = sort_keys or [tr.DEFAULT_SORT_KEY]
            dirs = sort_dirs or [tr.DEFAULT_SORT_DIR]
            if len(dirs) == 1:
                dirs = dirs * len(keys)
            sort = list(zip(keys, dirs))
        for key, direction in sort:
            if key not in tr.V2_SORT_KEYS:
                raise tr.Invalid('Invalid sort key: %s. It should be one of the '
                                 'following: %s.' % (key, ', '.join(tr.V2_SORT_KEYS)))
            if direction not in tr.SORT_DIRS:
                raise tr.Invalid('Invalid sort direction: %s. It should be one of '
                                 'the following: asc, desc.' % direction)
        if len(set(k for k, _ in sort)) != len(sort):
            raise tr.Invalid('Sort keys must be unique.')
        for param, (field, op) in tr.V2_LIST_FILTERS.items():
            if param not in single:
                continue
            value = single[param]
            if op in ('ge', 'le'):
                try:
                    value = int(value)
                except ValueError:
                    raise tr.Invalid('Bad value passed to filter %s got %s'
                                     % (param, value))
            elif op == 'bool':
                if value.lower() not in ('true', 'false'):
                    raise tr.Invalid('Invalid value for %s: %s' % (param, value))
                value = value.lower() == 'true'
            elif op == 'time':
                op, value = self.time_filter(param, value)
            elif param == 'visibility':
                if value not in tr.V2_VISIBILITIES + ('all',):
                    raise tr.Invalid('Invalid visibility value: %s' % value)
                if value == 'all':
                    continue
            if param in tr.V2_OPERATOR_FILTERS:
                operator, sep, rest = value.partition(':')
                if sep:
                    if operator not in tr.V2_FILTER_OPERATORS:
                        raise tr.Invalid("Unable to filter by unknown operator '%s'."
                                         % operator)
                    value = rest
                    if operator == 'in':
                        op, value = 'in', set(v.strip() for v in rest.split(','))
            filters.append((field, op, value))
        if 'os_hidden' not in single:
            filters.append(('os_hidden', 'bool', False))
        member_status = single.get('member_status', 'accepted')
        if member_status not in tr.V2_MEMBER_STATUS_FILTERS:
            raise tr.Invalid('Invalid status value: %s' % member_status)
        if member_status in ('pending', 'rejected'):
            # Nobody is pending or rejected: of the images shared with the
            # caller none is left; the caller's own and public ones stay.
            filters.append(('owner', 'own_or_public', self.caller(environ)))
        if marker is not None and not c.is_uuid_like(marker):
            raise tr.Invalid('Invalid marker format')
        return dict(limit=limit, marker=marker, sort=sort, sort_key=sort[0][0],
                    sort_dir=sort[0][1], filters=filters, props=props, tags=tags,
                    hidden=tr.V2_LIST_HIDDEN_STATUSES, changes_since=False,
                    params=params)

    def list(self, environ):
        q = self.parse_list(environ)
        page, more, error = self.lists.select(environ, q)
        if error:
            return self.passed_on(error, environ)
        params = [(k, v) for k, v in q['params'] if k != 'marker']
        first = PREFIX + '/images' + ('?' + urlencode(params) if params else '')
        doc = {'images': [tr.v2_json(im, PREFIX) for im in page],
               'first': first, 'schema': PREFIX + '/schemas/images'}
        if more and page:
            params = [(k, v) for k, v in params if k != 'limit']
            params += [('marker', page[-1]['id']), ('limit', str(q['limit']))]
            doc['next'] = PREFIX + '/images?' + urlencode(params)
        return self.json_reply(doc)

    # -- one image ------------------------------------------------------------

    def show(self, environ, image_id):
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        return self.image_reply(image)

    def create(self, environ):
        doc = self.json_body(environ)
        if isinstance(doc, dict) and doc.get('owner') is not None and \
                doc['owner'] == self.caller(environ):
            del doc['owner']        # naming oneself the owner changes nothing
        meta = tr.meta_from_v2_create(self.translator, doc)
        self.images.check_quota(len(meta.properties))
        self.check_tag_quota(meta.fields.get('tags') or [])
        if not meta.fields.get('name'):
            raise tr.Invalid('The registry requires an image name.')
        self.translator.check_formats(meta.fields)
        resp = c.subrequest(self.app, environ, 'POST', '/images', face='v1',
                            meta=meta, headers=[('Content-Type',
                                                 'application/octet-stream')])
        if resp.status_int >= 400:
            return self.passed_on(resp, environ)
        image_id = json.loads(resp.body.decode('utf-8'))['image']['id']
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        out = self.image_reply(image, status=201)
        out.headers['Location'] = '%s/images/%s' % (PREFIX, image_id)
        return out

    def update(self, environ, image_id):
        changes = tr.v2_patch_changes(environ.get('CONTENT_TYPE'), c.read_body(environ))
        with self.images.locks(image_id):
            current, error = self.fetch(environ, image_id)
            if error:
                return error
            meta = tr.meta_from_v2_patch(self.translator, current, changes)
            return self.apply(environ, image_id, meta, current)

    def apply(self, environ, image_id, meta, current):
        """Store ``meta`` (canonical changes); the caller holds the lock."""
        if 'tags' in meta.fields:
            self.check_tag_quota(meta.fields['tags'])
        if current['status'] == 'deleted':
            raise tr.Invalid('Forbidden to update deleted image.', status=403)
        image, error = self.images.update_image(environ, image_id, meta, current)
        if error:
            return self.passed_on(error, environ)
        return self.image_reply(image)

    def check_tag_quota(self, tags):
        if 0 <= self.tag_quota < len(tags):
            raise tr.Invalid('Maximum number of tags exceeded: attempted %d, '
                             'maximum %d' % (len(tags), self.tag_quota), status=413)
        tr.check_tags_fit(tags)

    def delete(self, environ, image_id):
        resp = self.images.delete(environ, image_id)
        if resp.status_int >= 400:
            return self.passed_on(resp, environ)
        return self.no_content()

    # -- tags ---------------------------------------------------------------

    def change_tags(self, environ, image_id, tag, add):
        # PATH_INFO is latin-1 (PEP 3333); the tag's bytes are UTF-8.
        tag = tr.latin1_to_text(tag)
        tr.check_tag(tag)
        with self.images.locks(image_id):
            current, error = self.fetch(environ, image_id)
            if error:
                return error
            tags = list(current['tags'])
            if add and tag not in tags:
                tags.append(tag)
            elif not add:
                if tag not in tags:
                    return c.glance_error(404, 'Tag %s not found.' % tag, environ)
                tags.remove(tag)
            if tags == current['tags']:
                return self.no_content()
            meta = tr.RequestMeta({'tags': tags}, {}, False, 'json')
            resp = self.apply(environ, image_id, meta, current)
        if resp.status_int >= 400:
            return resp
        return self.no_content()

    def add_tag(self, environ, image_id, tag):
        return self.change_tags(environ, image_id, tag, True)

    def delete_tag(self, environ, image_id, tag):
        return self.change_tags(environ, image_id, tag, False)

    # -- data ---------------------------------------------------------------

    def upload(self, environ, image_id):
        media = (environ.get('CONTENT_TYPE') or '').split(';')[0].strip().lower()
        if media != tr.GLANCE_DATA_CONTENT_TYPE:
            return c.glance_error(415, 'Invalid content type %s' % (media or None),
                                  environ)
        length = environ.get('CONTENT_LENGTH')
        length = int(length) if length not in (None, '') else None
        if length is None and 'chunked' not in \
                environ.get('HTTP_TRANSFER_ENCODING', '').lower():
            length = 0
        current, error = self.fetch(environ, image_id)
        if error:
            return error
        if current['status'] != 'queued':
            return c.glance_error(409, 'Image status transition from %s to saving '
                                  'is not allowed' % current['status'], environ)
        missing = [f for f in tr.FORMAT_FIELDS if current.get(f) is None]
        if missing:
            return c.glance_error(400, 'Properties %s must be set prior to saving '
                                  'data.' % ', '.join(missing), environ)
        resp = c.subrequest(self.app, environ, 'PUT', '/images/%s' % image_id,
                            face='v1', meta=tr.RequestMeta(has_data=True),
                            headers=[('Content-Type', 'application/octet-stream')],
                            stream=environ['wsgi.input'], length=length)
        if resp.status_int >= 400:
            return self.passed_on(resp, environ)
        return self.no_content()

    def download(self, environ, image_id):
        headers = [('Range', environ['HTTP_RANGE'])] if 'HTTP_RANGE' in environ else []
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        if image['status'] == 'queued':
            return self.no_content()     # Glance: no data yet -> 204
        resp = c.subrequest(self.app, environ, environ['REQUEST_METHOD'],
                            '/images/%s/file' % image_id, face='v1', headers=headers)
        return self.passed_on(resp, environ)

    # -- actions ------------------------------------------------------------

    def action(self, environ, image_id, action):
        """deactivate/reactivate (v2.3): admin-only in Glance's default
        policy, and Plankton has no deactivated state, so -> 403 for anyone
        who can see the image."""
        _image, error = self.fetch(environ, image_id)
        if error:
            return error
        return c.glance_error(403, 'You are not authorized to complete %s action: '
                              'the registry (Plankton) has no deactivated images.'
                              % action, environ)

    # -- members ------------------------------------------------------------

    def member_ids(self, environ, image_id):
        resp = c.subrequest(self.app, environ, 'GET', '/images/%s/members' % image_id,
                            face='v1')
        if resp.status_int != 200:
            return None, self.passed_on(resp, environ)
        doc = json.loads(resp.body.decode('utf-8'))
        return [m['member_id'] for m in doc.get('members', [])], None

    def image_and_members(self, environ, image_id, member=None):
        """The image and its member ids; with ``member``, a 404 unless that
        member is one of them."""
        image, error = self.fetch(environ, image_id)
        if error:
            return None, None, error
        ids, error = self.member_ids(environ, image_id)
        if error:
            return None, None, error
        if member is not None and member not in ids:
            return None, None, c.glance_error(
                404, '%s not found in the member list of the image %s.'
                % (member, image_id), environ)
        return image, ids, None

    def owner_only(self, environ, image, action):
        """403 unless the caller owns ``image`` (which the caller can see)."""
        caller = self.caller(environ)
        if caller is not None and caller != image.get('owner'):
            return c.glance_error(403, 'Not allowed to %s members for image %s.'
                                  % (action, image['id']), environ)
        return None

    def shared_image(self, environ, image_id):
        image, error = self.fetch(environ, image_id)
        if error:
            return None, error
        if image['visibility'] != 'shared':
            return None, c.glance_error(
                403, 'Only shared images have members.', environ)
        return image, None

    def members(self, environ, image_id):
        image, ids, error = self.image_and_members(environ, image_id)
        if error:
            return error
        if image['visibility'] != 'shared':
            return c.glance_error(403, 'Only shared images have members.', environ)
        return self.json_reply({
            'members': [tr.v2_member_json(image, m, PREFIX) for m in ids],
            'schema': PREFIX + '/schemas/members'})

    def member(self, environ, image_id, member):
        image, _ids, error = self.image_and_members(environ, image_id, member)
        if error:
            return error
        return self.json_reply(tr.v2_member_json(image, member, PREFIX))

    def add_member(self, environ, image_id):
        doc = self.json_body(environ)
        if not isinstance(doc, dict) or 'member' not in doc:
            raise tr.Invalid('Member to be added not specified')
        member = doc['member']
        if not member:
            raise tr.Invalid("Member can't be empty")
        if not isinstance(member, str):
            raise tr.Invalid('Expected a member in the form: {"member": "image_id"}')
        image, error = self.shared_image(environ, image_id)
        if error:
            return error
        error = self.owner_only(environ, image, 'create')
        if error:
            return error
        ids, error = self.member_ids(environ, image_id)
        if error:
            return error
        if member in ids:
            return c.glance_error(409, 'Member %s is duplicated for image %s'
                                  % (member, image_id), environ)
        resp = c.subrequest(self.app, environ, 'PUT', '/images/%s/members/%s'
                            % (image_id, member), face='v1')
        if resp.status_int >= 400:
            return self.passed_on(resp, environ)
        return self.json_reply(tr.v2_member_json(image, member, PREFIX))

    def member_status(self, environ, image_id, member):
        doc = self.json_body(environ)
        if not isinstance(doc, dict) or 'status' not in doc:
            raise tr.Invalid('Status not specified')
        status = doc['status']
        if status not in tr.V2_MEMBER_STATUSES:
            raise tr.Invalid('Expected a status in the form: {"status": "status"}')
        image, _ids, error = self.image_and_members(environ, image_id, member)
        if error:
            return error
        caller = self.caller(environ)
        if caller is not None and caller == image.get('owner') != member:
            # The answer is the member's to give, not the owner's.
            return c.glance_error(403, 'Not allowed to update members for image %s.'
                                  % image_id, environ)
        if status != tr.V2_MEMBER_STATUS:
            return c.glance_error(
                403, "Member status '%s' cannot be kept: the registry (Plankton) "
                "has no member status, every member is 'accepted'. The image "
                "owner can remove the member instead." % status, environ)
        return self.json_reply(tr.v2_member_json(image, member, PREFIX))

    def delete_member(self, environ, image_id, member):
        image, error = self.fetch(environ, image_id)
        if error:
            return error
        error = self.owner_only(environ, image, 'delete')
        if error:
            return error
        resp = c.subrequest(self.app, environ, 'DELETE', '/images/%s/members/%s'
                            % (image_id, member), face='v1')
        if resp.status_int >= 400:
            return self.passed_on(resp, environ)
        return self.no_content()


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceV2(app, conf)
    return factory
