"""Exports: part of a granted window handed to a recipient as a sealed package.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("camera", sa.String(length=128), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "making",
                "ready",
                "failed",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_exports_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_exports_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["export_recipients.id"],
            name=op.f("fk_exports_recipient_id_export_recipients"),
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["grant_windows.id"], name=op.f("fk_exports_window_id_grant_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    op.create_index(op.f("ix_exports_case_id"), "exports", ["case_id"])
    op.create_index(op.f("ix_exports_grant_id"), "exports", ["grant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_exports_grant_id"), table_name="exports")
    op.drop_index(op.f("ix_exports_case_id"), table_name="exports")
    op.drop_table("exports")
