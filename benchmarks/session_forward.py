"""The alternative the forwarder was measured against: a requests Session.

A deliberately small terminal app, for the benchmark only: the same job as
``plankton_proxy.forward`` (relay method, path, query, end-to-end headers and
body to the upstream, stream the answer back) but through a
``requests.Session`` instead of the bare urllib3 pool beneath it.  The run
swaps it in for ``[app:forward]`` of the shipped pipeline and measures both
side by side (decision 21).  Not for production: no error mapping.

    [app:forward]
    use = call:benchmarks.session_forward:app_factory
"""

import requests
import requests.adapters

HOP_BY_HOP = frozenset(('connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
                        'proxy-authorization', 'te', 'trailer', 'transfer-encoding',
                        'upgrade', 'host', 'expect'))


class SessionForward(object):

    def __init__(self, upstream, pool_size=32):
        self.upstream = upstream.rstrip('/')
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)

    def __call__(self, environ, start_response):
        headers = {}
        for key, value in environ.items():
            if key.startswith('HTTP_'):
                name = key[5:].replace('_', '-').title()
            elif key in ('CONTENT_TYPE', 'CONTENT_LENGTH') and value:
                name = key.replace('_', '-').title()
            else:
                continue
            if name.lower() not in HOP_BY_HOP:
                headers[name] = value
        if environ.get('REMOTE_ADDR'):
            headers['X-Forwarded-For'] = environ['REMOTE_ADDR']
        url = self.upstream + environ.get('PATH_INFO', '/')
        if environ.get('QUERY_STRING'):
            url += '?' + environ['QUERY_STRING']
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(length) if length else None
        resp = self.session.request(environ['REQUEST_METHOD'], url, headers=headers,
                                    data=body, stream=True, allow_redirects=False)
        start_response('%d %s' % (resp.status_code, resp.reason),
                       [(k, v) for k, v in resp.raw.headers.items()
                        if k.lower() not in HOP_BY_HOP])
        if environ['REQUEST_METHOD'] == 'HEAD':
            resp.close()
            return []
        return _relay(resp)


def _relay(resp):
    try:
        for chunk in resp.raw.stream(65536, decode_content=False):
            yield chunk
    finally:
        resp.close()


def app_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    return SessionForward(conf['upstream'], int(conf.get('pool_size', 32)))
