"""Normalise Glance v1 requests before the other translation filters.

* percent-decodes glanceclient's ``X-Auth-Token`` (it quotes it), also for
  the requests that pass through untranslated;
* parses the image metadata of ``POST /images`` and ``PUT /images/<id>``
  once, into the canonical request metadata the other filters read from
  ``environ['plankton_proxy.request_meta']``:

  - ``x-image-meta-*`` headers with dashes or underscores, names and values
    percent-decoded when they come from glanceclient (configurable),
    ``True``/``False``/``None`` booleans (``None`` = not set);
  - openstacksdk/OSC JSON bodies (``Content-Type: application/json``),
    wrapped ``{"image": {...}}`` or not, properties flattened or in
    ``properties``; echoed keys such as ``deleted`` or ``virtual_size``
    never become properties.  The JSON body is consumed;
  - openstacksdk's ``x-image-meta-<key>`` (no ``property-``) as properties.

* refuses what Glance refuses (bad integers, unknown fields, long names or
  checksums, reserved property names) with a Glance-shaped 400.

Without this filter ``glance_images`` parses the request itself, the same
way.

Configuration::

    [filter:glance_normalize]
    use = egg:plankton_proxy#glance_normalize
    # glanceclient (only requests from python-glanceclient), always, never.
    percent_decode = glanceclient
"""

import io

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _common as c


class GlanceNormalize(object):

    def __init__(self, app, conf):
        self.app = app
        self.percent_decode = conf.get('percent_decode', 'glanceclient')

    def __call__(self, environ, start_response):
        if c.is_upstream(environ):
            return self.app(environ, start_response)
        token = c.caller_token(environ)
        environ[c.TOKEN_KEY] = token
        if token and token != environ.get('HTTP_X_AUTH_TOKEN'):
            try:
                token.encode('latin-1')
                environ['HTTP_X_AUTH_TOKEN'] = token    # for pass-through requests
            except UnicodeEncodeError:
                pass
        kind, _, _ = c.route(environ.get('PATH_INFO', ''))
        method = environ['REQUEST_METHOD']
        if c.META_KEY not in environ and (
                (kind == 'index' and method == 'POST') or
                (kind == 'image' and method == 'PUT')):
            try:
                environ[c.META_KEY] = self.parse(environ)
            except tr.Invalid as exc:
                resp = c.glance_error(exc.status, str(exc), environ)
                return resp(environ, start_response)
        return self.app(environ, start_response)

    def parse(self, environ):
        if c.is_json_body(environ):
            body = c.read_body(environ)
            environ['wsgi.input'] = io.BytesIO(b'')
            environ['CONTENT_LENGTH'] = '0'
            return tr.meta_from_glance_json(body) if body.strip() else tr.RequestMeta()
        decode = (self.percent_decode == 'always' or
                  (self.percent_decode == 'glanceclient' and c.is_glanceclient(environ)))
        meta = tr.meta_from_glance_headers(c.meta_headers(environ),
                                           percent_decoded=decode,
                                           unknown_as_property=c.is_sdk(environ))
        meta.has_data = c.has_data(environ)
        return meta


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceNormalize(app, conf)
    return factory
