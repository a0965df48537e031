"""Rules of compliance inspection: what counts as a finding, and how grave. Pure, no I/O.

Each rule takes facts the service gathered and gives findings; a finding names its rule, its
subject and what was seen, so that the same violation is listed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Severity(StrEnum):
    HIGH = "high"  # a guarantee is not held now
    MEDIUM = "medium"  # a guarantee will fail unless someone acts
    LOW = "low"  # worth a look


ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    subject: str
    detail: str


@dataclass(frozen=True)
class Thresholds:
    """When a pattern becomes a finding."""

    erasure_slack: timedelta = timedelta(hours=1)  # the sweeper runs often; later is late
    requester_share: float = 0.5  # one investigator's share of all requests
    requester_minimum: int = 10  # below this many requests, shares say nothing
    request_window: timedelta = timedelta(days=90)
    checkpoint_age: timedelta = timedelta(days=1)
    cosigned_within: timedelta = timedelta(days=7)


DEFAULT = Thresholds()


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Gravest first, then by rule and subject."""
    return sorted(findings, key=lambda f: (ORDER[f.severity], f.rule, f.subject))


def requester_findings(counts: Mapping[str, int], limits: Thresholds = DEFAULT) -> list[Finding]:
    """An investigator who files more than the share allowed of all requests."""
    total = sum(counts.values())
    if total < limits.requester_minimum:
        return []
    return [
        Finding(
            "requester_share",
            Severity.MEDIUM,
            name,
            f"{count} of {total} access requests in {limits.request_window.days} days "
            f"({count / total:.0%}; above {limits.requester_share:.0%})",
        )
        for name, count in sorted(counts.items())
        if count / total > limits.requester_share
    ]


def log_findings(
    now: datetime,
    entries: int,
    latest_checkpoint: datetime | None,
    witnesses: int,
    last_cosigned: datetime | None,
    limits: Thresholds = DEFAULT,
) -> list[Finding]:
    """The audit log: signed recently, and watched by a witness who cosigned recently."""
    found = []
    if entries and (latest_checkpoint is None or now - latest_checkpoint > limits.checkpoint_age):
        since = f"since {latest_checkpoint:%Y-%m-%d %H:%M} UTC" if latest_checkpoint else "ever"
        found.append(
            Finding("checkpoint_age", Severity.MEDIUM, "audit log", f"no checkpoint signed {since}")
        )
    if witnesses == 0:
        found.append(
            Finding("no_witness", Severity.MEDIUM, "audit log", "no outside witness checks the log")
        )
    elif last_cosigned is None or now - last_cosigned > limits.cosigned_within:
        found.append(
            Finding(
                "not_cosigned",
                Severity.MEDIUM,
                "audit log",
                f"no witness cosigned a checkpoint in {limits.cosigned_within.days} days",
            )
        )
    return found
