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
