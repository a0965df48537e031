"""Clock protocol: the only place that reads the wall clock.

Services take a `Clock` so that tests can freeze time and policy can be given `now` explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        """Return the frozen time."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._now += delta

    def set(self, at: datetime) -> None:
        """Jump to `at` (timezone-aware)."""
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = at.astimezone(UTC)


def parse_time(text: str, name: str) -> datetime:
    """An ISO 8601 time typed by a person (UTC when no zone is given); InvalidInput names `name`."""
    from custos.errors import InvalidInput

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{name}: '{text}' is not a date and time like 2026-11-30T14:05", field=name
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
