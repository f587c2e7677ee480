"""The Pithos subset over raw HTTP (plankton.md §4, §6.1 items 19–25)."""

import hashlib
import http.client
import json
import urllib.parse

import pytest

from plankton_proxy.backend.merkle import BLOCK_SIZE, merkle_hex


def test_container_head_announces_block_size_and_hash(alice):
    assert alice.put_container('c19').status_code == 201
    assert alice.put_container('c19').status_code == 202
    resp = alice.request('HEAD', alice.account_url + '/c19')
    assert resp.status_code == 204
    assert resp.headers['X-Container-Block-Size'] == '4194304'
    assert resp.headers['X-Container-Block-Hash'] == 'sha256'
    assert resp.headers['X-Container-Object-Count'] == '0'
    assert alice.request('HEAD', alice.account_url + '/nope').status_code == 404


def test_container_in_someone_elses_account_is_forbidden(alice, bob):
    resp = bob.request('PUT', alice.account_url + '/bobs')
    assert resp.status_code == 403


def test_put_needs_content_type_and_length(alice):
    alice.put_container('c20')
    url = alice.object_url('c20', 'o')
    for missing in ({'Content-Type': ''}, {}):
        resp = alice.request('PUT', url, data=b'abc', headers=missing)
        assert resp.status_code == 411
        assert resp.json()['lengthRequired']['message'] == 'Missing Content-Type header'
    # no Content-Length and no chunking (requests would add Content-Length: 0)
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc)
    conn.putrequest('PUT', urllib.parse.urlsplit(url).path)
    conn.putheader('X-Auth-Token', alice.token)
    conn.putheader('Content-Type', 'text/plain')
    conn.endheaders()
    raw = conn.getresponse()
    assert raw.status == 411
    assert 'Content-Length' in json.loads(raw.read())['lengthRequired']['message']
    conn.close()
    assert alice.request('HEAD', url).status_code == 404


def test_put_checks_a_request_etag_as_md5(alice):
    alice.put_container('c20')
    url = alice.object_url('c20', 'etag')
    bad = alice.request('PUT', url, data=b'abc',
                        headers={'Content-Type': 'text/plain', 'ETag': 'f' * 32})
    assert bad.status_code == 422
    assert bad.json()['unprocessableEntity']['message'] == 'Object ETag does not match'
    assert alice.request('HEAD', url).status_code == 404
    good = alice.request('PUT', url, data=b'abc',
                         headers={'Content-Type': 'text/plain',
                                  'ETag': hashlib.md5(b'abc').hexdigest()})
    assert good.status_code == 201
    assert good.headers['ETag'] == hashlib.md5(b'abc').hexdigest()
    assert good.headers['X-Object-Version']


def test_head_and_get_carry_hash_uuid_and_metadata(alice):
    alice.put_object('c20', 'meta', b'hello\0\0\0', headers={'X-Object-Meta-colour-NAME': 'blue'})
    for method in ('HEAD', 'GET'):
        resp = alice.request(method, alice.object_url('c20', 'meta'))
        assert resp.status_code == 200
        assert resp.headers['X-Object-Hash'] == merkle_hex(b'hello')
        assert resp.headers['ETag'] == hashlib.md5(b'hello\0\0\0').hexdigest()
        assert resp.headers['X-Object-Meta-Colour-Name'] == 'blue'
        assert len(resp.headers['X-Object-UUID']) == 36
        assert resp.headers['Content-Length'] == '8'


def test_overwrite_keeps_the_uuid_and_post_changes_metadata(alice):
    first = alice.put_object('c20', 'over', b'one')
    uuid = alice.request('HEAD', alice.object_url('c20', 'over')).headers['X-Object-UUID']
    alice.put_object('c20', 'over', b'two two')
    head = alice.request('HEAD', alice.object_url('c20', 'over'))
    assert head.headers['X-Object-UUID'] == uuid
    assert head.headers['Content-Length'] == '7'
    assert int(head.headers['X-Object-Version']) > int(first.headers['X-Object-Version'])
    resp = alice.request('POST', alice.object_url('c20', 'over'),
                         headers={'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2'})
    assert resp.status_code == 202
    resp = alice.request('POST', alice.object_url('c20', 'over') + '?update',
                         headers={'X-Object-Meta-A': ''})
    head = alice.request('HEAD', alice.object_url('c20', 'over'))
    assert 'X-Object-Meta-A' not in head.headers
    assert head.headers['X-Object-Meta-B'] == '2'


@pytest.mark.parametrize('header,status,body,content_range', [
    ('bytes=0-3', 206, b'0123', 'bytes 0-3/10'),
    ('bytes=7-', 206, b'789', 'bytes 7-9/10'),
    ('bytes=-2', 206, b'89', 'bytes 8-9/10'),
    ('bytes=9-9', 206, b'9', 'bytes 9-9/10'),
    ('bytes=5-100', 416, None, None),       # no clamping
    ('bytes=10-', 416, None, None),
    ('bytes=abc', 200, b'0123456789', None),  # malformed: ignored
])
def test_ranges(alice, header, status, body, content_range):
    alice.put_object('c21', 'digits', b'0123456789')
    resp = alice.request('GET', alice.object_url('c21', 'digits'), headers={'Range': header})
    assert resp.status_code == status
    if body is not None:
        assert resp.content == body
    if content_range:
        assert resp.headers['Content-Range'] == content_range


def test_multiple_ranges_are_multipart(alice):
    alice.put_object('c21', 'digits', b'0123456789')
    resp = alice.request('GET', alice.object_url('c21', 'digits'),
                         headers={'Range': 'bytes=0-1,8-9'})
    assert resp.status_code == 206
    assert resp.headers['Content-Type'].startswith('multipart/byteranges; boundary=')
    assert b'Content-Range: bytes 0-1/10\r\n\r\n01\r\n' in resp.content
    assert b'Content-Range: bytes 8-9/10\r\n\r\n89\r\n' in resp.content


def test_hashmap_put_and_block_upload(alice):
    alice.put_container('c22')
    data = b'k' * BLOCK_SIZE + b'tail'
    hashes = [hashlib.sha256(data[:BLOCK_SIZE]).hexdigest(),
              hashlib.sha256(b'tail').hexdigest()]
    url = alice.object_url('c22', 'kamaki.img') + '?hashmap&format=json'
    hashmap = json.dumps({'bytes': len(data), 'hashes': hashes})
    first = alice.request('PUT', url, data=hashmap,
                          headers={'Content-Type': 'application/octet-stream'})
    assert first.status_code == 409
    assert sorted(first.json()) == sorted(hashes)
    for start in range(0, len(data), BLOCK_SIZE):
        resp = alice.request('POST', alice.account_url + '/c22?update&format=json',
                             data=data[start:start + BLOCK_SIZE],
                             headers={'Content-Type': 'application/octet-stream'})
        assert resp.status_code == 202
        assert resp.json() == [hashes[start // BLOCK_SIZE]]
    second = alice.request('PUT', url, data=hashmap,
                           headers={'Content-Type': 'application/octet-stream'})
    assert second.status_code == 201
    got = alice.request('GET', alice.object_url('c22', 'kamaki.img'))
    assert got.content == data
    assert got.headers['X-Object-Hash'] == merkle_hex(data)
    assert got.headers['ETag'] == hashlib.md5(data).hexdigest()
    listing = alice.request('GET', alice.object_url('c22', 'kamaki.img') + '?hashmap&format=json')
    assert listing.json()['hashes'] == hashes
    assert listing.json()['block_size'] == BLOCK_SIZE


def test_sharing_read_and_write(alice, bob, carol):
    alice.put_object('c23', 'shared', b'data')
    url = alice.object_url('c23', 'shared')
    assert bob.request('GET', url).status_code == 403
    resp = alice.request('POST', url, headers={
        'X-Object-Sharing': 'read=%s;write=%s' % (bob.uuid.upper(), carol.uuid)})
    assert resp.status_code == 202
    head = alice.request('HEAD', url)
    assert head.headers['X-Object-Sharing'] == 'read=%s; write=%s' % (bob.uuid, carol.uuid)
    assert 'X-Object-Allowed-To' not in head.headers
    as_bob = bob.request('GET', url)
    assert as_bob.content == b'data'
    assert as_bob.headers['X-Object-Allowed-To'] == 'read'
    assert carol.request('HEAD', url).headers['X-Object-Allowed-To'] == 'write'
    # a reader cannot write, a writer can overwrite data, only the owner changes sharing
    assert bob.request('PUT', url, data=b'x', headers={'Content-Type': 'a/b'}).status_code == 403
    assert carol.request('PUT', url, data=b'by carol',
                         headers={'Content-Type': 'a/b'}).status_code == 201
    assert carol.request('POST', url, headers={'X-Object-Sharing': ''}).status_code == 403
    assert alice.request('GET', url).content == b'by carol'
    # '*' collapses the read list on the HTTP path; Pithos quotes '*' in the reply
    alice.request('POST', url, headers={'X-Object-Sharing': 'read=*,%s' % bob.uuid})
    assert alice.request('HEAD', url).headers['X-Object-Sharing'] == 'read=%2A'
    assert carol.request('GET', url).status_code == 200
    bad = alice.request('POST', url, headers={'X-Object-Sharing': 'see=%s' % bob.uuid})
    assert bad.status_code == 400
    alice.request('POST', url, headers={'X-Object-Sharing': ''})
    assert 'X-Object-Sharing' not in alice.request('HEAD', url).headers
    assert bob.request('HEAD', url).status_code == 403


def test_copy_gets_a_new_uuid_and_move_keeps_it(alice):
    image_id = alice.upload_image('c24', 'orig', b'abc', image_name='copied')
    copy = alice.request('PUT', alice.object_url('c24', 'copy'),
                         headers={'X-Copy-From': '/c24/orig', 'Content-Type': 'a/b'})
    assert copy.status_code == 201
    copy_uuid = alice.request('HEAD', alice.object_url('c24', 'copy')).headers['X-Object-UUID']
    assert copy_uuid != image_id
    # the plankton domain came along: a second image with the same name
    names = [i['name'] for i in alice.detail() if i['id'] in (image_id, copy_uuid)]
    assert names == ['copied', 'copied']
    moved = alice.request('PUT', alice.object_url('c24', 'moved'),
                          headers={'X-Move-From': '/c24/orig', 'Content-Type': 'a/b'})
    assert moved.status_code == 201
    assert alice.request('HEAD', alice.object_url('c24', 'orig')).status_code == 404
    head = alice.head_image(image_id)
    assert head.status_code == 200
    assert head.headers['x-image-meta-location'].endswith('/c24/moved')
    # deleting the file makes the image vanish
    assert alice.request('DELETE', alice.object_url('c24', 'moved')).status_code == 204
    assert alice.head_image(image_id).status_code == 404
    assert image_id not in [i['id'] for i in alice.detail()]


def test_empty_container_listing(alice):
    alice.put_container('c25')
    text = alice.request('GET', alice.account_url + '/c25')
    assert text.status_code == 204
    assert text.content == b''
    as_json = alice.request('GET', alice.account_url + '/c25?format=json')
    assert as_json.status_code == 200
    assert as_json.json() == []


def test_listings(alice):
    for name in ('b', 'a', 'dir/x', 'dir/y'):
        alice.put_object('clist', name, b'12')
    text = alice.request('GET', alice.account_url + '/clist')
    assert text.text == 'a\nb\ndir/x\ndir/y\n'
    listing = alice.request('GET', alice.account_url + '/clist?format=json').json()
    first = listing[0]
    assert first['name'] == 'a' and first['bytes'] == 2
    assert first['hash'] == hashlib.md5(b'12').hexdigest()
    assert first['x_object_hash'] == merkle_hex(b'12')
    assert first['content_type'] == 'application/octet-stream'
    assert len(first['x_object_uuid']) == 36
    delimited = alice.request('GET', alice.account_url + '/clist?delimiter=/&limit=3').text
    assert delimited == 'a\nb\ndir/\n'
    prefixed = alice.request('GET', alice.account_url + '/clist?prefix=dir/&marker=dir/x').text
    assert prefixed == 'dir/y\n'


def test_delete_container(alice):
    alice.put_object('cdel', 'o')
    assert alice.request('DELETE', alice.account_url + '/cdel').status_code == 409
    alice.request('DELETE', alice.object_url('cdel', 'o'))
    assert alice.request('DELETE', alice.account_url + '/cdel').status_code == 204
    assert alice.request('DELETE', alice.account_url + '/cdel').status_code == 404


def test_missing_container_and_bad_token(alice):
    resp = alice.request('PUT', alice.object_url('no-such-container', 'o'), data=b'x',
                         headers={'Content-Type': 'text/plain'})
    assert resp.status_code == 404
    assert 'itemNotFound' in resp.json()
    resp = alice.request('GET', alice.account_url, headers={'X-Auth-Token': 'bogus'})
    assert resp.status_code == 401


def test_conditional_requests(alice):
    alice.put_object('ccond', 'o', b'abc')
    url = alice.object_url('ccond', 'o')
    etag = hashlib.md5(b'abc').hexdigest()
    resp = alice.request('PUT', url, data=b'new', headers={'Content-Type': 'a/b',
                                                           'If-None-Match': '*'})
    assert resp.status_code == 412
    assert alice.request('GET', url).content == b'abc'
    assert alice.request('GET', url, headers={'If-None-Match': etag}).status_code == 304
    assert alice.request('GET', url, headers={'If-Match': '0' * 32}).status_code == 412
    assert alice.request('GET', url, headers={'If-Match': etag}).content == b'abc'


def test_copy_and_move_methods_and_empty_objects(alice):
    alice.put_object('cmeth', 'empty', b'')
    got = alice.request('GET', alice.object_url('cmeth', 'empty'))
    assert got.status_code == 200 and got.content == b''
    assert got.headers['X-Object-Hash'] == merkle_hex(b'')
    resp = alice.request('COPY', alice.object_url('cmeth', 'empty'),
                         headers={'Destination': '/cmeth/copy'})
    assert resp.status_code == 201
    resp = alice.request('MOVE', alice.object_url('cmeth', 'copy'),
                         headers={'Destination': '/cmeth/moved'})
    assert resp.status_code == 201
    assert alice.request('GET', alice.account_url + '/cmeth').text == 'empty\nmoved\n'


def test_non_ascii_names_round_trip(alice):
    name = 'καλημέρα/disk image.img'
    alice.put_object('cuni', name, b'x')
    assert alice.request('GET', alice.account_url + '/cuni').text == name + '\n'
    assert alice.request('GET', alice.object_url('cuni', name)).content == b'x'


def test_merkle_etags_when_update_md5_is_off(backend_factory):
    from backend_helpers import ALICE, User
    backend = backend_factory(extra_args=['--etag', 'merkle'])
    alice = User(backend, *ALICE)
    put = alice.put_object('cm', 'o', b'hello',
                           headers={'ETag': hashlib.md5(b'hello').hexdigest()})
    assert put.headers['ETag'] == merkle_hex(b'hello')
    head = alice.request('HEAD', alice.object_url('cm', 'o'))
    assert head.headers['ETag'] == head.headers['X-Object-Hash'] == merkle_hex(b'hello')
    listing = alice.request('GET', alice.account_url + '/cm?format=json').json()
    assert listing[0]['hash'] == ''
    bad = alice.request('PUT', alice.object_url('cm', 'o'), data=b'x',
                        headers={'Content-Type': 'a/b', 'ETag': merkle_hex(b'x')})
    assert bad.status_code == 422     # a request ETag is still an MD5
