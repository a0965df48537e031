"""No search of footage by face or attribute exists: not as a route, not as a parameter.

DESIGN.md §3: access is by scope only (cameras × time windows inside a case). This test reads
the published OpenAPI schema, so a route or field added anywhere in the API is checked.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

# Words that would name a search by who someone is or what they look like.
FORBIDDEN = re.compile(
    r"face|biometric|embedding|recogni[sz]|similar|lookalike|identify|attribute|clothing|"
    r"colou?r|ethnic|race|gender|\bsex\b|\bage\b|gait|tattoo|beard|hair|search|query_by",
    re.IGNORECASE,
)


def _names(schema: Any, seen: set[int] | None = None) -> set[str]:
    """Every property name in a JSON schema, recursively."""
    seen = seen if seen is not None else set()
    found: set[str] = set()
    if isinstance(schema, dict):
        if id(schema) in seen:
            return found
        seen.add(id(schema))
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                found |= set(value)
            found |= _names(value, seen)
    elif isinstance(schema, list):
        for item in schema:
            found |= _names(item, seen)
    return found


def test_no_route_or_parameter_searches_by_face_or_attribute(app: FastAPI) -> None:
    schema = app.openapi()
    assert schema["paths"], "the schema lists no routes: the test would see nothing"
    offending = [path for path in schema["paths"] if FORBIDDEN.search(path)]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if FORBIDDEN.search(parameter["name"]):
                    offending.append(f"{method.upper()} {path} ?{parameter['name']}")
    offending += [
        f"field {name}" for name in _names(schema.get("components", {})) if FORBIDDEN.search(name)
    ]
    assert offending == []


def test_the_check_would_see_such_a_route(app: FastAPI) -> None:
    # The same check on a schema that has one: it must be caught.
    schema = app.openapi()
    paths = {**schema["paths"], "/api/footage/search": {"get": {"parameters": [{"name": "face"}]}}}
    assert [path for path in paths if FORBIDDEN.search(path)] == ["/api/footage/search"]
