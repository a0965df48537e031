"""The rules of impact assessments: what they cover, who approves them, when cameras record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.dpia.policy import (
    Assessed,
    CameraFacts,
    Content,
    Standing,
    activation_problem,
    analytics_problem,
    approval_problem,
    content_problem,
    covers,
    keeps_recording,
    scope_problem,
    standing,
    zones_problem,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GATE = CameraFacts("gate-1", "Almaty", "public_safety", ("school",), zoned=True)


@pytest.mark.parametrize(
    ("scope", "covered"),
    [
        (["all"], True),
        (["camera:gate-1"], True),
        (["camera:gate-2"], False),
        (["region:Almaty"], True),
        (["region:Astana"], False),
        (["category:public_safety"], True),
        (["category:other"], False),
        (["tag:school"], True),
        (["tag:medical"], False),
        (["camera:gate-2", "tag:school"], True),
        ([], False),
        (["camera:"], False),
    ],
)
def test_covers(scope: list[str], covered: bool) -> None:
    assert covers(scope, GATE) is covered


@pytest.mark.parametrize(
    ("entry", "bad"),
    [("all", False), ("camera:x", False), ("tag:school", False), ("room:x", True),
     ("camera:", True), ("everything", True)],
)  # fmt: skip
def test_scope_problem(entry: str, bad: bool) -> None:
    assert (scope_problem(entry) is not None) is bad


def _content(**changes: object) -> Content:
    content = Content(
        title="Almaty school gates",
        description="Cameras at the gates of schools, recording the street in front",
        purposes="Safety of pupils at the gates",
        necessity="Incidents at the gates; no less intrusive means found",
        risks="Pupils filmed daily; chilling effect on parents",
        vulnerable_groups="Children",
        measures="Privacy zones over windows; strict access rules; 30-day retention",
        consultation=(("Ombudsman for children's rights", "No objection if zones kept"),),
        dpo_opinion="Proportionate with the measures listed",
        scope=("tag:school",),
        analytics=("faces", "plates"),
        review_by=NOW + timedelta(days=300),
        public_summary="School gate cameras, masked, 30 days",
    )
    return replace(content, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, None),
        ({"title": " "}, "title"),
        ({"risks": ""}, "risks"),
        ({"vulnerable_groups": ""}, "vulnerable_groups"),
        ({"public_summary": ""}, "public_summary"),
        ({"scope": ()}, "scope"),
        ({"scope": ("room:1",)}, "scope"),
        ({"analytics": ("mind_reading",)}, "analytics"),
        ({"consultation": (("NGO", " "),)}, "consultation"),
        ({"consultation": ()}, None),
        ({"review_by": NOW}, "review_by"),
        ({"review_by": NOW + timedelta(days=366)}, "review_by"),
    ],
)
def test_content_problem(changes: dict[str, object], field: str | None) -> None:
    problem = content_problem(_content(**changes), NOW, 365)
    assert (problem[0] if problem else None) == field


@pytest.mark.parametrize(
    ("author", "approver", "dpo", "refused"),
    [
        ("olga", "dana", True, None),
        ("dana", "dana", True, "dana wrote this version: another data protection officer"),
        ("olga", "ivan", False, "only a data protection officer approves"),
    ],
)
def test_approval_problem(author: str, approver: str, dpo: bool, refused: str | None) -> None:
    problem = approval_problem(author, approver, dpo)
    assert (problem is None) if refused is None else (problem or "").startswith(refused)


@pytest.mark.parametrize(
    ("days_after_review", "expected"),
    [(-1, Standing.CURRENT), (0, Standing.OVERDUE), (29.9, Standing.OVERDUE),
     (30, Standing.EXPIRED), (400, Standing.EXPIRED)],
)  # fmt: skip
def test_standing(days_after_review: float, expected: Standing) -> None:
    review_by = NOW - timedelta(days=days_after_review)
    assert standing(review_by, NOW, grace_days=30) is expected


def _assessed(standing_: Standing, scope: tuple[str, ...] = ("all",)) -> Assessed:
    return Assessed("DPIA-1", scope, ("faces",), standing_)


@pytest.mark.parametrize(
    ("approved", "refused"),
    [
        ([], "no approved impact assessment covers camera gate-1"),
        ([_assessed(Standing.CURRENT, ("camera:other",))], "no approved impact assessment"),
        ([_assessed(Standing.CURRENT)], None),
        ([_assessed(Standing.OVERDUE)], "impact assessment DPIA-1 is past its review date"),
        ([_assessed(Standing.EXPIRED), _assessed(Standing.CURRENT, ("tag:school",))], None),
    ],
)
def test_activation_needs_a_current_assessment(
    approved: list[Assessed], refused: str | None
) -> None:
    problem = activation_problem(GATE, approved)
    assert (problem is None) if refused is None else (problem or "").startswith(refused)


def test_analytics_need_an_assessment_that_names_them() -> None:
    assert analytics_problem(GATE, "faces", [_assessed(Standing.CURRENT)]) is None
    assert analytics_problem(GATE, "faces", [_assessed(Standing.OVERDUE)]) is None
    assert analytics_problem(GATE, "people", [_assessed(Standing.CURRENT)]) is not None
    assert analytics_problem(GATE, "faces", [_assessed(Standing.EXPIRED)]) is not None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Standing)),
            st.sampled_from(["all", "camera:gate-1", "camera:x", "tag:school", "region:Astana"]),
        ),
        max_size=4,
    )
)
def test_a_camera_that_may_start_may_go_on_and_one_that_must_stop_may_not_start(
    assessed: list[tuple[Standing, str]],
) -> None:
    approved = [_assessed(s, (scope,)) for s, scope in assessed]
    if activation_problem(GATE, approved) is None:
        assert keeps_recording(GATE, approved)
    if not keeps_recording(GATE, approved):
        assert activation_problem(GATE, approved) is not None


UNZONED = CameraFacts("gate-1", "Almaty", "public_safety", ("school", "residential"))
STATED = Assessed("DPIA-1", ("all",), (), Standing.CURRENT, "the gate faces a wall; no pupil shows")


@pytest.mark.parametrize(
    ("camera", "cover", "refused"),
    [
        (UNZONED, _assessed(Standing.CURRENT), "camera gate-1 films a sensitive site (school, "
         "residential): draw its privacy zones first, or state in DPIA-1 why none are needed"),
        (UNZONED, None, "camera gate-1 films a sensitive site (school, residential): draw its "
         "privacy zones first, or state in its impact assessment why none are needed"),
        (UNZONED, STATED, None),
        (GATE, _assessed(Standing.CURRENT), None),
        (CameraFacts("street", "Almaty", "public_safety"), _assessed(Standing.CURRENT), None),
    ],
)  # fmt: skip
def test_a_sensitive_site_records_with_privacy_zones_or_a_stated_reason(
    camera: CameraFacts, cover: Assessed | None, refused: str | None
) -> None:
    assert zones_problem(camera, cover) == refused
    if cover is not None:
        assert activation_problem(camera, [cover]) == refused


@given(
    st.lists(st.sampled_from(["school", "medical", "shelter"]), max_size=2).map(tuple),
    st.booleans(),
    st.sampled_from(["", " ", "stated"]),
)
def test_only_an_unzoned_sensitive_site_without_a_statement_is_refused(
    tags: tuple[str, ...], zoned: bool, statement: str
) -> None:
    camera = CameraFacts("c", "r", "other", tags, zoned)
    cover = Assessed("DPIA-1", ("all",), (), Standing.CURRENT, statement)
    refused = zones_problem(camera, cover) is not None
    assert refused == (bool(tags) and not zoned and not statement.strip())
