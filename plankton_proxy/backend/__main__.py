"""``python -m plankton_proxy.backend``: serve the embedded backend with eventlet.

Prints ``plankton-backend listening on http://HOST:PORT`` once the socket listens and
stops cleanly on SIGINT or SIGTERM.
"""

import argparse
import os
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
    parser.add_argument('--image-public-url',
                        help="the catalog's image endpoint (a Glance-compatible front end, "
                             "unversioned) instead of this backend's Plankton")
    parser.add_argument('--etag', choices=('md5', 'merkle'), default='md5',
                        help='Pithos ETag: the MD5 (PITHOS_UPDATE_MD5, default) or the '
                             'Merkle hash (Synnefo >= 0.14 default)')
    parser.add_argument('--default-content-type', action='store_true',
                        help='accept object PUTs without Content-Type (the swift CLI) as '
                             'application/octet-stream instead of answering 411 like Pithos')
    parser.add_argument('--wrap-lists', action='store_true',
                        help='image lists as {"images": [...]} like Synnefo develop HEAD '
                             '(releases up to 0.20 answer a bare array)')
    return parser.parse_args(argv)


GRACE_SECONDS = 5
WATCH_INTERVAL = 0.1


def main(argv=None):
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # eventlet's own deprecation notice
        import eventlet
    eventlet.monkey_patch()
    import eventlet.wsgi
    from eventlet import hubs

    from .app import make_app
    from .identity import load_users
    from .store import DataDirInUse

    users = load_users(args.users) if args.users else {}
    try:
        app = make_app(data_dir=None if args.in_memory else args.data_dir, users=users,
                       dialect=args.dialect, paginate=args.paginate,
                       public_url=args.public_url, update_md5=args.etag == 'md5',
                       require_content_type=not args.default_content_type,
                       wrap_lists=args.wrap_lists, image_public_url=args.image_public_url)
    except DataDirInUse as exc:
        print('plankton-backend: %s' % exc, file=sys.stderr)
        return 2

    sock = eventlet.listen((args.host, args.port))
    host, port = sock.getsockname()[:2]

    server_greenlet = eventlet.getcurrent()
    stopping = []

    def stop(signum, frame):
        # Never raise here: the handler may run inside any green thread.  Note the
        # request; the watcher below stops the server loop.
        if stopping:          # a second signal: stop waiting for running requests
            app.close()
            os._exit(0)
        stopping.append(signum)

    def watch_for_stop():
        while not stopping:
            eventlet.sleep(WATCH_INTERVAL)   # also keeps the hub waking for signals
        # The server loop closes idle connections and lets running requests finish;
        # give up on those after a grace period.
        eventlet.spawn_after(GRACE_SECONDS, lambda: (app.close(), os._exit(0)))
        hubs.get_hub().schedule_call_global(0, server_greenlet.throw, KeyboardInterrupt())

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    eventlet.spawn(watch_for_stop)
    print('plankton-backend listening on http://%s:%d' % (host, port), flush=True)
    # Plankton answers lower-case x-image-meta-* names; eventlet warns when told not to
    # capitalise them.
    warnings.filterwarnings('ignore', message='capitalize_response_headers',
                            category=DeprecationWarning)
    try:
        eventlet.wsgi.server(sock, app, log_output=False, debug=False,
                             capitalize_response_headers=False)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        app.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
