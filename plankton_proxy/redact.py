"""Keep secrets out of log lines, whoever writes them.

``RedactingFilter`` is a ``logging.Filter`` for handlers: it renders each
record's message once and replaces

* the value of a query parameter whose name looks secret (``token``,
  ``password``, ``secret``, ``signature``, ``credential``, ``auth``,
  ``api_key``, ``access_key`` anywhere in the name: ``X-Auth-Token=``,
  ``?token=``, ``X-Auth-Key=``);
* the value of an ``X-Auth-Token`` / ``X-Auth-Key`` / ``Authorization`` /
  ``X-Subject-Token`` header written as ``Name: value`` or ``'Name': 'value'``;
* the value of a JSON ``"password"``, ``"token"`` or ``"id"`` inside a
  ``"token": {...}`` object,

by ``***``.  The access log lines never carry headers or bodies in the
first place; this filter is the second line of defence for everything else
(library debug logs, exception messages).  ``plankton-proxy serve`` puts it
on every root handler; a logging config file can name it as
``plankton_proxy.redact.RedactingFilter``.
"""

import logging
import re

_NAMES = r'(?:token|password|passwd|secret|signature|credential|auth|api[-_]?key|access[-_]?key)'
_QUERY = re.compile(r'([?&;][^=&;\s"\']*' + _NAMES + r'[^=&;\s"\']*=)[^&;\s"\']*',
                    re.IGNORECASE)
_HEADER = re.compile(r'((?:x-auth-token|x-auth-key|x-subject-token|x-storage-token|'
                     r'authorization)[\'"]?\s*[:=]\s*[\'"]?)([^\'",\s}]+)',
                     re.IGNORECASE)
_JSON = re.compile(r'("(?:password|passwd|token|secret)"\s*:\s*")([^"]*)(")',
                   re.IGNORECASE)
_JSON_TOKEN_ID = re.compile(r'("token"\s*:\s*\{[^{}]*"id"\s*:\s*")([^"]*)(")',
                            re.IGNORECASE)


#: A line without any of these needs no regular expression (most lines);
#: plain substring tests are several times cheaper than one search.
_TRIGGERS = ('token', 'passw', 'secret', 'signature', 'credential', 'auth', 'key')


def redact(text):
    """``text`` with every secret-looking value replaced by ``***``."""
    lowered = text.lower()
    if not any(word in lowered for word in _TRIGGERS):
        return text
    text = _QUERY.sub(r'\1***', text)
    text = _HEADER.sub(r'\1***', text)
    text = _JSON_TOKEN_ID.sub(r'\1***\3', text)
    return _JSON.sub(r'\1***\3', text)


class RedactingFilter(logging.Filter):

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install():
    """Put a RedactingFilter on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
