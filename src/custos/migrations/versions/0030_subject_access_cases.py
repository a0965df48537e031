"""A case's kind (criminal, or a person's access to their own footage), and the link from a
data-subject request to its case, its recipient and the export that fulfilled it.

Every case opened before kinds existed is criminal, and stays so.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

KINDS = ("criminal", "subject_access")


def upgrade() -> None:
    # Added in place, not by copying the table: every case-bound table refers to it. SQLite
    # takes a column's CHECK only as written in its ADD COLUMN.
    if op.get_bind().dialect.name == "sqlite":
        listed = ", ".join(f"'{kind}'" for kind in KINDS)
        op.execute(
            "ALTER TABLE cases ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'criminal'"
            f" CONSTRAINT ck_cases_kind CHECK (kind IN ({listed}))"
        )
    else:
        op.add_column(
            "cases",
            sa.Column(
                "kind",
                sa.Enum(*KINDS, name="kind", native_enum=False, create_constraint=True, length=16),
                nullable=False,
                server_default="criminal",
            ),
        )
    with op.batch_alter_table("subject_requests") as batch:
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recipient_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("export_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_subject_requests_case_id_cases"), "cases", ["case_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_subject_requests_recipient_id_export_recipients"), "export_recipients",
            ["recipient_id"], ["id"],
        )  # fmt: skip
        batch.create_foreign_key(
            op.f("fk_subject_requests_export_id_exports"), "exports", ["export_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_requests") as batch:
        batch.drop_constraint(op.f("fk_subject_requests_export_id_exports"), type_="foreignkey")
        batch.drop_constraint(
            op.f("fk_subject_requests_recipient_id_export_recipients"), type_="foreignkey"
        )
        batch.drop_constraint(op.f("fk_subject_requests_case_id_cases"), type_="foreignkey")
        batch.drop_column("export_id")
        batch.drop_column("recipient_id")
        batch.drop_column("case_id")
    op.drop_column("cases", "kind")
