"""`plankton-proxy serve` tuning options and the --workers mode."""

import os
import signal
import subprocess
import sys
import time

import psutil
import requests

from plankton_proxy.testing import RunningServer


def test_workers_share_the_socket_and_stop_together(plankton_stack):
    server = RunningServer(['--port', '0', '--upstream', plankton_stack.upstream,
                            '--workers', '2', '--no-access-log', '--upstream-pool', '4',
                            '--max-clients', '64', '--backlog', '64'])
    try:
        assert 'workers:         2' in ''.join(server.output)
        children = psutil.Process(server.pid).children()
        assert len(children) == 2
        uuid, token = plankton_stack.users[0]
        for _ in range(20):
            resp = requests.get(server.url + '/v1/images/detail',
                                headers={'X-Auth-Token': token})
            assert resp.status_code == 200
        assert requests.get(server.url + '/').status_code == 300
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0
    assert 'plankton-proxy stopped' in ''.join(server.output)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(c.is_running() and
                                              c.status() != psutil.STATUS_ZOMBIE
                                              for c in children):
        time.sleep(0.1)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)


def test_workers_need_an_upstream():
    done = subprocess.run([sys.executable, '-m', 'plankton_proxy.cli', 'serve', '--port', '0',
                           '--backend-port', '0', '--in-memory', '--workers', '2'],
                          capture_output=True, text=True, timeout=30,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__)))))
    assert done.returncode != 0
    assert '--workers needs --upstream' in done.stderr


def test_no_keepalive_closes_each_client_connection(plankton_stack):
    server = RunningServer(['--port', '0', '--upstream', plankton_stack.upstream,
                            '--no-keepalive', '--client-timeout', '5'])
    try:
        resp = requests.get(server.url + '/versions')
        assert resp.status_code == 200
        assert resp.headers.get('Connection', '').lower() == 'close'
    finally:
        assert server.stop() == 0


def test_access_log_on_by_default_and_off_on_request(plankton_stack):
    quiet = RunningServer(['--port', '0', '--upstream', plankton_stack.upstream,
                           '--no-access-log'])
    loud = RunningServer(['--port', '0', '--upstream', plankton_stack.upstream])
    try:
        for server in (quiet, loud):
            assert requests.get(server.url + '/versions').status_code == 200
        time.sleep(0.3)
    finally:
        quiet.stop()
        loud.stop()
    assert 'GET /versions' in ''.join(loud.output)
    assert 'GET /versions' not in ''.join(quiet.output)
