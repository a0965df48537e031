"""An impact assessment's statement of why the cameras at sensitive sites it covers need no
privacy zone: without zones or that statement, such a camera does not start recording.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dpia_versions") as batch:
        batch.add_column(
            sa.Column("zones_not_needed", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("dpia_versions") as batch:
        batch.alter_column("zones_not_needed", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("dpia_versions") as batch:
        batch.drop_column("zones_not_needed")
