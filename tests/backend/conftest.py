"""Fixtures that run the embedded backend as a real server on a loopback port."""

import pytest

from backend_helpers import ALICE, BOB, CAROL, BackendProcess, User


@pytest.fixture(scope='module')
def backend(tmp_path_factory):
    """An S16+ backend, in memory, shared by the tests of one module."""
    proc = BackendProcess(tmp_path_factory.mktemp('backend')).start()
    yield proc
    proc.stop()


@pytest.fixture(scope='module')
def backend_s13(tmp_path_factory):
    proc = BackendProcess(tmp_path_factory.mktemp('backend13'), dialect='s13').start()
    yield proc
    proc.stop()


@pytest.fixture
def backend_factory(tmp_path):
    """Start backends on demand (for restart and crash tests); all stopped afterwards."""
    started = []

    def start(**kwargs):
        proc = BackendProcess(tmp_path, **kwargs).start()
        started.append(proc)
        return proc
    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def alice(backend):
    return User(backend, *ALICE)


@pytest.fixture
def bob(backend):
    return User(backend, *BOB)


@pytest.fixture
def carol(backend):
    return User(backend, *CAROL)
