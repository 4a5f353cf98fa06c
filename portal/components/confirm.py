"""The question before an action that cannot be undone: a modal with "Cancel" and the action in red.

Only the layout and the reading of a click live here; each page registers its own callbacks on its own ids:
a click opens the question (a row button's also stores which row), the action button acts, "Cancel" only closes.
"""
import dash_bootstrap_components as dbc
from dash import ctx, html


def confirm_modal(modal_id: str, title: str, *, no_id: str, yes_id: str, yes_label: str,
                  body_id: str | None = None, body=None) -> dbc.Modal:
    """The closed question `title`; its body is fixed (`body`) or filled by the page's callback (`body_id`)."""
    identified = {"id": body_id} if body_id else {}
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title)),
            dbc.ModalBody(body, **identified),
            dbc.ModalFooter([
                dbc.Button("Cancel", id=no_id, color="secondary"),
                dbc.Button(yes_label, id=yes_id, color="danger"),
            ]),
        ],
        id=modal_id,
        is_open=False,
    )


def question(subject, consequence: str) -> list:
    """The question's body: what the action is about, then what it does."""
    return [html.P(subject, className="text-break"), html.P(consequence, className="mb-0")]


def clicked_row() -> dict | None:
    """The id of the pattern-matching button really clicked, or None: buttons rendered anew fire it unclicked."""
    if not ctx.triggered_id or not ctx.triggered or not ctx.triggered[0].get("value"):
        return None
    return ctx.triggered_id
