"""Durable storage of the embedded backend: SQLite metadata plus one file per object.

* Metadata lives in one SQLite database (WAL journal, ``synchronous=FULL``).  Every API
  call runs in one ``Store.transaction()``; a process-wide lock serialises those short
  transactions, so concurrent requests (threads or green threads) never interleave.
* Object data is streamed by a ``BlobWriter`` into ``tmp/``, fsynced and renamed into
  ``blobs/`` before the transaction that points the object at it commits.  A crash at any
  moment leaves either the old object or the new one; leftovers (temporary files, blobs
  no row points at) are removed when the store opens.
* Blocks uploaded by kamaki's hashmap protocol live in ``blocks/<sha256>``.
* ``data_dir=None`` (or ``':memory:'``) keeps the database in memory and the files in a
  temporary directory removed when the store is closed or collected.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid as uuidlib
import weakref

from .merkle import BLOCK_SIZE, MerkleHasher, block_digest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS objects (
    uuid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    container TEXT NOT NULL,
    name TEXT NOT NULL,
    blob TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    merkle TEXT NOT NULL,
    hashmap TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created REAL NOT NULL,
    mtime REAL NOT NULL,
    version INTEGER NOT NULL,
    modified_by TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    plankton TEXT NOT NULL DEFAULT '{}',
    read_list TEXT NOT NULL DEFAULT '[]',
    write_list TEXT NOT NULL DEFAULT '[]',
    public INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, container, name)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


class DataDirInUse(RuntimeError):
    """Another process has this data directory open."""


@dataclasses.dataclass
class BlobInfo:
    """A finished, durable data file and what was computed while writing it."""
    blob: str
    bytes: int
    md5: str
    merkle: str
    hashmap: list


@dataclasses.dataclass
class ObjectRecord:
    """One live Pithos object: its place, data summary, and the metadata domains."""
    uuid: str
    account: str
    container: str
    name: str
    blob: str
    bytes: int
    md5: str
    merkle: str
    hashmap: list
    content_type: str
    created: float
    mtime: float
    version: int
    modified_by: str
    meta: dict            # the ``pithos`` domain: X-Object-Meta-* (normalised keys)
    plankton: dict        # the ``plankton`` domain: image metadata
    read: list            # sharing: read grantees ('*' = everybody)
    write: list           # sharing: write grantees
    public: bool          # the Pithos public-URL flag (not Plankton's is_public)

    @property
    def path(self):
        return (self.account, self.container, self.name)

    _COLUMNS = ('uuid', 'account', 'container', 'name', 'blob', 'bytes', 'md5',
                'merkle', 'hashmap', 'content_type', 'created', 'mtime', 'version',
                'modified_by', 'meta', 'plankton', 'read_list', 'write_list', 'public')

    @classmethod
    def from_row(cls, row):
        values = dict(zip(cls._COLUMNS, row))
        for key in ('hashmap', 'meta', 'plankton', 'read_list', 'write_list'):
            values[key] = json.loads(values[key])
        values['read'] = values.pop('read_list')
        values['write'] = values.pop('write_list')
        values['public'] = bool(values['public'])
        return cls(**values)

    def to_row(self):
        return (self.uuid, self.account, self.container, self.name, self.blob,
                self.bytes, self.md5, self.merkle, json.dumps(self.hashmap),
                self.content_type, self.created, self.mtime, self.version,
                self.modified_by, json.dumps(self.meta), json.dumps(self.plankton),
                json.dumps(self.read), json.dumps(self.write), int(self.public))


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class BlobWriter:
    """Streams one object's data to a temporary file, hashing as it goes.

    ``finish()`` makes it durable under ``blobs/``; ``abort()`` (or an exception in a
    ``with`` block) removes the temporary file.
    """

    def __init__(self, store):
        self._store = store
        self._name = uuidlib.uuid4().hex
        self._tmp_path = os.path.join(store.tmp_dir, self._name)
        self._file = open(self._tmp_path, 'wb')
        self._md5 = hashlib.md5()
        self._merkle = MerkleHasher()
        self.bytes = 0

    def write(self, data):
        self._file.write(data)
        self._md5.update(data)
        self._merkle.update(data)
        self.bytes += len(data)

    def md5_hex(self):
        return self._md5.hexdigest()

    def finish(self):
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = os.path.join(self._store.blob_dir, self._name)
        os.rename(self._tmp_path, final)
        _fsync_dir(self._store.blob_dir)
        return BlobInfo(self._name, self.bytes, self._md5.hexdigest(),
                        self._merkle.hexdigest(), self._merkle.hashmap())

    def abort(self):
        if not self._file.closed:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp_path)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        return False


class Transaction:
    """The operations of one API call, inside one SQLite transaction."""

    def __init__(self, store, conn):
        self._store = store
        self._conn = conn
        self._after_commit = []

    # -- counters and time ------------------------------------------------------
    def next_version(self):
        self._conn.execute(
            "INSERT INTO counters(name, value) VALUES ('version', 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1")
        return self._conn.execute(
            "SELECT value FROM counters WHERE name = 'version'").fetchone()[0]

    def bump(self, record, user, now=None):
        """A new version of the object (metadata or data write)."""
        record.version = self.next_version()
        record.mtime = now if now is not None else time.time()
        record.modified_by = user

    # -- containers -------------------------------------------------------------
    def container(self, account, name):
        row = self._conn.execute(
            'SELECT account, name, created, meta FROM containers '
            'WHERE account = ? AND name = ?', (account, name)).fetchone()
        if row is None:
            return None
        return {'account': row[0], 'name': row[1], 'created': row[2],
                'meta': json.loads(row[3])}

    def create_container(self, account, name, meta=None):
        cur = self._conn.execute(
            'INSERT OR IGNORE INTO containers(account, name, created, meta) '
            'VALUES (?, ?, ?, ?)', (account, name, time.time(), json.dumps(meta or {})))
        return cur.rowcount == 1

    def set_container_meta(self, account, name, meta):
        self._conn.execute('UPDATE containers SET meta = ? WHERE account = ? AND name = ?',
                           (json.dumps(meta), account, name))

    def delete_container(self, account, name):
        self._conn.execute('DELETE FROM containers WHERE account = ? AND name = ?',
                           (account, name))

    def containers(self, account):
        rows = self._conn.execute(
            'SELECT c.name, c.created, COUNT(o.uuid), COALESCE(SUM(o.bytes), 0), '
            'MAX(o.mtime) FROM containers c LEFT JOIN objects o '
            'ON o.account = c.account AND o.container = c.name '
            'WHERE c.account = ? GROUP BY c.name ORDER BY c.name', (account,)).fetchall()
        return [{'name': r[0], 'created': r[1], 'count': r[2], 'bytes': r[3],
                 'mtime': r[4] or r[1]} for r in rows]

    def container_stats(self, account, name):
        row = self._conn.execute(
            'SELECT COUNT(*), COALESCE(SUM(bytes), 0), MAX(mtime) FROM objects '
            'WHERE account = ? AND container = ?', (account, name)).fetchone()
        return {'count': row[0], 'bytes': row[1], 'mtime': row[2]}

    # -- objects ----------------------------------------------------------------
    def _select(self, where, args):
        sql = 'SELECT %s FROM objects WHERE %s' % (', '.join(ObjectRecord._COLUMNS), where)
        return [ObjectRecord.from_row(r) for r in self._conn.execute(sql, args)]

    def object_at(self, account, container, name):
        found = self._select('account = ? AND container = ? AND name = ?',
                             (account, container, name))
        return found[0] if found else None

    def object_by_uuid(self, object_uuid):
        found = self._select('uuid = ?', (object_uuid,))
        return found[0] if found else None

    def objects_in(self, account, container):
        return self._select('account = ? AND container = ? ORDER BY name',
                            (account, container))

    def objects_with_plankton(self):
        return self._select("plankton != '{}'", ())

    def put_data(self, account, container, name, info, content_type, user,
                 meta=None, read=None, write=None):
        """Point the object at ``name`` to new data; create it (new UUID) if needed.

        An existing object keeps its UUID, its ``plankton`` domain and its sharing.
        """
        now = time.time()
        record = self.object_at(account, container, name)
        if record is None:
            record = ObjectRecord(
                uuid=str(uuidlib.uuid4()), account=account, container=container,
                name=name, blob=info.blob, bytes=info.bytes, md5=info.md5,
                merkle=info.merkle, hashmap=info.hashmap, content_type=content_type,
                created=now, mtime=now, version=0, modified_by=user, meta=meta or {},
                plankton={}, read=[], write=[], public=False)
            self.bump(record, user, now)
            self._conn.execute('INSERT INTO objects VALUES (%s)'
                               % ', '.join('?' * len(ObjectRecord._COLUMNS)),
                               record.to_row())
        else:
            self.forget_blob(record.blob)
            record.blob, record.bytes, record.md5 = info.blob, info.bytes, info.md5
            record.merkle, record.hashmap = info.merkle, info.hashmap
            record.content_type = content_type
            if meta is not None:
                record.meta = meta
            self.bump(record, user, now)
            self.save(record)
        if read is not None:
            record.read, record.write = read, write or []
            self.save(record)
        return record

    def save(self, record):
        """Write back every column of an existing (possibly moved) record."""
        self._conn.execute(
            'UPDATE objects SET %s WHERE uuid = ?'
            % ', '.join('%s = ?' % c for c in ObjectRecord._COLUMNS),
            record.to_row() + (record.uuid,))

    def copy(self, source, account, container, name, user, new_meta=None,
             content_type=None):
        """A copy of ``source`` at a new path: new UUID, same data, domains copied."""
        existing = self.object_at(account, container, name)
        blob = self._store.link_blob(source.blob)
        record = dataclasses.replace(
            source, uuid=str(uuidlib.uuid4()), account=account,
            container=container, name=name, blob=blob,
            meta=dict(source.meta if new_meta is None else new_meta),
            plankton=dict(source.plankton), read=list(source.read),
            write=list(source.write), public=False,
            content_type=content_type or source.content_type,
            created=existing.created if existing else time.time())
        if existing is not None:
            self.delete(existing)
        self.bump(record, user)
        self._conn.execute('INSERT INTO objects VALUES (%s)'
                           % ', '.join('?' * len(ObjectRecord._COLUMNS)),
                           record.to_row())
        return record

    def move(self, source, account, container, name, user):
        """Move ``source`` to a new path, keeping its UUID; replaces what was there."""
        existing = self.object_at(account, container, name)
        if existing is not None and existing.uuid != source.uuid:
            self.delete(existing)
        source.account, source.container, source.name = account, container, name
        self.bump(source, user)
        self.save(source)
        return source

    def delete(self, record):
        self._conn.execute('DELETE FROM objects WHERE uuid = ?', (record.uuid,))
        self.forget_blob(record.blob)

    def forget_blob(self, blob):
        """Remove a data file once the transaction that dropped it has committed."""
        self._after_commit.append(lambda: self._store.remove_blob(blob))

    def run_after_commit(self):
        for action in self._after_commit:
            action()


class Store:
    """Opens (and recovers) a data directory; hands out transactions and blob writers."""

    def __init__(self, data_dir=None):
        self.in_memory = data_dir in (None, '', ':memory:')
        if self.in_memory:
            self.root = tempfile.mkdtemp(prefix='plankton-backend-')
            db_path = ':memory:'
            self._cleanup = weakref.finalize(self, shutil.rmtree, self.root, True)
        else:
            self.root = os.path.abspath(data_dir)
            os.makedirs(self.root, exist_ok=True)
            db_path = os.path.join(self.root, 'metadata.sqlite3')
            self._cleanup = None
        self._lock_file = self._lock_data_dir()
        self.blob_dir = os.path.join(self.root, 'blobs')
        self.tmp_dir = os.path.join(self.root, 'tmp')
        self.block_dir = os.path.join(self.root, 'blocks')
        for path in (self.blob_dir, self.tmp_dir, self.block_dir):
            os.makedirs(path, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(db_path, check_same_thread=False,
                                     isolation_level=None)
        if not self.in_memory:
            self._conn.execute('PRAGMA journal_mode=WAL')
        self._conn.execute('PRAGMA synchronous=FULL')
        self._conn.executescript(_SCHEMA)
        self._recover()

    def _lock_data_dir(self):
        """One process per data directory: start-up recovery would otherwise delete
        another process's fresh files.  The kernel drops the lock when we die."""
        lock_file = open(os.path.join(self.root, 'lock'), 'a')
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock_file.close()
            raise DataDirInUse('data directory %s is in use by another process' % self.root)
        return lock_file

    def close(self):
        with self._lock:
            self._conn.close()
        if not self._lock_file.closed:
            self._lock_file.close()
        if self._cleanup is not None:
            self._cleanup()

    def _recover(self):
        """Drop what a crash may have left: temporary files and unreferenced blobs."""
        for name in os.listdir(self.tmp_dir):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.tmp_dir, name))
        used = {row[0] for row in self._conn.execute('SELECT blob FROM objects')}
        for name in os.listdir(self.blob_dir):
            if name not in used:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self.blob_dir, name))

    @contextlib.contextmanager
    def transaction(self):
        with self._lock:
            self._conn.execute('BEGIN IMMEDIATE')
            txn = Transaction(self, self._conn)
            try:
                yield txn
            except BaseException:
                self._conn.execute('ROLLBACK')
                raise
            self._conn.execute('COMMIT')
        txn.run_after_commit()

    # -- files ------------------------------------------------------------------
    def blob_writer(self):
        return BlobWriter(self)

    def blob_path(self, blob):
        return os.path.join(self.blob_dir, blob)

    def open_blob(self, blob):
        return open(self.blob_path(blob), 'rb')

    def remove_blob(self, blob):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.blob_path(blob))

    def link_blob(self, blob):
        """A second name for an immutable data file (hard link, or a durable copy)."""
        new = uuidlib.uuid4().hex
        try:
            os.link(self.blob_path(blob), self.blob_path(new))
        except OSError:
            tmp = os.path.join(self.tmp_dir, new)
            shutil.copyfile(self.blob_path(blob), tmp)
            with open(tmp, 'rb') as f:
                os.fsync(f.fileno())
            os.rename(tmp, self.blob_path(new))
        _fsync_dir(self.blob_dir)
        return new

    # -- blocks (kamaki's hashmap upload) ----------------------------------------
    def store_block(self, data):
        """Keep one block (≤ BLOCK_SIZE bytes); returns its hex hash."""
        digest = block_digest(data).hex()
        path = os.path.join(self.block_dir, digest)
        if not os.path.exists(path):
            tmp = os.path.join(self.tmp_dir, 'block-' + uuidlib.uuid4().hex)
            with open(tmp, 'wb') as f:
                f.write(bytes(data).rstrip(b'\0'))
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
        return digest

    def has_block(self, digest):
        return os.path.exists(os.path.join(self.block_dir, digest))

    def read_block(self, digest):
        with open(os.path.join(self.block_dir, digest), 'rb') as f:
            return f.read()

    def assemble_blocks(self, hashes, size):
        """Build a blob from stored blocks (each zero-padded to BLOCK_SIZE), cut to size."""
        writer = self.blob_writer()
        with writer:
            remaining = size
            for digest in hashes:
                if remaining <= 0:
                    break
                block = self.read_block(digest)
                block = block + b'\0' * (BLOCK_SIZE - len(block))
                piece = block[:remaining]
                writer.write(piece)
                remaining -= len(piece)
            if remaining > 0:
                writer.write(b'\0' * remaining)
            return writer.finish()
