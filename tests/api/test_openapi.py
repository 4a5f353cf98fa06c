"""The OpenAPI document is valid and true: schemathesis drives the live app from it, every phase and every
check, and the server agrees with the document exactly (405 and OPTIONS name the documented methods)."""
import os
import re
import subprocess
import sys
import uuid

import pytest
from openapi_spec_validator import validate

from api import ROUTES
from auth.throttle import LoginThrottle
from db.models import NotificationType, Priority, Role
from domain import calendar
from notifications import preferences
from reports import policy
from tests.conftest import PASSWORD
from workflow import notifications as notices
from workflow import sla as sla_policy
from workflow import users

#: Generated requests per operation in the fuzzing phase: modest in CI (bench/contract.py runs 10x).
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
METHODS = ("get", "post", "put", "patch", "delete")
#: Schema-valid requests may still be refused by design (opaque cursors we did not issue, ids of rows
#: that do not exist, due dates in the past): every other check applies.
EXCLUDED_CHECKS = "positive_data_acceptance"


def test_document_validates_and_covers_every_route(client):
    document = client.get("/api/openapi.json").json
    validate(document)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    served = {("/api" + route.path, method) for route in ROUTES for method in METHODS if hasattr(route.resource, method)}
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


# --- Allow: exactly the documented methods ------------------------------------------------


def _documented_paths(client) -> list[tuple[str, set[str]]]:
    """Each documented path with a concrete id in its placeholders, and its documented methods."""
    document = client.get("/api/openapi.json").json
    return [
        (re.sub(r"{\w+}", str(uuid.uuid4()), path), {method.upper() for method in item})
        for path, item in document["paths"].items()
    ]


def _allowed(response) -> set[str]:
    return {method.strip() for method in response.headers.get("Allow", "").split(",") if method.strip()}


def test_405_allow_is_exactly_the_documented_methods(client, people, auth_headers):
    """Every method a documented path does not serve is a 405 whose `Allow` lists the document's methods."""
    headers = auth_headers(people["admin"])
    for path, documented in _documented_paths(client):
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"} - documented):
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 405, (method, path, response.status_code)
            assert response.json["error"]["code"] == "method_not_allowed"
            assert _allowed(response) == documented, (method, path, response.headers.get("Allow"))


def test_options_allow_is_exactly_the_documented_methods(client):
    """OPTIONS answers without credentials, naming the documented methods (not the portal's catch-all GET)."""
    for path, documented in _documented_paths(client):
        response = client.options(path)
        assert response.status_code == 204, (path, response.status_code)
        assert _allowed(response) == documented, (path, response.headers.get("Allow"))
    assert client.options("/api/nope").status_code == 404


# --- schemathesis, every phase ------------------------------------------------------------


def run_schemathesis(base_url: str, config_file, *options: str) -> subprocess.CompletedProcess:
    """The schemathesis CLI against the live app: examples, coverage, fuzzing and stateful phases."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config_file),
        "run", f"{base_url}/api/openapi.json", "--exclude-checks", EXCLUDED_CHECKS,
        "--max-examples", str(EXAMPLES), "--workers", "1",
        # Health checks judge how fast schemathesis generates data, not the API.
        "--suppress-health-check", "all", *options,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)


def assert_no_failures(run: subprocess.CompletedProcess) -> None:
    summary = run.stdout[run.stdout.find("=== FAILURES") :] if "=== FAILURES" in run.stdout else run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis found failures:\n{summary[:20000]}\n{run.stderr[-2000:]}"
    assert "Test cases:" in run.stdout, run.stdout[-3000:]


def base_config(folder) -> str:
    """No sign-up of its own, and schemathesis's cache (crashes to replay) in `folder`, not the working tree."""
    return f"""
[cache]
directory = "{folder / 'schemathesis-cache'}"

[auth]
auto-signup = false
"""


def auth_config(folder, username: str, target_user_id) -> str:
    """Sign in as `username` again whenever a response is 401 (the fuzzing logs itself out), and edit only
    the target user: changing the fuzzing Admin's own name or role would lock the rest of the run out."""
    return base_config(folder) + f"""

[auth.dynamic.openapi.bearerAuth]
path = "/api/auth/login"
payload = {{ username = "{username}", password = "{PASSWORD}" }}
extract_selector = "/access_token"

[parameters]
"path.user_id" = "{target_user_id}"
"""


@pytest.fixture(scope="module")
def fuzz_admin(live_server):
    """An Admin for the run and a user it may change; the settings every later test reads are put back.

    The fuzzing also guesses the Admin's password (its name is in GET /api/users): the per-account
    throttle is lifted for the run, so signing in again after a logout always works.
    """
    suffix = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        admin = users.create_user(
            actor=None, username=f"fuzz_admin_{suffix}", email=f"fuzz_{suffix}@example.com",
            full_name="Fuzz Admin", role=Role.ADMIN, password=PASSWORD,
        )
        target = users.create_user(
            actor=None, username=f"fuzz_target_{suffix}", email=f"fuzz_target_{suffix}@example.com",
            full_name="Fuzz Target", role=Role.AGENT, password=PASSWORD,
        )
        minutes, flags, work = policy.get_targets(), policy.get_business_hours(), policy.get_calendar()
        defaults = preferences.get_defaults()
    throttle = live_server.app.extensions["login_throttle"]
    live_server.app.extensions["login_throttle"] = LoginThrottle(None, 1_000_000, 1_000_000, 900)
    yield admin, target
    live_server.app.extensions["login_throttle"] = throttle
    with live_server.app.app_context():
        sla_policy.set_targets(actor=admin, targets={p.value: {"minutes": minutes[p], "business_hours": flags[p]} for p in Priority})
        sla_policy.set_calendar(actor=admin, calendar_payload=calendar.calendar_payload(work))
        notices.update_defaults(actor=admin, changes={NotificationType(kind): value for kind, value in defaults.items()})


@pytest.mark.live
def test_schemathesis_finds_nothing_as_an_admin(live_server, fuzz_admin, tmp_path):
    """Every phase, every check but positive_data_acceptance, as an Admin (who may call every operation)."""
    admin, target = fuzz_admin
    config = tmp_path / "schemathesis.toml"
    config.write_text(auth_config(tmp_path, admin.username, target.id))
    assert_no_failures(run_schemathesis(live_server.url, config))


@pytest.mark.live
def test_schemathesis_finds_nothing_anonymously(live_server, tmp_path):
    """Without credentials every operation but login is a 401 in the envelope, never a 500 (the coverage
    phase sends each operation its valid, invalid and missing parts and every undocumented method)."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(base_config(tmp_path))
    assert_no_failures(run_schemathesis(live_server.url, config, "--phases", "examples,coverage"))
