"""The breach register.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("discovered_at", sa.DateTime(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("people_affected", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "recorded",
                "notified",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("notified_by", sa.String(length=128), nullable=True),
        sa.Column("notice_channel", sa.String(length=200), nullable=False),
        sa.Column("notice_reference", sa.String(length=200), nullable=False),
        sa.Column("notice_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
    )


def downgrade() -> None:
    op.drop_table("breaches")
