"""Where the proxy's time goes: py-spy on the proxy process under the hop mix.

``python -m benchmarks.run --profile`` (or ``--only profile``) samples the
proxy with ``py-spy record --format raw`` while wrk drives the request mix at
c=1 and at c=32, then folds the stacks into a short report: the share of
busy samples (idle = the eventlet hub waiting in epoll) spent under each
frame, inclusive, and the hottest leaf frames.  Written to
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


def fold_report(folded_path, top=30):
    total = busy = 0
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
            leaves[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    lines = ['samples: %d, busy (not waiting in epoll): %d (%.0f%%)'
             % (total, busy, 100.0 * busy / max(1, total)), '',
             'inclusive share of busy samples:']
    for frame, count in inclusive.most_common(top):
        lines.append('  %5.1f%%  %s' % (100.0 * count / max(1, busy), frame))
    lines += ['', 'hottest leaf frames (self time):']
    for frame, count in leaves.most_common(top // 2):
        lines.append('  %5.1f%%  %s' % (100.0 * count / max(1, busy), frame))
    return '\n'.join(lines), {'samples': total, 'busy': busy,
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
                 '--rate', '500', '--format', 'raw', '--output', raw, '--nonblocking'],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            load = loadgen.run(proxy.url, reqs, c, duration)
            _, err = sampler.communicate(timeout=duration + 60)
            if sampler.returncode != 0 or not os.path.exists(raw):
                result['skipped'] = 'py-spy failed: %s' % err.decode(errors='replace')[-300:]
                log('  ' + result['skipped'])
                return result
            text, summary = fold_report(raw)
            header = ('py-spy on the proxy, request mix at c=%d for %d s: %.0f req/s, '
                      'p50 %.2f ms\n\n' % (c, duration, load['rps'], load['p50_ms']))
            if out_dir:
                with open(os.path.join(out_dir, 'profile-c%d.txt' % c), 'w') as stream:
                    stream.write(header + text + '\n')
            summary['rps'] = load['rps']
            result['c%d' % c] = summary
            log('  c=%d: %d samples, %.0f%% busy; top: %s' % (
                c, summary['samples'], 100.0 * summary['busy'] / max(1, summary['samples']),
                ', '.join('%s %.0f%%' % (f.split(' (')[0], 100 * s)
                          for f, s in summary['leaf_top'][:4])))
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
