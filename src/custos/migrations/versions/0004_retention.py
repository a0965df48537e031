"""Retention: incidents, legal holds, states of emergency, the retention plan on segments,
erasure intents, alerts and sunset reports; justified per-camera retention.

Existing segments get no plan here (the policy profile is not known to a migration):
`custos init` plans every segment that has none.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_plan_state",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("profile_name", sa.String(64), nullable=False),
        sa.Column("profile_sha256", sa.String(64), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_plan_state")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_kind"), ["kind"], unique=False)

    op.create_table(
        "emergency_regimes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("decree_ref", sa.String(length=256), nullable=False),
        sa.Column("declared_by", sa.String(length=128), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_regimes")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("legal_reference", sa.String(length=256), nullable=False),
        sa.Column("offence", sa.Boolean(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.String(length=128), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.Column("unmarked_at", sa.DateTime(), nullable=True),
        sa.Column("unmarked_by", sa.String(length=128), nullable=True),
        sa.Column("unmark_justification", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=128), nullable=False),
        sa.Column("person_ref", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("review_due", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_case_ref"), ["case_ref"], unique=False)

    op.create_table(
        "hold_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_hold_scopes_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["legal_holds.id"], name=op.f("fk_hold_scopes_hold_id_legal_holds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold_scopes")),
    )
    with op.batch_alter_table("hold_scopes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_scopes_camera_id"), ["camera_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hold_scopes_hold_id"), ["hold_id"], unique=False)

    op.create_table(
        "incident_cameras",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_incident_cameras_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_cameras_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "camera_id", name=op.f("pk_incident_cameras")),
    )
    op.create_table(
        "sunset_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regime_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["regime_id"],
            ["emergency_regimes.id"],
            name=op.f("fk_sunset_reports_regime_id_emergency_regimes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sunset_reports")),
        sa.UniqueConstraint("regime_id", name=op.f("uq_sunset_reports_regime_id")),
    )
    op.create_table(
        "erasure_intents",
        sa.Column("segment_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=128), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_erasure_intents_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("segment_id", name=op.f("pk_erasure_intents")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("retention_justification", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "retention_dpia_ref", sa.String(length=128), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("region", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "retention_reason", sa.String(length=32), nullable=False, server_default="default"
            )
        )
        batch_op.add_column(
            sa.Column("retention_detail", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("erasure_reason", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_segments_expires_at_id", ["expires_at", "id"], unique=False)
    # A segment's region is its camera's when it was recorded: the best known for old ones.
    op.execute(
        "UPDATE segments SET region = (SELECT region FROM cameras "
        "WHERE cameras.id = segments.camera_id)"
    )
    # Defaults only filled existing rows; new rows always say what they mean.
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.alter_column("retention_justification", server_default=None)
        batch_op.alter_column("retention_dpia_ref", server_default=None)
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.alter_column("region", server_default=None)
        batch_op.alter_column("retention_reason", server_default=None)
        batch_op.alter_column("retention_detail", server_default=None)


def downgrade() -> None:
    op.drop_table("retention_plan_state")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_expires_at_id")
        batch_op.drop_column("erasure_reason")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("retention_detail")
        batch_op.drop_column("retention_reason")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("region")

    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("retention_dpia_ref")
        batch_op.drop_column("retention_justification")
        batch_op.drop_column("retention_days")

    op.drop_table("erasure_intents")
    op.drop_table("sunset_reports")
    op.drop_table("incident_cameras")
    with op.batch_alter_table("hold_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_scopes_hold_id"))
        batch_op.drop_index(batch_op.f("ix_hold_scopes_camera_id"))

    op.drop_table("hold_scopes")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_case_ref"))

    op.drop_table("legal_holds")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_starts_at"))

    op.drop_table("incidents")
    op.drop_table("emergency_regimes")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_kind"))

    op.drop_table("alerts")
