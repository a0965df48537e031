"""Jinja2 templates shipped inside the package, rendered with a few shared helpers."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from custos.context import Principal
from custos.permissions import Permission, is_admitted

templates = Jinja2Templates(directory=str(resources.files("custos.web") / "templates"))


def may(principal: Principal | None, permission: str) -> bool:
    """Whether `principal` holds `permission` (the roles come from `users.policy` alone)."""
    return principal is not None and is_admitted(principal.role, Permission(permission))


templates.env.globals["may"] = may


def render(request: Request, template: str, /, status_code: int = 200, **context: Any) -> Response:
    """Render `template` with `context`."""
    return templates.TemplateResponse(request, template, context, status_code=status_code)
