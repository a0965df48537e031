"""Jinja2 templates shipped inside the package, rendered with a few shared helpers."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.responses import Response

from custos.context import Principal
from custos.permissions import Permission, is_admitted
from custos.web import csrf, i18n

templates = Jinja2Templates(directory=str(resources.files("custos.web") / "templates"))


def may(principal: Principal | None, permission: str) -> bool:
    """Whether `principal` holds `permission` (the roles come from `users.policy` alone)."""
    return principal is not None and is_admitted(principal.role, Permission(permission))


@pass_context
def csrf_field(context: Context, sign_in: bool = False) -> Markup:
    """The hidden input every form that sends a change carries (`custos.web.csrf`)."""
    tokens: csrf.FormTokens = context["csrf"]
    token = tokens.sign_in if sign_in else tokens.field
    return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, token)


templates.env.globals["may"] = may
templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["languages"] = i18n.LANGUAGES
templates.env.filters["t"] = i18n.gettext  # a value from the data: translated, never formatted
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)


def render(request: Request, template: str, /, status_code: int = 200, **context: Any) -> Response:
    """Render `template` with `context`, and the tokens of its forms, in the viewer's language."""
    tokens = csrf.FormTokens(request)
    language = i18n.choose(request)
    i18n.activate(language)
    response = templates.TemplateResponse(
        request,
        template,
        {**context, "csrf": tokens, "lang": language},
        status_code=status_code,
    )
    secure = request.app.state.runtime.settings.cookie_secure
    tokens.set_cookie(response, secure=secure)
    i18n.remember(request, response, language, secure)
    return response
