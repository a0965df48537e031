"""Recording: segment index, data keys, recording gaps; per-camera audio and segment length.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(
            sa.Column("record_audio", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("segment_seconds", sa.Integer(), nullable=False, server_default="10")
        )
    with op.batch_alter_table("cameras") as batch:
        batch.alter_column("record_audio", server_default=None)
        batch.alter_column("segment_seconds", server_default=None)

    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(16), nullable=False),
        sa.Column("kek_id", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob_key", sa.String(256), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_segments_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["data_keys.id"], name=op.f("fk_segments_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("blob_key", name=op.f("uq_segments_blob_key")),
        sa.UniqueConstraint("key_id", name=op.f("uq_segments_key_id")),
    )
    op.create_index("ix_segments_camera_id_started_at", "segments", ["camera_id", "started_at"])
    op.create_table(
        "recording_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_recording_gaps_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_gaps")),
    )
    op.create_index(op.f("ix_recording_gaps_camera_id"), "recording_gaps", ["camera_id"])


def downgrade() -> None:
    op.drop_table("recording_gaps")
    op.drop_table("segments")
    op.drop_table("data_keys")
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("segment_seconds")
        batch.drop_column("record_audio")
