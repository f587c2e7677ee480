"""Image data through v2: queued create, upload into Pithos, download
(501 by default, streamed when the operator turns it on)."""

import hashlib
import json
import os
import subprocess
import uuid

import pytest
import requests

from tests.v2.test_v2_clients import BIN, alice, stack, v2  # noqa: F401 (fixtures)

# The data path (glance_upload/glance_download) is its own issue; these tests
# run once it is in the pipeline (they passed with branch 'data' merged).
pytest.importorskip('plankton_proxy.middleware.glance_upload')


def test_queued_upload_active(stack, alice):
    token = alice[1]
    resp = v2(stack, token, 'POST', '/images', {
        'name': 'up-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
        'container_format': 'bare'})
    assert resp.status_code == 201, resp.text
    image = resp.json()
    assert image['status'] == 'queued' and image['size'] is None
    data = os.urandom(70000)
    resp = requests.put(stack.url + image['file'], data=data, headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 204, resp.text
    got = v2(stack, token, 'GET', '/images/' + image['id']).json()
    assert got['status'] == 'active' and got['size'] == len(data)
    assert got['checksum'] == hashlib.md5(data).hexdigest()
    assert got['id'] == image['id']
    # a second upload: not queued any more
    resp = requests.put(stack.url + image['file'], data=b'x', headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 409
    resp = v2(stack, token, 'GET', '/images/%s/file' % image['id'])
    assert resp.status_code == 501 and 'pithos://' in resp.text


def test_openstacksdk_create_image_with_data(stack, alice):
    import openstack
    conn = openstack.connect(auth_type='admin_token',
                             auth={'endpoint': stack.url, 'token': alice[1]})
    data = b'sdk-data' * 1000
    name = 'sdk-' + uuid.uuid4().hex[:6]
    image = conn.image.create_image(name=name, data=data, disk_format='raw',
                                    container_format='bare', wait=True)
    got = conn.image.get_image(image.id)
    assert got.status == 'active' and got.size == len(data)
    assert got.checksum == hashlib.md5(data).hexdigest()


def test_openstack_cli_create_with_file(stack, alice, tmp_path):
    path = tmp_path / 'disk.img'
    path.write_bytes(b'cli' * 5000)
    name = 'cli-' + uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    out = subprocess.run([os.path.join(BIN, 'openstack'), '--os-auth-type',
                          'admin_token', '--os-endpoint', stack.url, '--os-token',
                          alice[1], 'image', 'create', '--file', str(path),
                          '--disk-format', 'raw', '--container-format', 'bare',
                          '--property', 'k=v', '-f', 'json', name],
                         capture_output=True, text=True, timeout=90, env=env,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    got = v2(stack, alice[1], 'GET', '/images/' + shown['id']).json()
    assert got['status'] == 'active' and got['size'] == 15000 and got['k'] == 'v'
