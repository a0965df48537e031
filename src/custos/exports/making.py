"""Making an export's package, after its disclosure is recorded: the masked video, its content
credentials, the manifest, and the seal (`package.py`).

Nothing holds a transaction open while the video is rendered: each piece is checked and
loaded in a short one (the grant must still be live), and the export's row is written when the
package is sealed, or marked failed with the reason.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit import checkpoint as checkpoints
from custos.audit.note import NoteSigner
from custos.cases import service as cases
from custos.context import Actor
from custos.errors import Conflict, NotInitialised
from custos.exports import package
from custos.exports.credentials import MaskedRange, SourceSegment, definition, sign_video
from custos.exports.custody import (
    CUSTODY_FILE,
    CUSTODY_PDF,
    custody_entries,
    custody_page,
    custody_pdf,
)
from custos.exports.models import Export
from custos.exports.policy import ROLE_NAMES, ExportState
from custos.exports.readme import README_FILE, readme
from custos.exports.service import get_export, get_recipient
from custos.prepared.service import REVIEW_OPTIONS
from custos.recording import service as recording
from custos.runtime import Runtime
from custos.storage.certificates import ContentSigner, load_content_signer
from custos.storage.keys import load_signing_key

FORMAT = "custos-export/1"


def export_key(session: Session, runtime: Runtime) -> NoteSigner:
    """The key that signs manifests; NotInitialised for a data folder from before exports.

    It reads the log's name through `session`: a caller in a transaction passes its own (on
    SQLite a second session would wait for the first one's lock)."""
    return package.export_signer(session, load_signing_key(runtime.settings.export_key_path))


def make_package(
    runtime: Runtime,
    actor: Actor,
    export_id: int,
    plans: Sequence[access.StreamPlan],
    out: Path,
) -> Export:
    """Render, sign and seal export `export_id` (one video per plan, in its ranges' order) into
    the new folder `out`."""
    if out.exists():
        raise Conflict(f"{out} exists: a package is made in a new folder")
    try:
        content = load_content_signer(runtime.settings.content_keys_dir)
        with runtime.sessions() as session:
            manifest_signer = export_key(session, runtime)
            manifest = _manifest(session, export_id)
    except NotInitialised as error:
        _failed(runtime, export_id, str(error))
        raise
    player = access.Player(
        runtime.sessions,
        runtime.clock,
        actor,
        runtime.policy.profile,
        runtime.sealer,
        runtime.blobs,
        runtime.detectors,
    )
    building = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        (building / "video").mkdir()
        sources: dict[str, dict[str, Any]] = {}
        for number, (plan, span) in enumerate(zip(plans, manifest["ranges"], strict=True), 1):
            video = _video(runtime, player, content, plan, span, building, number)
            for source in video.pop("sources"):
                sources.setdefault(source["id"], source)
            span.update(video)
        manifest["sources"] = list(sources.values())
        videos = {
            path.relative_to(building).as_posix(): package.sha256_of(path)
            for path in (building / "video").iterdir()
        }
        with runtime.sessions() as session:
            custody = custody_entries(
                session,
                case_ref=manifest["case"]["reference"],
                grant_ref=manifest["grant"]["reference"],
                request_id=manifest["grant"]["request"],
                sealing=[source["sealing_entry"] for source in sources.values()],
            )
        grant_ref = manifest["grant"]["reference"]
        title = f"Chain of custody: export {export_id} of grant {grant_ref}"
        (building / CUSTODY_FILE).write_text(custody_page(title, custody))
        (building / CUSTODY_PDF).write_bytes(custody_pdf(title, custody))
        (building / README_FILE).write_text(readme(manifest))
        with runtime.sessions() as session:
            export = get_export(session, export_id)
            log_signer = checkpoints.log_signer(session, runtime.log_key)
            written = package.seal(
                session,
                runtime.clock,
                building,
                manifest,
                entries=[
                    export.entry_seq,
                    *(s["sealing_entry"] for s in manifest["sources"]),
                    *(entry.seq for entry in custody),
                ],
                log_signer=log_signer,
                manifest_signer=manifest_signer,
                root_pem=content.root_pem,
                hashed=videos,
            )
            building.rename(out)
            export.state = ExportState.READY
            export.folder = str(out.resolve())
            sealed_manifest = (out / "manifest.json").read_bytes()
            export.manifest_sha256 = hashlib.sha256(sealed_manifest).hexdigest()
            export.finished_at = runtime.clock.now()
            session.commit()
            assert written["export"]["id"] == export.id
            return export
    except Exception as error:
        shutil.rmtree(building, ignore_errors=True)
        _failed(runtime, export_id, f"{type(error).__name__}: {error}")
        raise


def _video(
    runtime: Runtime,
    player: access.Player,
    content: ContentSigner,
    plan: access.StreamPlan,
    span: dict[str, Any],
    building: Path,
    number: int,
) -> dict[str, Any]:
    """Render one range into `building/video/`, signed; what the manifest says of it."""
    with tempfile.TemporaryDirectory() as work:
        fragmented, plain = Path(work) / "stream.mp4", Path(work) / "plain.mp4"
        with fragmented.open("wb") as sink:
            tracks = access.render_export(player, plan, sink)
        rate = _faststart(fragmented, plain)
        with runtime.sessions() as session:
            # Footage of the last minutes is named in the log now, so the package can cite it.
            recording.collect_now(
                session, runtime.clock, recording.recorder_actor(), [p.segment for p in plan.pieces]
            )
        with runtime.sessions() as session:
            sources, listed = _sources(session, plan)
            links = [
                {
                    "person": link.person,
                    "track": link.track,
                    "reason": link.reason,
                    "by": link.linked_by,
                }
                for link in access.links_of(session, plan.grant_id)
                if link.window_id == plan.window_id and link.removed_at is None
            ]
        name = f"video/{number:02d}-{plan.camera}-{span['from'][:19].replace(':', '')}.mp4"
        masked = [
            MaskedRange(t.first_frame / rate, (t.last_frame + 1) / rate, f"{t.kind} #{t.track}")
            for t in tracks.values()
            if not t.visible
        ]
        sign_video(
            content,
            plain,
            building / name,
            definition(name, sources, masked, processing()),
        )
    return {
        "file": name,
        "segments": [source["id"] for source in listed],
        "masked_tracks": sorted(t for t, r in tracks.items() if not r.visible),
        "visible_persons": links,
        "sources": listed,
    }


def _failed(runtime: Runtime, export_id: int, problem: str) -> None:
    with runtime.sessions() as session:
        export = get_export(session, export_id)
        export.state, export.problem = ExportState.FAILED, problem[:2000]
        export.finished_at = runtime.clock.now()
        session.commit()


def _faststart(fragmented: Path, plain: Path) -> float:
    """Remux the stream into a plain MP4 with its index first; returns its frame rate."""
    with av.open(str(fragmented)) as source:
        video = source.streams.video[0]
        rate = float(video.average_rate or 25)
        with av.open(str(plain), "w", format="mp4", options={"movflags": "+faststart"}) as target:
            stream = target.add_stream_from_template(video)
            for packet in source.demux(video):
                if packet.dts is None:
                    continue
                packet.stream = stream
                target.mux(packet)
    return rate


def _sources(
    session: Session, plan: access.StreamPlan
) -> tuple[list[SourceSegment], list[dict[str, Any]]]:
    """The sealed segments a plan renders, each with the position of the entry naming it."""
    sources, listed = [], []
    for piece in plan.pieces:
        segment, camera = recording.get_segment(session, piece.segment)
        entry = recording.collection_entry(session, segment)
        if entry is None:
            raise Conflict(f"segment {segment.id} has no collection entry in the audit log")
        source = SourceSegment(
            segment.id,
            camera,
            segment.started_at.isoformat(),
            segment.ended_at.isoformat(),
            segment.digest,
        )
        sources.append(source)
        listed.append(
            {
                "id": segment.id,
                "camera": camera,
                "start": source.start,
                "end": source.end,
                "ciphertext_digest": segment.digest,
                "sealing_entry": entry,
            }
        )
    return sources, listed


def processing() -> dict[str, Any]:
    """How the videos are masked: the review's detectors and settings."""
    options = REVIEW_OPTIONS
    return {
        "detector": "CenterFace (faces), plate finder (plates)",
        "kinds": sorted(options.kinds),
        "detect_size": options.detect_size,
        "detect_every": options.detect_every,
        "face_threshold": options.face_threshold,
        "look": str(options.look.style),
    }


def _manifest(session: Session, export_id: int) -> dict[str, Any]:
    """The export's record; its videos and sources are added as they are made."""
    export = get_export(session, export_id)
    recipient = get_recipient(session, export.recipient_id)
    grant = access.get_grant(session, export.grant_id)
    asked = access.get_request(session, grant.request_id)
    case = cases.get_case_by_id(session, export.case_id)
    return {
        "format": FORMAT,
        "export": {
            "id": export.id,
            "made_at": export.created_at.isoformat(),
            "made_by": export.created_by,
            "from": export.starts_at.isoformat(),
            "to": export.ends_at.isoformat(),
        },
        "case": {"reference": case.reference, "legal_basis": case.legal_basis},
        "grant": {
            "reference": grant.reference,
            "request": asked.id,
            "requested_by": asked.requested_by,
            "approved_by": grant.granted_by,
            "approved_at": grant.granted_at.isoformat(),
            "purpose": asked.purpose,
            "justification": asked.justification,
        },
        "recipient": {
            "id": recipient.id,
            "name": recipient.name,
            "organisation": recipient.organisation,
            "role": ROLE_NAMES[recipient.role],
        },
        "ranges": [
            {
                "window": span.window_id,
                "camera": span.camera,
                "from": span.starts_at.isoformat(),
                "to": span.ends_at.isoformat(),
            }
            for span in export.ranges
        ],
        "sources": [],
        "processing": processing(),
        "audit": {"export_entry": export.entry_seq},
    }
