"""The glance CLI (python-glanceclient 2.17, v1) as a subprocess, every operation
clients.md lists, with the static-token invocation."""

import hashlib
import os
import shlex
import pytest

from tests.clients.conftest import USERS
from tests.clients.helpers import (NO_SUCH_ID, glance, glance_argv, glance_lib,
                                   glance_list, glance_show, glance_tty, run)

C = 'glance CLI'
UUID, TOKEN = USERS['glance']
BOB, BOB_TOKEN = USERS['bob']


@pytest.fixture(scope='module')
def g(stack):
    """Run the glance CLI as the module's user."""
    def call(*args, **kwargs):
        return glance(stack.url, kwargs.pop('token', TOKEN), *args, **kwargs)
    return call


def _create(stack, g, name, *extra):
    loc = stack.upload(TOKEN, 'images', name + '.img', b'd' * 2048)
    r = g('image-create', '--name', name, '--disk-format', 'raw', '--container-format',
          'bare', '--location', loc, *extra)
    assert r.returncode == 0, r.stderr
    return glance_show(r.stdout), loc


@pytest.mark.compat(C, 'image-create --location', family='create without data')
@pytest.mark.compat(C, 'image-create --location at a registered file',
                    caveat='409 naming the existing image: a Pithos file is one image '
                           '(Glance would make a second image)', family='create without data')
@pytest.mark.compat(C, 'image-show <id>', family='show')
@pytest.mark.compat(C, 'image-show <name>', family='show')
@pytest.mark.compat(C, 'image-show <unknown id>', family='show')
@pytest.mark.compat(C, 'image-list', family='list')
@pytest.mark.compat(C, 'image-list --page-size 2', family='list')
@pytest.mark.compat(C, 'image-list with every filter and sort option', family='list')
@pytest.mark.compat(C, 'image-list --owner / --all-tenants',
                    caveat='--owner filters on the client, as against Glance', family='list')
def test_create_show_list(stack, g):
    img, loc = _create(stack, g, 'cli-a', '--min-ram', '512', '--min-disk', '2',
                       '--is-public', 'False', '--is-protected', 'False',
                       '--property', 'os_distro=debian', '--property', 'k=v=w')
    assert img['name'] == 'cli-a' and img['status'] == 'active'
    assert img['disk_format'] == 'raw' and img['min_ram'] == '512'
    assert img['Property \'os_distro\''] == 'debian' and img["Property 'k'"] == 'v=w'
    r = g('image-create', '--name', 'again', '--disk-format', 'raw',
          '--container-format', 'bare', '--location', loc)
    assert r.returncode == 1 and img['id'] in r.stderr and 'already registered' in r.stderr
    for name in ('cli-b', 'cli-c', 'cli-d', 'cli-e'):
        _create(stack, g, name)

    shown = glance_show(g('image-show', img['id']).stdout)
    assert shown['id'] == img['id'] and shown['min_ram'] == '512'
    assert shown['is_public'] == 'False' and shown['protected'] == 'False'
    assert shown["Property 'k'"] == 'v=w'
    r = g('image-show', 'cli-a')
    assert r.returncode == 0 and glance_show(r.stdout)['id'] == img['id']
    r = g('image-show', NO_SUCH_ID)
    assert r.returncode == 1
    assert "No image with a name or ID of '%s' exists." % NO_SUCH_ID in r.stderr

    r = g('image-list')
    assert r.returncode == 0, r.stderr
    rows = glance_list(r.stdout)
    assert [row['Name'] for row in rows] == ['cli-a', 'cli-b', 'cli-c', 'cli-d', 'cli-e']
    assert rows[0]['Status'] == 'active' and rows[0]['Size'] == '2048'
    r = g('image-list', '--page-size', '2')
    assert r.returncode == 0 and len(glance_list(r.stdout)) == 5
    r = g('image-list', '--name', 'cli-a', '--status', 'active', '--container-format',
          'bare', '--disk-format', 'raw', '--size-min', '1', '--size-max', '100000000',
          '--property-filter', 'os_distro=debian', '--is-public', 'False',
          '--changes-since', '2020-01-01T00:00:00', '--sort-key', 'created_at',
          '--sort-dir', 'desc')
    assert r.returncode == 0, r.stderr
    assert [row['ID'] for row in glance_list(r.stdout)] == [img['id']]
    r = g('image-list', '--property-filter', 'os_distro=fedora')
    assert r.returncode == 0 and glance_list(r.stdout) == []
    r = g('image-list', '--owner', UUID)
    assert r.returncode == 0 and len(glance_list(r.stdout)) == 5
    r = g('image-list', '--owner', BOB)
    assert r.returncode == 0 and glance_list(r.stdout) == []
    r = g('image-list', '--all-tenants')
    assert r.returncode == 0 and len(glance_list(r.stdout)) == 5


@pytest.mark.compat(C, 'image-update --name/--property/--min-ram/--is-public (under a tty)',
                    family=('update', 'sharing'))
@pytest.mark.compat(C, 'image-update --purge-props (under a tty)', family='update')
@pytest.mark.compat(C, 'image-update <name> (under a tty)', family='update')
def test_update_under_a_tty(stack, g):
    img, _ = _create(stack, g, 'upd', '--property', 'a=1', '--property', 'b=2')
    r = glance_tty(stack.url, TOKEN, 'image-update', 'upd', '--name', 'upd renamed',
                   '--property', 'seq=10', '--property', 'added=yes', '--min-ram', '64',
                   '--is-public', 'False', '--is-protected', 'True')
    assert r.returncode == 0, r.stdout
    got = glance_lib(stack.url, TOKEN).images.get(img['id'])
    assert got.name == 'upd renamed'
    assert got.properties == {'a': '1', 'b': '2', 'seq': '10', 'added': 'yes'}
    assert got.min_ram == 64 and got.protected is True
    r = glance_tty(stack.url, TOKEN, 'image-update', img['id'], '--purge-props',
                   '--property', 'keep=1', '--is-protected', 'False')
    assert r.returncode == 0, r.stdout
    got = glance_lib(stack.url, TOKEN).images.get(img['id'])
    assert got.properties == {'keep': '1'} and got.min_ram == 64


@pytest.mark.compat(C, 'image-update without a tty (CI, cron)',
                    caveat='as against Glance: the CLI refuses ("Unable to upload image '
                           'data to an image which is active") before any request; run it '
                           'under a pseudo-terminal', family='update')
def test_update_without_a_tty_is_refused_by_the_client(stack, g):
    img, _ = _create(stack, g, 'notty')
    r = g('image-update', img['id'], '--min-ram', '32')
    assert r.returncode == 1
    assert 'Unable to upload image data to an image which is active' in r.stderr


@pytest.mark.compat(C, 'image-update --property with stdin not a tty, on a queued image',
                    family='update')
def test_update_queued_image_with_empty_stdin(stack, g):
    r = g('image-create', '--name', 'queued-upd', close_stdin=True)
    assert r.returncode == 0, r.stderr
    image_id = glance_show(r.stdout)['id']
    r = g('image-update', '--property', 'k=v', image_id)
    assert r.returncode == 0, r.stderr
    assert glance_lib(stack.url, TOKEN).images.get(image_id).properties == {'k': 'v'}


@pytest.mark.compat(C, 'image-create with no data (queued)', family='create without data')
def test_create_queued(stack, g):
    r = g('image-create', '--name', 'acc-queued', close_stdin=True)
    assert r.returncode == 0, r.stderr
    assert glance_show(r.stdout)['status'] == 'queued'


@pytest.mark.compat(C, 'image-create --file (chunked upload)', family='create with data')
@pytest.mark.compat(C, 'image-create < file (stdin)', family='create with data')
@pytest.mark.compat(C, 'image-update <queued id> --file', family='create with data')
@pytest.mark.compat(C, 'cat file | image-create (chunked, no size)', family='create with data')
@pytest.mark.compat(C, 'image-update <queued id> --location pithos://...',
                    family='create without data')
def test_uploads(stack, g, tmp_path):
    disk = tmp_path / 'disk.img'
    disk.write_bytes(os.urandom(200000))
    r = g('image-create', '--name', 'acc-file', '--disk-format', 'raw',
          '--container-format', 'bare', '--file', str(disk))
    assert r.returncode == 0, r.stderr
    created = glance_show(r.stdout)
    assert created['status'] == 'active' and created['size'] == '200000'
    assert created['checksum'] == hashlib.md5(disk.read_bytes()).hexdigest()
    with open(disk, 'rb') as f:
        r = g('image-create', '--name', 'acc-stdin', '--disk-format', 'raw',
              '--container-format', 'bare', stdin=f)
    assert r.returncode == 0, r.stderr
    r = g('image-create', '--name', 'acc-q2', close_stdin=True)
    assert r.returncode == 0, r.stderr
    queued = glance_show(r.stdout)['id']
    # data needs both formats, from the request or the stored image (Glance v1)
    r = g('image-update', queued, '--file', str(disk))
    assert r.returncode == 1 and 'format is not specified' in r.stderr
    r = g('image-update', queued, '--file', str(disk), '--disk-format', 'raw',
          '--container-format', 'bare')
    assert r.returncode == 0, r.stderr
    assert glance_show(r.stdout)['status'] == 'active'
    cmd = ' '.join(shlex.quote(a) for a in glance_argv(
        stack.url, TOKEN, 'image-create', '--name', 'acc-pipe', '--disk-format', 'raw',
        '--container-format', 'bare'))
    r = run(['bash', '-c', 'cat %s | %s' % (shlex.quote(str(disk)), cmd)])
    assert r.returncode == 0, r.stderr
    assert glance_show(r.stdout)['size'] == '200000'
    r = g('image-create', '--name', 'acc-q3', '--disk-format', 'raw',
          '--container-format', 'bare', close_stdin=True)
    queued = glance_show(r.stdout)['id']
    loc = stack.upload(TOKEN, 'images', 'later.img', b'L' * 77)
    r = g('image-update', queued, '--location', loc, '--size', '77')
    assert r.returncode == 0, r.stderr
    assert glance_show(r.stdout)['status'] == 'active'


@pytest.mark.compat(C, 'image-create --copy-from / http location',
                    impossible='Plankton registers only pithos:// files: the proxy answers '
                               '400 "External sources are not supported" (exit 1)',
                    family='create without data')
def test_external_sources_are_refused_clearly(g):
    r = g('image-create', '--name', 'cp', '--disk-format', 'raw', '--container-format',
          'bare', '--copy-from', 'http://example.com/x.raw')
    assert r.returncode == 1 and 'External sources are not supported' in r.stderr
    r = g('image-create', '--name', 'cp', '--disk-format', 'raw', '--container-format',
          'bare', '--location', 'http://example.com/x.raw')
    assert r.returncode == 1 and 'pithos://' in r.stderr


@pytest.mark.compat(C, 'image-create --disk-format qcow2',
                    impossible='Plankton stores only the mapped disk formats (default raw): '
                               '400 naming the accepted ones', family='create without data')
def test_unmapped_disk_format(stack, g):
    loc = stack.upload(TOKEN, 'images', 'qcow.img', b'q')
    r = g('image-create', '--name', 'q', '--disk-format', 'qcow2', '--container-format',
          'bare', '--location', loc)
    assert r.returncode == 1 and 'This registry accepts: raw' in r.stderr


@pytest.mark.compat(C, 'image-download (default configuration)',
                    impossible='Plankton serves no image data: 501 naming the pithos:// '
                               'location (download it from Pithos), unless the operator '
                               'enables streaming', family='download')
def test_download(stack, g):
    img, loc = _create(stack, g, 'dl')
    r = g('image-download', '--file', os.devnull, img['id'])
    assert r.returncode == 1 and 'not implemented' in r.stderr.lower()
    assert loc in r.stderr


@pytest.mark.compat(C, 'member-create / member-list --image-id / member-delete',
                    family='sharing')
@pytest.mark.compat(C, 'member-list --tenant-id', family='sharing')
@pytest.mark.compat(C, 'member-create --can-share',
                    caveat='Plankton cannot store can_share: the member is added, '
                           'can_share stays false', family='sharing')
def test_members(stack, g):
    img, _ = _create(stack, g, 'shared')
    r = g('member-create', img['id'], BOB)
    assert r.returncode == 0, r.stderr
    r = g('member-create', '--can-share', img['id'], 'tenant-x')
    assert r.returncode == 0, r.stderr
    rows = glance_list(g('member-list', '--image-id', img['id']).stdout)
    assert sorted(row['Member ID'] for row in rows) == sorted([BOB, 'tenant-x'])
    assert all(row['Can Share'] == '' for row in rows)
    rows = glance_list(g('member-list', '--tenant-id', BOB).stdout)
    assert [row['Image ID'] for row in rows] == [img['id']]
    r = g('member-delete', img['id'], BOB)
    assert r.returncode == 0, r.stderr
    rows = glance_list(g('member-list', '--image-id', img['id']).stdout)
    assert [row['Member ID'] for row in rows] == ['tenant-x']
    r = g('member-delete', img['id'], BOB)
    assert r.returncode == 1 and 'Membership could not be found' in r.stderr


@pytest.mark.compat(C, 'image-delete / -v image-delete', family='delete')
@pytest.mark.compat(C, 'image-delete of a protected image',
                    caveat='as against Glance: the CLI prints the 403 message and exits 0',
                    family='delete')
def test_delete(stack, g):
    img, _ = _create(stack, g, 'del-me')
    prot, _ = _create(stack, g, 'del-prot', '--is-protected', 'True')
    r = g('image-delete', prot['id'])
    assert r.returncode == 0
    assert r.stdout.startswith('HTTP Image is protected: Unable to delete image')
    r = g('-v', 'image-delete', img['id'])
    assert r.returncode == 0, r.stderr
    assert 'Requesting image delete for %s ...' % img['id'] in r.stdout
    r = g('image-show', img['id'])
    assert r.returncode == 1


@pytest.mark.compat(C, 'image-delete on Synnefo 0.13 (S13 upstream)',
                    impossible='Synnefo 0.13 cannot unregister: the CLI prints the 501 '
                               'message and, as for any HTTP error on delete, exits 0',
                    family='delete')
def test_delete_on_s13(s13_stack):
    loc = s13_stack.upload(TOKEN, 'images', 's13.img', b's')
    img = s13_stack.register(TOKEN, 's13', loc)
    r = glance(s13_stack.url, TOKEN, 'image-delete', img['id'])
    assert r.returncode == 0
    assert 'cannot unregister images.: Unable to delete image %s' % img['id'] in r.stdout
    assert glance(s13_stack.url, TOKEN, 'image-show', img['id']).returncode == 0


@pytest.mark.compat(C, 'discovery: --os-image-url URL with no version',
                    caveat='GET /versions lists v2 as CURRENT, so the CLI speaks Image '
                           'API v2 (docs/glance-v2.rst), as against a Glance serving both',
                    family='log in')
@pytest.mark.compat(C, 'discovery: --os-image-url URL/v1', family='log in')
@pytest.mark.compat(C, 'OS_IMAGE_URL / OS_AUTH_TOKEN / OS_IMAGE_API_VERSION environment',
                    family='log in')
def test_endpoint_variants(stack, g):
    _create(stack, g, 'disc')
    exe = glance_argv(stack.url, TOKEN)[0]
    r = run([exe, '--os-image-url', stack.url, '--os-auth-token', TOKEN, 'image-list'])
    assert r.returncode == 0, r.stderr
    # Discovery picks v2 (decision 18): no "falling back to v1" warning.
    assert 'falling back to v1' not in r.stderr and 'disc' in r.stdout
    r = run([exe, '--os-image-url', stack.url + '/v1', '--os-auth-token', TOKEN,
             'image-list'])
    assert r.returncode == 0 and 'disc' in r.stdout, r.stderr
    r = run([exe, 'image-list'], env={'OS_IMAGE_URL': stack.url, 'OS_AUTH_TOKEN': TOKEN,
                                      'OS_IMAGE_API_VERSION': '1'})
    assert r.returncode == 0 and 'disc' in r.stdout, r.stderr


@pytest.mark.compat(C, 'a wrong token (exit 1, "Invalid OpenStack Identity credentials")',
                    family='log in')
def test_bad_token(stack):
    r = glance(stack.url, 'not-a-token', 'image-list')
    assert r.returncode == 1 and 'Invalid OpenStack Identity credentials' in r.stderr
