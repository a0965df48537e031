"""Signing in and out."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.context import Principal
from custos.deps import PUBLIC, SESSION_COOKIE, DbSession, RuntimeDep, client_address
from custos.users import service as users
from custos.web import forms
from custos.web.navigation import HOME, safe_next
from custos.web.pages.factor import after_sign_in
from custos.web.templating import render

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, next: str, form: forms.Form | None = None) -> Response:
    form = form or forms.Form("login")
    return render(
        request,
        "login.html",
        status_code=form.status,
        next=safe_next(next),
        error=form.error(forms.WHOLE_FORM),
        notice=None,
        principal=None,
        name=form.value("name"),
    )


@router.get("/", dependencies=[PUBLIC])
def home() -> Response:
    """The front door leads to the cameras page (or to sign-in)."""
    return forms.see_other(HOME)


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next: str = HOME) -> Response:
    """The sign-in form."""
    return _login_page(request, next)


@router.post("/login", dependencies=[PUBLIC])
def login(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = HOME,
) -> Response:
    """Check the password, open a session, set the cookie, go back where the form says."""
    settings = runtime.settings
    lifetime = timedelta(hours=settings.session_hours)

    def _signed_in(opened: tuple[Principal, str]) -> Response:
        principal, cookie = opened
        response = forms.see_other(after_sign_in(principal, next))
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=int(settings.session_hours * 3600),
            path="/",
            secure=settings.cookie_secure,
            httponly=True,
            samesite="strict",
        )
        return response

    return forms.act(
        db,
        forms.Form("login", forms.typed(name=name)),
        lambda: users.login(
            db,
            runtime.clock,
            name.strip(),
            password,
            client_address(request),
            lifetime,
            passwords=runtime.passwords,
        ),
        _signed_in,
        lambda refused: _login_page(request, next, refused),
    )


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request, db: DbSession, runtime: RuntimeDep) -> Response:
    """End the session and clear the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        users.logout(db, runtime.clock, cookie, client_address(request))
    response = forms.see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
