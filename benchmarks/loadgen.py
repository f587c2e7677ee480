"""Closed-loop HTTP load: ``wrk`` when installed, else Python processes.

Both keep ``concurrency`` kept-alive connections busy for ``duration``
seconds, cycling through the same request list, and report requests/s and
the latency distribution (percentiles 0.1 .. 99.99, in milliseconds).

``wrk`` (C, epoll) is the default: on a 2-CPU machine a Python load
generator would itself be the bottleneck at concurrency 32.  The fallback
runs one process per CPU, each with threads on ``http.client``
connections; its figures are labelled ``python`` in the results.
"""

import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

PERCENTILES = [0.1, 1, 5, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95,
               97, 98, 99, 99.5, 99.9, 99.99]

LUA = r"""
local spec = {SPEC}
local reqs = {}
local n = 0
init = function(args)
  for i, r in ipairs(spec) do
    reqs[i] = wrk.format(r[1], r[2], r[3])
  end
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
done = function(summary, latency, requests)
  local p = {}
  for _, q in ipairs({PCTS_LIST}) do
    table.insert(p, string.format('"%g": %.4f', q, latency:percentile(q) / 1000.0))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_s": %.6f, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "mean_ms": %.4f, "max_ms": %.4f, ' ..
    '"min_ms": %.4f, "percentiles_ms": {%s}}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean / 1000.0, latency.max / 1000.0, latency.min / 1000.0,
    table.concat(p, ", ")))
end
"""


def _lua_str(value):
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def wrk_available():
    return shutil.which('wrk') is not None


def run_wrk(base_url, requests, concurrency, duration, threads=None):
    """``requests``: [(method, path, {header: value})]."""
    spec = '{%s}' % ', '.join(
        '{%s, %s, {%s}}' % (_lua_str(m), _lua_str(p), ', '.join(
            '[%s] = %s' % (_lua_str(k), _lua_str(v)) for k, v in h.items()))
        for m, p, h in requests)
    script = LUA.replace('{SPEC}', spec).replace("PCTS_LIST", ', '.join(map(str, PERCENTILES)))
    threads = threads or (1 if concurrency < 8 else 2)
    with tempfile.NamedTemporaryFile('w', suffix='.lua', delete=False) as stream:
        stream.write(script)
        path = stream.name
    try:
        out = subprocess.run(
            ['wrk', '-t', str(threads), '-c', str(concurrency), '-d', '%ds' % duration,
             '--timeout', '10s', '-s', path, base_url],
            capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(path)
    for line in out.stdout.splitlines():
        if line.startswith('WRKJSON '):
            result = json.loads(line[len('WRKJSON '):])
            break
    else:
        raise RuntimeError('wrk failed: %s %s' % (out.stdout[-1000:], out.stderr[-1000:]))
    result['rps'] = result['requests'] / result['duration_s']
    result['p50_ms'] = result['percentiles_ms']['50']
    result['p99_ms'] = result['percentiles_ms']['99']
    result['tool'] = 'wrk'
    result['tool_threads'] = threads
    return result


# -- the Python fallback ----------------------------------------------------------

def _worker(base_url, requests, connections, duration, queue):
    parts = urlsplit(base_url)
    latencies = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def loop(offset):
        conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        i = offset
        while time.monotonic() < stop_at:
            method, path, headers = requests[i % len(requests)]
            i += 1
            start = time.perf_counter()
            try:
                conn.request(method, path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((latencies, errors[0]))


def percentile(sorted_values, q):
    if not sorted_values:
        return float('nan')
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def run_python(base_url, requests, concurrency, duration):
    procs_n = max(1, min(concurrency, os.cpu_count() or 1))
    share = [concurrency // procs_n + (1 if i < concurrency % procs_n else 0)
             for i in range(procs_n)]
    queue = multiprocessing.Queue()
    start = time.monotonic()
    procs = [multiprocessing.Process(target=_worker,
                                     args=(base_url, requests, n, duration, queue))
             for n in share]
    for p in procs:
        p.start()
    latencies, errors = [], 0
    for _ in procs:
        lat, err = queue.get()
        latencies += lat
        errors += err
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    latencies = sorted(x * 1000.0 for x in latencies)
    pcts = {('%g' % q): percentile(latencies, q) for q in PERCENTILES}
    return {'requests': len(latencies), 'duration_s': elapsed,
            'errors': {'status_or_io': errors},
            'mean_ms': sum(latencies) / max(1, len(latencies)),
            'max_ms': latencies[-1] if latencies else None,
            'min_ms': latencies[0] if latencies else None,
            'percentiles_ms': pcts, 'rps': len(latencies) / elapsed,
            'p50_ms': pcts['50'], 'p99_ms': pcts['99'], 'tool': 'python',
            'tool_processes': procs_n}


def run(base_url, requests, concurrency, duration, tool=None, watch=None):
    """One measurement.  ``watch``: {name: pid} of the servers involved; their
    CPU time per request is added as ``cpu_ms_per_request`` (from /proc), with
    the load generator's own (``loadgen``) and the machine's busy share."""
    from benchmarks import procs
    tool = tool or ('wrk' if wrk_available() else 'python')
    watch = watch or {}
    before = {name: procs.cpu_seconds(pid) for name, pid in watch.items()}
    self_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_before = procs.machine_cpu()
    if tool == 'wrk':
        result = run_wrk(base_url, requests, concurrency, duration)
    else:
        result = run_python(base_url, requests, concurrency, duration)
    machine_after = procs.machine_cpu()
    self_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = max(1, result['requests'])
    cpu = {name: (procs.cpu_seconds(pid) - before[name]) * 1000.0 / n
           for name, pid in watch.items()}
    if tool == 'wrk':
        cpu['loadgen'] = ((self_after.ru_utime + self_after.ru_stime)
                          - (self_before.ru_utime + self_before.ru_stime)) * 1000.0 / n
    result['cpu_ms_per_request'] = cpu
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    result['machine_busy_pct'] = 100.0 * busy / max(1, total)
    # What the machine did besides this measurement (other tenants, other
    # test suites): busy share not accounted for by the watched processes
    # and the load generator.  Noise, reported so that it can be seen.
    ours = sum(cpu.values()) * n / 1000.0
    capacity = result['duration_s'] * (os.cpu_count() or 1)
    result['other_busy_pct'] = max(0.0, result['machine_busy_pct'] - 100.0 * ours / capacity)
    return result
