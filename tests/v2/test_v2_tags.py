"""Tags through v2: many, long and non-ASCII ones, though Pithos keeps each
metadata value under 256 characters (the proxy splits the stored text)."""

import uuid
from urllib.parse import quote

import pytest
import requests

from plankton_proxy.testing import Stack
from tests.v2.test_v2_clients import new_image, patch, v2


@pytest.fixture(scope='module', params=['s16', 's13'])
def stack(request):
    s = Stack(['--in-memory', '--dialect', request.param])
    yield s
    s.stop()


def tags_of(stack, token, image_id):
    resp = v2(stack, token, 'GET', '/images/' + image_id)
    assert resp.status_code == 200, resp.text
    return resp.json()['tags']


def test_many_and_long_tags_round_trip(stack):
    token = stack.users[0][1]
    im = new_image(stack, token)
    many = ['tag-number-%02d' % n for n in range(20)]
    for tag in many:
        resp = v2(stack, token, 'PUT', '/images/%s/tags/%s' % (im['id'], tag))
        assert resp.status_code == 204, resp.text
    assert sorted(tags_of(stack, token, im['id'])) == many
    longest = 'L' * 255
    resp = patch(stack, token, im['id'], [
        {'op': 'replace', 'path': '/tags', 'value': [longest, 'x' * 200, 'short']}])
    assert resp.status_code == 200, resp.text
    assert sorted(tags_of(stack, token, im['id'])) == sorted([longest, 'x' * 200,
                                                              'short'])
    # shrinking leaves no stale piece behind
    resp = v2(stack, token, 'DELETE', '/images/%s/tags/%s' % (im['id'], longest))
    assert resp.status_code == 204
    assert sorted(tags_of(stack, token, im['id'])) == ['short', 'x' * 200]
    resp = patch(stack, token, im['id'], [{'op': 'replace', 'path': '/tags',
                                           'value': []}])
    assert resp.status_code == 200 and resp.json()['tags'] == []
    assert tags_of(stack, token, im['id']) == []
    # and v1 never shows any of it
    head = requests.head(stack.url + '/v1/images/' + im['id'],
                         headers={'X-Auth-Token': token}).headers
    assert not any('glance' in k.lower() and 'tag' in k.lower() for k in head)


def test_a_tag_of_more_than_255_characters_is_refused(stack):
    token = stack.users[0][1]
    im = new_image(stack, token)
    resp = v2(stack, token, 'PUT', '/images/%s/tags/%s' % (im['id'], 'y' * 256))
    assert resp.status_code == 400 and 'too long' in resp.text
    assert tags_of(stack, token, im['id']) == []


def test_non_ascii_tags_in_the_path_and_the_filter(stack):
    token = stack.users[0][1]
    name = 'utf-' + uuid.uuid4().hex[:6]
    im = new_image(stack, token, name=name)
    resp = v2(stack, token, 'PUT', '/images/%s/tags/%s' % (im['id'], quote('été')))
    assert resp.status_code == 204
    assert tags_of(stack, token, im['id']) == ['été']
    listed = v2(stack, token, 'GET', '/images', params={'tag': 'été'}).json()['images']
    assert [i['id'] for i in listed] == [im['id']]
    resp = v2(stack, token, 'DELETE', '/images/%s/tags/%s' % (im['id'], quote('été')))
    assert resp.status_code == 204
    assert tags_of(stack, token, im['id']) == []


def test_more_tags_than_the_registry_can_keep_say_so_and_change_nothing(stack):
    token = stack.users[0][1]
    im = new_image(stack, token)
    assert patch(stack, token, im['id'], [
        {'op': 'add', 'path': '/tags', 'value': ['kept']}]).status_code == 200
    too_many = ['%03d' % n + 'z' * 250 for n in range(100)]
    resp = patch(stack, token, im['id'], [{'op': 'replace', 'path': '/tags',
                                           'value': too_many}])
    assert resp.status_code in (400, 413), resp.text
    assert resp.status_code == 413 and 'registry' in resp.text
    assert tags_of(stack, token, im['id']) == ['kept']


def test_the_documented_room_for_tags(stack):
    """docs/glance-v2.rst: 128 tags of 12 characters fit."""
    token = stack.users[0][1]
    im = new_image(stack, token)
    tags = ['t%011d' % n for n in range(128)]
    resp = patch(stack, token, im['id'], [{'op': 'add', 'path': '/tags',
                                           'value': tags}])
    assert resp.status_code == 200, resp.text
    assert sorted(tags_of(stack, token, im['id'])) == tags
