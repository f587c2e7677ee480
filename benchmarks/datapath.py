"""Item 2, as far as the product has a data path today: the forwarder.

Image uploads through the proxy (decision 4) do not exist yet, so this
measures what every byte will cross once they do: ``plankton_proxy.forward``
relaying a raw Pithos object PUT and GET.  The proxy here runs a pipeline of
the forward app alone (no version routing, no translation) with the backend
root as its upstream, which is *not* how the product is deployed: the
figures are labelled "forwarder data path".

The same bytes (``size`` bytes of a repeating 1 MiB pattern, sent sized with
Content-Length, read back whole) go to the backend directly and through the
proxy.  The proxy's resident memory is sampled from /proc every 20 ms; its
growth is the peak during the transfer minus the value just before.
"""

import os
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

from benchmarks import procs

CHUNK = 1 << 20


class RssSampler(threading.Thread):

    def __init__(self, pid, interval=0.02):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.base = procs.rss_kib(pid)
        self.peak = self.base
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, procs.rss_kib(self.pid))
            except OSError:
                return
            self._done.wait(self.interval)

    def finish(self):
        self._done.set()
        self.join()
        return {'rss_before_mib': self.base / 1024.0, 'rss_peak_mib': self.peak / 1024.0,
                'rss_growth_mib': (self.peak - self.base) / 1024.0}


def _conn(url):
    parts = urlsplit(url)
    return HTTPConnection(parts.hostname, parts.port, timeout=300)


def put_object(url, path, token, size):
    pattern = os.urandom(CHUNK)

    def body():
        left = size
        while left > 0:
            piece = pattern if left >= CHUNK else pattern[:left]
            left -= len(piece)
            yield piece
    conn = _conn(url)
    start = time.perf_counter()
    conn.request('PUT', path, body=body(), headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream',
        'Content-Length': str(size)})
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if resp.status not in (201, 204):
        raise RuntimeError('PUT %s: %s' % (path, resp.status))
    return elapsed


def get_object(url, path, token, size):
    conn = _conn(url)
    start = time.perf_counter()
    conn.request('GET', path, headers={'X-Auth-Token': token})
    resp = conn.getresponse()
    got = 0
    while True:
        data = resp.read(CHUNK)
        if not data:
            break
        got += len(data)
    elapsed = time.perf_counter() - start
    conn.close()
    if resp.status != 200 or got != size:
        raise RuntimeError('GET %s: %s, %d bytes' % (path, resp.status, got))
    return elapsed


def run(workdir, backend, level, log=print):
    size = {'smoke': 4, 'quick': 64, 'full': 1024}[level] << 20
    uuid, token = procs.demo_users()[0]
    ini = os.path.join(workdir, 'paste-forward-only.ini')
    with open(ini, 'w') as stream:
        stream.write('[pipeline:main]\npipeline = forward\n\n'
                     '[app:forward]\nuse = egg:plankton_proxy#forward\n')
    proxy = procs.start_proxy(workdir, backend.url, config=ini)
    out = {'label': 'forwarder data path (raw Pithos object PUT/GET; not the product '
                    'upload path, which does not exist yet)',
           'bytes': size, 'rounds': 2 if level == 'full' else 1, 'runs': []}
    try:
        conn = _conn(backend.url)
        conn.request('PUT', '/object-store/v1/%s/datapath' % uuid,
                     headers={'X-Auth-Token': token, 'Content-Length': '0'})
        conn.getresponse().read()
        conn.close()
        for rnd in range(out['rounds']):
            for op, fn in (('upload', put_object), ('download', get_object)):
                for via, url, prefix in (('direct', backend.url, ''),
                                         ('proxy', proxy.url, '')):
                    path = '%s/object-store/v1/%s/datapath/blob-%s' % (prefix, uuid, via)
                    sampler = RssSampler(proxy.pid) if via == 'proxy' else None
                    if sampler:
                        sampler.start()
                    elapsed = fn(url, path, token, size)
                    row = {'op': op, 'via': via, 'round': rnd + 1, 'seconds': elapsed,
                           'mb_per_s': size / elapsed / 1e6}
                    if sampler:
                        row.update(sampler.finish())
                    out['runs'].append(row)
                    log('  %-8s %-6s %6.0f MB/s%s' % (
                        op, via, row['mb_per_s'],
                        '  proxy RSS +%.1f MiB' % row['rss_growth_mib'] if sampler else ''))
        out['proxy_vm_hwm_mib'] = procs.hwm_kib(proxy.pid) / 1024.0
    finally:
        proxy.stop()
    summary = {}
    for op in ('upload', 'download'):
        best = {via: max(r['mb_per_s'] for r in out['runs']
                         if r['op'] == op and r['via'] == via) for via in ('direct', 'proxy')}
        growth = max(r['rss_growth_mib'] for r in out['runs']
                     if r['op'] == op and r['via'] == 'proxy')
        summary[op] = {'direct_mb_s': best['direct'], 'proxy_mb_s': best['proxy'],
                       'proxy/direct': best['proxy'] / best['direct'],
                       'proxy_rss_growth_mib': growth}
    out['summary'] = summary
    out['targets_met'] = {
        '%s >= 90%% of direct' % op: s['proxy/direct'] >= 0.90 for op, s in summary.items()}
    out['targets_met'].update({
        '%s RSS growth < 64 MiB' % op: s['proxy_rss_growth_mib'] < 64
        for op, s in summary.items()})
    return out
