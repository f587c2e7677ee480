"""Crashes, restarts, disconnects and concurrent writers against a data directory."""

import concurrent.futures
import hashlib
import os
import socket
import time

from backend_helpers import ALICE, BOB, CAROL, User


def start_chunked_put(backend, user, container, name, first_bytes):
    """Open a chunked PUT and send part of the body; returns the open socket."""
    host, port = backend.url.rsplit('/', 1)[1].split(':')
    sock = socket.create_connection((host, int(port)))
    path = '/object-store/v1/%s/%s/%s' % (user.uuid, container, name)
    sock.sendall(('PUT %s HTTP/1.1\r\nHost: %s:%s\r\nX-Auth-Token: %s\r\n'
                  'Content-Type: application/octet-stream\r\n'
                  'Transfer-Encoding: chunked\r\n\r\n'
                  % (path, host, port, user.token)).encode())
    piece = 64 * 1024
    for start in range(0, first_bytes, piece):
        sock.sendall(b'%x\r\n' % piece + b'p' * piece + b'\r\n')
    return sock


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def tmp_files(data_dir):
    return os.listdir(os.path.join(data_dir, 'tmp'))


def test_kill_mid_upload_leaves_no_partial_object(backend_factory, tmp_path):
    data_dir = str(tmp_path / 'data')
    backend = backend_factory(data_dir=data_dir)
    alice = User(backend, *ALICE)
    alice.put_object('crash', 'existing', b'old data')
    # a new object and an overwrite, both cut off by kill -9
    new_sock = start_chunked_put(backend, alice, 'crash', 'new', 2 * 1024 * 1024)
    over_sock = start_chunked_put(backend, alice, 'crash', 'existing', 1024 * 1024)
    assert wait_for(lambda: len(tmp_files(data_dir)) == 2)
    backend.kill()
    new_sock.close()
    over_sock.close()

    backend.start()
    assert alice.request('HEAD', alice.object_url('crash', 'new')).status_code == 404
    assert alice.request('GET', alice.object_url('crash', 'existing')).content == b'old data'
    assert alice.request('GET', alice.account_url + '/crash').text == 'existing\n'
    assert tmp_files(data_dir) == []
    assert len(os.listdir(os.path.join(data_dir, 'blobs'))) == 1


def test_client_disconnect_mid_upload_leaves_nothing(backend_factory, tmp_path):
    data_dir = str(tmp_path / 'data')
    backend = backend_factory(data_dir=data_dir)
    alice = User(backend, *ALICE)
    alice.put_container('gone')
    sock = start_chunked_put(backend, alice, 'gone', 'half', 512 * 1024)
    assert wait_for(lambda: len(tmp_files(data_dir)) == 1)
    sock.close()
    assert wait_for(lambda: tmp_files(data_dir) == [])
    assert alice.request('HEAD', alice.object_url('gone', 'half')).status_code == 404


def test_restart_keeps_images_members_and_ids(backend_factory, tmp_path):
    data_dir = str(tmp_path / 'data')
    backend = backend_factory(data_dir=data_dir)
    alice, bob = User(backend, *ALICE), User(backend, *BOB)
    image_id = alice.upload_image('keep', 'disk.img', b'\0' * 1000 + b'disk',
                                  image_name='kept image',
                                  headers={'X-Image-Meta-Property-Os': 'debian'})
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (image_id, bob.uuid))
    before = alice.head_image(image_id).headers
    detail_before = alice.detail()

    assert backend.stop() == 0            # SIGTERM: a clean stop
    backend.start()
    after = alice.head_image(image_id)
    assert after.status_code == 200
    for key in ('x-image-meta-id', 'x-image-meta-name', 'x-image-meta-checksum',
                'x-image-meta-size', 'x-image-meta-property-os', 'x-image-meta-created-at'):
        assert after.headers[key] == before[key]
    assert alice.detail() == detail_before
    assert bob.head_image(image_id).status_code == 200
    members = alice.request('GET', alice.images + '/images/%s/members' % image_id).json()
    assert [m['member_id'] for m in members['members']] == [alice.uuid, bob.uuid]

    # a committed write survives kill -9 too
    alice.request('PUT', alice.images + '/images/' + image_id,
                  headers={'X-Image-Meta-Property-After': 'crash'})
    backend.kill()
    backend.start()
    head = alice.head_image(image_id)
    assert head.headers['x-image-meta-property-after'] == 'crash'
    data = alice.request('GET', alice.object_url('keep', 'disk.img')).content
    assert data == b'\0' * 1000 + b'disk'


def test_concurrent_writers(backend_factory, tmp_path):
    backend = backend_factory(data_dir=str(tmp_path / 'data'))
    users = [User(backend, *u) for u in (ALICE, BOB, CAROL)]
    alice = users[0]
    image_id = alice.upload_image('busy', 'image', b'base')
    payloads = [bytes([65 + i]) * (300 * 1024 + i) for i in range(8)]

    def overwrite(i):
        fresh = User(backend, *ALICE)
        return fresh.put_object('busy', 'image', payloads[i]).status_code

    def add_property(i):
        fresh = User(backend, *ALICE)
        return fresh.request('PUT', fresh.images + '/images/' + image_id,
                             headers={'X-Image-Meta-Property-K%d' % i: str(i)}).status_code

    def add_member(i):
        fresh = User(backend, *ALICE)
        return fresh.request('PUT', fresh.images + '/images/%s/members/member-%d'
                             % (image_id, i)).status_code

    def upload_own(i):
        user = User(backend, users[i % 3].uuid, users[i % 3].token)
        return user.put_object('mine', 'obj%d' % i, payloads[i]).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        jobs = []
        for i in range(8):
            jobs += [pool.submit(overwrite, i), pool.submit(add_property, i),
                     pool.submit(add_member, i), pool.submit(upload_own, i)]
        results = [job.result() for job in jobs]
    assert all(code in (200, 201, 204) for code in results), results

    data = alice.request('GET', alice.object_url('busy', 'image')).content
    assert data in payloads                          # one whole upload, never a mix
    head = alice.head_image(image_id)
    assert head.headers['x-image-meta-id'] == image_id
    assert head.headers['x-image-meta-size'] == str(len(data))
    for i in range(8):                               # no lost update
        assert head.headers['x-image-meta-property-k%d' % i] == str(i)
    members = alice.request('GET', alice.images + '/images/%s/members' % image_id).json()
    assert {m['member_id'] for m in members['members']} == (
        {alice.uuid} | {'member-%d' % i for i in range(8)})
    for i in range(8):
        owner = users[i % 3]
        got = owner.request('GET', owner.object_url('mine', 'obj%d' % i))
        assert got.headers['ETag'] == hashlib.md5(payloads[i]).hexdigest()


def test_one_process_per_data_dir(backend_factory, tmp_path):
    import pytest
    data_dir = str(tmp_path / 'data')
    first = backend_factory(data_dir=data_dir)
    with pytest.raises(RuntimeError):
        backend_factory(data_dir=data_dir)
    errors = ''.join(p.read_text() for p in tmp_path.glob('backend-*.err'))
    assert 'is in use by another process' in errors
    assert User(first, *ALICE).detail() == []      # the first one is unharmed
