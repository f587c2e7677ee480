"""What an image is, seen from Plankton: how a Pithos object with ``plankton`` metadata
reads as an image, how ``X-Image-Meta-*`` request headers parse, and how an image
renders as response headers and JSON (plankton.md §1.3, §1.4, §2.1, §2.2).

The ``plankton`` domain of an object holds ``name``, ``disk_format``,
``container_format``, ``status``, ``owner``, ``created_at`` and one
``property:<key>`` entry per property.
"""

import re
import string
import uuid as uuidlib
from urllib.parse import quote

from .httputil import plankton_date, unquote_utf8

PLANKTON_FIELDS = frozenset((
    'name', 'disk_format', 'container_format', 'size', 'checksum', 'location',
    'created_at', 'updated_at', 'deleted_at', 'status', 'is_public', 'owner', 'id',
    'is_snapshot', 'description', 'store'))
REGISTER_FIELDS = frozenset((
    'name', 'id', 'store', 'disk_format', 'container_format', 'size', 'checksum',
    'is_public', 'owner', 'properties', 'location'))
UPDATE_FIELDS = frozenset((
    'name', 'disk_format', 'container_format', 'is_public', 'owner', 'status',
    'properties'))
DISK_FORMATS = ('diskdump', 'extdump', 'ntfsdump')
CONTAINER_FORMATS = ('aki', 'ari', 'ami', 'bare', 'ovf')
LIST_FIELDS = ('status', 'name', 'disk_format', 'container_format', 'size', 'id')
DETAIL_FIELDS = ('name', 'disk_format', 'container_format', 'size', 'checksum',
                 'location', 'created_at', 'updated_at', 'deleted_at', 'status',
                 'is_public', 'owner', 'properties', 'id')
S16_EXTRA_FIELDS = ('is_snapshot', 'description')
SORT_KEYS = ('id', 'name', 'status', 'size', 'disk_format', 'container_format',
             'created_at', 'updated_at')
PROPERTY_PREFIX = 'property:'
HEADER_PREFIX = 'HTTP_X_IMAGE_META_'
PROPERTY_HEADER_PREFIX = HEADER_PREFIX + 'PROPERTY_'
_PUNCTUATION = re.compile('[%s]' % re.escape(string.punctuation))

HEADER_STATUS = {'AVAILABLE': 'AVAILABLE', 'UNAVAILABLE': 'SAVING', 'ERROR': 'ERROR',
                 'DELETED': 'DELETED'}


def normalise_key(key):
    """Lower-case, every punctuation character → ``_`` (Plankton's key rule)."""
    return _PUNCTUATION.sub('_', key.lower())


class ImageRequest:
    """The ``X-Image-Meta-*`` headers of one request, parsed Plankton's way.

    ``fields`` holds Plankton fields (S16+ drops other names, S13 keeps them so that
    they can be refused), ``properties`` the property headers.
    """

    def __init__(self, environ, s13=False):
        self.fields = {}
        self.properties = {}
        for key, value in environ.items():
            if not key.startswith(HEADER_PREFIX):
                continue
            if key.startswith(PROPERTY_HEADER_PREFIX):
                raw_key = key[len(PROPERTY_HEADER_PREFIX):]
                if not raw_key:
                    continue
                prop = normalise_key(unquote_utf8(raw_key))
                self.properties[prop] = unquote_utf8(value)
                continue
            field = normalise_key(key[len(HEADER_PREFIX):])
            if not s13 and field not in PLANKTON_FIELDS:
                continue
            if s13 or field == 'name':
                value = unquote_utf8(value)
            else:
                value = _latin1_to_text(value)
            self.fields[field] = value

    def names(self):
        names = set(self.fields)
        if self.properties:
            names.add('properties')
        return names


def _latin1_to_text(value):
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def canonical_uuid(text):
    """The canonical form of a UUID string, or None (upper case and braces accepted)."""
    try:
        return str(uuidlib.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def parse_location(location):
    """``pithos://<acct>/<container>/<path>`` → (acct, container, path) raw, or None."""
    segments = location.split('/')
    if len(segments) < 5 or segments[0] != 'pithos:':
        return None
    return segments[2], segments[3], '/'.join(segments[4:])


def is_image(record):
    return 'name' in record.plankton


class Image:
    """An object read as an image, in one dialect (S16+ or S13)."""

    def __init__(self, record, s13=False):
        self.record = record
        self.s13 = s13

    @property
    def id(self):
        return self.record.uuid

    @property
    def owner(self):
        return self.record.account

    @property
    def is_public(self):
        return '*' in self.record.read

    @property
    def members(self):
        return [m for m in self.record.read if m != '*']

    def properties(self):
        return {k[len(PROPERTY_PREFIX):]: v for k, v in self.record.plankton.items()
                if k.startswith(PROPERTY_PREFIX)}

    def stored_status(self):
        return self.record.plankton.get('status')

    def json_status(self):
        stored = self.stored_status()
        if stored is not None:
            return stored
        return 'available' if self.s13 else 'AVAILABLE'

    def header_status(self):
        if self.s13:
            return self.json_status()
        return HEADER_STATUS.get(self.json_status().upper(), 'UNKNOWN')

    def location(self, quoted):
        record = self.record
        if not quoted:
            return 'pithos://%s/%s/%s' % (record.account, record.container, record.name)
        return 'pithos://%s/%s/%s' % (_q(record.account), _q(record.container),
                                      _q(record.name))

    def values(self):
        """Every detail field, unquoted, with JSON types."""
        record, plankton = self.record, self.record.plankton
        created = record.created if self.s13 else record.mtime
        values = {
            'name': plankton.get('name', ''),
            'disk_format': plankton.get('disk_format', ''),
            'container_format': plankton.get('container_format', ''),
            'size': record.bytes,
            'checksum': record.merkle,
            'location': self.location(quoted=not self.s13),
            'created_at': plankton_date(created),
            'updated_at': plankton_date(record.mtime),
            'deleted_at': '',
            'status': self.json_status(),
            'is_public': self.is_public,
            'owner': record.account,
            'properties': self.properties(),
            'id': record.uuid,
        }
        if not self.s13:
            values['is_snapshot'] = plankton.get('is_snapshot', 'false').lower() == 'true'
            values['description'] = plankton.get('description', '')
        return values

    def fields(self):
        return DETAIL_FIELDS if self.s13 else DETAIL_FIELDS + S16_EXTRA_FIELDS

    def detail_json(self):
        values = self.values()
        return {field: values[field] for field in self.fields()}

    def brief_json(self):
        values = self.values()
        return {field: values[field] for field in LIST_FIELDS}

    def headers(self):
        """``x-image-meta-*`` response headers in Plankton's order (list of pairs)."""
        values = self.values()
        quote_text = (lambda v: v) if self.s13 else _q
        pairs = []
        for field in self.fields():
            value = values[field]
            if field == 'properties':
                for key, prop in value.items():
                    pairs.append(('x-image-meta-property-' + quote_text(key.replace('_', '-')),
                                  quote_text(prop)))
                continue
            if field in ('name', 'description'):
                value = quote_text(value)
            elif field == 'status':
                value = self.header_status()
            elif isinstance(value, bool):
                value = str(value)
            pairs.append(('x-image-meta-' + field.replace('_', '-'), str(value)))
        return pairs


def _q(value):
    return quote(str(value).encode('utf-8'), safe='/')
