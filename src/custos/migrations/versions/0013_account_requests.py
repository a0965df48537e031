"""Account changes that wait for a second person, and who last reset an account's password.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ROLES = ("operator", "investigator", "approver", "dpo", "auditor", "admin")
PENDING = sa.text("status = 'pending'")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "account_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", _enum("kind", "create", "role", "enable", "reset_password"), nullable=False
        ),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", _enum("role", *ROLES), nullable=False),
        sa.Column("role_before", _enum("role_before", *ROLES), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("status", _enum("status", "pending", "confirmed", "refused"), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_by_role", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["users.id"], name=op.f("fk_account_requests_asked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_requests")),
    )
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_requests_user_id"), ["user_id"])
        batch_op.create_index(
            "uq_account_requests_pending_user_name",
            ["user_name"],
            unique=True,
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        )
    # The users table is referenced by others, so SQLite adds the columns in place.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("password_reset_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("password_reset_by", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("password_reset_by")
        batch_op.drop_column("password_reset_at")
    with op.batch_alter_table("account_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_account_requests_pending_user_name")
        batch_op.drop_index(batch_op.f("ix_account_requests_user_id"))
    op.drop_table("account_requests")
