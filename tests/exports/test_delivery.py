"""Delivering a package: a link that works a set number of times until it expires, every
download a disclosure in the log, revocable before it is used, and the stored copy sealed
like footage and shredded once the link is of no more use."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from custos.access.models import Grant
from custos.clock import FrozenClock
from custos.context import SYSTEM
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.exports import delivery, making, service
from custos.exports.models import Export
from custos.exports.policy import Span
from custos.runtime import Runtime
from helpers import APPROVER, INVESTIGATOR, audit_events, call_of

from .conftest import Scene


def _made(
    db: Session, clock: FrozenClock, runtime: Runtime, grant: Grant, court: int, out: Path
) -> Export:
    """An export of the grant's first window, made, zipped and stored."""
    export, plans = service.start_export(
        call_of(db, clock, INVESTIGATOR),
        runtime.sealer,
        grant_id=grant.id,
        spans=[Span(grant.windows[0].id, None, 15)],
        recipient_id=court,
        export_key_id=making.export_key(db, runtime).verifier.key_id.hex(),
    )
    making.make_package(runtime, INVESTIGATOR, export.id, plans, out)
    db.expire_all()  # made in sessions of its own, as a worker would
    delivery.store_package(
        db, clock, runtime.sealer, runtime.blobs, export.id, delivery.zipped(out)
    )
    return service.get_export(db, export.id)


def test_a_link_works_as_often_as_it_says_then_the_package_is_shredded(
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    court: int,
    tmp_path: Path,
) -> None:
    runtime = identity
    export = _made(db, clock, runtime, grant({"export": True}), court, tmp_path / "pkg")
    assert export.blob_key in set(runtime.blobs.keys())
    with pytest.raises(InvalidInput, match="at most 30 days"):
        delivery.issue_link(call_of(db, clock, INVESTIGATOR), export.id, days=31)
    with pytest.raises(Forbidden, match="ivan's"):
        delivery.issue_link(call_of(db, clock), export.id)  # someone else
    link = delivery.issue_link(call_of(db, clock, INVESTIGATOR), export.id, downloads=1)

    got = delivery.download(db, clock, runtime.sealer, runtime.blobs, link, "203.0.113.9")
    with zipfile.ZipFile(io.BytesIO(got.data)) as archive:
        names = archive.namelist()
    assert "pkg/manifest.json" in names
    assert any(name.startswith("pkg/video/") for name in names)
    (handed,) = audit_events(db, event="export.downloaded")
    assert (handed.action, handed.recipient) == ("disclose", "Judge A, court, Almaty City Court")
    assert handed.client_address == "203.0.113.9"

    with pytest.raises(Conflict, match="used as many times"):
        delivery.download(db, clock, runtime.sealer, runtime.blobs, link, "203.0.113.9")
    (refused,) = audit_events(db, event="export.download_refused")
    assert refused.outcome == "denied"
    with pytest.raises(NotFound):
        delivery.download(db, clock, runtime.sealer, runtime.blobs, "exp_guess", "x")

    assert delivery.shred_used(db, clock, SYSTEM, runtime.blobs) == 1
    shredded = service.get_export(db, export.id)
    assert shredded.wrapped_key is None
    assert shredded.blob_key not in set(runtime.blobs.keys())
    assert len(audit_events(db, event="export.shredded")) == 1
    assert delivery.shred_used(db, clock, SYSTEM, runtime.blobs) == 0  # once


def test_a_link_expires_and_an_export_can_be_revoked_before_it_is_downloaded(
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    court: int,
    tmp_path: Path,
) -> None:
    runtime = identity
    approved = grant({"export": True})
    first = _made(db, clock, runtime, approved, court, tmp_path / "first")
    link = delivery.issue_link(call_of(db, clock, INVESTIGATOR), first.id, days=1, downloads=3)
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(Conflict, match="expired"):
        delivery.download(db, clock, runtime.sealer, runtime.blobs, link, "x")

    second = _made(db, clock, runtime, approved, court, tmp_path / "second")
    link = delivery.issue_link(call_of(db, clock, INVESTIGATOR), second.id)
    anna = call_of(db, clock, APPROVER)
    delivery.revoke(anna, runtime.blobs, second.id, "sent to the wrong court")
    with pytest.raises(Conflict, match="revoked"):
        delivery.download(db, clock, runtime.sealer, runtime.blobs, link, "x")
    assert service.get_export(db, second.id).shredded_at is not None  # at once
    (revoked,) = audit_events(db, event="export.revoked")
    assert revoked.details["reason"] == "sent to the wrong court"
