"""pytest plugin: a real plankton-proxy stack on loopback, for your tests.

Installed with the package (entry point ``pytest11``), so its fixtures are
available in any test suite once ``plankton_proxy`` is installed:

``plankton_stack``
    One ``plankton-proxy serve`` process for the whole session: the Glance v1
    proxy in front of the embedded Plankton/Pithos/identity backend (S16+
    dialect), kept in memory, on free ports.  ``plankton_stack.url`` is the
    Glance endpoint, ``plankton_stack.users`` the ``(uuid, token)`` pairs of
    the demo users; ``upload()`` puts a file into a user's Pithos account and
    ``register()`` makes it an image through the proxy (see :class:`Stack`).

``plankton_stack_factory``
    ``plankton_stack_factory(dialect='s13', data_dir=tmp_path, args=[...])``
    starts a stack of your own for one test (``data_dir=None``: in memory).

``plankton_server``
    A factory: ``plankton_server(upstream=..., config=..., args=[...])`` starts
    another ``plankton-proxy serve`` with your options and stops it after the
    test.

Every server is a real child process speaking HTTP on 127.0.0.1.

A test of your own::

    def test_my_tool_lists_images(plankton_stack):
        uuid, token = plankton_stack.users[0]
        location = plankton_stack.upload(token, 'images', 'disk.img', b'...')
        image = plankton_stack.register(token, 'debian', location)
        # point your code at plankton_stack.url with that token
        assert my_tool.list(plankton_stack.url, token)[0]['id'] == image['id']
"""

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

BANNER = re.compile(r'^plankton-proxy (http://\S+)$')
UPSTREAM = re.compile(r'^\s+upstream:\s+(\S+)')

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


class ChildServer(object):
    """A server child process that says on stdout when it is ready.

    ``launch()`` starts it and reads its output lines into ``output`` until
    ``ready(line)`` is true, then keeps draining them (so that the child never
    blocks on a full pipe); ``stop()`` ends it with a signal."""

    proc = None

    def launch(self, cmd, ready, timeout=30, what=None, **popen_args):
        popen_args.setdefault('stderr', subprocess.STDOUT)
        self.output = []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                                     **popen_args)
        lines = queue.Queue()
        self._drain = threading.Thread(target=self._read_output, args=(lines,),
                                       daemon=True)
        self._drain.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:          # it exited, or said nothing in time
                self.stop()
                raise RuntimeError('%s did not start:\n%s'
                                   % (what or cmd[0], ''.join(self.output)))
            if ready(line):
                return

    def _read_output(self, lines):
        for line in self.proc.stdout:
            self.output.append(line)
            lines.put(line)
        lines.put(None)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stop the process with ``sig``; return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain.join(5)
        if not self._drain.is_alive():
            self.proc.stdout.close()
        return self.proc.returncode


class RunningServer(ChildServer):
    """A ``plankton-proxy serve`` child process and what its banner said."""

    def __init__(self, args, env=None, timeout=30):
        self.url = self.upstream = None
        self.launch([sys.executable, '-m', 'plankton_proxy.cli', 'serve'] + list(args),
                    self._banner, timeout, what='plankton-proxy',
                    env=dict(os.environ, **(env or {})))

    def _banner(self, line):
        if BANNER.match(line):
            self.url = BANNER.match(line).group(1)
        elif UPSTREAM.match(line):
            self.upstream = UPSTREAM.match(line).group(1)
        # the blank line that ends the banner
        return not line.strip() and self.url and self.upstream

    @property
    def backend_url(self):
        """Root URL of the embedded backend (when the server started one)."""
        return self.upstream.rsplit('/image/', 1)[0]


class Stack(RunningServer):
    """The proxy plus the embedded backend, with the users of ``users_file``
    (by default the demo users)."""

    def __init__(self, args=(), users_file=DEMO_USERS_FILE, **kwargs):
        super().__init__(['--port', '0', '--backend-port', '0', '--users', users_file]
                         + list(args), **kwargs)
        self.users = read_users(users_file)
        self._uuids = {token: uuid for uuid, token in self.users}

    @property
    def pithos_url(self):
        """The embedded Pithos object API, without the account."""
        return self.backend_url + '/object-store/v1'

    def upload(self, token, container, name, data, content_type='application/octet-stream'):
        """Put ``data`` (bytes or a binary file) as ``container/name`` in the
        token's Pithos account; return its ``pithos://`` location."""
        import requests
        uuid = self._uuids[token]
        headers = {'X-Auth-Token': token}
        account = '%s/%s' % (self.pithos_url, uuid)
        requests.put('%s/%s' % (account, container), headers=headers).raise_for_status()
        resp = requests.put('%s/%s/%s' % (account, container, name), data=data,
                            headers=dict(headers, **{'Content-Type': content_type}))
        resp.raise_for_status()
        return 'pithos://%s/%s/%s' % (uuid, container, name)

    def register(self, token, name, location, disk_format='raw', container_format='bare',
                 **meta):
        """Register ``location`` as an image through the proxy, as a Glance v1
        client does; return the image as the proxy answers it."""
        import requests
        headers = {'X-Auth-Token': token, 'x-image-meta-name': name,
                   'x-image-meta-location': location,
                   'x-image-meta-disk_format': disk_format,
                   'x-image-meta-container_format': container_format}
        for key, value in meta.items():
            headers['x-image-meta-property-' + key] = value
        resp = requests.post(self.url + '/v1/images', headers=headers)
        resp.raise_for_status()
        return resp.json()['image']


@pytest.fixture(scope='session')
def plankton_stack():
    stack = Stack(['--in-memory'])
    yield stack
    stack.stop()


@pytest.fixture
def plankton_stack_factory():
    started = []

    def start(dialect='s16', data_dir=None, args=(), users_file=DEMO_USERS_FILE):
        where = ['--data-dir', str(data_dir)] if data_dir else ['--in-memory']
        stack = Stack(['--dialect', dialect] + where + list(args), users_file=users_file)
        started.append(stack)
        return stack

    yield start
    for stack in started:
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
