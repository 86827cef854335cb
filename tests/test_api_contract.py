"""The API is exactly what its OpenAPI document says (schemathesis, every operation).

Schemathesis reads the document the app serves and, for every operation in it, sends
requests built from the declared parameters and bodies — valid ones (each must be
accepted) and invalid ones (each must be refused with a 4xx) — and runs all of its checks
on every answer: no server error, every status code and content type documented, every
body matching its schema, authentication enforced. The operations are not listed here:
an endpoint added later is tested the moment it appears in the document.

The requests are sent in process to the Django WSGI application, with the bearer token
of an administrator issued by the real `POST /api/auth/token`, over a small city built
through the actions (grids, departments, a case, a component). The run is derandomized
and bounded per operation so it costs the same every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from contract_city import build_contract_city
from yiwang.api import api

# Bounded: about 40 generated requests per operation plus the coverage phase's probes.
MAX_EXAMPLES = 40

SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
SCHEMA.app = WSGIHandler()
SCHEMA.config.update(base_url="http://localhost")


@pytest.fixture
def bearer(db: Any) -> Iterator[dict[str, str]]:
    """The Authorization header of an administrator of a small city, from the real token
    action; the case, grid and component it names are in `contract_values`."""
    city = build_contract_city()
    response = Client().post(
        "/api/auth/token",
        {"username": city.admin_username, "password": city.admin_password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    # The test client does the same: closing the connection after each request would end
    # the test's transaction, and with it the city built above.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {response.json()['token']}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_operation_keeps_its_contract(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer)
