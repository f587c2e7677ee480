"""`plankton-proxy serve`: the one command that runs the whole stack."""

import signal

import pytest
import requests

from plankton_proxy.testing import Stack


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM], ids=['INT', 'TERM'])
def test_serve_runs_the_stack_and_stops_cleanly(tmp_path, sig):
    stack = Stack(['--data-dir', str(tmp_path / 'data')])
    try:
        banner = ''.join(stack.output)
        assert 'local use only' in banner
        # both faces of the shipped pipeline are named, each an answering URL
        assert '%s/v2 and %s/v1' % (stack.url, stack.url) in banner
        for face in ('/v1', '/v2'):
            assert requests.get(stack.url + face).status_code == 200
        assert requests.get(stack.url + '/').status_code == 300
        uuid, token = stack.users[0]
        # The embedded backend answers its identity, Pithos and Plankton APIs.
        access = requests.post(stack.backend_url + '/identity/v2.0/tokens',
                               json={'auth': {'token': {'id': token}}}).json()['access']
        assert access['user']['id'] == uuid
        types = {s['type'] for s in access['serviceCatalog']}
        assert {'image', 'object-store'} <= types
        assert requests.get(stack.backend_url + '/object-store/v1/' + uuid,
                            headers={'X-Auth-Token': token}).status_code in (200, 204)
        assert requests.get(stack.upstream + '/images/',
                            headers={'X-Auth-Token': 'nope'}).status_code == 401
    finally:
        code = stack.stop(sig)
    assert code == 0
    assert 'plankton-proxy stopped' in ''.join(stack.output)
    assert (tmp_path / 'data').is_dir()


def test_users_file_decides_who_gets_in(tmp_path):
    users = tmp_path / 'users.conf'
    users.write_text('# one user\n11111111-2222-3333-4444-555555555555   only-token  \n\n')
    stack = Stack(['--in-memory'], users_file=str(users))
    try:
        assert stack.users == [('11111111-2222-3333-4444-555555555555', 'only-token')]
        ok = requests.get(stack.upstream + '/images/', headers={'X-Auth-Token': 'only-token'})
        assert ok.status_code == 200
        refused = requests.get(stack.upstream + '/images/',
                               headers={'X-Auth-Token': 'demo-token-alice'})
        assert refused.status_code == 401
    finally:
        stack.stop()
