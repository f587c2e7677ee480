"""The log filter's own rules (the end-to-end grep is test_log_redaction)."""

import logging

import pytest

from plankton_proxy.redact import RedactingFilter, redact

S = 'S3cr3t-value'


@pytest.mark.parametrize('line', [
    'GET /v1/images?X-Auth-Token=%s HTTP/1.1' % S,
    'GET /v1/images?limit=1&token=%s&x=1' % S,
    'GET /x?password=%s' % S,
    'GET /x?X-Auth-Key=%s' % S,
    "headers={'X-Auth-Token': '%s', 'Accept': '*/*'}" % S,
    'X-Auth-Token: %s' % S,
    'x-auth-key=%s' % S,
    'Authorization: %s' % S,
    '{"auth": {"token": {"id": "%s"}}}' % S,
    '{"auth": {"passwordCredentials": {"username": "u", "password": "%s"}}}' % S,
])
def test_secrets_are_masked(line):
    assert S not in redact(line)
    assert '***' in redact(line)


def test_innocent_lines_are_kept():
    line = 'GET /v1/images/detail?limit=10&sort_key=name HTTP/1.1 200'
    assert redact(line) == line


def test_filter_rewrites_message_and_traceback():
    record = logging.LogRecord('x', logging.WARNING, __file__, 1,
                               'upstream said %s', ('X-Auth-Token: ' + S,), None)
    try:
        raise ValueError('?token=' + S)
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert S not in record.getMessage()
    assert S not in record.exc_text
