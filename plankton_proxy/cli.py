"""``plankton-proxy``: run the Glance v1 proxy, by default with its embedded backend.

    plankton-proxy serve [--host H] [--port 9292] [--upstream URL]
                         [--backend-port 9393] [--data-dir DIR] [--users FILE]
                         [--dialect s16|s13] [--config paste.ini]

Without ``--upstream`` it also starts the embedded Plankton/Pithos/identity
backend in the same process and points the proxy at it.
"""

import argparse
import os
import sys


def _monkey_patch():
    # Before requests (and its sockets) are imported anywhere.
    os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')
    import warnings
    with warnings.catch_warnings():
        # Its deprecation notice: we know (decision 20), and keep the apps
        # free of eventlet so that leaving it is a configuration change.
        warnings.simplefilter('ignore')
        import eventlet
    eventlet.monkey_patch()


def find_shipped_file(relative):
    """A file we ship (paste.ini, etc/users.conf): in the source tree when
    running from a checkout or an editable install, else where setup.py's
    data_files put it (``<prefix>/share/plankton-proxy``)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(os.path.dirname(here), relative),
                  os.path.join(sys.prefix, 'share', 'plankton-proxy', relative)]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise SystemExit('plankton-proxy: cannot find %s (looked in %s)'
                     % (relative, ', '.join(candidates)))


def build_parser():
    parser = argparse.ArgumentParser(prog='plankton-proxy', description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    serve = sub.add_parser('serve', help='run the proxy (and the embedded backend)')
    serve.add_argument('--host', default='127.0.0.1',
                       help='address to listen on (default: %(default)s)')
    serve.add_argument('--port', type=int, default=9292,
                       help='Glance v1 port; 0 picks a free one (default: %(default)s)')
    serve.add_argument('--upstream', metavar='URL',
                       help='Plankton image API base URL, e.g. '
                            'https://cyclades.example.org/image/v1.0; '
                            'without it the embedded backend is started')
    serve.add_argument('--backend-port', type=int, default=9393,
                       help='embedded backend port; 0 picks a free one (default: %(default)s)')
    serve.add_argument('--data-dir', default='plankton-data',
                       help='where the embedded backend keeps its data (default: %(default)s)')
    serve.add_argument('--in-memory', action='store_true',
                       help='embedded backend keeps nothing on disk (for tests)')
    serve.add_argument('--users', metavar='FILE',
                       help='embedded backend users, "UUID TOKEN" per line '
                            '(default: the shipped etc/users.conf demo users)')
    serve.add_argument('--dialect', choices=('s16', 's13'), default='s16',
                       help='Synnefo generation of the upstream: the one the embedded '
                            'backend mimics, or the one --upstream runs (default: %(default)s)')
    serve.add_argument('--config', metavar='FILE',
                       help='paste deploy file (default: the shipped paste.ini)')
    serve.add_argument('--pipeline', default='main',
                       help='pipeline of the paste file to serve (default: %(default)s)')
    serve.add_argument('--log-level', default='INFO')
    return parser


def serve(args):
    import logging

    from paste.deploy import loadapp

    from plankton_proxy import server

    logging.basicConfig(level=args.log_level.upper(),
                        format='%(asctime)s %(name)s %(levelname)s %(message)s')
    sockets, threads, closers = [], [], []
    global_conf = {'upstream_dialect': args.dialect}
    proxy_sock = server.listen(args.host, args.port)
    proxy_url = 'http://%s:%d' % (args.host, proxy_sock.getsockname()[1])
    sockets.append(proxy_sock)
    if args.upstream:
        global_conf['upstream'] = args.upstream
    else:
        from plankton_proxy.backend.app import load_users, make_app
        users_file = args.users or find_shipped_file(os.path.join('etc', 'users.conf'))
        backend_sock = server.listen(args.host, args.backend_port)
        backend_url = 'http://%s:%d' % (args.host, backend_sock.getsockname()[1])
        try:
            backend = make_app(
                data_dir=None if args.in_memory else os.path.abspath(args.data_dir),
                users=load_users(users_file), dialect=args.dialect,
                paginate=True, public_url=backend_url,
                # The identity's catalog names the proxy (its unversioned root, as a
                # Keystone catalog names Glance): Keystone-authenticating clients come here.
                image_public_url=proxy_url)
        except RuntimeError as exc:  # e.g. another process holds the data dir
            raise SystemExit('plankton-proxy: %s' % exc)
        sockets.append(backend_sock)
        closers.append(backend.close)
        threads.append(server.spawn_server(backend_sock, backend, 'backend',
                                           environ_fix=False, capitalize_headers=False))
        global_conf.update(upstream=backend_url + '/image/v1.0',
                           pithos_url=backend_url + '/object-store/v1',
                           identity_url=backend_url + '/identity/v2.0')
    config = os.path.abspath(args.config or find_shipped_file('paste.ini'))
    app = loadapp('config:' + config, name=args.pipeline, global_conf=global_conf)
    threads.append(server.spawn_server(proxy_sock, app, 'proxy'))

    lines = ['plankton-proxy %s' % proxy_url,
             '  Glance v1 API:   %s/v1  (pipeline "%s" of %s)' % (proxy_url, args.pipeline, config),
             '  upstream:        %s' % global_conf['upstream']]
    if not args.upstream:
        lines += ['  embedded backend (%s, %s):' % (
                      args.dialect, 'in memory' if args.in_memory
                      else os.path.abspath(args.data_dir)),
                  '    Plankton:  %s' % global_conf['upstream'],
                  '    Pithos:    %s/<user-uuid>' % global_conf['pithos_url'],
                  '    identity:  %s (its catalog names the proxy as "image")'
                  % global_conf['identity_url'],
                  '    users:     %s (demo tokens are for local use only)' % users_file]
    # A blank line ends the banner (plankton_proxy.testing reads up to it).
    print('\n'.join(lines) + '\n', flush=True)
    server.wait_forever(threads, sockets)
    for close in closers:
        close()
    print('plankton-proxy stopped', flush=True)
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == 'serve':
        _monkey_patch()
        return serve(args)
    return 2


if __name__ == '__main__':
    sys.exit(main())
