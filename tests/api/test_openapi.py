"""The OpenAPI document is valid and true: schemathesis drives the live app from it and finds no server error."""
import os
import re
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import checks

from api import ROUTES
from db.models import Priority, Role
from domain import calendar
from reports import policy
from tests.conftest import PASSWORD
from workflow import sla as sla_policy
from workflow import users

#: Examples per operation: modest in CI, raise it locally with SCHEMATHESIS_EXAMPLES.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))


def test_document_validates_and_covers_every_route(client):
    document = client.get("/api/openapi.json").json
    validate(document)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    served = {
        ("/api" + route.path, method)
        for route in ROUTES
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(route.resource, method)
    }
    assert documented == served


def test_swagger_ui_is_served_locally(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '"validatorUrl": null' in html  # no call to the public validator: works offline
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/api/docs/swagger-ui-bundle.js" in assets and "/api/docs/swagger-ui.css" in assets
    for asset in assets:
        assert asset.startswith("/api/docs/"), f"{asset} is not served by us"
        assert client.get(asset).status_code == 200


@pytest.fixture(scope="module")
def admin_headers(live_server):
    suffix = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        user = users.create_user(
            actor=None, username=f"fuzz_admin_{suffix}", email=f"fuzz_{suffix}@example.com",
            full_name="Fuzz Admin", role=Role.ADMIN, password=PASSWORD,
        )
        minutes, flags, work = policy.get_targets(), policy.get_business_hours(), policy.get_calendar()
    token = requests.post(
        f"{live_server.url}/api/auth/login", json={"username": user.username, "password": PASSWORD}, timeout=10
    ).json()["access_token"]
    yield {"Authorization": f"Bearer {token}"}
    # The fuzzing changes settings every later test on the live server reads: put the SLA policy back.
    with live_server.app.app_context():
        sla_policy.set_targets(actor=user, targets={p.value: {"minutes": minutes[p], "business_hours": flags[p]} for p in Priority})
        sla_policy.set_calendar(actor=user, calendar_payload=calendar.calendar_payload(work))


OPERATIONS = [
    ("/api" + route.path, method.upper())
    for route in ROUTES
    for method in ("get", "post", "put", "patch", "delete")
    if hasattr(route.resource, method)
]


@pytest.fixture(scope="module")
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")


@pytest.mark.live
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_server_errors_and_responses_match_the_document(api_schema, live_server, admin_headers, path, method):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def exercise(case):
        # Schema-valid requests may still be refused by design: opaque cursors we did not issue,
        # ids of rows that do not exist, due dates in the past. Every other check applies.
        case.call_and_validate(
            base_url=live_server.url, headers=admin_headers, excluded_checks=[checks.positive_data_acceptance]
        )

    exercise()
