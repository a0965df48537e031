"""The one place a Custos error becomes an HTTP status: JSON for programs, a page for people."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from custos.deps import SAFE_METHODS, SESSION_COOKIE
from custos.errors import (
    ConfigError,
    Conflict,
    CustosError,
    Forbidden,
    InvalidInput,
    NotFound,
    NotInitialised,
    PasswordChangeRequired,
    PolicyViolation,
    StorageError,
    TamperDetected,
    Unauthenticated,
)
from custos.web.navigation import page_of
from custos.web.templating import render

SESSION_ENDED = "Your session ended; sign in again to go on."

STATUS: dict[type[CustosError], int] = {
    InvalidInput: 422,
    PolicyViolation: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    TamperDetected: 500,
    StorageError: 503,
    NotInitialised: 503,
    ConfigError: 500,
}

CODES: dict[type[CustosError], str] = {
    InvalidInput: "invalid_input",
    PolicyViolation: "policy_violation",
    NotFound: "not_found",
    Conflict: "conflict",
    Unauthenticated: "unauthenticated",
    Forbidden: "forbidden",
    PasswordChangeRequired: "password_change_required",
    TamperDetected: "tamper_detected",
    StorageError: "storage_error",
    NotInitialised: "not_initialised",
    ConfigError: "config_error",
}


def status_of(error: CustosError) -> int:
    """The HTTP status for an error, by its nearest listed class."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def code_of(error: CustosError) -> str:
    """A stable machine-readable code for an error."""
    for cls in type(error).__mro__:
        if cls in CODES:
            return CODES[cls]
    return "error"


def wants_html(request: Request) -> bool:
    """Whether the caller is a browser asking for a page."""
    return "text/html" in request.headers.get("accept", "")


def _sign_in_again(request: Request) -> Response:
    """The sign-in form, leading back to the page the browser was on.

    A form sent, or a page asked for with a session cookie, means a session that was open has
    ended: the form says so. A first visit just shows the form.
    """
    ended = request.method not in SAFE_METHODS or SESSION_COOKIE in request.cookies
    response = render(
        request,
        "login.html",
        status_code=401,
        next=page_of(request),
        error=None,
        notice=SESSION_ENDED if ended else None,
        principal=None,
    )
    if SESSION_COOKIE in request.cookies:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install(app: FastAPI) -> None:
    """Register the handler that maps every CustosError."""

    @app.exception_handler(CustosError)
    def _handle(request: Request, error: CustosError) -> Response:
        status = status_of(error)
        if wants_html(request):
            if isinstance(error, PasswordChangeRequired):
                return RedirectResponse("/account", status_code=303)
            if isinstance(error, Unauthenticated):
                return _sign_in_again(request)
            return render(
                request,
                "error.html",
                status_code=status,
                status=status,
                message=error.message,
                principal=None,
            )
        body: dict[str, object] = {"error": code_of(error), "detail": error.message}
        if isinstance(error, InvalidInput) and error.field:
            body["field"] = error.field
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
