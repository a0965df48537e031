"""Server-rendered pages for people, one module per domain.

Every form of every page acts through `custos.web.forms`: one way to call the service, and on
a refusal one way to show the page again with what was typed and why it was refused.
"""

from __future__ import annotations

from fastapi import APIRouter

from custos.web.pages import (
    access,
    audit,
    auth,
    breaches,
    cameras,
    cases,
    devices,
    dpia,
    exports,
    factor,
    health,
    inspection,
    retention,
    subjects,
    users,
)

router = APIRouter(include_in_schema=False)
for _module in (
    auth,
    factor,
    cameras,
    health,
    users,
    audit,
    cases,
    access,
    exports,
    retention,
    dpia,
    breaches,
    subjects,
    devices,
    inspection,
):
    router.include_router(_module.router)
