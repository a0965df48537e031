"""Verifiable audit log: art. 25 fields, Merkle tree nodes, log state, checkpoints, witnesses.

Existing entries are renumbered from 0 in their order and hashed into the tree, so a log
started before this version becomes verifiable as it stands.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from custos.audit import merkle
from custos.audit.canonical import EntryRecord, canonical_bytes, canonical_details

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_entries", "audit_nodes", "audit_checkpoints")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_old_triggers(sqlite)
    for name, column_type in (
        ("case_ref", sa.String(128)),
        ("grant_ref", sa.String(128)),
        ("legal_basis", sa.String(256)),
        ("justification", sa.Text()),
        ("recipient", sa.String(256)),
    ):
        op.add_column("audit_entries", sa.Column(name, column_type, nullable=True))
    if not sqlite:
        op.execute("ALTER TABLE audit_entries ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS audit_entries_seq_seq")
    # Details are kept as the canonical JSON text that is hashed, not as a JSON value.
    with op.batch_alter_table("audit_entries") as batch:
        batch.alter_column(
            "details",
            type_=sa.Text(),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="details::text",
        )

    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("idx", BIG, nullable=False, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_nodes")),
    )
    op.create_table(
        "audit_log_state",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("size", BIG, nullable=False),
        sa.Column("origin", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log_state")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", BIG, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(op.f("ix_audit_checkpoints_tree_size"), "audit_checkpoints", ["tree_size"])
    op.create_table(
        "audit_witnesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_witnesses")),
        sa.UniqueConstraint("name", name=op.f("uq_audit_witnesses_name")),
    )
    op.create_table(
        "audit_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(), nullable=False),
        sa.Column("signature_line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["audit_checkpoints.id"],
            name=op.f("fk_audit_cosignatures_checkpoint_id_audit_checkpoints"),
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"],
            ["audit_witnesses.id"],
            name=op.f("fk_audit_cosignatures_witness_id_audit_witnesses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_cosignatures")),
        sa.UniqueConstraint(
            "checkpoint_id", "witness_id", name=op.f("uq_audit_cosignatures_checkpoint_id")
        ),
    )
    size = _sequence_existing_entries()
    op.execute(
        sa.text(
            "INSERT INTO audit_log_state (id, size, origin) VALUES (1, :size, :origin)"
        ).bindparams(size=size, origin=f"custos/{uuid.uuid4().hex[:16]}")
    )
    _create_triggers(sqlite)


def _sequence_existing_entries() -> int:
    """Renumber entries 0..n-1 in their order and store their Merkle tree; returns n."""
    bind = op.get_bind()
    old = [row[0] for row in bind.execute(sa.text("SELECT seq FROM audit_entries ORDER BY seq"))]
    for position, seq in enumerate(old):  # ascending, so each target number is already free
        if position != seq:
            bind.execute(
                sa.text("UPDATE audit_entries SET seq = :new WHERE seq = :old"),
                {"new": position, "old": seq},
            )
    entries = sa.table(
        "audit_entries",
        *[
            sa.column(c)
            for c in (
                "seq",
                "at",
                "actor",
                "actor_role",
                "action",
                "event",
                "object_type",
                "object_id",
                "client_address",
                "outcome",
                "details",
            )
        ],
    )
    tree = merkle.CompactRange()
    nodes = []
    rows = list(bind.execute(sa.select(entries).order_by(entries.c.seq)).mappings())
    for row in rows:
        details = canonical_details(json.loads(row["details"]))
        bind.execute(
            sa.text("UPDATE audit_entries SET details = :d WHERE seq = :s"),
            {"d": details, "s": row["seq"]},
        )
        record = EntryRecord(
            seq=row["seq"],
            at=_aware(row["at"]),
            actor=row["actor"],
            actor_role=row["actor_role"],
            action=row["action"],
            event=row["event"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            case_ref=None,
            grant_ref=None,
            legal_basis=None,
            justification=None,
            recipient=None,
            client_address=row["client_address"],
            outcome=row["outcome"],
            details=details,
        )
        nodes += tree.append(merkle.leaf_hash(canonical_bytes(record)))
    if nodes:
        bind.execute(
            sa.text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"),
            [{"level": level, "idx": index, "hash": digest} for level, index, digest in nodes],
        )
    return len(old)


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


def _drop_old_triggers(sqlite: bool) -> None:
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries")


def _create_triggers(sqlite: bool) -> None:
    """Entries, tree nodes and checkpoints are append-only in the database itself."""
    for table in APPEND_ONLY:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
                )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only()"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:
        if sqlite:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in (
        "audit_cosignatures",
        "audit_witnesses",
        "audit_checkpoints",
        "audit_log_state",
        "audit_nodes",
    ):
        op.drop_table(table)
    for name in ("recipient", "justification", "legal_basis", "grant_ref", "case_ref"):
        op.drop_column("audit_entries", name)
    _recreate_original_triggers(sqlite)


def _recreate_original_triggers(sqlite: bool) -> None:
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION custos_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION custos_audit_append_only()"
        )
