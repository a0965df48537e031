"""Members of cases: who may see a case and act in it. Every case so far gets its opener.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPENED = "opened the case"


def upgrade() -> None:
    op.create_table(
        "case_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("added_by", sa.String(length=128), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by", sa.String(length=128), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_members_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_members")),
        sa.UniqueConstraint("case_id", "name", name=op.f("uq_case_members_case_id")),
    )
    with op.batch_alter_table("case_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_members_case_id"), ["case_id"])
    # Until now every investigator reached every case; from here on only its members do, and
    # the one member a case is sure to have had is the investigator who opened it.
    op.execute(
        sa.text(
            "INSERT INTO case_members"
            " (case_id, name, added_by, added_at, reason, removed_reason)"
            " SELECT id, opened_by, opened_by, opened_at, :reason, '' FROM cases"
        ).bindparams(reason=OPENED)
    )


def downgrade() -> None:
    with op.batch_alter_table("case_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_members_case_id"))
    op.drop_table("case_members")
