"""What each case person is to the case (suspect, witness, victim, other), and the first of
the two approvals that identifying a minor needs.

Persons recorded before roles existed all counted as suspects, and stay so.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

ROLES = ("suspect", "witness", "victim", "other")


def upgrade() -> None:
    with op.batch_alter_table("case_persons") as batch:
        batch.add_column(
            sa.Column(
                "role",
                sa.Enum(*ROLES, name="role", native_enum=False, create_constraint=True, length=16),
                nullable=False,
                server_default="suspect",
            )
        )
    with op.batch_alter_table("case_persons") as batch:
        batch.alter_column("role", server_default=None)
    with op.batch_alter_table("access_requests") as batch:
        batch.add_column(sa.Column("first_approved_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("first_approved_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_requests") as batch:
        batch.drop_column("first_approved_at")
        batch.drop_column("first_approved_by")
    with op.batch_alter_table("case_persons") as batch:
        batch.drop_column("role")
