"""One set of helpers for driving the real clients against a running stack.

Every CLI runs as a subprocess of the suite's venv, with the exact static-token
invocations of clients.md §1.1; ``HOME`` points at a scratch directory (the glance
CLI writes ``~/.glanceclient``).
"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

VENV_BIN = os.path.dirname(sys.executable)
SCRATCH_HOME = tempfile.mkdtemp(prefix='plankton-clients-home-')
NO_SUCH_ID = '00000000-0000-0000-0000-000000000000'


def _env(extra=None):
    env = dict(os.environ, HOME=SCRATCH_HOME)
    # Never let a developer's own cloud settings leak into a client.
    for key in list(env):
        if key.startswith('OS_'):
            del env[key]
    env.update(extra or {})
    return env


def _close_stdin():
    os.close(0)


def run(argv, stdin=subprocess.DEVNULL, env=None, timeout=120, close_stdin=False):
    """Run a client command; the CompletedProcess (text).  ``stdin`` defaults to
    /dev/null (not a tty); ``close_stdin`` runs it as ``<&-``."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=stdin, env=_env(env),
                          preexec_fn=_close_stdin if close_stdin else None)


def glance_argv(url, token, *args):
    return [os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '1',
            '--os-image-url', url, '--os-auth-token', token] + list(args)


def glance(url, token, *args, **kwargs):
    """``glance --os-image-api-version 1 --os-image-url URL --os-auth-token TOKEN``."""
    return run(glance_argv(url, token, *args), **kwargs)


def run_tty(argv):
    """A command under a pseudo-terminal (``script -qec``): stdin is a tty, as when a
    user types the command, so the CLIs do not read it as image data."""
    cmd = ' '.join(shlex.quote(a) for a in argv)
    return run(['script', '-qec', cmd, '/dev/null'])


def glance_tty(url, token, *args):
    """The glance CLI under a pseudo-terminal, as clients.md §3.5 says
    ``image-update`` of an active image must run."""
    return run_tty(glance_argv(url, token, *args))


def osc_argv(url, token, *args, endpoint_suffix='/v1'):
    return [os.path.join(VENV_BIN, 'openstack'), '--os-image-api-version', '1',
            '--os-auth-type', 'admin_token', '--os-endpoint', url + endpoint_suffix,
            '--os-token', token] + list(args)


def osc(url, token, *args, **kwargs):
    """``openstack --os-image-api-version 1 --os-auth-type admin_token
    --os-endpoint URL/v1 --os-token TOKEN``."""
    return run(osc_argv(url, token, *args), **kwargs)


def osc_json(url, token, *args):
    r = osc(url, token, *(list(args) + ['-f', 'json']))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def osc2_argv(url, token, *args):
    """The openstack CLI without a version flag: discovery picks Image API v2."""
    return [os.path.join(VENV_BIN, 'openstack'), '--os-auth-type', 'admin_token',
            '--os-endpoint', url, '--os-token', token] + list(args)


def osc2(url, token, *args, **kwargs):
    """``openstack --os-auth-type admin_token --os-endpoint URL --os-token TOKEN``."""
    return run(osc2_argv(url, token, *args), **kwargs)


def osc2_json(url, token, *args):
    r = osc2(url, token, *(list(args) + ['-f', 'json']))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def glance2_argv(url, token, *args):
    return [os.path.join(VENV_BIN, 'glance'), '--os-image-api-version', '2',
            '--os-image-url', url, '--os-auth-token', token] + list(args)


def glance2(url, token, *args, **kwargs):
    """``glance --os-image-api-version 2 --os-image-url URL --os-auth-token TOKEN``."""
    return run(glance2_argv(url, token, *args), **kwargs)


def glance_table(stdout):
    """Rows of a glance CLI (prettytable) output as lists of cells."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith('|'):
            rows.append([c.strip() for c in line.strip().strip('|').split('|')])
    return rows


def glance_show(stdout):
    """A glance ``image-show``/``image-create`` table as a dict."""
    rows = glance_table(stdout)
    return {row[0]: row[1] for row in rows[1:] if len(row) == 2}


def glance_list(stdout):
    """A glance ``image-list`` table as dicts keyed by column title."""
    rows = glance_table(stdout)
    if not rows:
        return []
    head = rows[0]
    return [dict(zip(head, row)) for row in rows[1:]]


def glance_lib(url, token):
    from glanceclient import Client
    return Client('1', endpoint=url, token=token)


def sdk(url, token, prefix='/v1'):
    """openstacksdk with the admin_token plugin (clients.md §1.1)."""
    import openstack
    return openstack.connect(auth_type='admin_token',
                             auth={'endpoint': url + prefix, 'token': token},
                             image_api_version='1')


def glance2_lib(url, token):
    from glanceclient import Client
    return Client('2', endpoint=url, token=token)


def sdk2(url, token):
    """openstacksdk's default image proxy (v2, found through GET /) with admin_token."""
    import openstack
    return openstack.connect(auth_type='admin_token', auth={'endpoint': url, 'token': token})


def v2_image(url, token, image_id):
    """``GET /v2/images/<id>`` as raw HTTP: what the proxy holds, whatever a client
    showed; the response (404 once deleted or not visible)."""
    import requests
    return requests.get('%s/v2/images/%s' % (url, image_id), headers={'X-Auth-Token': token})


def register(stack, token, name, data=b'r' * 64, **props):
    """A Pithos file registered as an image through v1, as an uploader would; its id."""
    location = stack.upload(token, 'images', name + '.img', data)
    return stack.register(token, name, location, **props)['id']


def swift(storage_url, token, *args, **kwargs):
    return run([os.path.join(VENV_BIN, 'swift'), '--os-storage-url', storage_url,
                '--os-auth-token', token] + list(args), **kwargs)


def run_many(calls, workers=4):
    """Run independent client commands concurrently (CLI start-up is slow); the
    results in the order of ``calls`` (each a zero-argument callable)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda call: call(), calls))
