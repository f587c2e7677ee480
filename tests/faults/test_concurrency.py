"""Concurrency through one proxy in front of the embedded backend.

Plankton's PUT replaces an image's properties, so a Glance merge is a
read-modify-write in the proxy: without the per-image lock two merges that
run at once lose one another's properties.  The embedded backend keeps
Pithos' limit of 32 metadata items per image (plankton.md §4.2), so 50
merges are spread over 20 distinct properties; any lost update shows as a
missing property.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from plankton_proxy.testing import Stack
from tests.faults.conftest import ROOT
from tests.faults.stack_helpers import image_ids, put_file, register

WORKERS = 50


@pytest.fixture(scope='module', params=['s16', 's13'])
def stack(request, tmp_path_factory):
    # The proxy must be told the upstream's generation too (serve's
    # --dialect only picks the embedded backend's).
    text = open(os.path.join(ROOT, 'paste.ini')).read().replace(
        'upstream_dialect = s16', 'upstream_dialect = %s' % request.param)
    config = tmp_path_factory.mktemp('conc') / 'paste.ini'
    config.write_text(text)
    stack = Stack(['--in-memory', '--dialect', request.param, '--config', str(config)])
    yield stack
    stack.stop()


def _run_all(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(10)
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_50_concurrent_merges_lose_nothing(stack):
    alice = stack.users[0]
    image_id = register(stack, alice, put_file(stack, alice), name='merge-target')
    url = '%s/v1/images/%s' % (stack.url, image_id)
    keys = 20

    def merge(i):
        def call():
            return requests.put(url, timeout=60, headers={
                'X-Auth-Token': alice[1], 'x-glance-registry-purge-props': 'false',
                'x-image-meta-property-k%02d' % (i % keys): 'v%d' % i})
        return call
    answers = _run_all([merge(i) for i in range(WORKERS)])
    assert [r.status_code for r in answers] == [200] * WORKERS, \
        [(r.status_code, r.text) for r in answers if r.status_code != 200]
    final = requests.head(url, headers={'X-Auth-Token': alice[1]}, timeout=10)
    props = {k.lower()[len('x-image-meta-property-'):]: v for k, v in final.headers.items()
             if k.lower().startswith('x-image-meta-property-')}
    assert sorted(props) == ['k%02d' % i for i in range(keys)], props
    for i in range(keys):
        writers = {'v%d' % j for j in range(WORKERS) if j % keys == i}
        assert props['k%02d' % i] in writers


def test_concurrent_creates_of_one_location_register_it_once(stack):
    alice = stack.users[0]
    location = put_file(stack, alice)
    headers = {'X-Auth-Token': alice[1], 'x-image-meta-name': 'race',
               'x-image-meta-location': location, 'x-image-meta-disk_format': 'raw',
               'x-image-meta-container_format': 'bare',
               'x-image-meta-property-first': 'kept'}

    def create():
        return requests.post(stack.url + '/v1/images', headers=headers, timeout=60)
    answers = _run_all([create] * 10)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * 9, [(r.status_code, r.text) for r in answers]


def test_concurrent_creates_of_many_files(stack):
    alice = stack.users[0]
    before = set(image_ids(stack, alice))
    locations = [put_file(stack, alice) for _ in range(20)]

    def create(location, i):
        return lambda: requests.post(stack.url + '/v1/images', timeout=60, headers={
            'X-Auth-Token': alice[1], 'x-image-meta-name': 'many-%d' % i,
            'x-image-meta-location': location, 'x-image-meta-disk_format': 'raw',
            'x-image-meta-container_format': 'bare'})
    answers = _run_all([create(loc, i) for i, loc in enumerate(locations)])
    assert [r.status_code for r in answers] == [201] * 20
    created = {r.json()['image']['id'] for r in answers}
    assert len(created) == 20
    assert set(image_ids(stack, alice)) == before | created


def test_concurrent_member_changes_and_lists(stack):
    alice, bob = stack.users[0], stack.users[1]
    image_id = register(stack, alice, put_file(stack, alice), name='members-race')
    members_url = '%s/v1/images/%s/members' % (stack.url, image_id)
    new_members = ['member-%02d' % i for i in range(30)]

    def add(member):
        return lambda: requests.put('%s/%s' % (members_url, member), timeout=60,
                                    headers={'X-Auth-Token': alice[1]})

    def listing():
        return requests.get(stack.url + '/v1/images/detail?limit=1000', timeout=60,
                            headers={'X-Auth-Token': alice[1]})
    calls = [add(m) for m in new_members] + [listing] * 10 + [add(bob[0])]
    answers = _run_all(calls)
    for resp in answers:
        assert resp.status_code in (200, 204), resp.text
        if resp.status_code == 200:
            ids = [image['id'] for image in resp.json()['images']]
            assert ids.count(image_id) == 1
    resp = requests.get(members_url, headers={'X-Auth-Token': alice[1]}, timeout=10)
    members = sorted(m['member_id'] for m in resp.json()['members'])
    assert members == sorted(new_members + [bob[0]])
    # Removing them all at once leaves none.
    removes = [lambda m=m: requests.delete('%s/%s' % (members_url, m), timeout=60,
                                           headers={'X-Auth-Token': alice[1]})
               for m in new_members]
    assert {r.status_code for r in _run_all(removes)} == {204}
    resp = requests.get(members_url, headers={'X-Auth-Token': alice[1]}, timeout=10)
    assert [m['member_id'] for m in resp.json()['members']] == [bob[0]]
    # The backend still answers everything.
    assert requests.get(stack.url + '/v1/images', timeout=10,
                        headers={'X-Auth-Token': bob[1]}).status_code == 200
