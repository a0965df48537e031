"""The package verifier's check that each source segment is named in the log: by its own
sealing entry (footage stored before collection was batched) or inside its period's
collection entry, with the same ciphertext hash."""

from __future__ import annotations

import json
from typing import Any

from custos.exports.verifier import check_entries

KEY = b"\x01" * 8


def _manifest(*sources: dict[str, Any]) -> dict[str, Any]:
    return {"audit": {"export_entry": 9}, "export": {"id": 7}, "sources": list(sources)}


def _entries(**more: dict[str, Any]) -> dict[int, dict[str, Any]]:
    export = {
        "event": "export.created",
        "object_id": "7",
        "details": json.dumps({"export_key_id": KEY.hex()}),
    }
    return {9: export, **{int(seq): entry for seq, entry in more.items()}}


def _collected(*segments: tuple[str, str]) -> dict[str, Any]:
    named = [{"id": sid, "digest": digest} for sid, digest in segments]
    return {
        "event": "recording.segments_collected",
        "object_id": "gate",
        "details": {"segments": named},
    }


def test_a_segment_named_in_its_period_s_entry_with_its_hash_is_proven() -> None:
    manifest = _manifest(
        {"id": "a", "ciphertext_digest": "aa", "sealing_entry": 3},
        {"id": "b", "ciphertext_digest": "bb", "sealing_entry": 3},
    )
    assert (
        check_entries(manifest, _entries(**{"3": _collected(("a", "aa"), ("b", "bb"))}), KEY) == []
    )


def test_a_segment_missing_from_the_entry_or_with_another_hash_is_not() -> None:
    manifest = _manifest(
        {"id": "a", "ciphertext_digest": "aa", "sealing_entry": 3},
        {"id": "b", "ciphertext_digest": "b2", "sealing_entry": 3},
        {"id": "c", "ciphertext_digest": "cc", "sealing_entry": 3},
    )
    problems = check_entries(manifest, _entries(**{"3": _collected(("a", "aa"), ("b", "bb"))}), KEY)
    assert problems == [
        "entries: segment b's sealing entry is another's",
        "entries: segment c's sealing entry is another's",
    ]


def test_an_entry_written_before_digests_named_their_algorithm_still_proves_its_segment() -> None:
    manifest = _manifest({"id": "a", "ciphertext_digest": "aa", "sealing_entry": 3})
    older = {"event": "recording.segments_collected", "details": {"segments": []}}
    older["details"]["segments"] = [{"id": "a", "sha256": "aa"}]
    assert check_entries(manifest, _entries(**{"3": older}), KEY) == []
    older["details"]["segments"] = [{"id": "a", "sha256": "ab"}]
    assert check_entries(manifest, _entries(**{"3": older}), KEY) != []


def test_a_segment_stored_before_batching_is_proven_by_its_own_entry() -> None:
    manifest = _manifest({"id": "a", "ciphertext_digest": "aa", "sealing_entry": 2})
    own = {"event": "recording.segment_sealed", "object_id": "a", "details": {}}
    other = {"event": "recording.segment_sealed", "object_id": "z", "details": {}}
    assert check_entries(manifest, _entries(**{"2": own}), KEY) == []
    assert check_entries(manifest, _entries(**{"2": other}), KEY) == [
        "entries: segment a's sealing entry is another's"
    ]
