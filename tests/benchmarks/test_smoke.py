"""The benchmark command runs (no figure is checked: timings are not tests)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_bench(*args, timeout=240):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
    return subprocess.run([sys.executable, '-m', 'benchmarks.run', '--smoke'] + list(args),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_smoke_run_prints_every_table():
    done = run_bench('--no-write')
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for heading in ('Hop cost', 'Proxy options at c=32', 'Forwarder data path',
                    'Listing all N images', 'Targets:'):
        assert heading in done.stdout


def test_results_file_has_the_machine_and_the_figures(tmp_path):
    done = run_bench('--only', 'scale', '--out', str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / 'latest.json').read_text())
    assert results['level'] == 'smoke'
    assert results['machine']['nproc'] >= 1
    assert 'date' in results and 'commit' in results['git']
    runs = results['scale']['runs']
    assert runs and all(run['listed'] == run['n'] for run in runs)
    assert all(run['upstream_requests'] >= 1 for run in runs)
