"""The inspection's pure rules: shares of requests, the audit log's watch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custos.inspection.policy import (
    Finding,
    Severity,
    log_findings,
    requester_findings,
    sorted_findings,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("counts", "flagged"),
    [
        ({"ivan": 9}, []),  # too few requests to say anything
        ({"ivan": 6, "olga": 4}, ["ivan"]),
        ({"ivan": 5, "olga": 5}, []),  # half is not more than half
        ({"ivan": 20, "olga": 5, "dana": 5}, ["ivan"]),
        ({"a": 4, "b": 4, "c": 4}, []),
    ],
)
def test_requester_share(counts: dict[str, int], flagged: list[str]) -> None:
    assert [f.subject for f in requester_findings(counts)] == flagged


@pytest.mark.parametrize(
    ("entries", "checkpoint", "witnesses", "cosigned", "rules"),
    [
        (0, None, 0, None, ["no_witness"]),  # an empty log needs no checkpoint
        (10, None, 1, None, ["checkpoint_age", "not_cosigned"]),
        (10, NOW - timedelta(hours=2), 1, NOW - timedelta(days=1), []),
        (10, NOW - timedelta(days=2), 1, NOW - timedelta(days=1), ["checkpoint_age"]),
        (10, NOW - timedelta(hours=2), 2, NOW - timedelta(days=8), ["not_cosigned"]),
        (10, NOW - timedelta(hours=2), 0, None, ["no_witness"]),
    ],
)
def test_log_findings(
    entries: int,
    checkpoint: datetime | None,
    witnesses: int,
    cosigned: datetime | None,
    rules: list[str],
) -> None:
    found = log_findings(NOW, entries, checkpoint, witnesses, cosigned)
    assert [f.rule for f in found] == rules


def test_gravest_first() -> None:
    findings = [
        Finding("b", Severity.LOW, "x", ""),
        Finding("a", Severity.HIGH, "y", ""),
        Finding("c", Severity.MEDIUM, "x", ""),
        Finding("a", Severity.HIGH, "a", ""),
    ]
    assert [(f.severity, f.subject) for f in sorted_findings(findings)] == [
        (Severity.HIGH, "a"), (Severity.HIGH, "y"), (Severity.MEDIUM, "x"), (Severity.LOW, "x")
    ]  # fmt: skip
