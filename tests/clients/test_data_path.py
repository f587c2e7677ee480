"""Image data through every client: uploads (decision 4), queued images (decision 5)
and, with the operator's opt-in (etc/paste-download.ini), downloads with the MD5
checked by the client."""

import hashlib
import io
import json
import os
import subprocess

import pytest

from tests.clients.conftest import DOWNLOAD_CAVEAT as CAVEAT, OPT_IN, USERS
from tests.clients.helpers import (glance, glance_argv, glance_lib, glance_show, osc,
                                   run_many, sdk)

UUID, TOKEN = USERS['alice']


@pytest.mark.compat('glance CLI', 'image-download --file / > file' + OPT_IN, caveat=CAVEAT,
                    family='download')
@pytest.mark.compat('glanceclient.v1', 'images.data(id)' + OPT_IN, caveat=CAVEAT,
                    family='download')
@pytest.mark.compat('openstacksdk image v1 proxy', 'download_image(id, output=)' + OPT_IN,
                    caveat=CAVEAT, family='download')
@pytest.mark.compat('openstack CLI', 'image save --file' + OPT_IN, caveat=CAVEAT,
                    family='download')
def test_upload_then_download_everywhere(download_stack, tmp_path):
    data = os.urandom(300000)
    md5 = hashlib.md5(data).hexdigest()
    disk = tmp_path / 'disk.img'
    disk.write_bytes(data)
    url = download_stack.url
    r = glance(url, TOKEN, 'image-create', '--name', 'dl', '--disk-format', 'raw',
               '--container-format', 'bare', '--file', str(disk))
    assert r.returncode == 0, r.stderr
    created = glance_show(r.stdout)
    assert created['checksum'] == md5 and created['size'] == str(len(data))
    image_id = created['id']
    out, saved, piped = (tmp_path / 'out.img', tmp_path / 'saved.img',
                         tmp_path / 'stdout.img')
    with open(piped, 'wb') as stdout:
        g, o, p = run_many([
            lambda: glance(url, TOKEN, 'image-download', '--file', str(out), image_id),
            lambda: osc(url, TOKEN, 'image', 'save', '--file', str(saved), image_id),
            lambda: subprocess.run(glance_argv(url, TOKEN, 'image-download', image_id),
                                   stdout=stdout, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, timeout=120)])
    assert g.returncode == 0, g.stderr
    assert o.returncode == 0, o.stderr
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == data and saved.read_bytes() == data
    assert piped.read_bytes() == data
    assert b''.join(glance_lib(url, TOKEN).images.data(image_id)) == data
    stream = io.BytesIO()
    sdk(url, TOKEN).image.download_image(image_id, output=stream)
    assert stream.getvalue() == data


@pytest.mark.compat('openstack CLI', 'image show of an uploaded image (checksum, size)',
                    family='show')
def test_uploaded_image_as_the_sdk_and_osc_see_it(stack):
    conn = sdk(stack.url, TOKEN)
    im = conn.create_image('sdk-up', disk_format='raw', container_format='bare',
                           data=io.BytesIO(b'payload'))
    assert im.status == 'active'
    r = osc(stack.url, TOKEN, 'image', 'show', im.id, '-f', 'json')
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown['size'] == 7 and shown['name'] == 'sdk-up'
