"""Cross-site request forgery: a token in every form, and the origin of every form sent.

A browser sends its cookies with any request to this site, whoever made the page the request
comes from. So a request that changes something and is authenticated by a cookie must prove it
comes from a page of this site, twice over:

- **Origin.** The `Origin` header must be this site's own, scheme included
  (`https://custos.example`): missing, `null`, another host or the other scheme is refused.
  Browsers send it on every POST; the pages' `Referrer-Policy: same-origin` keeps it whole.
- **Token.** The form carries a hidden `csrf_token` (scripts may send `X-CSRF-Token`
  instead). It is the SHA-256 of a fixed label and the value of a cookie another site can
  neither read nor set: the session cookie once signed in, and before that a random sign-in
  cookie set with the sign-in form. A page of another site cannot know it, and a token
  from another session (or another browser's sign-in form) does not match this one.

Checked on every request whose method changes something, before any route runs, when it
carries the session cookie, and always on signing in and out. A request authenticated by
`Authorization: Bearer` carries no ambient credential and is not checked. A refusal is
`CrossSiteRefused` (403); on the sign-in form it shows the form again with a fresh cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from custos.deps import SAFE_METHODS, SESSION_COOKIE
from custos.errors import Forbidden

SIGN_IN_COOKIE = "custos_signin"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SIGN_IN_PATHS = frozenset({"/login"})
_LABEL = b"custos csrf token\x00"


class CrossSiteRefused(Forbidden):
    """A cookie-authenticated request that does not come from one of this site's pages."""


def token_for(cookie: str) -> str:
    """The form token that goes with a cookie's value."""
    return hashlib.sha256(_LABEL + cookie.encode()).hexdigest()


def own_origin(request: Request) -> str:
    """This site's origin as the browser sees it: scheme, host and port."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


class FormTokens:
    """The tokens a page's forms carry; made per rendering, read by the templates.

    `field` is the token of the signed-in session's forms, `sign_in` the token of the sign-in
    form, whose cookie is made here when the browser has none (`set_cookie` then sets it on
    the response).
    """

    def __init__(self, request: Request) -> None:
        self._request = request
        self.minted: str | None = None

    @property
    def field(self) -> str:
        """The token of a signed-in page's forms ("" when there is no session)."""
        cookie = self._request.cookies.get(SESSION_COOKIE)
        return token_for(cookie) if cookie else ""

    @property
    def sign_in(self) -> str:
        """The token of the sign-in form, making its cookie if the browser has none."""
        cookie = self._request.cookies.get(SIGN_IN_COOKIE) or self.minted
        if cookie is None:
            cookie = self.minted = secrets.token_urlsafe(32)
        return token_for(cookie)

    def set_cookie(self, response: Response, secure: bool) -> None:
        """Give the browser the sign-in cookie made while the page was drawn, if one was."""
        if self.minted is not None:
            response.set_cookie(
                SIGN_IN_COOKIE,
                self.minted,
                path="/",
                secure=secure,
                httponly=True,
                samesite="strict",
            )


def checked(request: Request) -> bool:
    """Whether a request must prove it comes from one of this site's pages."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return False
    return SESSION_COOKIE in request.cookies or request.url.path in SIGN_IN_PATHS


async def check(request: Request) -> None:
    """Refuse a cookie-authenticated change that does not come from this site's pages."""
    if not checked(request):
        return
    origin = request.headers.get("origin")
    if origin is None:
        raise CrossSiteRefused("refused: the request does not say which site it comes from")
    if origin.lower() != own_origin(request):
        raise CrossSiteRefused(f"refused: the request comes from another site ({origin})")
    cookie = request.cookies.get(SIGN_IN_COOKIE if request.url.path == "/login" else SESSION_COOKIE)
    sent = request.headers.get(HEADER) or await _form_token(request)
    if not cookie or not sent or not hmac.compare_digest(sent, token_for(cookie)):
        raise CrossSiteRefused(
            "refused: the form's security token is missing or belongs to another session; "
            "reload the page and send the form again"
        )


async def _form_token(request: Request) -> str | None:
    """The token field of a form body (parsed once: the route reads the same parse)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    value = (await request.form()).get(FIELD)
    return value if isinstance(value, str) else None
