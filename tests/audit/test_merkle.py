"""RFC 6962 / 9162 Merkle trees: the reference probes, known answers, and properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.audit import merkle

DATA = Path(__file__).resolve().parent.parent / "data" / "rfc6962"
KNOWN = json.loads((DATA / "known_answers.json").read_text())
LEAVES = [bytes.fromhex(h) for h in KNOWN["reference_leaves_hex"]]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def _probes(kind: str) -> list[Path]:
    return sorted((DATA / kind).rglob("*.json"))


@pytest.mark.parametrize("probe", _probes("inclusion"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_inclusion_probe(probe: Path) -> None:
    case = json.loads(probe.read_text())
    ok = merkle.verify_inclusion(
        case["leafIdx"],
        case["treeSize"],
        _b64(case["leafHash"]),
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    assert ok is not case["wantErr"], case.get("desc")


@pytest.mark.parametrize("probe", _probes("consistency"), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_consistency_probe(probe: Path) -> None:
    case = json.loads(probe.read_text())
    ok = merkle.verify_consistency(
        case["size1"],
        case["size2"],
        _b64(case["root1"]),
        _b64(case["root2"]),
        [_b64(p) for p in case["proof"] or []],
    )
    assert ok is not case["wantErr"], case.get("desc")


def test_there_are_98_probes_of_each_kind() -> None:
    assert len(_probes("inclusion")) == len(_probes("consistency")) == 98


@pytest.mark.parametrize("answer", KNOWN["hasher_known_answers"], ids=lambda a: a["desc"])
def test_hasher_known_answers(answer: dict[str, str]) -> None:
    if answer["op"] == "empty":
        got = merkle.EMPTY_ROOT
    elif answer["op"] == "leaf":
        got = merkle.leaf_hash(bytes.fromhex(answer["input_hex"]))
    else:
        got = merkle.node_hash(
            bytes.fromhex(answer["left_hex"]), bytes.fromhex(answer["right_hex"])
        )
    assert got.hex() == answer["want_hex"]


@pytest.mark.parametrize(("size", "want"), KNOWN["roots_by_tree_size_hex"].items())
def test_reference_roots(size: str, want: str) -> None:
    leaves = [merkle.leaf_hash(leaf) for leaf in LEAVES[: int(size)]]
    assert merkle.root_from_leaves(leaves).hex() == want
    tree = InMemoryTree(leaves)
    assert merkle.root(int(size), tree.node).hex() == want


class InMemoryTree:
    """Every perfect subtree of a list of leaves, as storage would keep them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        compact = merkle.CompactRange()
        for leaf in leaves:
            for level, index, digest in compact.append(leaf):
                self.nodes[(level, index)] = digest
        self.size = len(leaves)
        self.reads: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.reads.append((level, index))
        return self.nodes[(level, index)]


def _tree(size: int) -> InMemoryTree:
    return InMemoryTree([merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)])


def _flip(hashes: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(hashes[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*hashes[:position], bytes(changed), *hashes[position + 1 :]]


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_inclusion_proofs_verify_and_any_bit_flip_breaks_them(
    size: int, data: st.DataObject
) -> None:
    tree = _tree(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    root = merkle.root(size, tree.node)
    leaf = tree.nodes[(0, index)]
    proof = merkle.inclusion_proof(index, size, tree.node)
    assert merkle.verify_inclusion(index, size, leaf, proof, root)
    assert len(proof) <= size.bit_length()
    parts = [leaf, root, *proof]
    position = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    leaf2, root2, *proof2 = _flip(parts, position, bit)
    assert not merkle.verify_inclusion(index, size, leaf2, proof2, root2)


@settings(max_examples=200)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_consistency_proofs_verify_and_any_bit_flip_breaks_them(
    size: int, data: st.DataObject
) -> None:
    tree = _tree(size)
    old = data.draw(st.integers(min_value=1, max_value=size))
    old_root, new_root = merkle.root(old, tree.node), merkle.root(size, tree.node)
    proof = merkle.consistency_proof(old, size, tree.node)
    assert merkle.verify_consistency(old, size, old_root, new_root, proof)
    parts = [old_root, new_root, *proof]
    if old == size:
        parts = parts[:1]  # equal trees: only the roots are compared, flipping one suffices
    position = data.draw(st.integers(min_value=0, max_value=len(parts) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    flipped = _flip([old_root, new_root, *proof], position, bit)
    assert not merkle.verify_consistency(old, size, flipped[0], flipped[1], flipped[2:])


@given(st.integers(min_value=1, max_value=2**40), st.data())
def test_proofs_read_logarithmically_many_nodes(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size))
    bound = 2 * size.bit_length() + 2
    assert len(merkle.nodes_for_inclusion(index, size)) <= bound
    assert len(merkle.nodes_for_consistency(old, size)) <= bound
    assert len(merkle.nodes_for_root(size)) <= size.bit_length()


@given(st.integers(min_value=1, max_value=200), st.data())
def test_announced_nodes_are_exactly_the_ones_read(size: int, data: st.DataObject) -> None:
    tree = _tree(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    tree.reads.clear()
    merkle.inclusion_proof(index, size, tree.node)
    assert set(tree.reads) == set(merkle.nodes_for_inclusion(index, size))
    old = data.draw(st.integers(min_value=1, max_value=size))
    tree.reads.clear()
    merkle.consistency_proof(old, size, tree.node)
    assert set(tree.reads) == set(merkle.nodes_for_consistency(old, size))


def test_compact_range_resumes_from_its_edge() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(13)]
    tree = InMemoryTree(leaves[:9])
    edge = [tree.nodes[piece] for piece in merkle.nodes_for_root(9)]
    resumed = merkle.CompactRange(9, edge)
    for leaf in leaves[9:]:
        resumed.append(leaf)
    assert resumed.root() == merkle.root_from_leaves(leaves)


def test_bad_arguments() -> None:
    tree = _tree(4)
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof(4, 4, tree.node)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof(0, 4, tree.node)
    assert merkle.root(0, tree.node) == merkle.EMPTY_ROOT
