"""Recorder health: a status row per camera, and the technical detail beside each gap's reason.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recording_gaps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("detail", sa.String(length=512), nullable=False, server_default="")
        )
    op.create_table(
        "recorder_status",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("recorder", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=512), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_segment_end", sa.DateTime(), nullable=True),
        sa.Column("lag_s", sa.Double(), nullable=True),
        sa.Column("bitrate_bps", sa.Double(), nullable=True),
        sa.Column("fps", sa.Double(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("codec", sa.String(length=32), nullable=False),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("spool_segments", sa.Integer(), nullable=False),
        sa.Column("spool_bytes", sa.BigInteger(), nullable=False),
        sa.Column("segments_dropped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_recorder_status_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_recorder_status")),
    )


def downgrade() -> None:
    op.drop_table("recorder_status")
    with op.batch_alter_table("recording_gaps", schema=None) as batch_op:
        batch_op.drop_column("detail")
