"""Glance v1 image members and shared images over Plankton.

* ``GET /images/<id>/members``: Plankton's list without the owner's own
  uuid (Plankton lists it), ``can_share`` false;
* ``PUT /images/<id>/members/<m>``: add (204).  An optional
  ``{"member": {"can_share": true}}`` cannot be honoured by Plankton: the
  member is added with ``can_share`` false and the reply carries a
  ``Warning`` header saying so;
* ``PUT /images/<id>/members`` with ``{"memberships": [...]}``: replace
  (204), validated as Glance does; the owner is kept in the upstream read
  list (needed on Synnefo 0.13);
* ``DELETE /images/<id>/members/<m>``: remove (204); not a member -> 404;
* ``GET /images/<id>/members/<m>``: synthesised ``{"member": {...}}`` or 404;
* ``GET /shared-images/<m>``: the images the caller can see that are shared
  *with* ``<m>`` (Glance's meaning), computed from the detail list and each
  image's members; never forwarded (Plankton's meaning differs).

Member changes by somebody who may not change them -> 404, as Glance.
Quota: more members than ``member_quota`` -> 413.

When ``identity_url`` is set (``plankton-proxy serve`` sets it for the
embedded backend), the caller's uuid is asked there (cached
``identity_cache_ttl`` seconds) so that a non-owner sees only their own
membership row, and ``shared-images`` shows only rows for images the caller
owns or memberships of the caller (Glance's visibility, decision 12).
Without it every reader sees all rows but the owner's.

Configuration::

    [filter:glance_members]
    use = egg:plankton_proxy#glance_members
    # As for glance_images (they shape the images read for shared-images).
    upstream_dialect = s16
    disk_formats = raw:diskdump
    container_formats = aki:aki, ari:ari, ami:ami, bare:bare, ovf:ovf
    unknown_status = active
    # Most members an image may have (negative: unlimited) -> 413.
    member_quota = 128
    # Astakos-style identity service (POST <identity_url>/tokens); empty: none.
    identity_url =
    identity_cache_ttl = 60
"""

import json
import re

from webob import Response

from plankton_proxy import translation as tr
from plankton_proxy.errors import UpstreamError
from plankton_proxy.middleware import _common as c
from plankton_proxy.middleware.glance_images import plankton_list

#: Plankton routes member ids matching this only (plankton.md §1.2; ASCII:
#: a non-ASCII "word" character made the registry fail).
MEMBER_RE = re.compile(r'^[\w@._-]+$', re.ASCII)
CAN_SHARE_WARNING = ('299 plankton-proxy "can_share is not supported by the '
                     'registry: the member was added with can_share false"')


class GlanceMembers(object):

    def __init__(self, app, conf):
        self.app = app
        self.translator = tr.Translator.from_conf(conf)
        self.quota = c.conf_int(conf, 'member_quota', tr.DEFAULT_MEMBER_QUOTA)
        self.locks = c.KeyedLocks()
        self.identity = c.caller_identity(conf)

    def caller(self, environ):
        return self.identity.uuid(c.caller_token(environ))

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        kind, image_id, member = c.route(environ.get('PATH_INFO', ''))
        method = environ['REQUEST_METHOD']
        if kind == 'members':
            handler = {'GET': self.list, 'PUT': self.replace}.get(method)
            allow = 'GET, PUT'
        elif kind == 'member':
            handler = {'GET': self.show, 'PUT': self.add,
                       'DELETE': self.remove}.get(method)
            allow = 'GET, PUT, DELETE'
        elif kind == 'shared':
            handler, allow = self.shared, None
        else:
            return self.app(environ, start_response)
        if handler is None:
            resp = c.not_allowed(environ, allow)
        else:
            resp = c.answer(handler, environ, image_id, member)
        return resp(environ, start_response)

    # -- upstream helpers -------------------------------------------------------

    def members(self, environ, image):
        """-> ([member ids without the owner], None) or (None, error)."""
        resp = c.subrequest(self.app, environ, 'GET',
                            '/images/%s/members' % image['id'])
        if resp.status_int != 200:
            return None, c.upstream_error(resp, environ, 'read', image['id'])
        try:
            doc = json.loads(resp.body.decode('utf-8'))
        except ValueError:
            raise UpstreamError('the member list is not JSON')
        if not isinstance(doc, dict) or not isinstance(doc.get('members', []), list):
            raise UpstreamError('the member list is not a list')
        ids = [m.get('member_id') for m in doc.get('members', [])
               if isinstance(m, dict)]
        return [m for m in ids if m and m != image.get('owner') and m != '*'], None

    def image_members(self, environ, image_id):
        """-> (image, [member ids without the owner], None) or (None, None, error)."""
        image, error = c.fetch_image(self.app, environ, self.translator, image_id)
        if error:
            return None, None, error
        ids, error = self.members(environ, image)
        if error:
            return None, None, error
        return image, ids, None

    def check_member(self, member):
        if not member or not MEMBER_RE.match(member):
            raise tr.Invalid("Invalid member id '%s': the registry accepts letters, "
                             "digits and @._- only." % member)

    def no_content(self, warning=False):
        resp = Response(status=204)
        resp.content_type = None
        if warning:
            resp.headers['Warning'] = CAN_SHARE_WARNING
        return resp

    def json_reply(self, doc):
        resp = Response(status=200, content_type='application/json', charset=None)
        resp.body = json.dumps(doc).encode()
        return resp

    # -- handlers ---------------------------------------------------------------

    def list(self, environ, image_id, _member):
        image, ids, error = self.image_members(environ, image_id)
        if error:
            return error
        caller = self.caller(environ)
        if caller is not None and caller != image.get('owner'):
            ids = [m for m in ids if m == caller]
        return self.json_reply({'members': [{'member_id': m, 'can_share': False}
                                            for m in ids]})

    def show(self, environ, image_id, member):
        image, ids, error = self.image_members(environ, image_id)
        if error:
            return error
        caller = self.caller(environ)
        if caller is not None and caller not in (image.get('owner'), member):
            ids = []
        if member not in ids:
            return c.glance_error(404, 'Membership could not be found.', environ)
        return self.json_reply({'member': {'member_id': member, 'can_share': False}})

    def add(self, environ, image_id, member):
        self.check_member(member)
        body = c.read_body(environ)
        can_share = False
        if body.strip():
            try:
                doc = json.loads(body.decode('utf-8'))
            except (ValueError, UnicodeDecodeError, RecursionError):
                raise tr.Invalid('Malformed JSON in request body.')
            if isinstance(doc, dict) and isinstance(doc.get('member'), dict):
                can_share = bool(doc['member'].get('can_share'))
        with self.locks(image_id):
            image, ids, error = self.image_members(environ, image_id)
            if error:
                return error
            tr.check_member_quota(len(ids) + 1, self.quota)
            resp = c.subrequest(self.app, environ, 'PUT', '/images/%s/members/%s'
                                % (image_id, member))
        if resp.status_int >= 400:
            return self.change_error(resp, environ, image_id)
        return self.no_content(warning=can_share)

    def remove(self, environ, image_id, member):
        self.check_member(member)
        with self.locks(image_id):
            image, ids, error = self.image_members(environ, image_id)
            if error:
                return error
            if member not in ids:
                return c.glance_error(404, 'Membership could not be found.', environ)
            resp = c.subrequest(self.app, environ, 'DELETE', '/images/%s/members/%s'
                                % (image_id, member))
        if resp.status_int >= 400:
            return self.change_error(resp, environ, image_id)
        return self.no_content()

    def replace(self, environ, image_id, _member):
        body = c.read_body(environ)
        try:
            doc = json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise tr.Invalid('Malformed JSON in request body.')
        if not isinstance(doc, dict):
            raise tr.Invalid('Unexpected body type. Expected list/dict.')
        entries = doc.get('memberships')
        if not isinstance(entries, list) or \
                not all(isinstance(e, dict) and e.get('member_id') for e in entries):
            raise tr.Invalid("Invalid membership association: 'member_id'")
        wanted = []
        can_share = False
        for entry in entries:
            member = str(entry['member_id'])
            self.check_member(member)
            can_share = can_share or bool(entry.get('can_share'))
            if member not in wanted:
                wanted.append(member)
        tr.check_member_quota(len(wanted), self.quota)
        with self.locks(image_id):
            image, error = c.fetch_image(self.app, environ, self.translator, image_id)
            if error:
                return error
            upstream = list(wanted)
            if image.get('owner') and image['owner'] not in upstream:
                upstream.append(image['owner'])
            payload = json.dumps({'memberships': [{'member_id': m} for m in upstream]})
            resp = c.subrequest(self.app, environ, 'PUT',
                                '/images/%s/members' % image_id,
                                headers=[('Content-Type', 'application/json')],
                                body=payload)
        if resp.status_int >= 400:
            return self.change_error(resp, environ, image_id)
        return self.no_content(warning=can_share)

    def change_error(self, resp, environ, image_id):
        message = tr.plankton_error_message(resp.body, resp.content_type)
        status = tr.glance_status_for(resp.status_int, message, 'members')
        if resp.status_int == 403:
            return c.glance_error(404, 'No permission to share that image', environ)
        if status == 404:
            return c.glance_error(404, 'Image with identifier %s not found'
                                  % image_id, environ)
        return c.upstream_error(resp, environ, 'members', image_id)

    def shared(self, environ, _image_id, member):
        if environ['REQUEST_METHOD'] not in ('GET', 'HEAD'):
            return c.not_allowed(environ, 'GET')
        resp = c.subrequest(self.app, environ, 'GET', '/images/detail')
        if resp.status_int != 200:
            return c.upstream_error(resp, environ, 'read')
        rows = []
        caller = self.caller(environ)
        for item in plankton_list(resp):
            image = self.translator.image_from_plankton_json(item)
            if image.get('owner') == member:
                continue
            if caller is not None and caller not in (image.get('owner'), member):
                continue
            ids, error = self.members(environ, image)
            if error:
                continue
            if member in ids:
                rows.append({'image_id': image['id'], 'can_share': False})
        return self.json_reply({'shared_images': rows})


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceMembers(app, conf)
    return factory
