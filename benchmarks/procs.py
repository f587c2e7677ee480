"""Start and stop the servers a benchmark needs, all on 127.0.0.1.

Every server is a child process of the run, started from this source tree
(``PYTHONPATH`` puts the tree first, so a checkout's code is what is measured).
"""

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USERS_FILE = os.path.join(ROOT, 'etc', 'users.conf')


def demo_users():
    users = []
    with open(USERS_FILE) as stream:
        for line in stream:
            parts = line.split('#', 1)[0].split()
            if len(parts) == 2:
                users.append((parts[0], parts[1]))
    return users


def child_env(extra=None):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env.update(extra or {})
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_http(url, timeout=15):
    """Until ``url`` answers anything over HTTP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('nothing answers at %s' % url)


class Child(object):
    """A child process with a banner line to wait for and output drained to a file."""

    def __init__(self, name, cmd, banner, logdir, env=None, timeout=30, cwd=None):
        self.name = name
        self.log_path = os.path.join(logdir, '%s-%d.log' % (name, time.monotonic_ns()))
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log,
                                     env=child_env(env), cwd=cwd or ROOT)
        self.lines = []
        deadline = time.monotonic() + timeout
        buf = b''
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                *done, buf = buf.split(b'\n')
                self.lines += [line.decode() for line in done]
                if banner(self.lines):
                    break
            elif self.proc.poll() is not None:
                break
        else:
            done = None
        if not banner(self.lines):
            self.stop()
            with open(self.log_path, 'rb') as stream:
                err = stream.read().decode(errors='replace')[-2000:]
            raise RuntimeError('%s did not start: %r\n%s' % (name, self.lines, err))
        # Keep stdout drained so the child never blocks on it, nor writes
        # into a closed pipe.
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()

    def _drain_stdout(self):
        try:
            while os.read(self.proc.stdout.fileno(), 65536):
                pass
        except (OSError, ValueError):
            pass

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def start_backend(logdir, data_dir=None, counting=False):
    """The embedded backend alone: ``python -m plankton_proxy.backend``.

    ``counting=True`` runs it through ``benchmarks.counting_backend`` instead,
    which adds a request counter (``GET /__bench/count``) and nothing else."""
    port = free_port()
    module = 'benchmarks.counting_backend' if counting else 'plankton_proxy.backend'
    cmd = [sys.executable, '-m', module, '--host', '127.0.0.1', '--port', str(port),
           '--users', USERS_FILE]
    cmd += ['--data-dir', data_dir] if data_dir else ['--in-memory']
    child = Child('backend', cmd, lambda lines: any('listening on' in l for l in lines),
                  logdir)
    child.url = 'http://127.0.0.1:%d' % port
    return child


def start_proxy(logdir, upstream, args=(), config=None, env=None):
    """``plankton-proxy serve --upstream URL`` (the proxy alone, its own process)."""
    cmd = [sys.executable, '-m', 'plankton_proxy.cli', 'serve', '--port', '0',
           '--upstream', upstream] + list(args)
    if config:
        cmd += ['--config', config]
    child = Child('proxy', cmd, lambda lines: any(l.lstrip().startswith('upstream:')
                                                  for l in lines), logdir, env=env)
    child.url = [l.split()[1] for l in child.lines if l.startswith('plankton-proxy ')][0]
    return child


NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    underscores_in_headers on;
    client_max_body_size 0;
    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location /v1/ {{
            proxy_pass http://backend/image/v1.0/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_request_buffering off;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
        }}
    }}
}}
"""


def nginx_binary():
    return shutil.which('nginx') or (os.path.exists('/usr/sbin/nginx') and '/usr/sbin/nginx')


class Nginx(object):
    """Debian's nginx as a plain reverse proxy in front of the backend: one worker
    (like the one eventlet process of the proxy), keep-alive to the upstream,
    no buffering, ``underscores_in_headers on``; its own config in a temp dir."""

    def __init__(self, logdir, backend_url):
        binary = nginx_binary()
        if not binary:
            raise FileNotFoundError('nginx is not installed (apt-get install nginx)')
        self.dir = tempfile.mkdtemp(prefix='bench-nginx-', dir=logdir)
        port = free_port()
        conf = os.path.join(self.dir, 'nginx.conf')
        with open(conf, 'w') as stream:
            stream.write(NGINX_CONF.format(dir=self.dir, port=port,
                                           backend_port=backend_url.rsplit(':', 1)[1]))
        self.log = open(os.path.join(self.dir, 'stderr.log'), 'wb')
        self.proc = subprocess.Popen([binary, '-p', self.dir, '-c', conf],
                                     stdout=self.log, stderr=self.log)
        self.url = 'http://127.0.0.1:%d' % port
        self.pid = self.proc.pid
        try:
            wait_http(self.url + '/__nginx_ready')
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def rss_kib(pid):
    """Resident set size of ``pid`` now, in KiB (from /proc)."""
    with open('/proc/%d/status' % pid) as stream:
        for line in stream:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def hwm_kib(pid):
    """Peak resident set size of ``pid`` so far (VmHWM), in KiB."""
    with open('/proc/%d/status' % pid) as stream:
        for line in stream:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return 0


CLK_TCK = os.sysconf('SC_CLK_TCK')


def _tree(pid):
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir('/proc/%d/task' % current):
                with open('/proc/%d/task/%s/children' % (current, task)) as stream:
                    todo += [int(x) for x in stream.read().split()]
        except OSError:
            pass
    return found


def cpu_split(pid):
    """(user, system) CPU seconds of ``pid`` (or a list of pids) and their
    descendants."""
    user = system = 0
    pids = pid if isinstance(pid, (list, tuple)) else [pid]
    for one in [p for top in pids for p in _tree(top)]:
        try:
            with open('/proc/%d/stat' % one) as stream:
                fields = stream.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        user += int(fields[11])
        system += int(fields[12])
    return user / float(CLK_TCK), system / float(CLK_TCK)


def cpu_seconds(pid):
    """User + system CPU time of ``pid`` (or a list of pids) and their
    descendants, in seconds."""
    return sum(cpu_split(pid))


def machine_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open('/proc/stat') as stream:
        values = [int(x) for x in stream.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)
