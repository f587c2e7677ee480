"""Item 1 (hop cost) and item 4 (server tuning): the same small requests sent
directly to the backend, through the proxy and through nginx.

The request mix, cycled in this order on every connection:
``HEAD /images/<id>``, ``GET /images/detail?limit=20`` (of 100 images) and
``GET /images/<id>/members``, as the demo user alice.

Targets (all on 127.0.0.1, each its own process):

``direct``
    ``python -m plankton_proxy.backend`` (paths ``/image/v1.0/...``).
``proxy``
    ``plankton-proxy serve --upstream <backend>/image/v1.0`` with the shipped
    ``paste.ini``, default options (paths ``/v1/...``): the product, Glance
    translation included.
``proxy-paginates``
    The product with ``upstream_paginates = true`` in ``[filter:glance_lists]``
    (the embedded backend pages itself): ``limit`` goes upstream instead of
    the proxy fetching the caller's whole list for every first page.
``proxy-forward-only``
    The same with ``--pipeline forward_only`` (version routing and the
    forward app, no translation): what forwarding alone costs.
``nginx``
    Debian's nginx, one worker, ``proxy_pass`` to the backend with upstream
    keep-alive (paths ``/v1/...`` rewritten to ``/image/v1.0/...``).
``proxy-requests``
    The ``forward_only`` pipeline with ``[app:forward]`` swapped for
    ``benchmarks.session_forward`` (a ``requests.Session``), to compare with
    ``proxy-paginates``
    The product with ``upstream_paginates = true`` in ``[filter:glance_lists]``
    (the embedded backend pages itself): ``limit`` goes upstream instead of
    the proxy fetching the caller's whole list for every first page.
``proxy-forward-only``: the measurement behind the urllib3 choice of
    decision 21.
"""

import configparser
import os
import statistics

from benchmarks import loadgen, procs

MIX_LABELS = ['HEAD image', 'GET detail?limit=20', 'GET members']


def request_mix(prefix, ids, token):
    auth = {'X-Auth-Token': token}
    return [('HEAD', '%s/images/%s' % (prefix, ids[1]), auth),
            ('GET', '%s/images/detail?limit=20' % prefix, auth),
            ('GET', '%s/images/%s/members' % (prefix, ids[0]), auth)]


def main_filters():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(procs.ROOT, 'paste.ini'))
    return parser['pipeline:main']['pipeline'].split()


def pipelines():
    """The pipeline names of the tree's paste.ini."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(procs.ROOT, 'paste.ini'))
    return [section.split(':', 1)[1] for section in parser.sections()
            if section.startswith('pipeline:')]


def paste_variant(workdir, name, forward_use=None, options=None):
    """The tree's paste.ini with ``[app:forward]``'s ``use`` and any
    ``{section: {option: value}}`` changed; returns its path."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(procs.ROOT, 'paste.ini'))
    if forward_use:
        parser['app:forward']['use'] = forward_use
    for section, values in (options or {}).items():
        for key, value in values.items():
            parser[section][key] = str(value)
    path = os.path.join(workdir, 'paste-%s.ini' % name)
    with open(path, 'w') as stream:
        parser.write(stream)
    return path


def _median_run(runs):
    """Several runs of one point → one figure set: the median of each figure;
    the percentile curve of the run whose p50 is that median."""
    if len(runs) == 1:
        return dict(runs[0], rounds=1)
    p50s = sorted(r['p50_ms'] for r in runs)
    mid = p50s[len(p50s) // 2]
    chosen = dict([r for r in runs if r['p50_ms'] == mid][0])
    for key in ('rps', 'p50_ms', 'p99_ms', 'mean_ms', 'machine_busy_pct', 'other_busy_pct'):
        chosen[key] = statistics.median(r[key] for r in runs)
    chosen['cpu_ms_per_request'] = {
        name: statistics.median(r['cpu_ms_per_request'][name] for r in runs)
        for name in runs[0]['cpu_ms_per_request']}
    chosen['rounds'] = len(runs)
    chosen['round_values'] = {key: [round(r[key], 4) for r in runs]
                              for key in ('rps', 'p50_ms', 'p99_ms')}
    return chosen


def measure(targets, concurrencies, duration, rounds, log=print, warmup=1):
    """``targets``: {name: (url, [requests], {process: pid})}.  Rounds interleave the targets
    (direct, proxy, nginx, ... then again) so that a noisy minute of the
    machine hits all of them alike."""
    runs = {name: {c: [] for c in concurrencies} for name in targets}
    for rnd in range(rounds):
        for c in concurrencies:
            for name, (url, reqs, pids) in targets.items():
                if warmup:
                    loadgen.run(url, reqs, c, warmup)
                result = loadgen.run(url, reqs, c, duration, watch=pids)
                runs[name][c].append(result)
                log('  round %d  %-15s c=%-3d %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms  '
                    'CPU ms/req %s, machine %.0f%% busy (%.0f%% not ours)%s' % (
                        rnd + 1, name, c, result['rps'], result['p50_ms'], result['p99_ms'],
                        ' '.join('%s %.3f' % kv for kv in result['cpu_ms_per_request'].items()),
                        result['machine_busy_pct'], result['other_busy_pct'],
                        _errors(result)))
    return {name: {'c%d' % c: _median_run(runs[name][c]) for c in concurrencies}
            for name in targets}


def _errors(result):
    errors = sum(result.get('errors', {}).values())
    return '  (%d errors)' % errors if errors else ''


def ratios(figures):
    out = {}
    direct = figures.get('direct')
    proxy = figures.get('proxy')
    nginx = figures.get('nginx')
    if direct and proxy:
        for c in ('c1', 'c32'):
            if c in direct and c in proxy:
                out['proxy/direct p50 ' + c] = proxy[c]['p50_ms'] / direct[c]['p50_ms']
                out['proxy/direct p99 ' + c] = proxy[c]['p99_ms'] / direct[c]['p99_ms']
                out['proxy/direct rps ' + c] = proxy[c]['rps'] / direct[c]['rps']
                out['proxy added p50 ms ' + c] = proxy[c]['p50_ms'] - direct[c]['p50_ms']
                out['proxy added p99 ms ' + c] = proxy[c]['p99_ms'] - direct[c]['p99_ms']
    if nginx and proxy:
        for c in ('c1', 'c32'):
            if c in nginx and c in proxy:
                out['proxy/nginx p50 ' + c] = proxy[c]['p50_ms'] / nginx[c]['p50_ms']
                out['proxy/nginx p99 ' + c] = proxy[c]['p99_ms'] / nginx[c]['p99_ms']
                out['proxy/nginx rps ' + c] = proxy[c]['rps'] / nginx[c]['rps']
    if nginx and direct:
        for c in ('c1', 'c32'):
            if c in nginx and c in direct:
                out['nginx added p50 ms ' + c] = nginx[c]['p50_ms'] - direct[c]['p50_ms']
                out['nginx/direct rps ' + c] = nginx[c]['rps'] / direct[c]['rps']
    fwd = figures.get('proxy-forward-only')
    if fwd and direct:
        for c in ('c1', 'c32'):
            out['forward-only added p50 ms ' + c] = fwd[c]['p50_ms'] - direct[c]['p50_ms']
            out['forward-only/direct rps ' + c] = fwd[c]['rps'] / direct[c]['rps']
    req = figures.get('proxy-requests')
    if req and direct:
        for c in ('c1', 'c32'):
            out['requests-forwarder added p50 ms ' + c] = req[c]['p50_ms'] - direct[c]['p50_ms']
            if fwd:
                out['forward-only/requests-forwarder rps ' + c] = fwd[c]['rps'] / req[c]['rps']
    return out


def targets_met(r):
    """Issue 8's targets for item 1, from the ratios."""
    met = {}
    if 'proxy added p50 ms c1' in r:
        met['added p50 <= 1 ms at c=1'] = r['proxy added p50 ms c1'] <= 1.0
        met['added p99 <= 3 ms at c=1'] = r['proxy added p99 ms c1'] <= 3.0
    if 'proxy/direct rps c32' in r:
        met['throughput >= 70% of direct at c=32'] = r['proxy/direct rps c32'] >= 0.70
    return met


def run(workdir, backend, ids, token, level, log=print):
    """Item 1: every target at c=1 and c=32, then the request types one by one
    at c=1.  Returns (results dict, servers to stop)."""
    duration, rounds = {'smoke': (1, 1), 'quick': (2, 1), 'full': (7, 2)}[level]
    started = []
    result = {'request_mix': MIX_LABELS, 'duration_s': duration, 'rounds': rounds,
              'concurrencies': [1, 32], 'load_generator': None, 'skipped': {}}
    try:
        proxy = procs.start_proxy(workdir, backend.url + '/image/v1.0')
        started.append(proxy)
        session_ini = paste_variant(workdir, 'requests',
                                    forward_use='call:benchmarks.session_forward:app_factory')
        proxy_req = procs.start_proxy(workdir, backend.url + '/image/v1.0', config=session_ini,
                                      args=['--pipeline', 'forward_only'])
        started.append(proxy_req)
        has_forward_only = 'forward_only' in pipelines()
        if 'glance_lists' in main_filters():
            paginates_ini = paste_variant(workdir, 'paginates', options={
                'filter:glance_lists': {'upstream_paginates': 'true'}})
            proxy_pag = procs.start_proxy(workdir, backend.url + '/image/v1.0',
                                          config=paginates_ini)
            started.append(proxy_pag)
        else:
            proxy_pag = None
        if has_forward_only:
            proxy_fwd = procs.start_proxy(workdir, backend.url + '/image/v1.0',
                                          args=['--pipeline', 'forward_only'])
            started.append(proxy_fwd)
        targets = {'direct': (backend.url, request_mix('/image/v1.0', ids, token),
                              {'backend': backend.pid}),
                   'proxy': (proxy.url, request_mix('/v1', ids, token),
                             {'backend': backend.pid, 'front': proxy.pid})}
        try:
            nginx = procs.Nginx(workdir, backend.url)
            started.append(nginx)
            targets['nginx'] = (nginx.url, request_mix('/v1', ids, token),
                                {'backend': backend.pid, 'front': nginx.pid})
        except (FileNotFoundError, RuntimeError) as exc:
            result['skipped']['nginx'] = str(exc).splitlines()[0]
            log('  nginx skipped: %s' % result['skipped']['nginx'])
        if proxy_pag:
            targets['proxy-paginates'] = (proxy_pag.url, request_mix('/v1', ids, token),
                                          {'backend': backend.pid, 'front': proxy_pag.pid})
        if has_forward_only:
            targets['proxy-forward-only'] = (proxy_fwd.url, request_mix('/v1', ids, token),
                                             {'backend': backend.pid, 'front': proxy_fwd.pid})
        targets['proxy-requests'] = (proxy_req.url, request_mix('/v1', ids, token),
                                     {'backend': backend.pid, 'front': proxy_req.pid})
        result['load_generator'] = 'wrk' if loadgen.wrk_available() else 'python'
        result['figures'] = measure(targets, [1, 32], duration, rounds, log)
        # The request types one by one, c=1: which one the proxy costs on.
        per = {}
        names = [n for n in ('direct', 'proxy', 'proxy-paginates', 'proxy-forward-only',
                             'nginx') if n in targets]
        for name in ([] if level == 'smoke' else names):
            url, reqs, pids = targets[name]
            per[name] = {}
            for label, req in zip(MIX_LABELS, reqs):
                if level == 'full':
                    loadgen.run(url, [req], 1, 1)
                res = loadgen.run(url, [req], 1, max(2, duration // 2), watch=pids)
                per[name][label] = {k: res[k] for k in ('rps', 'p50_ms', 'p99_ms',
                                                        'cpu_ms_per_request')}
                log('  %-8s %-22s p50 %7.3f ms  p99 %7.3f ms' % (
                    name, label, res['p50_ms'], res['p99_ms']))
        result['per_request_c1'] = per
        result['ratios'] = ratios(result['figures'])
        result['targets_met'] = targets_met(result['ratios'])
    finally:
        for server in reversed(started):
            server.stop()
    return result


#: Item 4: proxy variants measured at c=32 against the defaults.
TUNING_VARIANTS = [
    ('defaults', [], {}),
    ('--no-access-log', ['--no-access-log'], {}),
    ('--upstream-pool 4', ['--upstream-pool', '4'], {}),
    ('--max-clients 8', ['--max-clients', '8'], {}),
    ('--no-keepalive', ['--no-keepalive'], {}),
    # Two `plankton-proxy serve` processes on the same port: eventlet listens
    # with SO_REUSEPORT, so the kernel spreads connections over both.  This
    # is how to run several processes; a --workers mode would only add
    # code, and it does not win here anyway (see the README).
    ('2 processes, one port', [], {'processes': 2}),
]


def run_tuning(workdir, backend, ids, token, level, log=print):
    """Item 4: each variant of ``plankton-proxy serve`` at c=32, all started at
    once and measured in interleaved rounds (medians), with the direct backend
    in every round as the reference."""
    duration, rounds = {'smoke': (1, 1), 'quick': (2, 1), 'full': (6, 2)}[level]
    variants = TUNING_VARIANTS if level == 'full' else [
        v for v in TUNING_VARIANTS if v[0] in ('defaults', '2 processes, one port')]
    out = {'concurrency': 32, 'duration_s': duration, 'rounds': rounds, 'variants': {}}
    started = []
    try:
        targets = {'direct': (backend.url, request_mix('/image/v1.0', ids, token),
                              {'backend': backend.pid})}
        for name, args, extra in variants:
            if extra.get('processes', 1) > 1:
                # A fixed port: eventlet sets SO_REUSEPORT only then.
                args = args + ['--port', str(procs.free_port())]
            proxy = procs.start_proxy(workdir, backend.url + '/image/v1.0', args=args)
            started.append(proxy)
            fronts = [proxy.pid]
            for _ in range(extra.get('processes', 1) - 1):
                more = procs.start_proxy(workdir, backend.url + '/image/v1.0', args=args)
                started.append(more)
                fronts.append(more.pid)
            targets[name] = (proxy.url, request_mix('/v1', ids, token),
                             {'backend': backend.pid, 'front': fronts})
        figures = measure(targets, [32], duration, rounds, log)
    finally:
        for proxy in started:
            proxy.stop()
    keep = ('rps', 'p50_ms', 'p99_ms', 'cpu_ms_per_request', 'machine_busy_pct',
            'other_busy_pct', 'errors', 'round_values')
    out['direct'] = {k: v for k, v in figures.pop('direct')['c32'].items() if k in keep}
    for name, args, extra in variants:
        fig = {k: v for k, v in figures[name]['c32'].items() if k in keep}
        fig['args'] = args
        fig['processes'] = extra.get('processes', 1)
        out['variants'][name] = fig
    base = out['variants']['defaults']['rps']
    for name, fig in out['variants'].items():
        fig['rps/defaults'] = fig['rps'] / base
        fig['rps/direct'] = fig['rps'] / out['direct']['rps']
    two = out['variants'].get('2 processes, one port')
    if two:
        out['two_processes_win_at_c32'] = two['rps/defaults'] > 1.05
    return out
