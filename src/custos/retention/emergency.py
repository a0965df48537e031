"""States of emergency: recorded by an admin, and their sunset when they end.

Segments recorded in a regime's regions during it are tagged by those facts alone (each
segment keeps the region its camera was in). Once the regime has ended and the policy's grace
has passed, the plan erases the tagged footage that shows no offence; afterwards a sunset
report is published with counts and reasons only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.cameras import service as cameras
from custos.clock import Clock
from custos.context import Actor, Call, Context
from custos.errors import Conflict, InvalidInput, NotFound
from custos.profile import Rules
from custos.recording import service as recording
from custos.retention.models import EmergencyRegime, SunsetReport
from custos.retention.policy import Reason
from custos.retention.service import replan


def declare(
    call: Call,
    *,
    regions: list[str],
    start: datetime,
    end: datetime | None,
    decree_ref: str,
) -> EmergencyRegime:
    """Record a state of emergency over `regions` from `start` (to `end`, if known)."""
    session = call.session
    regions = sorted({r.strip() for r in regions if r.strip()})
    if not regions:
        raise InvalidInput("a state of emergency covers at least one region", field="regions")
    if not decree_ref.strip():
        raise InvalidInput("give the reference of the decree", field="decree_ref")
    if end is not None and end <= start:
        raise InvalidInput("a state of emergency must end after it starts", field="end")
    regime = EmergencyRegime(
        regions=regions,
        starts_at=start,
        ends_at=end,
        decree_ref=decree_ref.strip(),
        declared_by=call.actor.name,
        declared_at=call.clock.now(),
    )
    session.add(regime)
    session.flush()
    _replan_regions(session, call.rules, regions)
    record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "emergency.declared",
        object_type="regime",
        object_id=regime.id,
        context=Context(legal_basis=regime.decree_ref),
        details={
            "regions": regions,
            "start": start.isoformat(),
            "end": end.isoformat() if end else None,
        },
    )
    session.commit()
    return regime


def end_regime(call: Call, regime_id: int, end: datetime) -> EmergencyRegime:
    """Record when a state of emergency ended; its sunset is planned from then."""
    session = call.session
    regime = session.get(EmergencyRegime, regime_id)
    if regime is None:
        raise NotFound(f"no state of emergency {regime_id}")
    if regime.ends_at is not None:
        raise Conflict(f"state of emergency {regime_id} has ended already")
    if end <= regime.starts_at:
        raise InvalidInput("a state of emergency must end after it starts", field="end")
    regime.ends_at = end
    session.flush()
    _replan_regions(session, call.rules, regime.regions)
    record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "emergency.ended",
        object_type="regime",
        object_id=regime.id,
        context=Context(legal_basis=regime.decree_ref),
        details={"end": end.isoformat()},
    )
    session.commit()
    return regime


def _replan_regions(session: Session, rules: Rules, regions: list[str]) -> None:
    filmed = recording.cameras_filmed_in(session, regions)
    if filmed:
        replan(session, rules, filmed)


def get_regime(session: Session, regime_id: int) -> EmergencyRegime:
    """State of emergency `regime_id`, or NotFound."""
    regime = session.get(EmergencyRegime, regime_id)
    if regime is None:
        raise NotFound(f"no state of emergency {regime_id}")
    return regime


def list_regimes(session: Session) -> list[EmergencyRegime]:
    """All states of emergency, newest first."""
    return list(
        session.scalars(sa.select(EmergencyRegime).order_by(EmergencyRegime.starts_at.desc()))
    )


def publish_sunset_reports(
    session: Session,
    clock: Clock,
    rules: Rules,
    sections: Mapping[str, Callable[[Session, int], dict[str, object]]] | None = None,
) -> list[SunsetReport]:
    """Publish the report of every regime whose sunset is past and fully carried out; each of
    `sections` adds what the domain above counted for the regime (device inspections)."""
    now = clock.now()
    published = []
    done = set(session.scalars(sa.select(SunsetReport.regime_id)))
    for regime in session.scalars(
        sa.select(EmergencyRegime).where(EmergencyRegime.ends_at.is_not(None))
    ):
        assert regime.ends_at is not None
        if regime.id in done or regime.ends_at + rules.emergency_grace > now:
            continue
        # Tagged: filmed in the regime's regions while it lasted.
        pending = recording.count_due_filmed(
            session, regime.regions, regime.starts_at, regime.ends_at, now
        )
        if pending:
            continue  # the sweeper has not finished this sunset yet
        report = _report(session, regime, now, rules)
        for name, count in (sections or {}).items():
            report[name] = count(session, regime.id)
        row = SunsetReport(regime_id=regime.id, published_at=now, report=report)
        session.add(row)
        session.flush()
        record(
            session,
            clock,
            Actor("retention-sweeper", "system"),
            Action.DISCLOSE,
            "emergency.sunset_report_published",
            object_type="regime",
            object_id=regime.id,
            context=Context(legal_basis=regime.decree_ref, recipient="public"),
            details={"erased": report["erased_at_sunset"], "kept": report["kept_total"]},
        )
        published.append(row)
    session.commit()
    return published


def _report(
    session: Session, regime: EmergencyRegime, now: datetime, rules: Rules
) -> dict[str, object]:
    rows = recording.outcomes_filmed(session, regime.regions, regime.starts_at, regime.ends_at)
    sunset_erased = 0
    earlier_erased = 0
    by_region: dict[str, dict[str, int]] = {}
    kept: dict[str, int] = {}
    for region, erased, erasure_reason, retention_reason, count in rows:
        counts = by_region.setdefault(region, {"erased": 0, "kept": 0})
        if erased:
            counts["erased"] += count
            if erasure_reason == Reason.EMERGENCY_SUNSET.value:
                sunset_erased += count
            else:
                earlier_erased += count
        else:
            counts["kept"] += count
            why = {
                Reason.LEGAL_HOLD.value: "legal hold",
                Reason.INCIDENT.value: "evidence of an offence",
            }.get(retention_reason, retention_reason)
            kept[why] = kept.get(why, 0) + count
    assert regime.ends_at is not None
    return {
        "regime": regime.id,
        "decree": regime.decree_ref,
        "regions": regime.regions,
        "from": regime.starts_at.isoformat(),
        "to": regime.ends_at.isoformat(),
        "grace_days": rules.emergency_grace.total_seconds() / 86400,
        "erased_at_sunset": sunset_erased,
        "erased_by_normal_retention": earlier_erased,
        "kept_total": sum(kept.values()),
        "kept_reasons": kept,
        "by_region": by_region,
        "generated_at": now.isoformat(),
    }


def sunset_reports(session: Session) -> list[SunsetReport]:
    """Published sunset reports, newest first."""
    return list(session.scalars(sa.select(SunsetReport).order_by(SunsetReport.published_at.desc())))


def camera_regions(session: Session) -> list[str]:
    """The regions cameras are registered in."""
    return cameras.regions(session)
