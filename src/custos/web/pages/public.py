"""Public pages, for anyone without signing in: the policy in force as a person reads it, the
camera register with its map, the record of processing, and the transparency figures."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from custos.access.policy import GrantState, RequestStatus
from custos.audit import checkpoint as checkpoints
from custos.breaches.policy import CATEGORIES
from custos.cameras.policy import CameraStatus, SensitivityTag
from custos.cases.policy import CaseStatus, PersonRole
from custos.deps import PUBLIC, DbSession, RuntimeDep
from custos.devices.policy import CATEGORY_NAMES as DEVICE_CATEGORIES
from custos.dpia.policy import Standing
from custos.errors import Conflict, NotFound
from custos.exports.policy import ROLE_NAMES, ExportState
from custos.register.policy import CATEGORY_TITLES, WITHHELD_TITLES, MapBox, map_box
from custos.register.record import WORDING
from custos.register.service import Register
from custos.register.views import current, record_now
from custos.retention.views import published_policy
from custos.subjects.policy import CHANNEL_NAMES
from custos.subjects.policy import Status as SubjectStatus
from custos.transparency import views as transparency_views
from custos.transparency.policy import FIGURES
from custos.web import i18n
from custos.web.i18n import gettext, ngettext, number
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

DATA_TERMS: tuple[str, ...] = (
    *CATEGORY_TITLES.values(),
    *WITHHELD_TITLES.values(),
    *(figure.title for figure in FIGURES),
    *(status.value for status in CameraStatus),
    *(tag.value for tag in SensitivityTag),
    *(standing.value for standing in Standing),
    *(role.value for role in PersonRole),
    *(status.value for status in CaseStatus),
    *(status.value for status in RequestStatus),
    *(state.value for state in GrantState),
    *(state.value for state in ExportState),
    *CATEGORIES.values(),
    *(status.value for status in SubjectStatus),
    *CHANNEL_NAMES.values(),
    *DEVICE_CATEGORIES.values(),
    *ROLE_NAMES.values(),
    *WORDING,
)
"""Words from the data that pages show translated (the `t` filter): the catalogues
carry them beside the templates' own messages (`make messages`)."""


def wants_page(request: Request) -> bool:
    """Whether the client asks for a page (a browser) rather than JSON (a machine)."""
    accept = request.headers.get("accept", "")
    html, json = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json < 0 or html < json)


def days(value: float) -> str:
    """A number of days as a person reads it, in the page's language: '30 days',
    '2,557 days (7 years)', '1.5 days'."""
    whole = round(value)
    count = whole if value == whole else 2  # a fraction reads as a plural
    text = ngettext("%(num)s day", "%(num)s days", count) % {"num": number(value)}
    years = round(value / 365.25)
    if years >= 1 and abs(value / 365.25 - years) < 0.01:
        text += " (" + ngettext("%(num)s year", "%(num)s years", years) % {"num": years} + ")"
    return text


def hours(value: float) -> str:
    """A number of hours: '72 h', '1.5 h'."""
    return gettext("%(num)s h") % {"num": number(value)}


@router.get("/language/{code}", dependencies=[PUBLIC])
def choose_language(request: Request, runtime: RuntimeDep, code: str) -> Response:
    """The header's language switch: remember `code` and go back to the page it was made from.
    The same link on every page, so a page does not depend on where it was reached."""
    if code not in i18n.LANGUAGES:
        raise NotFound(f"no language '{code}': {', '.join(i18n.LANGUAGES)}")
    response = RedirectResponse(i18n.back_to(request), status_code=303)
    i18n.keep(response, code, runtime.settings.cookie_secure)
    return response


@router.get("/policy", dependencies=[PUBLIC])
def policy(request: Request, runtime: RuntimeDep, format: str = "") -> Response:
    """The policy in force: a page for people, the same JSON as before for machines (and for
    `?format=json`)."""
    if format == "json" or not wants_page(request):
        return JSONResponse(published_policy(runtime).model_dump(mode="json"))
    return render(
        request, "policy.html", principal=None, loaded=runtime.policy, days=days, hours=hours
    )


@dataclass(frozen=True)
class _Point:
    name: str
    purpose: str
    x: float
    y: float
    colour: str


@dataclass(frozen=True)
class _Map:
    box: MapBox
    points: list[_Point]
    grid: list[tuple[float, float, float, float]]
    labels: list[tuple[float, float, str]]
    step: float


def _map(found: Register) -> _Map | None:
    """The register's cameras drawn on a plain grid of latitude and longitude."""
    placed = [e for e in found.entries if e.latitude is not None and e.longitude is not None]
    box = map_box((e.latitude, e.longitude) for e in placed)  # type: ignore[misc]
    if box is None:
        return None
    span = max(box.north - box.south, box.east - box.west)
    step = next(s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
                if span / s <= 8)  # fmt: skip
    grid, labels = [], []
    latitude = math.ceil(box.south / step) * step
    while latitude < box.north:
        _, y = box.project(latitude, box.west)
        grid.append((0.0, y, float(box.width), y))
        labels.append((4.0, y - 3, f"{latitude:.3f}°"))
        latitude += step
    longitude = math.ceil(box.west / step) * step
    while longitude < box.east:
        x, _ = box.project(box.south, longitude)
        grid.append((x, 0.0, x, float(box.height)))
        labels.append((x + 3, float(box.height) - 4, f"{longitude:.3f}°"))
        longitude += step
    points = []
    for e in placed:
        x, y = box.project(e.latitude, e.longitude)  # type: ignore[arg-type]
        points.append(_Point(e.camera, e.purpose, x, y, "#c0392b" if e.sensitive else "#1f5fa8"))
    return _Map(box, points, grid, labels, step)


@router.get("/register", dependencies=[PUBLIC])
def register_page(request: Request, db: DbSession, runtime: RuntimeDep) -> Response:
    """The public camera register: a map drawn on the server, the table, the downloads."""
    found = current(db, runtime)
    titles = {w.value: title for w, title in WITHHELD_TITLES.items()}
    return render(
        request,
        "register.html",
        principal=None,
        entries=found.entries,
        withheld=[(titles[reason], count) for reason, count in found.withheld.items()],
        map=_map(found),
        grid_m=round(found.grid_degrees * 111_000 / 2),
        days=days,
    )


@router.get("/processing-record", dependencies=[PUBLIC])
def processing_record_page(request: Request, db: DbSession, runtime: RuntimeDep) -> Response:
    """The record of processing activities, as a page."""
    return render(
        request, "processing_record.html", principal=None, record=record_now(db, runtime), days=days
    )


@dataclass(frozen=True)
class _Bar:
    month: str
    label: str
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class _Chart:
    key: str
    title: str
    bars: list[_Bar]
    width: int
    height: int
    bar_width: float


def _chart(key: str, title: str, months: list[str], shown: dict[str, dict[str, str]]) -> _Chart:
    """One figure's bars per month; a count hidden as '< k' is drawn at half of k."""
    values = []
    for month in months:
        label = shown.get(month, {}).get(key, "0")
        number = float(label[2:]) / 2 if label.startswith("< ") else float(label)
        values.append((month, label, number))
    top = max((v for _, _, v in values), default=0) or 1
    width, height, slot = 360, 120, 360 / max(len(values), 1)
    bars = [
        _Bar(
            month,
            label,
            index * slot + slot * 0.2,
            height - 20 - number / top * (height - 40),
            number / top * (height - 40),
        )
        for index, (month, label, number) in enumerate(values)
    ]
    return _Chart(key, title, bars, width, height, slot * 0.6)


@router.get("/transparency/", dependencies=[PUBLIC])
def transparency_page(request: Request, runtime: RuntimeDep) -> Response:
    """How anyone verifies the audit log, and the monthly figures recomputed from it."""
    try:
        found = transparency_views.public(transparency_views.computed(runtime), runtime)
    except Conflict:
        found = None
    charts, months = [], []
    if found is not None:
        shown: dict[str, dict[str, str]] = found["figures"]  # type: ignore[assignment]
        months = sorted(shown)
        charts = [_chart(f.key, f.title, months, shown) for f in FIGURES]
    breakdowns = sorted(
        {key for month in months for key in shown[month] if ":" in key} if found else set()
    )
    return render(
        request,
        "transparency.html",
        principal=None,
        found=found,
        charts=charts,
        months=months,
        breakdowns=breakdowns,
    )


@router.get("/transparency/receipt", dependencies=[PUBLIC])
def receipt_check(
    request: Request,
    db: DbSession,
    entry: Annotated[str, Query(max_length=20)] = "",
    leaf: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Was my inspection registered? Given a receipt's entry and leaf hash, whether the signed
    log holds that entry with that hash, and its inclusion proof; nothing else of the entry."""
    asked = bool(entry or leaf)
    digest = _digest(leaf)
    proved = None
    if entry.strip().isdigit() and digest is not None:
        proved = checkpoints.prove_leaf(db, int(entry), digest)
    return render(
        request,
        "transparency_receipt.html",
        principal=None,
        asked=asked,
        entry=entry,
        leaf=leaf,
        proved=proved,
        b64=lambda value: base64.b64encode(value).decode(),
    )


def _digest(text: str) -> bytes | None:
    """A SHA-256 hash as a receipt writes it (base64, URL-safe or not, padded or not)."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        digest = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except ValueError:
        return None
    return digest if len(digest) == 32 else None
