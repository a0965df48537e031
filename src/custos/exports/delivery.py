"""Delivering a package: one download link for the recipient, which expires and works a set
number of times; every download audited as a disclosure; the stored copy sealed like footage
(its own data key under the KEK) and shredded once the link is used up, expired or revoked.

Only the link's SHA-256 is kept: the link itself is shown once, to the one who made the export.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action, Outcome
from custos.audit.service import record
from custos.clock import Clock
from custos.context import Actor, Call, Context
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.exports.models import Export
from custos.exports.policy import (
    DOWNLOAD_DAYS,
    DOWNLOADS,
    download_problem,
    link_terms_problem,
    to_shred,
)
from custos.exports.service import get_export, get_recipient, recipient_line
from custos.permissions import Role
from custos.storage.blobs import BlobStore
from custos.storage.crypto import Sealer

LINK_PREFIX = "exp_"


def _digest(link: str) -> str:
    return hashlib.sha256(link.encode()).hexdigest()


def _binding(export_id: int) -> bytes:
    return f"custos export package {export_id}".encode()


def zipped(folder: Path) -> bytes:
    """The package folder as one ZIP, its files under the folder's name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def issue_link(
    call: Call,
    export_id: int,
    *,
    days: float = DOWNLOAD_DAYS,
    downloads: int = DOWNLOADS,
) -> str:
    """A new download link for an export (any earlier one stops working); shown only now."""
    problem = link_terms_problem(days, downloads)
    if problem:
        raise InvalidInput(problem, field="days" if "days" in problem else "downloads")
    export = get_export(call.session, export_id)
    _may_manage(call.actor, export)
    if not deliverable(export):
        raise Conflict(f"export {export.id} was revoked or its package shredded")
    link = LINK_PREFIX + secrets.token_urlsafe(32)
    export.link_hash = _digest(link)
    export.link_expires_at = call.clock.now() + timedelta(days=days)
    export.downloads_left = downloads
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "export.link_issued",
        object_type="export",
        object_id=export.id,
        details={"expires_at": export.link_expires_at.isoformat(), "downloads": downloads},
    )
    call.session.commit()
    return link


def store_package(
    session: Session, clock: Clock, sealer: Sealer, blobs: BlobStore, export_id: int, data: bytes
) -> None:
    """Seal the zipped package under a fresh data key and keep it until it is shredded."""
    sealed = sealer.seal(data, _binding(export_id))
    key = f"exports/{export_id}-{secrets.token_hex(8)}.zip.sealed"
    blobs.put(key, sealed.ciphertext)
    export = get_export(session, export_id)
    export.blob_key, export.wrapped_key, export.nonce = key, sealed.wrapped_key, sealed.nonce
    export.package_sha256 = hashlib.sha256(data).hexdigest()
    session.commit()


@dataclass(frozen=True)
class Download:
    """A package handed over: its ZIP and the name to save it under."""

    filename: str
    data: bytes


def download(
    session: Session, clock: Clock, sealer: Sealer, blobs: BlobStore, link: str, client: str
) -> Download:
    """The package behind a link, for whoever holds it (the recipient: no account); audited
    as a disclosure to the recipient, or as a refused one."""
    export = session.scalar(sa.select(Export).where(Export.link_hash == _digest(link)))
    if export is None or not link.startswith(LINK_PREFIX):
        raise NotFound("no such download link")
    actor = Actor(f"link:{export.id}", None, client_address=client)
    context = Context(recipient=recipient_line(get_recipient(session, export.recipient_id)))
    _refuse_unless_downloadable(session, clock, actor, context, export)
    assert export.wrapped_key is not None
    assert export.nonce is not None
    key, wrapped, nonce = export.blob_key, export.wrapped_key, export.nonce
    session.commit()  # no transaction stays open while the package is read and decrypted
    data = sealer.open(blobs.get(key), wrapped, nonce, _binding(export.id))
    session.refresh(export)  # a download or a revocation may have come meanwhile
    _refuse_unless_downloadable(session, clock, actor, context, export)
    export.downloads_left -= 1
    record(
        session,
        clock,
        actor,
        Action.DISCLOSE,
        "export.downloaded",
        object_type="export",
        object_id=export.id,
        context=context,
        details={"package_sha256": export.package_sha256, "downloads_left": export.downloads_left},
    )
    session.commit()
    return Download(f"custos-export-{export.id}.zip", data)


def _refuse_unless_downloadable(
    session: Session, clock: Clock, actor: Actor, context: Context, export: Export
) -> None:
    """Record and raise why `export` cannot be downloaded now, if it cannot."""
    problem = download_problem(
        clock.now(),
        state=export.state,
        expires_at=export.link_expires_at,
        downloads_left=export.downloads_left,
        revoked=export.revoked_at is not None,
        shredded=export.shredded_at is not None,
    )
    if problem:
        record(
            session,
            clock,
            actor,
            Action.DISCLOSE,
            "export.download_refused",
            object_type="export",
            object_id=export.id,
            outcome=Outcome.DENIED,
            context=context,
            details={"why": problem},
        )
        session.commit()
        raise Conflict(problem)


def may_manage(actor: Actor, export: Export) -> bool:
    """The one who made an export, or an approver, manages its delivery."""
    return actor.name == export.created_by or actor.role == Role.APPROVER.value


def deliverable(export: Export) -> bool:
    """Whether the export can still be revoked or given a new link."""
    return export.revoked_at is None and export.shredded_at is None


def _may_manage(actor: Actor, export: Export) -> None:
    if not may_manage(actor, export):
        raise Forbidden(f"export {export.id} is {export.created_by}'s")


def revoke(call: Call, blobs: BlobStore, export_id: int, reason: str) -> Export:
    """Stop an export's delivery: its link refuses, its stored package is shredded."""
    export = get_export(call.session, export_id)
    _may_manage(call.actor, export)
    if export.revoked_at is not None:
        raise Conflict(f"export {export.id} was revoked already")
    if not reason.strip():
        raise InvalidInput("say why the export is revoked", field="reason")
    export.revoked_at, export.revoked_by = call.clock.now(), call.actor.name
    export.revoked_reason = reason.strip()
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "export.revoked",
        object_type="export",
        object_id=export.id,
        details={"reason": export.revoked_reason, "downloads_left": export.downloads_left},
    )
    shredded = _shred(call.session, call.clock, call.actor, export, "revoked")
    call.session.commit()
    if shredded is not None:
        blobs.delete(shredded)
    return export


def shred_used(session: Session, clock: Clock, actor: Actor, blobs: BlobStore) -> int:
    """Shred every stored package whose link is used up or expired; how many were."""
    now, shredded = clock.now(), []
    for export in session.scalars(
        sa.select(Export).where(Export.shredded_at.is_(None), Export.blob_key != "")
    ):
        if to_shred(
            now,
            expires_at=export.link_expires_at,
            downloads_left=export.downloads_left,
            revoked=export.revoked_at is not None,
        ):
            blob = _shred(session, clock, actor, export, "used or expired")
            if blob is not None:
                shredded.append(blob)
    session.commit()
    blobs.delete_many(shredded)
    return len(shredded)


def _shred(session: Session, clock: Clock, actor: Actor, export: Export, why: str) -> str | None:
    """Destroy the stored package's key, in the caller's transaction; the key of the blob of
    ciphertext to delete once it commits (a copy left anywhere is noise), if there is one."""
    if export.shredded_at is not None or not export.blob_key:
        return None
    export.wrapped_key, export.nonce = None, None
    export.shredded_at = clock.now()
    record(
        session,
        clock,
        actor,
        Action.ERASE,
        "export.shredded",
        object_type="export",
        object_id=export.id,
        details={"why": why, "package_sha256": export.package_sha256},
    )
    return export.blob_key
