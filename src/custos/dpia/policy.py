"""Rules of impact assessments (GDPR art. 35, LED art. 27): what an assessment must hold,
who approves it, what it covers, and whether a camera may record under it. Pure, no I/O.

An assessment covers cameras by name or by group: `camera:NAME`, `region:R`,
`category:C`, `tag:T`, or `all`. It names the analytics it covers. Its approved version is
*current* until its review date, *overdue* for the profile's grace period after it (the
cameras keep recording, an alert is raised), then *expired* (its cameras are suspended).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Analytics(StrEnum):
    """What may be run on a camera's footage beyond recording it."""

    FACES = "faces"  # the face detector: masking, and linking tracks to case persons
    PLATES = "plates"  # the plate finder: masking
    PEOPLE = "people"  # people detection
    USER_MODEL = "user_model"  # an operator's own ONNX detector


class VersionState(StrEnum):
    DRAFT = "draft"  # being written; changes by its author only
    APPROVED = "approved"  # immutable; a change is a new version
    SUPERSEDED = "superseded"  # a later version was approved


class Standing(StrEnum):
    """Where an approved assessment stands on a given day."""

    CURRENT = "current"
    OVERDUE = "overdue"  # past its review date, within the grace period
    EXPIRED = "expired"  # past the grace period: its cameras stop


SCOPE_KINDS = ("camera", "region", "category", "tag")
ALL = "all"


@dataclass(frozen=True)
class CameraFacts:
    """What an assessment's scope is matched against."""

    name: str
    region: str
    category: str
    tags: tuple[str, ...] = ()  # the kinds of sensitive site it films, if any
    zoned: bool = False  # it has at least one privacy zone


def scope_problem(entry: str) -> str | None:
    """Why `entry` is not a scope entry, or None."""
    if entry == ALL:
        return None
    kind, _, value = entry.partition(":")
    if kind not in SCOPE_KINDS or not value.strip():
        kinds = ", ".join(f"{k}:…" for k in SCOPE_KINDS)
        return f"'{entry}' is not a scope: give {kinds} or {ALL}"
    return None


def covers(scope: Iterable[str], camera: CameraFacts) -> bool:
    """Whether an assessment with `scope` covers `camera`."""
    for entry in scope:
        if entry == ALL:
            return True
        kind, _, value = entry.partition(":")
        if (
            (kind == "camera" and value == camera.name)
            or (kind == "region" and value == camera.region)
            or (kind == "category" and value == camera.category)
            or (kind == "tag" and value in camera.tags)
        ):
            return True
    return False


REQUIRED = {
    "title": "a title",
    "description": "the description of the processing",
    "purposes": "its purposes",
    "necessity": "why it is necessary and proportionate",
    "risks": "the risks to the rights of the people filmed",
    "vulnerable_groups": "the vulnerable groups concerned (or why none are)",
    "measures": "the measures that address the risks",
    "public_summary": "a summary for the public register",
}


@dataclass(frozen=True)
class Content:
    """What an assessment says (GDPR art. 35(7))."""

    title: str
    description: str
    purposes: str
    necessity: str
    risks: str
    vulnerable_groups: str
    measures: str
    consultation: tuple[tuple[str, str], ...]  # (who was consulted, what they answered)
    dpo_opinion: str
    scope: tuple[str, ...]
    analytics: tuple[str, ...]
    review_by: datetime
    public_summary: str
    # Why the cameras at sensitive sites it covers need no privacy zone, where none is drawn.
    zones_not_needed: str = ""


def content_problem(
    content: Content, now: datetime, longest_review_days: float
) -> tuple[str, str] | None:
    """Why `content` cannot be approved: (field, message), or None."""
    for field, what in REQUIRED.items():
        if not str(getattr(content, field)).strip():
            return field, f"give {what}"
    if not content.scope:
        return "scope", "name the cameras or camera groups it covers"
    for entry in content.scope:
        problem = scope_problem(entry)
        if problem:
            return "scope", problem
    for name in content.analytics:
        if name not in set(Analytics):
            known = ", ".join(a.value for a in Analytics)
            return "analytics", f"'{name}' is not an analytics module: {known}"
    for body, answer in content.consultation:
        if not body.strip() or not answer.strip():
            return "consultation", "give each body consulted with its answer"
    if content.review_by <= now:
        return "review_by", "the review date must be in the future"
    if content.review_by > now + timedelta(days=longest_review_days):
        return "review_by", f"review it within {longest_review_days:g} days"
    return None


def approval_problem(author: str, approver: str, approver_is_dpo: bool) -> str | None:
    """Why `approver` cannot approve a version `author` wrote, or None."""
    if not approver_is_dpo:
        return "only a data protection officer approves an impact assessment"
    if approver == author:
        return f"{author} wrote this version: another data protection officer approves it"
    return None


def standing(review_by: datetime, now: datetime, grace_days: float) -> Standing:
    if now < review_by:
        return Standing.CURRENT
    if now < review_by + timedelta(days=grace_days):
        return Standing.OVERDUE
    return Standing.EXPIRED


@dataclass(frozen=True)
class Assessed:
    """An approved assessment as the gate sees it."""

    reference: str
    scope: tuple[str, ...]
    analytics: tuple[str, ...]
    standing: Standing
    zones_not_needed: str = ""  # its statement of why sensitive sites need no zones


def best_cover(camera: CameraFacts, approved: Sequence[Assessed]) -> Assessed | None:
    """The assessment that covers `camera` best: current before overdue before expired."""
    order = {Standing.CURRENT: 0, Standing.OVERDUE: 1, Standing.EXPIRED: 2}
    covering = [a for a in approved if covers(a.scope, camera)]
    return min(covering, key=lambda a: order[a.standing], default=None)


def activation_problem(camera: CameraFacts, approved: Sequence[Assessed]) -> str | None:
    """Why `camera` may not start recording, or None: a current approved assessment must
    cover it."""
    cover = best_cover(camera, approved)
    if cover is None:
        return f"no approved impact assessment covers camera {camera.name}"
    if cover.standing is not Standing.CURRENT:
        return f"impact assessment {cover.reference} is past its review date: review it first"
    return zones_problem(camera, cover)


def zones_problem(camera: CameraFacts, cover: Assessed | None) -> str | None:
    """Why a camera at a sensitive site may not record as it is, or None: it needs a privacy
    zone, or its assessment's statement of why none is needed."""
    if not camera.tags or camera.zoned:
        return None
    if cover is not None and cover.zones_not_needed.strip():
        return None
    where = cover.reference if cover is not None else "its impact assessment"
    return (
        f"camera {camera.name} films a sensitive site ({', '.join(camera.tags)}): draw its "
        f"privacy zones first, or state in {where} why none are needed"
    )


def analytics_problem(camera: CameraFacts, module: str, approved: Sequence[Assessed]) -> str | None:
    """Why analytics `module` may not run on `camera`, or None."""
    for cover in approved:
        if (
            cover.standing is not Standing.EXPIRED
            and covers(cover.scope, camera)
            and module in cover.analytics
        ):
            return None
    return f"no approved impact assessment covers {module} on camera {camera.name}"


def keeps_recording(camera: CameraFacts, approved: Sequence[Assessed]) -> bool:
    """Whether an active camera may go on recording: covered, and not past the grace."""
    cover = best_cover(camera, approved)
    return cover is not None and cover.standing is not Standing.EXPIRED
