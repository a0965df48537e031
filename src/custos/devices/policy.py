"""Pure rules of device inspections during a state of emergency: what a record must hold, and
how long the data copied from a device is kept. No I/O.

Inside a declared regime, an officer may examine a person's phone or other device. The
register records that it happened and what it reached — never what the device holds: a
description of the device, the categories of data examined and those copied, the legal
basis, the officer, when and where, the person by their pseudonym in the case. What was copied
is kept sealed like footage, under the same retention: the policy's default period, longer
only where the inspection shows an offence, nothing erased while a legal hold on the case
lasts, and erased at the regime's sunset otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DataCategory(StrEnum):
    """Kinds of data on a device, as examined or copied."""

    CONTACTS = "contacts"
    MESSAGES = "messages"
    CALLS = "calls"
    PHOTOS = "photos"
    VIDEOS = "videos"
    LOCATIONS = "locations"
    BROWSING = "browsing"
    DOCUMENTS = "documents"
    ACCOUNTS = "accounts"


CATEGORY_NAMES: dict[str, str] = {
    DataCategory.CONTACTS: "contacts",
    DataCategory.MESSAGES: "messages",
    DataCategory.CALLS: "call log",
    DataCategory.PHOTOS: "photos",
    DataCategory.VIDEOS: "videos",
    DataCategory.LOCATIONS: "location history",
    DataCategory.BROWSING: "browsing history",
    DataCategory.DOCUMENTS: "documents",
    DataCategory.ACCOUNTS: "accounts and apps",
}
"""Each category as a person reads it."""


@dataclass(frozen=True)
class Inspection:
    """What an inspection record says."""

    legal_basis: str
    officer: str
    inspected_at: datetime
    region: str
    place: str
    device: str
    examined: Sequence[str]
    copied: Sequence[str]
    person: str


@dataclass(frozen=True)
class Regime:
    """The state of emergency an inspection is recorded under: its regions and window."""

    id: int
    regions: Collection[str]
    start: datetime
    end: datetime | None


def record_problem(
    inspection: Inspection, regime: Regime, persons: Collection[str], now: datetime
) -> tuple[str, str] | None:
    """Why an inspection cannot be recorded as given under `regime` in a case whose persons
    (not cleared) are `persons`: (field, message), or None."""
    if not inspection.legal_basis.strip():
        return "legal_basis", "name the legal basis of the inspection"
    if not inspection.officer.strip():
        return "officer", "name the officer who inspected the device"
    if inspection.inspected_at > now:
        return "inspected_at", "an inspection is recorded after it happened, not before"
    ended = regime.end is not None and inspection.inspected_at >= regime.end
    if inspection.inspected_at < regime.start or ended:
        return "inspected_at", f"the inspection was not during state of emergency {regime.id}"
    if inspection.region not in regime.regions:
        return "region", (
            f"state of emergency {regime.id} covers {', '.join(sorted(regime.regions))}, "
            f"not {inspection.region or 'no region'}"
        )
    if not inspection.place.strip():
        return "place", "say where the device was inspected"
    if not inspection.device.strip():
        return "device", "describe the device (make, model, colour), never what it holds"
    unknown = sorted(set(inspection.examined) - set(DataCategory))
    if unknown or not inspection.examined:
        return "examined", "choose the categories of data examined: " + ", ".join(DataCategory)
    if not set(inspection.copied) <= set(inspection.examined):
        return "copied", "only data that was examined can have been copied"
    if inspection.person not in persons:
        return "person", f"'{inspection.person}' is not a person of the case"
    return None


def copy_expiry(
    inspected_at: datetime,
    regime_end: datetime | None,
    offence: bool,
    held: bool,
    default: timedelta,
    incident: timedelta,
    grace: timedelta,
) -> datetime | None:
    """When the data copied in an inspection is erased (None: not while a hold lasts).

    Like footage filmed in a regime: the default period; the incident period where the
    inspection shows an offence; and, without an offence, no later than the regime's end plus
    the policy's grace.
    """
    if held:
        return None
    if offence:
        return inspected_at + incident
    expires = inspected_at + default
    if regime_end is not None:
        expires = min(expires, regime_end + grace)
    return expires
