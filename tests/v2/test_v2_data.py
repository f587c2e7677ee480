"""Image data through v2: queued create, upload into Pithos, download
(501 by default, streamed when the operator turns it on)."""

import hashlib
import http.client
import os
import socket
import time
import uuid

import requests

from tests.v2.test_v2_clients import alice, stack, v2  # noqa: F401 (fixtures)

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
DOWNLOAD_INI = os.path.join(ROOT, 'etc', 'paste-download.ini')


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
    assert got['os_hash_algo'] == 'sha512'
    assert got['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert got['id'] == image['id']
    # a second upload: not queued any more
    resp = requests.put(stack.url + image['file'], data=b'x', headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 409
    resp = v2(stack, token, 'GET', '/images/%s/file' % image['id'])
    assert resp.status_code == 501 and 'pithos://' in resp.text


def test_download_when_the_operator_turns_it_on(tmp_path):
    from plankton_proxy.testing import Stack
    server = Stack(['--in-memory', '--config', DOWNLOAD_INI])
    try:
        uuid_, token = server.users[0]
        data = os.urandom(5000)
        resp = v2(server, token, 'POST', '/images', {
            'name': 'dl-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
            'container_format': 'bare'})
        image = resp.json()
        # queued: no data yet
        assert v2(server, token, 'GET', '/images/%s/file' % image['id']).status_code == 204
        requests.put(server.url + image['file'], data=data, headers={
            'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
        resp = v2(server, token, 'GET', '/images/%s/file' % image['id'])
        assert resp.status_code == 200 and resp.content == data
        assert resp.headers['Content-Type'] == 'application/octet-stream'
        resp = v2(server, token, 'GET', '/images/%s/file' % image['id'],
                  headers={'Range': 'bytes=10-19'})
        assert resp.status_code == 206 and resp.content == data[10:20]
    finally:
        server.stop()


def _chunk(data):
    return b'%x\r\n%s\r\n' % (len(data), data)


def _status(stack, token, image_id):
    return v2(stack, token, 'GET', '/images/' + image_id).json()['status']


def _wait_status(stack, token, image_id, wanted, seconds=10):
    deadline = time.monotonic() + seconds
    status = None
    while time.monotonic() < deadline:
        status = _status(stack, token, image_id)
        if status == wanted:
            return status
        time.sleep(0.05)
    return status


def _start_chunked_upload(stack, token, image_id, first):
    """A PUT /file whose body is sent by hand: headers and a first chunk."""
    host, port = stack.url.split('//')[1].split(':')
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest('PUT', '/v2/images/%s/file' % image_id)
    conn.putheader('X-Auth-Token', token)
    conn.putheader('Content-Type', 'application/octet-stream')
    conn.putheader('Transfer-Encoding', 'chunked')
    conn.endheaders()
    conn.send(_chunk(first))
    return conn


def test_status_is_saving_while_the_data_streams(stack, alice):
    """queued -> saving (seen mid-upload by anyone) -> active; a second
    upload meanwhile is turned away with 409."""
    token = alice[1]
    image = v2(stack, token, 'POST', '/images', {
        'name': 'saving-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
        'container_format': 'bare'}).json()
    assert image['status'] == 'queued'
    first, rest = os.urandom(100000), os.urandom(50000)
    conn = _start_chunked_upload(stack, token, image['id'], first)
    try:
        assert _wait_status(stack, token, image['id'], 'saving') == 'saving'
        second = requests.put(stack.url + image['file'], data=b'other', headers={
            'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
        assert second.status_code == 409
        assert 'saving' in second.text
        conn.send(_chunk(rest) + b'0\r\n\r\n')
        assert conn.getresponse().status == 204
    finally:
        conn.close()
    got = v2(stack, token, 'GET', '/images/' + image['id']).json()
    assert got['status'] == 'active' and got['size'] == len(first + rest)
    assert got['checksum'] == hashlib.md5(first + rest).hexdigest()


def test_a_broken_upload_goes_back_to_queued(stack, alice):
    token = alice[1]
    image = v2(stack, token, 'POST', '/images', {
        'name': 'broken-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
        'container_format': 'bare'}).json()
    conn = _start_chunked_upload(stack, token, image['id'], os.urandom(100000))
    assert _wait_status(stack, token, image['id'], 'saving') == 'saving'
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    assert _wait_status(stack, token, image['id'], 'queued') == 'queued'
    got = v2(stack, token, 'GET', '/images/' + image['id']).json()
    assert got['size'] is None and got['checksum'] is None
    # and the upload can be retried
    data = b'again' * 100
    resp = requests.put(stack.url + image['file'], data=data, headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
    assert resp.status_code == 204, resp.text
    got = v2(stack, token, 'GET', '/images/' + image['id']).json()
    assert got['status'] == 'active' and got['size'] == len(data)


def test_an_image_made_through_v2_shows_the_same_through_v1(stack, alice):
    token = alice[1]
    resp = v2(stack, token, 'POST', '/images', {
        'name': 'both-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
        'container_format': 'bare', 'min_ram': 512, 'min_disk': 2,
        'protected': False, 'visibility': 'public', 'os_distro': 'debian',
        'tags': ['one', 'two']})
    assert resp.status_code == 201, resp.text
    image = resp.json()
    head = requests.head(stack.url + '/v1/images/' + image['id'],
                         headers={'X-Auth-Token': token}).headers
    assert head['x-image-meta-status'] == 'queued'
    data = os.urandom(3000)
    requests.put(stack.url + image['file'], data=data, headers={
        'X-Auth-Token': token, 'Content-Type': 'application/octet-stream'})
    head = requests.head(stack.url + '/v1/images/' + image['id'],
                         headers={'X-Auth-Token': token}).headers
    assert head['x-image-meta-status'] == 'active'
    assert head['x-image-meta-name'] == image['name']
    assert head['x-image-meta-size'] == str(len(data))
    assert head['x-image-meta-checksum'] == hashlib.md5(data).hexdigest()
    assert head['x-image-meta-is_public'] == 'True'
    assert head['x-image-meta-min_ram'] == '512'
    assert head['x-image-meta-min_disk'] == '2'
    assert head['x-image-meta-disk_format'] == 'raw'
    assert head['x-image-meta-property-os_distro'] == 'debian'
    # v2-only fields (tags, os_hash_*) are kept but never shown through v1
    assert not any('tags' in k or 'os_hash' in k or 'x_glance' in k
                   for k in (key.lower() for key in head))
    listed = requests.get(stack.url + '/v1/images/detail?name=' + image['name'],
                          headers={'X-Auth-Token': token}).json()['images']
    assert [(i['id'], i['checksum'], i['properties']) for i in listed] == \
        [(image['id'], hashlib.md5(data).hexdigest(), {'os_distro': 'debian'})]
