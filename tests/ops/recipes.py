"""Helpers to run the deployment recipes of etc/ for real on loopback."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ETC = os.path.join(ROOT, 'etc')
BIN = os.path.dirname(sys.executable)

#: The shipped operations filters in front of the bare forwarder: what the
#: recipe tests run against a FakeUpstream (whose /echo and /sink paths the
#: Glance translation filters would rightly reinterpret).
OPS_PIPELINE = """
[DEFAULT]
upstream = %(upstream)s

[pipeline:main]
pipeline = healthcheck access_log versions forward

[filter:healthcheck]
use = egg:plankton_proxy#healthcheck

[filter:access_log]
use = egg:plankton_proxy#access_log

[filter:versions]
use = egg:plankton_proxy#versions

[app:forward]
use = egg:plankton_proxy#forward
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def ops_config(directory, upstream):
    path = os.path.join(str(directory), 'ops-paste.ini')
    with open(path, 'w') as out:
        out.write(OPS_PIPELINE % {'upstream': upstream})
    return path


class Process(object):
    """A server child process; its output kept in ``output``."""

    def __init__(self, argv, url, cwd=ROOT, ready_path='/healthcheck', timeout=30,
                 env=None):
        self.url = url
        self.output = []
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, **(env or {})),
                                     start_new_session=True)
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError('%s exited:\n%s' % (argv[0], ''.join(self.output)))
            try:
                requests.get(url + ready_path, timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('%s did not answer:\n%s'
                                       % (argv[0], ''.join(self.output)))
                time.sleep(0.1)

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def wait_for_line(self, text, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.output if text in line]
            if found:
                return found
            time.sleep(0.05)
        return []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def nginx_binary():
    return shutil.which('nginx') or (os.path.exists('/usr/sbin/nginx') and '/usr/sbin/nginx')


def start_nginx(proxy_hostport, directory, request_buffering=False):
    """nginx with etc/nginx/*.conf, its ports changed to free ones; -> Process.
    ``request_buffering``: the uWSGI variant (docs/operators.rst)."""
    directory = tempfile.mkdtemp(prefix='nginx-', dir=str(directory))
    conf_dir = os.path.join(directory, 'nginx-conf')
    prefix = os.path.join(directory, 'nginx-prefix')
    os.makedirs(conf_dir)
    os.makedirs(prefix)
    os.chmod(directory, 0o755)
    # nginx's workers drop to "nobody" when the master runs as root.
    os.chmod(prefix, 0o777)
    port = free_port()
    site = open(os.path.join(ETC, 'nginx', 'plankton-proxy.conf')).read()
    assert 'server 127.0.0.1:9292;' in site and 'listen 127.0.0.1:8080;' in site
    site = site.replace('server 127.0.0.1:9292;', 'server %s;' % proxy_hostport)
    site = site.replace('listen 127.0.0.1:8080;', 'listen 127.0.0.1:%d;' % port)
    if request_buffering:
        assert 'proxy_request_buffering off;' in site
        site = site.replace('proxy_request_buffering off;', 'proxy_request_buffering on;')
    with open(os.path.join(conf_dir, 'plankton-proxy.conf'), 'w') as out:
        out.write(site)
    shutil.copy(os.path.join(ETC, 'nginx', 'nginx-standalone.conf'), conf_dir)
    return Process([nginx_binary(), '-p', prefix, '-c',
                    os.path.join(conf_dir, 'nginx-standalone.conf')],
                   'http://127.0.0.1:%d' % port)


def scratch_dir():
    return tempfile.mkdtemp(prefix='plankton-recipe-')
