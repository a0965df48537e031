"""Exports of several ranges: one package holding one video per range of the grant's windows.

Each export made before gets its one range.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_ranges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("camera", sa.String(length=128), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"], ["exports.id"], name=op.f("fk_export_ranges_export_id_exports")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["grant_windows.id"],
            name=op.f("fk_export_ranges_window_id_grant_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_ranges")),
    )
    op.create_index(op.f("ix_export_ranges_export_id"), "export_ranges", ["export_id"])
    op.execute(
        "INSERT INTO export_ranges (export_id, position, window_id, camera, starts_at, ends_at) "
        "SELECT id, 0, window_id, camera, starts_at, ends_at FROM exports"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_export_ranges_export_id"), table_name="export_ranges")
    op.drop_table("export_ranges")
