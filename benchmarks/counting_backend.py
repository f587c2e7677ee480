"""The embedded backend with a request counter, for the list-scaling benchmark.

Same options and banner as ``python -m plankton_proxy.backend``; it serves the
same app under eventlet, wrapped in a counter of the requests it answers, by
path kind.  ``GET /__bench/count`` answers the counts as JSON (and is not
counted); ``POST /__bench/count`` resets them.
"""

import json
import signal
import sys
import warnings

from plankton_proxy.backend.__main__ import parse_args


class Counting(object):

    def __init__(self, app):
        self.app = app
        self.counts = {}

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path == '/__bench/count':
            if environ['REQUEST_METHOD'] == 'POST':
                self.counts = {}
            body = json.dumps(self.counts).encode()
            start_response('200 OK', [('Content-Type', 'application/json'),
                                      ('Content-Length', str(len(body)))])
            return [body]
        key = '%s %s' % (environ['REQUEST_METHOD'],
                         'list' if path.rstrip('/').endswith(('/images', '/detail'))
                         else 'other')
        self.counts[key] = self.counts.get(key, 0) + 1
        self.counts['total'] = self.counts.get('total', 0) + 1
        return self.app(environ, start_response)


class _Stop(Exception):
    pass


def main(argv=None):
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        import eventlet
    eventlet.monkey_patch()
    import eventlet.wsgi

    from plankton_proxy.backend.app import make_app
    from plankton_proxy.backend.identity import load_users

    app = make_app(data_dir=None if args.in_memory else args.data_dir,
                   users=load_users(args.users) if args.users else {},
                   dialect=args.dialect, paginate=args.paginate, public_url=args.public_url)
    sock = eventlet.listen((args.host, args.port))
    host, port = sock.getsockname()[:2]

    def stop(signum, frame):
        raise _Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print('plankton-backend listening on http://%s:%d' % (host, port), flush=True)
    try:
        eventlet.wsgi.server(sock, Counting(app), log_output=False, debug=False,
                             capitalize_response_headers=False)
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        sock.close()
        app.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
