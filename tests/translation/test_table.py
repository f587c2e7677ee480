"""Every rule of the translation table, in both directions."""

import json

import pytest

from plankton_proxy import translation as tr


@pytest.fixture(params=['s16', 's13'])
def t(request):
    return tr.Translator(dialect=request.param)


S16_HEAD = [
    ('x-image-meta-name', 'Debian%20Desktop%20%C3%A9'),
    ('x-image-meta-disk-format', 'diskdump'),
    ('x-image-meta-container-format', 'bare'),
    ('x-image-meta-size', '3399127040'),
    ('x-image-meta-checksum', 'ab' * 32),
    ('x-image-meta-location', 'pithos://u-1/images/my%20dir/a%20b.img'),
    ('x-image-meta-created-at', '2014-02-15 18:10:53'),
    ('x-image-meta-updated-at', '2014-02-15 18:10:54'),
    ('x-image-meta-deleted-at', ''),
    ('x-image-meta-status', 'AVAILABLE'),
    ('x-image-meta-is-public', 'True'),
    ('x-image-meta-owner', 'u-1'),
    ('x-image-meta-property-os-distro', 'd%C3%A9bian'),
    ('x-image-meta-property-x-glance-min-ram', '512'),
    ('x-image-meta-property-x-glance-protected', 'true'),
    ('x-image-meta-id', '940509eb-eb4f-496c-8443-22ffd24912e9'),
    ('x-image-meta-is-snapshot', 'False'),
    ('x-image-meta-description', ''),
    ('Content-Type', 'application/json; charset=UTF-8'),
]


def test_plankton_headers_to_canonical_s16():
    im = tr.Translator('s16').image_from_plankton_headers(S16_HEAD)
    assert im['id'] == '940509eb-eb4f-496c-8443-22ffd24912e9'
    assert im['name'] == 'Debian Desktop é'                 # unquoted
    assert im['disk_format'] == 'raw'                        # diskdump -> raw
    assert im['container_format'] == 'bare'
    assert im['size'] == 3399127040
    assert im['checksum'] is None                            # Merkle never shown
    assert im['location'] == 'pithos://u-1/images/my dir/a b.img'
    assert im['created_at'] == '2014-02-15T18:10:53.000000'
    assert im['updated_at'] == '2014-02-15T18:10:54.000000'
    assert im['deleted_at'] is None and im['deleted'] is False
    assert im['status'] == 'active'
    assert im['is_public'] is True
    assert im['owner'] == 'u-1'
    assert im['properties'] == {'os_distro': 'débian'}       # reserved hidden
    assert im['min_ram'] == 512 and im['min_disk'] == 0
    assert im['protected'] is True


def test_plankton_headers_to_canonical_s13_raw_values():
    heads = [('x-image-meta-name', 'caf\xc3\xa9 100%'),       # raw UTF-8 as latin-1
             ('x-image-meta-status', 'available'),
             ('x-image-meta-property-k', 'a%20b'),
             ('x-image-meta-id', 'x')]
    im = tr.Translator('s13').image_from_plankton_headers(heads)
    assert im['name'] == 'café 100%'
    assert im['status'] == 'active'
    assert im['properties'] == {'k': 'a%20b'}                 # S13: never unquoted


@pytest.mark.parametrize('plankton,glance', [
    ('AVAILABLE', 'active'), ('available', 'active'), ('SAVING', 'saving'),
    ('UNAVAILABLE', 'saving'), ('ERROR', 'killed'), ('DELETED', 'deleted'),
    ('UNKNOWN', 'active'), ('whatever', 'active'), ('', 'active'), (None, 'active')])
def test_status_map(plankton, glance):
    assert tr.Translator().status_to_glance(plankton) == glance


def test_status_reserved_override_and_unknown_default():
    t = tr.Translator(unknown_status='saving')
    assert t.status_to_glance('UNKNOWN') == 'saving'
    im = t.image_from_plankton_json({'id': 'i', 'status': 'AVAILABLE', 'properties':
                                     {'x_glance_status': 'queued'}})
    assert im['status'] == 'queued'


def test_plankton_json_to_canonical(t):
    item = {'id': 'i', 'name': 'n é', 'disk_format': 'diskdump',
            'container_format': 'ovf', 'size': 5, 'checksum': 'ab' * 32,
            'location': 'pithos://u/c/p%20q', 'created_at': '2020-01-02 03:04:05',
            'updated_at': '2020-01-02 03:04:06', 'deleted_at': '', 'status': 'ERROR',
            'is_public': False, 'owner': 'u', 'is_snapshot': False,
            'description': '', 'properties': {'a': 'b', 'x_glance_min_disk': '7',
                                              'x_glance_checksum': 'c' * 32}}
    im = t.image_from_plankton_json(item)
    assert im['name'] == 'n é' and im['location'] == 'pithos://u/c/p q'
    assert im['status'] == 'killed' and im['min_disk'] == 7
    assert im['checksum'] == 'c' * 32                        # MD5 kept by the proxy
    assert im['properties'] == {'a': 'b'}
    out = t.glance_json(im)
    assert 'location' not in out and 'is_snapshot' not in out
    assert 'description' not in out and '_reserved' not in out
    assert out['deleted'] is False and out['deleted_at'] is None
    assert out['virtual_size'] is None
    assert out['created_at'] == '2020-01-02T03:04:05.000000'
    brief = t.glance_json(im, brief=True)
    assert sorted(brief) == sorted(['id', 'name', 'size', 'disk_format',
                                    'container_format', 'checksum'])


def test_canonical_to_glance_headers():
    im = tr.Translator().image_from_plankton_headers(S16_HEAD)
    im['properties']['my key'] = 'v\nw'
    im['properties']['ключ'] = 'значение'
    im['checksum'] = 'd' * 32
    heads = dict(tr.Translator.glance_headers(im))
    assert heads['x-image-meta-disk_format'] == 'raw'
    assert heads['x-image-meta-container_format'] == 'bare'
    assert heads['x-image-meta-is_public'] == 'True'
    assert heads['x-image-meta-protected'] == 'True'
    assert heads['x-image-meta-deleted'] == 'False'
    assert heads['x-image-meta-min_ram'] == '512'
    assert heads['x-image-meta-min_disk'] == '0'
    assert heads['x-image-meta-created_at'] == '2014-02-15T18:10:53.000000'
    assert heads['x-image-meta-name'] == 'Debian Desktop %C3%A9'   # ASCII only
    assert heads['x-image-meta-property-os_distro'] == 'd%C3%A9bian'
    assert heads['x-image-meta-property-my%20key'] == 'v%0Aw'
    assert heads['x-image-meta-property-%D0%BA%D0%BB%D1%8E%D1%87'].startswith('%D0')
    assert heads['ETag'] == 'd' * 32
    assert 'x-image-meta-location' not in heads
    assert 'x-image-meta-deleted_at' not in heads           # null -> omitted
    assert 'x-image-meta-virtual_size' not in heads
    token = set("!#$&'*+-.^_`|~%") | set('abcdefghijklmnopqrstuvwxyz'
                                         'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
    for name, value in tr.Translator.glance_headers(im):
        assert set(name) <= token, name
        value.encode('ascii')


# -- Glance requests -> canonical --------------------------------------------

def test_glanceclient_headers_to_canonical():
    heads = [('x-image-meta-name', 'loc%20img'), ('x-image-meta-disk_format', 'raw'),
             ('x-image-meta-container-format', 'bare'),
             ('x-image-meta-property-os_distro', 'd%C3%A9bian'),
             ('x-image-meta-property-k', 'v%3Dw'),
             ('x-image-meta-property-Mixed_Case', 'Val%20ue'),
             ('x-image-meta-property-my%20key', 'v'),
             ('x-image-meta-property-Foo-Bar', 'baz'),
             ('x-image-meta-location', 'pithos://u/c/a%20b%3Fx%3D1'),
             ('x-image-meta-size', '1234'), ('x-image-meta-min_ram', '512'),
             ('x-image-meta-min_disk', '2'), ('x-image-meta-is_public', 'None'),
             ('x-image-meta-protected', 'False'), ('x-image-meta-checksum', 'ABCD'),
             ('x-image-meta-store', 'file'), ('x-image-meta-owner', 't'),
             ('x-glance-registry-purge-props', 'false')]
    meta = tr.meta_from_glance_headers(heads, percent_decoded=True)
    assert meta.fields['name'] == 'loc img'
    assert meta.fields['disk_format'] == 'raw'
    assert meta.fields['container_format'] == 'bare'
    assert meta.fields['location'] == 'pithos://u/c/a b?x=1'
    assert meta.fields['size'] == 1234 and meta.fields['min_ram'] == 512
    assert meta.fields['is_public'] is None                  # None = not set
    assert meta.fields['protected'] is False
    assert meta.fields['checksum'] == 'abcd'
    assert meta.properties == {'os_distro': 'débian', 'k': 'v=w',
                               'mixed_case': 'Val ue', 'my key': 'v',
                               'foo_bar': 'baz'}
    assert meta.purge is False


def test_sdk_raw_headers_not_decoded_and_unknown_are_properties():
    heads = [('x-image-meta-os_distro', 'a%20b'), ('x-image-meta-m', 'caf\xe9')]
    meta = tr.meta_from_glance_headers(heads, percent_decoded=False,
                                       unknown_as_property=True)
    assert meta.properties == {'os_distro': 'a%20b', 'm': 'café'}
    with pytest.raises(tr.Invalid) as err:
        tr.meta_from_glance_headers(heads, percent_decoded=False)
    assert 'Bad header' in str(err.value)


@pytest.mark.parametrize('value,expected', [
    ('True', True), ('true', True), ('1', True), ('yes', True), ('on', True),
    ('t', True), ('y', True), ('False', False), ('maybe', False), ('0', False),
    ('None', None), ('', None), (True, True), (False, False), (None, None)])
def test_glance_booleans(value, expected):
    assert tr.parse_glance_bool(value) is expected


@pytest.mark.parametrize('field,value,message', [
    ('size', 'abc', "Cannot convert image size 'abc' to an integer"),
    ('size', '-10', 'Cannot be a negative value'),
    ('min_ram', str(2 ** 31), "'min_ram' value out of range"),
    ('min_disk', str(2 ** 63), "'min_disk' value out of range"),
    ('checksum', 'x' * 42, 'Invalid checksum'),
    ('name', 'n' * 256, 'Image name too long: 256'),
])
def test_glance_value_validation(field, value, message):
    with pytest.raises(tr.Invalid) as err:
        tr.meta_from_glance_headers([('x-image-meta-' + field, value)])
    assert message in str(err.value) and err.value.status == 400


def test_min_values_accepted():
    meta = tr.meta_from_glance_headers([('x-image-meta-min_ram', str(2 ** 31 - 1))])
    assert meta.fields['min_ram'] == 2 ** 31 - 1


def test_reserved_property_names_refused():
    with pytest.raises(tr.Invalid):
        tr.meta_from_glance_headers([('x-image-meta-property-x_glance_min_ram', '1')])
    with pytest.raises(tr.Invalid):
        tr.meta_from_glance_json(json.dumps({'image': {'x-glance-protected': 'x'}}))


def test_sdk_json_wrapped_and_unwrapped():
    wrapped = {'image': {'name': 'n é', 'min_ram': 64, 'x': 'y', 'protected': True,
                         'is_public': True, 'deleted': False, 'deleted_at': None,
                         'virtual_size': None, 'disk_format': 'qcow2'}}
    meta = tr.meta_from_glance_json(json.dumps(wrapped))
    assert meta.fields == {'name': 'n é', 'min_ram': 64, 'protected': True,
                           'is_public': True, 'disk_format': 'qcow2'}
    assert meta.properties == {'x': 'y'}
    assert meta.source == 'json' and meta.purge is None
    flat = {'validate_checksum': False, 'name': 'n', 'disk_format': 'raw',
            'container_format': 'bare',
            'properties': {'owner_specified.openstack.md5': ''}}
    meta = tr.meta_from_glance_json(json.dumps(flat).encode())
    assert meta.fields == {'name': 'n', 'disk_format': 'raw',
                           'container_format': 'bare'}
    assert meta.properties == {'owner_specified.openstack.md5': ''}


@pytest.mark.parametrize('body', ['{', '[1, 2]', b'\xff'])
def test_bad_json(body):
    with pytest.raises(tr.Invalid):
        tr.meta_from_glance_json(body)


# -- canonical -> Plankton requests -------------------------------------------

def test_create_headers(t):
    meta = tr.RequestMeta({'name': 'a é', 'disk_format': 'raw',
                           'container_format': 'bare', 'is_public': True,
                           'location': 'pithos://u 1/c/d é/x y', 'min_ram': 5,
                           'protected': False, 'checksum': 'c' * 32, 'owner': 'o',
                           'size': 3, 'store': 'file'},
                          {'os_distro': 'débian', 'my key': 'v'})
    heads = dict(t.plankton_headers(meta, 'create'))
    assert heads['x-image-meta-name'] == 'a%20%C3%A9'
    assert heads['x-image-meta-disk-format'] == 'diskdump'
    assert heads['x-image-meta-container-format'] == 'bare'
    assert heads['x-image-meta-is-public'] == 'true'
    assert heads['x-image-meta-location'] == 'pithos://u%201/c/d%20%C3%A9/x%20y'
    assert heads['x-image-meta-property-os-distro'] == 'd%C3%A9bian'
    assert heads['x-image-meta-property-my%20key'] == 'v'
    assert heads['x-image-meta-property-x-glance-min-ram'] == '5'
    assert heads['x-image-meta-property-x-glance-protected'] == 'false'
    assert heads['x-image-meta-property-x-glance-checksum'] == 'c' * 32
    for dropped in ('x-image-meta-owner', 'x-image-meta-store',
                    'x-image-meta-checksum'):
        assert dropped not in heads
    # S16+ refuses any size header (the proxy checks it); S13 checks it itself
    assert heads.get('x-image-meta-size') == (None if t.dialect == 's16' else '3')
    for name, _ in heads.items():
        assert '_' not in name                  # dashed names only (row 3)


def test_formats_map_and_refusals():
    t = tr.Translator()
    assert t.disk_format_to_plankton('raw') == 'diskdump'
    assert t.disk_format_to_glance('diskdump') == 'raw'
    assert t.disk_format_to_glance('ntfsdump') == 'ntfsdump'   # shown as is
    with pytest.raises(tr.Invalid) as err:
        t.disk_format_to_plankton('qcow2')
    assert "Invalid disk format 'qcow2'" in str(err.value) and 'raw' in str(err.value)
    for bad in ('ova', 'docker'):
        with pytest.raises(tr.Invalid):
            t.container_format_to_plankton(bad)
    t2 = tr.Translator.from_conf({'disk_formats': 'raw:diskdump, qcow2:extdump',
                                  'upstream_dialect': 'S13'})
    assert t2.dialect == 's13'
    assert t2.disk_format_to_plankton('qcow2') == 'extdump'
    assert t2.disk_format_to_glance('extdump') == 'qcow2'


CURRENT = {'id': 'i', 'properties': {'a': '1', 'b': '2'},
           '_reserved': {'x_glance_min_ram': '5'}}


def test_update_merge_s16():
    t = tr.Translator('s16')
    meta = tr.RequestMeta({'min_ram': 6}, {'b': '3', 'c': '4'}, purge=False)
    assert t.plankton_properties(meta, 'update', CURRENT) == {
        'b': '3', 'c': '4', 'x_glance_min_ram': '6'}


def test_update_purge_s16_sends_empty_values():
    t = tr.Translator('s16')
    meta = tr.RequestMeta({}, {'c': '4'}, purge=True)
    assert t.plankton_properties(meta, 'update', CURRENT) == {'a': '', 'b': '', 'c': '4'}


def test_update_s13_sends_the_whole_set():
    t = tr.Translator('s13')
    merge = tr.RequestMeta({}, {'c': '4'}, purge=False)
    assert t.plankton_properties(merge, 'update', CURRENT) == {
        'a': '1', 'b': '2', 'c': '4', 'x_glance_min_ram': '5'}
    purge = tr.RequestMeta({}, {'c': '4'}, purge=True)
    assert t.plankton_properties(purge, 'update', CURRENT) == {
        'c': '4', 'x_glance_min_ram': '5'}


@pytest.mark.parametrize('status,message,kind,expected', [
    (400, 'API endpoint not found', 'read', 404),
    (400, '', 'read', 404),
    (400, 'Image not found', 'write', 404),
    (400, 'File not found', 'write', 404),
    (400, 'Invalid disk format', 'write', 400),
    (400, 'Pithos+ resources cannot have more than 32 metadata items per domain',
     'write', 413),
    (403, '', 'read', 404),
    (403, '', 'members', 404),
    (403, '', 'write', 403),
    (204, '', 'write', 200),
    (401, 'Unauthorized', 'read', 401),
    (500, 'x', 'read', 500),
])
def test_status_remaps(status, message, kind, expected):
    assert tr.glance_status_for(status, message, kind) == expected


@pytest.mark.parametrize('body,ctype,message', [
    (b'{"badRequest": {"code": 400, "message": "Invalid location", "details": ""}}',
     'application/json', 'Invalid location'),
    (b'{"fault": {"code": 401, "message": "Unauthorized"}}', 'application/json',
     'Unauthorized'),
    (b'', 'text/html', ''),
    (b'<html><body>oops</body></html>', 'text/html', 'oops'),
    (b'Image not found', 'text/html', 'Image not found'),
])
def test_plankton_error_messages(body, ctype, message):
    assert tr.plankton_error_message(body, ctype) == message


def test_timestamps():
    assert tr.render_glance_time(tr.parse_plankton_time('2014-02-15 18:10:53')) == \
        '2014-02-15T18:10:53.000000'
    assert tr.parse_plankton_time('') is None
    assert tr.parse_glance_time('2020-01-01T00:00:00').isoformat() == \
        '2020-01-01T00:00:00'
    assert tr.parse_glance_time('2020-01-01T01:00:00+01:00').isoformat() == \
        '2020-01-01T00:00:00'
    assert tr.parse_glance_time('2013-01-01').isoformat() == '2013-01-01T00:00:00'
    with pytest.raises(tr.Invalid):
        tr.parse_glance_time('')
    with pytest.raises(tr.Invalid):
        tr.parse_glance_time('yesterday')


def test_locations():
    assert tr.quote_location('pithos://a b/c/d/e f') == 'pithos://a%20b/c/d/e%20f'
    assert tr.unquote_location('pithos://a%20b/c/d/e%20f') == 'pithos://a b/c/d/e f'
    assert tr.parse_pithos_location('pithos://a/c/d/e') == ('a', 'c', 'd/e')
    assert tr.parse_pithos_location('pithos://a/c') is None
    assert tr.parse_pithos_location('http://a/c/d') is None


def test_the_field_table_is_complete():
    rules = {'send', 'reserved', 'check', 'drop', 'reject'}
    for name, field in tr.FIELDS.items():
        assert field['create'] in rules and field['update'] in rules, name
        if 'send' in (field['create'], field['update']):
            assert field['plankton'], name
        if 'reserved' in (field['create'], field['update']):
            assert name in tr.RESERVED_PROPERTIES, name
        if field['brief']:
            assert field['glance'], name
    for key in tr.RESERVED_PROPERTIES.values():
        assert key.startswith(tr.RESERVED_PREFIX)
    assert set(tr.GLANCE_FIELD_ORDER) <= set(tr.FIELDS)
    assert set(tr.DEFAULT_DISK_FORMAT_MAP.values()) <= set(tr.PLANKTON_DISK_FORMATS)
    assert set(tr.DEFAULT_DISK_FORMAT_MAP) <= set(tr.GLANCE_DISK_FORMATS)
    assert set(tr.DEFAULT_CONTAINER_FORMAT_MAP.values()) <= \
        set(tr.PLANKTON_CONTAINER_FORMATS)
    assert set(tr.PLANKTON_TO_GLANCE_STATUS.values()) <= set(tr.GLANCE_STATUSES)
    assert set(tr.LIST_FILTERS) | {'is_public'} >= {
        'name', 'status', 'container_format', 'disk_format', 'size_min', 'size_max',
        'changes-since'}
    for (dialect, rules_) in tr.DIALECT_RULES.items():
        for (field, op), rule in rules_.items():
            assert field in tr.FIELDS and op in ('create', 'update') and rule in rules


def test_hidden_plankton_fields_never_reach_glance(t):
    item = {f: 'x' for f in tr.PLANKTON_HIDDEN_FIELDS}
    item.update(id='i', location='pithos://a/b/c')
    out = t.glance_json(t.image_from_plankton_json(item))
    assert not set(out) & tr.PLANKTON_HIDDEN_FIELDS
    heads = dict(t.glance_headers(t.image_from_plankton_json(item)))
    assert not any(h[len('x-image-meta-'):] in tr.PLANKTON_HIDDEN_FIELDS for h in heads)


@pytest.mark.parametrize('body,count', [
    (b'[{"id": "a"}, {"id": "b"}]', 2),            # S13 ... 0.20: a bare array
    (b'{"images": [{"id": "a"}]}', 1),             # develop HEAD: wrapped
    (b'', 0), (b'not json', 0), (b'{"x": 1}', 0), (b'[1, {"id": "a"}]', 1)])
def test_plankton_list_envelopes(body, count):
    assert len(tr.plankton_list_items(body)) == count
