"""python-glanceclient 4.x, which speaks Image API v2 only, against ``plankton-proxy
serve``: the ``glance`` CLI with no version flag and the library, both from the venv
of tests/clients/glanceclient4.py, run as subprocesses.

What 4.x calls the operations: ``image-update`` has ``--property k=v`` and
``--remove-property k`` (there is no ``--property-add``: argparse refuses it, see
test_cli_update_properties).
"""

import hashlib
import json
import os
import shlex
from urllib.parse import unquote

import pytest
import requests

from tests.clients.conftest import DOWNLOAD_CAVEAT, OPT_IN, USERS
from tests.clients.glanceclient4 import glanceclient4  # noqa: F401 (fixture)
from tests.clients.helpers import glance_list, glance_table, run, run_many

CLI = 'glance CLI 4.x (v2)'
LIB = 'glanceclient.v2 4.x'
UUID, TOKEN = USERS['glance4']
BOB, BOB_TOKEN = USERS['bob']
NO_DOWNLOAD = ('Plankton serves no image data: 501 naming the pithos:// location '
               '(download it from Pithos), unless the operator enables streaming')
MEMBER_CAVEAT = ("Plankton keeps no member status: a new member is 'accepted' at once "
                 "(Glance: 'pending' until the member answers)")
ACCEPT_CAVEAT = ("Plankton keeps no member status: the member is 'accepted' already, the "
                 "answer only confirms it")
#: glanceclient 4.x's CLI writes its schema cache under ~/.glanceclient; a home of its
#: own keeps it apart from the 2.17 CLI's.
HOME4 = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'build', 'glanceclient4-home')


def glance4_argv(installed, url, *args, token=TOKEN):
    """``glance --os-image-url URL --os-auth-token TOKEN ...`` of glanceclient 4.x
    (``installed``: what the glanceclient4 fixture gives), with no
    ``--os-image-api-version``: 4.x has v2 only."""
    return [installed.glance, '--os-image-url', url, '--os-auth-token', token] + list(args)


def glance4(installed, url, *args, token=TOKEN, **kwargs):
    os.makedirs(HOME4, exist_ok=True)
    return run(glance4_argv(installed, url, *args, token=token), env={'HOME': HOME4},
               timeout=60, **kwargs)


def glance4_shell(installed, url, before, args, after):
    """``sh -c 'BEFORE glance ... AFTER'``, for pipes and redirections."""
    os.makedirs(HOME4, exist_ok=True)
    command = ' '.join([before, shlex.join(glance4_argv(installed, url, *args)), after])
    return run(['sh', '-c', command], env={'HOME': HOME4}, timeout=60)


#: Put before each library script: a v2 client for argv[1] (URL) and argv[2] (token),
#: the rest of argv in ARGS, and error_of(call) -> [exception class, message] or None.
LIBRARY_PREAMBLE = '''
import hashlib, json, sys
import glanceclient
URL, TOKEN, ARGS = sys.argv[1], sys.argv[2], sys.argv[3:]
client = glanceclient.Client('2', endpoint=URL, token=TOKEN)

def error_of(call):
    try:
        call()
    except Exception as e:
        return [type(e).__name__, str(e)]
    return None
'''


def library4(installed, url, script, *args, token=TOKEN):
    """Run ``script`` with glanceclient 4.x's python; it prints one JSON document,
    returned decoded."""
    r = run([installed.python, '-c', LIBRARY_PREAMBLE + script, url, token] + list(args),
            timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def show_table(stdout):
    """A glance 4.x property table (image-show, image-create, member-get) as a dict.
    4.x wraps values longer than 80 characters (os_hash_value) onto rows whose first
    cell is empty; those are joined back."""
    fields, key = {}, None
    for row in glance_table(stdout)[1:]:
        if len(row) != 2:
            continue
        if row[0]:
            key = row[0]
            fields[key] = row[1]
        elif key is not None:
            fields[key] += row[1]
    return fields


def v2_get(stack, token, image_id):
    """The image as the proxy's v2 face answers it, to check what a CLI did."""
    return requests.get(stack.url + '/v2/images/' + image_id,
                        headers={'X-Auth-Token': token}, timeout=30)


def registered(stack, name, data=b'r' * 4096, **properties):
    """An image registered at a Pithos file (no data path involved), as v1 dicts."""
    location = stack.upload(TOKEN, 'images', name + '.img', data)
    return stack.register(TOKEN, name, location, **properties), location


def create_with_file(installed, stack, tmp_path, name, data, *extra):
    disk = tmp_path / (name + '.img')
    disk.write_bytes(data)
    r = glance4(installed, stack.url, 'image-create', '--name', name, '--disk-format', 'raw',
                '--container-format', 'bare', '--file', str(disk), *extra)
    assert r.returncode == 0, r.stderr
    return show_table(r.stdout)


# -- the CLI ------------------------------------------------------------------------

@pytest.mark.compat(CLI, 'image-create --file', family='create with data')
@pytest.mark.compat(CLI, 'image-show <id>', family='show')
@pytest.mark.compat(CLI, 'image-list', family='list')
@pytest.mark.compat(CLI, 'image-list --checksum <md5 of an uploaded image>', family='list')
def test_cli_create_with_file_show_list(glanceclient4, stack, tmp_path):
    data = os.urandom(300000)
    created = create_with_file(glanceclient4, stack, tmp_path, 'gc4-file', data)
    assert created['status'] == 'active' and created['size'] == str(len(data))
    assert created['checksum'] == hashlib.md5(data).hexdigest()
    assert created['os_hash_algo'] == 'sha512'
    assert created['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert created['visibility'] == 'shared' and created['owner'] == UUID
    image_id = created['id']
    shown, listed, by_checksum = run_many([
        lambda: glance4(glanceclient4, stack.url, 'image-show', image_id),
        lambda: glance4(glanceclient4, stack.url, 'image-list'),
        lambda: glance4(glanceclient4, stack.url, 'image-list', '--checksum',
                        created['checksum'])])
    assert shown.returncode == 0, shown.stderr
    fields = show_table(shown.stdout)
    for key in ('id', 'name', 'status', 'size', 'checksum', 'os_hash_value',
                'disk_format', 'container_format'):
        assert fields[key] == created[key], key
    assert listed.returncode == 0, listed.stderr
    assert {'ID': image_id, 'Name': 'gc4-file'} in glance_list(listed.stdout)
    assert by_checksum.returncode == 0, by_checksum.stderr
    assert glance_list(by_checksum.stdout) == [{'ID': image_id, 'Name': 'gc4-file'}]
    r = glance4(glanceclient4, stack.url, 'image-show', image_id, token=BOB_TOKEN)
    assert r.returncode == 1 and 'No image found with ID %s' % image_id in r.stderr


@pytest.mark.compat(CLI, 'image-list --page-size / --limit / --sort-key --sort-dir / --sort',
                    family='list')
@pytest.mark.compat(CLI, 'image-list --property-filter / --tag / --visibility', family='list')
@pytest.mark.compat(CLI, 'image-update --hidden True, image-list --hidden True',
                    family=('update', 'list'))
@pytest.mark.compat(CLI, 'image-list --member-status accepted (as the member)',
                    family=('sharing', 'list'))
@pytest.mark.compat(CLI, 'image-list --member-status pending|rejected',
                    caveat="lists nothing: Plankton keeps no member status, every member "
                           "is 'accepted'", family=('sharing', 'list'))
def test_cli_list_options(glanceclient4, stack):
    names = ['gc4-list-%d' % i for i in range(4)]
    # Set up over raw HTTP (the other tests drive these through the CLI): each CLI
    # start costs half a second.
    images = [registered(stack, name, parity=('even', 'odd')[i % 2])[0]
              for i, name in enumerate(names)]
    headers = {'X-Auth-Token': TOKEN}
    base = stack.url + '/v2/images/'
    for resp in [
            requests.put(base + images[2]['id'] + '/tags/gc4-third', headers=headers),
            requests.patch(base + images[3]['id'], headers=dict(headers, **{
                'Content-Type': 'application/openstack-images-v2.1-json-patch'}),
                json=[{'op': 'replace', 'path': '/visibility', 'value': 'private'}]),
            requests.post(base + images[1]['id'] + '/members', headers=headers,
                          json={'member': BOB})]:
        assert resp.status_code < 300, resp.text

    def names_of(result):
        assert result.returncode == 0, result.stderr
        return [row['Name'] for row in glance_list(result.stdout)
                if row['Name'].startswith('gc4-list-')]

    def image_list(*args, token=TOKEN):
        return lambda: glance4(glanceclient4, stack.url, 'image-list', *args, token=token)
    results = run_many([
        image_list('--page-size', '2', '--sort-key', 'name', '--sort-dir', 'desc'),
        image_list('--sort', 'name:asc', '--property-filter', 'parity=odd'),
        image_list('--tag', 'gc4-third'),
        image_list('--visibility', 'private'),
        image_list('--member-status', 'accepted', token=BOB_TOKEN),
        image_list('--member-status', 'pending', token=BOB_TOKEN),
        image_list('--member-status', 'rejected', token=BOB_TOKEN),
    ])
    assert names_of(results[0]) == names[::-1]
    assert names_of(results[1]) == [names[1], names[3]]
    assert names_of(results[2]) == [names[2]]
    assert names_of(results[3]) == [names[3]]
    assert names_of(results[4]) == [names[1]]
    assert names_of(results[5]) == [] and names_of(results[6]) == []
    r = glance4(glanceclient4, stack.url, 'image-list', '--limit', '2', '--sort-key', 'name',
                '--property-filter', 'parity=even')
    assert names_of(r) == [names[2], names[0]]     # Glance's sort_dir default: desc
    r = glance4(glanceclient4, stack.url, 'image-update', '--hidden', 'True',
                images[0]['id'])
    assert r.returncode == 0, r.stderr
    shown, hidden = run_many([
        lambda: glance4(glanceclient4, stack.url, 'image-list'),
        lambda: glance4(glanceclient4, stack.url, 'image-list', '--hidden', 'True')])
    assert names[0] not in names_of(shown) and names[1] in names_of(shown)
    assert names_of(hidden) == [names[0]]


@pytest.mark.compat(CLI, 'image-create (no data, stdin closed) then image-upload --file',
                    family=('create without data', 'create with data'))
@pytest.mark.compat(CLI, 'image-create < file (stdin)', family='create with data')
@pytest.mark.compat(CLI, 'cat file | image-create (chunked, no size)',
                    family='create with data')
def test_cli_queued_then_upload_and_stdin(glanceclient4, stack, tmp_path):
    data = os.urandom(120000)
    disk = tmp_path / 'disk.img'
    disk.write_bytes(data)
    common = ['--disk-format', 'raw', '--container-format', 'bare']
    # With stdin neither closed nor a tty, the 4.x CLI sends stdin as the image data
    # (as 2.x does), so "no data" means running it as `glance ... <&-`.
    r = glance4(glanceclient4, stack.url, 'image-create', '--name', 'gc4-queued', *common,
                close_stdin=True)
    assert r.returncode == 0, r.stderr
    queued = show_table(r.stdout)
    assert queued['status'] == 'queued' and queued['size'] == 'None'
    r = glance4(glanceclient4, stack.url, 'image-upload', '--file', str(disk),
                queued['id'])
    assert r.returncode == 0, r.stderr
    with open(disk, 'rb') as stdin:
        from_stdin = glance4(glanceclient4, stack.url, 'image-create', '--name',
                             'gc4-stdin', *common, stdin=stdin)
    piped = glance4_shell(glanceclient4, stack.url, 'cat %s |' % shlex.quote(str(disk)),
                          ['image-create', '--name', 'gc4-piped'] + common, '')
    ids = [queued['id']]
    for r in (from_stdin, piped):
        assert r.returncode == 0, r.stderr
        ids.append(show_table(r.stdout)['id'])
    for image_id in ids:
        got = v2_get(stack, TOKEN, image_id).json()
        assert (got['status'], got['size'], got['os_hash_value']) == \
            ('active', len(data), hashlib.sha512(data).hexdigest()), got['name']


@pytest.mark.compat(CLI, 'image-update --property k=v / --remove-property k', family='update')
@pytest.mark.compat(CLI, 'image-update --min-ram/--name/--visibility',
                    family=('update', 'sharing'))
def test_cli_update_properties(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-props')
    r = glance4(glanceclient4, stack.url, 'image-update', '--property', 'os_distro=debian',
                '--property', 'build=42', '--min-ram', '256', '--name', 'gc4-props2',
                '--visibility', 'private', image['id'])
    assert r.returncode == 0, r.stderr
    fields = show_table(r.stdout)
    assert (fields['os_distro'], fields['build'], fields['min_ram'], fields['name'],
            fields['visibility']) == ('debian', '42', '256', 'gc4-props2', 'private')
    r = glance4(glanceclient4, stack.url, 'image-update', '--remove-property', 'build',
                image['id'])
    assert r.returncode == 0, r.stderr
    assert 'build' not in show_table(r.stdout)
    got = v2_get(stack, TOKEN, image['id']).json()
    assert got['os_distro'] == 'debian' and 'build' not in got and got['min_ram'] == 256
    # The issue speaks of `image-update --property-add`: glanceclient 4.x has no such
    # option (nor had 2.x); argparse refuses it before any request is sent.
    r = glance4(glanceclient4, stack.url, 'image-update', '--property-add', 'a=b',
                image['id'])
    assert r.returncode == 2 and 'unrecognized arguments: --property-add' in r.stderr


@pytest.mark.compat(CLI, 'image-tag-update / image-tag-delete', family='tags')
def test_cli_tags(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-tags')
    for tag in ('stable', 'debian', 'stable'):
        r = glance4(glanceclient4, stack.url, 'image-tag-update', image['id'], tag)
        assert r.returncode == 0, r.stderr
    assert glance_list(r.stdout) == [{'ID': image['id'], 'Tags': "['stable', 'debian']"}]
    r = glance4(glanceclient4, stack.url, 'image-tag-delete', image['id'], 'stable')
    assert r.returncode == 0, r.stderr
    assert v2_get(stack, TOKEN, image['id']).json()['tags'] == ['debian']
    r = glance4(glanceclient4, stack.url, 'image-tag-delete', image['id'], 'stable')
    assert r.returncode == 1 and 'Tag stable not found' in r.stderr


@pytest.mark.compat(CLI, 'member-create / member-list / member-get / member-delete',
                    caveat=MEMBER_CAVEAT, family='sharing')
@pytest.mark.compat(CLI, 'member-update <image> <member> accepted (as the member)',
                    caveat=ACCEPT_CAVEAT, family='sharing')
@pytest.mark.compat(CLI, 'member-update <image> <member> pending|rejected',
                    impossible="Plankton keeps no member status, so a member cannot be "
                               "kept 'pending' or 'rejected': 403 saying so (the owner "
                               "can remove the member instead)", family='sharing')
@pytest.mark.compat(CLI, 'member-create on a private image (refused, as by Glance)',
                    family='sharing')
def test_cli_members(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-shared')
    image_id = image['id']

    def g(*args, token=TOKEN):
        return glance4(glanceclient4, stack.url, *args, token=token)
    r = g('member-create', image_id, BOB)
    assert r.returncode == 0, r.stderr
    assert glance_list(r.stdout) == [
        {'Image ID': image_id, 'Member ID': BOB, 'Status': 'accepted'}]
    listed, got, seen_by_bob = run_many([
        lambda: g('member-list', '--image-id', image_id),
        lambda: g('member-get', image_id, BOB),
        lambda: g('image-show', image_id, token=BOB_TOKEN)])
    assert listed.returncode == 0, listed.stderr
    assert glance_list(listed.stdout) == [
        {'Image ID': image_id, 'Member ID': BOB, 'Status': 'accepted'}]
    assert got.returncode == 0, got.stderr
    member = show_table(got.stdout)
    assert (member['image_id'], member['member_id'], member['status']) == \
        (image_id, BOB, 'accepted')
    assert seen_by_bob.returncode == 0, seen_by_bob.stderr
    assert show_table(seen_by_bob.stdout)['id'] == image_id
    r = g('member-create', image_id, BOB)
    assert r.returncode == 1
    assert 'Member %s is duplicated for image %s' % (BOB, image_id) in r.stderr
    # The member answers: 'accepted' is what it already is; the others cannot be kept.
    r = g('member-update', image_id, BOB, 'accepted', token=BOB_TOKEN)
    assert r.returncode == 0, r.stderr
    assert glance_list(r.stdout) == [
        {'Image ID': image_id, 'Member ID': BOB, 'Status': 'accepted'}]
    for status in ('pending', 'rejected'):
        r = g('member-update', image_id, BOB, status, token=BOB_TOKEN)
        assert r.returncode == 1
        assert "Member status '%s' cannot be kept" % status in r.stderr, r.stderr
    r = g('member-delete', image_id, BOB)
    assert r.returncode == 0, r.stderr
    listed, seen_by_bob = run_many([
        lambda: g('member-list', '--image-id', image_id),
        lambda: g('image-show', image_id, token=BOB_TOKEN)])
    assert listed.returncode == 0 and glance_list(listed.stdout) == []
    assert seen_by_bob.returncode == 1
    assert 'No image found with ID %s' % image_id in seen_by_bob.stderr
    r = g('image-update', '--visibility', 'private', image_id)
    assert r.returncode == 0, r.stderr
    r = g('member-create', image_id, BOB)
    assert r.returncode == 1 and 'Only shared images have members' in r.stderr


@pytest.mark.compat(CLI, 'image-download --file / > file' + OPT_IN, caveat=DOWNLOAD_CAVEAT,
                    family='download')
def test_cli_download_when_enabled(glanceclient4, download_stack, tmp_path):
    data = os.urandom(250000)
    created = create_with_file(glanceclient4, download_stack, tmp_path, 'gc4-dl', data)
    # With os_hash_value set, glanceclient 4.x checks the sha512 of what it receives and
    # exits non-zero on a mismatch: exit 0 below means the check ran and passed.
    assert created['os_hash_value'] == hashlib.sha512(data).hexdigest()
    to_file, piped = tmp_path / 'to-file.img', tmp_path / 'piped.img'
    by_file, by_pipe = run_many([
        lambda: glance4(glanceclient4, download_stack.url, 'image-download',
                        '--file', str(to_file), created['id']),
        lambda: glance4_shell(glanceclient4, download_stack.url, '',
                              ['image-download', created['id']],
                              '> ' + shlex.quote(str(piped)))])
    assert by_file.returncode == 0, by_file.stderr
    assert by_pipe.returncode == 0, by_pipe.stderr
    assert to_file.read_bytes() == data and piped.read_bytes() == data
    # Change the Pithos file behind the proxy's back: the same CLI now refuses what it
    # receives, so the check above really compared sha512s.
    location = requests.head(download_stack.upstream + '/images/' + created['id'],
                             headers={'X-Auth-Token': TOKEN}, timeout=30
                             ).headers['x-image-meta-location']
    _, container, name = unquote(location[len('pithos://'):]).split('/', 2)
    damaged = bytearray(data)
    damaged[1000] ^= 1
    download_stack.upload(TOKEN, container, name, bytes(damaged))
    r = glance4(glanceclient4, download_stack.url, 'image-download', '--file',
                str(tmp_path / 'damaged.img'), created['id'])
    assert r.returncode == 1 and 'Corrupt image download' in r.stderr
    assert created['os_hash_value'] in r.stderr


@pytest.mark.compat(CLI, 'image-download (default configuration)', impossible=NO_DOWNLOAD,
                    family='download')
def test_cli_download_by_default(glanceclient4, stack, tmp_path):
    image, location = registered(stack, 'gc4-nodl')
    target = tmp_path / 'never.img'
    r = glance4(glanceclient4, stack.url, 'image-download', '--file', str(target),
                image['id'])
    assert r.returncode == 1
    assert "Unable to download image '%s'" % image['id'] in r.stderr
    assert location in r.stderr and 'not implemented' in r.stderr.lower()
    assert not target.exists()


@pytest.mark.compat(CLI, 'image-delete', family='delete')
@pytest.mark.compat(CLI, 'image-delete of a protected image (refused, as by Glance)',
                    family='delete')
def test_cli_delete(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-del')
    kept, _ = registered(stack, 'gc4-kept')
    r = glance4(glanceclient4, stack.url, 'image-update', '--protected', 'True', kept['id'])
    assert r.returncode == 0, r.stderr
    r = glance4(glanceclient4, stack.url, 'image-delete', image['id'], kept['id'])
    assert r.returncode == 1
    assert "You are not permitted to delete the image '%s'" % kept['id'] in r.stderr
    assert v2_get(stack, TOKEN, image['id']).status_code == 404
    assert v2_get(stack, TOKEN, kept['id']).status_code == 200
    r = glance4(glanceclient4, stack.url, 'image-show', image['id'])
    assert r.returncode == 1 and 'No image found with ID %s' % image['id'] in r.stderr


@pytest.mark.compat(CLI, 'location-add --url',
                    impossible="the data of an image is its Pithos file: 403 \"It's not "
                               "allowed to add locations if locations are invisible\", as "
                               "from a Glance with show_multiple_locations off",
                    family='create without data')
@pytest.mark.compat(CLI, 'image-create-via-import / import-info',
                    impossible='image import (Image API 2.6) is not served: Plankton '
                               'registers Pithos files; the CLI stops at the 404 of '
                               'GET /v2/info/import, before creating anything',
                    family='create with data')
def test_cli_what_plankton_cannot_do(glanceclient4, stack, tmp_path):
    image, _ = registered(stack, 'gc4-cannot')
    disk = tmp_path / 'imp.img'
    disk.write_bytes(b'i' * 100)
    location, via_import, info = run_many([
        lambda: glance4(glanceclient4, stack.url, 'location-add', '--url',
                        'http://example.org/disk.img', image['id']),
        lambda: glance4(glanceclient4, stack.url, 'image-create-via-import', '--name',
                        'gc4-imported', '--disk-format', 'raw', '--container-format',
                        'bare', '--file', str(disk)),
        lambda: glance4(glanceclient4, stack.url, 'import-info')])
    assert location.returncode == 1
    assert ("It's not allowed to add locations if locations are invisible"
            in location.stderr)
    assert via_import.returncode == 1 and 'could not be found' in via_import.stderr
    assert info.returncode == 1
    assert 'Target Glance does not support Image Import workflow' in info.stderr
    listed = glance4(glanceclient4, stack.url, 'image-list')
    assert 'gc4-imported' not in listed.stdout


@pytest.mark.compat(CLI, 'image-create --disk-format qcow2',
                    impossible='Plankton stores only the mapped disk formats (default raw): '
                               'the schema the proxy serves lists them, so the 4.x CLI '
                               'refuses before sending anything, naming the accepted ones',
                    family='create without data')
def test_cli_unmapped_disk_format(glanceclient4, stack):
    r = glance4(glanceclient4, stack.url, 'image-create', '--name', 'gc4-qcow2',
                '--disk-format', 'qcow2', '--container-format', 'bare', close_stdin=True)
    assert r.returncode == 1
    assert "Unable to set 'disk_format' to 'qcow2'" in r.stderr
    assert "[None, 'raw']" in r.stderr


@pytest.mark.compat(CLI, 'image-deactivate / image-reactivate',
                    impossible='Plankton has no deactivated status and no admin role: the '
                               'proxy answers 403, as Glance by its default policy '
                               'answers a non-admin; the image stays active')
def test_cli_deactivate_reactivate(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-deactivate')
    for action in ('image-deactivate', 'image-reactivate'):
        r = glance4(glanceclient4, stack.url, action, image['id'])
        assert r.returncode == 1 and 'not authorized' in r.stderr, r.stderr
    assert v2_get(stack, TOKEN, image['id']).json()['status'] == 'active'


# -- the library ----------------------------------------------------------------------

UPLOAD_DOWNLOAD_SCRIPT = '''
path, = ARGS
with open(path, 'rb') as f:
    data = f.read()
out = {}
image = client.images.create(name='gc4-lib', disk_format='raw', container_format='bare',
                             tags=['lib4'], note='first')
out['created'] = dict(image)
with open(path, 'rb') as f:
    client.images.upload(image['id'], f, image_size=len(data))
out['uploaded'] = dict(client.images.get(image['id']))
out['listed'] = [i['id'] for i in client.images.list()]
# images.data checks the sha512 of os_hash_value while it iterates (IOError if not).
out['downloaded_sha512'] = hashlib.sha512(b''.join(client.images.data(image['id']))
                                          ).hexdigest()
out['updated'] = dict(client.images.update(image['id'], os_distro='debian', min_ram=64))
out['removed'] = dict(client.images.update(image['id'], remove_props=['note']))
client.images.delete(image['id'])
out['after_delete'] = error_of(lambda: client.images.get(image['id']))
print(json.dumps(out))
'''


@pytest.mark.compat(LIB, 'images.create() + images.upload(id, file)',
                    family=('create without data', 'create with data'))
@pytest.mark.compat(LIB, 'images.list() / images.get(id)', family=('list', 'show'))
@pytest.mark.compat(LIB, 'images.data(id)' + OPT_IN, caveat=DOWNLOAD_CAVEAT, family='download')
@pytest.mark.compat(LIB, 'images.update(id, k=v, remove_props=[...])', family='update')
@pytest.mark.compat(LIB, 'images.delete(id)', family='delete')
def test_library_upload_download_update_delete(glanceclient4, download_stack, tmp_path):
    data = os.urandom(200000)
    disk = tmp_path / 'lib.img'
    disk.write_bytes(data)
    out = library4(glanceclient4, download_stack.url, UPLOAD_DOWNLOAD_SCRIPT, str(disk))
    created, uploaded = out['created'], out['uploaded']
    assert created['status'] == 'queued' and created['size'] is None
    assert created['tags'] == ['lib4'] and created['note'] == 'first'
    assert uploaded['id'] == created['id'] and uploaded['status'] == 'active'
    assert uploaded['size'] == len(data)
    assert uploaded['checksum'] == hashlib.md5(data).hexdigest()
    assert uploaded['os_hash_algo'] == 'sha512'
    assert uploaded['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert created['id'] in out['listed']
    assert out['downloaded_sha512'] == hashlib.sha512(data).hexdigest()
    assert out['updated']['os_distro'] == 'debian' and out['updated']['min_ram'] == 64
    assert 'note' not in out['removed'] and out['removed']['os_distro'] == 'debian'
    assert out['after_delete'][0] == 'HTTPNotFound'


@pytest.mark.compat(LIB, 'images.data(id) (default configuration)', impossible=NO_DOWNLOAD,
                    family='download')
def test_library_download_by_default(glanceclient4, stack):
    image, location = registered(stack, 'gc4-lib-nodl')
    error = library4(glanceclient4, stack.url,
                     'print(json.dumps(error_of(lambda: b"".join('
                     'client.images.data(ARGS[0])))))', image['id'])
    assert error[0] == 'HTTPNotImplemented' and location in error[1]


TAGS_MEMBERS_SCRIPT = '''
image_id, member_id, member_token = ARGS
# Glance lets only the member answer for itself.
as_member = glanceclient.Client('2', endpoint=URL, token=member_token)
out = {}
client.image_tags.update(image_id, 'lib4-a')
client.image_tags.update(image_id, 'lib4-b')
client.image_tags.delete(image_id, 'lib4-a')
out['tags'] = client.images.get(image_id)['tags']
out['created'] = dict(client.image_members.create(image_id, member_id))
out['listed'] = [dict(m) for m in client.image_members.list(image_id)]
out['accepted'] = dict(as_member.image_members.update(image_id, member_id, 'accepted'))
out['rejected'] = error_of(lambda: as_member.image_members.update(image_id, member_id,
                                                                  'rejected'))
client.image_members.delete(image_id, member_id)
out['after_delete'] = [dict(m) for m in client.image_members.list(image_id)]
print(json.dumps(out))
'''


@pytest.mark.compat(LIB, 'image_tags.update(id, tag) / image_tags.delete(id, tag)',
                    family='tags')
@pytest.mark.compat(LIB, 'image_members.create / list / delete', caveat=MEMBER_CAVEAT,
                    family='sharing')
@pytest.mark.compat(LIB, "image_members.update(id, member, 'accepted') (as the member)",
                    caveat=ACCEPT_CAVEAT, family='sharing')
@pytest.mark.compat(LIB, "image_members.update(id, member, 'rejected'|'pending')",
                    impossible="Plankton keeps no member status: HTTPForbidden (403) "
                               "saying so (the owner can remove the member instead)",
                    family='sharing')
def test_library_tags_and_members(glanceclient4, stack):
    image, _ = registered(stack, 'gc4-lib-members')
    out = library4(glanceclient4, stack.url, TAGS_MEMBERS_SCRIPT, image['id'], BOB,
                   BOB_TOKEN)
    assert out['tags'] == ['lib4-b']
    assert (out['created']['member_id'], out['created']['status']) == (BOB, 'accepted')
    assert [(m['image_id'], m['member_id'], m['status']) for m in out['listed']] == \
        [(image['id'], BOB, 'accepted')]
    assert out['accepted']['status'] == 'accepted'
    assert out['rejected'][0] == 'HTTPForbidden'
    assert "Member status 'rejected' cannot be kept" in out['rejected'][1]
    assert out['after_delete'] == []
