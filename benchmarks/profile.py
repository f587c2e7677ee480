"""Where the proxy's time goes: py-spy on the proxy process under the hop mix.

``python -m benchmarks.run --profile`` (or ``--only profile``) samples the
proxy with ``py-spy record --gil --format raw`` while wrk drives the request
mix at c=1 and at c=32, then folds the stacks into a short report: the share
of samples spent under each frame, inclusive, and the hottest leaf frames.
``--gil`` keeps only samples where the proxy runs Python (holds the GIL):
on a shared machine a wall-clock profile mostly shows the process waiting
for a CPU inside ``send()``.  The kernel side (system CPU, i.e. the socket
calls) is given beside it as the user/system split from /proc.  Written to
``benchmarks/results/profile-c1.txt`` / ``profile-c32.txt`` with the raw
stacks beside them (``*.folded``, flamegraph.pl input).
"""

import collections
import os
import shutil
import subprocess
import sys
import tempfile

from benchmarks import hop, loadgen, procs

IDLE_LEAVES = ('do_poll (eventlet/hubs/epolls.py', 'Hub.do_poll (eventlet/hubs/epolls.py')


def py_spy():
    here = os.path.join(os.path.dirname(sys.executable), 'py-spy')
    return here if os.path.exists(here) else shutil.which('py-spy')


#: Layers a sample is charged to, by the file of its leaf frame (first match).
LAYERS = [
    ('plankton_proxy forward app', ('plankton_proxy/forward.py',)),
    ('plankton_proxy server glue', ('plankton_proxy/server.py',)),
    ('plankton_proxy translation filters', ('plankton_proxy/',)),
    ('date parsing/formatting (_strptime, time)', ('_strptime', 'strftime', 'datetime')),
    ('json', ('json/',)),
    ('urllib3 (upstream pool, request/response)', ('urllib3/',)),
    ('http.client + email (header parsing)', ('http/client.py', 'email/', 'http/server.py')),
    ('eventlet.wsgi (the server: parse request, write reply)', ('eventlet/wsgi.py',)),
    ('eventlet hub and green sockets', ('eventlet/',)),
    ('webob', ('webob/',)),
    ('socket/io/logging (stdlib)', ('socket.py', 'logging/', '_pyio', 'selectors')),
]


def layer_of(frame):
    for name, needles in LAYERS:
        if any(needle in frame for needle in needles):
            return name
    return 'other'


def fold_report(folded_path, top=30):
    total = busy = 0
    layers = collections.Counter()
    leaves = collections.Counter()
    inclusive = collections.Counter()
    with open(folded_path) as stream:
        for line in stream:
            line = line.rstrip('\n')
            if not line:
                continue
            stack, _, count = line.rpartition(' ')
            count = int(count)
            total += count
            frames = stack.split(';')
            if frames[-1].startswith(IDLE_LEAVES):
                continue
            busy += count
            layers[layer_of(frames[-1])] += count
            leaves[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    lines = ['samples: %d, not waiting in epoll: %d (%.0f%%)'
             % (total, busy, 100.0 * busy / max(1, total)), '',
             'by layer (the file of the innermost frame):']
    for name, count in layers.most_common():
        lines.append('  %5.1f%%  %s' % (100.0 * count / max(1, busy), name))
    lines += ['', 'inclusive share of those samples:']
    for frame, count in inclusive.most_common(top):
        lines.append('  %5.1f%%  %s' % (100.0 * count / max(1, busy), frame))
    lines += ['', 'hottest leaf frames (self time):']
    for frame, count in leaves.most_common(top // 2):
        lines.append('  %5.1f%%  %s' % (100.0 * count / max(1, busy), frame))
    return '\n'.join(lines), {'samples': total, 'busy': busy,
                              'layers': {k: c / max(1, busy) for k, c in layers.items()},
                              'inclusive_top': [(f, c / max(1, busy))
                                                for f, c in inclusive.most_common(top)],
                              'leaf_top': [(f, c / max(1, busy))
                                           for f, c in leaves.most_common(top // 2)]}


def run(workdir, backend, ids, token, level, out_dir=None, log=print):
    spy = py_spy()
    if not spy:
        return {'skipped': 'py-spy is not installed (pip install py-spy, or .[bench])'}
    duration = {'smoke': 1, 'quick': 3, 'full': 8}[level]
    result = {'duration_s': duration}
    proxy = procs.start_proxy(workdir, backend.url + '/image/v1.0')
    try:
        reqs = hop.request_mix('/v1', ids, token)
        for c in (1, 32):
            loadgen.run(proxy.url, reqs, c, 1)
            raw = os.path.join(out_dir or workdir, 'profile-c%d.folded' % c)
            sampler = subprocess.Popen(
                [spy, 'record', '--pid', str(proxy.pid), '--duration', str(duration + 1),
                 '--rate', '500', '--gil', '--format', 'raw', '--output', raw,
                 '--nonblocking'],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            user0, sys0 = procs.cpu_split(proxy.pid)
            load = loadgen.run(proxy.url, reqs, c, duration)
            user1, sys1 = procs.cpu_split(proxy.pid)
            _, err = sampler.communicate(timeout=duration + 60)
            if sampler.returncode != 0 or not os.path.exists(raw):
                result['skipped'] = 'py-spy failed: %s' % err.decode(errors='replace')[-300:]
                log('  ' + result['skipped'])
                return result
            text, summary = fold_report(raw)
            n = max(1, load['requests'])
            split = {'user_ms_per_request': (user1 - user0) * 1000.0 / n,
                     'system_ms_per_request': (sys1 - sys0) * 1000.0 / n}
            header = ('py-spy --gil on the proxy, request mix at c=%d for %d s: %.0f req/s, '
                      'p50 %.2f ms\nproxy CPU per request (/proc): user %.3f ms (Python: '
                      'the samples below), system %.3f ms (socket calls)\n\n' % (
                          c, duration, load['rps'], load['p50_ms'],
                          split['user_ms_per_request'], split['system_ms_per_request']))
            if out_dir:
                with open(os.path.join(out_dir, 'profile-c%d.txt' % c), 'w') as stream:
                    stream.write(header + text + '\n')
            summary['rps'] = load['rps']
            summary.update(split)
            result['c%d' % c] = summary
            log('  c=%d: CPU/req user %.3f ms, system %.3f ms; %d samples; %s' % (
                c, split['user_ms_per_request'], split['system_ms_per_request'],
                summary['samples'], ', '.join(
                    '%s %.0f%%' % (name.split(' (')[0], 100 * share) for name, share in
                    sorted(summary['layers'].items(), key=lambda kv: -kv[1])[:5])))
    finally:
        proxy.stop()
    return result


def main():
    """Profile alone: ``python -m benchmarks.profile [OUT_DIR]``."""
    from benchmarks import populate
    out_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    os.makedirs(out_dir, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='plankton-profile-')
    owner, member = procs.demo_users()[0], procs.demo_users()[1][0]
    ids = populate.populate(os.path.join(workdir, 'data'), procs.USERS_FILE, owner, 100,
                            shared_with=[member])
    backend = procs.start_backend(workdir, data_dir=os.path.join(workdir, 'data'))
    try:
        run(workdir, backend, ids, owner[1], 'full', out_dir)
    finally:
        backend.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print('written under %s' % out_dir)


if __name__ == '__main__':
    main()
