"""A sealed evidence package holds offline: every file hashed, the manifest signed, the audit
entries proven under a signed checkpoint. Each kind of tampering is caught and named, by the
verifier that ships in the package, run with nothing of Custos."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit.note import Note, NoteSigner
from custos.audit.policy import Action
from custos.audit.service import record
from custos.clock import FrozenClock
from custos.exports import package, verifier
from custos.runtime import Runtime
from helpers import TESTER

ROOT_PEM = b"-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n"


def _sealed(db: Session, clock: FrozenClock, runtime: Runtime, folder: Path) -> NoteSigner:
    """A package of one video from two sealed segments, exported as export 7."""
    sealed = [
        record(
            db,
            clock,
            TESTER,
            Action.COLLECT,
            "recording.segment_sealed",
            object_type="segment",
            object_id=segment,
        )
        for segment in ("seg-a", "seg-b")
    ]
    record(db, clock, TESTER, Action.CONSULT, "footage.viewing_closed")  # something in between
    signer = package.export_signer(db, secrets.token_bytes(32))
    created = record(
        db,
        clock,
        TESTER,
        Action.DISCLOSE,
        "export.created",
        object_type="export",
        object_id=7,
        details={"export_key_id": signer.verifier.key_id.hex()},
    )
    (folder / "video").mkdir(parents=True)
    (folder / "video" / "gate.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    manifest: dict[str, Any] = {
        "export": {"id": 7, "recipient": "Almaty City Court"},
        "sources": [
            {"id": "seg-a", "sealing_entry": sealed[0]},
            {"id": "seg-b", "sealing_entry": sealed[1]},
        ],
        "audit": {"export_entry": created},
    }
    package.seal(
        db,
        clock,
        folder,
        manifest,
        entries=[created, *sealed],
        log_signer=checkpoints.log_signer(db, runtime.log_key),
        manifest_signer=signer,
        root_pem=ROOT_PEM,
    )
    return signer


@pytest.fixture
def sealed(db: Session, clock: FrozenClock, runtime: Runtime, tmp_path: Path) -> Path:
    folder = tmp_path / "package"
    _sealed(db, clock, runtime, folder)
    return folder


def _flip(path: Path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    where = len(data) // 2 if at is None else at
    data[where] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_sealed_package_holds(sealed: Path, runtime: Runtime, db: Session) -> None:
    assert verifier.verify_package(sealed) == []
    published = checkpoints.log_signer(db, runtime.log_key).verifier.vkey()
    assert verifier.verify_package(sealed, published) == []
    manifest = json.loads((sealed / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "video/gate.mp4",
        "audit/checkpoint.txt",
        "audit/proofs.json",
        "keys/log.vkey",
        "keys/export.vkey",
        "keys/content-root.pem",
        "verify_package.py",
    }


def test_the_shipped_verifier_runs_alone(sealed: Path) -> None:
    """The copy in the package imports nothing of Custos and says OK; then FAILED, exit 1."""
    source = (sealed / "verify_package.py").read_text()
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith("custos") for name in imported), imported
    elsewhere = sealed.parent / "elsewhere"
    shutil.copytree(sealed, elsewhere)
    run = subprocess.run(
        [sys.executable, "-I", "verify_package.py", "."],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK")
    _flip(elsewhere / "video" / "gate.mp4")
    run = subprocess.run(
        [sys.executable, "-I", "verify_package.py", "."],
        cwd=elsewhere, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert "FAILED files: video/gate.mp4 has changed" in run.stdout


def _change_a_proof(folder: Path) -> None:
    proofs = json.loads((folder / "audit/proofs.json").read_text())
    proofs["entries"][0]["entry"] = proofs["entries"][0]["entry"].replace("seg-a", "seg-x")
    (folder / "audit/proofs.json").write_text(json.dumps(proofs))


def _resign(folder: Path) -> None:
    """The manifest changed and signed again, with a key of the forger's own."""
    raw = (folder / "manifest.json").read_bytes().replace(b"Almaty City Court", b"Someone else")
    (folder / "manifest.json").write_bytes(raw)
    forger = NoteSigner("forger/exports", secrets.token_bytes(32))
    text = f"{verifier.MANIFEST_NOTE}\n{hashlib.sha256(raw).hexdigest()}\n"
    (folder / "manifest.sig").write_text(Note(text, (forger.sign(text),)).serialise())
    (folder / "keys/export.vkey").write_text(forger.verifier.vkey() + "\n")


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (lambda f: _flip(f / "video" / "gate.mp4"), "files: video/gate.mp4 has changed"),
        (lambda f: _flip(f / "manifest.json", 20), "manifest: manifest.sig signs another manifest"),
        (_change_a_proof, "files: audit/proofs.json has changed"),
        (lambda f: _flip(f / "audit/checkpoint.txt", 3), "files: audit/checkpoint.txt has changed"),
        (lambda f: (f / "video" / "gate.mp4").unlink(), "files: video/gate.mp4 is missing"),
        (lambda f: (f / "video" / "new.mp4").write_bytes(b"x"), "files: video/new.mp4 was added"),
        (_resign, "entries: the export entry names another key than the manifest's"),
    ],
)
def test_each_tampering_is_named(sealed: Path, tamper: Any, named: str) -> None:
    tamper(sealed)
    problems = verifier.verify_package(sealed)
    assert any(problem.startswith(named) for problem in problems), problems


def test_a_proof_and_checkpoint_changed_together_still_fail_on_the_log(sealed: Path) -> None:
    """Rehashing the manifest cannot help one who cannot sign: the proof no longer reaches the
    signed root."""
    _change_a_proof(sealed)
    problems = verifier.verify_package(sealed)
    assert any("is not in the log under the checkpoint" in p for p in problems), problems


def test_another_log_key_than_the_published_one_is_refused(sealed: Path) -> None:
    stranger = NoteSigner("custos.example/log", secrets.token_bytes(32)).verifier.vkey()
    problems = verifier.verify_package(sealed, stranger)
    assert problems == ["log: keys/log.vkey is not the published log key given"]
