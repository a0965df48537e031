"""What an outside witness runs: check that the log only ever grows, and cosign what it saw.

State lives in a folder the witness owns: its Ed25519 key (created on first run, 0600), the
log's public key (given, or trusted on first use), and the last checkpoint it verified. A
checkpoint that is smaller than that one (rollback), or not provably an extension of it
(fork), is refused loudly: that is the evidence of a rewritten history.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from custos.audit import merkle
from custos.audit.note import (
    COSIGNATURE_ED25519,
    Checkpoint,
    Note,
    NoteError,
    NoteSigner,
    Verifier,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
)
from custos.errors import ConfigError, StorageError, TamperDetected
from custos.storage.keys import create_signing_key, load_signing_key

KEY_FILE = "witness.key"
NAME_FILE = "name"
LOG_KEY_FILE = "log.vkey"
LATEST_FILE = "latest.note"


@dataclass(frozen=True)
class Witnessed:
    """The outcome of one witness run."""

    origin: str
    size: int
    previous_size: int | None
    cosignature: str
    submitted: str


def witness_signer(state: Path, name: str | None) -> NoteSigner:
    """The witness's own cosigning key, created on first use."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    name_file = state / NAME_FILE
    if name:
        if name_file.exists() and name_file.read_text().strip() != name:
            raise ConfigError(
                f"this state folder belongs to witness {name_file.read_text().strip()}"
            )
        name_file.write_text(name + "\n")
    elif name_file.exists():
        name = name_file.read_text().strip()
    else:
        raise ConfigError("a new witness needs a name: --name witness.example.org/1")
    create_signing_key(state / KEY_FILE)
    return NoteSigner(name, load_signing_key(state / KEY_FILE), COSIGNATURE_ED25519)


def _get(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        raise StorageError(f"{url} answered {error.code}: {error.read().decode()[:200]}") from None
    except (urllib.error.URLError, OSError) as error:
        raise StorageError(f"cannot reach {url}: {error}") from None


def _post(url: str, body: str, timeout: float) -> str:
    request = urllib.request.Request(  # noqa: S310 - http(s) only
        url, data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return str(response.read().decode())
    except urllib.error.HTTPError as error:
        return f"refused ({error.code}): {error.read().decode()[:200]}"
    except (urllib.error.URLError, OSError) as error:
        return f"not submitted: {error}"


def run(
    url: str,
    state: Path,
    *,
    name: str | None = None,
    log_key: str | None = None,
    timeout: float = 30.0,
) -> Witnessed:
    """Fetch, verify, remember and cosign the log's latest checkpoint."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError("the log URL must be http:// or https://")
    base = url.rstrip("/")
    signer = witness_signer(state, name)
    verifier = _log_verifier(base, state, log_key, timeout)
    raw = _get(f"{base}/transparency/checkpoint", timeout)
    try:
        note = parse_note(raw)
        head = parse_checkpoint(note.text)
    except NoteError as error:
        raise TamperDetected(f"the log served a malformed checkpoint: {error}") from None
    if not verify(note, verifier):
        raise TamperDetected("the checkpoint is not signed by the log's key")
    if head.origin != verifier.name:
        raise TamperDetected(f"the checkpoint is for {head.origin}, not {verifier.name}")
    previous = _previous(state)
    if previous is not None:
        _check_growth(base, previous, head, timeout)
    _remember(state, Note(note.text, tuple(s for s in note.signatures if s.name == verifier.name)))
    cosignature = signer.cosign(note.text, int(time.time()))
    submitted = _post(
        f"{base}/transparency/cosignatures", note.text + "\n" + cosignature.line(), timeout
    )
    return Witnessed(
        head.origin, head.size, previous.size if previous else None, cosignature.line(), submitted
    )


def _log_verifier(base: str, state: Path, log_key: str | None, timeout: float) -> Verifier:
    stored = state / LOG_KEY_FILE
    if log_key:
        verifier = parse_vkey(log_key)
        if stored.exists() and parse_vkey(stored.read_text()) != verifier:
            raise TamperDetected("the given log key differs from the one this witness trusted")
    elif stored.exists():
        verifier = parse_vkey(stored.read_text())
    else:
        verifier = parse_vkey(_get(f"{base}/transparency/key", timeout))  # trust on first use
    stored.write_text(verifier.vkey() + "\n")
    return verifier


def _previous(state: Path) -> Checkpoint | None:
    path = state / LATEST_FILE
    if not path.exists():
        return None
    return parse_checkpoint(parse_note(path.read_text()).text)


def _check_growth(base: str, previous: Checkpoint, head: Checkpoint, timeout: float) -> None:
    if head.size < previous.size:
        raise TamperDetected(
            f"rollback: the log now shows {head.size} entries, but this witness already saw "
            f"{previous.size}"
        )
    if head.size == previous.size:
        if head.root != previous.root:
            raise TamperDetected(
                f"fork: two different trees of {head.size} entries were signed by the log"
            )
        return
    answer = json.loads(
        _get(f"{base}/transparency/proof/consistency?from={previous.size}&to={head.size}", timeout)
    )
    proof = [base64.b64decode(h) for h in answer["proof"]]
    if not merkle.verify_consistency(previous.size, head.size, previous.root, head.root, proof):
        raise TamperDetected(
            f"fork: the log of {head.size} entries does not extend the one of {previous.size} "
            "this witness saw: its history was rewritten"
        )


def _remember(state: Path, note: Note) -> None:
    partial = state / (LATEST_FILE + ".partial")
    partial.write_text(note.serialise())
    os.replace(partial, state / LATEST_FILE)
