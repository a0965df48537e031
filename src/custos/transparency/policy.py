"""The transparency figures, recomputed from audit entries alone. Pure, no I/O.

Every figure is a count or a number of hours per month, taken from the entries' events and
details, so that anyone holding an export of the log computes the same figures offline
(`custos transparency report --bundle`). Small counts are shown as "< k".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from custos.audit.canonical import EntryRecord

LATE_AFTER = timedelta(hours=1)  # the sweeper runs often: an erasure later than this is late


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    count: bool = True  # a count (shown as "< k" when small) rather than hours


FIGURES = (
    Figure("requests", "Access requests filed"),
    Figure("granted", "Requests granted as asked"),
    Figure("narrowed", "Requests granted narrowed"),
    Figure("refused", "Requests refused"),
    Figure("hours_granted", "Hours of footage granted", count=False),
    Figure("hours_watched", "Hours of footage watched", count=False),
    Figure("unmaskings", "Persons unmasked (tracks linked)"),
    Figure("revoked_cleared", "Grants revoked: a person was cleared"),
    Figure("revoked_closed", "Grants revoked: a case was closed"),
    Figure("revoked_other", "Grants revoked for another reason"),
    Figure("holds_placed", "Legal holds placed"),
    Figure("holds_released", "Legal holds released"),
    Figure("erased_on_time", "Segments erased on time"),
    Figure("erased_late", "Segments erased late"),
    Figure("erased_early", "Segments erased early (storage pressure)"),
    Figure("sunsets", "Emergency sunset reports published"),
    Figure("exports", "Evidence exports"),
    Figure("breaches", "Personal data breaches recorded"),
    Figure("breaches_notified_late", "Breaches notified to the authority late"),
    Figure("subject_requests", "Requests of people for their own footage"),
    Figure("subject_requests_late", "Such requests answered late"),
    Figure("subject_requests_refused", "Such requests refused"),
    Figure("subject_requests_fulfilled", "Such requests fulfilled: the footage handed over"),
    Figure("device_inspections", "Devices inspected in a state of emergency"),
)


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _hours(scope: list[list[str]]) -> float:
    total = 0.0
    for _camera, start, end in scope:
        total += (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return total / 3600


def figures(entries: Iterable[EntryRecord]) -> dict[str, dict[str, float]]:
    """Per month (YYYY-MM): each figure's value, and the breakdowns `requests:GROUND` and
    `exports:ROLE`. Months with nothing are absent."""
    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for entry in entries:
        if entry.outcome != "success":
            continue
        month, event = found[month_of(entry.at)], entry.event
        details = json.loads(entry.details) if entry.details else {}
        if event == "access.requested":
            month["requests"] += 1
            month[f"requests:{entry.legal_basis or 'none'}"] += 1
        elif event == "access.approved":
            month["narrowed" if details.get("narrowed") else "granted"] += 1
            month["hours_granted"] += _hours(details.get("scope", []))
        elif event == "access.refused":
            month["refused"] += 1
        elif event == "footage.viewing_closed":
            month["hours_watched"] += float(details.get("seconds", 0)) / 3600
        elif event == "footage.track_linked":
            month["unmaskings"] += 1
        elif event == "grant.revoked":
            why = entry.justification or ""
            kind = (
                "revoked_closed"
                if why.startswith("case closed:")
                else "revoked_cleared"
                if " cleared: " in why
                else "revoked_other"
            )
            month[kind] += 1
        elif event == "hold.placed":
            month["holds_placed"] += 1
        elif event == "hold.released":
            month["holds_released"] += 1
        elif event in ("retention.segments_erased_early", "retention.segment_erased_early"):
            month["erased_early"] += len(details.get("segments", [details]))
        elif event in ("retention.segments_erased", "retention.segment_erased"):
            # A batch names each segment with when it was due; an entry of the older form is
            # one segment.
            for segment in details.get("segments", [details]):
                due = segment.get("due_at")
                late = due is not None and entry.at - datetime.fromisoformat(due) > LATE_AFTER
                month["erased_late" if late else "erased_on_time"] += 1
        elif event == "emergency.sunset_report_published":
            month["sunsets"] += 1
        elif event == "subject.request_received":
            month["subject_requests"] += 1
        elif event in ("subject.request_answered", "subject.request_refused"):
            if event == "subject.request_refused":
                month["subject_requests_refused"] += 1
            if details.get("on_time") is False:
                month["subject_requests_late"] += 1
        elif event == "subject.request_fulfilled":
            month["subject_requests_fulfilled"] += 1
        elif event == "device.inspected":
            month["device_inspections"] += 1
        elif event == "breach.recorded":
            month["breaches"] += 1
        elif event == "breach.notified" and details.get("on_time") is False:
            month["breaches_notified_late"] += 1
        elif event == "export.created":
            month["exports"] += 1
            month[f"exports:{details.get('recipient_role', 'unknown')}"] += 1
    rounded = {m: {k: round(v, 3) for k, v in sorted(found[m].items()) if v} for m in found}
    return {m: rounded[m] for m in sorted(rounded) if rounded[m]}


def shown(value: float, count: bool, minimum: int) -> str:
    """A figure as published: a count below `minimum` (but above zero) is '< minimum'."""
    if count and 0 < value < minimum:
        return f"< {minimum}"
    return f"{value:g}"


def published(raw: dict[str, dict[str, float]], minimum: int) -> dict[str, dict[str, str]]:
    """The figures as the page shows them: small counts hidden as '< k'."""
    hours = {f.key for f in FIGURES if not f.count}
    return {
        month: {key: shown(value, key not in hours, minimum) for key, value in values.items()}
        for month, values in raw.items()
    }
