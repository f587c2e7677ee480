"""Opt-in image download: stream image data from Pithos (decision 3).

Off by default: then every request passes through and ``glance_images``
answers the 501 that names the image's ``pithos://`` location.  With
``enabled = true``:

* ``GET /images/<id>`` from glanceclient (anything that does not ask for
  JSON; openstacksdk gets its JSON from ``glance_images`` as before) and
  ``GET``/``HEAD /images/<id>/file`` (openstacksdk's and the openstack CLI's
  download) stream the image's Pithos file with the caller's token:
  ``Content-Type: application/octet-stream`` exactly, ``Content-Length``,
  Glance's ``x-image-meta-*`` headers, and ``x-image-meta-checksum`` /
  ``ETag`` / ``Content-MD5`` only when they are the MD5 of the bytes sent
  (never on a partial reply, never when Pithos shows the file has changed
  since the proxy stored it);
* ``Range`` passes through to Pithos: 206 with ``Content-Range``, 416;
* an image without data (queued...) -> 404, as Glance.

The body is relayed a chunk at a time, never held whole.  Pithos calls go
only to ``pithos_url``.

Configuration::

    [filter:glance_download]
    use = egg:plankton_proxy#glance_download
    # Serve image data (true) or leave it to glance_images' 501 (false).
    enabled = false
    # Pithos object API base (serve passes the embedded backend's).
    # pithos_url = https://storage.example.org/object-store/v1
    # User-Agent substrings whose GET /images/<id> gets JSON, not data.
    json_show_agents = openstacksdk
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
"""

import logging

import urllib3

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _common as c
from plankton_proxy.middleware import _pithos as p

LOG = logging.getLogger(__name__)

#: Pithos reply headers relayed on a data reply.
RELAYED = ('Content-Length', 'Content-Range', 'Last-Modified', 'Accept-Ranges')


class GlanceDownload(object):

    def __init__(self, app, conf):
        self.app = app
        self.enabled = c.conf_bool(conf, 'enabled', False)
        self.translator = tr.Translator.from_conf(conf)
        self.pithos = p.Pithos.from_conf(conf) if self.enabled else None
        self.json_agents = c.json_show_agents(conf)
        self.chunk_size = c.conf_int(conf, 'chunk_size', 65536)

    def __call__(self, environ, start_response):
        if not self.enabled or self.pithos is None or c.is_upstream(environ):
            return self.app(environ, start_response)
        kind, image_id, _ = c.route(environ.get('PATH_INFO', ''))
        method = environ['REQUEST_METHOD']
        if not ((kind == 'image' and method == 'GET'
                 and not c.wants_json(environ, self.json_agents))
                or (kind == 'file' and method in ('GET', 'HEAD'))):
            return self.app(environ, start_response)
        return self.download(environ, start_response, image_id, kind == 'image')

    def download(self, environ, start_response, image_id, with_meta):
        def error(status, message, headers=None):
            return c.glance_error(status, message, environ, headers)(
                environ, start_response)

        image, failed = c.fetch_image(self.app, environ, self.translator, image_id)
        if failed:
            return failed(environ, start_response)
        if image['status'] in tr.NO_DATA_STATUSES:
            return error(404, tr.MSG_NO_DATA % (image['id'], image['status']))
        where = tr.parse_pithos_location(image.get('location'))
        if where is None:
            return error(502, 'The registry did not tell where the data of image '
                         '%s lives.' % image_id)
        headers = {}
        if environ.get('HTTP_RANGE'):
            headers['Range'] = environ['HTTP_RANGE']
        token = c.caller_token(environ)
        try:
            if environ['REQUEST_METHOD'] == 'HEAD':
                data = self.pithos.head(where[0], where[1], where[2], token)
            else:
                data = self.pithos.get(where[0], where[1], where[2], token, headers)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            LOG.warning('Pithos unreachable: %s', exc.__class__.__name__)
            return error(502, 'The object store could not be reached.')
        if data.status not in (200, 206):
            message = p.pithos_message(data)
            data.release_conn()
            if data.status == 416:
                return error(416, message or 'Requested range not satisfiable',
                             {'Content-Range': 'bytes */%d' % image['size']})
            if data.status in (403, 404):
                return error(404, 'The data of image %s is missing from %s.'
                             % (image_id, image['location']))
            return error(502, 'The object store answered %d %s.'
                         % (data.status, message or data.reason))
        out = [('Content-Type', tr.GLANCE_DATA_CONTENT_TYPE)]
        if with_meta:
            out += [(k, v) for k, v in self.translator.glance_headers(image)
                    if k.lower() not in ('etag', 'x-image-meta-checksum')]
        for name in RELAYED:
            if data.headers.get(name) is not None:
                out.append((name, data.headers[name]))
        checksum = image.get('checksum')
        etag = (data.headers.get('ETag') or '').strip('"').lower()
        if checksum and data.status == 200 and not (tr.is_md5(etag) and etag != checksum):
            if with_meta:
                out.append(('x-image-meta-checksum', checksum))
            out += [('ETag', checksum), ('Content-MD5', checksum)]
        start_response('%d %s' % (data.status, 'OK' if data.status == 200
                                  else 'Partial Content'), out)
        if environ['REQUEST_METHOD'] == 'HEAD':
            data.release_conn()
            return []
        return p.stream_reply(data, self.chunk_size)


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)

    def factory(app):
        return GlanceDownload(app, conf)
    return factory
