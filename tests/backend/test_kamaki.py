"""kamaki 0.16 (Synnefo's own client, Python 2.7) against the backend.  Optional.

Runs only when ``KAMAKI_PYTHON`` names a Python 2.7 interpreter and ``KAMAKI_PATH`` a
directory where kamaki is installed, e.g. ``pip install --target DIR kamaki==0.16``.
"""

import hashlib
import os
import subprocess

import pytest

from backend_helpers import ALICE, BOB, User

KAMAKI_PYTHON = os.environ.get('KAMAKI_PYTHON')
KAMAKI_PATH = os.environ.get('KAMAKI_PATH')

pytestmark = pytest.mark.skipif(not (KAMAKI_PYTHON and KAMAKI_PATH),
                                reason='set KAMAKI_PYTHON and KAMAKI_PATH to run kamaki')


def test_kamaki_register_list_show_share(backend, tmp_path):
    rc = tmp_path / 'kamakirc'
    rc.write_text('[global]\ndefault_cloud = test\n\n[cloud "test"]\n'
                  'url = %s/identity/v2.0\ntoken = %s\n' % (backend.url, ALICE[1]))

    def kamaki(*args):
        env = dict(os.environ, PYTHONPATH=KAMAKI_PATH)
        done = subprocess.run([KAMAKI_PYTHON, os.path.join(KAMAKI_PATH, 'bin', 'kamaki'),
                               '-c', str(rc)] + list(args), env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    data = os.urandom(5 * 1024 * 1024)          # two Pithos blocks
    image_file = tmp_path / 'disk.img'
    image_file.write_bytes(data)
    kamaki('container', 'create', 'images')
    out = kamaki('image', 'register', '--name', 'kamaki image', '--location',
                 '/images/disk.img', '--upload-image-file', str(image_file), '-p', 'OS=debian')
    image_id = [line.split(': ')[1] for line in out.splitlines() if line.startswith('id: ')][0]
    assert image_id in kamaki('image', 'list')
    assert 'os: debian' in kamaki('image', 'info', image_id)
    kamaki('image', 'modify', image_id, '--member-add', BOB[0], '-p', 'color=blue')

    alice, bob = User(backend, *ALICE), User(backend, *BOB)
    got = alice.request('GET', alice.object_url('images', 'disk.img')).content
    assert hashlib.md5(got).digest() == hashlib.md5(data).digest()
    assert bob.head_image(image_id).headers['x-image-meta-property-color'] == 'blue'
    kamaki('image', 'unregister', image_id)
    assert alice.head_image(image_id).status_code == 404
