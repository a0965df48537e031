"""The tables of device inspections and of the data copied in them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base


class DeviceInspection(Base):
    """One inspection of a person's device inside a case and a state of emergency: the legal
    basis, the officer, when and where, the device as described (never its content), the
    categories of data examined and copied, the person by pseudonym; and the audit entry that
    registered it, whose inclusion proof is the person's receipt."""

    __tablename__ = "device_inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    regime_id: Mapped[int] = mapped_column(sa.ForeignKey("emergency_regimes.id"), index=True)
    legal_basis: Mapped[str] = mapped_column(sa.String(256))
    officer: Mapped[str] = mapped_column(sa.String(200))
    inspected_at: Mapped[datetime]
    region: Mapped[str] = mapped_column(sa.String(128))
    place: Mapped[str] = mapped_column(sa.Text)
    device: Mapped[str] = mapped_column(sa.Text)
    examined: Mapped[list[str]] = mapped_column(sa.JSON)
    copied: Mapped[list[str]] = mapped_column(sa.JSON)
    person: Mapped[str] = mapped_column(sa.String(32))
    recorded_by: Mapped[str] = mapped_column(sa.String(128))
    recorded_at: Mapped[datetime]
    entry_seq: Mapped[int]  # the audit entry that registered it
    offence: Mapped[bool] = mapped_column(default=False)
    offence_reason: Mapped[str] = mapped_column(sa.Text, default="")
    offence_by: Mapped[str | None] = mapped_column(sa.String(128))
    offence_at: Mapped[datetime | None]

    copies: Mapped[list[DeviceCopy]] = relationship(
        lazy="selectin", order_by="DeviceCopy.stored_at"
    )

    @property
    def reference(self) -> str:
        """How people name it: DI-n."""
        return f"DI-{self.id}"


class DeviceCopy(Base):
    """Data copied from a device, sealed under a data key of its own; erasing it deletes the
    key and the blob (the row stays, saying when and why)."""

    __tablename__ = "device_copies"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    inspection_id: Mapped[int] = mapped_column(sa.ForeignKey("device_inspections.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(16))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    digest: Mapped[str] = mapped_column(sa.String(80))  # of the ciphertext (storage.digest)
    blob_key: Mapped[str] = mapped_column(sa.String(256))
    wrapped_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(64))
    nonce: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16))
    kek_id: Mapped[str] = mapped_column(sa.String(16))
    stored_by: Mapped[str] = mapped_column(sa.String(128))
    stored_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]
    erased_reason: Mapped[str] = mapped_column(sa.String(32), default="")
