"""Prepared detections: each segment of a grant's windows, its state and its sealed tracks.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prepared_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "claimed",
                "done",
                "failed",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("tracks", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_prepared_segments_grant_id_grants")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_prepared_segments_segment_id_segments")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["grant_windows.id"],
            name=op.f("fk_prepared_segments_window_id_grant_windows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepared_segments")),
        sa.UniqueConstraint("window_id", "segment_id", name=op.f("uq_prepared_segments_window_id")),
    )
    with op.batch_alter_table("prepared_segments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepared_segments_grant_id"), ["grant_id"])
        batch_op.create_index("ix_prepared_segments_state_rank", ["state", "rank"])


def downgrade() -> None:
    with op.batch_alter_table("prepared_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_prepared_segments_state_rank")
        batch_op.drop_index(batch_op.f("ix_prepared_segments_grant_id"))
    op.drop_table("prepared_segments")
