"""Image API version discovery and version-prefix routing.

Answers what Glance's version negotiation answers, so that glanceclient,
openstacksdk and the openstack CLI all find the v1 API (see clients.md §0.1-4):

- ``/versions`` (and anything below it) -> 200 with the versions document;
- ``/v1``, ``/v1/`` (also ``v1.0``, ``v1.1``) -> 200 ``{"version": {...}}``,
  the discovery document keystoneauth reads at a versioned endpoint;
- ``/v1/<rest>``, ``/v1.0/<rest>``, ``/v1.1/<rest>`` -> passed on with the
  prefix moved from ``PATH_INFO`` to ``SCRIPT_NAME``;
- with ``enable_v2`` (the default): ``/v2`` and ``/v2/`` -> the v2 version
  document, ``/v2/<rest>`` -> passed on with ``api_version`` 'v2' (for the
  ``glance_v2`` filter), and the versions document lists v2.x first;
- ``/images...`` and ``/shared-images...`` without a prefix (openstacksdk with a
  root endpoint and an admin token uses the endpoint as it is) -> passed on
  as v2 when v2 is served (decision 18: no version asked, v2 answers),
  unless the request is one only v1 has (HEAD, ``/images/detail``,
  ``/shared-images``, ``x-image-meta-*``/``x-glance-*`` headers); as v1
  otherwise.  Requests with ``Accept: application/vnd.openstack.images-v1``
  -> passed on as v1;
- anything else (``/``, ``/v3/...``, ``/foo``) -> 300 with the versions
  document, for any method.

Requests passed on carry ``environ['plankton_proxy.api_version'] = 'v1'`` (or
``'v2'``).
Every href is absolute: the configured public endpoint, else the
``X-Forwarded-Proto``/``X-Forwarded-Host`` a front end sent, else the request's
own scheme and host, followed by the mount point (``SCRIPT_NAME``).

Paste section (every option, with its default)::

    [filter:versions]
    use = egg:plankton_proxy#versions
    # Base URL clients must use, when the proxy sits behind a front end that
    # does not send X-Forwarded-Proto/Host. Empty: derived from the request.
    public_endpoint =
    # Serve Image API v2 (the glance_v2 filter must be in the pipeline):
    # /v2/... is routed with api_version 'v2', and discovery lists v2.x
    # (v2.4 CURRENT) before v1 (SUPPORTED), so that clients without a
    # version flag pick v2 (decision 18). false: v1 only, /v2 gets 300.
    enable_v2 = true
"""

import json

from webob import Request, Response

#: Served versions, newest first (decision 18): the path prefix each one is
#: reached by, its id and status, while v1 is all that is served.
V1_VERSIONS = (
    {'id': 'v1.1', 'status': 'CURRENT', 'prefix': 'v1'},
    {'id': 'v1.0', 'status': 'SUPPORTED', 'prefix': 'v1'},
)
#: ... and once v2 is served (``enable_v2``): v2.x CURRENT, v1 SUPPORTED.
#: v2.4 is the newest minor version whose features are served (2.5 brought
#: community images and 2.6 interoperable import, which Plankton cannot do).
V2_VERSIONS = (
    {'id': 'v2.4', 'status': 'CURRENT', 'prefix': 'v2'},
    {'id': 'v2.3', 'status': 'SUPPORTED', 'prefix': 'v2'},
    {'id': 'v2.2', 'status': 'SUPPORTED', 'prefix': 'v2'},
    {'id': 'v2.1', 'status': 'SUPPORTED', 'prefix': 'v2'},
    {'id': 'v2.0', 'status': 'SUPPORTED', 'prefix': 'v2'},
    {'id': 'v1.1', 'status': 'SUPPORTED', 'prefix': 'v1'},
    {'id': 'v1.0', 'status': 'SUPPORTED', 'prefix': 'v1'},
)
SERVED_VERSIONS = V1_VERSIONS

#: First path segments that select an API version, and which one.
VERSION_PREFIXES = {'v1': 'v1', 'v1.0': 'v1', 'v1.1': 'v1'}
V2_PREFIXES = {'v2': 'v2'}

#: Unprefixed first segments that can only mean the v1 image API.
UNPREFIXED_V1 = frozenset(('images', 'shared-images'))

VND_ACCEPT = 'application/vnd.openstack.images-'

ENV_API_VERSION = 'plankton_proxy.api_version'


def looks_v1(environ, segments):
    """An unprefixed request that only Image API v1 has: HEAD, /images/detail,
    /shared-images, or x-image-meta-* / x-glance-* headers."""
    if environ.get('REQUEST_METHOD') == 'HEAD' or segments[1] == 'shared-images':
        return True
    if len(segments) > 2 and segments[2] == 'detail':
        return True
    return any(key.startswith(('HTTP_X_IMAGE_META_', 'HTTP_X_GLANCE_'))
               for key in environ)


class VersionsMiddleware(object):

    def __init__(self, app, conf):
        self.app = app
        self.public_endpoint = (conf.get('public_endpoint') or '').strip().rstrip('/')
        enable_v2 = str(conf.get('enable_v2', 'true')).strip().lower() in (
            '1', 'true', 'yes', 'on', 't', 'y')
        self.served = V2_VERSIONS if enable_v2 else V1_VERSIONS
        self.prefixes = dict(VERSION_PREFIXES)
        if enable_v2:
            self.prefixes.update(V2_PREFIXES)

    def _base_url(self, req):
        if self.public_endpoint:
            return self.public_endpoint
        scheme = req.headers.get('X-Forwarded-Proto', '').split(',')[0].strip()
        host = req.headers.get('X-Forwarded-Host', '').split(',')[0].strip()
        if scheme not in ('http', 'https'):
            scheme = req.scheme
        if not host:
            host = req.host
        return '%s://%s%s' % (scheme, host, req.script_name)

    def _entry(self, req, version):
        return {'id': version['id'], 'status': version['status'],
                'links': [{'rel': 'self',
                           'href': '%s/%s/' % (self._base_url(req), version['prefix'])}]}

    def _json(self, status, document):
        resp = Response(status=status, content_type='application/json', charset=None)
        resp.body = json.dumps(document).encode()
        return resp

    def versions_response(self, req, status):
        return self._json(status, {'versions': [self._entry(req, v)
                                                for v in self.served]})

    def version_response(self, req, prefix):
        current = [v for v in self.served if v['prefix'] == prefix][0]
        return self._json(200, {'version': self._entry(req, current)})

    def __call__(self, environ, start_response):
        req = Request(environ)
        segments = req.path_info.split('/')
        first = segments[1] if len(segments) > 1 else ''
        if first == 'versions':
            return self.versions_response(req, 200)(environ, start_response)
        if req.headers.get('Accept', '').startswith(VND_ACCEPT):
            if req.headers['Accept'][len(VND_ACCEPT):] == 'v1':
                environ[ENV_API_VERSION] = 'v1'
                return self.app(environ, start_response)
            return self.versions_response(req, 300)(environ, start_response)
        if first in self.prefixes:
            rest = '/'.join(segments[2:])
            if not rest:
                # "/v1" or "/v1/": where keystoneauth looks for a version.
                return self.version_response(
                    req, self.prefixes[first])(environ, start_response)
            req.path_info_pop()
            environ[ENV_API_VERSION] = self.prefixes[first]
            return self.app(environ, start_response)
        if first in UNPREFIXED_V1:
            environ[ENV_API_VERSION] = 'v2' if (
                'v2' in self.prefixes and not looks_v1(environ, segments)) else 'v1'
            return self.app(environ, start_response)
        return self.versions_response(req, 300)(environ, start_response)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def versions_filter(app):
        return VersionsMiddleware(app, conf)
    return versions_filter
