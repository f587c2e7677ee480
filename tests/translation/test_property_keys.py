"""Property keys Plankton would rewrite are refused (plankton.md §6.2 row 39)."""

import pytest

from plankton_proxy import translation as tr


@pytest.mark.parametrize('key', ['os.version', 'a:b', 'x/y', 'p%q', 'k=v', 'a+b', 'é.x'])
def test_lossy_keys_are_refused_with_the_key_named(key):
    from urllib.parse import quote
    with pytest.raises(tr.Invalid) as e:
        tr.meta_from_glance_headers([('x-image-meta-property-' + quote(key), 'v')])
    assert repr(key) in str(e.value) and "use letters, digits, '_' or '-'" in str(e.value)
    with pytest.raises(tr.Invalid):
        tr.meta_from_glance_json(b'{"image": {"properties": {"%s": "v"}}}' % key.encode())


@pytest.mark.parametrize('key, stored', [('os_distro', 'os_distro'), ('my-key', 'my_key'),
                                         ('Mixed_Case', 'mixed_case'), ('ключ', 'ключ'),
                                         ('my key', 'my key')])
def test_glance_keys_pass(key, stored):
    from urllib.parse import quote
    meta = tr.meta_from_glance_headers([('x-image-meta-property-' + quote(key), 'v')])
    assert meta.properties == {stored: 'v'}


def test_the_sdk_bookkeeping_keys_pass():
    """openstacksdk adds these to every create by itself."""
    meta = tr.meta_from_glance_json(
        b'{"name": "n", "properties": {"owner_specified.openstack.md5": ""}}')
    assert 'owner_specified.openstack.md5' in meta.properties
