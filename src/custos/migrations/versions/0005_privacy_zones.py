"""Privacy zones: parts of a camera's picture masked before anything is stored or shown.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_privacy_zones_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_zones")),
        sa.UniqueConstraint("camera_id", "name", name=op.f("uq_privacy_zones_camera_id")),
    )
    with op.batch_alter_table("privacy_zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_zones_camera_id"), ["camera_id"])


def downgrade() -> None:
    with op.batch_alter_table("privacy_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_zones_camera_id"))
    op.drop_table("privacy_zones")
