"""Delivering exports: a download link that expires and works a set number of times, and the
stored package sealed under its own key until it is shredded.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, Any, str], ...] = (
    ("link_hash", sa.String(length=64), ""),
    ("downloads_left", sa.Integer(), "0"),
    ("blob_key", sa.String(length=256), ""),
    ("package_sha256", sa.String(length=64), ""),
    ("revoked_reason", sa.Text(), ""),
)
NULLABLE: tuple[tuple[str, Any], ...] = (
    ("link_expires_at", sa.DateTime()),
    ("wrapped_key", sa.LargeBinary(length=64)),
    ("nonce", sa.LargeBinary(length=16)),
    ("revoked_at", sa.DateTime()),
    ("revoked_by", sa.String(length=128)),
    ("shredded_at", sa.DateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("exports") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
        for name, nullable_kind in NULLABLE:
            batch.add_column(sa.Column(name, nullable_kind, nullable=True))
    with op.batch_alter_table("exports") as batch:
        for name, _kind, _default in COLUMNS:
            batch.alter_column(name, server_default=None)
    op.create_index(op.f("ix_exports_link_hash"), "exports", ["link_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_exports_link_hash"), table_name="exports")
    with op.batch_alter_table("exports") as batch:
        for name, _kind, _default in COLUMNS:
            batch.drop_column(name)
        for name, _nullable_kind in NULLABLE:
            batch.drop_column(name)
