"""The transparency figures: recomputed from the verified log for the page, and from an audit
export offline; both agree, and a changed entry makes the offline recompute refuse."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos import jobs
from custos.access import service as access
from custos.access.models import AccessRequest, Grant
from custos.audit import checkpoint as checkpoints
from custos.audit.verify import ENTRIES_FILE, export_bundle
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.errors import TamperDetected
from custos.runtime import Runtime
from custos.transparency import service
from custos.transparency.policy import published
from helpers import APPROVER, INVESTIGATOR, call_of

from .conftest import Scene

PAGE = {"Accept": "text/html"}


@pytest.fixture
def seeded(
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    scene: Scene,
    file: Callable[..., AccessRequest],
    grant: Callable[..., Grant],
) -> None:
    """Requests granted as asked, narrowed and refused; a person cleared and a case closed
    (their grants revoked); footage erased a day late; a signed checkpoint."""
    grant()
    narrowed = file()
    access.approve(call_of(db, clock, APPROVER), narrowed.id, windows=[scene.window(0, 10)])
    refused = file()
    access.refuse(call_of(db, clock, APPROVER), refused.id, "not necessary for the purpose")
    access.clear_person(call_of(db, clock, INVESTIGATOR), scene.reference, "P1", "alibi holds")
    other = cases.open_case(call_of(db, clock, INVESTIGATOR), "12/2026-0999", "cpc-kz-122", "x")
    cases.add_person(call_of(db, clock, INVESTIGATOR), other.reference, "P2")
    asked = access.file_request(
        call_of(db, clock, INVESTIGATOR), case_id=other.id, windows=[scene.window()],
        persons=["P2"], purpose="p", justification="j", identification=False,
    )  # fmt: skip
    access.approve(call_of(db, clock, APPROVER), asked.id)
    access.close_case(call_of(db, clock, INVESTIGATOR), other.reference, "solved")
    clock.advance(timedelta(days=31))
    jobs.run_retention(runtime)  # a day after the footage was due: late
    checkpoints.sign_checkpoint(db, clock, checkpoints.log_signer(db, runtime.log_key))


def test_the_page_and_the_offline_recompute_give_the_same_figures(
    seeded: None, client: TestClient, db: Session, runtime: Runtime, tmp_path: Path
) -> None:
    online = client.get("/transparency/figures.json").json()
    raw = service.from_log(db, checkpoints.log_signer(db, runtime.log_key).verifier)
    exact: dict[str, float] = {}
    for values in raw.figures.values():  # the seeding may cross a month's end
        for key, value in values.items():
            exact[key] = exact.get(key, 0) + value
    assert [exact[k] for k in ("requests", "granted", "narrowed", "refused")] == [4, 2, 1, 1]
    assert (exact["revoked_cleared"], exact["revoked_closed"]) == (2, 1)  # P1 was in two
    assert exact["erased_late"] == 3
    assert exact["hours_granted"] == pytest.approx(30 / 3600 * 2 + 10 / 3600, abs=0.001)
    assert exact["requests:cpc-kz-199"] == 3
    assert "< 5" in json.dumps(online["figures"])  # small counts hidden

    bundle = tmp_path / "audit"
    export_bundle(db, checkpoints.log_signer(db, runtime.log_key).verifier, bundle)
    offline = service.from_bundle(bundle)
    assert (offline.size, offline.root) == (
        online["checkpoint"]["size"],
        online["checkpoint"]["root"],
    )
    assert published(offline.figures, online["minimum_count"]) == online["figures"]

    page = client.get("/transparency/", headers=PAGE)
    assert page.status_code == 200
    assert f"size {offline.size}" in page.text
    assert 'id="chart-hours_granted"' in page.text

    lines = (bundle / ENTRIES_FILE).read_bytes().split(b"\n")
    index = next(i for i, line in enumerate(lines) if b'"access.refused"' in line)
    lines[index] = lines[index].replace(b"access.refused", b"access.approved")
    (bundle / ENTRIES_FILE).write_bytes(b"\n".join(lines))
    with pytest.raises(TamperDetected, match="does not verify"):
        service.from_bundle(bundle)


def test_no_checkpoint_no_figures(client: TestClient) -> None:
    page = client.get("/transparency/", headers=PAGE)
    assert page.status_code == 200
    assert 'id="no-checkpoint"' in page.text
    assert client.get("/transparency/figures.json").status_code == 409
    assert json.loads(client.get("/transparency/figures.json").text)["error"]


PUBLIC = (
    "/register", "/register.json", "/register.csv", "/register.geojson", "/policy",
    "/processing-record", "/processing-record.json", "/transparency/",
    "/transparency/figures.json", "/transparency/checkpoint", "/transparency/sunsets",
)  # fmt: skip


def test_no_public_page_carries_personal_data(
    seeded: None, client: TestClient, scene: Scene
) -> None:
    """Case references, person labels, the names of those who acted, segment ids: none of
    them in any public answer of a system that holds all of them."""
    secrets = [scene.reference, "12/2026-0999", INVESTIGATOR.name, APPROVER.name, *scene.segments]
    for path in PUBLIC:
        for accept in ("text/html", "application/json"):
            answer = client.get(path, headers={"Accept": accept})
            assert answer.status_code == 200, path
            for secret in secrets:
                assert secret not in answer.text, (path, secret)
        assert '"P1"' not in client.get(path).text
