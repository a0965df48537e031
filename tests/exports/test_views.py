"""The recipients API: the DPO keeps the list, investigators and approvers read it, nobody
else sees it; and the keys a package is checked with, published for anyone."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access.models import Grant
from custos.clock import FrozenClock
from custos.exports import package, views
from custos.permissions import Role
from custos.runtime import Runtime
from custos.storage.certificates import ROOT_CERT, create_content_identity
from custos.storage.keys import create_signing_key, load_signing_key
from helpers import bearer

from .conftest import Scene


def test_the_dpo_keeps_the_list_and_those_who_export_read_it(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    court = {"name": "Judge A", "organisation": "Almaty City Court", "role": "court"}
    for role in (Role.INVESTIGATOR, Role.APPROVER, Role.ADMIN, Role.OPERATOR, Role.AUDITOR):
        answer = client.post("/api/recipients", headers=bearer(tokens[role]), json=court)
        assert answer.status_code == 403, role
    added = client.post("/api/recipients", headers=bearer(tokens[Role.DPO]), json=court)
    assert added.status_code == 201, added.text
    recipient = added.json()
    assert (recipient["role"], recipient["retired_at"]) == ("court", None)
    no_organisation = client.post(
        "/api/recipients",
        headers=bearer(tokens[Role.DPO]),
        json={"name": "Counsel C", "role": "defence"},
    )
    assert no_organisation.status_code == 422
    assert "organisation of the defence counsel" in no_organisation.json()["detail"]
    for role in (Role.INVESTIGATOR, Role.APPROVER, Role.DPO):
        listed = client.get("/api/recipients", headers=bearer(tokens[role]))
        assert [r["name"] for r in listed.json()] == ["Judge A"], role
    for role in (Role.ADMIN, Role.OPERATOR, Role.AUDITOR):
        assert client.get("/api/recipients", headers=bearer(tokens[role])).status_code == 403
    retired = client.post(
        f"/api/recipients/{recipient['id']}/retire",
        headers=bearer(tokens[Role.DPO]),
        json={"reason": "moved court"},
    )
    assert retired.status_code == 200
    assert client.get("/api/recipients", headers=bearer(tokens[Role.DPO])).json() == []
    everyone = client.get("/api/recipients?retired=true", headers=bearer(tokens[Role.DPO]))
    assert [r["retired_reason"] for r in everyone.json()] == ["moved court"]


def test_the_keys_a_package_is_checked_with_are_published(
    client: TestClient, runtime: Runtime, db: Session
) -> None:
    assert client.get("/transparency/export-key").status_code == 404  # before custos init
    assert client.get("/transparency/content-root.pem").status_code == 404
    settings = runtime.settings
    create_content_identity(settings.content_keys_dir, "City of Almaty", dt.datetime.now(dt.UTC))
    create_signing_key(settings.export_key_path)
    published = client.get("/transparency/export-key")
    assert published.status_code == 200
    signer = package.export_signer(db, load_signing_key(settings.export_key_path))
    assert published.text == signer.verifier.vkey() + "\n"
    assert signer.verifier.name == client.get("/transparency/key").text.split("+")[0] + "/exports"
    root = client.get("/transparency/content-root.pem")
    assert root.text == (settings.content_keys_dir / ROOT_CERT).read_text()


def test_an_investigator_exports_from_the_api_and_the_court_downloads_once(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    court: int,
    make_user: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "in_background", lambda job: job())  # the package, at once
    ivan = bearer(make_user(Role.INVESTIGATOR, "ivan")[1])
    approved = grant({"export": True})
    url = f"/api/grants/{approved.id}/windows/{approved.windows[0].id}/exports"
    made = client.post(url, headers=ivan, json={"recipient": court, "to_s": 15})
    assert made.status_code == 202, made.text
    export = made.json()
    assert export["link"].startswith("/exports/download/exp_")
    db.expire_all()
    shown = client.get(f"/api/exports/{export['id']}", headers=ivan).json()
    assert (shown["state"], shown["downloads_left"]) == ("ready", 1)
    assert "link" not in shown  # shown once, when it was made
    listed = client.get(f"/api/cases/{scene.case_id}/exports", headers=ivan).json()
    assert [e["id"] for e in listed] == [export["id"]]

    got = client.get(export["link"])  # the court: no account
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        assert f"custos-export-{export['id']}/manifest.json" in archive.namelist()
    again = client.get(export["link"])
    assert again.status_code == 409
    assert "used as many times" in again.json()["detail"]
    assert client.get("/exports/download/exp_nothing").status_code == 404

    stranger = bearer(make_user(Role.INVESTIGATOR)[1])  # not a member of the case
    assert client.get(f"/api/exports/{export['id']}", headers=stranger).status_code == 404
    revoked = client.post(
        f"/api/exports/{export['id']}/revoke", headers=ivan, json={"reason": "wrong court"}
    )
    assert revoked.status_code == 200
    assert revoked.json()["shredded_at"] is not None


def test_a_package_of_several_ranges_and_a_new_link_from_the_api(
    client: TestClient,
    db: Session,
    identity: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    court: int,
    make_user: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "in_background", lambda job: job())
    ivan = bearer(make_user(Role.INVESTIGATOR, "ivan")[1])
    approved = grant({"export": True})
    window = approved.windows[0].id
    url = f"/api/grants/{approved.id}/exports"
    overlapping = [{"window": window, "to_s": 12}, {"window": window, "from_s": 10}]
    refused = client.post(url, headers=ivan, json={"recipient": court, "ranges": overlapping})
    assert refused.status_code == 422
    assert "overlap" in refused.text
    assert (
        client.post(url, headers=ivan, json={"recipient": court, "ranges": []}).status_code == 422
    )
    ranges = [{"window": window, "from_s": 18, "to_s": 25}, {"window": window, "to_s": 5}]
    made = client.post(url, headers=ivan, json={"recipient": court, "ranges": ranges})
    assert made.status_code == 202, made.text
    export = made.json()
    assert [(r["window_id"], r["camera"]) for r in export["ranges"]] == [(window, "hall")] * 2
    db.expire_all()
    assert client.get(f"/api/exports/{export['id']}", headers=ivan).json()["state"] == "ready"
    with zipfile.ZipFile(io.BytesIO(client.get(export["link"]).content)) as archive:
        videos = sorted(n.split("/", 1)[1] for n in archive.namelist() if "/video/" in n)
    assert [v[:9] for v in videos] == ["video/01-", "video/02-"]

    renewed = client.post(
        f"/api/exports/{export['id']}/link", headers=ivan, json={"days": 2, "downloads": 2}
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["downloads_left"] == 2
    assert client.get(export["link"]).status_code == 404  # the first link stops working
    assert client.get(renewed.json()["link"]).status_code == 200
    bad_terms = client.post(f"/api/exports/{export['id']}/link", headers=ivan, json={"days": 90})
    assert bad_terms.status_code == 422
