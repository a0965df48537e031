"""The app against its own OpenAPI document: generated requests, every role, no surprises.

Schemathesis reads the live document (`/openapi.json` of the app under test) and generates
requests for every operation, valid ones and invalid ones, each sent as one of the roles or
with no credentials at all. Not one may be answered with a server error, nor with a status,
a content type, headers or a body that the document does not describe. Bounded: a few dozen
examples per operation, no deadline per example, nothing kept between runs.
"""

from __future__ import annotations

import itertools

import hypothesis.errors
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from custos.permissions import Role
from helpers import bearer

EXAMPLES = 8  # per operation and kind of data (valid, invalid)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

CALLERS = [None, *Role]  # None: no credentials


@pytest.mark.long
def test_no_answer_contradicts_the_document(app: FastAPI, tokens: dict[Role, str]) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures: list[str] = []
    answered: dict[int, int] = {}
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode), caller=st.sampled_from(CALLERS))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case, caller: Role | None) -> None:
            headers = {} if caller is None else bearer(tokens[caller])
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1

        try:
            call()
        except hypothesis.errors.Unsatisfiable:
            continue  # no invalid request exists for an operation that takes no input
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{mode.value} {operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    assert not [status for status in answered if status >= 500]
    # The generated requests reached the routes, not only the caller checks.
    assert {200, 201, 401, 403, 404, 422} <= set(answered), answered
