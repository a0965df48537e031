"""Collection recorded per camera per period: each segment points at the entry naming it.

Segments stored before carry their own sealing entry; they point at it, so none is named
twice.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("segments", sa.Column("collected_seq", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_segments_collected_seq"), "segments", ["collected_seq"], unique=False)
    op.execute(
        "UPDATE segments SET collected_seq = audit_entries.seq FROM audit_entries "
        "WHERE audit_entries.event = 'recording.segment_sealed' "
        "AND audit_entries.object_id = segments.id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_segments_collected_seq"), table_name="segments")
    op.drop_column("segments", "collected_seq")
