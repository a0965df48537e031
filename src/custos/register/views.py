"""The public camera register as data: JSON, CSV and GeoJSON (OpenStreetMap's tags), for
anyone, no sign-in."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from custos.deps import PUBLIC, DbSession, RuntimeDep
from custos.register import service
from custos.register.record import processing_record
from custos.register.service import Register

router = APIRouter(tags=["transparency"])

COLUMNS = (
    "camera",
    "operator",
    "category",
    "purpose",
    "region",
    "location",
    "latitude",
    "longitude",
    "status",
    "dpia",
    "dpia_standing",
    "dpia_summary",
    "retention_days",
    "sensitive",
    "signage",
    "contact",
)


def current(db: DbSession, runtime: RuntimeDep) -> Register:
    """The register now."""
    settings = runtime.settings
    contact = settings.public_contact or settings.organisation
    return service.register(db, runtime.policy.profile, runtime.clock.now(), contact)


def as_json(found: Register) -> dict[str, Any]:
    return {
        "at": found.at.isoformat(),
        "grid_degrees": found.grid_degrees,
        "cameras": [entry.as_dict() for entry in found.entries],
        "withheld": found.withheld,
    }


@router.get("/register.json", dependencies=[PUBLIC])
def register_json(db: DbSession, runtime: RuntimeDep) -> JSONResponse:
    """Every camera in service that is not withheld, and how many are withheld for what."""
    return JSONResponse(as_json(current(db, runtime)))


@router.get(
    "/register.csv",
    dependencies=[PUBLIC],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def register_csv(db: DbSession, runtime: RuntimeDep) -> Response:
    """The register as one CSV row per camera."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for entry in current(db, runtime).entries:
        row = entry.as_dict()
        writer.writerow(
            ";".join(row[c]) if c == "sensitive" else ("" if row[c] is None else row[c])
            for c in COLUMNS
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="camera-register.csv"'},
    )


@router.get(
    "/register.geojson",
    dependencies=[PUBLIC],
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def register_geojson(db: DbSession, runtime: RuntimeDep) -> Response:
    """The cameras with a place, as GeoJSON points tagged as OpenStreetMap maps cameras
    (`man_made=surveillance`), at the register's grid."""
    features = []
    for entry in current(db, runtime).entries:
        if entry.latitude is None or entry.longitude is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [entry.longitude, entry.latitude]},
                "properties": {
                    "man_made": "surveillance",
                    "surveillance": "public",
                    "surveillance:type": "camera",
                    "operator": entry.operator,
                    "description": entry.purpose,
                    "name": entry.camera,
                    "ref:dpia": entry.dpia,
                },
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return JSONResponse(collection, media_type="application/geo+json")


def record_now(db: DbSession, runtime: RuntimeDep) -> dict[str, Any]:
    """The record of processing as of now."""
    settings = runtime.settings
    return processing_record(
        db,
        runtime.policy.profile,
        runtime.clock.now(),
        settings.organisation,
        settings.public_contact or settings.organisation,
    )


@router.get("/processing-record.json", dependencies=[PUBLIC])
def processing_record_json(db: DbSession, runtime: RuntimeDep) -> JSONResponse:
    """The record of processing activities (GDPR art. 30, LED art. 24), generated from the
    settings, the policy, the registry, the assessments and the recipients list."""
    return JSONResponse(
        record_now(db, runtime),
        headers={"Content-Disposition": 'attachment; filename="processing-record.json"'},
    )
