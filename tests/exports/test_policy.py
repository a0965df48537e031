"""Who may be listed as a recipient of evidence, and when a package may be downloaded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.exports.policy import (
    ExportState,
    RecipientRole,
    download_problem,
    link_terms_problem,
    ranges_problem,
    recipient_problem,
    to_shred,
)


@pytest.mark.parametrize(
    ("name", "organisation", "role", "problem"),
    [
        ("Judge A. Seitkali", "Almaty City Court", RecipientRole.COURT, None),
        ("Prosecutor B", "Almaty Prosecutor's Office", RecipientRole.PROSECUTOR, None),
        ("Counsel C", "Law firm D", RecipientRole.DEFENCE, None),
        ("Aigerim K.", "", RecipientRole.DATA_SUBJECT, None),  # a person, as themselves
        ("", "Almaty City Court", RecipientRole.COURT, "name the recipient"),
        ("  ", "", RecipientRole.DATA_SUBJECT, "name the recipient"),
        ("Judge A", " ", RecipientRole.COURT, "name the organisation of the court"),
        ("Counsel C", "", RecipientRole.DEFENCE, "name the organisation of the defence counsel"),
        ("Prosecutor B", "", RecipientRole.PROSECUTOR, "name the organisation of the prosecutor"),
    ],
)
def test_recipient_problem(
    name: str, organisation: str, role: RecipientRole, problem: str | None
) -> None:
    assert recipient_problem(name, organisation, role) == problem


@pytest.mark.parametrize(
    ("spans", "problem"),
    [
        ([(1, 0, 10)], None),
        ([(1, 10, 20), (1, 0, 10)], None),  # touching is not overlapping
        ([(1, 0, 10), (2, 0, 10)], None),  # the same seconds of two windows
        ([], "choose at least one range to export"),
        ([(1, 5, 5)], "a range of window 1 ends after it starts"),
        ([(1, 0, 10), (1, 9, 20)], "two ranges of window 1 overlap"),
        ([(2, 0, 10), (1, 0, 30), (1, 5, 6)], "two ranges of window 1 overlap"),
        ([(1, n, n + 1) for n in range(13)], "one package holds at most 12 ranges"),
    ],
)
def test_ranges_problem(spans: list[tuple[int, float, float]], problem: str | None) -> None:
    assert ranges_problem(spans) == problem


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.floats(0, 100, allow_nan=False), st.floats(0, 100)),
        max_size=12,
    )
)
def test_no_second_of_a_window_goes_twice_in_an_accepted_package(
    spans: list[tuple[int, float, float]],
) -> None:
    if ranges_problem(spans) is not None:
        return
    for i, (window, start, end) in enumerate(spans):
        for other, begins, ends in spans[i + 1 :]:
            assert window != other or end <= begins or ends <= start


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("terms", "problem"),
    [
        ((7, 1), None),
        ((30, 5), None),
        ((0.5, 2), None),
        ((0, 1), "a download link lasts more than 0 and at most 30 days"),
        ((31, 1), "a download link lasts more than 0 and at most 30 days"),
        ((7, 0), "a download link works 1 to 5 times"),
        ((7, 6), "a download link works 1 to 5 times"),
    ],
)
def test_link_terms(terms: tuple[float, int], problem: str | None) -> None:
    assert link_terms_problem(*terms) == problem


READY: dict[str, Any] = {
    "state": ExportState.READY,
    "expires_at": LATER,
    "downloads_left": 1,
    "revoked": False,
    "shredded": False,
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        ({"revoked": True}, "the export was revoked"),
        ({"shredded": True}, "the stored package has been shredded"),
        ({"state": ExportState.MAKING}, "the package is still being made: try again shortly"),
        ({"state": ExportState.FAILED}, "the package could not be made"),
        ({"expires_at": NOW}, "the download link has expired"),
        ({"expires_at": None}, "the download link has expired"),
        ({"downloads_left": 0}, "the download link has been used as many times as it allows"),
        # What stops a download first: revoked, then shredded, before anything else.
        ({"revoked": True, "downloads_left": 0}, "the export was revoked"),
    ],
)
def test_download_problem(change: dict[str, Any], problem: str | None) -> None:
    assert download_problem(NOW, **{**READY, **change}) == problem


@given(
    left=st.integers(min_value=-1, max_value=5),
    hours=st.integers(min_value=-48, max_value=48),
    revoked=st.booleans(),
)
def test_a_package_is_shredded_exactly_when_it_can_no_longer_be_downloaded(
    left: int, hours: int, revoked: bool
) -> None:
    expires = NOW + timedelta(hours=hours)
    usable = (
        download_problem(
            NOW,
            state=ExportState.READY,
            expires_at=expires,
            downloads_left=left,
            revoked=revoked,
            shredded=False,
        )
        is None
    )
    assert to_shred(NOW, expires_at=expires, downloads_left=left, revoked=revoked) is not usable
