"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification. Pure: no I/O.

Hashes: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), and the empty
tree hashes to SHA-256(""). The tree over n leaves splits at k, the largest power of two
below n (RFC 9162 §2.1.1).

Stored trees keep only *perfect* subtrees, addressed as (level, index): the node at level L,
index i covers leaves [i·2^L, (i+1)·2^L). Every range the algorithms below need is either
such a node or the right edge of the tree, which is folded from O(log n) of them. Functions
that read the tree take `node(level, index) -> bytes`; `nodes_for_*` say in advance which
nodes a computation will read, so storage can fetch them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than `size` (size ≥ 2)."""
    return 1 << ((size - 1).bit_length() - 1)


# --- ranges as perfect subtrees --------------------------------------------------------------


def perfect_pieces(start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into aligned perfect subtrees, left to right, as (level, index).

    `start` must be a multiple of the largest piece, as every range in RFC 6962 recursion is.
    """
    pieces = []
    position = start
    while position < end:
        level = (end - position).bit_length() - 1
        while position % (1 << level):
            level -= 1
        pieces.append((level, position >> level))
        position += 1 << level
    return pieces


def range_hash(start: int, end: int, node: NodeReader) -> bytes:
    """MTH of leaves [start, end): the perfect pieces folded from the right."""
    pieces = perfect_pieces(start, end)
    result = node(*pieces[-1])
    for level, index in reversed(pieces[:-1]):
        result = node_hash(node(level, index), result)
    return result


def root(size: int, node: NodeReader) -> bytes:
    """The root hash of the first `size` leaves."""
    return EMPTY_ROOT if size == 0 else range_hash(0, size, node)


def nodes_for_root(size: int) -> list[tuple[int, int]]:
    """The stored nodes `root(size)` reads."""
    return perfect_pieces(0, size) if size else []


# --- inclusion ---------------------------------------------------------------------------------


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """The sibling ranges of RFC 9162 PATH(m, D[start:end]), bottom-up."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def inclusion_proof(index: int, size: int, node: NodeReader) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return [range_hash(a, b, node) for a, b in _inclusion_ranges(index, 0, size)]


def nodes_for_inclusion(index: int, size: int) -> list[tuple[int, int]]:
    """The stored nodes `inclusion_proof` reads."""
    return [p for a, b in _inclusion_ranges(index, 0, size) for p in perfect_pieces(a, b)]


# --- consistency -------------------------------------------------------------------------------


def _consistency_ranges(old: int, size: int) -> list[tuple[int, int]]:
    """The ranges of RFC 9162 SUBPROOF(old, D[size], true), in proof order."""
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, size, True
    trail: list[tuple[int, int]] = []
    while True:
        if old - start == end - start:
            if not complete:
                ranges.append((start, end))
            break
        k = split_point(end - start)
        if old - start <= k:
            trail.append((start + k, end))
            end = start + k
        else:
            trail.append((start, start + k))
            start, complete = start + k, False
    return ranges + trail[::-1]


def consistency_proof(old: int, size: int, node: NodeReader) -> list[bytes]:
    """Proof that the tree of `old` leaves is a prefix of the tree of `size` (RFC 9162 §2.1.4.1)."""
    if not 0 < old <= size:
        raise ValueError(f"no consistency proof from {old} to {size}")
    if old == size:
        return []
    return [range_hash(a, b, node) for a, b in _consistency_ranges(old, size)]


def nodes_for_consistency(old: int, size: int) -> list[tuple[int, int]]:
    """The stored nodes `consistency_proof` reads."""
    if old == size:
        return []
    return [p for a, b in _consistency_ranges(old, size) for p in perfect_pieces(a, b)]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether `proof` shows leaf hash `leaf` at `index` of the `size` tree with `expected_root`."""
    if index >= size or index < 0 or not _hashes_ok([leaf, expected_root, *proof]):
        return False
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == expected_root


def verify_consistency(
    old: int, size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the tree (`old`, `old_root`) is a prefix of (`size`, `new_root`)."""
    if old <= 0 or old > size:
        return False  # from the empty tree nothing is proven; a tree cannot shrink
    if old == size:
        return not proof and old_root == new_root
    if not proof or not _hashes_ok([old_root, new_root, *proof]):
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first hash
        path.insert(0, old_root)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(sibling, fr)
            sr = node_hash(sibling, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def _hashes_ok(hashes: Iterable[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


# --- building from leaves ----------------------------------------------------------------------


class CompactRange:
    """The right edge of a growing tree: appends leaves and reports every node they complete.

    Holds one hash per set bit of the size (the perfect subtrees of the tree so far), so a
    log of any size can be extended with O(log n) state.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        pieces = nodes_for_root(size)
        if len(pieces) != len(edge):
            raise ValueError("the edge must hold one hash per perfect subtree of the size")
        self.size = size
        self._edge: list[tuple[int, bytes]] = [
            (level, digest) for (level, _), digest in zip(pieces, edge, strict=True)
        ]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the nodes (level, index, hash) it stores, the leaf first."""
        index = self.size
        created = [(0, index, leaf)]
        level, digest = 0, leaf
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            digest = node_hash(left, digest)
            level += 1
            created.append((level, index >> level, digest))
        self._edge.append((level, digest))
        self.size += 1
        return created

    def hashes(self) -> list[bytes]:
        """The hashes of the perfect subtrees of the tree so far, left to right."""
        return [digest for _, digest in self._edge]

    def root(self) -> bytes:
        """The root of the tree so far."""
        if not self._edge:
            return EMPTY_ROOT
        result = self._edge[-1][1]
        for _, digest in reversed(self._edge[:-1]):
            result = node_hash(digest, result)
        return result


def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """The root over leaf hashes, in O(log n) memory."""
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    return tree.root()
