"""An export from a live grant that allows it: a disclose entry naming the recipient before
anything is rendered, then a sealed package whose video is masked, carries trusted content
credentials, and verifies offline with the package's own verifier."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import av
import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import AccessRequest, Grant
from custos.access.policy import Window
from custos.clock import FrozenClock
from custos.errors import Conflict, Forbidden, InvalidInput
from custos.exports import making, service, verifier
from custos.exports.credentials import read_credentials
from custos.exports.policy import ExportState, Span
from custos.jobs import prepare_once
from custos.recording.media import SegmentFile
from custos.redaction.detectors import CenterFace
from custos.runtime import Runtime
from helpers import APPROVER, INVESTIGATOR, audit_events, call_of

from .conftest import Scene


def _top_boxes(data: bytes) -> list[str]:
    """The types of an MP4's top-level boxes, in order."""
    boxes, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        boxes.append(kind)
        if size < 8:
            break
        at += size
    return boxes


def test_an_export_is_disclosed_then_sealed_and_verifies_offline(
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
    window = approved.windows[0]
    key_id = making.export_key(db, runtime).verifier.key_id.hex()
    export, plans = service.start_export(
        call_of(db, clock, INVESTIGATOR),
        runtime.sealer,
        grant_id=approved.id,
        spans=[Span(window.id, 5, 25)],
        recipient_id=court,
        export_key_id=key_id,
    )
    (entry,) = audit_events(db, event="export.created")
    assert (entry.action, entry.recipient) == ("disclose", "Judge A, court, Almaty City Court")
    assert entry.details["export_key_id"] == key_id
    assert export.state is ExportState.MAKING

    out = tmp_path / "package"
    made = making.make_package(runtime, INVESTIGATOR, export.id, plans, out)
    assert made.state is ExportState.READY
    assert verifier.verify_package(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["recipient"]["name"] == "Judge A"
    # Segments of 2 s every 10 s: seconds 5 to 25 hold the second and the third.
    assert [s["id"] for s in manifest["sources"]] == scene.segments[1:]
    custody = (out / "custody.html").read_text()
    for what in ("sealed", "requested", "approved", "exported"):
        assert f"<td>{what}</td>" in custody, what
    printed = "".join(page.extract_text() for page in PdfReader(out / "custody.pdf").pages)
    printed = printed.replace("\n", "")  # cells wrap
    assert f"Chain of custody: export {export.id}" in printed
    assert "recording.segments_collected" in printed
    assert "export.created" in printed
    readme = (out / "README.txt").read_text()
    assert "For:            Judge A, Almaty City Court (court)" in readme
    assert "python3 verify_package.py ." in readme
    proven = {p["index"] for p in json.loads((out / "audit/proofs.json").read_text())["entries"]}
    assert entry.seq in proven
    assert len(proven) >= 4  # the collection of both segments, request, approval, export
    (video,) = (out / "video").iterdir()
    credentials = read_credentials(video, (out / "keys/content-root.pem").read_bytes())
    assert credentials.state == "Trusted", credentials.failures
    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert frames
    finder = CenterFace(threshold=0.3)
    assert all(finder.detect(frame) == [] for frame in frames)  # the face masked throughout
    boxes = _top_boxes(video.read_bytes())
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # fast start: the index first
    assert "moof" not in boxes  # not fragmented


def test_only_a_grant_that_allows_export_exports(
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    court: int,
) -> None:
    approved = grant({"export": True}, export=False)
    with pytest.raises(Forbidden, match="does not allow export"):
        service.start_export(
            call_of(db, clock, INVESTIGATOR),
            identity.sealer,
            grant_id=approved.id,
            spans=[Span(approved.windows[0].id, None, None)],
            recipient_id=court,
            export_key_id="00",
        )
    (refused,) = audit_events(db, event="footage.refused")
    assert refused.details["why"].endswith("does not allow export")
    allowed = grant({"export": True})
    service.retire_recipient(call_of(db, clock), court, "moved")
    with pytest.raises(Conflict, match="retired"):
        service.start_export(
            call_of(db, clock, INVESTIGATOR),
            identity.sealer,
            grant_id=allowed.id,
            spans=[Span(allowed.windows[0].id, None, None)],
            recipient_id=court,
            export_key_id="00",
        )
    assert audit_events(db, event="export.created") == []


def test_several_ranges_go_in_one_package_one_video_each(
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
    window = approved.windows[0].id
    ivan = call_of(db, clock, INVESTIGATOR)
    with pytest.raises(InvalidInput, match="overlap"):
        service.start_export(
            ivan,
            runtime.sealer,
            grant_id=approved.id,
            spans=[Span(window, 0, 12), Span(window, 10, 25)],
            recipient_id=court,
            export_key_id="00",
        )
    assert audit_events(db, event="export.created") == []
    key_id = making.export_key(db, runtime).verifier.key_id.hex()
    # Segments of 2 s every 10 s: the first range holds the first, the second the third.
    export, plans = service.start_export(
        ivan,
        runtime.sealer,
        grant_id=approved.id,
        spans=[Span(window, 18, 25), Span(window, 0, 5)],
        recipient_id=court,
        export_key_id=key_id,
    )
    (entry,) = audit_events(db, event="export.created")
    assert [r["from"] for r in entry.details["ranges"]] == [
        (scene.start + timedelta(seconds=s)).isoformat() for s in (18, 0)
    ]
    assert entry.details["segments"] == [scene.segments[2], scene.segments[0]]
    out = tmp_path / "package"
    making.make_package(runtime, INVESTIGATOR, export.id, plans, out)
    assert verifier.verify_package(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["segments"] for r in manifest["ranges"]] == [[scene.segments[2]], [scene.segments[0]]]
    assert [s["id"] for s in manifest["sources"]] == [scene.segments[2], scene.segments[0]]
    files = [r["file"] for r in manifest["ranges"]]
    assert files[0].startswith("video/01-hall-")
    assert files[1].startswith("video/02-hall-")
    assert sorted(p.relative_to(out).as_posix() for p in (out / "video").iterdir()) == sorted(files)
    root = (out / "keys/content-root.pem").read_bytes()
    for name in files:
        assert read_credentials(out / name, root).state == "Trusted"
    assert (manifest["export"]["from"], manifest["export"]["to"]) == (
        scene.start.isoformat(),
        (scene.start + timedelta(seconds=25)).isoformat(),
    )


def test_a_person_the_grant_made_visible_is_shown_and_everyone_else_masked(
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    scene: Scene,
    archive: Callable[..., list[str]],
    file: Callable[..., AccessRequest],
    two_people: SegmentFile,
    court: int,
    tmp_path: Path,
) -> None:
    """Two people side by side in the lobby; P1, on the left, linked with a reason: the
    export shows that face and no other, and the manifest names the link."""
    runtime = identity
    start = scene.start + timedelta(minutes=5)
    archive("lobby", start, 3, spacing=timedelta(seconds=2), content=two_people)
    filed = file(
        [Window("lobby", start, start + timedelta(seconds=6))], identification=True, export=True
    )
    approved = access.approve(call_of(db, clock, APPROVER), filed.id)
    while prepare_once(runtime, "test-worker"):
        pass
    ivan = call_of(db, clock, INVESTIGATOR)
    window = approved.windows[0].id
    tracks = access.window_tracks(ivan, runtime.sealer, approved.id, window).tracks.tracks
    faces = [t for t in tracks if t.kind == "face"]
    assert len(faces) == 2
    left = min(faces, key=lambda t: t.box[0])
    reason = "the witness places P1 at the left of the lobby"
    access.link_track(
        ivan, runtime.sealer, approved.id, window, track=left.track, person="P1", reason=reason
    )
    key_id = making.export_key(db, runtime).verifier.key_id.hex()
    export, plans = service.start_export(
        ivan,
        runtime.sealer,
        grant_id=approved.id,
        spans=[Span(window)],
        recipient_id=court,
        export_key_id=key_id,
    )
    out = tmp_path / "package"
    making.make_package(runtime, INVESTIGATOR, export.id, plans, out)
    assert verifier.verify_package(out) == []
    (video,) = json.loads((out / "manifest.json").read_text())["ranges"]
    assert [(p["person"], p["track"], p["reason"]) for p in video["visible_persons"]] == [
        ("P1", left.track, reason)
    ]
    assert left.track not in video["masked_tracks"]
    custody = (out / "custody.html").read_text()
    assert "<td>unmasked</td>" in custody
    with av.open(str(out / video["file"])) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) == 60
    finder = CenterFace(threshold=0.2)  # below the working threshold
    centres = [[(d.box[0] + d.box[2]) / 2 for d in finder.detect(frame)] for frame in frames]
    assert all(any(x < 320 for x in found) for found in centres)  # P1, in every frame
    assert all(x < 320 for found in centres for x in found)  # and no one on the right
