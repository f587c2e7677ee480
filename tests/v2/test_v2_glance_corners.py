"""The corners where v2 answers differ from v1's, checked against what
Glance v2 (master) answers: owner-only member calls, queued-only formats,
filter operators, upload media type, HEAD, locations, killed images."""

import time
import uuid

import pytest
import requests

from tests.v2.test_v2_clients import alice, bob, new_image, patch, stack, v2  # noqa: F401


def error_message(resp):
    doc = resp.json()
    return doc[next(iter(doc))]['message']


def queued_image(stack, token, **extra):
    body = dict({'name': 'q-' + uuid.uuid4().hex[:6], 'disk_format': 'raw',
                 'container_format': 'bare'}, **extra)
    resp = v2(stack, token, 'POST', '/images', body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_formats_change_only_while_queued(stack, alice):
    queued = queued_image(stack, alice[1])
    resp = patch(stack, alice[1], queued['id'], [
        {'op': 'replace', 'path': '/container_format', 'value': 'ovf'}])
    assert resp.status_code == 200 and resp.json()['container_format'] == 'ovf'
    active = new_image(stack, alice[1])
    for field, value in (('container_format', 'ovf'), ('disk_format', 'raw')):
        before = v2(stack, alice[1], 'GET', '/images/' + active['id']).json()[field]
        if value == before:
            continue        # unchanged values are no change at all
        resp = patch(stack, alice[1], active['id'], [
            {'op': 'replace', 'path': '/' + field, 'value': value}])
        assert resp.status_code == 403
        assert error_message(resp) == ('Attribute %s can be only replaced for a '
                                       'queued image.' % field)
    assert v2(stack, alice[1], 'GET', '/images/' + active['id']).json()[
        'container_format'] == 'bare'


def test_member_calls_are_the_owners_and_the_answer_the_members(stack, alice, bob):
    im = new_image(stack, alice[1])
    base = '/images/%s/members' % im['id']
    assert v2(stack, alice[1], 'POST', base, {'member': bob[0]}).status_code == 200
    # bob sees the image but may not share it on, nor drop members
    resp = v2(stack, bob[1], 'POST', base, {'member': str(uuid.uuid4())})
    assert resp.status_code == 403
    assert error_message(resp) == 'Not allowed to create members for image %s.' % im['id']
    resp = v2(stack, bob[1], 'DELETE', base + '/' + bob[0])
    assert resp.status_code == 403
    # the owner may not answer for the member
    resp = v2(stack, alice[1], 'PUT', base + '/' + bob[0], {'status': 'accepted'})
    assert resp.status_code == 403
    assert error_message(resp) == 'Not allowed to update members for image %s.' % im['id']
    assert v2(stack, bob[1], 'PUT', base + '/' + bob[0],
              {'status': 'accepted'}).status_code == 200
    assert [m['member_id'] for m in v2(stack, alice[1], 'GET', base).json()[
        'members']] == [bob[0]]
    # a private image has no members to list
    private = new_image(stack, alice[1])
    patch(stack, alice[1], private['id'], [{'op': 'replace', 'path': '/visibility',
                                           'value': 'private'}])
    resp = v2(stack, alice[1], 'GET', '/images/%s/members' % private['id'])
    assert resp.status_code == 403
    assert error_message(resp) == 'Only shared images have members.'


def test_member_status_pending_lists_own_and_public_images_only(stack, alice, bob):
    own = new_image(stack, bob[1])
    public = new_image(stack, alice[1])
    patch(stack, alice[1], public['id'], [{'op': 'replace', 'path': '/visibility',
                                          'value': 'public'}])
    shared = new_image(stack, alice[1])
    v2(stack, alice[1], 'POST', '/images/%s/members' % shared['id'], {'member': bob[0]})

    def listed(**params):
        resp = v2(stack, bob[1], 'GET', '/images', params=dict(params, limit=1000))
        assert resp.status_code == 200, resp.text
        return {i['id'] for i in resp.json()['images']}
    assert {own['id'], public['id'], shared['id']} <= listed()
    for status in ('pending', 'rejected'):
        got = listed(member_status=status)
        assert own['id'] in got and public['id'] in got
        assert shared['id'] not in got
    assert shared['id'] in listed(member_status='all')


def test_filter_operators(stack, alice):
    name = 'op-' + uuid.uuid4().hex[:6]
    im = new_image(stack, alice[1], name=name)

    def ids(**params):
        resp = v2(stack, alice[1], 'GET', '/images', params=params)
        return resp.status_code, [i['id'] for i in resp.json().get('images', [])]
    assert ids(name=name) == (200, [im['id']])
    assert ids(name='eq:' + name) == (200, [im['id']])
    assert ids(name='in:nothing,' + name) == (200, [im['id']])
    resp = v2(stack, alice[1], 'GET', '/images', params={'name': 'a:b'})
    assert resp.status_code == 400
    assert error_message(resp) == "Unable to filter by unknown operator 'a'."
    created = v2(stack, alice[1], 'GET', '/images/' + im['id']).json()['created_at']
    assert im['id'] in ids(created_at=created)[1]
    assert im['id'] in ids(created_at='gte:' + created)[1]
    assert im['id'] not in ids(created_at='gt:' + created)[1]
    resp = v2(stack, alice[1], 'GET', '/images', params={'created_at': 'gte:yesterday'})
    assert resp.status_code == 400 and 'ISO 8601' in error_message(resp)
    resp = v2(stack, alice[1], 'GET', '/images',
              params={'changes-since': '2020-01-01T00:00:00Z'})
    assert resp.status_code == 400
    assert error_message(resp) == 'The "changes-since" filter is no longer available on v2.'


@pytest.mark.parametrize('ctype', ['text/plain', 'application/x-www-form-urlencoded',
                                   None])
def test_upload_wants_octet_stream(stack, alice, ctype):
    im = queued_image(stack, alice[1])
    headers = {'X-Auth-Token': alice[1]}
    if ctype:
        headers['Content-Type'] = ctype
    resp = requests.put(stack.url + im['file'], data=b'data', headers=headers)
    assert resp.status_code == 415, resp.text
    assert v2(stack, alice[1], 'GET', '/images/' + im['id']).json()['status'] == 'queued'


def test_head_locations_owner_and_not_found(stack, alice):
    im = new_image(stack, alice[1])
    resp = requests.head(stack.url + '/v2/images/' + im['id'],
                         headers={'X-Auth-Token': alice[1]})
    assert resp.status_code == 405 and 'GET' in resp.headers['Allow']
    resp = patch(stack, alice[1], im['id'], [
        {'op': 'add', 'path': '/locations/-', 'value': {'url': 'http://x', 'metadata': {}}}])
    assert resp.status_code == 403
    assert error_message(resp) == ("It's not allowed to add locations if locations "
                                   "are invisible.")
    mine = queued_image(stack, alice[1], owner=alice[0])
    assert mine['owner'] == alice[0]
    body = {'name': 'x', 'owner': str(uuid.uuid4())}
    assert v2(stack, alice[1], 'POST', '/images', body).status_code == 403
    missing = str(uuid.uuid4())
    resp = v2(stack, alice[1], 'GET', '/images/' + missing)
    assert resp.status_code == 404
    assert error_message(resp) == 'No image found with ID %s' % missing


def test_killed_images_are_left_out_of_lists(stack, alice):
    im = new_image(stack, alice[1])
    # As if an upload had been killed: the reserved status, set at the registry.
    resp = requests.put(stack.upstream + '/images/' + im['id'], headers={
        'X-Auth-Token': alice[1], 'X-Image-Meta-Property-X-Glance-Status': 'killed'})
    assert resp.status_code == 200, resp.text
    assert v2(stack, alice[1], 'GET', '/images/' + im['id']).json()['status'] == 'killed'
    listed = v2(stack, alice[1], 'GET', '/images', params={'limit': 1000}).json()
    assert im['id'] not in [i['id'] for i in listed['images']]


def test_formats_never_set_show_null_and_must_be_set_before_data(stack, alice):
    resp = v2(stack, alice[1], 'POST', '/images', {'name': 'nofmt-' + uuid.uuid4().hex[:6]})
    assert resp.status_code == 201, resp.text
    im = resp.json()
    assert im['disk_format'] is None and im['container_format'] is None
    upload = {'X-Auth-Token': alice[1], 'Content-Type': 'application/octet-stream'}
    resp = requests.put(stack.url + im['file'], data=b'data', headers=upload)
    assert resp.status_code == 400
    assert error_message(resp) == ('Properties disk_format, container_format must '
                                   'be set prior to saving data.')
    resp = patch(stack, alice[1], im['id'], [
        {'op': 'add', 'path': '/disk_format', 'value': 'raw'}])
    assert resp.status_code == 200, resp.text
    assert resp.json()['disk_format'] == 'raw' and resp.json()['container_format'] is None
    resp = requests.put(stack.url + im['file'], data=b'data', headers=upload)
    assert resp.status_code == 400 and 'container_format' in error_message(resp)
    patch(stack, alice[1], im['id'], [
        {'op': 'add', 'path': '/container_format', 'value': 'bare'}])
    resp = requests.put(stack.url + im['file'], data=b'data', headers=upload)
    assert resp.status_code == 204, resp.text
    got = v2(stack, alice[1], 'GET', '/images/' + im['id']).json()
    assert (got['status'], got['disk_format'], got['container_format']) == \
        ('active', 'raw', 'bare')
    # and the same through v1
    head = requests.head(stack.url + '/v1/images/' + im['id'],
                         headers={'X-Auth-Token': alice[1]}).headers
    assert head['x-image-meta-disk_format'] == 'raw'
    assert head['x-image-meta-container_format'] == 'bare'


def test_created_at_stays_when_the_image_changes(stack, alice):
    """Synnefo 0.16+ reports the file's last change as created_at; the proxy
    keeps the registration time instead, so lists keep their order."""
    im = queued_image(stack, alice[1])
    time.sleep(1.1)
    resp = patch(stack, alice[1], im['id'], [{'op': 'add', 'path': '/k', 'value': 'v'}])
    assert resp.status_code == 200
    assert resp.json()['created_at'] == im['created_at']
    assert resp.json()['updated_at'] > im['created_at']
    head = requests.head(stack.url + '/v1/images/' + im['id'],
                         headers={'X-Auth-Token': alice[1]}).headers
    assert head['x-image-meta-created_at'].startswith(im['created_at'][:-1])


def test_deactivate_and_reactivate_are_refused(stack, alice, bob):
    im = new_image(stack, alice[1])
    for action in ('deactivate', 'reactivate'):
        path = '/images/%s/actions/%s' % (im['id'], action)
        resp = v2(stack, alice[1], 'POST', path)
        assert resp.status_code == 403 and 'not authorized' in error_message(resp)
        assert v2(stack, bob[1], 'POST', path).status_code == 404
        assert v2(stack, alice[1], 'GET', path).status_code == 405
    assert v2(stack, alice[1], 'GET', '/images/' + im['id']).json()['status'] == 'active'
