"""Glance v1 image lists over Plankton.

``GET /images`` (brief), ``GET /images/detail`` and ``GET /`` (the v1 root,
which Glance maps to the brief list) with Glance's query parameters:
``limit`` (default 25, capped at 1000, bad value -> 400), ``marker`` (bad or
unknown -> 400), ``sort_key``, ``sort_dir`` (Glance's keys, tie-breaks
``created_at`` then ``id``), and the filters ``name``, ``status``,
``disk_format``, ``container_format``, ``size_min``, ``size_max``,
``min_ram``, ``min_disk``, ``protected``, ``is_public`` (validated; it only
affects admins in Glance, so it is ignored), ``changes-since`` and
``property-<key>``.

Plankton never paginates and (since 0.14) ignores filters, so this filter
fetches the caller's upstream detail list once, translates it to canonical
images and filters, sorts and slices it itself.  The translated list is kept
for ``list_cache_ttl`` seconds per caller (per token): the first page of a
listing (no ``marker``) always asks the upstream, and the following pages
(with ``marker``) reuse it, so paging through N images costs O(N) upstream
work.  When a page is cut, the reply carries
``"images_links": [{"rel": "next", "href": ...}]`` for openstacksdk.

With ``upstream_paginates = true``, unfiltered lists pass ``limit``,
``marker``, ``sort_key`` and ``sort_dir`` to the upstream and only the reply
is translated (for upstreams that page, such as the embedded backend's
extension); filtered lists are still done in the proxy, since Plankton
ignores filters.

Configuration::

    [filter:glance_lists]
    use = egg:plankton_proxy#glance_lists
    upstream_dialect = s16
    disk_formats = raw:diskdump
    container_formats = aki:aki, ari:ari, ami:ami, bare:bare, ovf:ovf
    unknown_status = active
    # Page size when the client gives no limit, and the largest page.
    default_limit = 25
    max_limit = 1000
    # Seconds a caller's translated list is reused for follow-up pages.
    list_cache_ttl = 10
    # Callers (tokens) whose lists are cached at once.
    list_cache_size = 256
    # The upstream honours limit/marker/sort/filters itself.
    upstream_paginates = false
"""

import json
import threading
import time
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from webob import Response

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _common as c
from plankton_proxy.middleware.glance_images import plankton_list


class ListCache(object):
    """caller key -> (expiry, [canonical images]), LRU-bounded."""

    def __init__(self, ttl, size):
        self.ttl = ttl
        self.size = size
        self.lock = threading.Lock()
        self.items = OrderedDict()

    def get(self, key):
        with self.lock:
            entry = self.items.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self.items[key]
                return None
            self.items.move_to_end(key)
            return entry[1]

    def put(self, key, images):
        if self.ttl <= 0:
            return
        with self.lock:
            self.items[key] = (time.monotonic() + self.ttl, images)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class GlanceLists(object):

    def __init__(self, app, conf):
        self.app = app
        self.translator = tr.Translator.from_conf(conf)
        self.default_limit = c.conf_int(conf, 'default_limit', tr.LIST_DEFAULT_LIMIT)
        self.max_limit = c.conf_int(conf, 'max_limit', tr.LIST_MAX_LIMIT)
        self.paginates = c.conf_bool(conf, 'upstream_paginates', False)
        self.cache = ListCache(c.conf_float(conf, 'list_cache_ttl', 10.0),
                               c.conf_int(conf, 'list_cache_size', 256))

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        kind, _, _ = c.route(environ.get('PATH_INFO', ''))
        if kind not in ('index', 'detail'):
            return self.app(environ, start_response)
        method = environ['REQUEST_METHOD']
        if kind == 'detail' and method != 'GET':
            allow = 'GET' if method == 'HEAD' else 'GET, HEAD'
            resp = c.not_allowed(environ, allow)
        elif kind == 'index' and method != 'GET':
            return self.app(environ, start_response)   # POST: glance_images
        else:
            resp = c.answer(self.list, environ, brief=(kind == 'index'))
        return resp(environ, start_response)

    # -- parameters ----------------------------------------------------------

    def parse(self, environ):
        params = parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True)
        query = {}
        props = {}
        for key, value in params:
            if key.startswith(tr.LIST_PROPERTY_FILTER_PREFIX):
                props[tr.normalise_property_key(
                    key[len(tr.LIST_PROPERTY_FILTER_PREFIX):])] = value
            else:
                query[key] = value
        limit = self.default_limit
        if 'limit' in query:
            try:
                limit = int(query['limit'])
            except ValueError:
                raise tr.Invalid('limit param must be an integer')
            if limit < 0:
                raise tr.Invalid('limit param must be positive')
        limit = min(limit, self.max_limit)
        marker = query.get('marker')
        if marker is not None and not c.is_uuid_like(marker):
            raise tr.Invalid('Invalid marker format')
        sort_key = query.get('sort_key', tr.DEFAULT_SORT_KEY)
        if sort_key not in tr.SORT_KEYS:
            raise tr.Invalid('Unsupported sort_key. Acceptable values: %s'
                             % ', '.join(tr.SORT_KEYS))
        sort_dir = query.get('sort_dir', tr.DEFAULT_SORT_DIR)
        if sort_dir not in tr.SORT_DIRS:
            raise tr.Invalid('Unsupported sort_dir. Acceptable values: %s'
                             % ', '.join(tr.SORT_DIRS))
        filters = []
        for param, (field, op) in tr.LIST_FILTERS.items():
            if param not in query:
                continue
            value = query[param]
            if op in ('ge', 'le') or param == 'min_ram':
                try:
                    value = int(value)
                    if value < 0:
                        raise ValueError
                except ValueError:
                    raise tr.Invalid('Bad value passed to filter %s got %s'
                                     % (param, query[param]))
            elif param == 'min_disk':
                try:
                    value = int(value)
                except ValueError:
                    value = None      # Glance: nothing matches
            elif op == 'bool':
                if value.lower() not in ('true', 'false', '1', '0'):
                    raise tr.Invalid('Bad value passed to filter %s got %s'
                                     % (param, value))
                value = value.lower() in ('true', '1')
            elif op == 'gt':
                value = tr.render_glance_time(tr.parse_glance_time(value))
            filters.append((field, op, value))
        if 'is_public' in query and \
                query['is_public'].lower() not in ('none', 'true', 'false', '1', '0'):
            raise tr.Invalid('Bad value passed to filter is_public got %s'
                             % query['is_public'])
        return dict(limit=limit, marker=marker, sort_key=sort_key,
                    sort_dir=sort_dir, filters=filters, props=props,
                    changes_since='changes-since' in query, params=params)

    # -- the list ------------------------------------------------------------

    def upstream_images(self, environ, use_cache):
        key = c.caller_key(environ)
        if use_cache:
            images = self.cache.get(key)
            if images is not None:
                return images, None
        resp = c.subrequest(self.app, environ, 'GET', '/images/detail')
        if resp.status_int != 200:
            return None, c.upstream_error(resp, environ, 'read')
        images = [self.translator.image_from_plankton_json(item)
                  for item in plankton_list(resp)]
        self.cache.put(key, images)
        return images, None

    def list(self, environ, brief):
        q = self.parse(environ)
        if self.paginates and not q['filters'] and not q['props']:
            # Plankton ignores filters (S16+), so only unfiltered lists page upstream.
            return self.list_paginated(environ, q, brief)
        page, more, error = self.select(environ, q)
        if error:
            return error
        return self.render(environ, page, brief, q, more)

    def select(self, environ, q):
        """Filter, sort and slice the caller's list -> (page, more, error).

        Shared with the v2 face: ``q`` as :meth:`parse` makes it, optionally
        with ``sort`` (a list of (key, dir)), ``hidden`` (statuses left out)
        and ``tags`` (all of which an image must carry)."""
        images, error = self.upstream_images(environ, use_cache=q['marker'] is not None)
        if error:
            return None, None, error
        sort = q.get('sort') or [(q['sort_key'], q['sort_dir'])]
        selected = sort_images([im for im in images if self.matches(im, q)], sort)
        start = 0
        if q['marker'] is not None:
            ids = [im['id'] for im in selected]
            if q['marker'] not in ids:
                # the marker may have been filtered out: look in the whole list
                if q['marker'] not in [im['id'] for im in images]:
                    raise tr.Invalid('Invalid marker. Image could not be found.')
                probe = sort_images(selected + [_by_id(images, q['marker'])], sort)
                start = [im['id'] for im in probe].index(q['marker'])
            else:
                start = ids.index(q['marker']) + 1
        page = selected[start:start + q['limit']]
        more = start + q['limit'] < len(selected)
        return page, more, None

    def list_paginated(self, environ, q, brief):
        params = [(k, v) for k, v in q['params'] if k in ('marker', 'sort_key',
                                                          'sort_dir')]
        query = urlencode(params + [('limit', str(q['limit']))])
        resp = c.subrequest(self.app, environ, 'GET', '/images/detail', query=query)
        if resp.status_int != 200:
            return c.upstream_error(resp, environ, 'read')
        page = [self.translator.image_from_plankton_json(item)
                for item in plankton_list(resp)]
        return self.render(environ, page, brief, q, len(page) >= q['limit'] > 0)

    def render(self, environ, page, brief, q, more):
        doc = {'images': [self.translator.glance_json(im, brief=brief) for im in page]}
        if more and page:
            params = [(k, v) for k, v in q['params'] if k not in ('marker', 'limit')]
            params += [('marker', page[-1]['id']), ('limit', str(q['limit']))]
            prefix = '/v1' if environ.get('SCRIPT_NAME') else ''
            path = '/images' if brief else '/images/detail'
            doc['images_links'] = [{'rel': 'next', 'href': '%s%s?%s' % (
                prefix, path, urlencode(params))}]
        resp = Response(status=200, content_type='application/json', charset=None)
        resp.body = json.dumps(doc).encode()
        return resp

    def matches(self, image, q):
        hidden = q.get('hidden', tr.LIST_HIDDEN_STATUSES)
        if not q['changes_since'] and image['status'] in hidden:
            return False
        if not set(q.get('tags') or ()) <= set(image.get('tags') or ()):
            return False
        for field, op, value in q['filters']:
            have = image.get(field)
            if op == 'eq' or op == 'bool':
                if have != value:
                    return False
            elif op == 'ge':
                if have is None or have < value:
                    return False
            elif op == 'le':
                if have is None or have > value:
                    return False
            elif op == 'gt':
                if have is None or have <= value:
                    return False
            elif op == 'lt':
                if have is None or have >= value:
                    return False
            elif op == 'neq':
                if have == value:
                    return False
            elif op == 'in':
                if have not in value:
                    return False
            elif op == 'own_or_public':     # value: the caller's uuid (or None)
                if have != value and not image.get('is_public'):
                    return False
        for key, value in q['props'].items():
            if image['properties'].get(key) != value:
                return False
        return True


def _by_id(images, image_id):
    for im in images:
        if im['id'] == image_id:
            return im
    return None


def sort_images(images, sort):
    """Sort by several (key, dir) pairs, ties broken by created_at then id
    in the first key's direction (a single key sorts as Glance v1 does)."""
    if len(sort) == 1:
        key, direction = sort[0]
        return sorted(images, key=lambda im: sort_tuple(im, key),
                      reverse=(direction == 'desc'))
    out = sorted(images, key=lambda im: sort_tuple(im, 'created_at')[1:],
                 reverse=(sort[0][1] == 'desc'))
    for key, direction in reversed(sort):
        out.sort(key=lambda im: sort_tuple(im, key)[0], reverse=(direction == 'desc'))
    return out


def sort_tuple(image, sort_key):
    def val(field):
        v = image.get(field)
        if v is None:
            return (0, '')
        return (1, v)
    return (val(sort_key), val('created_at'), val('id'))


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceLists(app, conf)
    return factory
