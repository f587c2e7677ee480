"""The embedded backend as one WSGI application: Plankton + Pithos + Astakos identity.

``make_app()`` builds it; ``app_factory`` is the Paste Deploy entry point
(``use = egg:plankton_proxy#backend``).  Nothing here depends on a particular WSGI
server: the command ``python -m plankton_proxy.backend`` serves it with eventlet.
"""

import sys
import traceback

from webob import Request

from .faults import Fault, InternalServerError, ItemNotFound, PlainFault
from .httputil import ClientDisconnected, json_response
from .identity import IdentityAPI, ServiceCatalog, Users, load_users
from .pithos import PithosAPI
from .plankton import PlanktonAPI
from .store import Store

__all__ = ['BackendApp', 'make_app', 'load_users', 'app_factory']

DIALECTS = ('s16', 's13')
S16_IMAGE_MOUNTS = ('/image/v1.0', '/image/v1')
S13_IMAGE_MOUNTS = ('/plankton', '/image/v1.0', '/image/v1')


class BackendApp:
    """Routes a request to the identity, object-store or image service."""

    def __init__(self, store, users, dialect='s16', paginate=True, public_url=None,
                 update_md5=True, require_content_type=True, wrap_lists=False,
                 image_public_url=None):
        if dialect not in DIALECTS:
            raise ValueError('dialect must be one of %s, not %r' % (DIALECTS, dialect))
        self.store = store
        self.users = users
        self.dialect = dialect
        self.catalog = ServiceCatalog(public_url, image_public_url)
        self.identity = IdentityAPI(users, self.catalog)
        self.pithos = PithosAPI(store, users, self.catalog, update_md5=update_md5,
                                require_content_type=require_content_type)
        s13 = dialect == 's13'
        self.plankton = PlanktonAPI(store, users, s13=s13, paginate=paginate,
                                    wrap_lists=wrap_lists)
        self.image_mounts = S13_IMAGE_MOUNTS if s13 else S16_IMAGE_MOUNTS

    def __call__(self, environ, start_response):
        _drop_invented_content_type(environ)
        req = Request(environ)
        try:
            resp = self.dispatch(req)
        except (Fault, PlainFault) as fault:
            resp = fault.response(req.method)
        except ClientDisconnected:
            resp = PlainFault(400, 'Incomplete request body').response(req.method)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            resp = InternalServerError('Unexpected error').response(req.method)
        return resp(environ, start_response)

    def dispatch(self, req):
        path = req.path_info
        for prefix, service in (('/identity/v2.0', self.identity),
                                ('/object-store/v1', self.pithos)):
            if path == prefix or path.startswith(prefix + '/'):
                return service.handle(req, path[len(prefix):])
        if path.startswith('/account/v1.0/'):
            return self.identity.handle_account(req, path[len('/account/v1.0'):])
        for mount in self.image_mounts:
            if path == mount or path.startswith(mount + '/'):
                return self.plankton.handle(req, path[len(mount) + 1:],
                                            req.script_name + mount)
        if self.dialect == 's16' and path.rstrip('/') in ('/image', '/image/versions',
                                                          '/image.json'):
            return self.versions(req)
        raise ItemNotFound('Not found')

    def versions(self, req):
        root = self.catalog.base_url(req) + '/image'
        media = [{'base': 'application/json',
                  'type': 'application/vnd.openstack.compute.v1.0+json'}]
        return json_response({'versions': [
            {'id': version, 'status': 'CURRENT',
             'links': [{'rel': 'self', 'href': '%s/%s/' % (root, version)}],
             'media_types': media}
            for version in ('v1.0', 'v1')]})

    def close(self):
        self.store.close()


def _drop_invented_content_type(environ):
    """eventlet.wsgi fills in ``CONTENT_TYPE: text/plain`` for a request that has no
    Content-Type; Pithos (411) and Plankton (400) must see it missing.  eventlet also
    leaves the raw header list in the environ, which tells the truth.  (Only an environ
    key is read; other servers do not set it and are left alone.)"""
    raw = environ.get('headers_raw')
    if raw is not None and 'CONTENT_TYPE' in environ:
        if not any(name.lower() == 'content-type' for name, _ in raw):
            del environ['CONTENT_TYPE']


def make_app(data_dir=None, users=None, dialect='s16', paginate=True, public_url=None,
             update_md5=True, require_content_type=True, wrap_lists=False,
             image_public_url=None):
    """The backend WSGI app.

    ``data_dir`` None or ``':memory:'`` keeps nothing on disk beyond a temporary
    directory; ``users`` maps token → user UUID; ``dialect`` is ``s16`` (Synnefo
    0.16–0.20) or ``s13``; ``paginate`` turns on limit/marker on image lists (s16 only);
    ``public_url`` is the base of the catalog's endpoints (default: the request's host);
    ``image_public_url`` is announced as the catalog's ``image`` endpoint instead of this
    backend's Plankton (``serve`` sets it to the proxy's unversioned root, so that
    clients authenticating against this identity service find the proxy);
    ``update_md5=False`` makes Pithos ETags the Merkle hash, as in Synnefo ≥ 0.14;
    ``require_content_type=False`` accepts object PUTs without Content-Type (the swift
    CLI's uploads) as ``application/octet-stream`` instead of Pithos' 411;
    ``wrap_lists=True`` answers image lists as ``{"images": [...]}`` (Synnefo's develop
    HEAD) instead of a bare array (every release up to 0.20).
    """
    store = Store(data_dir)
    return BackendApp(store, Users(users or {}), dialect=dialect, paginate=paginate,
                      public_url=public_url, update_md5=update_md5,
                      require_content_type=require_content_type, wrap_lists=wrap_lists,
                      image_public_url=image_public_url)


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def app_factory(global_conf, **local_conf):
    """Paste Deploy: options ``data_dir``, ``users`` (a users file), ``dialect``,
    ``paginate``, ``public_url``, ``update_md5``, ``require_content_type``,
    ``wrap_lists``, ``image_public_url``."""
    users_file = local_conf.get('users')
    return make_app(
        data_dir=local_conf.get('data_dir') or None,
        users=load_users(users_file) if users_file else {},
        dialect=local_conf.get('dialect', 's16'),
        paginate=_as_bool(local_conf.get('paginate', True)),
        public_url=local_conf.get('public_url') or None,
        update_md5=_as_bool(local_conf.get('update_md5', True)),
        require_content_type=_as_bool(local_conf.get('require_content_type', True)),
        wrap_lists=_as_bool(local_conf.get('wrap_lists', False)),
        image_public_url=local_conf.get('image_public_url') or None)
