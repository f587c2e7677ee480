"""The pytest plugin our users write their tests with (README, "Testing
against a fake Plankton"): the example there, and the factory."""

import glanceclient
import requests


def test_readme_example(plankton_stack):
    uuid, token = plankton_stack.users[0]
    location = plankton_stack.upload(token, 'images', 'disk.img', b'x' * 1000)
    image = plankton_stack.register(token, 'debian', location, os='debian')
    glance = glanceclient.Client('1', endpoint=plankton_stack.url, token=token)
    listed = {i.id: i for i in glance.images.list()}
    assert listed[image['id']].name == 'debian'
    assert listed[image['id']].size == 1000
    assert listed[image['id']].properties == {'os': 'debian'}
    # Another user does not see a private image.
    other = glanceclient.Client('1', endpoint=plankton_stack.url,
                                token=plankton_stack.users[1][1])
    assert image['id'] not in {i.id for i in other.images.list()}


def test_factory_gives_a_persistent_s13_stack(plankton_stack_factory, tmp_path):
    stack = plankton_stack_factory(dialect='s13', data_dir=tmp_path / 'data')
    uuid, token = stack.users[0]
    location = stack.upload(token, 'c', 'img', b'abc')
    image = stack.register(token, 'old', location)
    stack.stop()
    again = plankton_stack_factory(dialect='s13', data_dir=tmp_path / 'data')
    resp = requests.head('%s/v1/images/%s' % (again.url, image['id']),
                         headers={'X-Auth-Token': token})
    assert resp.status_code == 200
    assert resp.headers['x-image-meta-name'] == 'old'
    assert 's13' in ''.join(again.output)
