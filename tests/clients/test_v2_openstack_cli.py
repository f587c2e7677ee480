"""``openstack image ...`` without a version flag (python-openstackclient): discovery
through ``GET /`` picks Image API v2, with an ``admin_token`` at the root URL."""

import hashlib
import json

import pytest

from tests.clients.conftest import DOWNLOAD_CAVEAT, OPT_IN, USERS
from tests.clients.helpers import (osc2, osc2_argv, osc2_json, register, run, run_many,
                                   run_tty, v2_image)

C = 'openstack CLI (v2)'
UUID, TOKEN = USERS['osc2']
MEMBER_UUID, MEMBER_TOKEN = USERS['member2']

NO_MEMBER_STATUS = ("Plankton keeps no member status, so every member is 'accepted': "
                    "the proxy answers 403 saying so and the CLI exits 1 with that "
                    "message; the owner can remove the member instead")


@pytest.mark.compat(C, '--os-auth-type admin_token --os-endpoint URL (root: discovery '
                       'through GET / picks v2)', family='log in')
@pytest.mark.compat(C, 'OS_AUTH_TYPE / OS_ENDPOINT / OS_TOKEN environment', family='log in')
@pytest.mark.compat(C, 'image list', family='list')
@pytest.mark.compat(C, 'image show <id> / <name>', family='show')
@pytest.mark.compat(C, 'image set --property K=V --min-ram N', family='update')
@pytest.mark.compat(C, 'image set --tag', family='tags')
@pytest.mark.compat(C, 'image unset --property K', family='update')
@pytest.mark.compat(C, 'image unset --tag', family='tags')
@pytest.mark.compat(C, 'image delete A B', family='delete')
@pytest.mark.compat(C, 'image delete <unknown>', family='delete',
                    caveat="client bug: exit 1 with 'Multi Backend support not enabled.' "
                           "(the CLI's message for any image not found, as against Glance)")
def test_list_show_set_unset_delete(stack):
    url = stack.url
    a = register(stack, TOKEN, 'osc2-a')
    b = register(stack, TOKEN, 'osc2-b')
    listed, by_id, by_name, from_env = run_many([
        lambda: osc2_json(url, TOKEN, 'image', 'list'),
        lambda: osc2_json(url, TOKEN, 'image', 'show', a),
        lambda: osc2_json(url, TOKEN, 'image', 'show', 'osc2-b'),
        lambda: run(osc2_argv(url, TOKEN)[:1] + ['image', 'list', '-f', 'json'], env={
            'OS_AUTH_TYPE': 'admin_token', 'OS_ENDPOINT': url, 'OS_TOKEN': TOKEN})])
    assert {a, b} <= {i['ID'] for i in listed}
    assert from_env.returncode == 0, from_env.stderr
    assert {i['ID'] for i in json.loads(from_env.stdout)} == {i['ID'] for i in listed}
    assert {i['Name'] for i in listed if i['ID'] in (a, b)} == {'osc2-a', 'osc2-b'}
    assert by_id['name'] == 'osc2-a' and by_id['visibility'] == 'shared'
    assert by_id['size'] == 64 and by_id['status'] == 'active'
    assert by_name['id'] == b

    r = osc2(url, TOKEN, 'image', 'set', '--property', 'k=v', '--tag', 'cli',
             '--min-ram', '128', a)
    assert r.returncode == 0, r.stderr
    shown = osc2_json(url, TOKEN, 'image', 'show', a)
    assert shown['min_ram'] == 128 and 'cli' in shown['tags']
    assert shown['properties']['k'] == 'v'

    r = osc2(url, TOKEN, 'image', 'unset', '--property', 'k', '--tag', 'cli', a)
    assert r.returncode == 0, r.stderr
    shown = osc2_json(url, TOKEN, 'image', 'show', a)
    assert 'k' not in shown['properties'] and shown['tags'] == []
    assert shown['min_ram'] == 128

    r = osc2(url, TOKEN, 'image', 'delete', a, b)
    assert r.returncode == 0, r.stderr
    assert v2_image(url, TOKEN, a).status_code == 404
    assert v2_image(url, TOKEN, b).status_code == 404
    r = osc2(url, TOKEN, 'image', 'delete', 'no-such-image')
    assert r.returncode == 1 and 'Multi Backend support not enabled.' in r.stderr


@pytest.mark.compat(C, 'image list --long', family='list')
@pytest.mark.compat(C, 'image list --tag T / --property K=V / --name N / --status S',
                    family='list')
@pytest.mark.compat(C, 'image list --public / --private / --shared', family='list')
@pytest.mark.compat(C, 'image set --public / --private', family='sharing')
def test_list_filters(stack):
    url = stack.url
    tagged = register(stack, TOKEN, 'osc2-f-tagged')
    private = register(stack, TOKEN, 'osc2-f-private')
    public = register(stack, TOKEN, 'osc2-f-public')
    ids = {tagged, private, public}
    r = osc2(url, TOKEN, 'image', 'set', '--tag', 'osc2-filter', '--property', 'f=1', tagged)
    assert r.returncode == 0, r.stderr
    r = osc2(url, TOKEN, 'image', 'set', '--private', private)
    assert r.returncode == 0, r.stderr
    # A public image is in every user's list: the other clients' tests count theirs,
    # so it is public only while the lists below run.
    r = osc2(url, TOKEN, 'image', 'set', '--public', public)
    assert r.returncode == 0, r.stderr
    try:
        (long_, tag, prop, name, status, pub, priv, shared) = run_many([
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--long'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--tag', 'osc2-filter'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--property', 'f=1'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--name', 'osc2-f-private'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--status', 'active'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--public'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--private'),
            lambda: osc2_json(url, TOKEN, 'image', 'list', '--shared')])
    finally:
        r = osc2(url, TOKEN, 'image', 'set', '--private', public)
        assert r.returncode == 0, r.stderr
    rows = {i['ID']: i for i in long_ if i['ID'] in ids}
    assert rows[tagged]['Tags'] == ['osc2-filter'] and rows[tagged]['Size'] == 64
    assert rows[public]['Visibility'] == 'public'
    assert rows[private]['Visibility'] == 'private'
    assert rows[tagged]['Visibility'] == 'shared'
    assert rows[tagged]['Project'] == UUID and rows[tagged]['Disk Format'] == 'raw'
    assert [i['ID'] for i in tag] == [tagged] and [i['ID'] for i in prop] == [tagged]
    assert [i['ID'] for i in name] == [private]
    assert ids <= {i['ID'] for i in status}
    assert [i['ID'] for i in pub] == [public]
    assert private in [i['ID'] for i in priv]
    assert not {tagged, public} & {i['ID'] for i in priv}
    assert tagged in [i['ID'] for i in shared]
    assert not {private, public} & {i['ID'] for i in shared}
    assert v2_image(url, MEMBER_TOKEN, public).status_code == 404


@pytest.mark.compat(C, "image set / create --property with upper case or punctuation in "
                       "the name (os.version, Os-Distro)", family='update',
                    impossible="Plankton would keep os.version as os_version, Os-Distro as "
                               "os_distro: the proxy refuses with 400 naming the key (exit "
                               "1), rather than show a key the user did not set")
@pytest.mark.compat(C, 'names, values and tags with spaces, %, /, = and non-ASCII',
                    family=('update', 'tags'))
@pytest.mark.compat(C, "image unset --tag with '/' in the tag", family='tags',
                    impossible="client bug: the SDK puts the tag in the URL path unescaped, "
                               "so the '/' starts another path segment: 404, exit 1 with "
                               "\"'a/b' is a nonexistent tag\" (as against Glance); the "
                               "tag stays")
def test_odd_names(stack):
    url = stack.url
    name, value = 'débian 12 %/x', 'ä = b%20/c Ω'
    image = register(stack, TOKEN, 'osc2-odd')
    dotted, upper = run_many([
        lambda: osc2(url, TOKEN, 'image', 'set', '--property', 'os.version=12', image),
        lambda: osc2(url, TOKEN, 'image', 'create', '--disk-format', 'raw',
                     '--container-format', 'bare', '--property', 'Os-Distro=x', 'osc2-upper')])
    assert dotted.returncode == 1 and "'os.version'" in dotted.stderr
    assert "'os_version'" in dotted.stderr
    assert upper.returncode == 1 and "'Os-Distro'" in upper.stderr
    assert 'os_version' not in v2_image(url, TOKEN, image).json()
    r = osc2(url, TOKEN, 'image', 'set', '--name', name, '--property', 'k_x=' + value,
             '--tag', 'ü nicode %', '--tag', 'a/b', image)
    assert r.returncode == 0, r.stderr
    shown = osc2_json(url, TOKEN, 'image', 'show', name)
    assert shown['id'] == image and shown['properties']['k_x'] == value
    assert sorted(shown['tags']) == ['a/b', 'ü nicode %']
    assert [i['ID'] for i in osc2_json(url, TOKEN, 'image', 'list', '--name', name)] == \
        [image]
    assert [i['ID'] for i in osc2_json(url, TOKEN, 'image', 'list', '--tag',
                                       'ü nicode %')] == [image]
    r = osc2(url, TOKEN, 'image', 'unset', '--tag', 'ü nicode %', image)
    assert r.returncode == 0, r.stderr
    r = osc2(url, TOKEN, 'image', 'unset', '--tag', 'a/b', image)
    assert r.returncode == 1 and "'a/b' is a nonexistent tag" in r.stderr
    assert v2_image(url, TOKEN, image).json()['tags'] == ['a/b']


@pytest.mark.compat(C, 'image create --file --disk-format --container-format --property',
                    family='create with data')
@pytest.mark.compat(C, 'image create without --file, typed at a terminal (queued)',
                    family='create without data')
@pytest.mark.compat(C, 'image create without --file, stdin not a terminal (CI, cron)',
                    family='create with data',
                    caveat='as against Glance: the CLI uploads its stdin as the data, so '
                           '</dev/null makes an active image of size 0')
def test_create_with_file(stack, tmp_path):
    data = b'cli' * 5000
    disk = tmp_path / 'disk.img'
    disk.write_bytes(data)
    shown = osc2_json(stack.url, TOKEN, 'image', 'create', '--file', str(disk),
                      '--disk-format', 'raw', '--container-format', 'bare',
                      '--property', 'k=v', 'osc2-file')
    assert shown['status'] == 'active' and shown['size'] == len(data)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    got = v2_image(stack.url, TOKEN, shown['id']).json()
    assert got['status'] == 'active' and got['size'] == 15000 and got['k'] == 'v'
    assert got['os_hash_value'] == hashlib.sha512(data).hexdigest()

    typed, piped = run_many([
        lambda: run_tty(osc2_argv(stack.url, TOKEN, 'image', 'create', '--disk-format',
                                  'raw', '--container-format', 'bare', '-f', 'json',
                                  'osc2-queued')),
        lambda: osc2(stack.url, TOKEN, 'image', 'create', '--disk-format', 'raw',
                     '--container-format', 'bare', '-f', 'json', 'osc2-empty')])
    assert typed.returncode == 0, typed.stdout
    queued = json.loads(typed.stdout[typed.stdout.index('{'):])
    assert queued['status'] == 'queued' and queued.get('size') is None
    assert piped.returncode == 0, piped.stderr
    empty = json.loads(piped.stdout)
    assert empty['status'] == 'active' and empty['size'] == 0


@pytest.mark.compat(C, 'image save --file' + OPT_IN, caveat=DOWNLOAD_CAVEAT,
                    family='download')
def test_save_when_download_is_on(download_stack, tmp_path):
    data = b'saved' * 20000
    disk, saved = tmp_path / 'disk.img', tmp_path / 'saved.img'
    disk.write_bytes(data)
    created = osc2_json(download_stack.url, TOKEN, 'image', 'create', '--file', str(disk),
                        '--disk-format', 'raw', '--container-format', 'bare', 'osc2-save')
    r = osc2(download_stack.url, TOKEN, 'image', 'save', '--file', str(saved),
             created['id'])
    assert r.returncode == 0, r.stderr
    assert saved.read_bytes() == data


@pytest.mark.compat(C, 'image save --file (default configuration)', family='download',
                    impossible="Plankton serves no image data: the proxy answers 501 naming "
                               "the pithos:// location; the CLI (a client bug) writes that "
                               "error body to the file, then exits 1 with 'checksum "
                               "mismatch' for an uploaded image (exit 0 for a registered "
                               "file, which has no hash to check)")
def test_save_in_the_default_configuration(stack, tmp_path):
    data = b'nosave' * 1000
    disk = tmp_path / 'disk.img'
    disk.write_bytes(data)
    uploaded = osc2_json(stack.url, TOKEN, 'image', 'create', '--file', str(disk),
                         '--disk-format', 'raw', '--container-format', 'bare',
                         'osc2-nosave')['id']
    registered = register(stack, TOKEN, 'osc2-nosave-registered')
    saved_up, saved_reg = tmp_path / 'up.img', tmp_path / 'reg.img'
    up, reg = run_many([
        lambda: osc2(stack.url, TOKEN, 'image', 'save', '--file', str(saved_up), uploaded),
        lambda: osc2(stack.url, TOKEN, 'image', 'save', '--file', str(saved_reg),
                     registered)])
    assert up.returncode == 1 and 'checksum mismatch' in up.stderr
    assert b'notImplemented' in saved_up.read_bytes()
    assert b'pithos://' in saved_up.read_bytes()
    assert reg.returncode == 0, reg.stderr
    assert b'notImplemented' in saved_reg.read_bytes()
    assert b'pithos://' in saved_reg.read_bytes()


@pytest.mark.compat(C, 'image set --shared', family='sharing')
@pytest.mark.compat(C, 'image add project <image> <project id>', family='sharing')
@pytest.mark.compat(C, 'image member list', family='sharing')
@pytest.mark.compat(C, 'image list --shared / --member-status accepted (as the member)',
                    family=('sharing', 'list'))
@pytest.mark.compat(C, 'image set --accept --project <own id> (as the member)',
                    family='sharing')
@pytest.mark.compat(C, 'image remove project <image> <project id>', family='sharing')
@pytest.mark.compat(C, 'image set --reject --project <own id> (as the member)',
                    family='sharing', caveat=NO_MEMBER_STATUS)
@pytest.mark.compat(C, 'image set --accept / --reject without --project',
                    family='sharing',
                    impossible="client bug: with an admin_token the CLI knows no project "
                               "of its own and exits 1 (\"'NoneType' object has no "
                               "attribute 'project_id'\") before any request, as against "
                               "Glance; give --project")
def test_sharing(stack):
    url = stack.url
    image = register(stack, TOKEN, 'osc2-shared')
    r = osc2(url, TOKEN, 'image', 'set', '--shared', '--tag', 'shared-tag', image)
    assert r.returncode == 0, r.stderr
    assert v2_image(url, TOKEN, image).json()['visibility'] == 'shared'

    added = osc2_json(url, TOKEN, 'image', 'add', 'project', image, MEMBER_UUID)
    assert added['member_id'] == MEMBER_UUID and added['status'] == 'accepted'
    members = osc2_json(url, TOKEN, 'image', 'member', 'list', image)
    assert [(m['Member ID'], m['Status']) for m in members] == [(MEMBER_UUID, 'accepted')]

    accept = osc2(url, MEMBER_TOKEN, 'image', 'set', '--accept', '--project', MEMBER_UUID,
                  image)
    assert accept.returncode == 0, accept.stderr
    assert osc2_json(url, MEMBER_TOKEN, 'image', 'show', image)['tags'] == ['shared-tag']
    listed, shared, accepted, pending = run_many([
        lambda: osc2_json(url, MEMBER_TOKEN, 'image', 'list'),
        lambda: osc2_json(url, MEMBER_TOKEN, 'image', 'list', '--shared'),
        lambda: osc2_json(url, MEMBER_TOKEN, 'image', 'list', '--member-status', 'accepted'),
        lambda: osc2_json(url, MEMBER_TOKEN, 'image', 'list', '--member-status', 'pending')])
    assert image in [i['ID'] for i in listed]
    assert image in [i['ID'] for i in shared] and image in [i['ID'] for i in accepted]
    assert image not in [i['ID'] for i in pending]   # every member is 'accepted'

    reject, no_project = run_many([
        lambda: osc2(url, MEMBER_TOKEN, 'image', 'set', '--reject', '--project',
                     MEMBER_UUID, image),
        lambda: osc2(url, MEMBER_TOKEN, 'image', 'set', '--accept', image)])
    assert reject.returncode == 1
    assert '403' in reject.stderr and "'rejected' cannot be kept" in reject.stderr
    assert 'remove the member' in reject.stderr
    assert no_project.returncode == 1 and 'project_id' in no_project.stderr
    # the refused answer changed nothing
    members = osc2_json(url, TOKEN, 'image', 'member', 'list', image)
    assert [(m['Member ID'], m['Status']) for m in members] == [(MEMBER_UUID, 'accepted')]

    r = osc2(url, TOKEN, 'image', 'remove', 'project', image, MEMBER_UUID)
    assert r.returncode == 0, r.stderr
    assert osc2_json(url, TOKEN, 'image', 'member', 'list', image) == []
    gone = osc2(url, MEMBER_TOKEN, 'image', 'show', image)
    assert gone.returncode == 1 and 'No Image found' in gone.stderr
