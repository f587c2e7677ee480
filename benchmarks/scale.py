"""Item 3: listing every image, page by page, for N images.

For each N the backend is filled (``benchmarks.populate``) and started as
``benchmarks.counting_backend``, which counts the requests it answers; the
proxy runs in front of it.  Every listing walks the whole list with
``limit`` = page size and ``marker`` = the last id seen, until a short page
(what glanceclient's v1 ``images.list(page_size=...)`` does):

``backend direct (paging loop)``
    The loop, over one kept-alive connection, straight to the backend's
    ``/image/v1.0/images/detail`` (its pagination extension).
``proxy (paging loop)``
    The same loop through the proxy's ``/v1/images/detail`` (the shipped
    pipeline: with the ``glance_lists`` filter, its per-caller list cache).
``glanceclient via proxy``
    glanceclient 2.17's own paging through the proxy; only when the shipped
    pipeline has the ``glance_lists`` translation filter (the raw backend
    answers a bare JSON list, which glanceclient cannot read).

Each listing reports its wall time, the requests the client made and the
requests the backend answered (the upstream requests).
"""

import configparser
import os
import time

import requests

from benchmarks import populate, procs


def pipeline_filters():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(procs.ROOT, 'paste.ini'))
    return parser['pipeline:main']['pipeline'].split()


def _count(backend, reset=False):
    url = backend.url + '/__bench/count'
    resp = requests.post(url) if reset else requests.get(url)
    return resp.json()


def paging_loop(base, token, page_size, budget=None):
    """Walk the list; stop early (``complete`` False) once ``budget`` seconds
    have gone by.  Returns (images listed, requests made, complete)."""
    session = requests.Session()
    session.headers['X-Auth-Token'] = token
    marker, total, calls = None, 0, 0
    start = time.perf_counter()
    complete = True
    while True:
        params = {'limit': page_size}
        if marker:
            params['marker'] = marker
        resp = session.get(base + '/images/detail', params=params)
        calls += 1
        resp.raise_for_status()
        body = resp.json()
        images = body['images'] if isinstance(body, dict) else body
        total += len(images)
        if len(images) < page_size:
            break
        marker = images[-1]['id']
        if budget is not None and time.perf_counter() - start > budget:
            complete = False
            break
    session.close()
    return total, calls, complete


def glanceclient_list(endpoint, token, page_size):
    import glanceclient
    client = glanceclient.Client('1', endpoint=endpoint, token=token)
    calls = [0]
    http = client.http_client
    original = http.get

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    http.get = counted
    return len(list(client.images.list(page_size=page_size))), calls[0], True


def run(workdir, level, log=print):
    sizes = {'smoke': (20, 200), 'quick': (100, 1000), 'full': (1000, 10000)}[level]
    # A listing that is quadratic (the backend reads all N images for every
    # page) would take minutes at N=10k, page 20: it is cut after this many
    # seconds and its total extrapolated from the pages done (every page
    # costs the same there: the backend reads the whole list each time).
    budget = {'smoke': None, 'quick': None, 'full': 60}[level]
    page_sizes = (20, 1000)
    owner = procs.demo_users()[0]
    data_dir = os.path.join(workdir, 'scale-data')
    with_glance = 'glance_lists' in pipeline_filters()
    out = {'sizes': list(sizes), 'page_sizes': list(page_sizes), 'runs': [],
           'budget_s': budget,
           'glanceclient': with_glance,
           'note': None if with_glance else (
               'the shipped pipeline has no glance_lists filter yet: glanceclient cannot '
               'read the raw backend list, so the listings are the same limit/marker '
               'loop glanceclient runs, direct and through the forwarding proxy')}
    have = 0
    for n in sizes:
        t0 = time.monotonic()
        populate.populate(data_dir, procs.USERS_FILE, owner, n - have, start=have)
        have = n
        log('  N=%d images registered in %.1f s (preparation, not measured)'
            % (n, time.monotonic() - t0))
        backend = procs.start_backend(workdir, data_dir=data_dir, counting=True)
        proxy = None
        try:
            proxy = procs.start_proxy(workdir, backend.url + '/image/v1.0')
            modes = [('backend direct (paging loop)',
                      lambda ps: paging_loop(backend.url + '/image/v1.0', owner[1], ps,
                                             budget)),
                     ('proxy (paging loop)',
                      lambda ps: paging_loop(proxy.url + '/v1', owner[1], ps, budget))]
            if with_glance:
                modes.append(('glanceclient via proxy',
                              lambda ps: glanceclient_list(proxy.url, owner[1], ps)))
            for mode, fn in modes:
                for ps in page_sizes:
                    _count(backend, reset=True)
                    t0 = time.perf_counter()
                    listed, calls, complete = fn(ps)
                    elapsed = time.perf_counter() - t0
                    upstream = _count(backend).get('total', 0)
                    row = {'mode': mode, 'n': n, 'page_size': ps, 'seconds': elapsed,
                           'listed': listed, 'client_requests': calls,
                           'upstream_requests': upstream, 'complete': complete}
                    if not complete:
                        # Pages a full walk makes: N // ps full ones, then a short one.
                        pages = n // ps + 1
                        row.update(measured_seconds=elapsed, measured_requests=calls,
                                   measured_upstream_requests=upstream,
                                   seconds=elapsed / calls * pages,
                                   client_requests=pages,
                                   upstream_requests=round(upstream / calls * pages))
                    row['ms_per_image'] = row['seconds'] * 1000.0 / n
                    out['runs'].append(row)
                    log('  %-30s N=%-6d page %-5d %8.3f s  %6d client req  %6d upstream req%s'
                        % (mode, n, ps, row['seconds'], row['client_requests'],
                           row['upstream_requests'],
                           '' if complete else '  (estimated: cut after %d pages, %.0f s)'
                           % (calls, elapsed)))
                    if complete and listed != n:
                        log('  (listed %d of %d!)' % (listed, n))
        finally:
            if proxy:
                proxy.stop()
            backend.stop()
    small, large = sizes
    growth = {}
    for row in out['runs']:
        if row['n'] == large:
            base = [r for r in out['runs'] if r['n'] == small and r['mode'] == row['mode']
                    and r['page_size'] == row['page_size']][0]
            key = '%s, page %d' % (row['mode'], row['page_size'])
            growth[key] = row['seconds'] / base['seconds']
    out['growth_10x'] = growth
    out['target'] = 'time(10N) <= 12 x time(N)'
    out['targets_met'] = {key: value <= 12.0 for key, value in growth.items()}
    return out
