"""python-glanceclient 2.17 speaking Image API v2: the library (``Client('2', ...)``)
and ``glance --os-image-api-version 2``."""

import hashlib
import io
import os

import pytest

from tests.clients.conftest import DOWNLOAD_CAVEAT, OPT_IN, USERS
from tests.clients.helpers import (glance2, glance2_argv, glance2_lib, glance_show,
                                   glance_table, register, run_tty, v2_image)

CLI = 'glance CLI 2.17 (v2)'
LIB = 'glanceclient.v2 2.17'
UUID, TOKEN = USERS['glance2']
MEMBER_UUID, MEMBER_TOKEN = USERS['member2']


@pytest.mark.compat(LIB, 'images.list()', family='list')
@pytest.mark.compat(LIB, 'images.get(id)', family='show')
@pytest.mark.compat(LIB, 'images.update(id, <property>=, min_ram=, remove_props=)',
                    family='update')
@pytest.mark.compat(LIB, 'image_tags.update(id, tag)', family='tags')
@pytest.mark.compat(LIB, 'images.delete(id)', family='delete')
def test_library(stack):
    image_id = register(stack, TOKEN, 'gc2-lib')
    gc = glance2_lib(stack.url, TOKEN)
    assert image_id in [i['id'] for i in gc.images.list()]
    got = gc.images.get(image_id)
    assert got['name'] == 'gc2-lib'
    gc.images.update(image_id, os_distro='debian', min_ram=32)
    gc.image_tags.update(image_id, 'gc')
    got = gc.images.get(image_id)
    assert got['os_distro'] == 'debian' and got['min_ram'] == 32 and got['tags'] == ['gc']
    gc.images.update(image_id, remove_props=['os_distro'])
    assert 'os_distro' not in gc.images.get(image_id)
    gc.images.delete(image_id)
    assert v2_image(stack.url, TOKEN, image_id).status_code == 404


@pytest.mark.compat(LIB, 'image_members.create / list / delete', family='sharing')
def test_members(stack):
    image_id = register(stack, TOKEN, 'gc2-shared')
    gc = glance2_lib(stack.url, TOKEN)
    member = gc.image_members.create(image_id, MEMBER_UUID)
    assert member['status'] == 'accepted'
    assert [m['member_id'] for m in gc.image_members.list(image_id)] == [MEMBER_UUID]
    assert glance2_lib(stack.url, MEMBER_TOKEN).images.get(image_id)['name'] == 'gc2-shared'
    gc.image_members.delete(image_id, MEMBER_UUID)
    assert gc.image_members.list(image_id) is not None
    assert list(gc.image_members.list(image_id)) == []
    assert v2_image(stack.url, MEMBER_TOKEN, image_id).status_code == 404


@pytest.mark.compat(LIB, 'images.create(name=, disk_format=, container_format=) then '
                         'images.upload(id, data)', family='create with data')
@pytest.mark.compat(LIB, 'images.create() without data (queued)',
                    family='create without data')
@pytest.mark.compat(LIB, 'images.data(id)' + OPT_IN, caveat=DOWNLOAD_CAVEAT,
                    family='download')
@pytest.mark.compat(CLI, 'image-download --file' + OPT_IN, caveat=DOWNLOAD_CAVEAT,
                    family='download')
def test_upload_then_data_when_download_is_on(download_stack, tmp_path):
    data = os.urandom(5000)
    gc = glance2_lib(download_stack.url, TOKEN)
    created = gc.images.create(name='gc2-dl', disk_format='raw', container_format='bare')
    assert created['status'] == 'queued' and created['size'] is None
    gc.images.upload(created['id'], io.BytesIO(data))
    got = gc.images.get(created['id'])
    assert got['status'] == 'active' and got['size'] == len(data)
    assert got['checksum'] == hashlib.md5(data).hexdigest()
    # glanceclient checks the MD5 of what it reads against the image's checksum
    assert b''.join(gc.images.data(created['id'])) == data
    location = download_stack.upload(TOKEN, 'images', 'gc2-dl.img', data)
    registered = download_stack.register(TOKEN, 'gc2-dl-registered', location)['id']
    assert b''.join(gc.images.data(registered)) == data
    saved = tmp_path / 'saved.img'
    out = glance2(download_stack.url, TOKEN, 'image-download', '--file', str(saved),
                  created['id'])
    assert out.returncode == 0, out.stderr
    assert saved.read_bytes() == data


@pytest.mark.compat(CLI, '--os-image-api-version 2 --os-image-url URL (root)',
                    family='log in')
@pytest.mark.compat(CLI, 'image-list', family='list')
@pytest.mark.compat(CLI, 'image-show', family='show')
@pytest.mark.compat(CLI, 'image-create --file --disk-format --container-format',
                    family='create with data')
@pytest.mark.compat(CLI, 'image-update --property --min-disk', family='update')
@pytest.mark.compat(CLI, 'image-tag-update', family='tags')
@pytest.mark.compat(CLI, 'image-create without --file, typed at a terminal (queued)',
                    family='create without data')
@pytest.mark.compat(CLI, 'member-create / member-list --image-id / member-delete',
                    family='sharing')
@pytest.mark.compat(CLI, 'member-update <image> <member> rejected', family='sharing',
                    caveat="Plankton keeps no member status, so every member is "
                           "'accepted': the proxy answers 403 saying so and the CLI exits "
                           "1 with that message; the owner can remove the member instead")
@pytest.mark.compat(CLI, 'image-delete', family='delete')
@pytest.mark.compat(CLI, 'image-download --file (default configuration)', family='download',
                    impossible="Plankton serves no image data: the proxy answers 501 and "
                               "the CLI exits 1 with its message, which names the "
                               "pithos:// location")
def test_cli(stack, tmp_path):
    image_id = register(stack, TOKEN, 'gc2-cli')
    out = glance2(stack.url, TOKEN, 'image-list')
    assert out.returncode == 0 and image_id in out.stdout, out.stderr
    out = glance2(stack.url, TOKEN, 'image-show', image_id)
    assert out.returncode == 0, out.stderr
    shown = glance_show(out.stdout)
    assert shown['name'] == 'gc2-cli' and shown['size'] == '64'
    data = b'gc2-file' * 1000
    disk = tmp_path / 'disk.img'
    disk.write_bytes(data)
    out = glance2(stack.url, TOKEN, 'image-create', '--name', 'gc2-file', '--disk-format',
                  'raw', '--container-format', 'bare', '--file', str(disk))
    assert out.returncode == 0, out.stderr
    created = glance_show(out.stdout)
    assert created['status'] == 'active' and created['size'] == str(len(data))
    assert created['checksum'] == hashlib.md5(data).hexdigest()
    out = glance2(stack.url, TOKEN, 'image-update', '--property', 'os_distro=arch',
                  '--min-disk', '4', image_id)
    assert out.returncode == 0, out.stderr
    out = glance2(stack.url, TOKEN, 'image-tag-update', image_id, 'cli-tag')
    assert out.returncode == 0, out.stderr
    got = v2_image(stack.url, TOKEN, image_id).json()
    assert got['os_distro'] == 'arch' and got['min_disk'] == 4
    assert got['tags'] == ['cli-tag']
    out = glance2(stack.url, TOKEN, 'image-download', '--file', os.devnull, image_id)
    assert out.returncode != 0 and 'pithos://' in out.stderr

    typed = run_tty(glance2_argv(stack.url, TOKEN, 'image-create', '--name', 'gc2-queued',
                                 '--disk-format', 'raw', '--container-format', 'bare'))
    assert typed.returncode == 0, typed.stdout
    queued = glance_show(typed.stdout)
    assert queued['status'] == 'queued' and queued['size'] == 'None'

    out = glance2(stack.url, TOKEN, 'member-create', image_id, MEMBER_UUID)
    assert out.returncode == 0, out.stderr
    assert [row[1:] for row in glance_table(out.stdout)[1:]] == [[MEMBER_UUID, 'accepted']]
    out = glance2(stack.url, TOKEN, 'member-list', '--image-id', image_id)
    assert out.returncode == 0, out.stderr
    assert [row[1:] for row in glance_table(out.stdout)[1:]] == [[MEMBER_UUID, 'accepted']]
    assert v2_image(stack.url, MEMBER_TOKEN, image_id).status_code == 200
    out = glance2(stack.url, MEMBER_TOKEN, 'member-update', image_id, MEMBER_UUID,
                  'rejected')
    assert out.returncode == 1 and "'rejected' cannot be kept" in out.stderr
    out = glance2(stack.url, TOKEN, 'member-delete', image_id, MEMBER_UUID)
    assert out.returncode == 0, out.stderr
    assert v2_image(stack.url, MEMBER_TOKEN, image_id).status_code == 404

    out = glance2(stack.url, TOKEN, 'image-delete', image_id)
    assert out.returncode == 0, out.stderr
    assert v2_image(stack.url, TOKEN, image_id).status_code == 404
