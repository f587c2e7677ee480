"""openstacksdk 4's default image proxy (``conn.image`` without ``image_api_version``):
discovery through ``GET /`` picks Image API v2, with an ``admin_token`` at the root URL."""

import hashlib
import io

import pytest
from openstack import exceptions

from tests.clients.conftest import DOWNLOAD_CAVEAT, OPT_IN, USERS
from tests.clients.helpers import NO_SUCH_ID, register, sdk2, v2_image

P = 'openstacksdk image v2 proxy'
UUID, TOKEN = USERS['sdk2']
MEMBER_UUID, MEMBER_TOKEN = USERS['member2']


@pytest.mark.compat(P, "auth_type='admin_token' with the root URL (unprefixed /images "
                       "paths, served as v2)", family='log in')
@pytest.mark.compat(P, 'images() without limit (more than 25 images)', family='list')
@pytest.mark.compat(P, 'images(limit=N) paging', family='list')
@pytest.mark.compat(P, "images(name=, status=, tag=, visibility='shared', sort_key=, "
                       "sort_dir=)", family='list')
@pytest.mark.compat(P, 'get_image(id)', family='show')
@pytest.mark.compat(P, 'find_image(name or id)', family='show')
@pytest.mark.compat(P, 'update_image(image, min_disk=, <property>=)', family='update')
@pytest.mark.compat(P, 'add_tag / remove_tag', family='tags')
@pytest.mark.compat(P, 'delete_image(image) / delete_image(unknown, ignore_missing=False)',
                    family='delete')
def test_images_get_update_tags_delete(stack):
    ids = [register(stack, TOKEN, 'sdk2-%02d' % i) for i in range(30)]
    conn = sdk2(stack.url, TOKEN)
    # the SDK's default is its v2 proxy, and admin_token uses the endpoint as given
    assert type(conn.image).__module__ == 'openstack.image.v2._proxy'
    assert conn.image.get_endpoint().rstrip('/') == stack.url
    names = sorted(i.name for i in conn.image.images())
    assert names == ['sdk2-%02d' % i for i in range(30)]
    assert sorted(i.id for i in conn.image.images(limit=7)) == sorted(ids)
    conn.image.add_tag(ids[3], 'sdk2-filter')
    assert [i.id for i in conn.image.images(name='sdk2-03', status='active')] == [ids[3]]
    assert [i.id for i in conn.image.images(tag='sdk2-filter')] == [ids[3]]
    assert sorted(i.id for i in conn.image.images(visibility='shared')) == sorted(ids)
    assert [i.name for i in conn.image.images(sort_key='name', sort_dir='desc')][:2] == \
        ['sdk2-29', 'sdk2-28']

    got = conn.image.get_image(ids[0])
    assert got.name == 'sdk2-00' and got.visibility == 'shared'
    assert got.size == 64 and got.status == 'active' and got.owner == UUID
    assert conn.image.find_image('sdk2-05').id == ids[5]
    assert conn.image.find_image(ids[6]).name == 'sdk2-06'

    updated = conn.image.update_image(got, min_disk=2, foo='bar')
    assert updated.min_disk == 2 and updated.properties['foo'] == 'bar'
    conn.image.add_tag(got, 'sdk')
    got = conn.image.get_image(ids[0])
    assert got.min_disk == 2 and got.tags == ['sdk'] and got.properties['foo'] == 'bar'
    conn.image.remove_tag(got, 'sdk')
    assert conn.image.get_image(ids[0]).tags == []
    assert v2_image(stack.url, TOKEN, ids[0]).json()['foo'] == 'bar'

    conn.image.delete_image(got)
    assert conn.image.find_image(ids[0]) is None
    assert v2_image(stack.url, TOKEN, ids[0]).status_code == 404
    with pytest.raises(exceptions.NotFoundException):
        conn.image.delete_image(NO_SUCH_ID, ignore_missing=False)
    for image_id in ids[1:]:
        conn.image.delete_image(image_id)


@pytest.mark.compat(P, 'create_image(name, data=..., disk_format=, container_format=)',
                    family='create with data')
@pytest.mark.compat(P, 'create_image(name, disk_format=, container_format=) without data '
                       '(queued)', family='create without data')
def test_create_image(stack):
    conn = sdk2(stack.url, TOKEN)
    data = b'sdk-data' * 1000
    image = conn.image.create_image(name='sdk2-data', data=data, disk_format='raw',
                                    container_format='bare', wait=True)
    got = conn.image.get_image(image.id)
    assert got.status == 'active' and got.size == len(data)
    assert got.checksum == hashlib.md5(data).hexdigest()
    assert got.hash_algo == 'sha512' and got.hash_value == hashlib.sha512(data).hexdigest()
    # without wait= the SDK hands back the image as created, before the upload
    image = conn.image.create_image(name='sdk2-nowait', data=io.BytesIO(data),
                                    disk_format='raw', container_format='bare')
    assert image.status == 'queued'
    got = conn.image.get_image(image.id)
    assert got.status == 'active' and got.size == len(data)
    queued = conn.image.create_image(name='sdk2-queued', disk_format='raw',
                                     container_format='bare')
    assert queued.status == 'queued'
    got = conn.image.get_image(queued.id)
    assert got.status == 'queued' and got.size is None and got.checksum is None


@pytest.mark.compat(P, "update_image(image, visibility='shared')", family='sharing')
@pytest.mark.compat(P, 'add_member / members / get_member / remove_member',
                    family='sharing')
@pytest.mark.compat(P, "update_member(member, image, status='accepted') (as the member)",
                    family='sharing')
@pytest.mark.compat(P, "update_member(member, image, status='rejected') (as the member)",
                    family='sharing',
                    caveat="Plankton keeps no member status, so every member is "
                           "'accepted': the proxy answers 403 saying so, raised as "
                           "ForbiddenException; the owner can remove the member instead")
def test_members(stack):
    conn, member = sdk2(stack.url, TOKEN), sdk2(stack.url, MEMBER_TOKEN)
    image = conn.image.get_image(register(stack, TOKEN, 'sdk2-shared'))
    assert conn.image.update_image(image, visibility='shared').visibility == 'shared'

    added = conn.image.add_member(image, member_id=MEMBER_UUID)
    assert added.member_id == MEMBER_UUID and added.status == 'accepted'
    assert [(m.member_id, m.status) for m in conn.image.members(image)] == \
        [(MEMBER_UUID, 'accepted')]
    assert conn.image.get_member(MEMBER_UUID, image).status == 'accepted'
    assert member.image.get_image(image.id).name == 'sdk2-shared'

    assert member.image.update_member(MEMBER_UUID, image, status='accepted').status == \
        'accepted'
    with pytest.raises(exceptions.ForbiddenException) as refused:
        member.image.update_member(MEMBER_UUID, image, status='rejected')
    assert "'rejected' cannot be kept" in str(refused.value)
    assert conn.image.get_member(MEMBER_UUID, image).status == 'accepted'

    conn.image.remove_member(MEMBER_UUID, image)
    assert list(conn.image.members(image)) == []
    assert member.image.find_image(image.id) is None


@pytest.mark.compat(P, 'download_image(image, output=) / download_image(image)' + OPT_IN,
                    caveat=DOWNLOAD_CAVEAT, family='download')
def test_download_when_download_is_on(download_stack):
    conn = sdk2(download_stack.url, TOKEN)
    data = b'download' * 10000
    image = conn.image.create_image(name='sdk2-dl', data=data, disk_format='raw',
                                    container_format='bare', wait=True)
    out = io.BytesIO()
    conn.image.download_image(image, output=out)
    assert out.getvalue() == data
    assert conn.image.download_image(image).content == data


@pytest.mark.compat(P, 'download_image(image, output=) (default configuration)',
                    family='download',
                    impossible="Plankton serves no image data: the proxy answers 501 naming "
                               "the pithos:// location; the SDK (a client bug) writes that "
                               "error body to the output, then raises SDKException "
                               "'Unable to download image: checksum mismatch' for an "
                               "uploaded image (no error for a registered file, which "
                               "has no hash to check)")
def test_download_in_the_default_configuration(stack):
    conn = sdk2(stack.url, TOKEN)
    uploaded = conn.image.create_image(name='sdk2-nodl', data=b'n' * 1000,
                                       disk_format='raw', container_format='bare', wait=True)
    out = io.BytesIO()
    with pytest.raises(exceptions.SDKException) as e:
        conn.image.download_image(uploaded, output=out)
    assert 'Unable to download image: checksum mismatch' in str(e.value)
    assert b'notImplemented' in out.getvalue() and b'pithos://' in out.getvalue()
    registered = register(stack, TOKEN, 'sdk2-nodl-registered')
    out = io.BytesIO()
    conn.image.download_image(registered, output=out)
    assert b'notImplemented' in out.getvalue() and b'pithos://' in out.getvalue()
