"""``python -m plankton_proxy.backend``: serve the embedded backend with eventlet.

Prints ``plankton-backend listening on http://HOST:PORT`` once the socket listens and
stops cleanly on SIGINT or SIGTERM.
"""

import argparse
import signal
import sys
import warnings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m plankton_proxy.backend',
        description='Serve the embedded Plankton + Pithos + Astakos backend.')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=9393)
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--data-dir', help='keep metadata and data here')
    where.add_argument('--in-memory', action='store_true',
                       help='keep nothing after exit (the default without --data-dir)')
    parser.add_argument('--users', help='users file: one "UUID TOKEN" per line')
    parser.add_argument('--dialect', choices=('s16', 's13'), default='s16')
    parser.add_argument('--no-paginate', dest='paginate', action='store_false',
                        help='ignore limit and marker on image lists, like real Plankton')
    parser.add_argument('--public-url', help='base URL announced in the service catalog')
    return parser.parse_args(argv)


class _Stop(Exception):
    pass


def main(argv=None):
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # eventlet's own deprecation notice
        import eventlet
    eventlet.monkey_patch()
    import eventlet.wsgi

    from .app import make_app
    from .identity import load_users

    users = load_users(args.users) if args.users else {}
    app = make_app(data_dir=None if args.in_memory else args.data_dir, users=users,
                   dialect=args.dialect, paginate=args.paginate,
                   public_url=args.public_url)
    class Protocol(eventlet.wsgi.HttpProtocol):
        """eventlet invents ``text/plain`` for a request without Content-Type; Pithos and
        Plankton must see that it is missing (411 / 400), so drop the invention."""

        def get_environ(self):
            env = super().get_environ()
            if self.headers.get('content-type') is None:
                env.pop('CONTENT_TYPE', None)
            return env

    sock = eventlet.listen((args.host, args.port))
    host, port = sock.getsockname()[:2]

    def stop(signum, frame):
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print('plankton-backend listening on http://%s:%d' % (host, port), flush=True)
    try:
        eventlet.wsgi.server(sock, app, log_output=False, debug=False,
                             capitalize_response_headers=False,
                             protocol=Protocol)
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        sock.close()
        app.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
