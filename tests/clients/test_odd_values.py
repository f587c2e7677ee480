"""Names, property keys and values with spaces, ``%``, ``=``, ``/`` and non-ASCII,
end to end through every client: each shows what the user set, or the proxy refuses
with a clear message (decision 15, plankton.md §6.2 row 39)."""

import json

import pytest

from tests.clients.conftest import USERS
from tests.clients.helpers import glance, glance_lib, glance_list, glance_show, osc, sdk

UUID, TOKEN = USERS['odd']
NAME = 'odd % = / é ключ'
PROPS = {'my-key': 'a b', 'under_key': '100%', 'k': 'v=w', 'sl': 'a/b', 'uni': 'débian ключ'}
#: What Glance itself stores: keys lower-cased, '-' -> '_'.
STORED = {'my_key': 'a b', 'under_key': '100%', 'k': 'v=w', 'sl': 'a/b', 'uni': 'débian ключ'}
HEAD_CAVEAT = ('image-show reads HEAD headers, which are ASCII: non-ASCII and "%" show '
               'percent-encoded (a real Glance sends raw UTF-8, which glanceclient shows as '
               'mojibake); lists and create/update replies show the text')


@pytest.mark.compat('glance CLI', 'odd names and property values (space % = / non-ASCII)',
                    caveat=HEAD_CAVEAT, family='update')
@pytest.mark.compat('glance CLI', "property keys with '-', '_'",
                    caveat="as in Glance: keys are lower-cased and '-' becomes '_'",
                    family='update')
@pytest.mark.compat('glance CLI', "property keys with '.' or other punctuation",
                    impossible="Plankton would store os.version as os_version: the proxy "
                               "refuses with 400 naming the key, rather than show a key "
                               "the user did not set", family='update')
def test_glance_cli(stack):
    loc = stack.upload(TOKEN, 'images', 'odd cli % é.img', b'o')
    args = ['image-create', '--name', NAME, '--disk-format', 'raw', '--container-format',
            'bare', '--location', loc]
    for key, value in PROPS.items():
        args += ['--property', '%s=%s' % (key, value)]
    r = glance(stack.url, TOKEN, *args)
    assert r.returncode == 0, r.stderr
    created = glance_show(r.stdout)
    assert created['name'] == NAME
    for key, value in STORED.items():
        assert created["Property '%s'" % key] == value
    rows = glance_list(glance(stack.url, TOKEN, 'image-list').stdout)
    assert [row['Name'] for row in rows] == [NAME]
    shown = glance_show(glance(stack.url, TOKEN, 'image-show', created['id']).stdout)
    assert shown['name'] == 'odd %25 = / %C3%A9 %D0%BA%D0%BB%D1%8E%D1%87'
    assert shown["Property 'k'"] == 'v=w' and shown["Property 'sl'"] == 'a/b'
    assert shown["Property 'my_key'"] == 'a b'
    loc2 = stack.upload(TOKEN, 'images', 'dot.img', b'o')
    r = glance(stack.url, TOKEN, 'image-create', '--name', 'dot', '--disk-format', 'raw',
               '--container-format', 'bare', '--location', loc2, '--property',
               'os.version=12')
    assert r.returncode == 1
    assert "Property name 'os.version'" in r.stderr and "'os_version'" in r.stderr


@pytest.mark.compat('glanceclient.v1', 'odd names and property values (space % = / '
                    'non-ASCII)', caveat=HEAD_CAVEAT.replace('image-show', 'images.get()'),
                    family='update')
@pytest.mark.compat('openstacksdk image v1 proxy', 'odd names and property values '
                    '(space % = / non-ASCII)', family='update')
@pytest.mark.compat('openstack CLI', 'odd names and property values (space % = / '
                    'non-ASCII)', family='update')
def test_library_sdk_and_osc(stack):
    gc = glance_lib(stack.url, TOKEN)
    loc = stack.upload(TOKEN, 'images', 'odd lib.img', b'o')
    im = gc.images.create(name=NAME + ' lib', location=loc, disk_format='raw',
                          container_format='bare', properties=PROPS)
    assert im.name == NAME + ' lib' and im.properties == STORED
    assert [i.properties for i in gc.images.list(filters={'name': NAME + ' lib'})] == [STORED]
    conn = sdk(stack.url, TOKEN)
    got = conn.image.get_image(im.id)
    assert got.name == NAME + ' lib'
    assert {k: got.properties[k] for k in STORED} == STORED
    # the SDK sends JSON (\u escapes), so any text goes
    up = conn.image.update_image(im.id, name='sdk ä % /', properties={'x-y': 'é=%'})
    assert up.name == 'sdk ä % /' and up.properties['x_y'] == 'é=%'
    r = osc(stack.url, TOKEN, 'image', 'set', '--name', 'osc ü % = /', '--property',
            'z=ключ % = /', im.id)
    assert r.returncode == 0, r.stderr
    r = osc(stack.url, TOKEN, 'image', 'show', im.id, '-f', 'json')
    shown = json.loads(r.stdout)
    assert shown['name'] == 'osc ü % = /' and shown['properties']['z'] == 'ключ % = /'
    assert shown['properties']['x_y'] == 'é=%'


@pytest.mark.compat('openstacksdk image v1 proxy', "update_image_properties() with "
                    "non-latin-1 values",
                    impossible='client bug: the SDK sends these values as raw latin-1 '
                               'headers and raises UnicodeEncodeError before any request',
                    family='update')
def test_sdk_header_values_beyond_latin1(stack):
    loc = stack.upload(TOKEN, 'images', 'odd sdk.img', b'o')
    image_id = stack.register(TOKEN, 'odd-sdk', loc)['id']
    conn = sdk(stack.url, TOKEN)
    with pytest.raises(UnicodeEncodeError):
        conn.image.update_image_properties(image=conn.image.get_image(image_id),
                                           meta={'k': 'ключ'})
