"""Small helpers to drive a ``Stack`` (proxy + embedded backend) over HTTP."""

import socket
import uuid as uuidlib

import requests


def pithos_url(stack, account):
    return '%s/object-store/v1/%s' % (stack.backend_url, account)


def put_file(stack, user, container='images', name=None, data=b'x' * 1024):
    """Upload a file straight to the embedded Pithos; -> its pithos:// location."""
    account, token = user
    name = name or 'f-%s.img' % uuidlib.uuid4().hex
    base = pithos_url(stack, account)
    requests.put('%s/%s' % (base, container), headers={'X-Auth-Token': token},
                 timeout=10)
    resp = requests.put('%s/%s/%s' % (base, container, name), data=data,
                        headers={'X-Auth-Token': token,
                                 'Content-Type': 'application/octet-stream'},
                        timeout=10)
    assert resp.status_code == 201, resp.text
    return 'pithos://%s/%s/%s' % (account, container, name)


def register(stack, user, location, name='img', **extra):
    headers = {'X-Auth-Token': user[1], 'x-image-meta-name': name,
               'x-image-meta-location': location,
               'x-image-meta-disk_format': 'raw',
               'x-image-meta-container_format': 'bare'}
    headers.update(extra)
    resp = requests.post(stack.url + '/v1/images', headers=headers, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()['image']['id']


def image_ids(stack, user):
    resp = requests.get(stack.url + '/v1/images/detail?limit=1000',
                        headers={'X-Auth-Token': user[1]}, timeout=30)
    assert resp.status_code == 200, resp.text
    return sorted(image['id'] for image in resp.json()['images'])


def pithos_objects(stack, user):
    """Every (container, object) of the user's Pithos account."""
    account, token = user
    base = pithos_url(stack, account)
    resp = requests.get(base + '?format=json', headers={'X-Auth-Token': token},
                        timeout=10)
    containers = [c['name'] for c in resp.json()] if resp.status_code == 200 else []
    found = []
    for container in containers:
        resp = requests.get('%s/%s?format=json' % (base, container),
                            headers={'X-Auth-Token': token}, timeout=10)
        if resp.status_code == 200:
            found += [(container, o['name']) for o in resp.json()]
    return sorted(found)


def raw_request(url, data, timeout=10.0, read=True):
    """Send raw bytes to the server of ``url``; -> the raw answer (b'' when
    the server closed without one)."""
    host, port = url.split('//', 1)[1].split('/', 1)[0].split(':')
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        if not read:
            return b''
        answer = b''
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        return answer


def status_of(answer):
    try:
        return int(answer.split(b' ', 2)[1])
    except (IndexError, ValueError):
        return None
