"""The API is exactly what its OpenAPI document says (schemathesis, every operation).

Schemathesis reads the document the app serves and, for every operation in it, sends
requests built from the declared parameters and bodies — valid ones (each must be
accepted) and invalid ones (each must be refused with a 4xx) — and runs all of its checks
on every answer: no server error, every status code and content type documented, every
body matching its schema, authentication enforced. The operations are not listed here:
an endpoint added later is tested the moment it appears in the document.

The requests are sent in process to the Django WSGI application, with the bearer token
of the installation's administrator (every role, every area) issued by the real
`POST /api/auth/token`, over the small city of the case tests (two streets with a grid
each, departments, staff) plus a reported case and a registered component, all built
through the actions. The run is derandomized and bounded per operation so it costs the
same every time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from case_support import POINT_A, City
from yiwang.api import api
from yiwang.cases import actions as case_actions
from yiwang.catalog import actions as catalog_actions

# Bounded: this many generated requests per operation plus the coverage phase's probes.
MAX_EXAMPLES = 8

# A schema-valid request may still be refused (400) for what no schema can say: the data it
# names does not exist or does not fit the data stored (a type code not in the catalogue,
# a point outside every grid, a box whose minimum exceeds its maximum, a workflow guard),
# or the uploaded file's content is wrong. Only these codes may refuse it; a schema-valid
# request refused as malformed ("invalid", "too_long", …) fails the test.
RULE_REFUSALS = frozenset(
    {
        # data the request names that is not there or does not fit
        "unknown_type",
        "not_in_grid",
        "unknown_component",
        "bad_date_range",
        "bad_bbox",
        "invalid_bbox",
        "type_code_major",
        "duplicate_type_code",
        "major_name_required",
        "standard_type_readonly",
        "precondition",
        "bad_cell",  # of the H3 id pattern but no H3 cell (h3.is_valid_cell)
        # the content of an uploaded file
        "import_rejected",
        "import_empty",
        "import_missing_column",
        "empty_import",
        "bad_geojson",
        "invalid_geojson",
        "invalid_json",
        "bad_file_type",
        "bad_image",
        "bad_image_content",
        "image_too_large",
        "file_too_large",
        "empty_file",
        # a bulletin's day outside the years bulletins cover, or a period not yet begun
        "bad_date",
        "future_period",
    }
)


@schemathesis.check
def positive_data_acceptance_but_rules(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """`positive_data_acceptance`, except for the documented rule refusals above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and _error_code(response) in RULE_REFUSALS:
            return None
        raise


def _error_code(response: schemathesis.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
SCHEMA.app = WSGIHandler()
SCHEMA.config.update(base_url="http://localhost")


@pytest.fixture
def bearer(city: City) -> Iterator[dict[str, str]]:
    """The Authorization header of the administrator, from the real token endpoint."""
    case_actions.report_case(
        city.users["operator"],
        kind="matter",
        type_code="06001",
        source="hotline",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    catalog_actions.import_components(
        city.root, "ident,name,lon,lat\n44030401066000001,紧急报警点,114.0511,22.5411\n", fmt="csv"
    )
    response = Client().post(
        "/api/auth/token",
        {"username": city.root.username, "password": "root-pass-123"},
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
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
