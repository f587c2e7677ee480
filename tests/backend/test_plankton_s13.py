"""The ``dialect = s13`` switch: the differences plankton.md §6.1 marks [S13]."""

import pytest
import requests

from backend_helpers import ALICE, BOB, User


class S13User(User):
    @property
    def images(self):
        return self.backend.url + '/plankton'


@pytest.fixture
def alice13(backend_s13):
    return S13User(backend_s13, *ALICE)


@pytest.fixture
def bob13(backend_s13):
    return S13User(backend_s13, *BOB)


def test_mount_and_trailing_slash(alice13):
    alice13.upload_image('s18', 'disk')
    resp = alice13.request('GET', alice13.images + '/images', allow_redirects=False)
    assert resp.status_code == 301
    assert resp.headers['Location'].endswith('/plankton/images/')
    assert alice13.request('GET', alice13.images + '/images/').status_code == 200
    missing = alice13.request('GET', alice13.images + '/nothing')
    assert missing.status_code == 404
    assert missing.headers['Content-Type'].startswith('text/html')


def test_register_resets_everything_and_public_means_star_only(alice13):
    image_id = alice13.upload_image('s5', 'disk', headers={
        'X-Image-Meta-Property-Old': 'x', 'X-Image-Meta-Is-Public': 'true'})
    members = alice13.request('GET', alice13.images + '/images/%s/members' % image_id)
    assert members.json() == {'members': []}          # read list is ['*']
    again = alice13.register('s5', 'disk', 'second',
                             headers={'X-Image-Meta-Property-New': 'y'})
    assert again.headers['x-image-meta-id'] == image_id
    assert 'x-image-meta-property-old' not in again.headers
    assert again.headers['x-image-meta-property-new'] == 'y'
    assert again.headers['x-image-meta-status'] == 'available'
    assert again.headers['x-image-meta-is-public'] == 'False'
    assert 'x-image-meta-is-snapshot' not in again.headers


def test_headers_are_raw_and_html_typed(alice13):
    image_id = alice13.upload_image('s14', 'a%20b', image_name='two%20words')
    head = alice13.head_image(image_id)
    assert head.headers['x-image-meta-name'] == 'two words'      # S13 unquotes every value
    assert head.headers['Content-Type'] == 'text/html; charset=utf-8'
    (listed,) = [i for i in alice13.detail() if i['id'] == image_id]
    assert listed['status'] == 'available'
    assert 'is_snapshot' not in listed and 'description' not in listed


def test_update_replaces_the_property_set(alice13):
    image_id = alice13.upload_image('s6', 'disk', headers={
        'X-Image-Meta-Property-A': '1', 'X-Image-Meta-Property-B': '2'})
    resp = alice13.request('PUT', alice13.images + '/images/' + image_id,
                           headers={'X-Image-Meta-Property-C': '3'})
    assert resp.status_code == 200
    props = {k: v for k, v in resp.headers.items() if 'property' in k}
    assert props == {'x-image-meta-property-c': '3'}
    resp = alice13.request('PUT', alice13.images + '/images/' + image_id,
                           headers={'X-Image-Meta-Is-Public': 'true'})
    assert resp.status_code == 500


def test_delete_is_not_allowed(alice13):
    image_id = alice13.upload_image('s7', 'disk')
    resp = alice13.request('DELETE', alice13.images + '/images/' + image_id)
    assert resp.status_code == 405
    assert resp.headers['Allow'] == 'GET, HEAD, PUT'
    assert alice13.head_image(image_id).status_code == 200


def test_created_at_is_the_upload_time(alice13):
    alice13.put_object('s8', 'disk')
    uploaded = alice13.request('HEAD', alice13.object_url('s8', 'disk'))
    import time
    time.sleep(1.1)
    image_id = alice13.register('s8', 'disk').headers['x-image-meta-id']
    head = alice13.head_image(image_id)
    assert head.headers['x-image-meta-created-at'] < head.headers['x-image-meta-updated-at']
    assert uploaded.status_code == 200


@pytest.mark.parametrize('changes,status,body', [
    ({'X-Image-Meta-Min-Ram': '1'}, 400, b''),
    ({'X-Image-Meta-Location': None}, 501, b''),
    ({'X-Image-Meta-Name': None, 'X-Image-Meta-Min-Ram': '1'}, 400, b''),
    ({'X-Image-Meta-Location': 'pithos://%s/s11/missing'}, 400, b'File not found'),
    ({'X-Image-Meta-Id': 'x'}, 400, b'Passing an ID is not supported'),
    ({'X-Image-Meta-Size': '3'}, 400, b'Invalid size'),
    ({'X-Image-Meta-Checksum': 'abc'}, 400, b'Invalid checksum'),
])
def test_register_validation(alice13, changes, status, body):
    alice13.put_object('s11', 'disk', b'data')
    headers = {'X-Image-Meta-Name': 'n',
               'X-Image-Meta-Location': 'pithos://%s/s11/disk' % alice13.uuid}
    for key, value in changes.items():
        if value is None:
            headers.pop(key)
        else:
            headers[key] = value % alice13.uuid if '%s' in value else value
    resp = alice13.request('POST', alice13.images + '/images/', headers=headers)
    assert resp.status_code == status
    assert resp.content == body


def test_register_with_the_right_size_works(alice13):
    alice13.put_object('s11', 'sized', b'data')
    alice13.register('s11', 'sized', headers={'X-Image-Meta-Size': '4'})


def test_errors_have_no_json(alice13, bob13):
    image_id = alice13.upload_image('s17', 'disk')
    assert requests.get(alice13.images + '/images/').status_code == 401
    head = bob13.head_image(image_id)
    assert head.status_code == 403
    missing = alice13.head_image('00000000-0000-4000-8000-000000000000')
    assert missing.status_code == 404
    resp = alice13.request('PUT', alice13.images + '/images/00000000-0000-4000-8000-000000000000',
                           headers={'X-Image-Meta-Name': 'x'})
    assert resp.status_code == 400 and resp.content == b'Image not found'
    resp = alice13.request('GET', alice13.images + '/images/detail',
                           params={'sort_key': 'nope'})
    assert resp.status_code == 400 and resp.content == b''


def test_filters_are_applied_and_paging_ignored(alice13):
    small = alice13.upload_image('s15', 'small', b'1', image_name='filter-small')
    big = alice13.upload_image('s15', 'big', b'1' * 100, image_name='filter-big')
    assert [i['id'] for i in alice13.detail(name='filter-small')] == [small]
    sized = [i['id'] for i in alice13.detail(size_min='50')]
    assert big in sized and small not in sized
    assert len(alice13.detail(limit='1')) > 1


def test_shared_images_lists_the_callers_images_the_member_can_see(alice13, bob13):
    shared = alice13.upload_image('s16', 'shared')
    public = alice13.upload_image('s16', 'public', headers={'X-Image-Meta-Is-Public': 'true'})
    private = alice13.upload_image('s16', 'private')
    alice13.request('PUT', alice13.images + '/images/%s/members/%s' % (shared, bob13.uuid))
    resp = alice13.request('GET', alice13.images + '/shared-images/' + bob13.uuid)
    ids = [e['image_id'] for e in resp.json()['shared_images']]
    assert shared in ids and public in ids and private not in ids


def test_token_in_the_query_string(alice13):
    resp = requests.get(alice13.images + '/images/', params={'X-Auth-Token': ALICE[1]})
    assert resp.status_code == 200
