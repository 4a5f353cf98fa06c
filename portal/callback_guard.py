"""Dash's endpoints answer a request they cannot serve with a JSON error, never a 500 page.

Dash reads the callback request's body without checking it: an empty object, a list, an output no
callback has or inputs that do not match the callback raise inside Dash and become a 500. Here the
body is checked against the callback it names before Dash sees it, so only a callback's own failure
can still be a 500.
"""
import json

from dash import Input, Output
from dash.dependencies import ALL, ALLSMALLER, MATCH
from flask import current_app, jsonify, request

CALLBACK_PATH = "/_dash-update-component"
#: Dash's endpoints and the methods each serves (Flask answers HEAD and OPTIONS for a GET route).
METHODS = {
    CALLBACK_PATH: ("POST", "OPTIONS"),
    "/_dash-layout": ("GET", "HEAD", "OPTIONS"),
    "/_dash-dependencies": ("GET", "HEAD", "OPTIONS"),
}
#: How a wildcard is written in a registered id ('{"index":["ALL"],...}').
WILDCARDS = {json.dumps([w.value]): w for w in (ALL, ALLSMALLER, MATCH)}
#: Wildcards that stand for many components: the request sends a list for them.
MANY = (ALL, ALLSMALLER)


class Malformed(Exception):
    """A callback request Dash cannot dispatch; the message says what is wrong."""


def _error(status: int, code: str, message: str, allow=None):
    response = jsonify({"error": {"code": code, "message": message, "details": None}})
    response.status_code = status
    if allow:
        response.headers["Allow"] = ", ".join(allow)
    return response


def _registered_id(text: str):
    """A registered dependency's id as Dash wrote it, back to a string or a dict with its wildcards."""
    if not text.startswith("{"):
        return text
    return {key: WILDCARDS.get(json.dumps(value), value) for key, value in json.loads(text).items()}


def _check_component_id(value) -> None:
    if isinstance(value, str) and value:
        return
    if isinstance(value, dict) and value and all(
        isinstance(key, str) and isinstance(item, (str, int, float, bool)) for key, item in value.items()
    ):
        return
    raise Malformed("a component id must be a string or an object of strings and numbers")


def _check_item(item, expected) -> None:
    """One sent dependency ({"id", "property", "value"}) against the registered one."""
    if not isinstance(item, dict) or not isinstance(item.get("property"), str):
        raise Malformed("each dependency must be an object with an id and a property")
    _check_component_id(item.get("id"))
    if not Input(item["id"], item["property"].split("@")[0]) == expected:
        raise Malformed(f"{item['id']}.{item['property']} is not what the callback declares")


def _check_dependency(sent, expected) -> None:
    """A sent dependency: one item, or a list of them where the registered id has ALL or ALLSMALLER."""
    many = isinstance(expected.component_id, dict) and any(value in MANY for value in expected.component_id.values())
    if not many:
        _check_item(sent, expected)
        return
    if not isinstance(sent, list):
        raise Malformed(f"{expected} stands for many components: send a list")
    for item in sent:
        _check_item(item, expected)


def _check_dependencies(body: dict, key: str, registered: list[dict]) -> None:
    sent = body.get(key, [])
    if not isinstance(sent, list) or len(sent) != len(registered):
        raise Malformed(f"'{key}' must be a list of {len(registered)} dependencies, as the callback declares")
    for item, spec in zip(sent, registered):
        _check_dependency(item, Input(_registered_id(spec["id"]), spec["property"]))


def _check_outputs(body: dict, declared) -> None:
    """The outputs sent are the callback's: one per declared output, in its order."""
    sent = body.get("outputs")
    if isinstance(declared, (list, tuple)):
        if not isinstance(sent, list) or len(sent) != len(declared):
            raise Malformed(f"'outputs' must be a list of {len(declared)} outputs, as the callback declares")
        pairs = zip(sent, declared)
    else:
        pairs = [(sent, declared)]
    for item, output in pairs:
        _check_dependency(item, Output(output.component_id, output.component_property))


def check_body(body, callback_map: dict) -> None:
    """Raise Malformed unless `body` is a callback request Dash can dispatch to one of `callback_map`'s callbacks."""
    if not isinstance(body, dict):
        raise Malformed("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str):
        raise Malformed("'output' must name the callback's output")
    callback = callback_map.get(output)
    if callback is None:
        raise Malformed("no callback has this output")
    if "callback" not in callback:
        raise Malformed("this callback runs in the browser")
    _check_dependencies(body, "inputs", callback["inputs"])
    _check_dependencies(body, "state", callback["state"])
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(prop_id, str) for prop_id in changed):
        raise Malformed("'changedPropIds' must be a list of strings")
    if not callback.get("no_output"):
        _check_outputs(body, callback["output"])


def refuse_malformed():
    """Before Dash: a wrong method is a JSON 405, a callback body Dash cannot dispatch a JSON 400."""
    allowed = METHODS.get(request.path)
    if allowed is None:
        return None
    if request.method not in allowed:
        return _error(405, "method_not_allowed", f"{request.path} answers {' and '.join(allowed[:-1])}", allow=allowed)
    if request.path != CALLBACK_PATH or request.method != "POST":
        return None
    try:
        check_body(request.get_json(silent=True), current_app.extensions["dash"].callback_map)
    except Malformed as exc:
        return _error(400, "bad_request", str(exc))
    return None
