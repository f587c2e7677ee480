"""Image API v2 through ``plankton-proxy serve`` and the embedded backend,
with raw HTTP and the real clients (openstack CLI without a version flag,
openstacksdk's default proxy, glanceclient v2)."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import requests

BIN = os.path.dirname(sys.executable)
PATCH = 'application/openstack-images-v2.1-json-patch'


@pytest.fixture(scope='module')
def stack():
    from plankton_proxy.testing import Stack
    s = Stack(['--in-memory'])
    yield s
    s.stop()


@pytest.fixture(scope='module')
def alice(stack):
    return stack.users[0]


@pytest.fixture(scope='module')
def bob(stack):
    return stack.users[1]


def new_image(stack, token, name=None, **kw):
    name = name or 'img-' + uuid.uuid4().hex[:8]
    loc = stack.upload(token, 'images', name + '.img', b'x' * 64)
    return stack.register(token, name, loc, **kw)


def v2(stack, token, method, path, body=None, ctype='application/json',
       headers=None, **kw):
    headers = dict(headers or {}, **{'X-Auth-Token': token})
    data = None
    if body is not None:
        data = json.dumps(body)
        headers['Content-Type'] = ctype
    return requests.request(method, stack.url + '/v2' + path, headers=headers,
                            data=data, **kw)


def patch(stack, token, image_id, ops, ctype=PATCH):
    return v2(stack, token, 'PATCH', '/images/' + image_id, ops, ctype=ctype)


# -- discovery and schemas ----------------------------------------------------

def test_discovery_lists_v2_current_then_v1_supported(stack):
    doc = requests.get(stack.url + '/versions').json()
    ids = [(v['id'], v['status']) for v in doc['versions']]
    assert ids[0] == ('v2.4', 'CURRENT')
    assert ('v1.1', 'SUPPORTED') in ids and ('v1.0', 'SUPPORTED') in ids
    assert all(s != 'CURRENT' for i, s in ids if i.startswith('v1'))
    resp = requests.get(stack.url + '/v2/')
    assert resp.status_code == 200 and resp.json()['version']['id'] == 'v2.4'


def test_schemas(stack, alice):
    for name in ('image', 'images', 'member', 'members'):
        resp = v2(stack, alice[1], 'GET', '/schemas/' + name)
        assert resp.status_code == 200 and resp.json()['name'] == name
    image = v2(stack, alice[1], 'GET', '/schemas/image').json()
    assert 'community' not in image['properties']['visibility']['enum']
    assert image['properties']['disk_format']['enum'] == [None, 'raw']
    assert v2(stack, alice[1], 'GET', '/schemas/nope').status_code == 404


# -- one face, one model --------------------------------------------------------

def test_v1_metadata_shows_the_same_through_v2_and_back(stack, alice):
    token = alice[1]
    im = new_image(stack, token)
    requests.put(stack.url + '/v1/images/' + im['id'], headers={
        'X-Auth-Token': token, 'x-image-meta-min-ram': '256',
        'x-image-meta-protected': 'True', 'x-image-meta-property-os': 'debian'})
    got = v2(stack, token, 'GET', '/images/' + im['id']).json()
    assert got['min_ram'] == 256 and got['protected'] is True
    assert got['os'] == 'debian' and got['visibility'] == 'shared'
    assert got['status'] == 'active' and got['size'] == 64
    assert got['created_at'].endswith('Z') and got['tags'] == []
    assert got['self'] == '/v2/images/' + im['id']
    resp = patch(stack, token, im['id'], [
        {'op': 'replace', 'path': '/protected', 'value': False},
        {'op': 'add', 'path': '/arch', 'value': 'x86_64'},
        {'op': 'remove', 'path': '/os'},
        {'op': 'replace', 'path': '/tags', 'value': ['a', 'b']},
        {'op': 'replace', 'path': '/visibility', 'value': 'public'},
        {'op': 'replace', 'path': '/min_disk', 'value': 3}])
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out['visibility'] == 'public' and out['tags'] == ['a', 'b']
    assert 'os' not in out and out['arch'] == 'x86_64' and out['min_disk'] == 3
    head = requests.head(stack.url + '/v1/images/' + im['id'],
                         headers={'X-Auth-Token': token}).headers
    assert head['x-image-meta-is_public'] == 'True'
    assert head['x-image-meta-protected'] == 'False'
    assert head['x-image-meta-min_disk'] == '3'
    assert head['x-image-meta-property-arch'] == 'x86_64'
    assert 'x-image-meta-property-os' not in head
    # reserved keys (tags) never show through v1
    assert not any('x_glance' in k or 'x-glance' in k for k in head)


# -- JSON patch edge cases --------------------------------------------------------

@pytest.mark.parametrize('ops,status', [
    ([{'op': 'replace', 'path': '/status', 'value': 'active'}], 403),
    ([{'op': 'replace', 'path': '/id', 'value': 'x'}], 403),
    ([{'op': 'replace', 'path': '/checksum', 'value': 'x'}], 403),
    ([{'op': 'add', 'path': '/deleted', 'value': 'x'}], 403),
    ([{'op': 'add', 'path': '/x_glance_min_ram', 'value': '1'}], 403),
    ([{'op': 'replace', 'path': '/owner', 'value': 'bob'}], 403),
    ([{'op': 'remove', 'path': '/name'}], 403),
    ([{'op': 'remove', 'path': '/nope'}], 409),
    ([{'op': 'replace', 'path': '/nope', 'value': 'v'}], 409),
    ([{'op': 'move', 'path': '/a', 'from': '/b'}], 400),
    ([{'op': 'add', 'path': 'noslash', 'value': 'v'}], 400),
    ([{'op': 'add', 'path': '/a/b', 'value': 'v'}], 400),
    ([{'op': 'add', 'path': '/a'}], 400),
    ([{'op': 'add', 'path': '/min_ram', 'value': 'lots'}], 400),
    ([{'op': 'add', 'path': '/min_ram', 'value': -1}], 400),
    ([{'op': 'add', 'path': '/prop', 'value': 5}], 400),
    ([{'op': 'replace', 'path': '/visibility', 'value': 'community'}], 400),
    ([{'op': 'replace', 'path': '/visibility', 'value': 'everyone'}], 400),
    ([{'op': 'replace', 'path': '/disk_format', 'value': 'qcow2'}], 400),
    ([{'op': 'replace', 'path': '/name', 'value': None}], 400),
    ([{'op': 'replace', 'path': '/tags', 'value': ['a', 'x' * 256]}], 400),
    ({'op': 'add'}, 400),
    (['add'], 400),
])
def test_patch_edge_cases(stack, alice, ops, status):
    im = new_image(stack, alice[1])
    resp = patch(stack, alice[1], im['id'], ops)
    assert resp.status_code == status, resp.text
    assert 'code' in list(resp.json().values())[0]
    # nothing changed
    after = v2(stack, alice[1], 'GET', '/images/' + im['id']).json()
    assert after['name'] == im['name'] and after['visibility'] == 'shared'


def test_patch_media_type_and_draft4(stack, alice):
    im = new_image(stack, alice[1])
    resp = patch(stack, alice[1], im['id'], [], ctype='application/json')
    assert resp.status_code == 415 and 'Accept-Patch' in resp.headers
    resp = patch(stack, alice[1], im['id'], [{'add': '/k', 'value': 'v'}],
                 ctype='application/openstack-images-v2.0-json-patch')
    assert resp.status_code == 200 and resp.json()['k'] == 'v'
    resp = patch(stack, alice[1], im['id'], [{'add': '/k', 'value': 'w'}],
                 ctype='application/openstack-images-v2.0-json-patch')
    assert resp.status_code == 409
    # v2.1: add replaces an existing property
    resp = patch(stack, alice[1], im['id'], [{'op': 'add', 'path': '/k', 'value': 'w'}])
    assert resp.status_code == 200 and resp.json()['k'] == 'w'


def test_not_found_and_not_visible(stack, alice, bob):
    im = new_image(stack, alice[1])
    for who in (bob[1],):
        assert v2(stack, who, 'GET', '/images/' + im['id']).status_code == 404
        assert patch(stack, who, im['id'], []).status_code == 404
        assert v2(stack, who, 'DELETE', '/images/' + im['id']).status_code == 404
    missing = str(uuid.uuid4())
    assert v2(stack, alice[1], 'GET', '/images/' + missing).status_code == 404
    assert v2(stack, alice[1], 'GET', '/nothing').status_code == 404
    assert v2(stack, alice[1], 'POST', '/images/' + im['id']).status_code == 405
    # Plankton's own list route is no image id (v1's /images/detail is a list)
    resp = v2(stack, alice[1], 'GET', '/images/detail')
    assert resp.status_code == 404 and resp.json()['itemNotFound']['code'] == 404
    assert v2(stack, alice[1], 'DELETE', '/images/detail').status_code == 404


# -- tags, delete, members, list --------------------------------------------------

def test_tags_and_protected_delete(stack, alice):
    im = new_image(stack, alice[1])
    path = '/images/%s/tags/' % im['id']
    assert v2(stack, alice[1], 'PUT', path + 'one').status_code == 204
    assert v2(stack, alice[1], 'PUT', path + 'two').status_code == 204
    assert v2(stack, alice[1], 'PUT', path + 'one').status_code == 204
    assert v2(stack, alice[1], 'DELETE', path + 'one').status_code == 204
    assert v2(stack, alice[1], 'DELETE', path + 'one').status_code == 404
    got = v2(stack, alice[1], 'GET', '/images/' + im['id']).json()
    assert got['tags'] == ['two']
    listed = v2(stack, alice[1], 'GET', '/images?tag=two').json()['images']
    assert [i['id'] for i in listed] == [im['id']]
    patch(stack, alice[1], im['id'], [{'op': 'replace', 'path': '/protected',
                                      'value': True}])
    assert v2(stack, alice[1], 'DELETE', '/images/' + im['id']).status_code == 403
    patch(stack, alice[1], im['id'], [{'op': 'replace', 'path': '/protected',
                                      'value': False}])
    assert v2(stack, alice[1], 'DELETE', '/images/' + im['id']).status_code == 204
    assert v2(stack, alice[1], 'GET', '/images/' + im['id']).status_code == 404


def test_members(stack, alice, bob):
    im = new_image(stack, alice[1])
    base = '/images/%s/members' % im['id']
    resp = v2(stack, alice[1], 'POST', base, {'member': bob[0]})
    assert resp.status_code == 200, resp.text
    assert resp.json()['status'] == 'accepted' and resp.json()['member_id'] == bob[0]
    assert v2(stack, alice[1], 'POST', base, {'member': bob[0]}).status_code == 409
    assert v2(stack, alice[1], 'POST', base, {}).status_code == 400
    members = v2(stack, alice[1], 'GET', base).json()
    assert [m['member_id'] for m in members['members']] == [bob[0]]
    # bob sees the image, and may confirm 'accepted' but not keep 'rejected'
    assert v2(stack, bob[1], 'GET', '/images/' + im['id']).status_code == 200
    assert v2(stack, bob[1], 'PUT', base + '/' + bob[0],
              {'status': 'accepted'}).status_code == 200
    assert v2(stack, bob[1], 'PUT', base + '/' + bob[0],
              {'status': 'rejected'}).status_code == 403
    assert v2(stack, alice[1], 'GET', base + '/' + bob[0]).json()['status'] == 'accepted'
    assert v2(stack, alice[1], 'DELETE', base + '/' + bob[0]).status_code == 204
    assert v2(stack, alice[1], 'GET', base + '/' + bob[0]).status_code == 404
    assert v2(stack, bob[1], 'GET', '/images/' + im['id']).status_code == 404
    patch(stack, alice[1], im['id'], [{'op': 'replace', 'path': '/visibility',
                                      'value': 'private'}])
    assert v2(stack, alice[1], 'POST', base, {'member': bob[0]}).status_code == 403


def test_list_paging_sorting_filters(stack, alice):
    token = alice[1]
    tag = 'page-' + uuid.uuid4().hex[:6]
    ids = []
    for i in range(5):
        im = new_image(stack, token, name='%s-%d' % (tag, i))
        requests.put(stack.url + '/v2/images/%s/tags/%s' % (im['id'], tag),
                     headers={'X-Auth-Token': token})
        ids.append(im['id'])
    seen, url = [], '/v2/images?tag=%s&limit=2&sort=name:asc' % tag
    while url:
        doc = requests.get(stack.url + url, headers={'X-Auth-Token': token}).json()
        assert doc['first'].startswith('/v2/images')
        seen += [i['name'] for i in doc['images']]
        url = doc.get('next')
    assert seen == ['%s-%d' % (tag, i) for i in range(5)]
    doc = v2(stack, token, 'GET', '/images?tag=%s&sort_key=name&sort_dir=desc' % tag)
    assert [i['name'] for i in doc.json()['images']][0] == '%s-4' % tag
    doc = v2(stack, token, 'GET', '/images?name=%s-3' % tag).json()
    assert [i['id'] for i in doc['images']] == [ids[3]]
    doc = v2(stack, token, 'GET', '/images?id=in:%s,%s' % (ids[0], ids[1])).json()
    assert sorted(i['id'] for i in doc['images']) == sorted(ids[:2])
    patch(stack, token, ids[2], [{'op': 'replace', 'path': '/os_hidden', 'value': True}])
    doc = v2(stack, token, 'GET', '/images?tag=%s' % tag).json()
    assert ids[2] not in [i['id'] for i in doc['images']]
    doc = v2(stack, token, 'GET', '/images?tag=%s&os_hidden=true' % tag).json()
    assert [i['id'] for i in doc['images']] == [ids[2]]
    assert v2(stack, token, 'GET', '/images?sort_key=bogus').status_code == 400
    assert v2(stack, token, 'GET', '/images?limit=x').status_code == 400
    assert v2(stack, token, 'GET', '/images?marker=nope').status_code == 400
    doc = v2(stack, token, 'GET', '/images?created_at=gt:2000-01-01T00:00:00Z&tag='
             + tag).json()
    assert len(doc['images']) == 4


def test_create_without_data_is_queued_or_says_why(stack, alice):
    resp = v2(stack, alice[1], 'POST', '/images', {
        'name': 'queued-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
        'container_format': 'bare', 'tags': ['t'], 'foo': 'bar'})
    if resp.status_code == 501:
        pytest.skip('no data path in this build: ' + resp.text)
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    assert doc['status'] == 'queued' and doc['tags'] == ['t'] and doc['foo'] == 'bar'
    assert resp.headers['Location'].endswith('/v2/images/' + doc['id'])
    for body, status in [({'name': 'x', 'status': 'active'}, 403),
                         ({'name': 'x', 'self': '/x'}, 403),
                         ({'name': 'x', 'location': 'pithos://a/b/c'}, 403),
                         ({'name': 'x', 'visibility': 'community'}, 400),
                         ({'name': 'x', 'disk_format': 'qcow2'}, 400)]:
        assert v2(stack, alice[1], 'POST', '/images', body).status_code == status


# -- real clients ---------------------------------------------------------------

def osc(stack, token, *args):
    cmd = [os.path.join(BIN, 'openstack'), '--os-auth-type', 'admin_token',
           '--os-endpoint', stack.url, '--os-token', token] + list(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90,
                          stdin=subprocess.DEVNULL, env=env)


def test_openstack_cli_without_a_version_flag(stack, alice):
    token = alice[1]
    im = new_image(stack, token)
    out = osc(stack, token, 'image', 'list', '-f', 'json')
    assert out.returncode == 0, out.stderr
    assert im['id'] in [i['ID'] for i in json.loads(out.stdout)]
    out = osc(stack, token, 'image', 'set', '--property', 'k=v', '--tag', 'cli',
              '--min-ram', '128', im['id'])
    assert out.returncode == 0, out.stderr
    out = osc(stack, token, 'image', 'show', '-f', 'json', im['id'])
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown['min_ram'] == 128 and 'cli' in shown['tags']
    assert shown['properties']['k'] == 'v'
    out = osc(stack, token, 'image', 'delete', im['id'])
    assert out.returncode == 0, out.stderr
    assert v2(stack, token, 'GET', '/images/' + im['id']).status_code == 404


def test_openstacksdk_default_proxy(stack, alice):
    import openstack
    token = alice[1]
    im = new_image(stack, token)
    conn = openstack.connect(auth_type='admin_token',
                             auth={'endpoint': stack.url, 'token': token})
    assert im['id'] in [i.id for i in conn.image.images()]
    got = conn.image.get_image(im['id'])
    assert got.name == im['name'] and got.visibility == 'shared'
    conn.image.update_image(got, min_disk=2, foo='bar')
    conn.image.add_tag(got, 'sdk')
    got = conn.image.get_image(im['id'])
    assert got.min_disk == 2 and got.tags == ['sdk'] and got.properties['foo'] == 'bar'
    conn.image.remove_tag(got, 'sdk')
    conn.image.delete_image(got)
    assert conn.image.find_image(im['id']) is None


def test_glanceclient_v2(stack, alice):
    import glanceclient
    token = alice[1]
    im = new_image(stack, token)
    gc = glanceclient.Client('2', endpoint=stack.url, token=token)
    assert im['id'] in [i['id'] for i in gc.images.list()]
    got = gc.images.get(im['id'])
    assert got['name'] == im['name']
    gc.images.update(im['id'], os_distro='debian', min_ram=32)
    gc.image_tags.update(im['id'], 'gc')
    got = gc.images.get(im['id'])
    assert got['os_distro'] == 'debian' and got['min_ram'] == 32 and got['tags'] == ['gc']
    gc.images.update(im['id'], remove_props=['os_distro'])
    assert 'os_distro' not in gc.images.get(im['id'])
    gc.images.delete(im['id'])
    assert v2(stack, token, 'GET', '/images/' + im['id']).status_code == 404


def test_members_with_the_clients(stack, alice, bob):
    import glanceclient
    im = new_image(stack, alice[1])
    gc = glanceclient.Client('2', endpoint=stack.url, token=alice[1])
    member = gc.image_members.create(im['id'], bob[0])
    assert member['status'] == 'accepted'
    assert [m['member_id'] for m in gc.image_members.list(im['id'])] == [bob[0]]
    gc.image_tags.update(im['id'], 'shared-tag')
    out = osc(stack, alice[1], 'image', 'member', 'list', '-f', 'json', im['id'])
    assert out.returncode == 0, out.stderr
    assert [(m['Member ID'], m['Status']) for m in json.loads(out.stdout)] == \
        [(bob[0], 'accepted')]
    out = osc(stack, bob[1], 'image', 'set', '--accept', '--project', bob[0], im['id'])
    assert out.returncode == 0, out.stderr
    out = osc(stack, bob[1], 'image', 'show', '-f', 'json', im['id'])
    assert out.returncode == 0 and json.loads(out.stdout)['tags'] == ['shared-tag']
    gc.image_members.delete(im['id'], bob[0])
    assert gc.image_members.list(im['id']) is not None
    assert list(gc.image_members.list(im['id'])) == []


def test_glance_cli_v2(stack, alice):
    im = new_image(stack, alice[1])
    glance = [os.path.join(BIN, 'glance'), '--os-image-api-version', '2',
              '--os-image-url', stack.url, '--os-auth-token', alice[1]]
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}

    def run(*args):
        return subprocess.run(glance + list(args), capture_output=True, text=True,
                              timeout=90, stdin=subprocess.DEVNULL, env=env)
    out = run('image-list')
    assert out.returncode == 0 and im['id'] in out.stdout, out.stderr
    out = run('image-update', '--property', 'os_distro=arch', '--min-disk', '4', im['id'])
    assert out.returncode == 0, out.stderr
    out = run('image-tag-update', im['id'], 'cli-tag')
    assert out.returncode == 0, out.stderr
    got = v2(stack, alice[1], 'GET', '/images/' + im['id']).json()
    assert got['os_distro'] == 'arch' and got['min_disk'] == 4
    assert got['tags'] == ['cli-tag']
    out = run('image-download', '--file', os.devnull, im['id'])
    assert out.returncode != 0 and 'pithos://' in out.stderr
