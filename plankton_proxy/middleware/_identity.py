"""Who is calling: the caller's user uuid from the Astakos-style identity
service (decision 19), cached briefly per token.  Not a filter.

``POST <identity_url>/tokens`` with ``{"auth": {"token": {"id": TOKEN}}}``
-> ``access.user.id``.  Tokens are only hashed into the cache key, never
logged.
"""

import hashlib
import json
import logging
import threading
import time

import urllib3

LOG = logging.getLogger(__name__)


class IdentityUnavailable(Exception):
    """The identity service could not be asked (down, timed out, 5xx): the
    token is not known to be bad, so a caller should not answer 401."""


class CallerIdentity(object):

    def __init__(self, identity_url, ttl=60.0, timeout=5.0, size=1024):
        self.url = identity_url.rstrip('/') + '/tokens' if identity_url else None
        self.ttl = ttl
        self.size = size
        self.timeout = timeout
        self.lock = threading.Lock()
        self.cache = {}
        self._pool = None

    def pool(self):
        if self._pool is None:
            self._pool = urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                retries=False)
        return self._pool

    def uuid(self, token, strict=False):
        """The user uuid of ``token``, or None when unknown or not configured.

        ``strict``: raise ``IdentityUnavailable`` when the service could not
        tell (instead of None, which then reads as "unknown token")."""
        if not self.url or not token:
            return None
        key = hashlib.sha256(token.encode('utf-8', 'replace')).hexdigest()
        now = time.monotonic()
        with self.lock:
            entry = self.cache.get(key)
            if entry and entry[0] > now:
                return entry[1]
        user = self.lookup(token, strict=True) if strict else self.lookup(token)
        if user is not None:
            with self.lock:
                if len(self.cache) >= self.size:
                    self.cache.clear()
                self.cache[key] = (now + self.ttl, user)
        return user

    def lookup(self, token, strict=False):
        body = json.dumps({'auth': {'token': {'id': token}}}).encode()
        try:
            resp = self.pool().request(
                'POST', self.url, body=body,
                headers={'Content-Type': 'application/json', 'X-Auth-Token': token})
        except Exception as exc:       # identity down: behave as unknown
            LOG.warning('identity service unreachable: %s', exc.__class__.__name__)
            if strict:
                raise IdentityUnavailable(exc.__class__.__name__)
            return None
        if resp.status >= 500 and strict:
            raise IdentityUnavailable('status %d' % resp.status)
        if resp.status != 200:
            return None
        try:
            return json.loads(resp.data.decode('utf-8'))['access']['user']['id']
        except (ValueError, KeyError, TypeError):
            return None
