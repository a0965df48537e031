"""The public camera register: a camera's place, its signs, a contact point, and why it is
withheld from the register (empty: it is shown).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TEXTS: tuple[tuple[str, Any], ...] = (
    ("signage", sa.Text()),
    ("contact", sa.String(length=256)),
    ("withheld_reason", sa.String(length=32)),
    ("withheld_note", sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("latitude", sa.Double(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Double(), nullable=True))
        for name, kind in TEXTS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=""))
    with op.batch_alter_table("cameras") as batch:
        for name, _kind in TEXTS:
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        for name, _kind in TEXTS:
            batch.drop_column(name)
        batch.drop_column("longitude")
        batch.drop_column("latitude")
