"""The second factor: a sealed TOTP seed per account, codes given per session and token, and
account-change requests that remove a second factor.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KINDS = ("create", "role", "enable", "reset_password")


def _kind(*values: str) -> sa.Enum:
    return sa.Enum(*values, name="kind", native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    # The users table is referenced by others, so SQLite adds the columns in place.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("totp_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_enrolled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    for table, given in (
        ("login_sessions", "second_factor_at"),
        ("api_tokens", "second_factor_until"),
    ):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(sa.Column(given, sa.DateTime(), nullable=True))
            batch_op.add_column(
                sa.Column("code_failures", sa.Integer(), nullable=False, server_default="0")
            )
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_kind(*KINDS),
            type_=_kind(*KINDS, "reset_factor"),
            existing_nullable=False,
        )


def downgrade() -> None:
    op.execute("DELETE FROM account_requests WHERE kind = 'reset_factor'")
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_kind(*KINDS, "reset_factor"),
            type_=_kind(*KINDS),
            existing_nullable=False,
        )
    for table, given in (
        ("api_tokens", "second_factor_until"),
        ("login_sessions", "second_factor_at"),
    ):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("code_failures")
            batch_op.drop_column(given)
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enrolled_at")
        batch_op.drop_column("totp_sealed")
