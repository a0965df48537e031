"""The one place an error becomes an HTTP status: JSON for programs, a page for people.

Every error the API answers has one body, `custos.http.ErrorOut`:
`{"error": <code>, "detail": <words>}`, with `"field"` when one input is at fault. That holds
for a Custos error, for input the route's types refuse (FastAPI's validation), for a path or
method that does not exist, and for an unexpected failure. `describe` writes the same into the
OpenAPI document, with the statuses each operation answers, so the document and the answers
agree.
"""

from __future__ import annotations

import http
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from custos.deps import SAFE_METHODS, SESSION_COOKIE, Admits, signing_in
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
    SecondFactorRequired,
    StorageError,
    TamperDetected,
    Unauthenticated,
)
from custos.http import ERROR_STATUSES, ErrorOut
from custos.web import csrf
from custos.web.navigation import HOME, page_of, safe_next
from custos.web.templating import render

SESSION_ENDED = "Your session ended; sign in again to go on."
FORM_REFUSED = (
    "This sign-in form had expired or did not come from this site. Type your password again."
)

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
    SecondFactorRequired: "second_factor_required",
    TamperDetected: "tamper_detected",
    StorageError: "storage_error",
    NotInitialised: "not_initialised",
    ConfigError: "config_error",
}


# The codes of statuses that come from the web framework rather than from a Custos error.
HTTP_CODES: dict[int, str] = {
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}

# Where FastAPI puts the part of the request an input came from: not part of the field's name.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


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


def field_of(location: Sequence[int | str]) -> str | None:
    """The dotted name of an input from a validation error's location (`windows.0.start`)."""
    parts = [str(part) for part in location]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(parts) or None


def describe_invalid(problems: Sequence[Any]) -> tuple[str, str | None]:
    """The words of a refused input, every problem named, and the first field at fault."""
    said: list[str] = []
    fields: list[str] = []
    for problem in problems:
        if problem.get("type") == "json_invalid":
            said.append("the body is not valid JSON")
            continue
        name = field_of(problem.get("loc", ()))
        message = str(problem.get("msg", "invalid"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        said.append(f"{name}: {message}" if name else message)
        if name:
            fields.append(name)
    return "; ".join(dict.fromkeys(said)) or "invalid input", fields[0] if fields else None


def _error_body(code: str, detail: str, field: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"error": code, "detail": detail}
    if field:
        body["field"] = field
    return body


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        message=message,
        principal=None,
    )


def install(app: FastAPI) -> None:
    """Register the handler that maps every CustosError."""

    @app.exception_handler(CustosError)
    def _handle(request: Request, error: CustosError) -> Response:
        status = status_of(error)
        if wants_html(request):
            if isinstance(error, PasswordChangeRequired):
                return RedirectResponse("/account", status_code=303)
            if isinstance(error, SecondFactorRequired):
                page = "/account/second-factor" if error.enrol else "/login/code"
                return RedirectResponse(
                    f"{page}?{urlencode({'next': page_of(request)})}", status_code=303
                )
            if isinstance(error, Unauthenticated):
                return _sign_in_again(request)
            return _error_page(request, status, error.message)
        field = error.field if isinstance(error, InvalidInput) else None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _error_body(code_of(error), error.message, field), status_code=status, headers=headers
        )

    @app.exception_handler(csrf.CrossSiteRefused)
    async def _handle_cross_site(request: Request, error: CustosError) -> Response:
        # The sign-in form whose cookie was lost (or never came from here) is shown again, as
        # typed, with a fresh cookie: a person sees a form to send again, not a dead end.
        if wants_html(request) and request.url.path == "/login":
            typed = await request.form()
            name, next_page = typed.get("name"), typed.get("next")
            return render(
                request,
                "login.html",
                status_code=403,
                next=safe_next(next_page if isinstance(next_page, str) else HOME),
                error=FORM_REFUSED,
                notice=None,
                principal=None,
                name=name if isinstance(name, str) else "",
            )
        return _handle(request, error)

    @app.exception_handler(RequestValidationError)
    def _handle_invalid(request: Request, error: RequestValidationError) -> Response:
        detail, field = describe_invalid(error.errors())
        if wants_html(request):
            return _error_page(request, 422, detail)
        return JSONResponse(_error_body("invalid_input", detail, field), status_code=422)

    @app.exception_handler(HTTPException)
    def _handle_http(request: Request, error: HTTPException) -> Response:
        status = error.status_code
        detail = str(error.detail) if error.detail else http.HTTPStatus(status).phrase
        if status == 400:  # FastAPI's word for a body it cannot parse: an input refused, as any
            status, detail = 422, "the body cannot be read: it is not JSON or form data in UTF-8"
        if wants_html(request) and status >= 400:
            return _error_page(request, status, detail)
        if status < 400 or status in (204, 304):
            return Response(status_code=status, headers=error.headers)
        code = HTTP_CODES.get(status, "error")
        return JSONResponse(_error_body(code, detail), status_code=status, headers=error.headers)

    @app.exception_handler(Exception)
    def _handle_unexpected(request: Request, error: Exception) -> Response:
        # The failure itself is logged by the server; the caller learns only that it happened.
        detail = "the server failed to answer this request; the failure is logged"
        if wants_html(request):
            return _error_page(request, 500, detail)
        return JSONResponse(_error_body("internal_error", detail), status_code=500)

    _describe_in_document(app)


NUL_REFUSED = "the input holds a NUL character (U+0000), which no text field may hold"


class RefuseNul:
    """Refuse, with 422, a request whose path, query or body holds a NUL character.

    PostgreSQL cannot store U+0000 in text, and no name, reason or reference needs one: it is
    refused at the edge, before any route or transaction sees it, whatever field it is in.
    Bodies are read whole here and handed on unchanged (the API takes no uploads).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if _holds_nul(raw_path) or _holds_nul(scope.get("query_string", b"")):
            await self._refuse(scope, receive, send)
            return
        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        if _body_holds_nul(body, headers.get(b"content-type", b"")):
            await self._refuse(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if wants_html(request):
            response = _error_page(request, 422, NUL_REFUSED)
        else:
            response = JSONResponse(_error_body("invalid_input", NUL_REFUSED), status_code=422)
        await response(scope, receive, send)


def _holds_nul(raw: bytes) -> bool:
    """NUL in raw bytes, or percent-encoded in a path, query or form body."""
    return b"\x00" in raw or b"%00" in raw


def _body_holds_nul(body: bytes, content_type: bytes) -> bool:
    if b"\x00" in body:
        return True
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return b"%00" in body
    if b"\\u0000" not in body.lower():
        return False
    try:  # JSON's escape for NUL; parsed, so that an escaped backslash before "u0000" is not one
        parsed = json.loads(body)
    except ValueError:
        return False  # not JSON: the route refuses it as such
    return _any_nul(parsed)


def _any_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_any_nul(key) or _any_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_any_nul(item) for item in value)
    return False


def _describe_in_document(app: FastAPI) -> None:
    """Make the app's OpenAPI document describe the errors as the handlers above write them."""
    generate = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(generate(), app.routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


_REF = "#/components/schemas/"
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": _REF + ErrorOut.__name__}}}


def describe(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Give every operation of `document` the error statuses it answers, with the error body.

    401 and 403 for an operation with a caller check, 404 when its path names something, 422
    when it takes any input, and what the route declared with `custos.http.answers`. FastAPI's
    own 422 shape (HTTPValidationError) is replaced: the API never answers it.
    """
    for context in iter_route_contexts(routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path = context.path_format or route.path_format
        if path not in document["paths"]:
            continue
        statuses = set()
        dependant = route.dependant
        if _admits(dependant):
            statuses |= {401, 403}
        if dependant.path_params:
            statuses.add(404)
        if _takes_input(dependant):
            statuses.add(422)
        for method in route.methods or ():
            operation = document["paths"][path][method.lower()]
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), {})
            for key, response in responses.items():
                if not key.isdigit() or int(key) < 400:
                    continue
                status = int(key)
                refers = response.get("content", {}).get("application/json", {}).get("schema", {})
                if not refers or refers.get("$ref", "").endswith("/HTTPValidationError"):
                    response["content"] = _ERROR_CONTENT
                    response["description"] = ERROR_STATUSES.get(
                        status, http.HTTPStatus(status).phrase
                    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.setdefault(ErrorOut.__name__, ErrorOut.model_json_schema(ref_template=_REF + "{model}"))
    return document


def _admits(dependant: Dependant) -> bool:
    return any(
        isinstance(sub.call, Admits) or sub.call is signing_in or _admits(sub)
        for sub in dependant.dependencies
    )


def _takes_input(dependant: Dependant) -> bool:
    if (
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
    ):
        return True
    return any(_takes_input(sub) for sub in dependant.dependencies)
