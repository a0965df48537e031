"""An outside witness against a real Custos over HTTP: growth, rollback, and a rewritten history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from custos import cli
from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.log import NewEntry
from custos.audit.note import NoteSigner
from custos.audit.witness import run, witness_signer
from custos.errors import TamperDetected
from helpers import ServedCustos, call_of, rewrite_audit_tree


class Served(ServedCustos):
    """A served Custos whose log the test grows and tampers with."""

    def grow(self, count: int) -> None:
        """Append entries and sign a checkpoint over them."""
        with self.runtime.sessions() as session:
            log.append(
                session,
                self.runtime.clock,
                [
                    NewEntry(
                        actor="operator1", action="configure", event=f"test.{i}", outcome="success"
                    )
                    for i in range(count)
                ],
            )
            session.commit()
            checkpoints.sign_checkpoint(
                session, self.runtime.clock, checkpoints.log_signer(session, self.runtime.log_key)
            )

    def tamper(self, *statements: str) -> None:
        """Change the database behind the log's back, with its append-only triggers dropped."""
        assert self.runtime.engine is not None
        with self.runtime.engine.begin() as connection:
            for table in ("audit_entries", "audit_nodes", "audit_checkpoints"):
                for verb in ("update", "delete"):
                    connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
            for statement in statements:
                connection.exec_driver_sql(statement)

    def rewrite_tree(self) -> None:
        """Recompute every tree node from the entries as they now are."""
        with self.runtime.sessions() as session:
            rewrite_audit_tree(session)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path / "custos")
    server.start()
    yield server
    server.stop()


def test_witness_follows_a_growing_log_and_its_cosignatures_are_shown(
    served: Served, tmp_path: Path
) -> None:
    state = tmp_path / "witness"
    first = run(served.url, state, name="ngo.example/w1")
    assert first.previous_size is None
    assert "refused (422)" in first.submitted  # not registered yet
    assert (state / "log.vkey").read_text().startswith(first.origin + "+")
    with served.runtime.sessions() as session:
        vkey = witness_signer(state, None).verifier.vkey()
        checkpoints.add_witness(call_of(session, served.runtime.clock), vkey)
    served.grow(5)
    second = run(served.url, state)
    assert (second.previous_size, second.size) == (first.size, first.size + 6)
    assert '"accepted":["ngo.example/w1"]' in second.submitted
    with served.runtime.sessions() as session:
        latest = checkpoints.latest_checkpoint(session)
        assert latest is not None
        assert [name for name, _ in checkpoints.cosignatures(session, latest)] == ["ngo.example/w1"]


def test_a_rewritten_and_re_signed_history_is_caught(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "witness"
    served.grow(10)
    seen = run(served.url, state, name="ngo.example/w1")
    # Someone with the database and the log's key rewrites entry 3 and re-signs everything.
    served.tamper(
        "UPDATE audit_entries SET actor = 'someone else' WHERE seq = 3",
        "DELETE FROM audit_checkpoints",
    )
    served.rewrite_tree()
    served.grow(2)
    with served.runtime.sessions() as session:
        assert checkpoints.latest_checkpoint(session).tree_size == seen.size + 2  # type: ignore[union-attr]
    with pytest.raises(TamperDetected, match=r"fork: .* its history was rewritten"):
        run(served.url, state)
    code = cli.run(["witness", "--url", served.url, "--state", str(state)])
    assert code == 1
    assert "history was rewritten" in capsys.readouterr().err


def test_a_rollback_is_caught(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "witness"
    served.grow(6)
    seen = run(served.url, state, name="ngo.example/w1")
    served.tamper(
        f"UPDATE audit_log_state SET size = {seen.size - 2}", "DELETE FROM audit_checkpoints"
    )
    with served.runtime.sessions() as session:
        checkpoints.sign_checkpoint(
            session, served.runtime.clock, checkpoints.log_signer(session, served.runtime.log_key)
        )
    with pytest.raises(
        TamperDetected, match=f"rollback: the log now shows {seen.size - 2} entries"
    ):
        run(served.url, state)


def test_a_checkpoint_signed_by_another_key_is_refused(served: Served, tmp_path: Path) -> None:
    state = tmp_path / "witness"
    run(served.url, state, name="ngo.example/w1")
    origin = (state / "log.vkey").read_text().split("+")[0]
    (state / "log.vkey").write_text(NoteSigner(origin, bytes(32)).verifier.vkey() + "\n")
    with pytest.raises(TamperDetected, match="not signed by the log's key"):
        run(served.url, state)
