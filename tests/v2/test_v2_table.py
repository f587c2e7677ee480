"""The v2 rendering and parsing in the one translation table."""

import pytest

from plankton_proxy import translation as tr


@pytest.fixture
def t():
    return tr.Translator()


def canonical(t, **props):
    item = {'id': '11111111-2222-3333-4444-555555555555', 'name': 'n',
            'status': 'available', 'disk_format': 'diskdump',
            'container_format': 'bare', 'size': 5, 'is_public': False,
            'created_at': '2026-01-02 03:04:05', 'updated_at': '2026-01-02 03:04:06',
            'owner': 'u', 'properties': props}
    return t.image_from_plankton_json(item)


def test_v2_json_from_reserved_properties(t):
    image = canonical(t, x_glance_tags='["a", "b"]', x_glance_os_hidden='true',
                      x_glance_min_ram='7', os='debian', tags='hidden-in-v2')
    out = tr.v2_json(image)
    assert out['tags'] == ['a', 'b'] and out['os_hidden'] is True
    assert out['min_ram'] == 7 and out['os'] == 'debian'
    assert out['visibility'] == 'shared' and out['status'] == 'active'
    assert out['disk_format'] == 'raw' and out['created_at'] == '2026-01-02T03:04:05Z'
    assert not any(k.startswith('x_glance') for k in out)
    # v1 never shows the v2-only reserved keys either
    assert set(t.glance_json(image)['properties']) == {'os', 'tags'}


@pytest.mark.parametrize('is_public,stored,expected', [
    (True, None, 'public'), (True, 'private', 'public'), (False, None, 'shared'),
    (False, 'private', 'private'), (False, 'shared', 'shared'),
    (False, 'junk', 'shared')])
def test_visibility(is_public, stored, expected):
    assert tr.visibility_of(is_public, stored) == expected


def test_patch_becomes_the_differences(t):
    image = canonical(t, a='1', b='2', x_glance_tags='["t"]')
    changes = tr.v2_patch_changes('application/openstack-images-v2.1-json-patch',
                                  b'[{"op": "remove", "path": "/a"},'
                                  b' {"op": "replace", "path": "/b", "value": "3"},'
                                  b' {"op": "add", "path": "/c", "value": "4"},'
                                  b' {"op": "replace", "path": "/visibility",'
                                  b'  "value": "public"},'
                                  b' {"op": "replace", "path": "/tags", "value": []},'
                                  b' {"op": "replace", "path": "/name", "value": "n"}]')
    meta = tr.meta_from_v2_patch(t, image, changes)
    assert meta.properties == {'a': '', 'b': '3', 'c': '4'}
    assert meta.fields == {'is_public': True, 'visibility': '', 'tags': []}
    props = t.plankton_properties(meta, 'update', image)
    assert props['x_glance_tags'] == ''            # S16+: an empty value deletes
    assert props['a'] == '' and props['b'] == '3'


def test_pointer_escapes_and_names_plankton_would_change(t):
    """``~1`` is ``/`` in a JSON pointer; Plankton would keep ``c/d`` as ``c_d``, so
    the name is refused (400) rather than stored as a key the user did not set."""
    changes = tr.v2_patch_changes('application/openstack-images-v2.1-json-patch',
                                  b'[{"op": "add", "path": "/c~1d~0e", "value": "4"}]')
    assert [path for _, path, _, _ in changes] == [['c/d~e']]
    image = canonical(t, a='1')
    for key in ('c/d~e', 'Os_Distro', 'hw-disk-bus'):
        with pytest.raises(tr.Invalid) as refused:
            tr.meta_from_v2_patch(t, image, [('add', [key], 'v', 10)])
        assert refused.value.status == 400 and repr(key) in str(refused.value)
        with pytest.raises(tr.Invalid):
            tr.meta_from_v2_create(t, {'name': 'x', key: 'v'})
    assert "'c_d_e'" in str(pytest.raises(tr.Invalid, tr.meta_from_v2_create, t,
                                          {'name': 'x', 'c/d~e': 'v'}).value)
    meta = tr.meta_from_v2_create(t, {'name': 'x', 'owner_specified.openstack.md5': 'm'})
    assert meta.properties == {'owner_specified.openstack.md5': 'm'}


def test_create_body(t):
    meta = tr.meta_from_v2_create(t, {'name': 'x', 'visibility': 'private',
                                      'tags': ['a', 'a', 'b'], 'min_disk': 2,
                                      'k': 'v', 'protected': True})
    assert meta.fields == {'name': 'x', 'is_public': False, 'visibility': 'private',
                           'tags': ['a', 'b'], 'min_disk': 2, 'protected': True}
    assert meta.properties == {'k': 'v'}
    props = t.plankton_properties(meta, 'create')
    assert props['x_glance_visibility'] == 'private'
    assert props['x_glance_tags'] == '["a","b"]'
    assert props['x_glance_protected'] == 'true'


def test_v1_requests_cannot_name_v2_fields():
    with pytest.raises(tr.Invalid):
        tr.meta_from_glance_headers([('x-image-meta-tags', 'a')])
    meta = tr.meta_from_glance_json(b'{"visibility": "private"}')
    assert 'visibility' not in meta.fields


def test_schema_lists_exactly_what_is_served(t):
    schema = tr.v2_image_schema(t)
    props = schema['properties']
    assert set(tr.V2_FIELD_ORDER) <= set(props)
    assert set(tr.V2_WRITABLE) <= set(props)
    assert props['visibility']['enum'] == list(tr.V2_SERVED_VISIBILITIES)
    for key in tr.V2_READONLY:
        if key in props:
            assert props[key].get('readOnly'), key
