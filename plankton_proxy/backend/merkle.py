"""The Pithos object hash: a sha256 Merkle tree over 4 MiB blocks (plankton.md §4.4).

Each block is hashed with its trailing NUL bytes stripped.  No block gives
sha256(b""), one block gives its leaf, more blocks are padded with all-zero
32-byte leaves up to a power of two and hashed pairwise up to the root.
"""

import hashlib

BLOCK_SIZE = 4 * 1024 * 1024
BLOCK_HASH = 'sha256'
_ZERO_LEAF = b'\0' * 32


def block_digest(block):
    """The leaf hash of one block (bytes): sha256 of the block without trailing NULs."""
    return hashlib.sha256(bytes(block).rstrip(b'\0')).digest()


def root_from_leaves(leaves):
    """Combine binary leaf digests into the binary root digest."""
    if not leaves:
        return hashlib.sha256(b'').digest()
    level = list(leaves)
    if len(level) == 1:
        return level[0]
    width = 1
    while width < len(level):
        width *= 2
    level.extend([_ZERO_LEAF] * (width - len(level)))
    while len(level) > 1:
        level = [hashlib.sha256(level[i] + level[i + 1]).digest()
                 for i in range(0, len(level), 2)]
    return level[0]


class MerkleHasher:
    """Incremental Merkle hash: feed data in pieces of any size, read ``hexdigest()``.

    Also keeps the hex leaf list, which is the object's Pithos hashmap.
    """

    def __init__(self, block_size=BLOCK_SIZE):
        self.block_size = block_size
        self._buffer = bytearray()
        self._leaves = []

    def update(self, data):
        self._buffer += data
        while len(self._buffer) >= self.block_size:
            self._leaves.append(block_digest(self._buffer[:self.block_size]))
            del self._buffer[:self.block_size]

    def _all_leaves(self):
        leaves = list(self._leaves)
        if self._buffer or not leaves:
            leaves.append(block_digest(self._buffer))
        return leaves

    def hashmap(self):
        """Hex leaf hashes, one per block (an empty object is one empty block)."""
        return [leaf.hex() for leaf in self._all_leaves()]

    def hexdigest(self):
        return root_from_leaves(self._all_leaves()).hex()


def merkle_hex(data, block_size=BLOCK_SIZE):
    """The Merkle hash of a whole bytes value, as lower-case hex."""
    hasher = MerkleHasher(block_size)
    hasher.update(data)
    return hasher.hexdigest()
