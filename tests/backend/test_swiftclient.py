"""python-swiftclient, unchanged, against the embedded Pithos."""

import hashlib

import pytest
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from backend_helpers import ALICE, BOB


@pytest.fixture
def conn(backend):
    return swift.Connection(preauthurl=backend.url + '/object-store/v1/' + ALICE[0],
                            preauthtoken=ALICE[1], retries=0)


def test_upload_stat_list_download_delete(conn):
    data = bytes(range(256)) * 1000
    conn.put_container('swift')
    etag = conn.put_object('swift', 'dir/file.bin', data,
                           content_type='application/octet-stream')
    assert etag == hashlib.md5(data).hexdigest()

    stat = conn.head_object('swift', 'dir/file.bin')
    assert int(stat['content-length']) == len(data)
    assert stat['etag'] == hashlib.md5(data).hexdigest()
    assert len(stat['x-object-uuid']) == 36

    headers, listing = conn.get_container('swift')
    assert [o['name'] for o in listing] == ['dir/file.bin']
    assert listing[0]['bytes'] == len(data)
    assert headers['x-container-block-size'] == '4194304'

    _, containers = conn.get_account()
    assert 'swift' in [c['name'] for c in containers]

    headers, body = conn.get_object('swift', 'dir/file.bin')
    assert body == data
    headers, part = conn.get_object('swift', 'dir/file.bin',
                                    headers={'Range': 'bytes=10-19'})
    assert part == data[10:20]
    assert headers['content-range'] == 'bytes 10-19/%d' % len(data)

    conn.delete_object('swift', 'dir/file.bin')
    with pytest.raises(ClientException) as info:
        conn.head_object('swift', 'dir/file.bin')
    assert info.value.http_status == 404
    _, listing = conn.get_container('swift')
    assert listing == []


def test_chunked_upload_from_an_iterator(conn):
    pieces = [b'x' * 70000, b'y' * 12345, b'z']
    conn.put_container('swift-chunked')
    etag = conn.put_object('swift-chunked', 'gen', iter(pieces),
                           content_type='application/octet-stream')
    assert etag == hashlib.md5(b''.join(pieces)).hexdigest()
    _, body = conn.get_object('swift-chunked', 'gen')
    assert body == b''.join(pieces)


def test_wrong_etag_is_refused_and_nothing_is_stored(conn):
    conn.put_container('swift-etag')
    with pytest.raises(ClientException) as info:
        conn.put_object('swift-etag', 'bad', b'abc', etag='0' * 32,
                        content_type='text/plain')
    assert info.value.http_status == 422
    with pytest.raises(ClientException) as info:
        conn.head_object('swift-etag', 'bad')
    assert info.value.http_status == 404


def test_another_users_token_cannot_read_private_objects(backend, conn):
    conn.put_container('swift-private')
    conn.put_object('swift-private', 'secret', b's', content_type='text/plain')
    other = swift.Connection(preauthurl=backend.url + '/object-store/v1/' + ALICE[0],
                             preauthtoken=BOB[1], retries=0)
    with pytest.raises(ClientException) as info:
        other.get_object('swift-private', 'secret')
    assert info.value.http_status == 403
    bogus = swift.Connection(preauthurl=backend.url + '/object-store/v1/' + ALICE[0],
                             preauthtoken='nope', retries=0)
    with pytest.raises(ClientException) as info:
        bogus.head_object('swift-private', 'secret')
    assert info.value.http_status == 401


def test_v1_auth_emulation(backend):
    conn = swift.Connection(authurl=backend.url + '/object-store/v1/', user=ALICE[0],
                            key=ALICE[1], auth_version='1', retries=0)
    conn.put_container('swift-v1auth')
    assert conn.url == backend.url + '/object-store/v1/' + ALICE[0]


def test_swift_cli_upload_needs_a_content_type_like_pithos(backend, backend_factory, tmp_path):
    """The swift CLI sends no Content-Type: Pithos (and this backend) answer 411 unless
    one is given with -H, or the backend runs with --default-content-type."""
    import subprocess
    import sys
    image = tmp_path / 'disk.img'
    image.write_bytes(b'cli data')

    def swift(url, *args):
        cmd = [sys.executable, '-m', 'swiftclient.shell', '--os-storage-url',
               url + '/object-store/v1/' + ALICE[0], '--os-auth-token', ALICE[1]]
        return subprocess.run(cmd + list(args), cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)

    plain = swift(backend.url, 'upload', 'cli', 'disk.img')
    assert plain.returncode != 0 and '411' in plain.stderr
    with_type = swift(backend.url, 'upload', '-H', 'Content-Type: application/octet-stream',
                      'cli', 'disk.img')
    assert with_type.returncode == 0, with_type.stderr
    lenient = backend_factory(extra_args=['--default-content-type'])
    assert swift(lenient.url, 'upload', 'cli', 'disk.img').returncode == 0
    conn = swift_conn(lenient)
    headers, body = conn.get_object('cli', 'disk.img')
    assert body == b'cli data'
    assert headers['content-type'] == 'application/octet-stream'


def swift_conn(backend):
    return swift.Connection(preauthurl=backend.url + '/object-store/v1/' + ALICE[0],
                            preauthtoken=ALICE[1], retries=0)
