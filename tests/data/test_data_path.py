"""Image data through the proxy (issue 5): real servers on loopback, real clients.

Every stack here is ``plankton-proxy serve`` (a child process) in front of
the embedded backend; the checks that nothing is left behind list the
Pithos container and the image list directly.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings

import pytest
import requests

from plankton_proxy.testing import RunningServer, Stack, read_users, DEMO_USERS_FILE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOWNLOAD_INI = os.path.join(ROOT, 'etc', 'paste-download.ini')
PASTE_INI = os.path.join(ROOT, 'paste.ini')
VENV_BIN = os.path.dirname(sys.executable)
(ALICE, ALICE_TOKEN), (BOB, BOB_TOKEN) = read_users(DEMO_USERS_FILE)[:2]
H = {'X-Auth-Token': ALICE_TOKEN}


def config(tmp_path, base=DOWNLOAD_INI, dialect='s16', **options):
    """A copy of a shipped paste file: dialect and [filter:glance_upload] options."""
    text = open(base).read().replace('upstream_dialect = s16',
                                     'upstream_dialect = %s' % dialect)
    extra = ''.join('%s = %s\n' % item for item in options.items())
    text = text.replace('use = egg:plankton_proxy#glance_upload\n',
                        'use = egg:plankton_proxy#glance_upload\n' + extra)
    path = tmp_path / ('paste-%s-%d.ini' % (dialect, len(os.listdir(tmp_path))))
    path.write_text(text)
    return str(path)


class Data(object):
    """A running stack plus direct views of its Pithos and Plankton."""

    def __init__(self, server, pithos=None, plankton=None):
        self.server = server
        self.url = server.url
        self.pithos = pithos or server.backend_url + '/object-store/v1'
        self.plankton = plankton or server.upstream

    def objects(self, container='images', account=ALICE):
        r = requests.get('%s/%s/%s?format=json' % (self.pithos, account, container),
                         headers=H)
        if r.status_code in (204, 404):
            return {}
        assert r.status_code == 200, r.text
        return {o['name']: o['bytes'] for o in r.json()}

    def object_data(self, name, container='images'):
        r = requests.get('%s/%s/%s/%s' % (self.pithos, ALICE, container, name), headers=H)
        assert r.status_code == 200
        return r.content

    def images(self):
        r = requests.get(self.plankton + '/images/detail', headers=H)
        assert r.status_code == 200
        doc = r.json()
        return {i['id']: i for i in (doc['images'] if isinstance(doc, dict) else doc)}

    def head(self, image_id):
        r = requests.head('%s/v1/images/%s' % (self.url, image_id), headers=H)
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}

    def add_file(self, name, data, container='files'):
        base = '%s/%s/%s' % (self.pithos, ALICE, container)
        assert requests.put(base, headers=H).status_code in (201, 202)
        r = requests.put(base + '/' + name, data=data,
                         headers=dict(H, **{'Content-Type': 'application/octet-stream'}))
        assert r.status_code == 201, r.text
        return 'pithos://%s/%s/%s' % (ALICE, container, name)


@pytest.fixture(scope='module', params=['s16', 's13'])
def data_stack(request, tmp_path_factory):
    dialect = request.param
    ini = config(tmp_path_factory.mktemp('ini'), dialect=dialect)
    server = Stack(['--in-memory', '--config', ini, '--dialect', dialect])
    server.dialect = dialect
    yield Data(server)
    server.stop()


@pytest.fixture(scope='module')
def default_stack(tmp_path_factory):
    server = Stack(['--in-memory'])          # the shipped paste.ini: download off
    yield Data(server)
    server.stop()


def glance(url, *args, stdin=subprocess.DEVNULL, token=ALICE_TOKEN):
    cmd = [os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
           '--os-image-url', url, '--os-auth-token', token] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          stdin=stdin, env=dict(os.environ, HOME='/tmp'))


def field(output, name):
    for line in output.splitlines():
        cells = [c.strip() for c in line.split('|')]
        if len(cells) > 2 and cells[1] == name:
            return cells[2]
    raise AssertionError('no %s in %s' % (name, output))


def sdk(url):
    import openstack
    return openstack.connect(auth_type='admin_token',
                             auth={'endpoint': url + '/v1', 'token': ALICE_TOKEN},
                             image_api_version='1')


def random_file(tmp_path, size, name='disk.img'):
    path = tmp_path / name
    data = os.urandom(size)
    path.write_bytes(data)
    return str(path), data


def md5(data):
    return hashlib.md5(data).hexdigest()


# -- uploads with the real clients ------------------------------------------------


def test_glance_cli_upload_show_download(data_stack, tmp_path):
    path, data = random_file(tmp_path, 3 * 1024 * 1024 + 17)
    before = data_stack.objects()
    r = glance(data_stack.url, 'image-create', '--name', 'cli upload', '--disk-format',
               'raw', '--container-format', 'bare', '--file', path,
               '--property', 'os_distro=débian')
    assert r.returncode == 0, r.stderr
    image_id = field(r.stdout, 'id')
    assert field(r.stdout, 'status') == 'active'
    assert field(r.stdout, 'checksum') == md5(data)
    assert field(r.stdout, 'size') == str(len(data))
    r = glance(data_stack.url, 'image-show', image_id)
    assert r.returncode == 0, r.stderr
    assert field(r.stdout, 'checksum') == md5(data)
    assert field(r.stdout, 'size') == str(len(data))
    # the bytes in Pithos, read back with swiftclient, are the file
    from swiftclient import client as swift
    conn = swift.Connection(preauthurl=data_stack.pithos + '/' + ALICE,
                            preauthtoken=ALICE_TOKEN, retries=0)
    new = [n for n in data_stack.objects() if n not in before]
    assert len(new) == 1 and new[0].startswith('cli_upload-')
    _, body = conn.get_object('images', new[0])
    assert body == data
    # download is enabled in this stack: glanceclient verifies the MD5
    out = tmp_path / 'out.img'
    r = glance(data_stack.url, 'image-download', '--file', str(out), image_id)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data
    # the Glance headers of a data GET
    resp = requests.get('%s/v1/images/%s' % (data_stack.url, image_id),
                        headers=dict(H, **{'User-Agent': 'python-glanceclient'}))
    assert resp.headers['Content-Type'] == 'application/octet-stream'
    assert resp.headers['Content-Length'] == str(len(data))
    assert resp.headers['x-image-meta-checksum'] == md5(data)
    assert resp.headers['ETag'] == md5(data)
    assert resp.headers['x-image-meta-status'] == 'active'


def test_glance_cli_stdin_forms(data_stack, tmp_path):
    # </dev/null: zero chunks + x-image-meta-size: 0 -> an active empty image
    # (Glance: a declared size 0 without data is active, checksum null)
    r = glance(data_stack.url, 'image-create', '--name', 'devnull', '--disk-format',
               'raw', '--container-format', 'bare', stdin=open(os.devnull))
    assert r.returncode == 0, r.stderr
    assert field(r.stdout, 'status') == 'active' and field(r.stdout, 'size') == '0'
    empty_id = field(r.stdout, 'id')
    # `image-update --property k=v` of an active image with a non-tty stdin:
    # glanceclient itself refuses ("Unable to upload image data to an image
    # which is active.") and sends no PUT at all; nothing a proxy can fix.
    r = glance(data_stack.url, 'image-update', '--property', 'k=v', empty_id,
               stdin=open(os.devnull))
    assert r.returncode == 1 and 'Unable to upload image data' in r.stderr
    time.sleep(0.2)
    assert 'PUT /v1/images/%s' % empty_id not in ''.join(data_stack.server.output)
    # stdin closed: no data at all -> queued placeholder
    r = subprocess.run(' '.join([os.path.join(VENV_BIN, 'glance'), '--os-image-api-version',
                                 '1', '--os-image-url', data_stack.url, '--os-auth-token',
                                 ALICE_TOKEN, 'image-create', '--name', 'nodata', '<&-']),
                       shell=True, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, HOME='/tmp'))
    assert r.returncode == 0, r.stderr
    image_id = field(r.stdout, 'id')
    assert field(r.stdout, 'status') == 'queued'
    assert field(r.stdout, 'disk_format') == 'None'     # never set, as Glance shows
    # data needs both formats, from the request or the stored image (Glance v1)
    path, data = random_file(tmp_path, 200000)
    r = glance(data_stack.url, 'image-update', '--file', path, image_id)
    assert r.returncode == 1 and 'format is not specified' in r.stderr
    # pipe (chunked, no size) into the queued image: active, same id
    r = glance(data_stack.url, 'image-update', '--file', path, '--disk-format', 'raw',
               '--container-format', 'bare', image_id)
    assert r.returncode == 0, r.stderr
    assert field(r.stdout, 'id') == image_id
    assert field(r.stdout, 'status') == 'active'
    assert field(r.stdout, 'checksum') == md5(data)
    time.sleep(0.2)      # the access log does show PUTs that were sent
    assert 'PUT /v1/images/%s' % image_id in ''.join(data_stack.server.output)
    # data to an active image: the CLI refuses by itself; a raw PUT gets 409
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, image_id), data=b'more',
                        headers=dict(H, **{'Content-Type': 'application/octet-stream'}))
    assert resp.status_code == 409
    assert 'unqueued' in resp.json()['conflict']['message']
    # an empty chunked body is no data: a metadata update of an active image
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, image_id),
                        data=iter([]), headers=dict(H, **{
                            'Content-Type': 'application/octet-stream',
                            'User-Agent': 'python-glanceclient',
                            'x-glance-registry-purge-props': 'false',
                            'x-image-meta-property-k': 'v'}))
    assert resp.status_code == 200, resp.text
    assert resp.json()['image']['properties'] == {'k': 'v'}


def test_openstacksdk_create_and_download(data_stack, tmp_path):
    path, data = random_file(tmp_path, 1024 * 1024 + 3)
    conn = sdk(data_stack.url)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        img = conn.create_image('sdk upload', filename=path, disk_format='raw',
                                container_format='bare', wait=True)
        assert img.status == 'active' and img.size == len(data)
        assert img.checksum == md5(data)
        out = tmp_path / 'sdk.out'
        with open(out, 'wb') as stream:
            conn.image.download_image(img.id, output=stream)   # GET .../file
        assert out.read_bytes() == data
        # the openstack CLI downloads from the same route
        osc = os.path.join(VENV_BIN, 'openstack')
        if data_stack.server.dialect == 's16' and os.path.exists(osc):
            r = subprocess.run([osc, '--os-image-api-version', '1', '--os-auth-type',
                                'admin_token', '--os-endpoint', data_stack.url + '/v1',
                                '--os-token', ALICE_TOKEN, 'image', 'save', '--file',
                                str(tmp_path / 'osc.out'), img.id],
                               capture_output=True, text=True, timeout=90,
                               stdin=subprocess.DEVNULL)
            assert r.returncode == 0, r.stderr
            assert (tmp_path / 'osc.out').read_bytes() == data
        # the deprecated upload_image (JSON create, no data) -> queued;
        # its data then comes with a PUT, as the SDK's own upload does
        queued = conn.image.upload_image(name='sdk queued', disk_format='raw',
                                         container_format='bare')
    assert queued.status == 'queued'
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, queued.id), data=data[:999],
                        headers=dict(H, **{'x-glance-registry-purge-props': 'false',
                                           'User-Agent': 'openstacksdk/4'}))
    assert resp.status_code == 200, resp.text
    image = resp.json()['image']
    assert (image['id'], image['status'], image['size'], image['checksum']) == \
        (queued.id, 'active', 999, md5(data[:999]))


def test_queued_activated_by_location(data_stack):
    data = os.urandom(300000)
    loc = data_stack.add_file('source.img', data)
    resp = requests.post(data_stack.url + '/v1/images', headers=dict(
        H, **{'x-image-meta-name': 'by location'}))
    assert resp.status_code == 201, resp.text
    image_id = resp.json()['image']['id']
    assert resp.json()['image']['status'] == 'queued'
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, image_id), headers=dict(
        H, **{'x-image-meta-location': loc, 'x-image-meta-size': '300000',
              'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}))
    assert resp.status_code == 200, resp.text
    image = resp.json()['image']
    assert (image['id'], image['status'], image['size'], image['checksum']) == \
        (image_id, 'active', 300000, md5(data))
    status, headers = data_stack.head(image_id)
    assert headers['x-image-meta-status'] == 'active'
    # a location on an active image -> 400 (glance_images)
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, image_id),
                        headers=dict(H, **{'x-image-meta-location': loc}))
    assert resp.status_code == 400


# -- failures leave nothing behind -------------------------------------------------


def post_data(stack, name, data, **headers):
    hdrs = dict(H, **{'x-image-meta-name': name, 'x-image-meta-disk_format': 'raw',
                      'x-image-meta-container_format': 'bare',
                      'Content-Type': 'application/octet-stream'})
    hdrs.update(headers)
    return requests.post(stack.url + '/v1/images', data=data, headers=hdrs)


def test_mismatches_leave_nothing(data_stack):
    data = os.urandom(100000)
    objects, images = data_stack.objects(), data_stack.images()
    resp = post_data(data_stack, 'bad sum', data,
                     **{'x-image-meta-checksum': '0' * 32})
    assert resp.status_code == 400
    assert 'checksum' in resp.json()['badRequest']['message']
    resp = post_data(data_stack, 'bad size', iter([data]), **{'x-image-meta-size': '7'})
    assert resp.status_code == 400
    assert 'Supplied size (7)' in resp.json()['badRequest']['message']
    # refused before a byte is stored
    resp = post_data(data_stack, 'bad format', data, **{'x-image-meta-disk_format': 'vhd'})
    assert resp.status_code == 400
    resp = post_data(data_stack, 'no format', data, **{'x-image-meta-disk_format': ''})
    assert resp.status_code == 400
    resp = post_data(data_stack, 'two sources', data,
                     **{'x-image-meta-location': 'pithos://%s/images/x' % ALICE})
    assert resp.status_code == 400
    assert data_stack.objects() == objects and data_stack.images() == images
    # a queued image whose upload does not match stays queued, placeholder empty
    resp = requests.post(data_stack.url + '/v1/images',
                         headers=dict(H, **{'x-image-meta-name': 'q mismatch'}))
    image_id = resp.json()['image']['id']
    resp = requests.put('%s/v1/images/%s' % (data_stack.url, image_id), data=data,
                        headers=dict(H, **{'x-image-meta-checksum': 'f' * 32}))
    assert resp.status_code == 400
    status, headers = data_stack.head(image_id)
    assert headers['x-image-meta-status'] == 'queued'
    assert headers['x-image-meta-size'] == '0'


def raw_upload(url, name, body_parts, chunked=True, length=None):
    """Send part of an upload on a raw socket; the caller closes it."""
    host, port = url.split('//')[1].split(':')
    sock = socket.create_connection((host, int(port)))
    head = ['POST /v1/images HTTP/1.1', 'Host: %s:%s' % (host, port),
            'X-Auth-Token: ' + ALICE_TOKEN, 'x-image-meta-name: ' + name,
            'x-image-meta-disk_format: raw', 'x-image-meta-container_format: bare',
            'Content-Type: application/octet-stream']
    head.append('Transfer-Encoding: chunked' if chunked else 'Content-Length: %d' % length)
    sock.sendall(('\r\n'.join(head) + '\r\n\r\n').encode())
    for part in body_parts:
        sock.sendall(b'%x\r\n%s\r\n' % (len(part), part) if chunked else part)
    return sock


KILLED_CLIENT = r'''
import socket, sys, time
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port))
s.sendall(('POST /v1/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
           'x-image-meta-name: killed\r\nx-image-meta-disk_format: raw\r\n'
           'x-image-meta-container_format: bare\r\nContent-Length: 50000000\r\n'
           'Content-Type: application/octet-stream\r\n\r\n' % token).encode())
s.sendall(b'k' * 3000000)
print('sent', flush=True)
time.sleep(60)
'''


def wait_until(check, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_client_gone_mid_upload_leaves_nothing(data_stack):
    objects, images = data_stack.objects(), data_stack.images()
    sock = raw_upload(data_stack.url, 'gone chunked', [b'x' * 65536] * 20)
    time.sleep(0.3)
    sock.close()
    sock = raw_upload(data_stack.url, 'gone sized', [b'y' * 2000000], chunked=False,
                      length=9000000)
    time.sleep(0.3)
    sock.close()
    # a client process killed mid-upload
    host, port = data_stack.url.split('//')[1].split(':')
    proc = subprocess.Popen([sys.executable, '-c', KILLED_CLIENT, host, port, ALICE_TOKEN],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == 'sent'
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    assert wait_until(lambda: data_stack.objects() == objects)
    assert data_stack.images() == images


# -- size caps and a Pithos that breaks mid-stream -----------------------------------


class CuttingRelay(object):
    """A TCP relay to the backend that cuts a Pithos PUT whose path contains
    ``cut-`` after ``after`` bytes (the object store failing mid-stream)."""

    def __init__(self, target, after=1500000):
        self.target = target
        self.after = after
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.cuts = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        upstream = socket.create_connection(self.target)

        def back():
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
            except OSError:
                pass
            finally:
                for s in (client, upstream):
                    try:
                        s.close()
                    except OSError:
                        pass
        threading.Thread(target=back, daemon=True).start()
        seen, cutting = 0, False
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if not cutting and re.search(rb'PUT [^ ]*/cut-', data):
                    cutting = True        # (connections are kept alive)
                if cutting:
                    seen += len(data)
                upstream.sendall(data)
                if cutting and seen > self.after:
                    self.cuts += 1
                    break
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.fixture(scope='module')
def backend_url():
    """The embedded backend in a process of its own."""
    backend = subprocess.Popen(
        [sys.executable, '-m', 'plankton_proxy.backend', '--port', '0', '--in-memory',
         '--users', DEMO_USERS_FILE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    line = backend.stdout.readline()
    assert 'listening on' in line, line
    threading.Thread(target=lambda: [None for _ in backend.stdout], daemon=True).start()
    yield line.split('listening on ')[1].strip()
    backend.send_signal(signal.SIGTERM)
    backend.wait(10)


def with_defaults(ini, **defaults):
    text = open(ini).read().replace('[DEFAULT]\n', '[DEFAULT]\n' + ''.join(
        '%s = %s\n' % item for item in defaults.items()), 1)
    open(ini, 'w').write(text)
    return ini


@pytest.fixture(scope='module')
def relay_stack(backend_url, tmp_path_factory):
    """A proxy whose Pithos is reached through the cutting relay."""
    tmp = tmp_path_factory.mktemp('relay')
    host, port = backend_url.split('//')[1].split(':')
    relay = CuttingRelay((host, int(port)))
    ini = with_defaults(config(tmp, base=DOWNLOAD_INI, image_size_cap='2000000'),
                        pithos_url='http://127.0.0.1:%d/object-store/v1' % relay.port,
                        identity_url=backend_url + '/identity/v2.0')
    proxy = RunningServer(['--port', '0', '--upstream', backend_url + '/image/v1.0',
                           '--config', ini])
    yield Data(proxy, pithos=backend_url + '/object-store/v1',
               plankton=backend_url + '/image/v1.0'), relay
    proxy.stop()
    relay.close()


def test_size_cap(relay_stack):
    stack, _ = relay_stack
    objects, images = stack.objects(), stack.images()
    big = os.urandom(2000001)
    resp = post_data(stack, 'declared', big)                 # Content-Length > cap
    assert resp.status_code == 400
    assert 'larger than 2000000 bytes' in resp.json()['badRequest']['message']
    resp = post_data(stack, 'declared2', iter([big]), **{'x-image-meta-size': '2000001'})
    assert resp.status_code == 400
    resp = post_data(stack, 'chunked', iter([big[:1000000], big[1000000:]]))
    assert resp.status_code == 413
    assert 'larger than 2000000 bytes' in resp.json()['overLimit']['message']
    assert stack.objects() == objects and stack.images() == images
    resp = post_data(stack, 'fits', big[:2000000])
    assert resp.status_code == 201, resp.text


def test_pithos_breaks_mid_stream(relay_stack):
    stack, relay = relay_stack
    objects, images = stack.objects(), stack.images()
    data = os.urandom(1900000)
    resp = post_data(stack, 'cut', iter([data[i:i + 65536]
                                         for i in range(0, len(data), 65536)]))
    assert resp.status_code == 502, resp.text
    assert relay.cuts >= 1
    assert wait_until(lambda: stack.objects() == objects)
    assert stack.images() == images


def test_registration_refused_leaves_nothing(relay_stack, tmp_path):
    stack, _ = relay_stack
    objects, images = stack.objects(), stack.images()
    # more than Pithos' 32 plankton metadata items: the register is refused
    props = {'x-image-meta-property-p%02d' % i: 'v' for i in range(40)}
    resp = post_data(stack, 'too many', os.urandom(1000), **props)
    assert resp.status_code in (400, 413), resp.text
    assert stack.objects() == objects and stack.images() == images


# -- download on and off ------------------------------------------------------------


def test_download_ranges_and_head(data_stack):
    data = os.urandom(500000)
    resp = post_data(data_stack, 'ranged', data)
    assert resp.status_code == 201, resp.text
    image_id = resp.json()['image']['id']
    url = '%s/v1/images/%s/file' % (data_stack.url, image_id)
    resp = requests.get(url, headers=dict(H, Range='bytes=10-19'))
    assert resp.status_code == 206 and resp.content == data[10:20]
    assert resp.headers['Content-Range'] == 'bytes 10-19/500000'
    assert 'x-image-meta-checksum' not in resp.headers and 'ETag' not in resp.headers
    resp = requests.get(url, headers=dict(H, Range='bytes=600000-'))
    assert resp.status_code == 416
    resp = requests.head(url, headers=H)
    assert resp.status_code == 200 and resp.headers['Content-Length'] == '500000'
    assert resp.headers['Content-Type'] == 'application/octet-stream'
    resp = requests.get(url, headers=H)
    assert resp.content == data and resp.headers['Content-MD5'] == md5(data)
    # openstacksdk's show stays JSON
    resp = requests.get('%s/v1/images/%s' % (data_stack.url, image_id),
                        headers=dict(H, **{'User-Agent': 'openstacksdk/4.0'}))
    assert resp.json()['image']['checksum'] == md5(data)
    # queued: no data (Glance: 404)
    resp = requests.post(data_stack.url + '/v1/images',
                         headers=dict(H, **{'x-image-meta-name': 'empty q'}))
    resp = requests.get('%s/v1/images/%s/file' % (data_stack.url,
                                                   resp.json()['image']['id']), headers=H)
    assert resp.status_code == 404


def test_download_off_by_default(default_stack, tmp_path):
    path, data = random_file(tmp_path, 70000)
    r = glance(default_stack.url, 'image-create', '--name', 'nodl', '--disk-format', 'raw',
               '--container-format', 'bare', '--file', path)
    assert r.returncode == 0, r.stderr
    image_id = field(r.stdout, 'id')
    r = glance(default_stack.url, 'image-download', '--file', str(tmp_path / 'o'), image_id)
    assert r.returncode == 1 and 'not implemented' in r.stderr
    assert 'pithos://%s/images/nodl-' % ALICE in r.stderr
    resp = requests.get('%s/v1/images/%s/file' % (default_stack.url, image_id), headers=H)
    assert resp.status_code == 501


def test_delete_uploaded_option(tmp_path):
    ini = config(tmp_path, base=PASTE_INI, delete_uploaded='true')
    server = Stack(['--in-memory', '--config', ini])
    try:
        stack = Data(server)
        resp = post_data(stack, 'to delete', os.urandom(1000))
        image_id = resp.json()['image']['id']
        resp = requests.post(stack.url + '/v1/images',
                             headers=dict(H, **{'x-image-meta-name': 'queued then data',
                                                'x-image-meta-disk_format': 'raw',
                                                'x-image-meta-container_format': 'bare'}))
        queued = resp.json()['image']['id']
        resp = requests.put('%s/v1/images/%s' % (stack.url, queued), data=b'q' * 100,
                            headers=H)
        assert resp.status_code == 200, resp.text
        loc = stack.add_file('kept.img', b'k' * 10)
        resp = requests.post(stack.url + '/v1/images', headers=dict(H, **{
            'x-image-meta-name': 'registered', 'x-image-meta-location': loc,
            'x-image-meta-disk_format': 'raw', 'x-image-meta-container_format': 'bare'}))
        registered = resp.json()['image']['id']
        assert len(stack.objects()) == 2
        for each in (image_id, queued, registered):
            resp = requests.delete('%s/v1/images/%s' % (stack.url, each), headers=H)
            assert resp.status_code == 200
        assert stack.objects() == {}                      # the upload is gone
        assert stack.objects('files') == {'kept.img': 10}  # a registered file stays
    finally:
        server.stop()


# -- memory: a large transfer keeps the proxy flat ------------------------------------

#: Size of the large transfer (MiB); the proxy's RSS may grow by far less.
LARGE_MIB = int(os.environ.get('PLANKTON_LARGE_MIB', '256'))
RSS_GROWTH_LIMIT = 48 * 1024 * 1024


class RssSampler(object):
    """Peak RSS of a process (and its children), sampled in a thread."""

    def __init__(self, pid, interval=0.02):
        import psutil
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.peak = self.baseline = self.rss()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def rss(self):
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:
                pass
        return total

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak - self.baseline


def test_large_transfer_memory_is_flat(tmp_path, tmp_path_factory):
    server = Stack(['--in-memory', '--config', DOWNLOAD_INI])
    try:
        path = tmp_path / 'large.img'
        digest = hashlib.md5()
        with open(path, 'wb') as stream:
            for _ in range(LARGE_MIB):
                block = os.urandom(1024 * 1024)
                digest.update(block)
                stream.write(block)
        # warm up (imports, pools, first-request allocations) before the baseline
        path_small, _ = random_file(tmp_path, 4 * 1024 * 1024, 'small.img')
        r = glance(server.url, 'image-create', '--name', 'warm', '--disk-format', 'raw',
                   '--container-format', 'bare', '--file', path_small)
        assert r.returncode == 0, r.stderr
        assert glance(server.url, 'image-download', '--file', str(tmp_path / 'w'),
                      field(r.stdout, 'id')).returncode == 0
        sampler = RssSampler(server.pid)
        r = glance(server.url, 'image-create', '--name', 'large', '--disk-format', 'raw',
                   '--container-format', 'bare', '--file', str(path))
        up_growth = sampler.stop()
        assert r.returncode == 0, r.stderr
        assert field(r.stdout, 'checksum') == digest.hexdigest()
        assert field(r.stdout, 'size') == str(LARGE_MIB * 1024 * 1024)
        out = tmp_path / 'large.out'
        sampler = RssSampler(server.pid)
        r = glance(server.url, 'image-download', '--file', str(out), field(r.stdout, 'id'))
        down_growth = sampler.stop()
        assert r.returncode == 0, r.stderr        # glanceclient verified the MD5
        assert out.stat().st_size == LARGE_MIB * 1024 * 1024
        print('RSS growth: upload %.1f MiB, download %.1f MiB for %d MiB'
              % (up_growth / 2 ** 20, down_growth / 2 ** 20, LARGE_MIB))
        assert up_growth < RSS_GROWTH_LIMIT, up_growth
        assert down_growth < RSS_GROWTH_LIMIT, down_growth
    finally:
        server.stop()


# -- the same data path under a threaded WSGI server (decision 20) --------------------


def test_data_path_under_gunicorn(backend_url, tmp_path):
    ini = with_defaults(config(tmp_path, base=DOWNLOAD_INI),
                        upstream=backend_url + '/image/v1.0',
                        pithos_url=backend_url + '/object-store/v1',
                        identity_url=backend_url + '/identity/v2.0')
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([os.path.join(VENV_BIN, 'gunicorn'), '--paste', ini,
                             '--worker-class', 'gthread', '--threads', '4',
                             '--header-map', 'dangerous', '-b', '127.0.0.1:%d' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = 'http://127.0.0.1:%d' % port
    try:
        assert wait_until(lambda: _up(url), timeout=30)
        stack = Data(type('S', (), {'url': url})(), pithos=backend_url + '/object-store/v1',
                     plankton=backend_url + '/image/v1.0')
        data = os.urandom(700000)
        resp = post_data(stack, 'gunicorn', iter([data[:300000], data[300000:]]),
                         **{'x-image-meta-size': str(len(data))})
        assert resp.status_code == 201, resp.text
        image = resp.json()['image']
        assert (image['status'], image['size'], image['checksum']) == \
            ('active', len(data), md5(data))
        resp = post_data(stack, 'gunicorn empty', iter([]))        # empty chunked
        assert resp.status_code == 201 and resp.json()['image']['status'] == 'queued'
        queued = resp.json()['image']['id']
        resp = requests.put('%s/v1/images/%s' % (url, queued), data=data[:1000], headers=H)
        assert resp.status_code == 200 and resp.json()['image']['size'] == 1000
        resp = requests.get('%s/v1/images/%s/file' % (url, image['id']), headers=H)
        assert resp.content == data
        r = glance(url, 'image-download', '--file', str(tmp_path / 'g.out'), image['id'])
        assert r.returncode == 0, r.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def _up(url):
    try:
        requests.get(url + '/', timeout=1)
        return True
    except requests.ConnectionError:
        return False
