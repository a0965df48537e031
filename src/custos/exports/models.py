"""Recipients of exported evidence, and the exports made to them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base, string_enum
from custos.exports.policy import ExportState, RecipientRole


class Recipient(Base):
    """Someone evidence may be handed to: a court, a prosecutor, defence counsel, the person
    filmed. Kept after it is retired, since the exports made to it name it."""

    __tablename__ = "export_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[RecipientRole] = mapped_column(string_enum(RecipientRole, "role", 16))
    contact: Mapped[str] = mapped_column(sa.Text, default="")
    added_by: Mapped[str] = mapped_column(sa.String(128))
    added_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    retired_by: Mapped[str | None] = mapped_column(sa.String(128))
    retired_reason: Mapped[str] = mapped_column(sa.Text, default="")


class Export(Base):
    """Parts of a grant's windows handed to a recipient, as one sealed package.

    `window_id` and `camera` are those of its first range, `starts_at` and `ends_at` span them
    all; `ranges` lists each part."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"), index=True)
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("export_recipients.id"))
    camera: Mapped[str] = mapped_column(sa.String(128))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime]
    entry_seq: Mapped[int] = mapped_column(sa.BigInteger)  # its disclose entry in the log
    state: Mapped[ExportState] = mapped_column(string_enum(ExportState, "state", 16))
    folder: Mapped[str] = mapped_column(sa.Text, default="")
    manifest_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    problem: Mapped[str] = mapped_column(sa.Text, default="")
    finished_at: Mapped[datetime | None]
    # Delivery: one link for the recipient (only its hash kept), a number of downloads, an
    # expiry; the stored copy of the package sealed under its own key, shredded after use.
    link_hash: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    link_expires_at: Mapped[datetime | None]
    downloads_left: Mapped[int] = mapped_column(default=0)
    blob_key: Mapped[str] = mapped_column(sa.String(256), default="")
    wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(64))
    nonce: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16))
    package_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(sa.String(128))
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    shredded_at: Mapped[datetime | None]
    ranges: Mapped[list[ExportRange]] = relationship(
        order_by="ExportRange.position", lazy="selectin", cascade="all, delete-orphan"
    )


class ExportRange(Base):
    """One part of an export: a range of one granted window, one video in the package."""

    __tablename__ = "export_ranges"

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(sa.ForeignKey("exports.id"), index=True)
    position: Mapped[int]
    window_id: Mapped[int] = mapped_column(sa.ForeignKey("grant_windows.id"))
    camera: Mapped[str] = mapped_column(sa.String(128))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
