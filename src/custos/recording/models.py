"""Tables of recording: the segment index, the keys that open segments, the gaps between them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base


class DataKey(Base):
    """A segment's data key, wrapped under the key-encryption key; deleting it destroys it."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    nonce: Mapped[bytes] = mapped_column(sa.LargeBinary(16))
    kek_id: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime]


class Segment(Base):
    """One stored piece of a recording: camera, time, format, and the digest of its ciphertext."""

    __tablename__ = "segments"
    __table_args__ = (
        sa.Index("ix_segments_camera_id_started_at", "camera_id", "started_at"),
        # The sweeper reads what is due in (expires_at, id) order, a batch at a time.
        sa.Index("ix_segments_expires_at_id", "expires_at", "id"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    duration_s: Mapped[float]
    frames: Mapped[int]
    bytes: Mapped[int] = mapped_column(sa.BigInteger)
    codec: Mapped[str] = mapped_column(sa.String(32))
    width: Mapped[int]
    height: Mapped[int]
    has_audio: Mapped[bool] = mapped_column(default=False)
    digest: Mapped[str] = mapped_column(sa.String(80))  # of the ciphertext (storage.digest)
    blob_key: Mapped[str] = mapped_column(sa.String(256), unique=True)
    key_id: Mapped[str | None] = mapped_column(sa.ForeignKey("data_keys.id"), unique=True)
    sealed_at: Mapped[datetime]
    region: Mapped[str] = mapped_column(sa.String(128), default="")
    # The retention plan, kept beside the row so the sweeper finds what is due by index alone;
    # None while a legal hold covers the segment, and once it is erased.
    expires_at: Mapped[datetime | None]
    retention_reason: Mapped[str] = mapped_column(sa.String(32), default="default")
    retention_detail: Mapped[str] = mapped_column(sa.String(128), default="")
    erased_at: Mapped[datetime | None]
    erasure_reason: Mapped[str | None] = mapped_column(sa.String(32))
    # The lease epoch of the recorder that wrote it (None: written before leases, or by a tool).
    epoch: Mapped[int | None]
    # The audit entry that names it among its camera's segments of one collection period (None
    # until that period's entry is written).
    collected_seq: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)

    key: Mapped[DataKey | None] = relationship()


class RecordingGap(Base):
    """A stretch of time in which a camera that should have been recording was not, and why."""

    __tablename__ = "recording_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(sa.String(512))
    # What went wrong in technical terms (the error FFmpeg or the store raised), if anything.
    detail: Mapped[str] = mapped_column(sa.String(512), default="")
    epoch: Mapped[int | None]  # as on segments


class CameraLease(Base):
    """Which recorder records a camera, until when, under which fencing epoch.

    The epoch grows with every claim and is written on every segment and gap the holder
    writes; a write under an epoch that is no longer the lease's is refused.
    """

    __tablename__ = "camera_leases"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    epoch: Mapped[int]
    expires_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


class Recorder(Base):
    """A recorder process: how many cameras it takes, and when it last said it is alive."""

    __tablename__ = "recorders"

    name: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    capacity: Mapped[int]
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class RecorderStatus(Base):
    """What a camera's recorder last reported: its state, the picture, and what waits to be stored.

    A running recorder rewrites its row every few seconds; a row whose heartbeat is old belongs
    to a recorder that is not running any more.
    """

    __tablename__ = "recorder_status"

    camera_id: Mapped[int] = mapped_column(sa.ForeignKey("cameras.id"), primary_key=True)
    recorder: Mapped[str] = mapped_column(sa.String(128))
    state: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(64), default="")
    detail: Mapped[str] = mapped_column(sa.String(512), default="")
    state_since: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    started_at: Mapped[datetime]
    last_segment_end: Mapped[datetime | None]
    lag_s: Mapped[float | None]
    bitrate_bps: Mapped[float | None]
    fps: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    codec: Mapped[str] = mapped_column(sa.String(32), default="")
    reconnects: Mapped[int] = mapped_column(default=0)
    spool_segments: Mapped[int] = mapped_column(default=0)
    spool_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    segments_dropped: Mapped[int] = mapped_column(default=0)
