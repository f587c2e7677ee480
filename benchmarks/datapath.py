"""Item 2: image data through the proxy, and the forwarder beneath it.

Two measurements, each against a direct Pithos request of the same size:

* **Glance image data** (when the pipeline has ``glance_upload``): a Glance
  upload, ``POST /v1/images`` with the data (sized, as openstacksdk sends
  it), streamed by the proxy into the caller's Pithos account and
  registered; and a download, ``GET /v1/images/<id>`` with the opt-in
  ``glance_download`` filter on.  The proxy gets the backend's Pithos and
  identity URLs in a paste variant (``serve`` passes them only to its
  embedded backend).
* **Forwarder data path**: a raw Pithos object PUT and GET relayed by a
  pipeline of the forward app alone, with the backend root as its upstream
  (not how the product is deployed; labelled so): the cost of the relay
  itself.

The bytes are ``size`` bytes of a repeating random 1 MiB pattern, sent sized
with Content-Length and read back whole.  The proxy's resident memory is
sampled from /proc every 20 ms; its growth is the peak during the transfer
minus the value just before.
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


def glance_upload(url, token, size, name):
    """POST /v1/images with the data, as glanceclient/openstacksdk upload;
    returns (seconds, image id)."""
    import json
    pattern = os.urandom(CHUNK)

    def body():
        left = size
        while left > 0:
            piece = pattern if left >= CHUNK else pattern[:left]
            left -= len(piece)
            yield piece
    conn = _conn(url)
    start = time.perf_counter()
    conn.request('POST', '/v1/images', body=body(), headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream',
        'Content-Length': str(size), 'x-image-meta-name': name,
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if resp.status != 201:
        raise RuntimeError('POST /v1/images: %s %s' % (resp.status, data[:300]))
    return elapsed, json.loads(data)['image']['id']


def product_path(workdir, backend, size, rounds, log):
    """Item 2 proper: a Glance upload (POST /v1/images with the data) and
    download (GET /v1/images/<id>, opt-in ``glance_download``) through the
    shipped pipeline, against a direct Pithos PUT/GET of the same size."""
    from benchmarks import hop
    uuid, token = procs.demo_users()[0]
    ini = hop.paste_variant(workdir, 'data', options={
        'DEFAULT': {'pithos_url': backend.url + '/object-store/v1',
                    'identity_url': backend.url + '/identity/v2.0'},
        'filter:glance_download': {'enabled': 'true'}})
    proxy = procs.start_proxy(workdir, backend.url + '/image/v1.0', config=ini)
    runs = []
    try:
        for rnd in range(rounds):
            path = '/object-store/v1/%s/datapath/product-direct' % uuid
            elapsed = put_object(backend.url, path, token, size)
            runs.append({'op': 'upload', 'via': 'direct Pithos PUT', 'round': rnd + 1,
                         'seconds': elapsed, 'mb_per_s': size / elapsed / 1e6})
            sampler = RssSampler(proxy.pid)
            sampler.start()
            elapsed, image_id = glance_upload(proxy.url, token, size, 'bench-%d' % rnd)
            row = {'op': 'upload', 'via': 'proxy POST /v1/images', 'round': rnd + 1,
                   'seconds': elapsed, 'mb_per_s': size / elapsed / 1e6}
            row.update(sampler.finish())
            runs.append(row)
            elapsed = get_object(backend.url, path, token, size)
            runs.append({'op': 'download', 'via': 'direct Pithos GET', 'round': rnd + 1,
                         'seconds': elapsed, 'mb_per_s': size / elapsed / 1e6})
            sampler = RssSampler(proxy.pid)
            sampler.start()
            elapsed = get_object(proxy.url, '/v1/images/%s' % image_id, token, size)
            row = {'op': 'download', 'via': 'proxy GET /v1/images/<id>', 'round': rnd + 1,
                   'seconds': elapsed, 'mb_per_s': size / elapsed / 1e6}
            row.update(sampler.finish())
            runs.append(row)
            for r in runs[-4:]:
                log('  product %-8s %-28s %6.0f MB/s%s' % (
                    r['op'], r['via'], r['mb_per_s'],
                    '  proxy RSS +%.1f MiB' % r['rss_growth_mib'] if 'rss_growth_mib' in r
                    else ''))
    finally:
        proxy.stop()
    summary = {}
    for op in ('upload', 'download'):
        direct = max(r['mb_per_s'] for r in runs if r['op'] == op and 'rss_growth_mib' not in r)
        via = max(r['mb_per_s'] for r in runs if r['op'] == op and 'rss_growth_mib' in r)
        growth = max(r['rss_growth_mib'] for r in runs if r['op'] == op and 'rss_growth_mib' in r)
        summary[op] = {'direct_mb_s': direct, 'proxy_mb_s': via, 'proxy/direct': via / direct,
                       'proxy_rss_growth_mib': growth}
    return {'label': 'Glance upload/download through the shipped pipeline vs direct '
                     'Pithos PUT/GET', 'runs': runs, 'summary': summary}


def run(workdir, backend, level, log=print):
    size = {'smoke': 4, 'quick': 64, 'full': 1024}[level] << 20
    uuid, token = procs.demo_users()[0]
    ini = os.path.join(workdir, 'paste-forward-only.ini')
    with open(ini, 'w') as stream:
        stream.write('[pipeline:main]\npipeline = forward\n\n'
                     '[app:forward]\nuse = egg:plankton_proxy#forward\n')
    proxy = procs.start_proxy(workdir, backend.url, config=ini)
    out = {'label': 'forwarder data path (raw Pithos object PUT/GET through the forward '
                    'app alone; not how the product is deployed)',
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
    from benchmarks import hop
    if 'glance_upload' in hop.main_filters():
        out['product'] = product_path(workdir, backend, size, out['rounds'], log)
        out['targets_met'] = {}
        for op, s in out['product']['summary'].items():
            out['targets_met']['Glance %s >= 90%% of direct' % op] = s['proxy/direct'] >= 0.90
            out['targets_met']['Glance %s RSS growth < 64 MiB' % op] = \
                s['proxy_rss_growth_mib'] < 64
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
    out.setdefault('targets_met', {})
    out['targets_met'].update({
        'forwarder %s >= 90%% of direct' % op: s['proxy/direct'] >= 0.90
        for op, s in summary.items()})
    out['targets_met'].update({
        'forwarder %s RSS growth < 64 MiB' % op: s['proxy_rss_growth_mib'] < 64
        for op, s in summary.items()})
    return out
