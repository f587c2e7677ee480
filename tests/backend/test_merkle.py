"""The Pithos Merkle hash against plankton.md §4.4's test vectors, directly and over HTTP."""

import pytest

from plankton_proxy.backend.merkle import MerkleHasher, merkle_hex

MIB = 1024 * 1024
VECTORS = [
    (b'', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
    (b'hello', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'),
    (b'hello\0\0\0', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'),
    (b'a' * (4 * MIB + 1), '5f858b62ccd88447586305aec6fd53c96747cfebf527cbba129a6dfed47d9624'),
    (b'a' * (12 * MIB), 'ae1f5a3c89de8982a5c6c884707f7911aef580564bed1b96edace71fd5fb0e98'),
]


@pytest.mark.parametrize('data,expected', VECTORS, ids=['empty', 'hello', 'hello-nul',
                                                        '4MiB+1', '12MiB'])
def test_vectors(data, expected):
    assert merkle_hex(data) == expected


def test_incremental_feeding_in_odd_pieces_gives_the_same_hash():
    data = b'a' * (12 * MIB)
    hasher = MerkleHasher()
    for start in range(0, len(data), 1000003):
        hasher.update(data[start:start + 1000003])
    assert hasher.hexdigest() == VECTORS[4][1]
    assert len(hasher.hashmap()) == 3


@pytest.mark.parametrize('data,expected', [VECTORS[0], VECTORS[2], VECTORS[3]],
                         ids=['empty', 'hello-nul', '4MiB+1'])
def test_object_hash_header_and_image_checksum(alice, data, expected):
    alice.put_object('merkle', 'obj', data)
    head = alice.request('HEAD', alice.object_url('merkle', 'obj'))
    assert head.headers['X-Object-Hash'] == expected
    assert int(head.headers['Content-Length']) == len(data)
    reg = alice.register('merkle', 'obj')
    assert reg.headers['x-image-meta-checksum'] == expected
