"""The form layer: what a form keeps of what was typed, where a refusal's message goes, and
which status it takes (the same table as the API's)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from custos.cases.schemas import CaseCreate
from custos.errors import (
    Conflict,
    CustosError,
    Forbidden,
    InvalidInput,
    NotFound,
    PolicyViolation,
    StorageError,
    TamperDetected,
)
from custos.web import forms
from custos.web.errors import status_of

TYPED = forms.Form(
    "incident",
    forms.typed(cameras="plaza-nort", start="2026-11-30T10:00", persons=["P1", "P2"], tags=None),
)


def test_a_form_gives_back_what_was_typed() -> None:
    assert TYPED.value("cameras") == "plaza-nort"
    assert TYPED.all("persons") == ["P1", "P2"]
    assert TYPED.row("persons", 1) == "P2"
    assert TYPED.row("persons", 5, "none") == "none"
    assert TYPED.all("tags") == []
    assert TYPED.ticked("persons", "P2")
    assert not TYPED.ticked("persons", "P3")


def test_a_form_not_yet_sent_ticks_its_defaults() -> None:
    fresh = forms.Form("decide")
    assert fresh.ticked("hold", default=True)
    assert not forms.Form("decide", forms.typed(hold=[])).ticked("hold", default=True)


def test_a_page_asks_for_its_own_form_by_name() -> None:
    refused = TYPED.refused({"cameras": "no"}, 404)
    assert refused.of("incident") is refused
    other = refused.of("unmark:3")
    assert (other.name, other.values, other.errors, other.status) == ("unmark:3", {}, {}, 200)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("bad", field="start"), 422),
        (PolicyViolation("over the limit"), 422),
        (NotFound("no camera named 'plaza-nort'"), 404),
        (Forbidden("not yours"), 403),
        (Conflict("exists already"), 409),
        (TamperDetected("hash differs"), 500),
        (StorageError("disk full"), 503),
    ],
)
def test_a_refusal_takes_the_status_the_error_has_everywhere(
    error: CustosError, status: int
) -> None:
    refused = forms.refusal(TYPED, error, forms.ANYWHERE)
    assert refused.status == status == status_of(error)
    assert refused.values == TYPED.values


def test_a_message_stands_beside_the_field_it_names() -> None:
    refused = forms.refusal(TYPED, InvalidInput("not a time", field="start"), forms.ANYWHERE)
    assert refused.errors == {"start": "not a time"}


def test_a_field_the_form_does_not_show_goes_to_the_top() -> None:
    refused = forms.refusal(TYPED, InvalidInput("odd", field="scopes"), forms.ANYWHERE)
    assert refused.errors == {forms.WHOLE_FORM: "odd"}
    assert forms.refusal(TYPED, Conflict("closed"), forms.ANYWHERE).errors == {"": "closed"}


def test_a_form_names_the_field_an_error_without_one_concerns() -> None:
    where = forms.Placement(fields={"scopes": "cameras"}, unnamed={NotFound: "cameras"})
    unknown = forms.refusal(TYPED, NotFound("no camera named 'plaza-nort'"), where)
    assert unknown.errors == {"cameras": "no camera named 'plaza-nort'"}
    renamed = forms.refusal(TYPED, InvalidInput("a window", field="scopes"), where)
    assert renamed.errors == {"cameras": "a window"}
    assert forms.refusal(TYPED, Forbidden("no"), where).errors == {"": "no"}


def test_a_failed_validation_of_the_domain_model_is_422_beside_each_field() -> None:
    form = forms.Form("case", forms.typed(reference="", legal_basis="x", description=""))
    with pytest.raises(ValidationError) as caught:
        CaseCreate(reference="", legal_basis="x", description="")
    refused = forms.refusal(form, caught.value, forms.ANYWHERE)
    assert refused.status == 422
    assert set(refused.errors) == {"reference", "description"}
    assert "at least 1 character" in refused.errors["reference"]
