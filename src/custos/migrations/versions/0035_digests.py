"""Ciphertext digests name their algorithm: `sha256` columns become `digest`.

Digests written from now on are `blake3:` and 64 hex digits; those already stored are 64 hex
digits of SHA-256 and stay as they are (custos.storage.digest reads both).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

TABLES = ("segments", "device_copies")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "sha256",
                new_column_name="digest",
                type_=sa.String(length=80),
                existing_type=sa.String(length=64),
                existing_nullable=False,
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "digest",
                new_column_name="sha256",
                type_=sa.String(length=64),
                existing_type=sa.String(length=80),
                existing_nullable=False,
            )
