"""The figures from entries alone: each event counted where it belongs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from custos.audit.canonical import EntryRecord
from custos.transparency.policy import figures, published, shown

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _entry(event: str, seq: int = 0, at: datetime = AT, **extra: object) -> EntryRecord:
    details = extra.pop("details", {})
    fields: dict[str, object] = {
        "actor": "x", "action": "configure", "event": event, "outcome": "success", **extra
    }  # fmt: skip
    return EntryRecord(seq=seq, at=at, details=json.dumps(details, sort_keys=True), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "figure"),
    [
        (_entry("retention.segment_erased", details={"due_at": AT.isoformat()}), "erased_on_time"),
        (
            _entry(
                "retention.segment_erased",
                details={"due_at": (AT - timedelta(hours=2)).isoformat()},
            ),
            "erased_late",
        ),
        (_entry("retention.segment_erased_early"), "erased_early"),
        # A batch counts the segments it names, each by when it was due.
        (
            _entry(
                "retention.segments_erased",
                details={"segments": [{"due_at": AT.isoformat()}]},
            ),
            "erased_on_time",
        ),
        (_entry("retention.segments_erased_early", details={"segments": [{}]}), "erased_early"),
        (_entry("grant.revoked", justification="case closed: solved"), "revoked_closed"),
        (_entry("grant.revoked", justification="P1 cleared: alibi"), "revoked_cleared"),
        (_entry("grant.revoked", justification="wrong camera"), "revoked_other"),
        (_entry("access.approved", details={"narrowed": True, "scope": []}), "narrowed"),
        (_entry("footage.track_linked"), "unmaskings"),
        (_entry("export.created", details={"recipient_role": "court"}), "exports:court"),
        (_entry("breach.recorded"), "breaches"),
        (_entry("subject.request_received"), "subject_requests"),
        (_entry("subject.request_refused", details={"on_time": True}), "subject_requests_refused"),
        (
            _entry("subject.request_fulfilled", details={"on_time": True}),
            "subject_requests_fulfilled",
        ),
        (_entry("device.inspected"), "device_inspections"),
        (_entry("subject.request_answered", details={"on_time": False}), "subject_requests_late"),
        (_entry("breach.notified", details={"on_time": False}), "breaches_notified_late"),
    ],
)
def test_each_event_is_counted_where_it_belongs(entry: EntryRecord, figure: str) -> None:
    assert figures([entry])["2026-12"][figure] == 1


def test_a_batch_of_erasures_counts_each_segment_by_when_it_was_due() -> None:
    late = (AT - timedelta(hours=2)).isoformat()
    batch = _entry(
        "retention.segments_erased",
        details={"segments": [{"due_at": AT.isoformat()}, {"due_at": late}, {"due_at": None}]},
    )
    month = figures([batch])["2026-12"]
    assert (month["erased_on_time"], month["erased_late"]) == (2, 1)


def test_refusals_of_the_system_are_not_figures() -> None:
    assert figures([_entry("access.requested", outcome="denied")]) == {}


def test_small_counts_are_hidden_hours_are_not() -> None:
    assert [shown(0, True, 5), shown(3, True, 5), shown(5, True, 5), shown(0.4, False, 5)] == [
        "0", "< 5", "5", "0.4"
    ]  # fmt: skip
    assert published({"2026-12": {"requests": 2, "hours_watched": 1.5}}, 5) == {
        "2026-12": {"requests": "< 5", "hours_watched": "1.5"}
    }


def test_a_breach_notified_in_time_is_not_counted_late() -> None:
    assert "breaches_notified_late" not in figures(
        [_entry("breach.notified", details={"on_time": True})]
    ).get("2026-12", {})
