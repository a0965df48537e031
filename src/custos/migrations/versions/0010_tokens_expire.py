"""Every API token expires: a token issued without an end gets one, at most 90 days after issue.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The longest a token may live when this migration was written (users.policy.MAX_TOKEN_DAYS).
LONGEST = timedelta(days=90)

tokens = sa.table(
    "api_tokens",
    sa.column("id", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
    sa.column("expires_at", sa.DateTime()),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(tokens.c.id, tokens.c.created_at, tokens.c.expires_at))
    for token_id, created_at, expires_at in rows.all():
        latest = created_at + LONGEST
        if expires_at is None or expires_at > latest:
            connection.execute(
                tokens.update().where(tokens.c.id == token_id).values(expires_at=latest)
            )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=True)
