"""Helpers for the backend tests: start the backend as a real server, talk HTTP to it."""

import itertools
import os
import pathlib
import re
import signal
import sys

import requests

from plankton_proxy.testing import ChildServer

ROOT = pathlib.Path(__file__).resolve().parents[2]

ALICE = ('9b7b5d2e-6b1e-4a39-a1d2-3c6f3f1e0a01', 'token-alice')
BOB = ('4f0c3a62-2d8e-4c55-9f57-8a1b2c3d4e02', 'token-bob')
CAROL = ('c0c0c0c0-1111-4222-8333-444455556666', 'token-carol')
USERS = (ALICE, BOB, CAROL)

#: Numbers the stderr files of the backends a test starts.
_ERR_FILES = itertools.count(1)

BANNER = re.compile(r'^plankton-backend listening on (http://127\.0\.0\.1:\d+)$')


def write_users_file(directory):
    path = pathlib.Path(directory) / 'users.conf'
    lines = ['# test users']
    lines += ['%s %s' % (uuid, token) for uuid, token in USERS]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


class BackendProcess(ChildServer):
    """``python -m plankton_proxy.backend`` on a free port, as a child process
    (its stderr in ``backend-<n>.err`` of ``workdir``); ``start()`` again after
    ``stop()`` or ``kill()`` restarts it, on a new port."""

    def __init__(self, workdir, data_dir=None, dialect='s16', paginate=True, extra_args=()):
        self.workdir = pathlib.Path(workdir)
        self.data_dir = data_dir
        self.dialect = dialect
        self.paginate = paginate
        self.extra_args = list(extra_args)
        self.users_file = write_users_file(self.workdir)
        self.url = None

    def start(self, timeout=15):
        cmd = [sys.executable, '-m', 'plankton_proxy.backend', '--host', '127.0.0.1',
               '--port', '0', '--users', self.users_file, '--dialect', self.dialect]
        cmd += ['--data-dir', str(self.data_dir)] if self.data_dir else ['--in-memory']
        if not self.paginate:
            cmd.append('--no-paginate')
        cmd += self.extra_args
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [str(ROOT)] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
        with open(self.workdir / ('backend-%d.err' % next(_ERR_FILES)), 'wb') as stderr:
            self.launch(cmd, lambda line: True, timeout, what='backend', stderr=stderr,
                        env=env, cwd=str(self.workdir))
        banner = BANNER.match(self.output[0])
        if not banner:
            self.stop()
            raise RuntimeError('backend did not start: %r' % self.output[0])
        self.url = banner.group(1)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        code = ChildServer.stop(self, sig, timeout)
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()


class User:
    """One user talking raw HTTP to the backend."""

    def __init__(self, backend, uuid, token):
        self.backend = backend
        self.uuid = uuid
        self.token = token
        self.session = requests.Session()

    @property
    def images(self):
        return self.backend.url + '/image/v1.0'

    @property
    def account_url(self):
        return self.backend.url + '/object-store/v1/' + self.uuid

    def request(self, method, url, headers=None, **kwargs):
        all_headers = {'X-Auth-Token': self.token}
        all_headers.update(headers or {})
        return self.session.request(method, url, headers=all_headers, **kwargs)

    def object_url(self, container, name, account=None):
        return '%s/object-store/v1/%s/%s/%s' % (self.backend.url, account or self.uuid,
                                                container, name)

    def put_container(self, container):
        resp = self.request('PUT', self.account_url + '/' + container)
        assert resp.status_code in (201, 202), resp.text
        return resp

    def put_object(self, container, name, data=b'data',
                   content_type='application/octet-stream', headers=None):
        self.put_container(container)
        all_headers = {'Content-Type': content_type}
        all_headers.update(headers or {})
        resp = self.request('PUT', self.object_url(container, name), data=data,
                            headers=all_headers)
        assert resp.status_code == 201, resp.text
        return resp

    def register(self, container, name, image_name='an image', headers=None,
                 expect=200, location=None):
        all_headers = {'X-Image-Meta-Name': image_name,
                       'X-Image-Meta-Location':
                           location or 'pithos://%s/%s/%s' % (self.uuid, container, name)}
        all_headers.update(headers or {})
        resp = self.request('POST', self.images + '/images/', headers=all_headers)
        assert resp.status_code == expect, (resp.status_code, resp.text)
        return resp

    def upload_image(self, container, name, data=b'image data', image_name='an image',
                     headers=None):
        """Upload an object and register it; returns the image id."""
        self.put_object(container, name, data)
        return self.register(container, name, image_name,
                             headers=headers).headers['x-image-meta-id']

    def head_image(self, image_id):
        return self.request('HEAD', self.images + '/images/' + image_id)

    def detail(self, **params):
        resp = self.request('GET', self.images + '/images/detail', params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()
