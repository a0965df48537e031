"""A state of emergency from declaration to sunset report: three regions, mixed incidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.recording.models import Segment
from custos.retention import emergency, holds, incidents
from custos.retention.sweeper import Sweeper
from custos.runtime import Runtime
from helpers import audit_events, call_of
from retention.conftest import check_consistent

DAY = timedelta(days=1)


def test_sunset_erases_what_shows_no_offence_and_reports_counts(
    runtime: Runtime,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    client: TestClient,
) -> None:
    start = clock.now()
    apart = timedelta(minutes=15)  # further apart than the incident padding (5 min)
    almaty = archive("almaty-square", start, 6, region="Almaty", spacing=apart)
    shymkent = archive("shymkent-market", start, 6, region="Shymkent", spacing=apart)
    astana = archive("astana-bridge", start, 4, region="Astana", spacing=apart)
    clock.advance(timedelta(hours=3))
    rules = runtime.rules
    with runtime.sessions() as s:
        regime = emergency.declare(
            call_of(s, clock),
            regions=["Almaty", "Shymkent"],
            start=start - DAY,
            end=None,
            decree_ref="Decree 1/2022",
        )
        # Almaty: the first segment shows an offence. Shymkent: the first is an incident that
        # is no offence, and a hold covers the last two.
        incidents.mark(
            call_of(s, clock),
            cameras=["almaty-square"],
            start=start,
            end=start + timedelta(seconds=15),
            description="looting",
            reference="case 101",
            justification="evidence",
            offence=True,
        )
        incidents.mark(
            call_of(s, clock),
            cameras=["shymkent-market"],
            start=start,
            end=start + timedelta(seconds=15),
            description="crowd",
            reference="log 5",
            justification="context",
            offence=False,
        )
        holds.place_hold(
            call_of(s, clock),
            case_ref="CASE-44",
            reason="complaint of ill-treatment",
            scopes=[holds.Scope("shymkent-market", start + 4 * apart, start + 6 * apart)],
        )
        emergency.end_regime(call_of(s, clock), regime.id, start + 2 * DAY)
    clock.set(start + 2 * DAY + rules.emergency_grace + timedelta(minutes=1))
    assert client.get("/transparency/sunsets").json() == []  # nothing before the sunset runs
    result = Sweeper(runtime.sessions, clock, runtime.blobs, rules).run()
    # 32 days on, ordinary footage is due anyway; the sunset takes the non-offence incident,
    # whose 7 years it cuts short.
    assert result.by_reason == {"emergency_sunset": 1, "default": 5 + 3 + 4}
    with runtime.sessions() as s:
        [report] = emergency.publish_sunset_reports(s, clock, rules)

    def kept(ids: list[str]) -> list[str]:
        return [sid for sid in ids if db.get(Segment, sid).erased_at is None]  # type: ignore[union-attr]

    assert kept(almaty) == almaty[:1]
    assert kept(shymkent) == shymkent[4:]
    assert kept(astana) == []
    data = report.report
    assert (data["erased_at_sunset"], data["erased_by_normal_retention"]) == (1, 8)
    assert data["kept_total"] == 3
    assert data["kept_reasons"] == {"evidence of an offence": 1, "legal hold": 2}
    assert data["by_region"] == {
        "Almaty": {"erased": 5, "kept": 1},
        "Shymkent": {"erased": 4, "kept": 2},
    }
    published = client.get("/transparency/sunsets").json()
    assert [r["decree"] for r in published] == ["Decree 1/2022"]
    text = str(published)
    assert "almaty-square" not in text
    assert "CASE-44" not in text
    assert audit_events(db, event="emergency.sunset_report_published")[0].recipient == "public"
    with runtime.sessions() as s:
        assert emergency.publish_sunset_reports(s, clock, rules) == []  # published once
    check_consistent(db, runtime)
