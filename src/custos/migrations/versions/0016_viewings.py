"""Viewings: one row per sitting in front of a granted window, with what was watched.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "viewings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("watched", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_viewings_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"], ["grant_windows.id"], name=op.f("fk_viewings_window_id_grant_windows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewings")),
    )
    with op.batch_alter_table("viewings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viewings_grant_id"), ["grant_id"])


def downgrade() -> None:
    with op.batch_alter_table("viewings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_viewings_grant_id"))
    op.drop_table("viewings")
