"""Tampering behind the log's back is found, and the place is named; bundles verify offline."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.log import NewEntry
from custos.audit.note import NoteSigner
from custos.audit.verify import export_bundle, verify_bundle, verify_log
from custos.clock import FrozenClock
from custos.db import create_engine, migrate, session_factory
from custos.errors import TamperDetected
from helpers import create_postgres_database, drop_postgres_database, rewrite_audit_tree

Tamper = Callable[[str], None]


@pytest.fixture
def signed(db: Session, clock: FrozenClock, signer: NoteSigner, filled: int) -> int:
    """The filled log with a checkpoint over it."""
    checkpoints.sign_checkpoint(db, clock, signer)
    return filled


def _problem(db: Session, signer: NoteSigner) -> str | None:
    return verify_log(db, signer.verifier).problem


def test_an_untouched_log_verifies(db: Session, signer: NoteSigner, signed: int) -> None:
    report = verify_log(db, signer.verifier)
    assert report.ok
    assert (report.entries, report.checkpoints) == (signed, 1)


def test_a_changed_entry_is_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    tamper("UPDATE audit_entries SET actor = 'nobody' WHERE seq = 5")
    assert _problem(db, signer) == "entry 5 does not match its leaf hash (altered or moved)"


def test_a_deleted_entry_is_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    tamper("DELETE FROM audit_entries WHERE seq = 7")
    assert _problem(db, signer) == "entry 7 is missing (deleted?)"


def test_the_last_entry_deleted_is_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    tamper(f"DELETE FROM audit_entries WHERE seq = {signed - 1}")
    assert (
        _problem(db, signer) == f"entry {signed - 1} is missing (deleted?): the log holds {signed}"
    )


def test_reordered_entries_are_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    tamper("UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    tamper("UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    tamper("UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    assert _problem(db, signer) == "entry 3 does not match its leaf hash (altered or moved)"


def test_an_inserted_entry_is_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    tamper(
        "INSERT INTO audit_entries (seq, at, actor, action, event, outcome, details) "
        f"VALUES ({signed}, '2026-01-01 00:00:00', 'ghost', 'erase', 'x', 'success', '{{}}')"
    )
    assert (
        _problem(db, signer)
        == f"entry {signed} is not in the log of {signed} (inserted behind its back?)"
    )


def test_a_changed_tree_node_is_named(
    db: Session, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    node = db.execute(sa.text("SELECT hash FROM audit_nodes WHERE level = 2 AND idx = 1")).scalar()
    assert node is not None
    flipped = bytes([node[0] ^ 1]) + bytes(node[1:])
    tamper(f"UPDATE audit_nodes SET hash = {_literal(db, flipped)} WHERE level = 2 AND idx = 1")
    assert _problem(db, signer) == "tree node level 2 index 1 does not match its children"


def _literal(db: Session, value: bytes) -> str:
    return (
        f"X'{value.hex()}'"
        if db.get_bind().dialect.name == "sqlite"
        else f"'\\x{value.hex()}'::bytea"
    )


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(
    db: Session, clock: FrozenClock, signer: NoteSigner, signed: int, tamper: Tamper
) -> None:
    latest = checkpoints.latest_checkpoint(db)
    assert latest is not None
    tamper("UPDATE audit_entries SET justification = 'nothing to see' WHERE seq = 2")
    rewrite_audit_tree(db)
    assert _problem(db, signer) == (
        f"checkpoint #{latest.id} (size {signed}) no longer matches the log: "
        f"an entry below {signed} was changed"
    )
    with pytest.raises(TamperDetected, match="refusing to sign"):
        checkpoints.sign_checkpoint(db, clock, signer)


def test_a_checkpoint_signed_with_another_key_is_named(
    db: Session, clock: FrozenClock, signer: NoteSigner, signed: int, random_key: bytes
) -> None:
    impostor = NoteSigner(signer.name, random_key)
    checkpoints.sign_checkpoint(db, clock, impostor)
    assert "the log's signature does not verify" in (_problem(db, signer) or "")


def test_bundle_verifies_offline_and_shows_any_change(
    db: Session, signer: NoteSigner, signed: int, tmp_path: Path
) -> None:
    assert export_bundle(db, signer.verifier, tmp_path / "bundle") == signed
    assert verify_bundle(tmp_path / "bundle").ok
    entries = tmp_path / "bundle" / "entries.jsonl"
    lines = entries.read_bytes().splitlines(keepends=True)
    entries.write_bytes(b"".join([*lines[:4], lines[4].replace(b"user1", b"user9"), *lines[5:]]))
    assert (
        verify_bundle(tmp_path / "bundle").problem
        == "the entries do not hash to the checkpoint's root"
    )
    entries.write_bytes(b"".join(lines[:-1]))
    assert verify_bundle(tmp_path / "bundle").problem == (
        f"the bundle holds {signed - 1} entries, the checkpoint {signed}"
    )
    entries.write_bytes(b"".join([*lines[:2], lines[3], lines[2], *lines[4:]]))
    assert verify_bundle(tmp_path / "bundle").problem == "entry 2 carries position 3"


# --- in chunks and in worker processes ----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def committed(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock, random_key: bytes
) -> Iterator[tuple[Session, NoteSigner]]:
    """A database of its own holding a committed, checkpointed log of 37 entries, the size
    that leaves a short last chunk of 2^2: what worker processes read over their own
    connections."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'custos.db'}")
    else:
        name = f"custos_verify_{os.getpid()}"
        engine = create_engine(create_postgres_database(name))
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            log.append(
                session,
                clock,
                [
                    NewEntry(
                        actor=f"user{i % 3}",
                        action="configure",
                        event=f"test.{i}",
                        outcome="success",
                        details={"i": i},
                    )
                    for i in range(37)
                ],
            )
            session.commit()
            signer = NoteSigner(log.origin(session), random_key)
            checkpoints.sign_checkpoint(session, clock, signer)
            session.commit()
            yield session, signer
    finally:
        engine.dispose()
        if request.param == "postgresql":
            drop_postgres_database(name)


def _committed_tamper(session: Session, statement: str) -> None:
    tables = ("audit_entries", "audit_nodes", "audit_checkpoints")
    if session.get_bind().dialect.name == "sqlite":
        for table in tables:
            for verb in ("update", "delete"):
                session.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
    else:
        for table in tables:
            session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    session.execute(sa.text(statement))
    session.commit()


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (None, None),
        (
            "UPDATE audit_entries SET actor = 'nobody' WHERE seq = 22",
            "entry 22 does not match its leaf hash (altered or moved)",
        ),
        ("DELETE FROM audit_entries WHERE seq = 9", "entry 9 is missing (deleted?)"),
        (
            "DELETE FROM audit_entries WHERE seq = 36",
            "entry 36 is missing (deleted?): the log holds 37",
        ),
        (
            "DELETE FROM audit_nodes WHERE level = 1 AND idx = 17",
            "tree node level 1 index 17 is missing",
        ),
        (
            "UPDATE audit_nodes SET hash = "
            "(SELECT hash FROM audit_nodes WHERE level = 4 AND idx = 0) "
            "WHERE level = 4 AND idx = 1",
            "tree node level 4 index 1 does not match its children",
        ),
        (
            "INSERT INTO audit_entries (seq, at, actor, action, event, outcome, details) "
            "VALUES (37, '2026-01-01 00:00:00', 'ghost', 'erase', 'x', 'success', '{}')",
            "entry 37 is not in the log of 37 (inserted behind its back?)",
        ),
    ],
)
def test_chunks_and_workers_find_what_one_pass_finds(
    committed: tuple[Session, NoteSigner], statement: str | None, problem: str | None
) -> None:
    session, signer = committed
    if statement is not None:
        _committed_tamper(session, statement)
    seen: list[tuple[int, int]] = []
    for options in ({}, {"chunk_level": 2}, {"chunk_level": 2, "workers": 2}):
        report = verify_log(
            session, signer.verifier, progress=lambda *at: seen.append(at), **options
        )
        assert (report.problem, report.entries) == (problem, 37), options
    if problem is None:
        assert seen[-1] == (37, 37)


def test_a_bundle_verifies_the_same_in_chunks_and_workers(
    committed: tuple[Session, NoteSigner], tmp_path: Path
) -> None:
    session, signer = committed
    export_bundle(session, signer.verifier, tmp_path / "bundle")
    entries = tmp_path / "bundle" / "entries.jsonl"
    lines = entries.read_bytes().splitlines(keepends=True)
    cases = {
        None: lines,
        "the entries do not hash to the checkpoint's root": [
            *lines[:30],
            lines[30].replace(b"user0", b"user9"),
            *lines[31:],
        ],
        "entry 21 carries position 22": [*lines[:21], lines[22], lines[21], *lines[23:]],
        "the bundle holds 36 entries, the checkpoint 37": lines[:-1],
        "entry 13 is not a canonical entry: the line is not in canonical form": [
            *lines[:13],
            lines[13].replace(b'"v":1,', b'"v":1, '),
            *lines[14:],
        ],
    }
    for problem, content in cases.items():
        entries.write_bytes(b"".join(content))
        for options in ({}, {"chunk_level": 2}, {"chunk_level": 2, "workers": 2}):
            assert verify_bundle(tmp_path / "bundle", **options).problem == problem, options
