"""Whether a request seeks export of its footage, and whether its grant allows it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("access_requests", "grants"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("export", sa.Boolean(), nullable=False, server_default=sa.false())
            )
        with op.batch_alter_table(table) as batch:
            batch.alter_column("export", server_default=None)


def downgrade() -> None:
    for table in ("grants", "access_requests"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("export")
