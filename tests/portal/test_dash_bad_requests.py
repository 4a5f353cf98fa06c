"""Dash's endpoints answer a request they cannot serve with a JSON 400 or 405, never a 500 page."""
import dash
import pytest
from dash import ALL, Input, Output
from dash.exceptions import PreventUpdate

from app import create_app
from db.models import Role
from portal import ids
from tests.conftest import PASSWORD, config_for
from workflow import users

CALLBACK = "/_dash-update-component"


def _item(component_id, prop, value=None) -> dict:
    return {"id": component_id, "property": prop, "value": value}


#: A well-formed request for the bell's count (one input, one state, one output).
BELL = {
    "output": f"{ids.BELL_COUNT}.children",
    "outputs": {"id": ids.BELL_COUNT, "property": "children"},
    "inputs": [_item(ids.BELL_INTERVAL, "n_intervals", 1)],
    "state": [_item(ids.BELL_COUNT, "children", "")],
    "changedPropIds": [f"{ids.BELL_INTERVAL}.n_intervals"],
}
#: The probe callback's output id: two outputs, so `outputs` is a list of two.
PROBE = "..probe-count.children...probe-names.children.."
PROBE_OUTPUTS = [{"id": "probe-count", "property": "children"}, {"id": "probe-names", "property": "children"}]


def _bell(**changes) -> dict:
    return {**BELL, **changes}


def _without(key: str) -> dict:
    return {name: value for name, value in BELL.items() if name != key}


BAD_BODIES = {
    "empty object": {},
    "list": [],
    "string": "bell-count.children",
    "null": None,
    "output not a string": _bell(output=["bell-count", "children"]),
    "unknown output": _bell(output="no-such-component.children"),
    "clientside callback": _bell(output=f"{ids.TASKS_FILTERS_APPLIED}.children"),
    "missing inputs": _without("inputs"),
    "inputs not a list": _bell(inputs={"id": ids.BELL_INTERVAL, "property": "n_intervals"}),
    "too many inputs": _bell(inputs=BELL["inputs"] * 2),
    "input not an object": _bell(inputs=["bell-interval.n_intervals"]),
    "input without property": _bell(inputs=[{"id": ids.BELL_INTERVAL, "value": 1}]),
    "input id a number": _bell(inputs=[_item(7, "n_intervals", 1)]),
    "input id a list": _bell(inputs=[_item([ids.BELL_INTERVAL], "n_intervals", 1)]),
    "another component's input": _bell(inputs=[_item(ids.BELL_TOGGLE, "n_clicks", 1)]),
    "another property": _bell(inputs=[_item(ids.BELL_INTERVAL, "disabled", 1)]),
    "missing state": _without("state"),
    "state not a list": _bell(state="x"),
    "missing outputs": _without("outputs"),
    "outputs of another component": _bell(outputs={"id": ids.BELL_LIST, "property": "children"}),
    "outputs a string": _bell(outputs="bell-count.children"),
    "changedPropIds not a list": _bell(changedPropIds="bell-interval.n_intervals"),
    "changedPropIds of objects": _bell(changedPropIds=[{"id": ids.BELL_INTERVAL}]),
}


@pytest.fixture
def probe(app):
    """A server callback on ALL components of a pattern with two outputs, as a page could declare one."""
    dash_app = app.extensions["dash"]
    seen = []

    @dash_app.callback(Output("probe-count", "children"), Output("probe-names", "children"),
                       Input({"type": "probe-filter", "name": ALL}, "value"))
    def count(values):
        seen.append(values)
        return len(values), ", ".join(item["id"]["name"] for item in dash.ctx.inputs_list[0])

    return seen


def _probe_body(inputs, outputs=PROBE_OUTPUTS) -> dict:
    return {"output": PROBE, "outputs": outputs, "inputs": inputs, "changedPropIds": []}


def _filter(name: str, value="all") -> dict:
    return _item({"type": "probe-filter", "name": name}, "value", value)


@pytest.fixture
def signed_in(client, make_user):
    """The test client with an Agent's portal session."""
    user = make_user(Role.AGENT)
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf_token"]
    assert client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def _assert_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_malformed_callback_body_is_a_json_400(signed_in, body):
    _assert_json_error(signed_in.post(CALLBACK, json=body), 400, "bad_request")


@pytest.mark.parametrize(("data", "content_type"), [
    ("{not json", "application/json"), ("", "application/json"), ("output=x", "application/x-www-form-urlencoded"),
    ('{"output": "bell-count.children"}', "text/plain"),
], ids=["broken json", "empty body", "a form", "json as text"])
def test_a_body_that_is_not_json_is_a_json_400(signed_in, data, content_type):
    _assert_json_error(signed_in.post(CALLBACK, data=data, content_type=content_type), 400, "bad_request")


@pytest.mark.parametrize(("inputs", "outputs"), [
    ([_filter("scope")], PROBE_OUTPUTS),  # one component where the wildcard stands for many
    ([[_item({"type": "another-type", "name": "scope"}, "value")]], PROBE_OUTPUTS),
    ([[_item({"name": "scope"}, "value")]], PROBE_OUTPUTS),
    ([[_item({"type": "probe-filter", "name": ["scope"]}, "value")]], PROBE_OUTPUTS),
    ([["scope"]], PROBE_OUTPUTS),
    ([[]], PROBE_OUTPUTS[0]),
    ([[]], PROBE_OUTPUTS[:1]),
    ([[]], PROBE_OUTPUTS[::-1]),
], ids=["object for a list", "wrong type key", "missing key", "id value a list", "list of strings",
        "one output for two", "a list of one output for two", "outputs in the wrong order"])
def test_a_wildcard_or_multi_output_mismatch_is_a_json_400(signed_in, probe, inputs, outputs):
    _assert_json_error(signed_in.post(CALLBACK, json=_probe_body(inputs, outputs)), 400, "bad_request")
    assert probe == []


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", CALLBACK, "POST"), ("PUT", CALLBACK, "POST"),
    ("POST", "/_dash-layout", "GET"), ("DELETE", "/_dash-layout", "GET"),
    ("POST", "/_dash-dependencies", "GET"), ("PATCH", "/_dash-dependencies", "GET"),
])
def test_a_wrong_method_is_a_json_405(signed_in, method, path, allowed):
    response = signed_in.open(path, method=method, json={})
    _assert_json_error(response, 405, "method_not_allowed")
    assert allowed in response.headers["Allow"]


def test_anonymous_callers_still_get_401_first(client):
    for body in ({}, [], _bell(output="no-such-component.children")):
        _assert_json_error(client.post(CALLBACK, json=body), 401, "unauthorized")


def test_well_formed_requests_still_work(signed_in):
    assert signed_in.get("/_dash-layout").status_code == 200
    assert signed_in.get("/_dash-dependencies").status_code == 200
    # An unchanged count is no update.
    unchanged = signed_in.post(CALLBACK, json=BELL)
    assert unchanged.status_code == 200 and unchanged.get_json()["response"] == {}
    toggled = signed_in.post(CALLBACK, json={
        "output": "nav-collapse.is_open", "outputs": {"id": "nav-collapse", "property": "is_open"},
        "inputs": [_item("nav-toggler", "n_clicks", 1)], "state": [_item("nav-collapse", "is_open", False)],
    })
    assert toggled.status_code == 200
    assert toggled.get_json()["response"] == {"nav-collapse": {"is_open": True}}


def test_a_wildcard_request_as_the_browser_sends_it_is_served(signed_in, probe):
    """ALL of a pattern: the list holds any number of matching components, none included."""
    for names in ([], ["scope", "status"]):
        response = signed_in.post(CALLBACK, json=_probe_body([[_filter(name) for name in names]]))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["response"] == {
            "probe-count": {"children": len(names)}, "probe-names": {"children": ", ".join(names)},
        }
    assert probe == [[], ["all", "all"]]


def test_prevent_update_and_a_real_bug_keep_their_answers(app, signed_in):
    """Only a callback's own failure is a 500; PreventUpdate stays a 204."""
    dash_app = app.extensions["dash"]
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @dash_app.callback(Output("probe-out", "children"), Input("probe-in", "n_clicks"))
    def probe(clicks):
        if clicks == 1:
            raise PreventUpdate
        raise RuntimeError("a bug in the callback")

    def call(clicks):
        return signed_in.post(CALLBACK, json={
            "output": "probe-out.children", "outputs": {"id": "probe-out", "property": "children"},
            "inputs": [_item("probe-in", "n_clicks", clicks)], "changedPropIds": ["probe-in.n_clicks"],
        })

    assert call(1).status_code == 204
    assert call(2).status_code == 500


def test_a_workers_first_request_may_be_the_page_router(fresh_database, database_url):
    """Dash registers its page router's callback on a process's first request: a signed-in browser's callback can be it."""
    url = fresh_database("wm_router")
    first_worker = create_app(config_for(url))
    with first_worker.app_context():
        user = users.create_user(actor=None, username="router", email="router@example.com", full_name="Router",
                                 role=Role.AGENT, password=PASSWORD)
    signed_in = first_worker.test_client()
    signed_in.get("/login")
    with signed_in.session_transaction() as session:
        token = session["csrf_token"]
    signed_in.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})

    fresh_worker = create_app(config_for(url)).test_client()
    fresh_worker.set_cookie("session", signed_in.get_cookie("session").value)
    response = fresh_worker.post(CALLBACK, json={
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [_item("_pages_location", "pathname", "/board"), _item("_pages_location", "search", "")],
        "changedPropIds": ["_pages_location.pathname"],
    })
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["response"]["_pages_store"]["data"]["title"] == "Board · Workflow Manager"
