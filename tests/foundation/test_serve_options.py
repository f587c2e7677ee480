"""`plankton-proxy serve` tuning options (benchmarks/ measures their effect)."""

import socket
import time

import requests

from plankton_proxy.testing import RunningServer


def test_two_processes_share_one_port(plankton_stack):
    """The way to run several proxy processes: the same --port twice (the
    listening socket has SO_REUSEPORT when the port is given, not 0); each
    has its own tuning options."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = str(probe.getsockname()[1])
    first = RunningServer(['--port', port, '--upstream', plankton_stack.upstream,
                           '--no-access-log', '--upstream-pool', '4',
                           '--max-clients', '64', '--backlog', '64'])
    second = None
    try:
        second = RunningServer(['--port', port, '--upstream', plankton_stack.upstream])
        assert second.url == first.url
        uuid, token = plankton_stack.users[0]
        for _ in range(20):
            resp = requests.get(first.url + '/v1/images/detail',
                                headers={'X-Auth-Token': token, 'Connection': 'close'})
            assert resp.status_code == 200
        assert first.stop() == 0
        # The other one goes on serving the port alone.
        assert requests.get(second.url + '/versions').status_code == 200
    finally:
        first.stop()
        if second:
            assert second.stop() == 0


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
