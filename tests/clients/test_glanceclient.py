"""glanceclient.v1 as a library (python-glanceclient 2.17)."""

import io
import threading

import pytest
from glanceclient import exc

from tests.clients.conftest import USERS
from tests.clients.helpers import NO_SUCH_ID, glance_lib

C = 'glanceclient.v1'
UUID, TOKEN = USERS['lib']
BOB, _ = USERS['bob']


def _register(stack, gc, name, **kw):
    loc = stack.upload(TOKEN, 'images', name + '.img', b'l' * 1024)
    return gc.images.create(name=name, location=loc, disk_format='raw',
                            container_format='bare', **kw)


@pytest.mark.compat(C, 'versions.list()', family='log in')
@pytest.mark.compat(C, 'images.create(location=, properties=, min_ram=, ...)',
                    family='create without data')
@pytest.mark.compat(C, 'images.get(id)', family='show')
@pytest.mark.compat(C, 'images.list(page_size=, limit=, sort_key=, filters=)', family='list')
@pytest.mark.compat(C, 'images.update() merge and purge_props', family='update')
@pytest.mark.compat(C, 'images.delete(id)', family='delete')
def test_images(stack):
    gc = glance_lib(stack.url, TOKEN)
    versions = [v['id'] for v in gc.versions.list()]
    assert versions[0] == 'v2.4' and 'v1.1' in versions   # decision 18
    im = _register(stack, gc, 'lib-a', properties={'os_distro': 'debian', 'a': 1},
                   min_ram=512, min_disk=2, is_public=False)
    assert im.status == 'active' and im.properties == {'os_distro': 'debian', 'a': '1'}
    ids = [im.id] + [_register(stack, gc, 'lib-%s' % c).id for c in 'bcdefg']
    got = gc.images.get(im.id)
    assert (got.disk_format, got.container_format, got.min_ram, got.min_disk) == \
        ('raw', 'bare', 512, 2)
    assert got.is_public is False and got.protected is False and got.size == 1024
    assert sorted(i.id for i in gc.images.list(page_size=2)) == sorted(ids)
    assert len(list(gc.images.list(page_size=2, limit=3))) == 3
    assert [i.name for i in gc.images.list(page_size=3, sort_key='name', sort_dir='desc')] \
        == ['lib-%s' % c for c in 'gfedcba']
    assert [i.id for i in gc.images.list(
        filters={'properties': {'os_distro': 'debian'}, 'is_public': False})] == [im.id]
    assert [i.name for i in gc.images.list(filters={'name': 'lib-c'})] == ['lib-c']
    up = gc.images.update(im.id, name='lib-a2', properties={'seq': '10'})
    assert up.name == 'lib-a2'
    assert up.properties == {'os_distro': 'debian', 'a': '1', 'seq': '10'}
    up = gc.images.update(im.id, purge_props=True, properties={'keep': '1'})
    assert up.properties == {'keep': '1'} and up.min_ram == 512
    gc.images.delete(ids[-1])
    with pytest.raises(exc.HTTPNotFound):
        gc.images.get(ids[-1])
    with pytest.raises(exc.HTTPNotFound):
        gc.images.get(NO_SUCH_ID)


@pytest.mark.compat(C, 'images.create(data=...)', family='create with data')
def test_create_with_data(stack):
    gc = glance_lib(stack.url, TOKEN)
    new = gc.images.create(name='lib-data', disk_format='raw', container_format='bare',
                           data=io.BytesIO(b'xyz'), properties={'a': 1})
    assert new.status == 'active' and new.size == 3


@pytest.mark.compat(C, 'images.data(id) (default configuration)',
                    impossible='Plankton serves no image data: HTTPNotImplemented (501) '
                               'naming the pithos:// location, unless the operator enables '
                               'streaming', family='download')
def test_data(stack):
    gc = glance_lib(stack.url, TOKEN)
    im = _register(stack, gc, 'lib-dl')
    with pytest.raises(exc.HTTPNotImplemented) as e:
        b''.join(gc.images.data(im.id))
    assert 'pithos://%s/images/lib-dl.img' % UUID in str(e.value)


@pytest.mark.compat(C, 'image_members.replace() / get() / list(image=) / list(member=)',
                    caveat='can_share is reported false (Plankton cannot store it)',
                    family='sharing')
@pytest.mark.compat(C, 'image_members.create() / delete()', family='sharing')
def test_members(stack):
    gc = glance_lib(stack.url, TOKEN)
    im = _register(stack, gc, 'lib-shared')
    gc.image_members.replace(im.id, [{'member_id': BOB, 'can_share': True},
                                     {'member_id': 't2'}])
    assert sorted(m.member_id for m in gc.image_members.list(image=im.id)) == \
        sorted([BOB, 't2'])
    assert all(m.can_share is False for m in gc.image_members.list(image=im.id))
    assert [m.image_id for m in gc.image_members.list(member=BOB)] == [im.id]
    gc.image_members.delete(im.id, 't2')
    gc.image_members.create(im, 't3')
    assert sorted(m.member_id for m in gc.image_members.list(image=im.id)) == \
        sorted([BOB, 't3'])


@pytest.mark.compat(C, 'concurrent images.update() on one image', family='update')
def test_concurrent_updates(stack):
    gc = glance_lib(stack.url, TOKEN)
    im = _register(stack, gc, 'lib-conc')
    errors = []

    def add(i):
        try:
            glance_lib(stack.url, TOKEN).images.update(im.id, properties={'k%d' % i: str(i)})
        except Exception as e:          # noqa
            errors.append(e)
    threads = [threading.Thread(target=add, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.images.get(im.id).properties == {'k%d' % i: str(i) for i in range(10)}


@pytest.mark.compat(C, 'images.create(id=...)',
                    impossible='an image id is the UUID of its Pithos file and cannot be '
                               'chosen: HTTPBadRequest saying so',
                    family='create without data')
@pytest.mark.compat(C, 'images.create(size=<wrong>)', family='create without data')
@pytest.mark.compat(C, "images.create(container_format='ova' or 'docker')",
                    impossible='Plankton has no such container formats: HTTPBadRequest '
                               'naming the accepted ones', family='create without data')
def test_create_refusals(stack):
    gc = glance_lib(stack.url, TOKEN)
    loc = stack.upload(TOKEN, 'images', 'refusals.img', b'abc')
    with pytest.raises(exc.HTTPBadRequest) as e:
        gc.images.create(name='r', location=loc, disk_format='raw', container_format='bare',
                         id='11111111-1111-1111-1111-111111111111')
    assert 'Setting the image ID is not supported' in str(e.value)
    with pytest.raises(exc.HTTPConflict) as e:         # as Glance
        gc.images.create(name='r', location=loc, disk_format='raw', container_format='bare',
                         size=999)
    assert 'provided size: 999, stored size: 3' in str(e.value)
    with pytest.raises(exc.HTTPBadRequest) as e:
        gc.images.create(name='r', location=loc, disk_format='raw', container_format='ova')
    assert "Invalid container format 'ova'" in str(e.value)
    assert [i.name for i in gc.images.list(filters={'name': 'r'})] == []
