"""pytest plugin: a real plankton-proxy stack on loopback, for your tests.

Installed with the package (entry point ``pytest11``), so its fixtures are
available in any test suite once ``plankton_proxy`` is installed:

``plankton_stack``
    One ``plankton-proxy serve`` process for the whole session: the Glance v1
    proxy in front of the embedded Plankton/Pithos/identity backend, kept in
    memory, on free ports.  ``plankton_stack.url`` is the Glance endpoint,
    ``plankton_stack.users`` the ``(uuid, token)`` pairs.

``plankton_server``
    A factory: ``plankton_server(upstream=..., config=..., args=[...])`` starts
    another ``plankton-proxy serve`` with your options and stops it after the
    test.

Every server is a real child process speaking HTTP on 127.0.0.1.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

BANNER = re.compile(r'^plankton-proxy (http://\S+)$')
UPSTREAM = re.compile(r'^\s+upstream:\s+(\S+)')
USERS = re.compile(r'^\s+users:\s+')

#: The demo users of the shipped etc/users.conf, ``(uuid, token)``.
DEMO_USERS_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               'etc', 'users.conf')


def read_users(path):
    """``(uuid, token)`` pairs of a users file (``UUID TOKEN`` per line)."""
    users = []
    with open(path) as stream:
        for line in stream:
            line = line.split('#', 1)[0].split()
            if len(line) == 2:
                users.append((line[0], line[1]))
    return users


class RunningServer(object):
    """A ``plankton-proxy serve`` child process and what its banner said."""

    def __init__(self, args, env=None, timeout=30):
        cmd = [sys.executable, '-m', 'plankton_proxy.cli', 'serve'] + list(args)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, **(env or {})))
        self.output = []
        self.url = self.upstream = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if BANNER.match(line):
                self.url = BANNER.match(line).group(1)
            elif UPSTREAM.match(line):
                self.upstream = UPSTREAM.match(line).group(1)
                if '--upstream' in args:
                    break
            elif self.upstream and USERS.match(line):
                # The embedded backend's part of the banner ends here: read it
                # all before returning, so callers see the whole banner.
                break
        if not (self.url and self.upstream):
            self.stop()
            raise RuntimeError('plankton-proxy did not start:\n' + ''.join(self.output))
        # Keep draining the output so the child never blocks on a full pipe.
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()

    def _read_rest(self):
        for line in self.proc.stdout:
            self.output.append(line)

    @property
    def pid(self):
        return self.proc.pid

    @property
    def backend_url(self):
        """Root URL of the embedded backend (when the server started one)."""
        return self.upstream.rsplit('/image/', 1)[0]

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop the process with ``sig``; return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Stack(RunningServer):
    """The proxy plus the embedded backend, with the demo users."""

    def __init__(self, args=(), users_file=DEMO_USERS_FILE, **kwargs):
        super().__init__(['--port', '0', '--backend-port', '0', '--users', users_file]
                         + list(args), **kwargs)
        self.users = read_users(users_file)


@pytest.fixture(scope='session')
def plankton_stack():
    stack = Stack(['--in-memory'])
    yield stack
    stack.stop()


@pytest.fixture
def plankton_server():
    started = []

    def start(upstream=None, config=None, args=()):
        argv = ['--port', '0']
        if upstream:
            argv += ['--upstream', upstream]
        else:
            argv += ['--backend-port', '0', '--in-memory']
        if config:
            argv += ['--config', config]
        server = RunningServer(argv + list(args))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
