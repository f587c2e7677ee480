"""The real clients against the pipeline served on loopback (both dialects)."""

import json
import os
import subprocess
import sys

import pytest

from tests.translation.conftest import ALICE, ALICE_TOKEN, BOB, BOB_TOKEN

VENV_BIN = os.path.dirname(sys.executable)


def glance(base, *args, token=ALICE_TOKEN):
    cmd = [os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
           '--os-image-url', base, '--os-auth-token', token] + list(args)
    e = dict(os.environ, HOME=os.environ.get('TMPDIR', '/tmp'))
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=e)


def glance_lib(base):
    from glanceclient import Client
    return Client('1', endpoint=base, token=ALICE_TOKEN)


def register(stack, client, name, **kw):
    loc = stack.add_file(ALICE, 'images', name + '.img')
    return client.images.create(name=name, location=loc, disk_format='raw',
                                container_format='bare', **kw)


def test_glanceclient_create_show_update_delete(live_proxy, dialect):
    gc = glance_lib(live_proxy.url)
    im = register(live_proxy, gc, 'lib é', properties={'os_distro': 'débian', 'k': 'v=w'},
                  min_ram=512, min_disk=2, is_public=False)
    assert im.status == 'active'
    assert im.properties == {'os_distro': 'débian', 'k': 'v=w'}
    got = gc.images.get(im.id)
    assert got.disk_format == 'raw' and got.container_format == 'bare'
    assert got.min_ram == 512 and got.min_disk == 2
    assert got.is_public is False and got.protected is False
    # merge (glanceclient sends purge-props: false)
    up = gc.images.update(im.id, name='lib2', properties={'seq': '10'})
    assert up.name == 'lib2'
    assert up.properties == {'os_distro': 'débian', 'k': 'v=w', 'seq': '10'}
    # purge
    up = gc.images.update(im.id, purge_props=True, properties={'keep': '1'})
    assert up.properties == {'keep': '1'}
    assert up.min_ram == 512          # reserved properties survive a purge
    from glanceclient import exc
    if dialect == 's13':
        with pytest.raises(exc.HTTPNotImplemented):   # Synnefo 0.13 cannot
            gc.images.delete(im.id)
        return
    gc.images.delete(im.id)
    with pytest.raises(exc.HTTPNotFound):
        gc.images.get(im.id)


def test_glanceclient_paging(live_proxy):
    gc = glance_lib(live_proxy.url)
    ids = {register(live_proxy, gc, 'img-%02d' % i).id for i in range(7)}
    seen = [im.id for im in gc.images.list(page_size=2)]
    assert sorted(seen) == sorted(ids)
    names = [im.name for im in gc.images.list(page_size=3, sort_key='name',
                                              sort_dir='asc')]
    assert names == ['img-%02d' % i for i in range(7)]
    assert [im.name for im in gc.images.list(filters={'name': 'img-03'})] == ['img-03']


def test_glance_cli(live_proxy, dialect):
    loc = live_proxy.add_file(ALICE, 'images', 'cli disk.img')
    r = glance(live_proxy.url, 'image-create', '--name', 'cli img', '--disk-format', 'raw',
               '--container-format', 'bare', '--location', loc,
               '--property', 'os_distro=débian', '--min-ram', '64')
    assert r.returncode == 0, r.stderr
    assert 'débian' in r.stdout and 'cli img' in r.stdout
    image_id = [l.split('|')[2].strip() for l in r.stdout.splitlines()
                if l.startswith('| id ')][0]
    # re-registration of the same location: 409 naming the image
    r = glance(live_proxy.url, 'image-create', '--name', 'again', '--disk-format', 'raw',
               '--container-format', 'bare', '--location', loc)
    assert r.returncode == 1 and image_id in r.stderr
    assert 'already registered' in r.stderr
    for i in range(7):
        upl = live_proxy.add_file(ALICE, 'images', 'p%d' % i)
        assert glance(live_proxy.url, 'image-create', '--name', 'p%d' % i, '--disk-format',
                      'raw', '--container-format', 'bare',
                      '--location', upl).returncode == 0
    r = glance(live_proxy.url, 'image-list', '--page-size', '2')
    assert r.returncode == 0, r.stderr
    assert sum(1 for l in r.stdout.splitlines() if ' p' in l) == 7
    r = glance(live_proxy.url, 'image-show', image_id)
    assert r.returncode == 0, r.stderr
    assert 'disk_format' in r.stdout and '| raw ' in r.stdout
    assert 'min_ram' in r.stdout and '64' in r.stdout
    r = glance(live_proxy.url, 'image-show', 'cli img')       # by name
    assert r.returncode == 0, r.stderr
    r = glance(live_proxy.url, 'image-download', '--file', '/dev/null', image_id)
    assert r.returncode == 1 and 'not implemented' in r.stderr
    assert 'pithos://%s/images/cli disk.img' % ALICE in r.stderr
    r = glance(live_proxy.url, 'member-create', image_id, BOB)
    assert r.returncode == 0, r.stderr
    r = glance(live_proxy.url, 'member-list', '--image-id', image_id)
    assert r.returncode == 0 and BOB in r.stdout and ALICE not in r.stdout
    # bob (a member, not the owner) sees only his own row
    r = glance(live_proxy.url, 'member-create', image_id, 'tenant-x')
    assert r.returncode == 0, r.stderr
    r = glance(live_proxy.url, 'member-list', '--image-id', image_id, token=BOB_TOKEN)
    assert r.returncode == 0 and BOB in r.stdout and 'tenant-x' not in r.stdout
    r = glance(live_proxy.url, 'member-list', '--tenant-id', BOB)
    assert r.returncode == 0 and image_id in r.stdout
    r = glance(live_proxy.url, 'member-delete', image_id, BOB)
    assert r.returncode == 0, r.stderr
    r = glance(live_proxy.url, 'member-list', '--image-id', image_id)
    assert BOB not in r.stdout
    r = glance(live_proxy.url, 'image-show', '00000000-0000-0000-0000-000000000000')
    assert r.returncode == 1 and 'No image with a name or ID' in r.stderr
    if dialect == 's16':
        r = glance(live_proxy.url, 'image-delete', image_id)
        assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
        r = glance(live_proxy.url, 'image-show', image_id)
        assert r.returncode == 1


def test_glance_cli_update_purge(live_proxy):
    gc = glance_lib(live_proxy.url)
    im = register(live_proxy, gc, 'upd', properties={'a': '1', 'b': '2'})
    r = subprocess.run(['script', '-qec', ' '.join([
        os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
        '--os-image-url', live_proxy.url, '--os-auth-token', ALICE_TOKEN,
        'image-update', im.id, '--name', "'renamed ä'", '--property', 'c=3']),
        '/dev/null'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    got = gc.images.get(im.id)
    assert got.properties == {'a': '1', 'b': '2', 'c': '3'}
    r = subprocess.run(['script', '-qec', ' '.join([
        os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
        '--os-image-url', live_proxy.url, '--os-auth-token', ALICE_TOKEN,
        'image-update', im.id, '--purge-props', '--property', 'keep=1']),
        '/dev/null'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert gc.images.get(im.id).properties == {'keep': '1'}
    # by name: the CLI finds it through ?name= and needs `status` in the item
    r = subprocess.run(['script', '-qec', ' '.join([
        os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
        '--os-image-url', live_proxy.url, '--os-auth-token', ALICE_TOKEN,
        'image-update', "'renamed ä'", '--min-ram', '64']), '/dev/null'],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert gc.images.get(im.id).min_ram == 64


def sdk(base, prefix='/v1'):
    import openstack
    return openstack.connect(auth_type='admin_token',
                             auth={'endpoint': base + prefix, 'token': ALICE_TOKEN},
                             image_api_version='1')


# A root endpoint without a version means v2 now (decision 18): see
# tests/v2 for openstacksdk's default proxy there.
@pytest.mark.parametrize('prefix', ['/v1'])
def test_openstacksdk(live_proxy, dialect, prefix):
    gc = glance_lib(live_proxy.url)
    ids = [register(live_proxy, gc, 'sdk-%02d' % i, properties={'p': str(i)}).id
           for i in range(30)]
    conn = sdk(live_proxy.url, prefix)
    names = [i.name for i in conn.image.images()]
    assert len(names) == 30                    # next links past the default 25
    assert len([i.name for i in conn.image.images(limit=7)]) == 30
    assert [i.name for i in conn.image.images(name='sdk-03')] == ['sdk-03']
    img = conn.image.get_image(ids[0])
    assert img.name == 'sdk-00' and img.disk_format == 'raw'
    assert img.is_public is False and img.properties['p'] == '0'
    assert conn.image.find_image('sdk-05').id == ids[5]
    up = conn.image.update_image(ids[1], name='renamed', min_ram=64,
                                 properties={'x': 'y'})
    assert up.name == 'renamed' and up.min_ram == 64
    # the SDK moves the echoed deleted/deleted_at/virtual_size into properties
    assert {k: up.properties[k] for k in ('p', 'x')} == {'p': '1', 'x': 'y'}
    assert gc.images.get(ids[1]).properties == {'p': '1', 'x': 'y'}
    conn.image.update_image_properties(image=conn.image.get_image(ids[2]),
                                       meta={'m': 'v'})
    assert gc.images.get(ids[2]).properties == {'p': '2', 'm': 'v'}
    if dialect == 's16':
        conn.image.delete_image(ids[3])
        from openstack import exceptions
        with pytest.raises(exceptions.NotFoundException):
            conn.image.delete_image('00000000-0000-0000-0000-000000000000',
                                    ignore_missing=False)


def osc(base, *args):
    cmd = [os.path.join(VENV_BIN, 'openstack'), '--os-image-api-version', '1',
           '--os-auth-type', 'admin_token', '--os-endpoint', base + '/v1',
           '--os-token', ALICE_TOKEN] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90,
                          stdin=subprocess.DEVNULL)


def test_openstack_cli(live_proxy, dialect):
    if not os.path.exists(os.path.join(VENV_BIN, 'openstack')):
        pytest.skip('no openstack CLI')
    gc = glance_lib(live_proxy.url)
    im = register(live_proxy, gc, 'osc-img', properties={'a': 'b'})
    r = osc(live_proxy.url, 'image', 'list', '-f', 'json')
    assert r.returncode == 0, r.stderr
    assert [i['Name'] for i in json.loads(r.stdout)] == ['osc-img']
    r = osc(live_proxy.url, 'image', 'show', im.id, '-f', 'json')
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)['name'] == 'osc-img'
    r = osc(live_proxy.url, 'image', 'set', '--name', 'osc ä', '--min-ram', '64',
            '--property', 'c=d', 'osc-img')
    assert r.returncode == 0, r.stderr
    got = gc.images.get(im.id)
    # HEAD values are ASCII, percent-encoded (decision 15); JSON has the text
    assert got.name == 'osc %C3%A4' and got.min_ram == 64
    assert [i.name for i in gc.images.list()] == ['osc ä']
    assert got.properties == {'a': 'b', 'c': 'd'}
    if dialect == 's16':
        r = osc(live_proxy.url, 'image', 'delete', im.id)
        assert r.returncode == 0, r.stderr


def test_concurrent_updates_through_the_server(live_proxy):
    import threading
    gc = glance_lib(live_proxy.url)
    im = register(live_proxy, gc, 'conc')
    errors = []

    def add(i):
        try:
            glance_lib(live_proxy.url).images.update(im.id, properties={'k%d' % i: str(i)})
        except Exception as exc:          # noqa
            errors.append(exc)
    threads = [threading.Thread(target=add, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert gc.images.get(im.id).properties == {'k%d' % i: str(i) for i in range(10)}
