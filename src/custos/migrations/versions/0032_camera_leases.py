"""Camera leases with a fencing epoch, the recorders that hold them, and camera priority.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera_leases",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_camera_leases_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_leases")),
    )
    op.create_index(op.f("ix_camera_leases_holder"), "camera_leases", ["holder"], unique=False)
    op.create_table(
        "recorders",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_recorders")),
    )
    # Plain ADD COLUMN on every engine: these tables are never rebuilt on SQLite.
    op.add_column("segments", sa.Column("epoch", sa.Integer(), nullable=True))
    op.add_column("recording_gaps", sa.Column("epoch", sa.Integer(), nullable=True))
    op.add_column(
        "cameras", sa.Column("priority", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("cameras", "priority")
    op.drop_column("recording_gaps", "epoch")
    op.drop_column("segments", "epoch")
    op.drop_table("recorders")
    op.drop_index(op.f("ix_camera_leases_holder"), table_name="camera_leases")
    op.drop_table("camera_leases")
