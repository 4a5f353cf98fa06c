"""Pieces of the task and case detail pages: text shown with its line breaks, and the short-lived message after a change."""
import dash_bootstrap_components as dbc

#: User text (descriptions, comments) with its line breaks kept and long words wrapped.
PRE_WRAP = {"whiteSpace": "pre-wrap", "overflowWrap": "anywhere"}


def message(text: str, ok: bool) -> dbc.Alert:
    """A success that goes by itself, or a failure that stays until dismissed."""
    return dbc.Alert(text, color="success" if ok else "danger", dismissable=True, duration=4000 if ok else None, className="shadow mb-0")
