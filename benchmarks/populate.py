"""Fill a backend data directory with images, before the backend serves it.

Preparation only, never measured: it drives the backend's own WSGI app in this
process (the same code that answers HTTP: a Pithos object PUT then a Plankton
register POST per image), which makes 10,000 images a matter of seconds
rather than minutes of loopback round trips.  The measurements that follow
all go over HTTP to a backend process started on the filled directory.
"""

import io

from webob import Request

from plankton_proxy.backend.app import make_app
from plankton_proxy.backend.identity import load_users


def _call(app, method, path, token, headers=None, body=b''):
    req = Request.blank(path, method=method, headers=dict(headers or {}),
                        body=body)
    req.headers['X-Auth-Token'] = token
    if body:
        req.body_file = io.BytesIO(body)
        req.content_length = len(body)
    resp = req.get_response(app)
    if resp.status_int >= 300:
        raise RuntimeError('%s %s: %s %s' % (method, path, resp.status, resp.body[:200]))
    return resp


def populate(data_dir, users_file, owner, count, start=0, container='bench',
             shared_with=()):
    """Register images ``start`` .. ``start + count - 1`` owned by ``owner``
    (``(uuid, token)``), each a 16-byte Pithos object; ``shared_with`` uuids are
    added as members of the first image.  Returns the new image ids."""
    uuid, token = owner
    app = make_app(data_dir=data_dir, users=load_users(users_file))
    ids = []
    try:
        if start == 0:
            _call(app, 'PUT', '/object-store/v1/%s/%s' % (uuid, container), token)
        for i in range(start, start + count):
            name = 'img-%06d' % i
            _call(app, 'PUT', '/object-store/v1/%s/%s/%s' % (uuid, container, name), token,
                  {'Content-Type': 'application/octet-stream'}, b'%016d' % i)
            resp = _call(app, 'POST', '/image/v1.0/images/', token, {
                'X-Image-Meta-Name': name,
                'X-Image-Meta-Location': 'pithos://%s/%s/%s' % (uuid, container, name),
                'X-Image-Meta-Property-Bench': 'yes',
            })
            ids.append(resp.headers['X-Image-Meta-Id'])
        for member in shared_with:
            if ids:
                _call(app, 'PUT', '/image/v1.0/images/%s/members/%s' % (ids[0], member),
                      token)
    finally:
        app.close()
    return ids
