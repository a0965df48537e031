#!/usr/bin/env python3
"""Check a Custos evidence package offline: python3 verify_package.py PACKAGE [--log-key VKEY]

Needs Python 3.10 or later and the `cryptography` package; nothing of Custos, no network.
It checks, and names every item that fails:

  files      every file the manifest lists has the SHA-256 it states; none is missing and
             none was added
  manifest   manifest.sig is a signature over the manifest's SHA-256 by the export key in
             keys/export.vkey
  log        audit/checkpoint.txt is signed by the log key in keys/log.vkey (and by the key
             given with --log-key: the one published at /transparency/key)
  proofs     every audit entry in audit/proofs.json is in the log under that checkpoint
             (RFC 9162 inclusion proofs; leaf = SHA-256(0x00 || the entry's line))
  entries    the export's own entry is the `export.created` entry of this export and names the
             export key, and every source segment's entry is its sealing entry

The video's C2PA content credentials are checked by `custos verify`, or by any C2PA reader
given keys/content-root.pem as its trust anchor.

This file is the same in every package; it imports nothing from Custos on purpose.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
EXPORT_KEY, LOG_KEY = "keys/export.vkey", "keys/log.vkey"
CHECKPOINT, PROOFS = "audit/checkpoint.txt", "audit/proofs.json"
MANIFEST_NOTE = "custos-export-manifest/1"
DASH = "\u2014"


class Failed(Exception):
    """One item that does not hold."""


# --- C2SP signed notes -----------------------------------------------------------------------


def read_vkey(text: str) -> tuple[str, bytes, bytes]:
    """(name, key id, Ed25519 public key) of a C2SP verifier key."""
    try:
        name, hex_id, material = text.strip().split("+", 2)
        raw = base64.b64decode(material, validate=True)
    except (ValueError, binascii.Error):
        raise Failed("not a verifier key") from None
    if len(raw) != 33 or raw[0] != 0x01:
        raise Failed("not an Ed25519 note key")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw[:1] + raw[1:]).digest()[:4]
    if key_id.hex() != hex_id:
        raise Failed(f"the key id of {name} does not match its key")
    return name, key_id, raw[1:]


def note_text(raw: str, vkey: tuple[str, bytes, bytes]) -> str:
    """The text of a signed note, once a signature by `vkey` on it verifies."""
    cut = raw.rfind("\n\n")
    if cut < 0 or not raw.endswith("\n"):
        raise Failed("not a signed note")
    text = raw[: cut + 1]
    name, key_id, public = vkey
    for line in raw[cut + 2 :].splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            continue
        if base64.b64encode(blob).decode() != parts[2]:
            raise Failed(f"the signature by {name} is not in canonical base64")
        if blob[:4] != key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
        except InvalidSignature:
            raise Failed(f"the signature by {name} does not verify") from None
        return text
    raise Failed(f"no signature by {name}")


# --- RFC 9162 inclusion proofs ---------------------------------------------------------------


def leaf_hash(line: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The root a leaf and its audit path hash to (RFC 9162, 2.1.3.2)."""
    if not 0 <= index < size:
        raise Failed(f"entry {index} lies outside a log of {size}")
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise Failed(f"the proof of entry {index} is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Failed(f"the proof of entry {index} is too short")
    return result


# --- the package -----------------------------------------------------------------------------


def _read(folder: Path, name: str) -> bytes:
    try:
        return (folder / name).read_bytes()
    except OSError:
        raise Failed(f"{name} is missing") from None


def check_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Every listed file has its hash; no file is missing or added."""
    problems = []
    listed: dict[str, str] = manifest.get("files", {})
    present = {
        path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
    } - {MANIFEST, SIGNATURE}
    for name in sorted(set(listed) - present):
        problems.append(f"files: {name} is missing")
    for name in sorted(present - set(listed)):
        problems.append(f"files: {name} was added: the manifest does not list it")
    for name in sorted(set(listed) & present):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if digest != listed[name]:
            problems.append(f"files: {name} has changed (SHA-256 {digest[:16]}…)")
    return problems


def check_manifest(folder: Path, raw: bytes) -> tuple[str, bytes]:
    """The export key that signed the manifest: its name and id."""
    vkey = read_vkey(_read(folder, EXPORT_KEY).decode())
    text = note_text(_read(folder, SIGNATURE).decode(), vkey)
    expected = f"{MANIFEST_NOTE}\n{hashlib.sha256(raw).hexdigest()}\n"
    if text != expected:
        raise Failed("manifest.sig signs another manifest")
    return vkey[0], vkey[1]


def check_log(folder: Path, published: str | None) -> tuple[int, bytes, str]:
    """The checkpoint's size, root and origin, once its signatures verify."""
    raw = _read(folder, CHECKPOINT).decode()
    vkey = read_vkey(_read(folder, LOG_KEY).decode())
    if published is not None:
        given = read_vkey(published)
        if given != vkey:
            raise Failed("keys/log.vkey is not the published log key given")
    text = note_text(raw, vkey)
    lines = text.splitlines()
    if len(lines) < 3 or lines[0] != vkey[0]:
        raise Failed("the checkpoint is not a checkpoint of this log")
    try:
        size, root = int(lines[1]), base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error):
        raise Failed("the checkpoint does not parse") from None
    return size, root, lines[0]


def check_proofs(folder: Path, size: int, root: bytes) -> dict[int, dict[str, Any]]:
    """Every entry proven under the checkpoint, by its position in the log."""
    try:
        proofs = json.loads(_read(folder, PROOFS))
        entries = {}
        for item in proofs["entries"]:
            line = item["entry"].encode()
            path = [base64.b64decode(h, validate=True) for h in item["proof"]]
            index = int(item["index"])
            if root_from_inclusion(index, size, leaf_hash(line), path) != root:
                raise Failed(f"entry {index} is not in the log under the checkpoint")
            entries[index] = json.loads(line)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise Failed(f"audit/proofs.json does not parse ({error})") from None
    return entries


def check_entries(
    manifest: dict[str, Any], entries: dict[int, dict[str, Any]], export_key_id: bytes
) -> list[str]:
    """The export's entry and each segment's sealing entry are the ones the manifest names."""
    problems = []
    audit = manifest.get("audit", {})
    export = entries.get(audit.get("export_entry", -1))
    if export is None:
        problems.append("entries: the export's own entry is not proven")
    else:
        details = export.get("details") or {}
        if isinstance(details, str):
            details = json.loads(details)
        if export.get("event") != "export.created" or str(export.get("object_id")) != str(
            manifest.get("export", {}).get("id")
        ):
            problems.append("entries: the proven entry is not the creation of this export")
        if details.get("export_key_id") != export_key_id.hex():
            problems.append("entries: the export entry names another key than the manifest's")
    for segment in manifest.get("sources", []):
        entry = entries.get(segment.get("sealing_entry", -1))
        if entry is None:
            problems.append(f"entries: segment {segment.get('id')} has no proven sealing entry")
        elif not _names_segment(entry, segment):
            problems.append(f"entries: segment {segment.get('id')}'s sealing entry is another's")
    return problems


def _names_segment(entry: dict[str, Any], segment: dict[str, Any]) -> bool:
    """Whether `entry` records `segment` as collected, with the same ciphertext digest: a
    collection entry naming it among its camera's segments of one period, or (footage stored
    before collection was batched) its own sealing entry. Entries written before digests named
    their algorithm call the digest `sha256`."""
    details = entry.get("details") or {}
    if isinstance(details, str):
        details = json.loads(details)
    if entry.get("event") == "recording.segments_collected":
        return any(
            named.get("id") == segment.get("id")
            and named.get("digest", named.get("sha256")) == segment.get("ciphertext_digest")
            for named in details.get("segments", [])
        )
    return entry.get("event") == "recording.segment_sealed" and str(entry.get("object_id")) == str(
        segment.get("id")
    )


def verify_package(folder: Path, published_log_key: str | None = None) -> list[str]:
    """Every problem found, each naming its item; empty when the package holds."""
    problems: list[str] = []
    try:
        raw = _read(folder, MANIFEST)
    except Failed as error:
        return [f"manifest: {error}"]
    export_key_id = b""
    try:
        _name, export_key_id = check_manifest(folder, raw)
    except Failed as error:
        problems.append(f"manifest: {error}")
    try:
        manifest = json.loads(raw)
    except ValueError as error:
        return [*problems, f"manifest: manifest.json does not parse ({error})"]
    problems += check_files(folder, manifest)
    try:
        size, root, _origin = check_log(folder, published_log_key)
        entries = check_proofs(folder, size, root)
    except Failed as error:
        problems.append(f"log: {error}")
        return problems
    problems += check_entries(manifest, entries, export_key_id)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Custos evidence package offline.")
    parser.add_argument("package", type=Path)
    parser.add_argument("--log-key", help="the log key published at /transparency/key")
    args = parser.parse_args(argv)
    problems = verify_package(args.package, args.log_key)
    for problem in problems:
        print(f"FAILED {problem}")
    if not problems:
        print("OK: files, manifest signature, checkpoint and audit entries all hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
