"""Each filter alone, and the in-process pipeline, behind the real ``versions``
filter and in front of the embedded backend."""

import json
import threading

import pytest
from webob import Request

from plankton_proxy.middleware import (glance_errors, glance_images, glance_lists,
                                       glance_members, glance_normalize)
from tests.translation.conftest import (ALICE, ALICE_TOKEN, BOB, BOB_TOKEN, USERS,
                                        build_pipeline, with_versions)

GC = {'User-Agent': 'python-glanceclient', 'Content-Type': 'application/octet-stream'}
SDK = {'User-Agent': 'openstacksdk/4.22.0 keystoneauth1/5.18.1'}


def call(app, method, path, token=ALICE_TOKEN, headers=None, body=None, **kw):
    h = dict(headers or {})
    if token:
        h['X-Auth-Token'] = token
    req = Request.blank(path, method=method, headers=h, **kw)
    if body is not None:
        req.body = body if isinstance(body, bytes) else body.encode()
    return req.get_response(app)


def doc(resp):
    return json.loads(resp.body)


def error_message(resp):
    d = doc(resp)
    assert len(d) == 1
    (inner,) = d.values()
    assert inner['code'] == resp.status_int
    return inner['message']


def page_through(app, query):
    """The names of every page of ``/v1/images/detail?<query>``, following the
    last id as the marker until a page comes back empty (as openstacksdk)."""
    seen, marker = [], None
    while True:
        q = query + ('&marker=' + marker if marker else '')
        page = doc(call(app, 'GET', '/v1/images/detail?' + q))['images']
        if not page:
            return seen
        seen += [i['name'] for i in page]
        marker = page[-1]['id']


def create(app, up, name, public=False, props=None, headers=None, user=ALICE,
           token=ALICE_TOKEN, **fields):
    loc = up.add_file(user, 'images', name)
    h = dict(GC)
    h.update({'x-image-meta-name': name, 'x-image-meta-location': loc,
              'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare',
              'x-image-meta-is_public': str(public)})
    for k, v in (props or {}).items():
        h['x-image-meta-property-' + k] = v
    for k, v in fields.items():
        h['x-image-meta-' + k] = str(v)
    h.update(headers or {})
    resp = call(app, 'POST', '/v1/images', token=token, headers=h)
    assert resp.status_int == 201, resp.body
    return doc(resp)['image']


# -- each filter alone --------------------------------------------------------

def test_images_filter_alone(s16_upstream):
    up = s16_upstream
    app = with_versions(glance_images.filter_factory({})(up))
    im = create(app, up, 'alone')
    resp = call(app, 'HEAD', '/v1/images/' + im['id'])
    assert resp.status_int == 200
    assert resp.headers['x-image-meta-disk_format'] == 'raw'
    assert resp.headers['Content-Type'] == 'text/html; charset=UTF-8'
    # routes it does not own pass through to the upstream untouched
    resp = call(app, 'GET', '/v1/images/detail')
    assert resp.status_int == 200 and isinstance(doc(resp), list)


def test_lists_filter_alone(s16_upstream):
    up = s16_upstream
    app = with_versions(glance_lists.filter_factory({})(up))
    loc = up.add_file(ALICE, 'c', 'p')
    call(app, 'POST', '/v1/images/', headers={'x-image-meta-name': 'n',
                                               'x-image-meta-location': loc})
    resp = call(app, 'GET', '/v1/images/detail')
    assert [i['name'] for i in doc(resp)['images']] == ['n']
    assert doc(resp)['images'][0]['disk_format'] == 'raw'


def test_members_filter_alone(s16_upstream):
    up = s16_upstream
    app = with_versions(glance_members.filter_factory({})(up))
    loc = up.add_file(ALICE, 'c', 'p')
    r = call(app, 'POST', '/v1/images/', headers={'x-image-meta-name': 'n',
                                                   'x-image-meta-location': loc})
    image_id = r.headers['x-image-meta-id']
    assert call(app, 'PUT', '/v1/images/%s/members/%s' % (image_id, BOB)).status_int == 204
    assert doc(call(app, 'GET', '/v1/images/%s/members' % image_id)) == {
        'members': [{'member_id': BOB, 'can_share': False}]}


def test_errors_filter_alone(s16_upstream):
    up = s16_upstream
    app = with_versions(glance_errors.filter_factory({})(up))
    resp = call(app, 'GET', '/v1/images/detail', token=None)
    assert resp.status_int == 401 and 'X-Auth-Token' in error_message(resp)
    resp = call(app, 'GET', '/v1/nothing')          # Plankton: 400 endpoint not found
    assert resp.status_int == 404
    resp = call(app, 'HEAD', '/v1/images/not-a-uuid')
    assert resp.status_int == 404 and resp.body == b''

    def boom(environ, start_response):
        raise RuntimeError('x')
    resp = call(with_versions(glance_errors.filter_factory({})(boom)), 'GET', '/v1/images')
    assert resp.status_int == 500 and 'erred' in error_message(resp)


def test_normalize_filter_alone():
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response('200 OK', [])
        return [b'']
    f = with_versions(glance_normalize.filter_factory({})(app))
    call(f, 'PUT', '/v1/images/x', token='a%3Ab%20c',
         headers=dict(GC, **{'x-image-meta-name': 'n%20%C3%A9',
                             'x-image-meta-property-k': 'v%3Dw'}))
    meta = seen['plankton_proxy.request_meta']
    assert meta.fields == {'name': 'n é'} and meta.properties == {'k': 'v=w'}
    assert seen['plankton_proxy.token'] == 'a:b c'
    call(f, 'POST', '/v1/images', headers={'Content-Type': 'application/json'},
         body=json.dumps({'image': {'name': 'j', 'a': 'b', 'deleted': False}}))
    meta = seen['plankton_proxy.request_meta']
    assert meta.fields == {'name': 'j'} and meta.properties == {'a': 'b'}
    resp = call(f, 'POST', '/v1/images', headers={'x-image-meta-size': 'abc'})
    assert resp.status_int == 400 and 'Cannot convert' in error_message(resp)


# -- the pipeline in process ----------------------------------------------------

def test_head_show_and_501(pipeline, upstream):
    im = create(pipeline, upstream, 'show me', props={'os_distro': 'debian'},
                min_ram=128)
    resp = call(pipeline, 'HEAD', '/v1/images/' + im['id'], headers=GC)
    h = resp.headers
    assert h['x-image-meta-name'] == 'show me' and h['x-image-meta-status'] == 'active'
    assert h['x-image-meta-is_public'] == 'False' and h['x-image-meta-min_ram'] == '128'
    assert h['x-image-meta-property-os_distro'] == 'debian'
    assert not any(k.lower().startswith('x-image-meta-property-x') for k in h)
    resp = call(pipeline, 'GET', '/v1/images/' + im['id'], headers=SDK)
    assert resp.status_int == 200 and doc(resp)['image']['min_ram'] == 128
    resp = call(pipeline, 'GET', '/v1/images/' + im['id'], headers=GC)
    assert resp.status_int == 501 and 'pithos://%s/images/show me' % ALICE \
        in error_message(resp)
    resp = call(pipeline, 'GET', '/v1/images/%s/file' % im['id'], headers=SDK)
    assert resp.status_int == 501
    for bad in ('/v1/images/00000000-0000-0000-0000-000000000000', '/v1/images/name'):
        assert call(pipeline, 'GET', bad, headers=SDK).status_int == 404
        assert call(pipeline, 'HEAD', bad, headers=GC).status_int == 404


def test_create_rules(pipeline, upstream, dialect):
    im = create(pipeline, upstream, 'c1')
    # the same location again: 409 naming the existing image
    loc = 'pithos://%s/images/c1' % ALICE
    h = dict(GC, **{'x-image-meta-name': 'x', 'x-image-meta-location': loc,
                    'x-image-meta-disk_format': 'raw',
                    'x-image-meta-container_format': 'bare'})
    resp = call(pipeline, 'POST', '/v1/images', headers=h)
    assert resp.status_int == 409 and im['id'] in error_message(resp)
    # size mismatch: 409 and nothing left registered
    loc2 = upstream.add_file(ALICE, 'images', 'c2', b'abc')
    resp = call(pipeline, 'POST', '/v1/images', headers=dict(
        h, **{'x-image-meta-location': loc2, 'x-image-meta-size': '4'}))
    assert resp.status_int == 409 and 'provided size: 4' in error_message(resp)
    if dialect == 's16':
        assert len(doc(call(pipeline, 'GET', '/v1/images/detail'))['images']) == 1
    resp = call(pipeline, 'POST', '/v1/images', headers=dict(
        h, **{'x-image-meta-location': loc2, 'x-image-meta-size': '3'}))
    assert resp.status_int == 201 and doc(resp)['image']['size'] == 3
    assert resp.headers['Location'].endswith('/v1/images/' + doc(resp)['image']['id'])
    cases = [
        ({'x-image-meta-disk_format': 'qcow2'}, 400, "Invalid disk format 'qcow2'"),
        ({'x-image-meta-container_format': 'ova'}, 400, 'Invalid container format'),
        ({'x-image-meta-id': '6e49b7d3-5e0c-4b7c-a3a6-3d2d6a1b7c11'}, 400,
         'Setting the image ID'),
        ({'x-image-meta-location': 'http://example.com/x.img'}, 400,
         'External sources are not supported'),
        ({'x-glance-api-copy-from': 'http://example.com/x.img'}, 400,
         'External sources are not supported'),
        ({'x-image-meta-foo': 'bar'}, 400, 'Bad header'),
        ({'x-image-meta-disk_format': ''}, 400, 'Disk format is not specified'),
        ({'x-image-meta-location': 'pithos://%s/images/missing' % ALICE}, 404, ''),
        ({'x-image-meta-location': ''}, 400, 'External source should not be empty'),
    ]
    for n, (extra, status, message) in enumerate(cases):
        headers = dict(h, **{'x-image-meta-location':
                             upstream.add_file(ALICE, 'i', 'z%d' % n)})
        headers.update(extra)
        resp = call(pipeline, 'POST', '/v1/images', headers=headers)
        assert resp.status_int == status, (extra, resp.body)
        assert message in error_message(resp)
    resp = call(pipeline, 'POST', '/v1/images', headers=dict(GC, **{
        'x-image-meta-name': 'q'}))
    assert resp.status_int == 501                      # queued: upload issue
    resp = call(pipeline, 'POST', '/v1/images', headers=dict(h, **{
        'x-image-meta-location': ''}), body=b'data')
    assert resp.status_int in (400, 501)


def test_create_from_sdk_json(pipeline, upstream):
    loc = upstream.add_file(ALICE, 'images', 'sdk')
    body = {'image': {'name': 'sdk', 'location': loc, 'disk_format': 'raw',
                      'container_format': 'bare', 'is_public': True, 'min_disk': 3,
                      'os_distro': 'debian', 'deleted': False, 'virtual_size': None}}
    resp = call(pipeline, 'POST', '/v1/images',
                headers=dict(SDK, **{'Content-Type': 'application/json'}),
                body=json.dumps(body))
    assert resp.status_int == 201
    im = doc(resp)['image']
    assert im['is_public'] is True and im['min_disk'] == 3
    assert im['properties'] == {'os_distro': 'debian'}


def test_update_rules(pipeline, upstream, dialect):
    im = create(pipeline, upstream, 'u', props={'a': '1', 'b': '2'})
    url = '/v1/images/' + im['id']
    # no purge header from a raw HTTP client: purge (glance-v1.md §5)
    resp = call(pipeline, 'PUT', url, headers={'x-image-meta-property-c': '3'})
    assert resp.status_int == 200 and doc(resp)['image']['properties'] == {'c': '3'}
    resp = call(pipeline, 'PUT', url, headers={'x-glance-registry-purge-props': 'false',
                                               'x-image-meta-property-d': '4',
                                               'x-image-meta-protected': 'True'})
    assert doc(resp)['image']['properties'] == {'c': '3', 'd': '4'}
    assert doc(resp)['image']['protected'] is True
    for headers, status, message in [
            ({'x-image-meta-status': 'queued'}, 403, "Forbidden to modify 'status'"),
            ({'x-image-meta-id': '6e49b7d3-5e0c-4b7c-a3a6-3d2d6a1b7c11'}, 403, "'id'"),
            ({'x-image-meta-size': '99'}, 403, "Forbidden to modify 'size'"),
            ({'x-image-meta-location': 'pithos://a/b/c'}, 400, 'not in queued status'),
            ({'x-image-meta-disk_format': 'vmdk'}, 400, 'Invalid disk format'),
            ({'x-image-meta-name': ''}, 400, 'requires an image name')]:
        resp = call(pipeline, 'PUT', url, headers=dict(
            headers, **{'x-glance-registry-purge-props': 'false'}))
        assert resp.status_int == status, (headers, resp.body)
        assert message in error_message(resp)
    resp = call(pipeline, 'PUT', url, headers={'Content-Type':
                                               'application/octet-stream'},
                body=b'data')
    assert resp.status_int == 409
    # same status: allowed
    resp = call(pipeline, 'PUT', url, headers={'x-image-meta-status': 'active',
                                               'x-glance-registry-purge-props': 'false'})
    assert resp.status_int == 200
    # protected: delete refused
    resp = call(pipeline, 'DELETE', url)
    assert resp.status_int == 403 and 'protected' in error_message(resp)
    resp = call(pipeline, 'PUT', url, headers={'x-image-meta-protected': 'False',
                                               'x-glance-registry-purge-props': 'false'})
    assert doc(resp)['image']['properties'] == {'c': '3', 'd': '4'}
    resp = call(pipeline, 'PUT', url, headers={'x-image-meta-is_public': 'True',
                                               'x-glance-registry-purge-props': 'false'})
    if dialect == 's13':
        assert resp.status_int == 501
    else:
        assert doc(resp)['image']['is_public'] is True
        resp = call(pipeline, 'DELETE', url)
        assert resp.status_int == 200 and resp.body == b''
        assert call(pipeline, 'HEAD', url).status_int == 404
    # someone else's image
    other = create(pipeline, upstream, 'bobs', user=BOB, token=BOB_TOKEN, public=True)
    resp = call(pipeline, 'PUT', '/v1/images/' + other['id'],
                headers={'x-image-meta-name': 'mine'})
    assert resp.status_int == 403
    assert call(pipeline, 'DELETE', '/v1/images/' + other['id']).status_int == \
        (403 if dialect == 's16' else 501)
    private = create(pipeline, upstream, 'bobs2', user=BOB, token=BOB_TOKEN)
    assert call(pipeline, 'PUT', '/v1/images/' + private['id']).status_int == 404


def test_concurrent_updates_lose_nothing(pipeline, upstream):
    im = create(pipeline, upstream, 'conc')
    url = '/v1/images/' + im['id']
    errors = []

    def put(i):
        resp = call(pipeline, 'PUT', url, headers={
            'x-glance-registry-purge-props': 'false',
            'x-image-meta-property-k%d' % i: str(i)})
        if resp.status_int != 200:
            errors.append(resp.body)
    threads = [threading.Thread(target=put, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    props = doc(call(pipeline, 'GET', url, headers=SDK))['image']['properties']
    assert props == {'k%d' % i: str(i) for i in range(12)}


def test_property_quota(upstream, dialect):
    app = build_pipeline(upstream, upstream_dialect=dialect, property_quota='2')
    im = create(app, upstream, 'q', props={'a': '1', 'b': '2'})
    resp = call(app, 'PUT', '/v1/images/' + im['id'], headers={
        'x-glance-registry-purge-props': 'false', 'x-image-meta-property-c': '3'})
    assert resp.status_int == 413 and 'Attempted: 3, Maximum: 2' in error_message(resp)


def test_405s_and_404s(pipeline, upstream):
    im = create(pipeline, upstream, 'r')
    for method, path, allow in [('HEAD', '/v1/images', 'GET, POST'),
                                ('DELETE', '/v1/images', 'GET, POST'),
                                ('HEAD', '/v1/images/detail', 'GET'),
                                ('POST', '/v1/images/detail', 'GET, HEAD'),
                                ('POST', '/v1/images/' + im['id'],
                                 'GET, HEAD, PUT, DELETE'),
                                ('POST', '/v1/images/%s/members' % im['id'], 'GET, PUT')]:
        resp = call(pipeline, method, path)
        assert resp.status_int == 405 and resp.headers['Allow'] == allow, (method, path)
    for path in ('/v1/images/', '/v1/images/%s/foo' % im['id'], '/v1/nothing'):
        resp = call(pipeline, 'GET', path)
        assert resp.status_int == 404, path
        assert error_message(resp)
    resp = call(pipeline, 'GET', '/v1/images/detail', token=None)
    assert resp.status_int == 401


def test_lists(pipeline, upstream):
    ids = {}
    for i, (name, size) in enumerate([('b', 30), ('a', 10), ('c', 20), ('d', 40)]):
        im = create(pipeline, upstream, name, props={'n': str(i % 2)})
        ids[name] = im['id']
    get = lambda q: call(pipeline, 'GET', '/v1/images/detail?' + q)
    names = lambda r: [i['name'] for i in doc(r)['images']]
    assert names(get('sort_key=name&sort_dir=asc')) == ['a', 'b', 'c', 'd']
    assert names(get('sort_key=name&sort_dir=desc')) == ['d', 'c', 'b', 'a']
    assert names(get('sort_key=name&sort_dir=asc&limit=2&marker=' + ids['b'])) == \
        ['c', 'd']
    assert names(get('sort_key=name&sort_dir=asc&property-n=1')) == ['a', 'd']
    assert names(get('name=c')) == ['c']
    assert names(get('status=active&disk_format=raw&container_format=bare'
                     '&sort_key=name&sort_dir=asc')) == ['a', 'b', 'c', 'd']
    assert names(get('status=queued')) == []
    assert names(get('size_min=2000')) == []
    assert names(get('limit=0')) == []
    r = get('sort_key=name&sort_dir=asc&limit=3')
    assert names(r) == ['a', 'b', 'c']
    link = doc(r)['images_links'][0]
    assert link['rel'] == 'next' and 'marker=' + ids['c'] in link['href']
    assert link['href'].startswith('/v1/images/detail?')
    assert 'images_links' not in doc(get('sort_key=name&sort_dir=asc&limit=4'))
    brief = doc(call(pipeline, 'GET', '/v1/images?name=a'))['images']
    assert brief == [{'id': ids['a'], 'name': 'a', 'size': 1024, 'disk_format': 'raw',
                      'container_format': 'bare', 'checksum': None}]
    # The router's root is the index too (glance-v1.md §2), reached with the v1
    # Accept header; ``/v1/`` itself is the version document (clients.md §0.2).
    assert names(call(pipeline, 'GET', '/?name=a', headers={
        'Accept': 'application/vnd.openstack.images-v1'})) == ['a']
    assert doc(call(pipeline, 'GET', '/v1/?name=a'))['version']['id'] == 'v1.1'
    for q, message in [('limit=x', 'limit param must be an integer'),
                       ('limit=-1', 'limit param must be positive'),
                       ('marker=nope', 'Invalid marker format'),
                       ('marker=00000000-0000-0000-0000-000000000000',
                        'Invalid marker. Image could not be found.'),
                       ('sort_key=owner', 'Unsupported sort_key'),
                       ('sort_dir=up', 'Unsupported sort_dir'),
                       ('size_min=x', 'Bad value passed to filter size_min got x'),
                       ('is_public=maybe', 'Bad value passed to filter is_public'),
                       ('protected=maybe', 'Bad value passed to filter protected'),
                       ('changes-since=', 'Unrecognized changes-since value')]:
        r = get(q)
        assert r.status_int == 400 and message in error_message(r), q
    assert names(get('is_public=None&sort_key=name&sort_dir=asc')) == \
        ['a', 'b', 'c', 'd']
    assert names(get('changes-since=2000-01-01T00:00:00&name=a')) == ['a']
    assert names(get('changes-since=2999-01-01&name=a')) == []
    assert len(doc(get('limit=5000'))['images']) == 4


def test_paging_is_linear(upstream, dialect):
    app = build_pipeline(upstream, upstream_dialect=dialect)
    for i in range(30):
        create(app, upstream, 'p%02d' % i)
    upstream.requests.clear()
    seen = page_through(app, 'limit=3')
    assert len(seen) == 30 and len(set(seen)) == 30
    assert len([r for r in upstream.requests if r[1] == '/images/detail']) == 1


def test_other_callers_do_not_share_the_cache(pipeline, upstream):
    create(pipeline, upstream, 'alice-private')
    create(pipeline, upstream, 'bob-private', user=BOB, token=BOB_TOKEN)
    a = doc(call(pipeline, 'GET', '/v1/images/detail'))['images']
    b = doc(call(pipeline, 'GET', '/v1/images/detail', token=BOB_TOKEN))['images']
    assert [i['name'] for i in a] == ['alice-private']
    assert [i['name'] for i in b] == ['bob-private']


def test_members(pipeline, upstream):
    im = create(pipeline, upstream, 'm')
    base = '/v1/images/%s/members' % im['id']
    assert doc(call(pipeline, 'GET', base)) == {'members': []}     # owner dropped
    resp = call(pipeline, 'PUT', base + '/' + BOB,
                headers={'Content-Type': 'application/json'},
                body=json.dumps({'member': {'can_share': True}}))
    assert resp.status_int == 204 and 'can_share' in resp.headers['Warning']
    resp = call(pipeline, 'PUT', base + '/tenant-x')
    assert resp.status_int == 204 and 'Warning' not in resp.headers
    assert doc(call(pipeline, 'GET', base)) == {'members': [
        {'member_id': BOB, 'can_share': False},
        {'member_id': 'tenant-x', 'can_share': False}]}
    assert doc(call(pipeline, 'GET', base + '/' + BOB)) == {
        'member': {'member_id': BOB, 'can_share': False}}
    assert call(pipeline, 'GET', base + '/nobody').status_int == 404
    resp = call(pipeline, 'DELETE', base + '/nobody')
    assert resp.status_int == 404 and 'Membership could not be found' in \
        error_message(resp)
    assert call(pipeline, 'DELETE', base + '/tenant-x').status_int == 204
    # Glance's shared-images: images shared WITH the member
    assert doc(call(pipeline, 'GET', '/v1/shared-images/' + BOB)) == {
        'shared_images': [{'image_id': im['id'], 'can_share': False}]}
    assert doc(call(pipeline, 'GET', '/v1/shared-images/' + ALICE)) == {
        'shared_images': []}
    # bob (a member) sees the image; he may not change its members -> 404
    assert call(pipeline, 'HEAD', '/v1/images/' + im['id'],
                token=BOB_TOKEN).status_int == 200
    resp = call(pipeline, 'PUT', base + '/someone', token=BOB_TOKEN)
    assert resp.status_int == 404
    # replace
    resp = call(pipeline, 'PUT', base, headers={'Content-Type': 'application/json'},
                body=json.dumps({'memberships': [{'member_id': 't1'},
                                                 {'member_id': 't2',
                                                  'can_share': True}]}))
    assert resp.status_int == 204 and 'Warning' in resp.headers
    assert [m['member_id'] for m in doc(call(pipeline, 'GET', base))['members']] == \
        ['t1', 't2']
    # the owner still lists the image (S13 needs the owner in the read list)
    assert im['id'] in [i['id'] for i in
                        doc(call(pipeline, 'GET', '/v1/images/detail'))['images']]
    for body, message in [('{', 'Malformed JSON'), ('[1]', 'Unexpected body type'),
                          ('{"memberships": [{"x": 1}]}', 'member_id'),
                          ('{}', 'member_id')]:
        resp = call(pipeline, 'PUT', base, headers={'Content-Type': 'application/json'},
                    body=body)
        assert resp.status_int == 400 and message in error_message(resp), body
    assert call(pipeline, 'GET', '/v1/images/00000000-0000-0000-0000-000000000000'
                '/members').status_int == 404
    assert call(pipeline, 'PUT', base + '/a:b').status_int == 400


def test_member_quota(upstream, dialect):
    app = build_pipeline(upstream, upstream_dialect=dialect, member_quota='2')
    im = create(app, upstream, 'mq')
    base = '/v1/images/%s/members' % im['id']
    assert call(app, 'PUT', base + '/t1').status_int == 204
    assert call(app, 'PUT', base + '/t2').status_int == 204
    resp = call(app, 'PUT', base + '/t3')
    assert resp.status_int == 413 and 'Attempted: 3, Maximum: 2' in error_message(resp)
    resp = call(app, 'PUT', base, headers={'Content-Type': 'application/json'},
                body=json.dumps({'memberships': [{'member_id': 'a'}, {'member_id': 'b'},
                                                 {'member_id': 'c'}]}))
    assert resp.status_int == 413


def test_error_shapes_html_and_head(pipeline):
    resp = call(pipeline, 'GET', '/v1/images/00000000-0000-0000-0000-000000000000',
                headers={'Accept': 'text/html', 'User-Agent': 'Mozilla'})
    assert resp.status_int == 404 and resp.content_type == 'text/html'
    assert b'<h1>404 Not Found</h1>' in resp.body
    resp = call(pipeline, 'HEAD', '/v1/images/00000000-0000-0000-0000-000000000000')
    assert resp.status_int == 404 and resp.body == b''


def test_members_visibility_with_identity(upstream, dialect, monkeypatch):
    from plankton_proxy.middleware._identity import CallerIdentity
    calls = []

    def lookup(self, token):
        calls.append(token)
        return USERS.get(token)
    monkeypatch.setattr(CallerIdentity, 'lookup', lookup)
    app = build_pipeline(upstream, upstream_dialect=dialect,
                         identity_url='http://identity.invalid/identity/v2.0')
    im = create(app, upstream, 'vis')
    base = '/v1/images/%s/members' % im['id']
    for m in (BOB, 'tenant-x'):
        assert call(app, 'PUT', base + '/' + m).status_int == 204
    everyone = [{'member_id': BOB, 'can_share': False},
                {'member_id': 'tenant-x', 'can_share': False}]
    assert doc(call(app, 'GET', base)) == {'members': everyone}
    # bob, a member, sees only his own row (decision 12)
    assert doc(call(app, 'GET', base, token=BOB_TOKEN)) == {'members': everyone[:1]}
    assert call(app, 'GET', base + '/tenant-x', token=BOB_TOKEN).status_int == 404
    assert call(app, 'GET', base + '/' + BOB, token=BOB_TOKEN).status_int == 200
    assert doc(call(app, 'GET', '/v1/shared-images/tenant-x', token=BOB_TOKEN)) == {
        'shared_images': []}
    assert doc(call(app, 'GET', '/v1/shared-images/' + BOB, token=BOB_TOKEN)) == {
        'shared_images': [{'image_id': im['id'], 'can_share': False}]}
    assert doc(call(app, 'GET', '/v1/shared-images/tenant-x')) == {
        'shared_images': [{'image_id': im['id'], 'can_share': False}]}
    assert set(calls) == {ALICE_TOKEN, BOB_TOKEN}     # cached per token
    assert len(calls) == 2


def test_upstream_paginates(upstream, dialect):
    if dialect == 's13':
        pytest.skip('the embedded backend pages only in its S16+ dialect')
    up = upstream
    app = build_pipeline(up, upstream_dialect=dialect, upstream_paginates='true')
    for i in range(7):
        create(app, up, 'pg%d' % i)
    up.requests.clear()
    seen = page_through(app, 'limit=3&sort_key=name&sort_dir=asc')
    assert seen == ['pg%d' % i for i in range(7)]
    queries = [r[2] for r in up.requests if r[1] == '/images/detail']
    assert all('limit=3' in q for q in queries) and len(queries) == 4
    # filters are still applied by the proxy
    assert [i['name'] for i in doc(call(app, 'GET', '/v1/images/detail?name=pg3'))[
        'images']] == ['pg3']
    up.close()


def test_plankton_metadata_limit_is_413(pipeline, upstream, dialect):
    if dialect == 's13':
        pytest.skip('S13 has no per-domain metadata limit')
    im = create(pipeline, upstream, 'many')
    headers = {'x-glance-registry-purge-props': 'false'}
    headers.update({'x-image-meta-property-k%02d' % i: 'v' for i in range(40)})
    resp = call(pipeline, 'PUT', '/v1/images/' + im['id'], headers=headers)
    assert resp.status_int == 413, resp.body
    assert 'metadata items' in error_message(resp)


def test_unreachable_upstream_is_glance_shaped():
    from plankton_proxy.forward import app_factory
    forward = app_factory({}, upstream='http://127.0.0.1:9/image/v1.0')
    app = build_pipeline(forward)
    for method, path in [('GET', '/v1/images/detail'),
                         ('GET', '/v1/images/00000000-0000-0000-0000-000000000000'),
                         ('PUT', '/v1/images/00000000-0000-0000-0000-000000000000')]:
        resp = call(app, method, path, headers=SDK)
        assert resp.status_int == 502, (method, path, resp.body)
        assert error_message(resp)


def test_registering_someone_elses_file(pipeline, upstream):
    loc = upstream.add_file(BOB, 'images', 'bobs-file')
    resp = call(pipeline, 'POST', '/v1/images', headers=dict(GC, **{
        'x-image-meta-name': 'steal', 'x-image-meta-location': loc,
        'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}))
    assert resp.status_int in (403, 404)       # not readable: Pithos may hide it
    assert loc in error_message(resp)


def test_allow_reregister_opt_in(upstream, dialect):
    app = build_pipeline(upstream, upstream_dialect=dialect, allow_reregister='true')
    first = create(app, upstream, 'rr', props={'a': '1'})
    h = dict(GC, **{'x-image-meta-name': 'rr2',
                    'x-image-meta-location': 'pithos://%s/images/rr' % ALICE,
                    'x-image-meta-disk_format': 'raw',
                    'x-image-meta-container_format': 'bare'})
    resp = call(app, 'POST', '/v1/images', headers=h)
    assert resp.status_int == 201
    assert doc(resp)['image']['id'] == first['id'] and doc(resp)['image']['name'] == 'rr2'
