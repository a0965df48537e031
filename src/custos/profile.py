"""Policy profiles: the published, versioned TOML that says how long footage is kept and why.

A profile is named by `CUSTOS_POLICY`: the name of a profile shipped with Custos (`kz-nvms`,
`eu-edpb`) or the path of a TOML file. It is validated strictly when the system starts; any
unknown key or impossible value stops it with a message naming the field.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from custos.deadlines import Calendar
from custos.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetentionSection(_Strict):
    """How long footage is kept."""

    default_days: float = Field(gt=0, le=3650)
    incident_days: float = Field(gt=0, le=36500)
    incident_padding_before_minutes: float = Field(default=0, ge=0, le=1440)
    incident_padding_after_minutes: float = Field(default=0, ge=0, le=1440)
    max_camera_days: float = Field(gt=0, le=3650)
    extension_requires_justification: bool = True
    extension_requires_dpia: bool = False
    # Footage of a camera at a sensitive site (school, clinic, shelter, worship, home) is kept
    # this long instead, when set: shorter than the default, never extended.
    sensitive_days: float | None = Field(default=None, gt=0, le=3650)

    @model_validator(mode="after")
    def _consistent(self) -> RetentionSection:
        if self.incident_days < self.default_days:
            raise ValueError("incident_days must not be shorter than default_days")
        if self.sensitive_days is not None and self.sensitive_days > self.default_days:
            raise ValueError("sensitive_days must not be longer than default_days")
        if self.max_camera_days < self.default_days:
            raise ValueError("max_camera_days must not be shorter than default_days")
        return self


class HoldsSection(_Strict):
    """How legal holds are kept under review."""

    review_interval_days: int = Field(gt=0, le=365)
    max_review_interval_days: int = Field(gt=0, le=3650)

    @model_validator(mode="after")
    def _consistent(self) -> HoldsSection:
        if self.max_review_interval_days < self.review_interval_days:
            raise ValueError(
                "max_review_interval_days must not be shorter than review_interval_days"
            )
        return self


class StorageSection(_Strict):
    """When storage pressure allows early erasure."""

    free_space_threshold_percent: float = Field(gt=0, lt=100)


class EmergencySection(_Strict):
    """What happens after a state of emergency."""

    grace_days: float = Field(ge=0, le=365)


class DpiaSection(_Strict):
    """Impact assessments: how far ahead a review may be set, and how long cameras keep
    recording once it is missed."""

    longest_review_days: float = Field(default=365, gt=0, le=1830)
    grace_days: float = Field(default=30, ge=0, le=365)


class CalendarSection(_Strict):
    """Which days are worked, for deadlines counted in working days."""

    time_zone: str = "UTC"
    weekend: list[int] = Field(default=[6, 7], description="ISO weekdays: 6 Saturday, 7 Sunday")
    holidays: list[date] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day not in range(1, 8) for day in value) or len(set(value)) > 5:
            raise ValueError("weekend days are ISO weekdays 1-7, at most five of them")
        return value

    def calendar(self) -> Calendar:
        """The calendar deadlines in working days are counted by."""
        return Calendar(self.time_zone, frozenset(self.weekend), frozenset(self.holidays))


class BreachSection(_Strict):
    """Personal-data breaches: to whom, and how soon after discovery, they are notified."""

    authority: str = "the supervisory authority for personal data protection"
    notify_within_working_days: int | None = Field(default=None, gt=0, le=30)
    notify_within_hours: float | None = Field(default=None, gt=0, le=720)

    @model_validator(mode="before")
    @classmethod
    def _one_period(cls, data: Any) -> Any:
        if isinstance(data, dict):
            days, hours = data.get("notify_within_working_days"), data.get("notify_within_hours")
            if days is not None and hours is not None:
                raise ValueError("give notify_within_working_days or notify_within_hours, not both")
            if days is None and hours is None:
                return {**data, "notify_within_hours": 72}  # GDPR art. 33
        return data


class Ground(_Strict):
    """A legal ground a case may invoke."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,63}$")
    title: str = Field(min_length=1)


class DataSubjectSection(_Strict):
    """Requests of the people filmed for their own footage: how soon they are answered."""

    answer_within_working_days: int | None = Field(default=None, gt=0, le=60)
    answer_within_months: int | None = Field(default=None, gt=0, le=6)
    extension_months: int = Field(default=0, ge=0, le=6)
    # The law that gives a person access to their own footage: the legal basis of the case
    # through which it goes out to them.
    ground: Ground | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_period(cls, data: Any) -> Any:
        if isinstance(data, dict):
            days, months = data.get("answer_within_working_days"), data.get("answer_within_months")
            if days is not None and months is not None:
                raise ValueError(
                    "give answer_within_working_days or answer_within_months, not both"
                )
            if days is None and months is None:
                return {**data, "answer_within_months": 1}  # GDPR art. 12(3)
        return data


class RegisterSection(_Strict):
    """The public camera register: how precisely it shows where a camera is."""

    grid_degrees: float = Field(default=0.01, gt=0, le=1)


class TransparencySection(_Strict):
    """The published figures: counts below `minimum_count` show as '< k'."""

    minimum_count: int = Field(default=5, ge=1, le=100)


class AccessLimits(_Strict):
    """How much footage one access request may reach under one rule set."""

    max_cameras: int = Field(ge=1, le=1000)
    max_total_hours: float = Field(gt=0, le=100_000)
    max_window_hours: float = Field(gt=0, le=100_000)
    max_footage_age_days: float = Field(gt=0, le=36500)
    grant_days: float = Field(gt=0, le=365)


class AccessSection(_Strict):
    """Proportionality of access: the normal rules, and the stricter ones for sensitive sites
    and for cases involving minors or vulnerable persons."""

    normal: AccessLimits
    strict: AccessLimits

    @model_validator(mode="after")
    def _strict_is_stricter(self) -> AccessSection:
        for field in AccessLimits.model_fields:
            if getattr(self.strict, field) > getattr(self.normal, field):
                raise ValueError(f"strict.{field} must not exceed normal.{field}")
        return self


@dataclass(frozen=True)
class Rules:
    """The retention part of a policy profile, as the pure retention rules take it."""

    default: timedelta
    incident: timedelta
    pad_before: timedelta = timedelta(0)
    pad_after: timedelta = timedelta(0)
    emergency_grace: timedelta = timedelta(0)
    sensitive: timedelta | None = None  # the shorter period of sensitive sites, if any


class Profile(_Strict):
    """A whole policy profile."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    version: str = Field(min_length=1)
    title: str
    retention: RetentionSection
    holds: HoldsSection
    storage: StorageSection
    emergency: EmergencySection
    access: AccessSection
    grounds: list[Ground] = Field(min_length=1)
    dpia: DpiaSection = DpiaSection()
    calendar: CalendarSection = CalendarSection()
    breach: BreachSection = BreachSection()
    data_subject: DataSubjectSection = DataSubjectSection()
    public_register: RegisterSection = RegisterSection()
    transparency: TransparencySection = TransparencySection()

    @property
    def default_retention(self) -> timedelta:
        """How long footage without special status is kept."""
        return timedelta(days=self.retention.default_days)

    @property
    def incident_retention(self) -> timedelta:
        """How long incident footage is kept."""
        return timedelta(days=self.retention.incident_days)

    @property
    def retention_rules(self) -> Rules:
        """The retention rules of this profile."""
        section = self.retention
        return Rules(
            default=self.default_retention,
            incident=self.incident_retention,
            pad_before=timedelta(minutes=section.incident_padding_before_minutes),
            pad_after=timedelta(minutes=section.incident_padding_after_minutes),
            emergency_grace=timedelta(days=self.emergency.grace_days),
            sensitive=None
            if section.sensitive_days is None
            else timedelta(days=section.sensitive_days),
        )


class LoadedProfile(_Strict):
    """A profile with where it came from and the hash of its text, for publication."""

    profile: Profile
    source: str
    sha256: str
    text: str


def shipped_profiles() -> list[str]:
    """The names of the profiles that come with Custos."""
    folder = resources.files("custos") / "profiles"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_profile(name_or_path: str) -> LoadedProfile:
    """Load and validate a profile by shipped name or file path; ConfigError says what is wrong."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = Path(name_or_path)
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigError(f"policy file {path} cannot be read: {error.strerror}") from None
        source = str(path)
    else:
        resource = resources.files("custos") / "profiles" / f"{name_or_path}.toml"
        if not resource.is_file():
            shipped = ", ".join(shipped_profiles())
            raise ConfigError(f"unknown policy profile '{name_or_path}' (shipped: {shipped})")
        text, source = resource.read_text(), f"shipped profile {name_or_path}"
    return parse_profile(text, source)


def parse_profile(text: str, source: str) -> LoadedProfile:
    """Validate profile `text`."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"policy {source} is not valid TOML: {error}") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
        # An unknown key is most often a typo behind a "required" error: name it first.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        field = ".".join(str(part) for part in first["loc"]) or "(profile)"
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown key"
        raise ConfigError(f"policy {source}: field '{field}': {reason}") from None
    return LoadedProfile(
        profile=profile, source=source, sha256=hashlib.sha256(text.encode()).hexdigest(), text=text
    )
