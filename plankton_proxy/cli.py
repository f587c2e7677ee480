"""``plankton-proxy``: run the Glance v1 proxy, by default with its embedded backend.

    plankton-proxy serve [--host H] [--port 9292] [--upstream URL]
                         [--backend-port 9393] [--data-dir DIR] [--users FILE]
                         [--dialect s16|s13] [--config paste.ini]
                         [--log-config etc/logging.conf]
                         [--max-clients N] [--backlog N] [--client-timeout S]
                         [--no-keepalive] [--upstream-pool N] [--no-access-log]
    plankton-proxy check [--config paste.ini] [--pipeline main] [--upstream URL]

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


#: Defaults of the tuning options; the same as plankton_proxy.server's, kept
#: here so that parsing arguments does not import eventlet before it patches.
DEFAULT_MAX_CLIENTS = 1024
DEFAULT_BACKLOG = 128
DEFAULT_CLIENT_TIMEOUT = 300


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
    serve.add_argument('--log-config', metavar='FILE',
                       help='logging.config file (fileConfig format, e.g. etc/logging.conf); '
                            'replaces --log-level')
    check = sub.add_parser('check', help='validate a paste deploy file and reach its upstream')
    check.add_argument('--config', metavar='FILE',
                       help='paste deploy file (default: the shipped paste.ini)')
    check.add_argument('--pipeline', default='main',
                       help='pipeline to check (default: %(default)s)')
    check.add_argument('--upstream', metavar='URL',
                       help='the upstream plankton-proxy serve --upstream would pass')
    check.add_argument('--timeout', type=float, default=5,
                       help='seconds to wait for the upstream (default: %(default)s)')
    tuning = serve.add_argument_group(
        'tuning', 'the eventlet server and the upstream pool (see benchmarks/)')
    tuning.add_argument('--max-clients', type=int, default=DEFAULT_MAX_CLIENTS,
                        help='client connections served at once per process '
                             '(green threads; default: %(default)s)')
    tuning.add_argument('--backlog', type=int, default=DEFAULT_BACKLOG,
                        help='listen backlog (default: %(default)s)')
    tuning.add_argument('--client-timeout', type=float,
                        default=DEFAULT_CLIENT_TIMEOUT,
                        help='seconds an idle or slow client connection is kept '
                             '(default: %(default)s)')
    tuning.add_argument('--no-keepalive', dest='keepalive', action='store_false',
                        help='close client connections after each request')
    tuning.add_argument('--upstream-pool', type=int, metavar='N',
                        help='kept-alive connections to the upstream per process '
                             '(the forward app\'s pool_size; default: its own, 32)')
    tuning.add_argument('--no-access-log', dest='access_log', action='store_false',
                        help='do not log a line per request')
    return parser


def configure_logging(args):
    import logging
    import logging.config
    if getattr(args, 'log_config', None):
        if not os.path.isfile(args.log_config):
            raise SystemExit('plankton-proxy: no logging config file %s' % args.log_config)
        logging.config.fileConfig(args.log_config, disable_existing_loggers=False)
    else:
        logging.basicConfig(level=args.log_level.upper(),
                            format='%(asctime)s %(name)s %(levelname)s %(message)s')
    # Whatever the configuration: no token or password in any line.
    from plankton_proxy import redact
    redact.install()


def serve(args):
    import logging

    from paste.deploy import loadapp

    from plankton_proxy import server

    configure_logging(args)
    if not args.access_log:
        # The access_log filter's lines (and eventlet's, switched off below).
        logging.getLogger('plankton_proxy.access').setLevel(logging.WARNING)
    sockets, threads, closers = [], [], []
    global_conf = {'upstream_dialect': args.dialect}
    if args.upstream_pool:
        global_conf['pool_size'] = str(args.upstream_pool)
    # Listen first: the embedded identity's catalog names the proxy's URL.
    proxy_sock = server.listen(args.host, args.port, args.backlog)
    proxy_url = 'http://%s:%d' % (args.host, proxy_sock.getsockname()[1])
    sockets.append(proxy_sock)
    if args.upstream:
        global_conf['upstream'] = args.upstream
    else:
        from plankton_proxy.backend.app import load_users, make_app
        users_file = args.users or find_shipped_file(os.path.join('etc', 'users.conf'))
        backend_sock = server.listen(args.host, args.backend_port, args.backlog)
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
                                           environ_fix=False, capitalize_headers=False,
                                           access_log=args.access_log))
        global_conf.update(upstream=backend_url + '/image/v1.0',
                           pithos_url=backend_url + '/object-store/v1',
                           identity_url=backend_url + '/identity/v2.0')
    config = os.path.abspath(args.config or find_shipped_file('paste.ini'))
    app = loadapp('config:' + config, name=args.pipeline, global_conf=global_conf)
    from plankton_proxy.check import pipeline_has
    # eventlet's own request lines only when the pipeline logs none itself.
    threads.append(server.spawn_server(
        proxy_sock, app, 'proxy', client_timeout=args.client_timeout,
        max_clients=args.max_clients, keepalive=args.keepalive,
        access_log=args.access_log and not pipeline_has(app, 'AccessLogMiddleware')))

    apis = '%s/v1' % proxy_url
    if pipeline_has(app, 'GlanceV2'):
        apis = '%s/v2 and %s' % (proxy_url, apis)
    lines = ['plankton-proxy %s' % proxy_url,
             '  Glance API:      %s  (pipeline "%s" of %s)' % (apis, args.pipeline, config),
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
    if args.command == 'check':
        from plankton_proxy.check import run_check
        return run_check(args.config or find_shipped_file('paste.ini'), args.pipeline,
                         args.upstream, args.timeout)
    return 2


if __name__ == '__main__':
    sys.exit(main())
