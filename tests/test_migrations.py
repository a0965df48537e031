"""Upgrading a database that already holds data: the audit log becomes verifiable as it stands."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from custos.audit import log
from custos.audit.note import NoteSigner
from custos.audit.verify import verify_log
from custos.db import alembic_config, create_engine, session_factory
from custos.dpia import service as dpia
from helpers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"custos_migrate_{uuid.uuid4().hex[:10]}"
    engine = create_engine(create_postgres_database(name))
    yield engine
    engine.dispose()
    drop_postgres_database(name)


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_entries_written_before_the_merkle_log_are_sequenced_and_verify(blank: Engine) -> None:
    _upgrade(blank, "0002")
    with blank.begin() as connection:
        for seq, event in ((1, "user.created"), (2, "login"), (7, "camera.registered")):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_entries (seq, at, actor, action, event, outcome, details)"
                    " VALUES (:seq, :at, 'admin', 'configure', :event, 'success', :details)"
                ),
                {
                    "seq": seq,
                    "at": f"2026-11-01 10:00:0{seq}.123456",
                    "event": event,
                    "details": json.dumps({"n": seq, "name": "Öskemen"}),
                },
            )
    _upgrade(blank, "head")
    with session_factory(blank)() as session:
        assert log.size(session) == 3
        seqs = session.execute(sa.text("SELECT seq, event FROM audit_entries ORDER BY seq")).all()
        assert [tuple(row) for row in seqs] == [
            (0, "user.created"),
            (1, "login"),
            (2, "camera.registered"),
        ]
        report = verify_log(session, NoteSigner(log.origin(session), bytes(32)).verifier)
        assert report.ok, report.problem
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            session.execute(sa.text("DELETE FROM audit_entries"))


def test_tokens_issued_without_an_end_get_one_at_most_the_maximum_after_issue(
    blank: Engine,
) -> None:
    _upgrade(blank, "0009")
    with blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, name, display_name, role, active, created_at,"
                " must_change_password, failed_logins)"
                " VALUES (1, 'svc', '', 'auditor', true, '2026-01-01 00:00:00', false, 3)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO login_sessions (user_id, token_hash, created_at, expires_at)"
                " VALUES (1, 's', '2026-01-01 00:00:00', '2026-01-01 08:00:00')"
            )
        )
        for token, expires in (("a", None), ("b", "2036-01-01 00:00:00"), ("c", "2026-01-02")):
            connection.execute(
                sa.text(
                    "INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at)"
                    " VALUES (1, :token, '', '2026-01-01 00:00:00', :expires)"
                ),
                {"token": token, "expires": expires},
            )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        ends = connection.execute(
            sa.text("SELECT token_hash, expires_at FROM api_tokens ORDER BY token_hash")
        ).all()
        # The account and its sessions come through the upgrade as they were.
        assert connection.execute(sa.text("SELECT name FROM users")).scalar_one() == "svc"
        assert connection.execute(sa.text("SELECT count(*) FROM login_sessions")).scalar() == 1
    shown = [(token, str(expires)[:10]) for token, expires in ends]
    assert shown == [("a", "2026-04-01"), ("b", "2026-04-01"), ("c", "2026-01-02")]
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at)"
                " VALUES (1, 'd', '', '2026-01-01 00:00:00')"
            )
        )


def test_every_case_opened_before_members_existed_keeps_its_opener_as_member(
    blank: Engine,
) -> None:
    _upgrade(blank, "0011")
    with blank.begin() as connection:
        for case_id, opener in ((1, "ivan"), (2, "olga")):
            connection.execute(
                sa.text(
                    "INSERT INTO cases (id, reference, legal_basis, description, status,"
                    " opened_at, opened_by, closed_reason)"
                    " VALUES (:id, :reference, 'cpc-kz-199', 'x', 'open',"
                    " '2026-11-01 10:00:00', :opener, '')"
                ),
                {"id": case_id, "reference": f"C-{case_id}", "opener": opener},
            )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT case_id, name, added_by, added_at, reason, removed_at"
                " FROM case_members ORDER BY case_id"
            )
        ).all()
    assert [(r.case_id, r.name, r.added_by, r.reason, r.removed_at) for r in rows] == [
        (1, "ivan", "ivan", "opened the case", None),
        (2, "olga", "olga", "opened the case", None),
    ]
    assert str(rows[0].added_at).startswith("2026-11-01 10:00:00")
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO case_members (case_id, name, added_by, added_at, reason,"
                " removed_reason) VALUES (1, 'ivan', 'x', '2026-11-02 00:00:00', 'again', '')"
            )
        )


def test_accounts_come_through_with_no_reset_to_tell_and_one_request_waits_per_account(
    blank: Engine,
) -> None:
    _upgrade(blank, "0012")
    with blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, name, display_name, role, active, created_at,"
                " must_change_password) VALUES (1, 'ada', '', 'admin', true,"
                " '2026-01-01 00:00:00', false)"
            )
        )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        row = connection.execute(
            sa.text("SELECT name, password_reset_at, password_reset_by FROM users")
        ).one()
    assert tuple(row) == ("ada", None, None)
    insert = sa.text(
        "INSERT INTO account_requests (kind, user_name, role, display_name, status,"
        " asked_by_id, asked_at) VALUES ('create', 'ivan', 'investigator', '', :status, 1,"
        " '2026-01-02 00:00:00')"
    )
    with blank.begin() as connection:
        connection.execute(insert, {"status": "refused"})
        connection.execute(insert, {"status": "pending"})
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(insert, {"status": "pending"})
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(insert, {"status": "waiting"})


def test_cameras_recording_before_assessments_keep_recording_under_a_generated_one(
    blank: Engine,
) -> None:
    _upgrade(blank, "0023")
    with blank.begin() as connection:
        for number, (name, status) in enumerate((("gate", "active"), ("yard", "draft")), 1):
            connection.execute(
                sa.text(
                    "INSERT INTO cameras (id, name, source_url, category, region, operator_org,"
                    " location, purpose, tags, record_audio, segment_seconds,"
                    " retention_justification, retention_dpia_ref, status, created_at,"
                    " updated_at) VALUES (:id, :name, 'rtsp://x/y', 'other', 'R', '', '', '',"
                    " '[]', false, 10, '', '', :status, '2026-11-01 10:00:00',"
                    " '2026-11-01 10:00:00')"
                ),
                {"id": number, "name": name, "status": status},
            )
    _upgrade(blank, "head")
    with session_factory(blank)() as session:
        (assessment,) = dpia.assessments(session)
        version = dpia.approved_version(assessment)
    assert (assessment.reference, assessment.pre_existing) == ("DPIA-1", True)
    assert version is not None
    assert version.scope == ["camera:gate"]  # the draft camera was not recording
    assert "review required" in version.title
    assert version.approved_by == "system"


def test_persons_recorded_before_roles_are_suspects_and_no_role_outside_the_list_is_taken(
    blank: Engine,
) -> None:
    _upgrade(blank, "0025")
    with blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, reference, legal_basis, description, status,"
                " opened_at, opened_by, closed_reason)"
                " VALUES (1, 'C-1', 'cpc-kz-199', 'x', 'open', '2026-11-01 10:00:00', 'ivan', '')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO case_persons (case_id, label, minor, vulnerable, added_at,"
                " cleared_reason) VALUES (1, 'P1', false, false, '2026-11-01 10:00:00', '')"
            )
        )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        assert connection.execute(sa.text("SELECT role FROM case_persons")).scalar() == "suspect"
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO case_persons (case_id, label, role, minor, vulnerable, added_at,"
                " cleared_reason) VALUES (1, 'P2', 'mayor', false, false,"
                " '2026-11-01 10:00:00', '')"
            )
        )


def test_cases_opened_before_kinds_are_criminal_and_no_kind_outside_the_list_is_taken(
    blank: Engine,
) -> None:
    _upgrade(blank, "0029")
    with blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, reference, legal_basis, description, status,"
                " opened_at, opened_by, closed_reason)"
                " VALUES (1, 'C-1', 'cpc-kz-199', 'x', 'open', '2026-11-01 10:00:00', 'ivan', '')"
            )
        )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        assert connection.execute(sa.text("SELECT kind FROM cases")).scalar() == "criminal"
    with pytest.raises(sa.exc.IntegrityError), blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cases (id, reference, legal_basis, description, status, kind,"
                " opened_at, opened_by, closed_reason)"
                " VALUES (2, 'C-2', 'x', 'x', 'open', 'civil', '2026-11-01 10:00:00', 'ivan', '')"
            )
        )


def test_segments_sealed_before_batching_point_at_their_own_entries(blank: Engine) -> None:
    _upgrade(blank, "0033")
    with blank.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO cameras (id, name, source_url, category, region, operator_org,"
                " location, purpose, tags, record_audio, segment_seconds, priority,"
                " retention_justification, retention_dpia_ref, status, signage, contact,"
                " withheld_reason, withheld_note, suspended_for, created_at, updated_at)"
                " VALUES (1, 'gate', 'rtsp://x/y', 'other', 'R', '', '', '', '[]', false, 10, 0,"
                " '', '', 'active', '', '', '', '', '', '2026-11-01 10:00:00',"
                " '2026-11-01 10:00:00')"
            )
        )
        for seq, segment in ((0, "seg-old"), (1, None), (2, "seg-other")):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_entries (seq, at, actor, action, event, object_type,"
                    " object_id, outcome, details) VALUES (:seq, '2026-11-01 10:00:00', 'rec',"
                    " 'collect', :event, 'segment', :segment, 'success', '{}')"
                ),
                {
                    "seq": seq,
                    "event": "recording.segment_sealed" if segment else "login",
                    "segment": segment,
                },
            )
        for number, segment in enumerate(("seg-old", "seg-other", "seg-unsealed")):
            connection.execute(
                sa.text(
                    "INSERT INTO segments (id, camera_id, started_at, ended_at, duration_s,"
                    " frames, bytes, codec, width, height, has_audio, sha256, blob_key,"
                    " sealed_at, region, retention_reason, retention_detail) VALUES (:id, 1,"
                    " '2026-11-01 10:00:00', '2026-11-01 10:00:10', 10, 250, 1000, 'h264', 640,"
                    " 360, false, 'aa', :blob, '2026-11-01 10:00:10', 'R', 'default', '')"
                ),
                {"id": segment, "blob": f"cameras/1/{number}"},
            )
    _upgrade(blank, "head")
    with blank.connect() as connection:
        pointed = dict(connection.execute(sa.text("SELECT id, collected_seq FROM segments")).all())
    assert pointed == {"seg-old": 0, "seg-other": 2, "seg-unsealed": None}
