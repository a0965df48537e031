"""What every HTTP route shares about what comes in and what goes out when it fails.

Numbers and times from outside are typed once, here, and every route and input schema uses
these types, so no value that a database column, a `timedelta` or a `datetime` cannot hold
gets past the edge:

    Id      a row's number in a path, a query or a body: 1 .. 2**31 - 1, what an INTEGER
            column holds on PostgreSQL (SQLite's hold more; the API promises the same on both)
    Index   a position in the audit log, or a count of its entries, 0 .. 2**63 - 1 (BIGINT)
    Size    a size of the audit log: 1 .. 2**63 - 1
    Time    ISO 8601 with a date (`2026-11-30`, `2026-11-30T14:05`, `...T14:05:00+05:00`);
            no zone means UTC; a bare number (`0.5`, `1764500000`) is refused, not read as
            seconds since 1970; years 1970 to 8999 only, so that adding a retention period
            never overflows

A value outside them is answered 422 with the one error body, `ErrorOut`, which every error of
the API has (`custos.web.errors` writes it; the OpenAPI document describes it). `answers`
declares, in a route's decorator, statuses the route gives that the document cannot infer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL: every row id
MAX_INT = 2**63 - 1  # the largest value of a BIGINT column: the audit log's positions

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Index = Annotated[int, Field(ge=0, le=MAX_INT)]
Size = Annotated[int, Field(ge=1, le=MAX_INT)]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
TIME_EXAMPLE = "2026-11-30T14:05:00Z"

# A calendar date first: what datetime parsing would otherwise read as seconds since 1970
# (`0.5`, `1764500000`) is refused before it gets there.
_STARTS_WITH_A_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ])")


def _a_date_first(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _STARTS_WITH_A_DATE.match(value.strip()):
        return value.strip()
    raise ValueError(f"must be an ISO 8601 date and time, like {TIME_EXAMPLE}")


def _in_range_utc(value: datetime) -> datetime:
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if not EARLIEST <= moment < LATEST:
        raise ValueError("must lie between the years 1970 and 8999")
    return moment.astimezone(UTC)


Time = Annotated[
    datetime,
    BeforeValidator(_a_date_first),
    AfterValidator(_in_range_utc),
    Field(examples=[TIME_EXAMPLE]),
]


class ErrorOut(BaseModel):
    """The body of every error the API answers, whatever its status."""

    error: str = Field(
        description="A stable code: invalid_input, policy_violation, unauthenticated, "
        "forbidden, password_change_required, second_factor_required, not_found, conflict, "
        "storage_error, ...",
        examples=["not_found"],
    )
    detail: str = Field(description="What went wrong, in words meant for a person.")
    field: str | None = Field(
        default=None,
        description="The input at fault, when there is one (e.g. `windows.0.start`).",
    )


# What each error status means, for the OpenAPI document.
ERROR_STATUSES: dict[int, str] = {
    401: "No credentials, or credentials that do not check out (`WWW-Authenticate: Bearer`).",
    403: "Signed in, but the role is not admitted here, a one-time password must be changed "
    "first, a code of the second factor must be sent first, or a form did not come from this "
    "site.",
    404: "What the request names does not exist.",
    409: "It exists already, or its state does not allow this.",
    422: "Invalid input (a value out of range, malformed, missing), or refused by a rule of the "
    "policy; `field` names the input at fault.",
    503: "The storage or the database refused: full, unreachable, or not initialised.",
}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route's decorator for error statuses it gives beyond the obvious.

    The document infers 401 and 403 from the route's caller, 404 from a path parameter and
    422 from any parameter or body; a route names here what else it answers (a 409, or a 404
    for something its body names).
    """
    unknown = set(statuses) - set(ERROR_STATUSES)
    if unknown:
        raise ValueError(f"no error status {sorted(unknown)}")
    return {
        status: {"model": ErrorOut, "description": ERROR_STATUSES[status]} for status in statuses
    }
