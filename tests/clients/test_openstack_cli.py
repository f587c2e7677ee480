"""``openstack --os-image-api-version 1 image ...`` (python-openstackclient)."""

import json
import os

import pytest

from tests.clients.conftest import USERS
from tests.clients.helpers import (VENV_BIN, glance_lib, osc, osc_argv, run,
                                   run_many)

C = 'openstack CLI'
UUID, TOKEN = USERS['osc']


def _register(stack, name, **props):
    loc = stack.upload(TOKEN, 'images', name + '.img', b'o' * 256)
    return stack.register(TOKEN, name, loc, **props)['id']


def _json(r):
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.compat(C, 'image list', family='list')
@pytest.mark.compat(C, 'image list --long', family='list')
@pytest.mark.compat(C, 'image list --public', family='list')
@pytest.mark.compat(C, 'image list --property K=V', family='list')
@pytest.mark.compat(C, 'image list --private',
                    caveat='client bug: the option filters nothing (as against Glance)',
                    family='list')
@pytest.mark.compat(C, 'image show <id> / <name>', family='show')
@pytest.mark.compat(C, 'image show <unknown>', family='show')
@pytest.mark.compat(C, 'image set --name --min-ram --property --public --protected '
                       '--disk-format <name>', family=('update', 'sharing'))
@pytest.mark.compat(C, 'image delete A B <unknown>', family='delete')
@pytest.mark.compat(C, 'OS_IMAGE_API_VERSION / OS_AUTH_TYPE / OS_ENDPOINT / OS_TOKEN '
                       'environment', family='log in')
@pytest.mark.compat(C, '--os-endpoint URL --os-token TOKEN without --os-auth-type '
                       '(root endpoint)', family='log in')
def test_list_show_set_delete(stack):
    a = _register(stack, 'osc-a', os_distro='debian')
    b = _register(stack, 'osc-b')
    _register(stack, 'osc-c')
    url = stack.url
    exe = os.path.join(VENV_BIN, 'openstack')
    (lst, long_, pub, prop, priv, show_id, show_name, missing, env, root) = run_many([
        lambda: osc(url, TOKEN, 'image', 'list', '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'list', '--long', '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'list', '--public', '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'list', '--property', 'os_distro=debian',
                    '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'list', '--private', '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'show', a, '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'show', 'osc-b', '-f', 'json'),
        lambda: osc(url, TOKEN, 'image', 'show', 'no-such-image'),
        lambda: run([exe, 'image', 'list', '-f', 'json'], env={
            'OS_IMAGE_API_VERSION': '1', 'OS_AUTH_TYPE': 'admin_token',
            'OS_ENDPOINT': url + '/v1', 'OS_TOKEN': TOKEN}),
        lambda: run([exe, '--os-image-api-version', '1', '--os-endpoint', url,
                     '--os-token', TOKEN, 'image', 'list', '-f', 'json']),
    ])
    assert sorted(i['Name'] for i in _json(lst)) == ['osc-a', 'osc-b', 'osc-c']
    rows = {i['Name']: i for i in _json(long_)}
    assert rows['osc-a']['Visibility'] is False     # is_public, shown as is
    assert rows['osc-a']['Disk Format'] == 'raw' and rows['osc-a']['Size'] == 256
    assert _json(pub) == []
    assert [i['ID'] for i in _json(prop)] == [a]
    assert sorted(i['Name'] for i in _json(priv)) == ['osc-a', 'osc-b', 'osc-c']
    shown = _json(show_id)
    assert shown['name'] == 'osc-a' and shown['disk_format'] == 'raw'
    assert shown['properties']['os_distro'] == 'debian'
    assert _json(show_name)['id'] == b
    assert missing.returncode == 1 and 'No Image found for no-such-image' in missing.stderr
    assert sorted(i['Name'] for i in _json(env)) == ['osc-a', 'osc-b', 'osc-c']
    assert sorted(i['Name'] for i in _json(root)) == ['osc-a', 'osc-b', 'osc-c']

    r = osc(url, TOKEN, 'image', 'set', '--name', 'osc-a2', '--min-ram', '64', '--property',
            'x=y', '--public', '--protected', '--disk-format', 'raw', 'osc-a')
    assert r.returncode == 0, r.stderr
    got = glance_lib(url, TOKEN).images.get(a)
    assert (got.name, got.min_ram, got.is_public, got.protected) == ('osc-a2', 64, True, True)
    assert got.properties == {'os_distro': 'debian', 'x': 'y'}
    # private again: the other clients' users would see a public image in their lists
    glance_lib(url, TOKEN).images.update(a, is_public=False, protected=False)

    r = osc(url, TOKEN, 'image', 'delete', b, 'osc-c', 'no-such-image')
    assert r.returncode == 1 and 'Failed to delete 1 of 3 images.' in r.stderr
    assert [i.id for i in glance_lib(url, TOKEN).images.list()] == [a]


@pytest.mark.compat(C, '--os-auth-type none --os-endpoint URL (discovery through GET /)',
                    caveat="discovery finds /v1, but the proxy needs a token: 'notused' "
                           "gets 401 (exit 1)", family='log in')
@pytest.mark.compat(C, 'image create (any variant)',
                    impossible="client bug: exits 1 with 'wait' (a KeyError in the SDK) "
                               "before any request",
                    family=('create without data', 'create with data'))
@pytest.mark.compat(C, 'image set --file / --stdin',
                    impossible='client bug: "Object of type BufferedReader is not JSON '
                               'serializable" before any request', family='create with data')
@pytest.mark.compat(C, 'image save --file (default configuration)',
                    impossible='Plankton serves no image data: the proxy answers 501 and the '
                               'CLI (a client bug) writes that error body to the file, exit 0',
                    family='download')
def test_failures(stack, tmp_path):
    image_id = _register(stack, 'osc-fail')
    disk = tmp_path / 'disk.img'
    disk.write_bytes(b'd' * 100)
    saved = tmp_path / 'saved.img'
    url = stack.url
    exe = os.path.join(VENV_BIN, 'openstack')
    noauth, create, set_file, save = run_many([
        lambda: run([exe, '--os-image-api-version', '1', '--os-auth-type', 'none',
                     '--os-endpoint', url, 'image', 'list']),
        lambda: osc(url, TOKEN, 'image', 'create', '--disk-format', 'raw',
                    '--container-format', 'bare', '--file', str(disk), 'osc-file'),
        lambda: osc(url, TOKEN, 'image', 'set', '--file', str(disk), image_id),
        lambda: osc(url, TOKEN, 'image', 'save', '--file', str(saved), image_id),
    ])
    # Discovery through GET / finds v2 CURRENT; the CLI then sends its v1 paths
    # under /v2/, as against a Glance serving both (give URL/v1 instead).
    assert noauth.returncode == 1 and '/v2/images/detail' in noauth.stderr
    assert create.returncode == 1 and "'wait'" in create.stderr
    assert set_file.returncode == 1 and 'not JSON serializable' in set_file.stderr
    assert save.returncode == 0 and b'notImplemented' in saved.read_bytes()


@pytest.mark.compat(C, 'image set --location / --copy-from on a queued image',
                    family='create without data')
def test_set_location_on_queued(stack):
    r = run(osc_argv(stack.url, TOKEN)[:1] + ['--version'])
    assert r.returncode == 0
    gc = glance_lib(stack.url, TOKEN)
    queued = gc.images.create(name='osc-queued', disk_format='raw',
                              container_format='bare')
    loc = stack.upload(TOKEN, 'images', 'osc-queued.img', b'q' * 10)
    r = osc(stack.url, TOKEN, 'image', 'set', '--location', loc, queued.id)
    assert r.returncode == 0, r.stderr
    assert gc.images.get(queued.id).status == 'active'
