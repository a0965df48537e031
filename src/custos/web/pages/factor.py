"""The second factor on the web: enrolling an authenticator, and the code that ends a sign-in.

An approver, admin or data protection officer signs in with the password, then lands here: on
the enrolment page the first time (a QR code to scan and the seed as text, then a first code),
on the code page every time after. Until the code is given the session reaches nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from custos.context import Principal
from custos.deps import DbSession, RuntimeDep, SigningIn, client_address
from custos.permissions import Factor
from custos.users import factor
from custos.users import service as users
from custos.web import forms
from custos.web.navigation import HOME, safe_next
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

CODE_PAGE = "/login/code"
ENROL_PAGE = "/account/second-factor"


def after_sign_in(principal: Principal, next: str) -> str:
    """Where a browser goes once a password was accepted: the second factor, then the page."""
    if principal.factor is Factor.CODE:
        return f"{CODE_PAGE}?next={safe_next(next)}"
    if principal.factor is Factor.ENROL:
        return f"{ENROL_PAGE}?next={safe_next(next)}"
    return after_factor(principal, next)


def after_factor(principal: Principal, next: str) -> str:
    """Where a browser goes once signed in whole: its own password first, if one must be chosen."""
    return "/account" if principal.must_change_password else safe_next(next)


def _code_page(
    request: Request, principal: Principal, next: str, form: forms.Form | None = None
) -> Response:
    form = form or forms.Form("code")
    return render(
        request,
        "second_factor.html",
        status_code=form.status,
        principal=None,
        signing_in=principal,
        enrolment=None,
        next=safe_next(next),
        form=form,
    )


@router.get(CODE_PAGE)
def code_page(request: Request, principal: SigningIn, next: str = HOME) -> Response:
    """The form for the code of the authenticator, after the password."""
    if principal.factor is not Factor.CODE:
        return forms.see_other(after_sign_in(principal, next))
    return _code_page(request, principal, next)


@router.post(CODE_PAGE)
def give_code(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    principal: SigningIn,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    """Check the code; the session is signed in whole when it is right."""
    return _with_code(
        request,
        db,
        runtime,
        principal,
        forms.Form("code", forms.typed(code="")),
        factor.give_code,
        code,
        next,
        lambda refused: _code_page(request, principal, next, refused),
    )


def _with_code(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    principal: Principal,
    form: forms.Form,
    accept: Callable[..., factor.Given],
    code: str,
    next: str,
    again: Callable[[forms.Form], Response],
) -> Response:
    """Hand a typed code to the service; on to the page asked for, or the form again."""
    return forms.act(
        db,
        form,
        lambda: accept(
            db,
            runtime.clock,
            principal,
            principal.actor(client_address(request)),
            code,
            sealer=runtime.sealer,
        ),
        lambda _: after_factor(principal, next),
        again,
        forms.Placement(fields={"code": "code"}),
    )


def _enrolment_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    principal: Principal,
    next: str,
    form: forms.Form | None = None,
) -> Response:
    form = form or forms.Form("enrol")
    user = users.get_user(db, principal.name)
    enrolment = None
    if principal.factor is Factor.ENROL:
        enrolment = factor.begin_enrolment(
            db,
            runtime.clock,
            principal,
            principal.actor(client_address(request)),
            sealer=runtime.sealer,
        )
    qr = None
    if enrolment is not None:  # squares drawn by segno from the seed's URI: no text of anyone's
        qr = Markup(segno.make(enrolment.uri, error="m").svg_inline(scale=4))  # noqa: S704
    return render(
        request,
        "second_factor.html",
        status_code=form.status,
        principal=principal if principal.factor is not Factor.ENROL else None,
        signing_in=principal,
        enrolment=enrolment,
        grouped=" ".join(enrolment.secret[i : i + 4] for i in range(0, 32, 4)) if enrolment else "",
        qr=qr,
        enrolled_at=user.totp_enrolled_at,
        next=safe_next(next),
        form=form,
    )


@router.get(ENROL_PAGE)
def enrolment_page(
    request: Request, db: DbSession, runtime: RuntimeDep, principal: SigningIn, next: str = HOME
) -> Response:
    """Set up an authenticator (the first time), or see that one is set up."""
    if principal.factor is Factor.CODE:
        return forms.see_other(after_sign_in(principal, next))
    return _enrolment_page(request, db, runtime, principal, next)


@router.post(ENROL_PAGE)
def finish_enrolment(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    principal: SigningIn,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    """Enrol the authenticator with its first code; the session is then signed in whole."""
    return _with_code(
        request,
        db,
        runtime,
        principal,
        forms.Form("enrol", forms.typed(code="")),
        factor.finish_enrolment,
        code,
        next,
        lambda refused: _enrolment_page(request, db, runtime, principal, next, refused),
    )
