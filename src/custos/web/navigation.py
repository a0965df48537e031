"""Where a browser goes back to: local paths only, and the page a form was sent from."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from starlette.routing import Match

HOME = "/cameras"


def safe_next(target: str) -> str:
    """`target` if it is a path on this site, else the home page.

    Only local paths: an open redirect after sign-in is a phishing aid.
    """
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


def page_of(request: Request) -> str:
    """The page to come back to after signing in again.

    A page asked for is that page. A form sent is the page it was on: the Referer when it is
    this site's (browsers send it on same-origin posts), else the nearest path above the form's
    target that is a page (`/cases/3/persons` was sent from `/cases/3`).
    """
    if request.method in ("GET", "HEAD"):
        return safe_next(request.url.path)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc == request.headers.get("host") and referer.path:
        path = referer.path + (f"?{referer.query}" if referer.query else "")
        return safe_next(path)
    path = request.url.path.rstrip("/")
    while path:
        if _is_page(request, path):
            return safe_next(path)
        path = path.rpartition("/")[0]
    return HOME


def _is_page(request: Request, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)
