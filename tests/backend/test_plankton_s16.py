"""Plankton S16+ over raw HTTP: plankton.md §6.1 items 2–18 (and the paging extension)."""

import json
import re

import pytest
import requests

from backend_helpers import ALICE, BOB, User

JSON_TYPE = 'application/json; charset=UTF-8'
HEADER_ORDER = ['x-image-meta-name', 'x-image-meta-disk-format',
                'x-image-meta-container-format', 'x-image-meta-size',
                'x-image-meta-checksum', 'x-image-meta-location',
                'x-image-meta-created-at', 'x-image-meta-updated-at',
                'x-image-meta-deleted-at', 'x-image-meta-status',
                'x-image-meta-is-public', 'x-image-meta-owner']
DATE = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$')


def image_headers(resp):
    return [k for k in resp.headers if k.lower().startswith('x-image-meta-')]


def fault(resp, name):
    body = resp.json()
    assert list(body) == [name], body
    return body[name]['message']


# -- item 2, 3: image = object ------------------------------------------------------

def test_image_id_is_the_object_uuid_and_follows_the_object(alice):
    image_id = alice.upload_image('i2', 'disk', b'first')
    head = alice.request('HEAD', alice.object_url('i2', 'disk'))
    assert head.headers['X-Object-UUID'] == image_id
    # re-registering the same location keeps the id
    again = alice.register('i2', 'disk', 'renamed')
    assert again.headers['x-image-meta-id'] == image_id
    # a data overwrite keeps the id; size and checksum follow with no Plankton call
    alice.put_object('i2', 'disk', b'second version')
    image = alice.head_image(image_id)
    assert image.headers['x-image-meta-size'] == str(len(b'second version'))
    assert image.headers['x-image-meta-checksum'] == head_hash(alice, 'i2', 'disk')
    assert image.headers['x-image-meta-name'] == 'renamed'
    # delete + re-create: a new object, not an image
    alice.request('DELETE', alice.object_url('i2', 'disk'))
    alice.put_object('i2', 'disk', b'third')
    assert alice.request('HEAD', alice.object_url('i2', 'disk')).headers[
        'X-Object-UUID'] != image_id
    assert alice.head_image(image_id).status_code == 404


def head_hash(user, container, name):
    return user.request('HEAD', user.object_url(container, name)).headers['X-Object-Hash']


# -- item 4, 5: permissions ------------------------------------------------------------

def members(user, image_id):
    resp = user.request('GET', user.images + '/images/%s/members' % image_id)
    assert resp.status_code == 200
    return resp.json()['members']


def test_is_public_and_members_are_the_read_list(alice, bob):
    image_id = alice.upload_image('i4', 'disk')
    assert members(alice, image_id) == [{'member_id': alice.uuid, 'can_share': False}]
    assert alice.head_image(image_id).headers['x-image-meta-is-public'] == 'False'
    # the Pithos public-URL flag is not is_public
    alice.request('POST', alice.object_url('i4', 'disk'), headers={'X-Object-Public': 'true'})
    assert alice.head_image(image_id).headers['x-image-meta-is-public'] == 'False'
    # sharing through Pithos changes the image
    alice.request('POST', alice.object_url('i4', 'disk'),
                  headers={'X-Object-Sharing': 'read=%s' % bob.uuid})
    assert members(alice, image_id) == [{'member_id': bob.uuid, 'can_share': False}]
    alice.request('POST', alice.object_url('i4', 'disk'),
                  headers={'X-Object-Sharing': 'read=*'})
    assert alice.head_image(image_id).headers['x-image-meta-is-public'] == 'True'
    assert members(alice, image_id) == []


def test_register_replaces_permissions_and_merges_metadata(alice, bob, carol):
    image_id = alice.upload_image('i5', 'disk', headers={
        'X-Image-Meta-Property-Old': 'kept', 'X-Image-Meta-Disk-Format': 'extdump',
        'X-Image-Meta-Is-Public': 'true'})
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (image_id, bob.uuid))
    alice.request('POST', alice.object_url('i5', 'disk'),
                  headers={'X-Object-Sharing': 'read=%s;write=%s' % (bob.uuid, carol.uuid)})
    again = alice.register('i5', 'disk', 'again', headers={'X-Image-Meta-Property-New': 'n'})
    assert again.headers['x-image-meta-is-public'] == 'False'
    assert again.headers['x-image-meta-disk-format'] == 'diskdump'    # default re-applied
    assert again.headers['x-image-meta-property-old'] == 'kept'       # merge, not reset
    assert again.headers['x-image-meta-property-new'] == 'n'
    assert members(alice, image_id) == [{'member_id': alice.uuid, 'can_share': False}]
    head = alice.request('HEAD', alice.object_url('i5', 'disk'))
    assert head.headers['X-Object-Sharing'] == 'read=%s' % alice.uuid   # write grant lost
    assert bob.head_image(image_id).status_code == 403


def test_registering_someone_elses_shared_file_is_forbidden(alice, bob):
    alice.put_object('i5b', 'shared')
    alice.request('POST', alice.object_url('i5b', 'shared'),
                  headers={'X-Object-Sharing': 'read=%s' % bob.uuid})
    resp = bob.register('i5b', 'shared', location='pithos://%s/i5b/shared' % alice.uuid,
                        expect=403)
    assert 'forbidden' in resp.json()
    assert alice.request('HEAD', alice.object_url('i5b', 'shared')).headers[
        'X-Object-Sharing'] == 'read=%s' % bob.uuid


# -- item 6, 7, 8: update, unregister, timestamps -----------------------------------

def update(user, image_id, headers, expect=200):
    resp = user.request('PUT', user.images + '/images/' + image_id, headers=headers)
    assert resp.status_code == expect, resp.text
    return resp


def test_update_merges_deletes_and_stores_status(alice):
    image_id = alice.upload_image('i6', 'disk', headers={
        'X-Image-Meta-Property-A': '1', 'X-Image-Meta-Property-B': '2'})
    before = alice.request('HEAD', alice.object_url('i6', 'disk')).headers['X-Object-Version']
    resp = update(alice, image_id, {'X-Image-Meta-Property-A': '',
                                    'X-Image-Meta-Property-C': '3',
                                    'X-Image-Meta-Name': 'new%20name'})
    assert 'x-image-meta-property-a' not in resp.headers
    assert resp.headers['x-image-meta-property-b'] == '2'
    assert resp.headers['x-image-meta-property-c'] == '3'
    assert resp.headers['x-image-meta-name'] == 'new%20name'
    after = alice.request('HEAD', alice.object_url('i6', 'disk')).headers['X-Object-Version']
    assert int(after) > int(before)
    assert resp.headers['x-image-meta-created-at'] == resp.headers['x-image-meta-updated-at']
    assert DATE.match(resp.headers['x-image-meta-updated-at'])
    assert resp.headers['x-image-meta-deleted-at'] == ''
    # a stored status overrides the displayed one: mapped in headers, raw in JSON
    resp = update(alice, image_id, {'X-Image-Meta-Status': 'UNAVAILABLE'})
    assert resp.headers['x-image-meta-status'] == 'SAVING'
    resp = update(alice, image_id, {'X-Image-Meta-Status': 'weird',
                                    'X-Image-Meta-Owner': 'someone-else'})
    assert resp.headers['x-image-meta-status'] == 'UNKNOWN'
    assert resp.headers['x-image-meta-owner'] == alice.uuid
    (listed,) = [i for i in alice.detail() if i['id'] == image_id]
    assert listed['status'] == 'weird'
    assert listed['name'] == 'new name'
    assert listed['properties'] == {'b': '2', 'c': '3'}


def test_update_is_public_touches_only_the_star(alice, bob):
    image_id = alice.upload_image('i6p', 'disk')
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (image_id, bob.uuid))
    resp = update(alice, image_id, {'X-Image-Meta-Is-Public': 'TRUE'})
    assert resp.headers['x-image-meta-is-public'] == 'True'
    assert {m['member_id'] for m in members(alice, image_id)} == {alice.uuid, bob.uuid}
    resp = update(alice, image_id, {'X-Image-Meta-Is-Public': 'yes'})
    assert resp.headers['x-image-meta-is-public'] == 'False'


def test_update_with_an_empty_name_rolls_back_to_404(alice):
    image_id = alice.upload_image('i6e', 'disk', image_name='keep me')
    resp = update(alice, image_id, {'X-Image-Meta-Name': ''}, expect=404)
    assert fault(resp, 'itemNotFound') == "Object '%s' does not exist." % image_id
    assert alice.head_image(image_id).headers['x-image-meta-name'] == 'keep%20me'


def test_unregister_keeps_the_file_and_its_permissions(alice, bob):
    image_id = alice.upload_image('i7', 'disk')
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (image_id, bob.uuid))
    resp = alice.request('DELETE', alice.images + '/images/' + image_id)
    assert resp.status_code == 204
    assert resp.content == b''
    assert alice.head_image(image_id).status_code == 404
    assert image_id not in [i['id'] for i in alice.detail()]
    head = alice.request('HEAD', alice.object_url('i7', 'disk'))
    assert head.status_code == 200
    assert bob.uuid in head.headers['X-Object-Sharing']
    again = alice.register('i7', 'disk', 'back')
    assert again.headers['x-image-meta-id'] == image_id


# -- item 9: visibility and who may do what ---------------------------------------------

def test_visibility_and_access(alice, bob, carol):
    private = alice.upload_image('i9', 'private')
    shared = alice.upload_image('i9', 'shared')
    public = alice.upload_image('i9', 'public', headers={'X-Image-Meta-Is-Public': 'true'})
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (shared, bob.uuid))
    seen = {i['id'] for i in bob.detail()}
    assert shared in seen and public in seen and private not in seen
    assert bob.head_image(private).status_code == 403
    assert bob.head_image('00000000-0000-4000-8000-000000000000').status_code == 404
    bad = bob.head_image('not-a-uuid')
    assert bad.status_code == 400
    assert bob.head_image(shared.upper()).status_code == 200
    # a plain object (not an image) → 404 with a message
    alice.put_object('i9', 'plain')
    plain = alice.request('HEAD', alice.object_url('i9', 'plain')).headers['X-Object-UUID']
    resp = alice.request('GET', alice.images + '/images/%s/members' % plain)
    assert resp.status_code == 404
    assert fault(resp, 'itemNotFound') == "Object '%s' does not exist." % plain
    # members can read, not change
    update(bob, shared, {'X-Image-Meta-Name': 'bob was here'}, expect=403)
    assert bob.request('DELETE', alice.images + '/images/' + shared).status_code == 403
    assert bob.request('PUT', alice.images + '/images/%s/members/%s'
                       % (shared, carol.uuid)).status_code == 403
    # a write grantee may change metadata and unregister, but not permissions
    alice.request('POST', alice.object_url('i9', 'shared'),
                  headers={'X-Object-Sharing': 'read=%s;write=%s' % (bob.uuid, carol.uuid)})
    assert update(carol, shared, {'X-Image-Meta-Name': 'by carol'}).status_code == 200
    update(carol, shared, {'X-Image-Meta-Is-Public': 'true'}, expect=403)
    assert carol.request('DELETE', carol.images + '/images/' + shared).status_code == 204


# -- item 10: header parsing ----------------------------------------------------------------

def test_header_names_and_values_are_normalised(alice):
    image_id = alice.upload_image('i10', 'disk', image_name='caf%C3%A9%20au%20lait', headers={
        'X-Image-Meta-Property-OS.Version': '12%2F3',
        'X-Image-Meta-Property-Kernel-Args': 'quiet',
        'X-Image-Meta-Min-Ram': '512',          # not a Plankton field: dropped
        'x-image-meta-container-format': 'ovf'})
    (image,) = [i for i in alice.detail() if i['id'] == image_id]
    assert image['name'] == 'café au lait'
    assert image['properties'] == {'os_version': '12/3', 'kernel_args': 'quiet'}
    assert image['container_format'] == 'ovf'
    head = alice.head_image(image_id)
    assert head.headers['x-image-meta-name'] == 'caf%C3%A9%20au%20lait'
    assert head.headers['x-image-meta-property-os-version'] == '12/3'
    assert head.headers['x-image-meta-property-kernel-args'] == 'quiet'
    assert 'x-image-meta-min-ram' not in head.headers


def test_bad_utf8_in_a_name_is_400(alice):
    alice.put_object('i10', 'bad')
    resp = alice.register('i10', 'bad', image_name='%FF%FE', expect=400)
    assert fault(resp, 'badRequest') == 'Could not decode request as UTF-8 string'


# -- item 11: register validation --------------------------------------------------------

REGISTER_CASES = [
    ({'X-Image-Meta-Status': 'x'}, 400, 'Invalid parameters'),
    ({'X-Image-Meta-Name': None}, 400, "Image 'name' parameter is required"),
    ({'X-Image-Meta-Name': ''}, 400, 'Invalid image name'),
    ({'X-Image-Meta-Location': None}, 400, "'location' parameter is required"),
    ({'X-Image-Meta-Location': 'pithos://a/b'}, 400, "Invalid location 'pithos://a/b'"),
    ({'X-Image-Meta-Location': 'http://a/b/c/d'}, 400, "Invalid location 'http://a/b/c/d'"),
    ({'X-Image-Meta-Id': 'x'}, 400, 'Setting the image ID is not supported'),
    ({'X-Image-Meta-Store': 'swift'}, 400, "Invalid store type 'swift'"),
    ({'X-Image-Meta-Store': 'pit'}, 400, "Invalid store 'pit'. Only 'pithos' store is supported"),
    ({'X-Image-Meta-Disk-Format': 'raw'}, 400, "Invalid disk format 'raw'"),
    ({'X-Image-Meta-Container-Format': 'ova'}, 400, "Invalid container format 'ova'"),
    ({'X-Image-Meta-Location': 'pithos://%s/v11/missing'}, 404, ''),
    ({'X-Image-Meta-Size': '4'}, 400, "Invalid 'size' field"),
    ({'X-Image-Meta-Checksum': '8d777f385d3dfec8815d20f7496026dc'}, 400,
     'Invalid checksum field'),
    # first failure wins
    ({'X-Image-Meta-Id': 'x', 'X-Image-Meta-Disk-Format': 'raw'}, 400,
     'Setting the image ID is not supported'),
    ({'X-Image-Meta-Name': '', 'X-Image-Meta-Location': None}, 400, 'Invalid image name'),
]


@pytest.mark.parametrize('changes,status,message', REGISTER_CASES)
def test_register_validation(alice, changes, status, message):
    alice.put_object('v11', 'disk', b'data')
    headers = {'X-Image-Meta-Name': 'n',
               'X-Image-Meta-Location': 'pithos://%s/v11/disk' % alice.uuid}
    for key, value in changes.items():
        if value is None:
            headers.pop(key)
        else:
            headers[key] = value % alice.uuid if '%s' in value else value
    resp = alice.request('POST', alice.images + '/images/', headers=headers)
    assert resp.status_code == status
    assert resp.headers['Content-Type'] == JSON_TYPE
    name = 'badRequest' if status == 400 else 'itemNotFound'
    assert fault(resp, name) == message


def test_register_accepts_the_merkle_checksum_and_a_quoted_location(alice):
    alice.put_object('v11', 'with space', b'data')
    checksum = head_hash(alice, 'v11', 'with space')
    resp = alice.register('v11', 'x', location='pithos://%s/v11/with%%20space' % alice.uuid,
                          headers={'X-Image-Meta-Checksum': checksum})
    assert resp.headers['x-image-meta-location'].endswith('/v11/with%20space')


# -- item 12, 13: update validation and limits -------------------------------------------

@pytest.mark.parametrize('header', ['Location', 'Size', 'Checksum', 'Id', 'Store',
                                    'Created-At'])
def test_update_refuses_fields(alice, header):
    image_id = alice.upload_image('v12', 'disk')
    resp = update(alice, image_id, {'X-Image-Meta-' + header: '1'}, expect=400)
    assert fault(resp, 'badRequest') == 'Invalid metadata'


def test_limits(alice):
    image_id = alice.upload_image('v13', 'disk')
    resp = update(alice, image_id, {'X-Image-Meta-Property-' + 'k' * 94: 'v'}, expect=400)
    assert fault(resp, 'badRequest') == 'Metadata keys should be less than 111 characters'
    update(alice, image_id, {'X-Image-Meta-Property-' + 'k' * 93: 'v'})
    resp = update(alice, image_id, {'X-Image-Meta-Property-Long': 'v' * 257}, expect=400)
    assert fault(resp, 'badRequest') == 'Metadata values should be less than 256 characters.'
    many = {'X-Image-Meta-Property-P%d' % i: 'v' for i in range(30)}
    resp = update(alice, image_id, many, expect=400)
    assert fault(resp, 'badRequest') == ('Pithos+ resources cannot have more than 32 '
                                         'metadata items per domain')


# -- item 14: reply headers ------------------------------------------------------------------

def test_reply_headers(alice):
    image_id = alice.upload_image('v14', 'a dir/disk', image_name='Debian Desktop',
                                  headers={'X-Image-Meta-Property-Os': 'debian'})
    for resp in (alice.head_image(image_id), update(alice, image_id, {})):
        assert resp.status_code == 200
        assert resp.content == b''
        names = image_headers(resp)
        assert all(n == n.lower() for n in names)
        assert names[:12] == HEADER_ORDER
        assert names[12:] == ['x-image-meta-property-os', 'x-image-meta-id',
                              'x-image-meta-is-snapshot', 'x-image-meta-description']
        assert 'ETag' not in resp.headers and 'x-image-meta-store' not in resp.headers
        assert resp.headers['x-image-meta-name'] == 'Debian%20Desktop'
        assert resp.headers['x-image-meta-location'] == (
            'pithos://%s/v14/a%%20dir/disk' % alice.uuid)
        assert resp.headers['x-image-meta-status'] == 'AVAILABLE'
        assert resp.headers['Content-Type'] == JSON_TYPE
        assert resp.headers['Vary'] == 'X-Auth-Token'


# -- item 15: lists ------------------------------------------------------------------------------

def test_lists(backend):
    user = User(backend, *BOB)
    ids = [user.upload_image('v15', 'disk%d' % i, b'x' * i, image_name='img%d' % i)
           for i in range(3)]
    brief = user.request('GET', user.images + '/images/')
    assert brief.status_code == 200
    mine = [i for i in brief.json() if i['id'] in ids]
    assert list(mine[0]) == ['status', 'name', 'disk_format', 'container_format', 'size', 'id']
    assert mine[0]['status'] == 'AVAILABLE'
    detail = [i for i in user.detail() if i['id'] in ids]
    assert list(detail[0]) == ['name', 'disk_format', 'container_format', 'size', 'checksum',
                               'location', 'created_at', 'updated_at', 'deleted_at',
                               'status', 'is_public', 'owner', 'properties', 'id',
                               'is_snapshot', 'description']
    assert detail[0]['is_public'] is False and detail[0]['deleted_at'] == ''
    by_size = [i['id'] for i in user.detail(sort_key='size', sort_dir='asc') if i['id'] in ids]
    assert by_size == ids
    # filters are validated but ignored
    assert {i['id'] for i in user.detail(name='img1')} >= set(ids)
    resp = user.request('GET', user.images + '/images/detail', params={'sort_key': 'owner'})
    assert resp.status_code == 400 and fault(resp, 'badRequest') == "Invalid 'sort_key'"
    resp = user.request('GET', user.images + '/images/', params={'sort_dir': 'up'})
    assert resp.status_code == 400 and fault(resp, 'badRequest') == "Invalid 'sort_dir'"
    resp = user.request('GET', user.images + '/images/', params={'size_min': 'big'})
    assert resp.status_code == 400 and fault(resp, 'badRequest') == 'Malformed request.'
    # the sort parameters are checked first
    resp = user.request('GET', user.images + '/images/', params={'size_min': 'big',
                                                                  'sort_dir': 'up'})
    assert fault(resp, 'badRequest') == "Invalid 'sort_dir'"


def test_paging_extension(backend_factory):
    backend = backend_factory()
    user = User(backend, *ALICE)
    ids = [user.upload_image('page', 'd%d' % i) for i in range(5)]
    everything = [i['id'] for i in user.detail()]
    assert sorted(everything) == sorted(ids)
    first = [i['id'] for i in user.detail(limit=2)]
    assert first == everything[:2]
    second = [i['id'] for i in user.detail(limit=2, marker=first[-1])]
    assert second == everything[2:4]
    rest = [i['id'] for i in user.request(
        'GET', user.images + '/images/', params={'marker': second[-1]}).json()]
    assert rest == everything[4:]
    resp = user.request('GET', user.images + '/images/detail',
                        params={'marker': '00000000-0000-4000-8000-000000000000'})
    assert resp.status_code == 400


def test_paging_can_be_switched_off(backend_factory):
    backend = backend_factory(paginate=False)
    user = User(backend, *ALICE)
    for i in range(3):
        user.upload_image('page', 'd%d' % i)
    assert len(user.detail(limit=1, marker='nonsense')) == 3


# -- item 16: members and shared images ----------------------------------------------------

def test_members(alice, bob, carol):
    image_id = alice.upload_image('v16', 'disk')
    url = alice.images + '/images/%s/members' % image_id
    for _ in range(2):   # idempotent
        assert alice.request('PUT', url + '/' + bob.uuid).status_code == 204
    assert [m['member_id'] for m in members(alice, image_id)] == [alice.uuid, bob.uuid]
    assert [m['member_id'] for m in members(bob, image_id)] == [alice.uuid, bob.uuid]
    assert alice.request('DELETE', url + '/' + carol.uuid).status_code == 204
    assert alice.request('DELETE', url + '/' + bob.uuid).status_code == 204
    assert bob.head_image(image_id).status_code == 403
    update(alice, image_id, {'X-Image-Meta-Is-Public': 'true'})
    body = {'memberships': [{'member_id': carol.uuid, 'can_share': True}]}
    resp = alice.request('PUT', url, data=json.dumps(body),
                         headers={'Content-Type': 'application/json'})
    assert resp.status_code == 204
    assert members(alice, image_id) == [{'member_id': carol.uuid, 'can_share': False}]
    assert alice.head_image(image_id).headers['x-image-meta-is-public'] == 'True'


@pytest.mark.parametrize('content_type,body,status,message', [
    (None, '{}', 400, 'Missing Content-Type header field'),
    ('text/plain', '{}', 400, "Unsupported Content-type: 'text/plain'"),
    ('application/json', '{', 400, 'Could not decode request body as JSON'),
    ('application/json', '{}', 400, "Malformed request. Missing attribute 'memberships'."),
    ('application/json', '{"memberships": 1}', 400,
     "Malformed request. Invalid 'memberships' field"),
    ('application/json', '{"memberships": [1]}', 400, "Invalid 'memberships' field"),
    ('application/json', '{"memberships": [{}]}', 400,
     "Malformed request. Missing attribute 'member_id'."),
    ('application/json', '[]', 500, 'Unexpected error'),
])
def test_replace_members_validation(alice, content_type, body, status, message):
    image_id = alice.upload_image('v16', 'validation')
    headers = {'Content-Type': content_type} if content_type else {}
    resp = requests.put(alice.images + '/images/%s/members' % image_id, data=body.encode(),
                        headers=dict(headers, **{'X-Auth-Token': alice.token}))
    assert resp.status_code == status
    assert resp.json()[{400: 'badRequest', 500: 'internalServerError'}[status]][
        'message'] == message


def test_shared_images_lists_images_owned_by_the_member(alice, bob):
    private = alice.upload_image('v16s', 'private')
    public = alice.upload_image('v16s', 'public', headers={'X-Image-Meta-Is-Public': 'true'})
    shared = alice.upload_image('v16s', 'shared')
    alice.request('PUT', alice.images + '/images/%s/members/%s' % (shared, bob.uuid))
    as_bob = bob.request('GET', bob.images + '/shared-images/' + alice.uuid).json()
    ids = [e['image_id'] for e in as_bob['shared_images']]
    assert shared in ids and private not in ids and public not in ids
    assert all(e['can_share'] is False for e in as_bob['shared_images'])
    own = alice.request('GET', alice.images + '/shared-images/' + alice.uuid).json()
    own_ids = [e['image_id'] for e in own['shared_images']]
    assert private in own_ids and shared in own_ids and public not in own_ids


@pytest.mark.parametrize('method,path,allow,json_fault', [
    ('DELETE', '/images/', 'GET, POST', False),
    ('POST', '/images/detail', 'GET', True),
    ('POST', '/images/%(id)s', 'GET, HEAD, PUT, DELETE', False),
    ('POST', '/images/%(id)s/members', 'GET, PUT', False),
    ('GET', '/images/%(id)s/members/someone', 'DELETE, PUT', False),
    ('POST', '/shared-images/someone', 'GET', True),
])
def test_method_not_allowed(alice, method, path, allow, json_fault):
    url = alice.images + path % {'id': '00000000-0000-4000-8000-000000000000'}
    resp = requests.request(method, url)     # no token: the 405 comes first
    assert resp.status_code == 405
    assert resp.headers['Allow'] == allow
    if json_fault:
        assert fault(resp, 'notAllowed') == 'Method not allowed'
    else:
        assert resp.content == b''


# -- item 17, 18: errors and URL forms ----------------------------------------------------

def test_errors(alice):
    resp = requests.get(alice.images + '/images/detail')
    assert resp.status_code == 401
    assert fault(resp, 'unauthorized') == 'Access denied. No authentication token'
    resp = requests.get(alice.images + '/images/detail', headers={'X-Auth-Token': 'bogus'})
    assert resp.status_code == 401 and 'fault' in resp.json()
    for path in ('/images/detail/', '/nothing', '/images/a/b/c'):
        resp = alice.request('GET', alice.images + path)
        assert resp.status_code == 400
        assert fault(resp, 'badRequest') == 'API endpoint not found'
    image_id = alice.upload_image('v17', 'disk')
    raw = alice.request('GET', alice.images + '/images/' + image_id)
    assert raw.status_code == 501 and raw.content == b''
    assert raw.headers['Content-Type'] == JSON_TYPE


def test_url_forms(alice):
    image_id = alice.upload_image('v18', 'disk')
    for prefix in ('/image/v1.0', '/image/v1'):
        for path in ('/images/', '/images'):
            resp = alice.request('GET', alice.backend.url + prefix + path)
            assert resp.status_code == 200
            assert image_id in [i['id'] for i in resp.json()]
    versions = requests.get(alice.backend.url + '/image/')
    assert [v['id'] for v in versions.json()['versions']] == ['v1.0', 'v1']


def test_non_ascii_location_and_name(alice):
    from urllib.parse import quote
    name = 'καλημέρα disk.img'
    alice.put_object('v19', name, b'x')
    resp = alice.register('v19', name, image_name=quote('ελληνικά'),
                          location='pithos://%s/v19/%s' % (alice.uuid, quote(name)))
    assert resp.headers['x-image-meta-location'] == 'pithos://%s/v19/%s' % (
        alice.uuid, quote(name))
    (image,) = [i for i in alice.detail() if i['id'] == resp.headers['x-image-meta-id']]
    assert image['name'] == 'ελληνικά'
    assert image['location'] == 'pithos://%s/v19/%s' % (alice.uuid, quote(name))


def test_head_errors_have_no_body(alice):
    resp = alice.head_image('00000000-0000-4000-8000-000000000000')
    assert resp.status_code == 404 and resp.content == b''
    assert resp.headers['Content-Type'] == JSON_TYPE


def test_queued_placeholder_then_data(alice):
    """The proxy's queued-image flow (DECISIONS 5): 0-byte object, status stored,
    the data PUT later keeps the id; the stored status stays until changed."""
    image_id = alice.upload_image('v20', 'queued', b'', image_name='placeholder')
    resp = update(alice, image_id, {'X-Image-Meta-Status': 'queued'})
    assert resp.headers['x-image-meta-size'] == '0'
    assert resp.headers['x-image-meta-status'] == 'UNKNOWN'
    alice.put_object('v20', 'queued', b'real data')
    head = alice.head_image(image_id)
    assert head.headers['x-image-meta-size'] == '9'
    (image,) = [i for i in alice.detail() if i['id'] == image_id]
    assert image['status'] == 'queued'
    resp = update(alice, image_id, {'X-Image-Meta-Status': 'AVAILABLE'})
    assert resp.headers['x-image-meta-status'] == 'AVAILABLE'


def test_develop_head_list_envelope(backend_factory):
    backend = backend_factory(extra_args=['--wrap-lists'])
    user = User(backend, *ALICE)
    image_id = user.upload_image('env', 'disk')
    for path in ('/images/', '/images/detail'):
        body = user.request('GET', user.images + path).json()
        assert list(body) == ['images']
        assert [i['id'] for i in body['images']] == [image_id]
