"""Sealing an evidence package: the audit proofs, the keys, the verifier and the signed manifest.

What goes into a folder before it is sealed (the videos, the chain of custody, the README)
is the export's; sealing adds, around whatever is there:

    audit/checkpoint.txt   a signed checkpoint of the audit log that includes every entry named
    audit/proofs.json      each entry's canonical line and its inclusion proof under it
    keys/log.vkey          the log's key, as published at /transparency/key
    keys/export.vkey       the key that signs manifests, as published at /transparency/export-key
    keys/content-root.pem  the root the videos' content credentials are trusted under
    verify_package.py      the offline verifier (Python and `cryptography` only)
    manifest.json          the export's record, with the SHA-256 of every other file
    manifest.sig           a signed note over the manifest's SHA-256, by the export key

The checkpoint is the latest one if it includes every entry named, else one signed now.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.note import Note, NoteSigner
from custos.clock import Clock
from custos.exports import verifier

VERIFIER_FILE = "verify_package.py"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as reading:
        while piece := reading.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def export_signer(session: Session, private_key: bytes) -> NoteSigner:
    """The key that signs manifests, named after the log it answers to."""
    return NoteSigner(log.origin(session) + "/exports", private_key)


def seal(
    session: Session,
    clock: Clock,
    folder: Path,
    manifest: dict[str, Any],
    *,
    entries: Sequence[int],
    log_signer: NoteSigner,
    manifest_signer: NoteSigner,
    root_pem: bytes,
    hashed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Add the audit proofs of `entries`, the keys and the verifier to `folder`, then write the
    manifest with every file's hash, and sign it. Returns the manifest as written.

    `hashed` gives the SHA-256 of files already in the folder (the videos, hashed before the
    caller's transaction began), so that nothing large is read while it is open."""
    head = checkpoints.latest_checkpoint(session)
    if head is None or head.tree_size <= max(entries, default=-1):
        head = checkpoints.sign_checkpoint(session, clock, log_signer)
        assert head is not None
    proofs = []
    for index in sorted(set(entries)):
        proofs.append(
            {
                "index": index,
                "entry": log.entry_line(session, index).decode(),
                "proof": [
                    base64.b64encode(h).decode()
                    for h in log.inclusion(session, index, head.tree_size)
                ],
            }
        )
    files = {
        verifier.CHECKPOINT: checkpoints.published_note(session, head).encode(),
        verifier.PROOFS: json.dumps(
            {"tree_size": head.tree_size, "entries": proofs}, indent=2
        ).encode(),
        verifier.LOG_KEY: (log_signer.verifier.vkey() + "\n").encode(),
        verifier.EXPORT_KEY: (manifest_signer.verifier.vkey() + "\n").encode(),
        "keys/content-root.pem": root_pem,
        VERIFIER_FILE: Path(verifier.__file__).read_bytes(),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    known = hashed or {}
    listed = {
        name: known.get(name) or sha256_of(folder / name)
        for name in sorted(
            path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()
        )
        if name not in (verifier.MANIFEST, verifier.SIGNATURE)
    }
    written = {**manifest, "files": listed}
    raw = (json.dumps(written, indent=2, ensure_ascii=False) + "\n").encode()
    (folder / verifier.MANIFEST).write_bytes(raw)
    text = f"{verifier.MANIFEST_NOTE}\n{hashlib.sha256(raw).hexdigest()}\n"
    note = Note(text, (manifest_signer.sign(text),))
    (folder / verifier.SIGNATURE).write_text(note.serialise())
    return written
