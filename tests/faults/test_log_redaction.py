"""No token, key or password reaches any log line.

Runs ``plankton-proxy serve`` (proxy + embedded backend, at INFO and at
DEBUG) with users whose tokens are known, sends requests carrying them in
every place a client might put one (X-Auth-Token, X-Auth-Key, query
parameters, identity request bodies, error paths, a broken upstream), and
greps everything the process wrote for them, plain and percent-encoded.
"""

import time
from urllib.parse import quote

import pytest
import requests

from plankton_proxy.testing import Stack

UUID = '5e1d0c4b-7a3f-4e2d-9c8b-1a2b3c4d5e6f'
TOKEN = 'Tok3n-Secret-0123456789abcdef'
PASSWORD = 'Pa55word-Secret-fedcba9876'
KEY = 'Key-Secret-13579bdf'
SECRETS = (TOKEN, PASSWORD, KEY)


def _exercise(stack):
    base = stack.url + '/v1'
    auth = {'X-Auth-Token': TOKEN}
    location = stack.upload(TOKEN, 'images', 'redact.img', b'r' * 512)
    resp = requests.post(base + '/images', headers=dict(auth, **{
        'x-image-meta-name': 'redact', 'x-image-meta-location': location,
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}))
    assert resp.status_code == 201, resp.text
    image_id = resp.json()['image']['id']
    calls = [
        ('GET', base + '/images/detail', auth, None),
        ('HEAD', base + '/images/' + image_id, auth, None),
        ('PUT', base + '/images/' + image_id, dict(auth, **{
            'x-image-meta-property-note': 'n', 'x-glance-registry-purge-props': 'false'}),
         None),
        ('PUT', base + '/images/%s/members/someone' % image_id, auth, None),
        ('GET', base + '/images/%s/members' % image_id, auth, None),
        ('GET', base + '/images/detail?X-Auth-Token=' + TOKEN, {}, None),
        ('GET', base + '/images?token=%s&limit=1' % TOKEN, auth, None),
        ('GET', base + '/images?password=%s' % PASSWORD, auth, None),
        ('GET', base + '/images/00000000-0000-4000-8000-000000000000', auth, None),
        ('GET', base + '/images/detail', {'X-Auth-Token': TOKEN + 'x'}, None),
        ('GET', base + '/images/detail', dict(auth, **{'X-Auth-Key': KEY}), None),
        ('GET', base + '/nowhere?X-Auth-Key=' + KEY, auth, None),
        ('PUT', base + '/images/%s/members' % image_id, dict(auth, **{
            'Content-Type': 'application/json'}), b'{"memberships": [{"member_id": "'
         + TOKEN.encode() + b'"}'),
        ('POST', stack.backend_url + '/identity/v2.0/tokens',
         {'Content-Type': 'application/json'},
         ('{"auth": {"token": {"id": "%s"}}}' % TOKEN).encode()),
        ('POST', stack.backend_url + '/identity/v2.0/tokens',
         {'Content-Type': 'application/json'},
         ('{"auth": {"passwordCredentials": {"username": "u", "password": "%s"}}}'
          % PASSWORD).encode()),
        ('GET', '%s/%s/images/redact.img?X-Auth-Token=%s' % (stack.pithos_url, UUID, TOKEN),
         {}, None),
        ('GET', '%s/%s' % (stack.pithos_url, UUID), auth, None),
        ('DELETE', base + '/images/' + image_id, auth, None),
    ]
    for method, url, headers, body in calls:
        resp = requests.request(method, url, headers=headers, data=body, timeout=30)
        assert resp.status_code < 500 or resp.status_code == 501, (url, resp.text)
    # And the same with glanceclient's percent-encoded token.
    requests.get(base + '/images', timeout=10, headers={
        'X-Auth-Token': quote(TOKEN, safe=''), 'User-Agent': 'python-glanceclient'})


@pytest.mark.parametrize('level', ['INFO', 'DEBUG'])
def test_no_secret_in_any_log_line(tmp_path, level):
    users = tmp_path / 'users.conf'
    users.write_text('%s %s\n' % (UUID, TOKEN))
    stack = Stack(['--in-memory', '--log-level', level], users_file=str(users))
    try:
        _exercise(stack)
        time.sleep(0.3)
    finally:
        stack.stop()
    output = ''.join(stack.output)
    assert 'GET /v1/images/detail' in output or 'images/detail' in output  # logs exist
    for secret in SECRETS:
        for form in {secret, quote(secret, safe=''), quote(quote(secret, safe=''), safe='')}:
            leaks = [line for line in output.splitlines() if form in line]
            assert not leaks, leaks[:5]
