"""The data-path rules of translation.py, and the streaming meter."""

import hashlib
import io

import pytest

from plankton_proxy import translation as tr
from plankton_proxy.middleware import _pithos as p


def current(dialect_props=None, reserved=None):
    return {'properties': dict(dialect_props or {}), '_reserved': dict(reserved or {})}


def test_reserved_update_s16_sets_and_removes_only_the_changes():
    t = tr.Translator('s16')
    image = current({'a': '1'}, {'x_glance_status': 'queued', 'x_glance_min_ram': '64'})
    headers = dict(t.reserved_update_headers(image, {'checksum': 'ab' * 16,
                                                     'status': None}))
    assert headers == {'x-image-meta-property-x-glance-checksum': 'ab' * 16,
                       'x-image-meta-property-x-glance-status': ''}


def test_reserved_update_s13_resends_the_whole_set():
    t = tr.Translator('s13')
    image = current({'a': '1'}, {'x_glance_status': 'queued', 'x_glance_min_ram': '64'})
    headers = dict(t.reserved_update_headers(image, {'checksum': 'ab' * 16,
                                                     'status': None}))
    assert headers == {'x-image-meta-property-a': '1',
                       'x-image-meta-property-x-glance-min-ram': '64',
                       'x-image-meta-property-x-glance-checksum': 'ab' * 16}


def test_default_formats_and_md5():
    assert tr.Translator().default_formats() == ('raw', 'bare')
    assert tr.is_md5(hashlib.md5(b'').hexdigest())
    assert not tr.is_md5('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    assert not tr.is_md5(None)


def test_check_formats_required_and_amazon():
    t = tr.Translator(disk_format_map={'raw': 'diskdump', 'aki': 'extdump'})
    fields = {'disk_format': 'aki'}
    t.check_formats(fields, required=True)
    assert fields['container_format'] == 'aki'
    with pytest.raises(tr.Invalid, match='Container format is not specified'):
        t.check_formats({'disk_format': 'raw'}, required=True)
    t.check_formats({}, required=True,
                    current={'disk_format': 'raw', 'container_format': 'bare'})
    with pytest.raises(tr.Invalid, match='Invalid disk format'):
        t.check_formats({'disk_format': 'qcow2'})


def test_meter_hashes_counts_and_caps():
    data = b'0123456789' * 10000
    meter = p.Meter(io.BytesIO(data), length=len(data), chunk_size=4096)
    assert b''.join(meter) == data
    assert (meter.size, meter.checksum) == (len(data), hashlib.md5(data).hexdigest())
    meter = p.Meter(io.BytesIO(data), cap=50000, chunk_size=4096)
    with pytest.raises(p.TooLarge):
        list(meter)
    meter = p.Meter(io.BytesIO(data[:10]), length=20)
    with pytest.raises(p.ClientGone):
        list(meter)
    assert isinstance(meter.error, p.ClientGone)
