"""Impact assessments: a registry of DPIAs with versions, and the gate on cameras (which now
say why they were suspended).

Cameras that record when the registry is introduced keep recording under a generated
assessment, DPIA-1, "pre-existing, review required": approved by the system, covering each
of them by name, due for review in 90 days; a finding until a DPO approves a real version.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

REVIEW_DAYS = 90
SYSTEM = "system"


def upgrade() -> None:
    op.create_table(
        "dpias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("pre_existing", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpias")),
        sa.UniqueConstraint("reference", name=op.f("uq_dpias_reference")),
    )
    op.create_table(
        "dpia_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dpia_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "approved",
                "superseded",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("necessity", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("vulnerable_groups", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("consultation", sa.JSON(), nullable=False),
        sa.Column("dpo_opinion", sa.Text(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("analytics", sa.JSON(), nullable=False),
        sa.Column("review_by", sa.DateTime(), nullable=False),
        sa.Column("public_summary", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dpia_id"], ["dpias.id"], name=op.f("fk_dpia_versions_dpia_id_dpias")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpia_versions")),
        sa.UniqueConstraint("dpia_id", "version", name=op.f("uq_dpia_versions_dpia_id")),
    )
    op.create_index(op.f("ix_dpia_versions_dpia_id"), "dpia_versions", ["dpia_id"])
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(
            sa.Column("suspended_for", sa.String(length=16), nullable=False, server_default="")
        )
    with op.batch_alter_table("cameras") as batch:
        batch.alter_column("suspended_for", server_default=None)
    _pre_existing()


def _pre_existing() -> None:
    connection = op.get_bind()
    names = [
        row[0]
        for row in connection.execute(
            sa.text("SELECT name FROM cameras WHERE status = 'active' ORDER BY name")
        )
    ]
    if not names:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    connection.execute(
        sa.text(
            "INSERT INTO dpias (id, reference, created_at, created_by, pre_existing) "
            "VALUES (1, 'DPIA-1', :now, :system, :true)"
        ),
        {"now": now, "system": SYSTEM, "true": True},
    )
    review = (
        "Generated for the cameras recording when the registry was introduced: review required."
    )
    connection.execute(
        sa.text(
            "INSERT INTO dpia_versions (dpia_id, version, state, title, description, purposes, "
            "necessity, risks, vulnerable_groups, measures, consultation, dpo_opinion, scope, "
            "analytics, review_by, public_summary, author, written_at, approved_by, "
            "approved_at) VALUES (1, 1, 'approved', :title, :review, :review, :review, "
            ":review, :review, :review, '[]', '', :scope, :analytics, :review_by, :summary, "
            ":system, :now, :system, :now)"
        ),
        {
            "title": "Pre-existing cameras, review required",
            "review": review,
            "scope": json.dumps([f"camera:{name}" for name in names]),
            "analytics": json.dumps(["faces", "plates"]),
            "review_by": now + dt.timedelta(days=REVIEW_DAYS),
            "summary": "Cameras recording before impact assessments were kept; under review.",
            "system": SYSTEM,
            "now": now,
        },
    )


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("suspended_for")
    op.drop_index(op.f("ix_dpia_versions_dpia_id"), table_name="dpia_versions")
    op.drop_table("dpia_versions")
    op.drop_table("dpias")
