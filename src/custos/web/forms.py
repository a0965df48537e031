"""The one way a page form acts.

A page route gathers what was typed into a `Form` and hands `act` the service call. When the
call goes through, the browser is sent on (303) or shown what `then` renders. When it is
refused, the same page is rendered again with the `Form` it was given back, now holding a
message per field: every typed value is still in its input and the reason stands beside the
field it concerns, or at the top of the form when it concerns none of them. The HTTP status of
a refusal is the one `web.errors` gives that error anywhere else: a refused camera name is 404
here as it is in the API, a state conflict 409, a malformed value 422.

A page may hold several forms (the case page: add a person, clear one, close the case, request
footage); each has a name, and a template asks for its own with `form.of(name)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from custos.errors import CustosError, InvalidInput
from custos.web.errors import STATUS, status_of

T = TypeVar("T")

WHOLE_FORM = ""
"""The key of a message that concerns the form as a whole (shown at its top)."""

Typed = str | list[str]


@dataclass(frozen=True)
class Form:
    """One form of a page as typed: its values and, after a refusal, a message per field."""

    name: str = ""
    values: Mapping[str, Typed] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    status: int = 200
    # The keys whose messages the page has shown so far; the page's frame shows the rest at
    # its top, so that no reason is lost when the row or field it belongs to is not drawn
    # (a request decided meanwhile no longer shows its decision form).
    shown: set[str] = field(default_factory=set, init=False, compare=False, repr=False)

    def of(self, name: str) -> Form:
        """This form if it is the one named, else an empty form of that name."""
        return self if self.name == name else Form(name)

    @property
    def submitted(self) -> bool:
        """Whether the form carries what someone typed (not a first showing)."""
        return bool(self.values)

    def value(self, key: str, default: str = "") -> str:
        """What was typed into `key` (the first value of a repeated field)."""
        typed = self.values.get(key)
        if typed is None:
            return default
        if isinstance(typed, str):
            return typed
        return typed[0] if typed else default

    def all(self, key: str) -> list[str]:
        """Every value typed into a repeated field (ticked boxes, table rows)."""
        typed = self.values.get(key)
        if typed is None:
            return []
        return [typed] if isinstance(typed, str) else list(typed)

    def row(self, key: str, index: int, default: str = "") -> str:
        """Row `index` of a repeated field, as typed."""
        typed = self.all(key)
        return typed[index] if index < len(typed) else default

    def ticked(self, key: str, value: str = "1", default: bool = False) -> bool:
        """Whether a checkbox was ticked; `default` before the form was ever sent."""
        if not self.submitted:
            return default
        return value in self.all(key)

    def error(self, *keys: str) -> str | None:
        """The message of the first of `keys` that has one."""
        found = self.first(*keys)
        return None if found is None else self.errors[found]

    def first(self, *keys: str) -> str | None:
        """The first of `keys` that has a message."""
        return next((key for key in keys if key in self.errors), None)

    def show(self, *keys: str) -> str:
        """Note that the messages of `keys` are on the page (for use in templates)."""
        self.shown.update(keys)
        return ""

    def unshown(self) -> list[str]:
        """The messages the page has not shown beside anything."""
        return [message for key, message in self.errors.items() if key not in self.shown]

    def refused(self, errors: Mapping[str, str], status: int) -> Form:
        """The same form, with the messages of a refusal."""
        return replace(self, errors=dict(errors), status=status)


def see_other(path: str) -> RedirectResponse:
    """Send the browser on to `path` after a form went through."""
    return RedirectResponse(path, status_code=303)


def validation_messages(error: ValidationError) -> dict[str, str]:
    """One readable message per top-level field of a failed validation."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field_name = str(item["loc"][0]) if item["loc"] else WHOLE_FORM
        messages.setdefault(field_name, item["msg"].removeprefix("Value error, "))
    return messages


@dataclass(frozen=True)
class Placement:
    """Where a form shows the messages of a refusal.

    `fields` renames an error's field to the one the form shows it beside (the hold form's one
    camera stands for the API's `scopes`); `unnamed` names the field that errors of a kind
    carrying no field concern on this form (an unknown camera on the incident form concerns its
    cameras). A message whose field the form does not show goes to the top of the form.
    """

    fields: Mapping[str, str] = field(default_factory=dict)
    unnamed: Mapping[type[CustosError], str] = field(default_factory=dict)

    def of(self, form: Form, error: CustosError) -> str:
        """The field of `form` beside which `error` is shown."""
        named = error.field if isinstance(error, InvalidInput) else None
        if named is None:
            named = next((f for kind, f in self.unnamed.items() if isinstance(error, kind)), None)
        return self.shown(form, named)

    def shown(self, form: Form, named: str | None) -> str:
        """The field a message about `named` is shown beside, or the top of the form."""
        if named is None:
            return WHOLE_FORM
        named = self.fields.get(named, named)
        return named if named in form.values or named in self.fields.values() else WHOLE_FORM


ANYWHERE = Placement()


def refusal(form: Form, error: CustosError | ValidationError, where: Placement) -> Form:
    """`form` with the messages of `error` beside their fields, and the error's status."""
    if isinstance(error, ValidationError):
        messages: dict[str, str] = {}
        for key, message in validation_messages(error).items():
            messages.setdefault(where.shown(form, key or None), message)
        return form.refused(messages, STATUS[InvalidInput])
    return form.refused({where.of(form, error): error.message}, status_of(error))


def act(
    db: Session,
    form: Form,
    action: Callable[[], T],
    then: Callable[[T], str | Response],
    again: Callable[[Form], Response],
    where: Placement = ANYWHERE,
) -> Response:
    """Do a form's `action`; then go where `then` says (a path) or show what it renders.

    A refusal, a CustosError or a failed validation of the domain's input model, undoes
    whatever the action began and shows the page again through `again`, with the form as typed
    and the reason placed as `where` says.
    """
    try:
        done = action()
    except (CustosError, ValidationError) as error:
        db.rollback()
        return again(refusal(form, error, where))
    after = then(done)
    return see_other(after) if isinstance(after, str) else after


def typed(**values: Typed | None) -> dict[str, Typed]:
    """The values of a form as typed, a missing repeated field as an empty list."""
    return {key: [] if value is None else value for key, value in values.items()}
