"""``python -m benchmarks.run [--quick | --smoke] [--no-write] [--only ITEMS] [--profile]``

Starts everything on 127.0.0.1 (the backend, the proxy, nginx), measures
issue 8's items, prints a table and writes ``benchmarks/results/latest.json``
(every figure, the machine, the date, the git commit) and PNG plots beside it.

``--quick`` (< 2 minutes): short points, smaller N and data.  ``--smoke``
(seconds): proves the command works, its figures mean nothing (the test suite
runs it).  The full run takes about 10 minutes.  Results under
``benchmarks/results/`` come from the full run unless ``latest.json`` says
otherwise (``"level"``).  ``--profile`` adds py-spy profiles of the proxy
(``benchmarks/profile.py``).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks import datapath, hop, loadgen, populate, procs, report, scale

RESULTS = os.path.join(procs.ROOT, 'benchmarks', 'results')
ITEMS = ('hop', 'tuning', 'scale', 'data', 'profile')


def machine():
    info = {'nproc': os.cpu_count(), 'python': sys.version.split()[0],
            'platform': platform.platform()}
    try:
        info['nproc'] = int(subprocess.run(['nproc'], capture_output=True,
                                           text=True).stdout.strip())
    except (OSError, ValueError):
        pass
    try:
        with open('/proc/cpuinfo') as stream:
            for line in stream:
                key, _, value = line.partition(':')
                key = key.strip()
                if key == 'model name' and 'cpu_model' not in info:
                    info['cpu_model'] = value.strip()
                elif key == 'cpu MHz' and 'cpu_mhz' not in info:
                    info['cpu_mhz'] = float(value)
    except OSError:
        pass
    try:
        with open('/proc/meminfo') as stream:
            for line in stream:
                if line.startswith('MemTotal:'):
                    info['memory_mib'] = int(line.split()[1]) // 1024
    except OSError:
        pass
    tools = {}
    for name, cmd in (('wrk', ['wrk', '--version']), ('nginx', ['nginx', '-v'])):
        if shutil.which(name) or (name == 'nginx' and procs.nginx_binary()):
            out = subprocess.run([procs.nginx_binary() if name == 'nginx' else name] + cmd[1:],
                                 capture_output=True, text=True)
            tools[name] = (out.stdout + out.stderr).strip().splitlines()[0]
        else:
            tools[name] = None
    for module in ('eventlet', 'urllib3', 'requests', 'glanceclient'):
        try:
            from importlib.metadata import version
            tools[module] = version({'glanceclient': 'python-glanceclient'}.get(module, module))
        except Exception:
            tools[module] = None
    info['tools'] = tools
    return info


def git_commit():
    try:
        out = subprocess.run(['git', '-C', procs.ROOT, 'rev-parse', 'HEAD'],
                             capture_output=True, text=True)
        commit = out.stdout.strip() or None
        # Changes under benchmarks/results (the previous run's output) do not count.
        dirty = subprocess.run(['git', '-C', procs.ROOT, 'status', '--porcelain',
                                '--untracked-files=no', '--', '.',
                                ':(exclude)benchmarks/results'],
                               capture_output=True, text=True)
        return {'commit': commit, 'dirty': bool(dirty.stdout.strip())}
    except OSError:
        return {'commit': None, 'dirty': None}


README_START = '.. benchmark-results-start'
README_END = '.. benchmark-results-end'


def update_readme(table):
    """Replace what README.rst has between the two marker comments."""
    path = os.path.join(procs.ROOT, 'README.rst')
    with open(path) as stream:
        text = stream.read()
    head, sep, rest = text.partition(README_START)
    _, sep2, tail = rest.partition(README_END)
    if not (sep and sep2):
        raise SystemExit('README.rst has no %s / %s markers' % (README_START, README_END))
    block = '\n'.join(('    ' + line).rstrip() for line in table.splitlines())
    with open(path, 'w') as stream:
        stream.write(head + README_START + '\n\n::\n\n' + block + '\n\n' + README_END + tail)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks.run', description=__doc__)
    level = parser.add_mutually_exclusive_group()
    level.add_argument('--quick', action='store_true',
                       help='short run (< 2 minutes), smaller N and data')
    level.add_argument('--smoke', action='store_true',
                       help='a few seconds: proves the command works, figures mean nothing')
    parser.add_argument('--profile', action='store_true',
                        help='also profile the proxy with py-spy (item "profile")')
    parser.add_argument('--no-write', action='store_true',
                        help='print the table only; write nothing under benchmarks/results')
    parser.add_argument('--only', default='hop,tuning,scale,data',
                        help='comma-separated subset of %s' % ','.join(ITEMS))
    parser.add_argument('--out', default=RESULTS, help='results directory')
    parser.add_argument('--readme', action='store_true',
                        help="also put the table into README.rst's Performance section")
    args = parser.parse_args(argv)
    items = [i.strip() for i in args.only.split(',') if i.strip()]
    if args.profile and 'profile' not in items:
        items.append('profile')
    level = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
    unknown = set(items) - set(ITEMS)
    if unknown:
        parser.error('unknown item(s): %s' % ', '.join(sorted(unknown)))

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='plankton-bench-',
                               dir='/dev/shm' if os.path.isdir('/dev/shm') else None)
    results = {'date': datetime.datetime.now(datetime.timezone.utc).isoformat(
                   timespec='seconds'),
               'command': 'python -m benchmarks.run' + ('' if level == 'full' else ' --' + level),
               'level': level, 'quick': level != 'full', 'git': git_commit(), 'machine': machine(),
               'pipeline': scale.pipeline_filters(),
               'load_generator': 'wrk' if loadgen.wrk_available() else 'python'}
    print('plankton-proxy benchmarks (%s), pipeline: %s, load generator: %s, %s CPUs'
          % (level, ' '.join(results['pipeline']),
             results['load_generator'], results['machine'].get('nproc')), flush=True)

    def log(line):
        print(line, flush=True)
    try:
        if {'hop', 'tuning', 'data', 'profile'} & set(items):
            owner = procs.demo_users()[0]
            member = procs.demo_users()[1][0]
            data_dir = os.path.join(workdir, 'hop-data')
            ids = populate.populate(data_dir, procs.USERS_FILE, owner, 100,
                                    shared_with=[member])
            backend = procs.start_backend(workdir, data_dir=data_dir)
            try:
                if 'hop' in items:
                    log('[1] hop cost: direct / proxy / nginx / requests forwarder')
                    results['hop'] = hop.run(workdir, backend, ids, owner[1], level, log)
                if 'tuning' in items:
                    log('[4] server tuning at c=32')
                    results['tuning'] = hop.run_tuning(workdir, backend, ids, owner[1],
                                                       level, log)
                if 'data' in items:
                    log('[2] forwarder data path')
                    results['data'] = datapath.run(workdir, backend, level, log)
                if 'profile' in items:
                    from benchmarks import profile
                    log('[profile] py-spy on the proxy under the request mix')
                    out_dir = None if args.no_write else args.out
                    if out_dir:
                        os.makedirs(out_dir, exist_ok=True)
                    results['profile'] = profile.run(workdir, backend, ids, owner[1], level,
                                                     out_dir, log)
            finally:
                backend.stop()
        if 'scale' in items:
            log('[3] list scaling')
            results['scale'] = scale.run(workdir, level, log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results['elapsed_s'] = time.monotonic() - started

    print()
    print(report.table(results))
    if not args.no_write:
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, 'latest.json')
        with open(path, 'w') as stream:
            json.dump(results, stream, indent=1, sort_keys=True)
            stream.write('\n')
        with open(os.path.join(args.out, 'latest.rst'), 'w') as stream:
            stream.write(report.table(results) + '\n')
        written = [path]
        try:
            from benchmarks import plots
            written += plots.write_all(results, args.out)
        except ImportError as exc:
            print('plots skipped (%s): pip install matplotlib, or .[bench]' % exc)
        if args.readme:
            written.append(update_readme(report.table(results)))
        print('written: %s' % ', '.join(os.path.relpath(p, procs.ROOT) for p in written))
    print('elapsed: %.0f s' % results['elapsed_s'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
