"""A new secret shown once: read-only, with a copy button, since it can never be read again."""
import dash_bootstrap_components as dbc
from dash import dcc, html


def secret_alert(done: str, advice: str, label: str, secret: str, *, input_id: str, copy_id: str) -> dbc.Alert:
    """The success alert saying `done` and `advice`, with `secret` to copy (`label` names it for screen readers)."""
    return dbc.Alert(
        [
            html.P([html.Strong(done), advice], className="mb-2 text-break"),
            dbc.Label(label, html_for=input_id, className="visually-hidden"),
            dbc.InputGroup([
                dbc.Input(id=input_id, value=secret, readonly=True, className="font-monospace"),
                dbc.InputGroupText(dcc.Clipboard(id=copy_id, target_id=input_id, title="Copy")),
            ]),
        ],
        color="success", className="mb-3",
    )
