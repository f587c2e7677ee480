"""Fixtures for the fault, fuzz and limits tests: proxies with small
timeouts, started from a paste file derived from the shipped one."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Timeouts under test (seconds): small, so that no test waits long.
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 0.6


def derived_config(directory, sections=None, name='paste.ini'):
    """The shipped paste.ini with extra options per section
    (``{'app:forward': {'read_timeout': '0.5'}}``); -> its path."""
    with open(os.path.join(ROOT, 'paste.ini')) as stream:
        text = stream.read()
    for section, options in (sections or {}).items():
        lines = ''.join('%s = %s\n' % kv for kv in options.items())
        pattern = re.compile(r'^\[%s\]\n' % re.escape(section), re.M)
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(0) + lines, text, count=1)
        else:
            text += '\n[%s]\n%s' % (section, lines)
    path = os.path.join(str(directory), name)
    with open(path, 'w') as stream:
        stream.write(text)
    return path


@pytest.fixture
def fast_config(tmp_path):
    return derived_config(tmp_path, {'app:forward': {
        'connect_timeout': CONNECT_TIMEOUT, 'read_timeout': READ_TIMEOUT}})
