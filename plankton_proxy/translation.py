"""The Glance v1 <-> Plankton translation table.

Every rule that turns a Plankton reply into what a Glance client expects, or a
Glance client's request into what Plankton accepts, is written down here as
data, once.  The filters in ``plankton_proxy.middleware`` only move requests
and replies around; they ask this module what a name, a value or a status
means.

The model is a *canonical image*: a plain dict with Glance's field names and
Python values (``int``, ``bool``, ``None``, ``str``), plus ``properties`` (a
dict of str to str) and the internal ``location`` (the ``pithos://`` URL, which
Glance v1 never shows).  Three renderings hang off it:

* Plankton reply (headers of HEAD/POST/PUT, or a JSON list item)
  -> :func:`image_from_plankton_headers` / :func:`image_from_plankton_json`
  -> canonical image;
* canonical image -> Glance v1 response headers (:func:`glance_headers`)
  or JSON (:func:`glance_json`, ``brief=True`` for ``GET /images``);
* Glance v1 request (``x-image-meta-*`` headers or an openstacksdk JSON
  body) -> :func:`meta_from_glance_headers` / :func:`meta_from_glance_json`
  -> canonical request metadata (:class:`RequestMeta`)
  -> Plankton request headers (:meth:`Translator.plankton_headers`).

A later Glance v2 face is one more rendering of the same canonical image.

Dialects: ``s16`` (Synnefo 0.16-0.20, the default) and ``s13`` (Synnefo
0.13).  Where they differ the rule carries the dialect.
"""

import json
import re
import string
from datetime import datetime, timezone
from urllib.parse import quote, unquote

# ---------------------------------------------------------------------------
# Names and prefixes

GLANCE_META_PREFIX = 'x-image-meta-'
GLANCE_PROPERTY_PREFIX = 'x-image-meta-property-'
GLANCE_PURGE_HEADER = 'x-glance-registry-purge-props'
GLANCE_COPY_FROM_HEADER = 'x-glance-api-copy-from'
PLANKTON_META_PREFIX = 'x-image-meta-'
PLANKTON_PROPERTY_PREFIX = 'x-image-meta-property-'

#: Glance fields that Plankton lacks are kept as Plankton properties whose
#: names start with this prefix (decision 10).  They are hidden from
#: ``properties`` on the way back, and clients may not set such keys.
RESERVED_PREFIX = 'x_glance_'

#: canonical field -> reserved Plankton property key (decision 10).
RESERVED_PROPERTIES = {
    'min_ram': RESERVED_PREFIX + 'min_ram',
    'min_disk': RESERVED_PREFIX + 'min_disk',
    'protected': RESERVED_PREFIX + 'protected',
    'checksum': RESERVED_PREFIX + 'checksum',   # an MD5, never the Merkle hash
    'status': RESERVED_PREFIX + 'status',       # e.g. queued placeholders
    # Image API v2 fields (v1 never shows them):
    'tags': RESERVED_PREFIX + 'tags',           # a JSON array of strings
    'visibility': RESERVED_PREFIX + 'visibility',   # 'private' or 'shared'
    'os_hidden': RESERVED_PREFIX + 'os_hidden',
    'os_hash_algo': RESERVED_PREFIX + 'os_hash_algo',
    'os_hash_value': RESERVED_PREFIX + 'os_hash_value',
    # Formats a queued placeholder holds only because Plankton stores its
    # defaults: Glance shows them null until the caller sets them.
    'unset_formats': RESERVED_PREFIX + 'unset_formats',   # e.g. ["disk_format"]
    # When the proxy registered the image: Synnefo 0.16+ reports the file's
    # last change as created_at (plankton.md §2.8), which moves with every
    # update and reorders Glance's default created_at-desc lists.
    'created_at': RESERVED_PREFIX + 'created_at',
}
FORMAT_FIELDS = ('disk_format', 'container_format')
#: Pithos keeps a metadata value under 256 characters (plankton.md §2.3):
#: a longer reserved text (many or long tags) is split over numbered keys,
#: ``x_glance_tags``, ``x_glance_tags_2``, ``x_glance_tags_3``...  Each piece
#: is one of the object's few metadata items, so texts stay compact.
RESERVED_PIECE_MAX = 255
#: At most this many pieces of tags (about 2 KB): Pithos keeps 32 metadata
#: items per object in all, and servers refuse more than 100 headers.
RESERVED_TAG_PIECES_MAX = 8


def reserved_piece_key(key, index):
    return key if index == 0 else '%s_%d' % (key, index + 1)


def reserved_items(field, value):
    """A canonical value -> ``{reserved key: text}`` ('' deletes), split in
    pieces of at most RESERVED_PIECE_MAX characters."""
    key = RESERVED_PROPERTIES[field]
    text = render_reserved(value)
    if len(text) <= RESERVED_PIECE_MAX:
        return {key: text}
    return {reserved_piece_key(key, n // RESERVED_PIECE_MAX):
            text[n:n + RESERVED_PIECE_MAX]
            for n in range(0, len(text), RESERVED_PIECE_MAX)}


def reserved_keys(reserved, field):
    """The keys of ``reserved`` (stored reserved properties) that hold
    ``field``, its first piece and any further ones."""
    key = RESERVED_PROPERTIES[field]
    return [k for k in reserved
            if k == key or (k.startswith(key + '_') and k[len(key) + 1:].isdigit())]


def reserved_text(reserved, field):
    """The stored text of ``field``, its pieces joined (None: not kept)."""
    key = RESERVED_PROPERTIES[field]
    pieces = []
    while reserved.get(reserved_piece_key(key, len(pieces))):
        pieces.append(reserved[reserved_piece_key(key, len(pieces))])
    return ''.join(pieces) or None

# ---------------------------------------------------------------------------
# The field table.
#
# kind: how the value is typed in the canonical model.
# glance: shown to Glance v1 clients (headers and detail JSON).
# brief: part of the brief list entry (GET /images).
# plankton: the Plankton field name (None: Plankton lacks it).
# create / update: how a Glance client's value is treated on POST / PUT:
#   'send'     forward to Plankton (renamed/re-encoded),
#   'reserved' keep as a reserved property,
#   'check'    validated by the proxy, never forwarded,
#   'drop'     accepted and ignored (Glance ignores it too for non-admins),
#   'reject'   400.
# default: the value shown when Plankton has none.

FIELDS = {
    'id':               dict(kind='str',  glance=True, brief=True,  plankton='id',
                             create='reject', update='check', default=None),
    'name':             dict(kind='str',  glance=True, brief=True,  plankton='name',
                             create='send', update='send', default=None),
    'status':           dict(kind='status', glance=True, brief=False, plankton='status',
                             create='drop', update='check', default='active'),
    'disk_format':      dict(kind='disk_format', glance=True, brief=True,
                             plankton='disk_format', create='send', update='send',
                             default=None),
    'container_format': dict(kind='container_format', glance=True, brief=True,
                             plankton='container_format', create='send',
                             update='send', default=None),
    'size':             dict(kind='int',  glance=True, brief=True,  plankton='size',
                             create='check', update='check', default=0),
    'virtual_size':     dict(kind='int',  glance=False, brief=False, plankton=None,
                             create='drop', update='drop', default=None),
    'checksum':         dict(kind='checksum', glance=True, brief=True, plankton=None,
                             create='reserved', update='check', default=None),
    'created_at':       dict(kind='time', glance=True, brief=False, plankton='created_at',
                             create='drop', update='drop', default=None),
    'updated_at':       dict(kind='time', glance=True, brief=False, plankton='updated_at',
                             create='drop', update='drop', default=None),
    'deleted_at':       dict(kind='time', glance=True, brief=False, plankton='deleted_at',
                             create='drop', update='drop', default=None),
    'deleted':          dict(kind='bool', glance=True, brief=False, plankton=None,
                             create='drop', update='drop', default=False),
    'is_public':        dict(kind='bool', glance=True, brief=False, plankton='is_public',
                             create='send', update='send', default=False),
    'protected':        dict(kind='bool', glance=True, brief=False, plankton=None,
                             create='reserved', update='reserved', default=False),
    'min_ram':          dict(kind='int32', glance=True, brief=False, plankton=None,
                             create='reserved', update='reserved', default=0),
    'min_disk':         dict(kind='int32', glance=True, brief=False, plankton=None,
                             create='reserved', update='reserved', default=0),
    'owner':            dict(kind='str',  glance=True, brief=False, plankton='owner',
                             create='drop', update='drop', default=None),
    'location':         dict(kind='location', glance=False, brief=False,
                             plankton='location', create='send', update='check',
                             default=None),
    'store':            dict(kind='str',  glance=False, brief=False, plankton=None,
                             create='drop', update='drop', default=None),
    'copy_from':        dict(kind='str',  glance=False, brief=False, plankton=None,
                             create='reject', update='reject', default=None),
    'uri':              dict(kind='str',  glance=False, brief=False, plankton=None,
                             create='drop', update='drop', default=None),
    # Image API v2 only (v2=True: a v1 request may not name them).
    'tags':             dict(kind='tags', glance=False, brief=False, plankton=None,
                             create='reserved', update='reserved', default=[],
                             v2=True),
    'visibility':       dict(kind='visibility', glance=False, brief=False,
                             plankton=None, create='reserved', update='reserved',
                             default=None, v2=True),
    'os_hidden':        dict(kind='bool', glance=False, brief=False, plankton=None,
                             create='reserved', update='reserved', default=False,
                             v2=True),
    'os_hash_algo':     dict(kind='str', glance=False, brief=False, plankton=None,
                             create='reserved', update='reserved', default=None,
                             v2=True),
    'os_hash_value':    dict(kind='str', glance=False, brief=False, plankton=None,
                             create='reserved', update='reserved', default=None,
                             v2=True),
}

#: Per-dialect exceptions to the create/update rules above.
#: S13 (and 0.14-0.15) check x-image-meta-size against the file themselves;
#: S16+ refuse any size header, so the proxy compares it after registering.
DIALECT_RULES = {
    's13': {('size', 'create'): 'send'},
    's16': {},
}

#: Glance's order of fields in HEAD replies and JSON (cosmetic).
GLANCE_FIELD_ORDER = ['id', 'name', 'status', 'disk_format', 'container_format',
                      'size', 'virtual_size', 'checksum', 'created_at', 'updated_at',
                      'deleted_at', 'deleted', 'is_public', 'protected', 'min_ram',
                      'min_disk', 'owner']
GLANCE_BRIEF_FIELDS = [f for f in GLANCE_FIELD_ORDER if FIELDS[f]['brief']]
#: detail JSON always carries these keys, null or not (Glance does).
GLANCE_JSON_FIELDS = GLANCE_FIELD_ORDER

#: Plankton reply fields that Glance never shows (§6.2 row 10).
PLANKTON_HIDDEN_FIELDS = {'location', 'store', 'is_snapshot', 'description'}

#: Keys that openstacksdk/OSC echo back in JSON bodies; never properties.
JSON_ECHO_KEYS = {'deleted', 'deleted_at', 'virtual_size', 'validate_checksum',
                  'created_at', 'updated_at', 'id', 'status', 'size', 'checksum',
                  'owner', 'store', 'uri', 'properties', 'is_protected', 'owner_id',
                  'location', 'copy_from'}

# ---------------------------------------------------------------------------
# Status (decision 11).  Plankton values are compared lower-cased.

PLANKTON_TO_GLANCE_STATUS = {
    'available': 'active',
    'saving': 'saving',
    'unavailable': 'saving',
    'error': 'killed',
    'deleted': 'deleted',
    'queued': 'queued',
    'active': 'active',
    'killed': 'killed',
}
#: For anything else (``UNKNOWN``, free text a PUT stored): documented default.
DEFAULT_GLANCE_STATUS = 'active'

GLANCE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted',
                   'pending_delete']

# ---------------------------------------------------------------------------
# Formats (decision 9)

GLANCE_DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2',
                       'vdi', 'iso', 'ploop']
GLANCE_CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker']
PLANKTON_DISK_FORMATS = ['diskdump', 'extdump', 'ntfsdump']
PLANKTON_CONTAINER_FORMATS = ['aki', 'ari', 'ami', 'bare', 'ovf']
#: Glance disk format -> Plankton disk format; configurable ("disk_formats").
DEFAULT_DISK_FORMAT_MAP = {'raw': 'diskdump'}
#: Glance container format -> Plankton container format.
DEFAULT_CONTAINER_FORMAT_MAP = {c: c for c in PLANKTON_CONTAINER_FORMATS}

# ---------------------------------------------------------------------------
# Booleans

GLANCE_TRUE_STRINGS = {'1', 't', 'true', 'on', 'y', 'yes'}   # oslo bool_from_string
GLANCE_NONE_STRINGS = {'none', ''}                           # "not set"
PLANKTON_TRUE = 'true'                                       # only 'true' is true
PLANKTON_FALSE = 'false'

# ---------------------------------------------------------------------------
# Timestamps

PLANKTON_TIME_FORMATS = ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S',
                         '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d %H:%M:%S.%f']
GLANCE_TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'

# ---------------------------------------------------------------------------
# Status codes: Plankton answer -> Glance answer (§6.2 row 37).
# (method class, plankton status, message regex or None) -> glance status
# 'read' = GET/HEAD, 'write' = PUT/POST/DELETE.

STATUS_REMAPS = [
    ('any', 400, r'API endpoint not found', 404),
    ('any', 400, r'^$', 404),          # S16+: non-UUID id -> 400 with an empty message
    ('any', 400, r'Image not found', 404),   # S13 asserts on unknown ids
    ('any', 400, r'^File not found', 404),   # S13 register: no such Pithos file
    ('read', 403, None, 404),          # cannot read: existence not revealed
    ('members', 403, None, 404),       # member changes by a non-owner (row 33)
    ('write', 403, None, 403),         # visible but not writable: Glance's 403
    ('any', 204, None, 200),           # DELETE (row 24)
    # The registry failed (not the proxy): the client sees a gateway error.
    ('any', 500, None, 502),
]
#: Pithos says this when an image has too many metadata items.
PLANKTON_OVERLIMIT_RE = re.compile(r'more than \d+ metadata items', re.I)

# ---------------------------------------------------------------------------
# List parameters (glance-v1.md §7)

LIST_DEFAULT_LIMIT = 25
LIST_MAX_LIMIT = 1000
SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id',
             'created_at', 'updated_at']
SORT_DIRS = ['asc', 'desc']
DEFAULT_SORT_KEY = 'created_at'
DEFAULT_SORT_DIR = 'desc'
#: query parameter -> (canonical field, comparison)
LIST_FILTERS = {
    'name': ('name', 'eq'),
    'status': ('status', 'eq'),
    'container_format': ('container_format', 'eq'),
    'disk_format': ('disk_format', 'eq'),
    'size_min': ('size', 'ge'),
    'size_max': ('size', 'le'),
    'min_ram': ('min_ram', 'eq'),
    'min_disk': ('min_disk', 'eq'),
    'protected': ('protected', 'bool'),
    'changes-since': ('updated_at', 'gt'),
}
LIST_PROPERTY_FILTER_PREFIX = 'property-'
#: statuses left out of default lists
LIST_HIDDEN_STATUSES = {'killed', 'deleted', 'pending_delete'}

# ---------------------------------------------------------------------------
# Limits and quotas

GLANCE_INT32_MAX = 2147483647
GLANCE_NAME_MAX = 255
GLANCE_CHECKSUM_MAX = 32
DEFAULT_PROPERTY_QUOTA = 128
DEFAULT_MEMBER_QUOTA = 128


# ---------------------------------------------------------------------------
# Image data (decisions 3-6, 16): uploads into Pithos, queued placeholders,
# downloads.

#: Glance's default ``image_size_cap`` (1 TiB): a declared size above the cap
#: -> 400, a chunked body that grows past it -> 413 (glance-v1.md §4 step 2).
DEFAULT_IMAGE_SIZE_CAP = 1099511627776
#: Names under Plankton's ``/images/`` that are routes, not image ids
#: (``HEAD /images/detail`` is a 405 there); no image can have them, so a
#: v2 ``GET /v2/images/detail`` is a 404 as in Glance.
PLANKTON_IMAGES_SUBROUTES = frozenset(['detail'])
#: Reserved status of a placeholder registered without data (decision 5).
QUEUED_STATUS = 'queued'
#: Reserved status while a queued image's data streams into Pithos.
SAVING_STATUS = 'saving'
#: Glance answers a declared ``x-image-meta-size: 0`` without data with an
#: active, empty image (checksum null), not a queued one (glance-v1.md §3.5).
ZERO_SIZE_STATUS = 'active'
#: What Plankton stores when a register names no format (plankton.md §2.3
#: step 7): a queued placeholder registered without formats gets these.
PLANKTON_DEFAULT_DISK_FORMAT = 'diskdump'
PLANKTON_DEFAULT_CONTAINER_FORMAT = 'bare'
#: Content-Type of the objects the proxy writes to Pithos (Pithos needs one).
PITHOS_DATA_CONTENT_TYPE = 'application/octet-stream'
#: Object metadata marking a file the proxy itself uploaded (decision 16:
#: only such files may be deleted with their image, when the operator says so).
UPLOAD_MARKER_HEADER = 'X-Object-Meta-Plankton-Proxy'
UPLOAD_MARKER_VALUE = 'upload'
#: Download replies: exactly this Content-Type (clients.md §0.13).
GLANCE_DATA_CONTENT_TYPE = 'application/octet-stream'
#: Glance statuses whose data cannot be read (the reference answers 404).
NO_DATA_STATUSES = {'queued', 'saving', 'killed', 'deleted', 'pending_delete'}

#: Glance's messages on the data path (glance-v1.md §4 and §5).
MSG_SIZE_CAP = 'Denying attempt to upload image larger than %d bytes.'
#: Glance ends these with "Setting image status to 'killed'."; the proxy
#: keeps nothing instead (decision 1), and says so.
MSG_SIZE_MISMATCH = ('Supplied size (%d) and size generated from uploaded image '
                     '(%d) did not match. Nothing was stored.')
MSG_CHECKSUM_MISMATCH = ('Supplied checksum (%s) and checksum generated from '
                         'uploaded image (%s) did not match. Nothing was stored.')
MSG_UNQUEUED = 'Cannot upload to an unqueued image'
MSG_MULTIPLE_SOURCES = "It's invalid to provide multiple image sources."
MSG_LOCATION_SIZE = ('Provided image size must match the stored image size. '
                     '(provided size: %d, stored size: %d)')
MSG_NO_DATA = 'Image %s has no data to download (status %s).'


def is_md5(value):
    """A 32-hex MD5 (what Glance calls checksum), as opposed to a Merkle hash."""
    return bool(value) and len(value) == 32 and \
        all(c in '0123456789abcdef' for c in value.lower())


class Invalid(ValueError):
    """A Glance client sent something Glance would refuse; ``status`` is
    the Glance status code, ``str(exc)`` the message."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def check_property_quota(count, quota):
    """Glance's 413 when an image would have more than ``quota`` properties
    (a negative quota: unlimited)."""
    if 0 <= quota < count:
        raise Invalid('The limit has been exceeded on the number of allowed '
                      'image properties. Attempted: %d, Maximum: %d'
                      % (count, quota), status=413)


def check_member_quota(count, quota):
    """Glance's 413 when an image would have more than ``quota`` members
    (a negative quota: unlimited)."""
    if 0 <= quota < count:
        raise Invalid('The limit has been exceeded on the number of allowed '
                      'image members for this image. Attempted: %d, Maximum: %d'
                      % (count, quota), status=413)


# ---------------------------------------------------------------------------
# Small value converters


def parse_glance_bool(value):
    """``True/False/None`` strings (and JSON values) -> True/False/None."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in GLANCE_NONE_STRINGS:
        return None
    return text in GLANCE_TRUE_STRINGS


def parse_plankton_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == 'true'


def render_glance_bool_header(value):
    return 'True' if value else 'False'


def render_plankton_bool(value):
    return PLANKTON_TRUE if value else PLANKTON_FALSE


def parse_plankton_time(value):
    """Plankton ``YYYY-MM-DD HH:MM:SS`` (UTC) -> datetime, '' -> None."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    for fmt in PLANKTON_TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def render_glance_time(value):
    if value is None:
        return None
    return value.strftime(GLANCE_TIME_FORMAT)


def parse_glance_time(value):
    """ISO 8601 as Glance accepts it for ``changes-since`` -> naive UTC."""
    text = (value or '').strip()
    if not text:
        raise Invalid('Unrecognized changes-since value')
    for fmt in ('%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%dT%H:%M:%S%z',
                '%Y-%m-%dT%H:%M%z', '%Y-%m-%d%z', '%Y%m%d%z'):
        candidate = text
        if candidate.endswith('Z'):
            candidate = candidate[:-1] + '+00:00'
        if not re.search(r'[+-]\d\d:?\d\d$', candidate) or \
                re.match(r'^\d{4}-\d\d-\d\d$', candidate):
            candidate = candidate + '+00:00'
        try:
            dt = datetime.strptime(candidate, fmt)
        except ValueError:
            continue
        return dt.astimezone(timezone.utc).replace(tzinfo=None)
    raise Invalid('Unrecognized changes-since value')


#: characters a header value may carry as they are
_HEADER_SAFE = ''.join(c for c in string.printable
                       if c not in '\t\n\r\x0b\x0c%')
#: characters allowed in a header name (RFC 7230 tchar), minus '%'
_TOKEN_SAFE = "!#$&'*+-.^_`|~" + string.ascii_letters + string.digits


def glance_header_value(value):
    """A response header value: ASCII; anything else percent-encoded (decision 15)."""
    text = str(value)
    if all(c in _HEADER_SAFE for c in text):
        return text
    return quote(text, safe=_HEADER_SAFE)


def glance_header_token(name):
    """A header-name fragment made of token characters only (clients.md §0.12)."""
    if all(c in _TOKEN_SAFE for c in name):
        return name
    return quote(name, safe=_TOKEN_SAFE)


def plankton_quote(value):
    """Percent-encode a value the way Plankton unquotes it (UTF-8, safe ``/``)."""
    return quote(str(value), safe='/')


def quote_location(location):
    """``pithos://a/c/p`` with each of the 3 parts quoted (safe ``/``)."""
    if not location.startswith('pithos://'):
        return location
    return 'pithos://' + '/'.join(quote(part, safe='/@')
                                  for part in location[len('pithos://'):].split('/'))


def unquote_location(location):
    if not location or not location.startswith('pithos://'):
        return location
    return 'pithos://' + '/'.join(unquote(part)
                                  for part in location[len('pithos://'):].split('/'))


def parse_pithos_location(location):
    """-> (account, container, path) or None."""
    if not location or not location.startswith('pithos://'):
        return None
    parts = location[len('pithos://'):].split('/', 2)
    if len(parts) < 3 or not all(parts):
        return None
    return tuple(parts)


def latin1_to_text(value):
    """A WSGI (latin-1) header string holding UTF-8 bytes -> text, when it is UTF-8."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def normalise_property_key(key):
    """Glance: lower-case, ``-`` -> ``_`` (glance-v1.md §3.3)."""
    return key.lower().replace('-', '_')


# ---------------------------------------------------------------------------
# The translator: the tables above plus the operator's configuration.


class Translator(object):
    """Configured translation (dialect, format maps, statuses)."""

    def __init__(self, dialect='s16', disk_format_map=None,
                 container_format_map=None, unknown_status=DEFAULT_GLANCE_STATUS):
        if dialect not in ('s16', 's13'):
            raise ValueError('dialect must be s16 or s13, not %r' % dialect)
        self.dialect = dialect
        self.disk_map = dict(DEFAULT_DISK_FORMAT_MAP if disk_format_map is None
                             else disk_format_map)
        self.disk_map_back = {v: k for k, v in self.disk_map.items()}
        self.container_map = dict(DEFAULT_CONTAINER_FORMAT_MAP
                                  if container_format_map is None
                                  else container_format_map)
        self.container_map_back = {v: k for k, v in self.container_map.items()}
        self.unknown_status = unknown_status

    @classmethod
    def from_conf(cls, conf):
        """Build from paste options: ``upstream_dialect``, ``disk_formats``
        (``glance:plankton, ...``), ``container_formats``, ``unknown_status``."""
        def parse_map(text):
            if text is None:
                return None
            result = {}
            for item in re.split(r'[,\s]+', text.strip()):
                if not item:
                    continue
                glance, _, plankton = item.partition(':')
                result[glance.strip()] = (plankton or glance).strip()
            return result
        return cls(dialect=conf.get('upstream_dialect', 's16').strip().lower(),
                   disk_format_map=parse_map(conf.get('disk_formats')),
                   container_format_map=parse_map(conf.get('container_formats')),
                   unknown_status=conf.get('unknown_status', DEFAULT_GLANCE_STATUS))

    def rule(self, field, operation):
        """How ``field`` of a Glance request is treated on ``operation``."""
        return DIALECT_RULES[self.dialect].get((field, operation),
                                               FIELDS[field][operation])

    # -- formats ----------------------------------------------------------

    def disk_format_to_plankton(self, value):
        if value in self.disk_map:
            return self.disk_map[value]
        raise Invalid("Invalid disk format '%s' for image. This registry accepts: %s"
                      % (value, ', '.join(sorted(self.disk_map))))

    def disk_format_to_glance(self, value):
        if value in (None, ''):
            return None
        return self.disk_map_back.get(value, value)

    def container_format_to_plankton(self, value):
        if value in self.container_map:
            return self.container_map[value]
        raise Invalid("Invalid container format '%s' for image. This registry "
                      "accepts: %s" % (value, ', '.join(sorted(self.container_map))))

    def container_format_to_glance(self, value):
        if value in (None, ''):
            return None
        return self.container_map_back.get(value, value)

    def status_to_glance(self, value):
        if value is None or value == '':
            return self.unknown_status
        return PLANKTON_TO_GLANCE_STATUS.get(str(value).strip().lower(),
                                             self.unknown_status)

    def check_formats(self, fields, required=False, current=None):
        """Glance's format rules (glance-v1.md §3.4) on request ``fields``
        (updated in place for the Amazon rule); ``required``: data or a
        location is being attached, so both formats must be known from the
        request or from ``current``."""
        disk = fields.get('disk_format')
        cont = fields.get('container_format')
        amazon = ('aki', 'ari', 'ami')
        if disk in amazon and cont is None:
            fields['container_format'] = cont = disk
        elif cont in amazon and disk is None:
            fields['disk_format'] = disk = cont
        elif (disk in amazon or cont in amazon) and disk != cont:
            raise Invalid("Invalid mix of disk and container formats. When "
                          "setting a disk or container format to one of 'aki', "
                          "'ari', or 'ami', the container and disk formats must "
                          "match.")
        if disk is not None:
            self.disk_format_to_plankton(disk)
        if cont is not None:
            self.container_format_to_plankton(cont)
        if required:
            if cont is None and not (current or {}).get('container_format'):
                raise Invalid('Container format is not specified.')
            if disk is None and not (current or {}).get('disk_format'):
                raise Invalid('Disk format is not specified.')

    def default_formats(self):
        """The Glance names of Plankton's default formats -> (disk, container)."""
        disk = self.disk_map_back.get(PLANKTON_DEFAULT_DISK_FORMAT) or \
            sorted(self.disk_map)[0]
        cont = self.container_map_back.get(PLANKTON_DEFAULT_CONTAINER_FORMAT) or \
            sorted(self.container_map)[0]
        return disk, cont

    def reserved_update_headers(self, current, changes):
        """Plankton PUT headers that set (or, with value None, remove)
        reserved properties of ``current`` and leave everything else as it is.

        S16+ merges key by key (an empty value deletes); S13 replaces the
        whole property set, so every kept property is sent again."""
        old_user = current.get('properties') or {}
        old_reserved = dict(current.get('_reserved') or {})
        wanted = {}
        for field, value in changes.items():
            items = reserved_items(field, value)
            for key in reserved_keys(old_reserved, field):
                if key not in items or items[key] == '':
                    wanted[key] = ''
                    old_reserved.pop(key)
            for key, text in items.items():
                if text != '':
                    wanted[key] = text
                    old_reserved[key] = text
        if self.dialect == 's13':
            props = {k: v for k, v in old_user.items() if v != ''}
            props.update({k: v for k, v in old_reserved.items() if v != ''})
        else:
            props = wanted
        return [(PLANKTON_PROPERTY_PREFIX + quote(key.replace('_', '-'), safe='-'),
                 plankton_quote(value)) for key, value in props.items()]

    # -- Plankton reply -> canonical ----------------------------------------

    def image_from_plankton_headers(self, headers):
        """Plankton HEAD/POST/PUT reply headers -> canonical image.

        ``headers``: an iterable of (name, value) pairs as WSGI gives them
        (latin-1 strings)."""
        raw = {}
        props = {}
        for name, value in headers:
            lname = name.lower()
            if not lname.startswith(PLANKTON_META_PREFIX):
                continue
            if lname.startswith(PLANKTON_PROPERTY_PREFIX):
                key = unquote(lname[len(PLANKTON_PROPERTY_PREFIX):])
                key = key.replace('-', '_')
                props[key] = self._plankton_header_text(value, quoted=True)
                continue
            field = lname[len(PLANKTON_META_PREFIX):].replace('-', '_')
            if field == 'location':
                raw[field] = unquote_location(latin1_to_text(value))
            elif field in ('name', 'description'):
                raw[field] = self._plankton_header_text(value, quoted=True)
            else:
                raw[field] = latin1_to_text(value)
        raw['properties'] = props
        return self._canonical(raw)

    def _plankton_header_text(self, value, quoted):
        text = latin1_to_text(value)
        if quoted and self.dialect == 's16':
            text = unquote(text)
        return text

    def image_from_plankton_json(self, item):
        """One item of Plankton's list (brief or detail) -> canonical image."""
        raw = dict(item)
        raw['properties'] = dict(item.get('properties') or {})
        if raw.get('location'):
            raw['location'] = unquote_location(raw['location'])
        return self._canonical(raw)

    def _canonical(self, raw):
        props = raw.get('properties') or {}
        user_props = {}
        reserved = {}
        for key, value in props.items():
            if key.startswith(RESERVED_PREFIX):
                reserved[key] = value
            else:
                user_props[key] = '' if value is None else str(value)
        image = {}
        image['id'] = raw.get('id') or None
        image['name'] = raw.get('name') or None
        status = reserved.get(RESERVED_PROPERTIES['status'])
        image['status'] = (status if status in GLANCE_STATUSES
                           else self.status_to_glance(raw.get('status')))
        image['disk_format'] = self.disk_format_to_glance(raw.get('disk_format'))
        image['container_format'] = self.container_format_to_glance(
            raw.get('container_format'))
        for field in unset_formats(reserved):
            image[field] = None
        image['size'] = _to_int(raw.get('size'), 0)
        image['virtual_size'] = None
        checksum = reserved.get(RESERVED_PROPERTIES['checksum'])
        image['checksum'] = checksum or None        # never the Merkle hash
        image['created_at'] = render_glance_time(parse_plankton_time(
            reserved.get(RESERVED_PROPERTIES['created_at']) or raw.get('created_at')))
        image['updated_at'] = render_glance_time(parse_plankton_time(raw.get('updated_at')))
        image['deleted_at'] = None
        image['deleted'] = False
        image['is_public'] = parse_plankton_bool(raw.get('is_public', False))
        image['protected'] = parse_plankton_bool(
            reserved.get(RESERVED_PROPERTIES['protected'], False))
        image['min_ram'] = _to_int(reserved.get(RESERVED_PROPERTIES['min_ram']), 0)
        image['min_disk'] = _to_int(reserved.get(RESERVED_PROPERTIES['min_disk']), 0)
        image['owner'] = raw.get('owner') or None
        image['properties'] = user_props
        image['location'] = raw.get('location') or None
        image['tags'] = parse_reserved_list(reserved_text(reserved, 'tags'))
        visibility = reserved.get(RESERVED_PROPERTIES['visibility'])
        image['visibility'] = visibility_of(image['is_public'], visibility)
        image['os_hidden'] = parse_plankton_bool(
            reserved.get(RESERVED_PROPERTIES['os_hidden'], False))
        image['os_hash_algo'] = reserved.get(RESERVED_PROPERTIES['os_hash_algo']) or None
        image['os_hash_value'] = reserved.get(RESERVED_PROPERTIES['os_hash_value']) or None
        image['_reserved'] = reserved
        return image

    # -- canonical -> Glance v1 ----------------------------------------------

    @staticmethod
    def glance_headers(image):
        """Canonical image -> Glance v1 ``x-image-meta-*`` response headers."""
        headers = []
        for field in GLANCE_FIELD_ORDER:
            if not FIELDS[field]['glance']:
                continue
            value = image.get(field)
            if value is None:
                continue
            if isinstance(value, bool):
                value = render_glance_bool_header(value)
            headers.append((GLANCE_META_PREFIX + field, glance_header_value(value)))
        for key in sorted(image.get('properties') or {}):
            value = image['properties'][key]
            if value is None:
                continue
            headers.append((GLANCE_PROPERTY_PREFIX + glance_header_token(key.lower()),
                            glance_header_value(value)))
        if image.get('checksum'):
            headers.append(('ETag', image['checksum']))
        return headers

    @staticmethod
    def glance_json(image, brief=False):
        """Canonical image -> the dict of a Glance v1 JSON image."""
        if brief:
            return {f: image.get(f) for f in GLANCE_BRIEF_FIELDS}
        result = {f: image.get(f) for f in GLANCE_JSON_FIELDS}
        result['properties'] = dict(image.get('properties') or {})
        return result

    # -- Glance request -> canonical ------------------------------------------

    def plankton_headers(self, meta, operation, current=None):
        """RequestMeta -> list of (name, value) Plankton request headers.

        ``operation`` is ``create`` or ``update``.  ``current`` is the
        canonical image being updated (needed for purge on either dialect
        and for S13's replace-all semantics)."""
        headers = []
        fields = meta.fields
        for field, value in fields.items():
            rule = self.rule(field, operation)
            if rule != 'send' or value is None:
                continue
            pname = FIELDS[field]['plankton']
            if field == 'disk_format':
                value = self.disk_format_to_plankton(value)
            elif field == 'container_format':
                value = self.container_format_to_plankton(value)
            elif field == 'is_public':
                value = render_plankton_bool(value)
            elif field == 'location':
                value = quote_location(value)
            elif field == 'name':
                value = plankton_quote(value)
            else:
                value = str(value)
            headers.append((PLANKTON_META_PREFIX + pname.replace('_', '-'), value))
        props = self.plankton_properties(meta, operation, current)
        for key, value in props.items():
            headers.append((PLANKTON_PROPERTY_PREFIX +
                            quote(key.replace('_', '-'), safe='-'),
                            plankton_quote(value)))
        return headers

    def plankton_properties(self, meta, operation, current=None):
        """The Plankton property set to send (user and reserved keys)."""
        new_reserved = {}
        changed = []
        for field, value in meta.fields.items():
            if self.rule(field, operation) == 'reserved' and value is not None:
                new_reserved.update(reserved_items(field, value))
                changed.append(field)
        if operation == 'create':
            new_reserved[RESERVED_PROPERTIES['created_at']] = \
                datetime.now(timezone.utc).strftime(PLANKTON_TIME_FORMATS[0])
        if operation == 'create' or current is None:
            new_reserved = {k: v for k, v in new_reserved.items() if v != ''}
            props = dict(meta.properties)
            props.update(new_reserved)
            return props
        old_user = current.get('properties') or {}
        old_reserved = dict(current.get('_reserved') or {})
        unset = unset_formats(old_reserved)
        still_unset = [f for f in unset if meta.fields.get(f) is None]
        if still_unset != unset:
            new_reserved.update(reserved_items('unset_formats', still_unset))
        # Pieces a shorter text no longer fills are deleted ('' on S16+,
        # left out of S13's full set).
        for field in changed:
            for key in reserved_keys(old_reserved, field):
                new_reserved.setdefault(key, '')
        if meta.purge:
            wanted = dict(meta.properties)
        else:
            wanted = dict(old_user)
            wanted.update(meta.properties)
        if self.dialect == 's13':
            # S13's PUT replaces the whole property set: send all of it.
            props = {k: v for k, v in wanted.items() if v != ''}
            props.update(old_reserved)
            props.update(new_reserved)
            # '' stays: a reset with no property at all would keep the old set.
            return props
        # S16+ merges; an empty value deletes a key.
        props = {}
        for key, value in wanted.items():
            if old_user.get(key) != value:
                props[key] = value
        for key in old_user:
            if key not in wanted:
                props[key] = ''
        for key, value in new_reserved.items():
            if old_reserved.get(key) != value:
                props[key] = value
        return props


def _to_int(value, default):
    if value is None or value == '':
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------
# Glance request parsing


class RequestMeta(object):
    """Canonical metadata of a Glance create/update request."""

    def __init__(self, fields=None, properties=None, purge=None, source='headers',
                 has_data=False):
        self.fields = fields or {}
        self.properties = properties or {}
        self.purge = purge
        self.source = source          # 'headers' or 'json'
        self.has_data = has_data

    def __repr__(self):
        return 'RequestMeta(%r, %r, purge=%r, source=%r)' % (
            self.fields, self.properties, self.purge, self.source)


def _typed(field, value):
    """Validate and convert one Glance field value (glance-v1.md §3.3)."""
    kind = FIELDS[field]['kind']
    if kind == 'bool':
        return parse_glance_bool(value)
    if isinstance(value, str):
        value = value.strip() if kind != 'str' else value
    if value is None:
        return None
    if kind in ('int', 'int32'):
        if isinstance(value, str) and value.lower() == 'none' and field == 'virtual_size':
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid("Invalid value '%s' for parameter '%s': Cannot convert "
                          "image %s '%s' to an integer." % (value, field, field, value))
        if number < 0:
            raise Invalid("Invalid value '%s' for parameter '%s': Cannot be a "
                          "negative value." % (value, field))
        if kind == 'int32' and number > GLANCE_INT32_MAX:
            raise Invalid("Invalid value '%s' for parameter '%s': '%s' value out of "
                          "range, must not exceed %d." % (value, field, field,
                                                          GLANCE_INT32_MAX))
        return number
    value = str(value)
    if field == 'name' and len(value) > GLANCE_NAME_MAX:
        raise Invalid('Image name too long: %d' % len(value))
    if kind == 'checksum':
        if len(value) > GLANCE_CHECKSUM_MAX:
            raise Invalid("Invalid checksum '%s': can't exceed %d characters"
                          % (value, GLANCE_CHECKSUM_MAX))
        return value.lower() or None
    if kind == 'status':
        return value.lower()
    if value == '' and field in ('name', 'disk_format', 'container_format', 'owner'):
        return None
    return value


#: openstacksdk adds ``owner_specified.openstack.{md5,sha256,object}`` to every create on
#: its own: the user never set them, so they are stored the lossy Plankton way
#: (``owner_specified_openstack_md5``) instead of failing the create.
SDK_BOOKKEEPING_PREFIX = 'owner_specified.'

#: ASCII punctuation Plankton would turn into ``_`` in a property key (plankton.md §2.2);
#: ``-`` and ``_`` are already ``_`` after Glance's own normalisation.
_LOSSY_KEY_CHARS = re.compile('[%s]' % re.escape(string.punctuation.replace('_', '')
                                                 .replace('-', '')))


def _check_property_key(key):
    if key.startswith(RESERVED_PREFIX) or \
            normalise_property_key(re.sub(r'[^\w]', '_', key)).startswith(RESERVED_PREFIX):
        raise Invalid("Property names starting with '%s' are reserved by this "
                      "proxy." % RESERVED_PREFIX)
    # plankton.md §6.2 row 39: Plankton stores os.version as os_version.  Refuse rather
    # than show the user a key they did not set.
    bad = sorted(set(_LOSSY_KEY_CHARS.findall(key)))
    if bad and not key.startswith(SDK_BOOKKEEPING_PREFIX):
        raise Invalid("Property name %r: the registry (Plankton) cannot store %s in "
                      "property names (it would keep %r); use letters, digits, '_' or "
                      "'-'." % (key, ' '.join(repr(c) for c in bad),
                                _LOSSY_KEY_CHARS.sub('_', key)))


def meta_from_glance_headers(headers, percent_decoded=True, unknown_as_property=False):
    """Glance ``x-image-meta-*`` request headers -> RequestMeta.

    ``headers``: (name, value) pairs; names in any case, with dashes or
    underscores.  ``percent_decoded``: decode glanceclient's percent-encoding
    of names and values (UTF-8).  ``unknown_as_property``: openstacksdk's
    ``update_image_properties`` sends ``x-image-meta-<key>`` without the
    ``property-`` infix."""
    fields, props, purge = {}, {}, None

    def text(value):
        value = latin1_to_text(value)
        return unquote(value) if percent_decoded else value

    for name, value in headers:
        lname = name.lower()
        if lname.replace('_', '-') == GLANCE_PURGE_HEADER:
            purge = parse_glance_bool(value)
            continue
        if lname.replace('_', '-') == GLANCE_COPY_FROM_HEADER:
            fields['copy_from'] = text(value)
            continue
        norm = lname.replace('_', '-')
        if not norm.startswith(GLANCE_META_PREFIX):
            continue
        if norm.startswith(GLANCE_PROPERTY_PREFIX):
            key = lname[len(GLANCE_PROPERTY_PREFIX):]
            key = normalise_property_key(text(key) if percent_decoded else key)
            _check_property_key(key)
            props[key] = text(value)
            continue
        field = lname[len(GLANCE_META_PREFIX):].replace('-', '_')
        if field not in FIELDS or FIELDS[field].get('v2'):
            if unknown_as_property:
                key = normalise_property_key(unquote(field) if percent_decoded else field)
                _check_property_key(key)
                props[key] = text(value)
                continue
            raise Invalid('Bad header: %s' % name)
        fields[field] = _typed(field, text(value))
    return RequestMeta(fields, props, purge, 'headers')


def meta_from_glance_json(body):
    """An openstacksdk/OSC JSON metadata body (wrapped or not) -> RequestMeta."""
    try:
        doc = json.loads(body.decode('utf-8') if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than the parser goes ([[[[...).
        raise Invalid('Malformed JSON in request body.')
    if not isinstance(doc, dict):
        raise Invalid('Unexpected body type. Expected list/dict.')
    if isinstance(doc.get('image'), dict) and len(doc) == 1:
        doc = doc['image']
    fields, props = {}, {}
    for key, value in doc.items():
        if key == 'properties' and isinstance(value, dict):
            for pkey, pvalue in value.items():
                pkey = normalise_property_key(pkey)
                _check_property_key(pkey)
                props[pkey] = '' if pvalue is None else str(pvalue)
            continue
        if key == 'is_protected':
            key = 'protected'
        if key in FIELDS and not FIELDS[key].get('v2') and key not in (
                'deleted', 'deleted_at', 'created_at', 'updated_at', 'virtual_size'):
            if value is None and FIELDS[key]['kind'] != 'bool':
                continue
            fields[key] = _typed(key, value if not isinstance(value, (int, float))
                                 or isinstance(value, bool) else str(value))
            continue
        if key in JSON_ECHO_KEYS:
            continue
        pkey = normalise_property_key(key)
        _check_property_key(pkey)
        props[pkey] = '' if value is None else str(value)
    return RequestMeta(fields, props, None, 'json')


def plankton_list_items(body):
    """A Plankton list body -> its items.  S13...0.20 answer a bare JSON array,
    develop HEAD ``{"images": [...]}``; both are accepted.
    A body that is neither raises ``ValueError``."""
    text = body.decode('utf-8') if isinstance(body, bytes) else body
    doc = json.loads(text) if text and text.strip() else []
    if isinstance(doc, dict):
        doc = doc.get('images', [])
    if not isinstance(doc, list):
        raise ValueError('not a list of images')
    return [item for item in doc if isinstance(item, dict)]


# ---------------------------------------------------------------------------
# Error re-rendering


def plankton_error_message(body, content_type=''):
    """The text of a Plankton fault body (JSON fault, plain, or empty)."""
    if not body:
        return ''
    text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else body
    if 'json' in (content_type or '') or text.lstrip().startswith('{'):
        try:
            doc = json.loads(text)
        except ValueError:
            return text.strip()
        if isinstance(doc, dict):
            for value in doc.values():
                if isinstance(value, dict) and 'message' in value:
                    return str(value.get('message') or '')
            if 'message' in doc:
                return str(doc['message'])
        return text.strip()
    return re.sub(r'<[^>]+>', ' ', text).strip()


def glance_status_for(plankton_status, message='', kind='read'):
    """Plankton status code + message -> the status a Glance client gets.

    ``kind``: 'read' (GET/HEAD), 'write' (POST/PUT/DELETE of an image) or
    'members' (member changes)."""
    if plankton_status == 400 and PLANKTON_OVERLIMIT_RE.search(message or ''):
        return 413
    for kinds, status, pattern, glance in STATUS_REMAPS:
        if status != plankton_status or kinds not in ('any', kind):
            continue
        if pattern is None or re.search(pattern, message or ''):
            return glance
    return plankton_status


# ---------------------------------------------------------------------------
# Image API v2: one more rendering of the same canonical image.
#
# The v2-only fields (tags, visibility private/shared, os_hidden, the
# os_hash pair) are reserved properties like min_ram (decision 10); the
# rest (status, formats, booleans, timestamps, protected, ...) are the v1
# rules above.  Requests become a RequestMeta, as v1 requests do.

#: Patch media types -> JSON-patch draft (Glance: 4 = v2.0, 10 = v2.1).
V2_PATCH_MEDIA_TYPES = {
    'application/openstack-images-v2.0-json-patch': 4,
    'application/openstack-images-v2.1-json-patch': 10,
}
V2_PATCH_OPS = ('add', 'remove', 'replace')
#: Attributes a client may not write (403 "read-only").
V2_READONLY = ('created_at', 'updated_at', 'status', 'checksum', 'size',
               'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id',
               'os_hash_algo', 'os_hash_value')
#: Attributes a client may not name at all (403 "reserved").
V2_RESERVED = ('location', 'deleted', 'deleted_at')
#: Refused in a create body (403 "read-only").
V2_DISALLOWED = ('direct_url', 'self', 'file', 'schema', 'stores')
#: Property-name prefixes reserved by Glance and by this proxy.
V2_RESERVED_NAMESPACES = ('os_glance', RESERVED_PREFIX)
#: Core (base) attributes: never extra properties, never removable.
V2_BASE = ('checksum', 'created_at', 'container_format', 'disk_format', 'id',
           'min_disk', 'min_ram', 'name', 'size', 'virtual_size', 'status', 'tags',
           'owner', 'updated_at', 'visibility', 'protected', 'os_hidden')
#: Core attributes a v2 client may write, and the schema type of each.
V2_WRITABLE = {
    'name': 'name', 'disk_format': 'disk_format',
    'container_format': 'container_format', 'min_ram': 'int', 'min_disk': 'int',
    'protected': 'bool', 'os_hidden': 'bool', 'visibility': 'visibility',
    'tags': 'tags',
}
#: Order of the keys of a v2 image (cosmetic, as Glance).
V2_FIELD_ORDER = ['name', 'disk_format', 'container_format', 'visibility', 'size',
                  'virtual_size', 'status', 'checksum', 'protected', 'min_ram',
                  'min_disk', 'owner', 'os_hidden', 'os_hash_algo', 'os_hash_value',
                  'id', 'created_at', 'updated_at', 'tags']
V2_VISIBILITIES = ('public', 'community', 'shared', 'private')
#: What Plankton's read list can express; community -> 400.
V2_SERVED_VISIBILITIES = ('public', 'shared', 'private')
#: Not public and no stored choice: 'shared' (Glance's default for a new
#: image, and what Glance made of v1's non-public images), so that members
#: added through v1 stay meaningful.
V2_DEFAULT_VISIBILITY = 'shared'
V2_TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
#: The hash the data path computes while it streams, shown by v2 as
#: ``os_hash_algo``/``os_hash_value`` (Glance's default ``hashing_algorithm``).
OS_HASH_ALGO = 'sha512'
V2_TAG_MAX = 255
V2_PROPERTY_KEY_MAX = 255
DEFAULT_TAG_QUOTA = 128
#: Member statuses: Plankton has none; every member is 'accepted'.
V2_MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
V2_MEMBER_STATUS = 'accepted'
V2_MEMBER_STATUS_FILTERS = ('pending', 'accepted', 'rejected', 'all')
V2_SORT_KEYS = SORT_KEYS
#: v2 list query parameter -> (canonical field, comparison)
V2_LIST_FILTERS = {
    **{key: LIST_FILTERS[key] for key in ('name', 'status', 'container_format',
                                          'disk_format', 'size_min', 'size_max',
                                          'protected')},
    'os_hidden': ('os_hidden', 'bool'),
    'visibility': ('visibility', 'eq'),
    'owner': ('owner', 'eq'),
    'checksum': ('checksum', 'eq'),
    'id': ('id', 'eq'),
    'created_at': ('created_at', 'time'),
    'updated_at': ('updated_at', 'time'),
}
#: Query parameters that are not filters.
V2_LIST_PARAMS = ('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'tag',
                  'member_status')
#: Time filter operators (``created_at=gte:2016-04-18T21:38:54Z``).
V2_TIME_OPS = {'eq': 'eq', 'neq': 'neq', 'gt': 'gt', 'gte': 'ge', 'lt': 'lt',
               'lte': 'le'}
#: statuses left out of v2 lists
V2_LIST_HIDDEN_STATUSES = {'deleted', 'pending_delete', 'killed'}
#: Filters whose value may carry an operator, ``eq:`` or ``in:a,b``
#: (Glance splits these; another operator -> 400, so a name with a colon
#: is asked for as ``eq:deb:11``).
V2_OPERATOR_FILTERS = {'name', 'id', 'status', 'container_format', 'disk_format'}
V2_FILTER_OPERATORS = ('eq', 'in')
#: v1 filters that v2 refuses by name.
V2_REMOVED_FILTERS = {
    'changes-since': 'The "changes-since" filter is no longer available on v2.'}
#: Image actions of v2.3 (admin-only in Glance's default policy).
V2_IMAGE_ACTIONS = ('deactivate', 'reactivate')
#: Core fields v2 lets change only while the image is queued (403 after).
V2_QUEUED_ONLY_FIELDS = ('container_format', 'disk_format')


def unset_formats(reserved):
    """The format fields a placeholder was registered without."""
    return [f for f in parse_reserved_list(reserved_text(reserved, 'unset_formats'))
            if f in FORMAT_FIELDS]


def parse_reserved_list(value):
    """A reserved list value (a JSON array, e.g. tags) -> list of str."""
    if not value:
        return []
    try:
        tags = json.loads(value)
    except ValueError:
        return []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def visibility_of(is_public, stored):
    """Plankton's is_public + the stored v2 choice -> v2 visibility."""
    if is_public:
        return 'public'
    if stored in ('private', 'shared'):
        return stored
    return V2_DEFAULT_VISIBILITY


def render_reserved(value):
    """A canonical value -> the text of its reserved property ('' deletes)."""
    if isinstance(value, bool):
        return render_plankton_bool(value)
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), separators=(',', ':')) if value else ''
    return '' if value is None else str(value)


def render_v2_time(value):
    """Canonical (v1) timestamp text -> v2's ``YYYY-MM-DDTHH:MM:SSZ``."""
    if not value:
        return None
    dt = parse_plankton_time(value)
    return dt.strftime(V2_TIME_FORMAT) if dt else value


def v2_json(image, prefix='/v2'):
    """Canonical image -> the dict of a v2 image (extra properties on top)."""
    out = {}
    for key in V2_FIELD_ORDER:
        out[key] = image.get(key)
    out['created_at'] = render_v2_time(image.get('created_at'))
    out['updated_at'] = render_v2_time(image.get('updated_at'))
    out['tags'] = list(image.get('tags') or [])
    out['visibility'] = image.get('visibility') or visibility_of(
        image.get('is_public'), None)
    if out['status'] == 'queued':
        out['size'] = None
    out['self'] = '%s/images/%s' % (prefix, image['id'])
    out['file'] = '%s/images/%s/file' % (prefix, image['id'])
    out['schema'] = '%s/schemas/image' % prefix
    for key, value in sorted((image.get('properties') or {}).items()):
        # a (v1) property named like a v2 attribute cannot be shown in v2
        if key not in out and key not in V2_RESERVED:
            out[key] = value
    return out


def v2_member_json(image, member_id, prefix='/v2'):
    return {'created_at': render_v2_time(image.get('created_at')),
            'updated_at': render_v2_time(image.get('updated_at')),
            'image_id': image['id'], 'member_id': member_id,
            'status': V2_MEMBER_STATUS, 'schema': '%s/schemas/member' % prefix}


def _v2_check_key(key, action='write'):
    if key in V2_READONLY:
        raise Invalid("Attribute '%s' is read-only." % key, status=403)
    if key in V2_RESERVED or any(key.startswith(ns) for ns in V2_RESERVED_NAMESPACES):
        raise Invalid("Attribute '%s' is reserved." % key, status=403)
    if key == 'owner':
        raise Invalid("Owner can't be updated by non admin: an image belongs to "
                      "the Pithos account that holds its file.", status=403)
    if key == 'locations':
        raise Invalid("Image locations are not served by this proxy: the data of "
                      "an image is its Pithos file.", status=403)
    if len(key) > V2_PROPERTY_KEY_MAX:
        raise Invalid('Custom property should not be greater than 255 characters.')


def _v2_check_property_name(key):
    """Plankton keeps property names lower-case, with ``_`` for punctuation.  v1's
    headers are already that way (Glance v1 normalises them too), but a v2 key is
    kept as given by Glance: refuse one Plankton would change rather than show the
    user a key they did not set (as ``_check_property_key`` refuses os.version)."""
    kept = normalise_property_key(_LOSSY_KEY_CHARS.sub('_', key))
    if kept != key and not key.startswith(SDK_BOOKKEEPING_PREFIX):
        raise Invalid("Property name %r: the registry (Plankton) keeps property names "
                      "in lower case with '_' for punctuation (it would keep %r); use "
                      "lower-case letters, digits or '_'." % (key, kept))


def _v2_value(translator, key, value):
    """Validate one v2 value (the image schema) -> canonical value."""
    kind = V2_WRITABLE.get(key)
    if kind is None:
        _v2_check_property_name(key)
        if not isinstance(value, str):
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "of type 'string'" % (value,))
        return value
    if kind == 'name':
        if value is None:
            raise Invalid('The registry requires an image name; it cannot be null.')
        if not isinstance(value, str):
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "of type 'null', 'string'" % (value,))
        if len(value) > GLANCE_NAME_MAX:
            raise Invalid("Provided object does not match schema 'image': name is "
                          "too long (max %d)" % GLANCE_NAME_MAX)
        return value
    if kind in ('disk_format', 'container_format'):
        if value is None:
            return None
        if not isinstance(value, str):
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "of type 'null', 'string'" % (value,))
        if kind == 'disk_format':
            translator.disk_format_to_plankton(value)
        else:
            translator.container_format_to_plankton(value)
        return value
    if kind == 'int':
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "of type 'integer'" % (value,))
        return _typed(key, value)
    if kind == 'bool':
        if not isinstance(value, bool):
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "of type 'boolean'" % (value,))
        return value
    if kind == 'visibility':
        if value == 'community':
            raise Invalid("Visibility 'community' is not supported: the registry "
                          "(Plankton) can only make an image public or share it "
                          "with named members. Use 'public', 'shared' or 'private'.")
        if value not in V2_SERVED_VISIBILITIES:
            raise Invalid("Provided object does not match schema 'image': %r is not "
                          "one of %r" % (value, list(V2_SERVED_VISIBILITIES)))
        return value
    if kind == 'tags':
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise Invalid("Provided object does not match schema 'image': tags must "
                          "be an array of strings")
        for tag in value:
            check_tag(tag)
        return list(dict.fromkeys(value))      # a set, as Glance keeps tags
    raise Invalid('Unsupported attribute %s' % key)


def check_tags_fit(tags):
    """413 unless the registry can keep ``tags``: their stored text takes
    pieces of the object's metadata (RESERVED_PIECE_MAX characters each), and
    a registry takes only so many metadata items and request headers."""
    text = render_reserved(tags)
    if len(text) > RESERVED_PIECE_MAX * RESERVED_TAG_PIECES_MAX:
        raise Invalid('The tags of an image can take at most %d characters '
                      'together in the registry (Pithos metadata); these take '
                      '%d.' % (RESERVED_PIECE_MAX * RESERVED_TAG_PIECES_MAX,
                               len(text)), status=413)


def check_tag(tag):
    if len(tag) > V2_TAG_MAX:
        raise Invalid("Provided object does not match schema 'image': tag %r is too "
                      "long (max %d)" % (tag, V2_TAG_MAX))
    if not tag:
        raise Invalid('Tags must not be empty.')


def v2_fields_to_canonical(fields):
    """v2 core values -> canonical fields (visibility carries is_public)."""
    out = dict(fields)
    if 'visibility' in out:
        visibility = out['visibility']
        out['is_public'] = visibility == 'public'
        out['visibility'] = '' if visibility == 'public' else visibility
    return out


def meta_from_v2_create(translator, doc):
    """A ``POST /v2/images`` body -> RequestMeta (raises Invalid)."""
    if not isinstance(doc, dict):
        raise Invalid('Body expected in request.')
    fields, props = {}, {}
    for key, value in doc.items():
        if key in V2_DISALLOWED:
            raise Invalid("Attribute '%s' is read-only." % key, status=403)
        if key == 'id':
            raise Invalid('Setting the image ID is not supported: the id of an '
                          'image is the UUID of its Pithos file.')
        _v2_check_key(key)
        value = _v2_value(translator, key, value)
        if key in V2_WRITABLE:
            if value is not None:
                fields[key] = value
        else:
            props[key] = value
    return RequestMeta(v2_fields_to_canonical(fields), props, False, 'json')


def v2_patch_changes(content_type, body):
    """A PATCH request -> [(op, [path...], value)] (raises Invalid)."""
    media = (content_type or '').split(';')[0].strip().lower()
    if media not in V2_PATCH_MEDIA_TYPES:
        raise Invalid('Image PATCH expects Content-Type one of: %s'
                      % ', '.join(sorted(V2_PATCH_MEDIA_TYPES)), status=415)
    draft = V2_PATCH_MEDIA_TYPES[media]
    try:
        doc = json.loads(body.decode('utf-8') if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid('Malformed JSON in request body.')
    if not isinstance(doc, list):
        raise Invalid('Request body must be a JSON array of operation objects.')
    changes = []
    for raw in doc:
        if not isinstance(raw, dict):
            raise Invalid('Operations must be JSON objects.')
        if draft == 10:
            op = raw.get('op')
            if op not in V2_PATCH_OPS:
                raise Invalid('Invalid operation: `%s`. It must be one of the '
                              'following: %s.' % (op, ', '.join(V2_PATCH_OPS)))
            if 'path' not in raw:
                raise Invalid("Unable to find 'path' in JSON Schema change")
            pointer = raw['path']
        else:
            ops = [k for k in V2_PATCH_OPS if k in raw]
            if len(ops) != 1:
                raise Invalid('Operation objects must contain exactly one member '
                              'named "add", "remove", or "replace".')
            op = ops[0]
            pointer = raw[op]
        path = decode_json_pointer(pointer)
        if path and path[0] == 'locations':
            # Glance refuses these before looking at the pointer's depth.
            raise Invalid("It's not allowed to %s locations if locations are "
                          "invisible." % op, status=403)
        if len(path) != 1:
            raise Invalid("Invalid JSON pointer for this resource: '/%s'"
                          % '/'.join(path))
        value = None
        if op != 'remove':
            if 'value' not in raw:
                raise Invalid('Operation "%s" requires a member named "value".' % op)
            value = raw['value']
        changes.append((op, path, value, draft))
    return changes


def decode_json_pointer(pointer):
    if not isinstance(pointer, str) or not pointer.startswith('/'):
        raise Invalid('Pointer `%s` does not start with "/".' % (pointer,))
    if re.search(r'/\s*?/', pointer[1:]):
        raise Invalid('Pointer `%s` contains adjacent "/".' % pointer)
    if len(pointer) > 1 and pointer.endswith('/'):
        raise Invalid('Pointer `%s` end with "/".' % pointer)
    if re.search('~[^01]', pointer) or pointer.endswith('~'):
        raise Invalid('Pointer `%s` contains "~" not part of a recognized escape '
                      'sequence.' % pointer)
    return [part.replace('~1', '/').replace('~0', '~').strip()
            for part in pointer.lstrip('/').split('/')]


def meta_from_v2_patch(translator, image, changes):
    """Apply v2 JSON-patch ``changes`` to canonical ``image`` -> RequestMeta
    of what differs (removed properties as ''), as Glance validates them."""
    core = {key: image.get(key) for key in V2_WRITABLE}
    core['tags'] = list(image.get('tags') or [])
    props = dict(image.get('properties') or {})
    for op, path, value, draft in changes:
        key = path[0]
        _v2_check_key(key)
        if op == 'remove':
            if key in V2_BASE:
                raise Invalid('Property %s may not be removed.' % key, status=403)
            if key not in props:
                raise Invalid('Property %s does not exist.' % key, status=409)
            del props[key]
            continue
        value = _v2_value(translator, key, value)
        if key in V2_WRITABLE:
            if draft == 4 and op == 'add':
                raise Invalid('Property %s already present.' % key, status=409)
            core[key] = value
        elif op == 'replace' and key not in props:
            raise Invalid('Property %s does not exist.' % key, status=409)
        else:
            if draft == 4 and op == 'add' and key in props:
                raise Invalid('Property %s already present.' % key, status=409)
            props[key] = value
    fields = {k: v for k, v in core.items()
              if v != (list(image.get('tags') or []) if k == 'tags' else image.get(k))}
    if 'name' in fields and fields['name'] is None:
        raise Invalid('The registry requires an image name; it cannot be removed.')
    for key in V2_QUEUED_ONLY_FIELDS:
        if key in fields and image.get('status') != QUEUED_STATUS:
            raise Invalid('Attribute %s can be only replaced for a queued image.'
                          % key, status=403)
    old = image.get('properties') or {}
    changed = {k: v for k, v in props.items() if old.get(k) != v}
    changed.update({k: '' for k in old if k not in props})
    return RequestMeta(v2_fields_to_canonical(fields), changed, False, 'json')


def v2_image_schema(translator):
    """The ``/v2/schemas/image`` document: exactly what this proxy serves."""
    nullable_str = {'type': ['null', 'string']}
    props = {
        'id': {'type': 'string', 'readOnly': True,
               'description': 'An identifier for the image (its Pithos file UUID)',
               'pattern': '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                          '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'},
        'name': {'type': ['null', 'string'], 'maxLength': GLANCE_NAME_MAX,
                 'description': 'Descriptive name for the image'},
        'status': {'type': 'string', 'readOnly': True, 'enum': GLANCE_STATUSES,
                   'description': 'Status of the image'},
        'visibility': {'type': 'string', 'enum': list(V2_SERVED_VISIBILITIES),
                       'description': 'Scope of image accessibility'},
        'protected': {'type': 'boolean',
                      'description': 'If true, image will not be deletable.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'If true, image will not appear in default '
                                     'image list response.'},
        'checksum': dict(nullable_str, readOnly=True, maxLength=32,
                         description='md5 hash of image contents.'),
        'os_hash_algo': dict(nullable_str, readOnly=True, maxLength=64,
                             description='Algorithm to calculate the os_hash_value'),
        'os_hash_value': dict(nullable_str, readOnly=True, maxLength=128,
                              description='Hexdigest of the image contents'),
        'owner': dict(nullable_str, maxLength=255,
                      description='Owner of the image (the Pithos account)'),
        'size': {'type': ['null', 'integer'], 'readOnly': True,
                 'description': 'Size of image file in bytes'},
        'virtual_size': {'type': ['null', 'integer'], 'readOnly': True,
                         'description': 'Virtual size of image in bytes'},
        'container_format': {'type': ['null', 'string'],
                             'enum': [None] + sorted(translator.container_map),
                             'description': 'Format of the container'},
        'disk_format': {'type': ['null', 'string'],
                        'enum': [None] + sorted(translator.disk_map),
                        'description': 'Format of the disk'},
        'created_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of image registration'},
        'updated_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of the last image '
                                      'modification'},
        'tags': {'type': 'array', 'items': {'type': 'string',
                                            'maxLength': V2_TAG_MAX},
                 'description': 'List of strings related to the image'},
        'min_ram': {'type': 'integer', 'minimum': 0, 'maximum': GLANCE_INT32_MAX,
                    'description': 'Amount of ram (in MB) required to boot image.'},
        'min_disk': {'type': 'integer', 'minimum': 0, 'maximum': GLANCE_INT32_MAX,
                     'description': 'Amount of disk space (in GB) required to boot '
                                    'image.'},
        'self': {'type': 'string', 'readOnly': True,
                 'description': 'An image self url'},
        'file': {'type': 'string', 'readOnly': True,
                 'description': 'An image file url'},
        'schema': {'type': 'string', 'readOnly': True,
                   'description': 'An image schema url'},
    }
    for key in ('self', 'file', 'schema', 'id', 'status', 'created_at',
                'updated_at', 'size', 'virtual_size', 'checksum', 'os_hash_algo',
                'os_hash_value'):
        props[key].setdefault('readOnly', True)
    return {
        'name': 'image',
        'properties': props,
        'additionalProperties': {'type': 'string'},
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'enclosure', 'href': '{file}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def v2_images_schema(translator):
    return {
        'name': 'images',
        'properties': {
            'images': {'type': 'array', 'items': v2_image_schema(translator)},
            'schema': {'type': 'string'},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def v2_member_schema():
    return {
        'name': 'member',
        'properties': {
            'created_at': {'type': 'string', 'description': 'Date and time of image '
                                                            'member creation'},
            'image_id': {'type': 'string', 'description': 'An identifier for the '
                                                          'image'},
            'member_id': {'type': 'string', 'description': 'An identifier for the '
                                                           'image member'},
            'schema': {'type': 'string', 'readOnly': True},
            'status': {'type': 'string', 'enum': list(V2_MEMBER_STATUSES),
                       'description': "The status of this image member (always "
                                      "'accepted' here: Plankton has no member "
                                      "status)"},
            'updated_at': {'type': 'string', 'description': 'Date and time of last '
                                                            'modification'},
        },
    }


def v2_members_schema():
    return {
        'name': 'members',
        'properties': {
            'members': {'type': 'array', 'items': v2_member_schema()},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'self', 'href': '{self}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }
