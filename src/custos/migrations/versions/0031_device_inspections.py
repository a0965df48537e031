"""The register of device inspections during a state of emergency, and the sealed copies of
the data copied in them.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("regime_id", sa.Integer(), nullable=False),
        sa.Column("legal_basis", sa.String(length=256), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("inspected_at", sa.DateTime(), nullable=False),
        sa.Column("region", sa.String(length=128), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("examined", sa.JSON(), nullable=False),
        sa.Column("copied", sa.JSON(), nullable=False),
        sa.Column("person", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.Column("offence", sa.Boolean(), nullable=False),
        sa.Column("offence_reason", sa.Text(), nullable=False),
        sa.Column("offence_by", sa.String(length=128), nullable=True),
        sa.Column("offence_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_device_inspections_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["regime_id"],
            ["emergency_regimes.id"],
            name=op.f("fk_device_inspections_regime_id_emergency_regimes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_inspections")),
    )
    op.create_index(
        op.f("ix_device_inspections_case_id"), "device_inspections", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_device_inspections_regime_id"), "device_inspections", ["regime_id"], unique=False
    )
    op.create_table(
        "device_copies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_key", sa.String(length=256), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(length=64), nullable=True),
        sa.Column("nonce", sa.LargeBinary(length=16), nullable=True),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("stored_by", sa.String(length=128), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.Column("erased_reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["device_inspections.id"],
            name=op.f("fk_device_copies_inspection_id_device_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_copies")),
    )
    op.create_index(
        op.f("ix_device_copies_inspection_id"), "device_copies", ["inspection_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_device_copies_inspection_id"), table_name="device_copies")
    op.drop_table("device_copies")
    op.drop_index(op.f("ix_device_inspections_regime_id"), table_name="device_inspections")
    op.drop_index(op.f("ix_device_inspections_case_id"), table_name="device_inspections")
    op.drop_table("device_inspections")
