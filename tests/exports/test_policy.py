"""Who may be listed as a recipient of evidence."""

from __future__ import annotations

import pytest

from custos.exports.policy import RecipientRole, recipient_problem


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
