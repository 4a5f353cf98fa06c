"""Pieces of the portal's forms: a labelled field with its inline error, feedback per field (the words: errors.py)."""
import dash_bootstrap_components as dbc
from dash import html


def labelled_field(label: str, input_id: str, control, hint: str | None = None) -> html.Div:
    """A label, the control, its inline error (`<input id>-error`) and an optional hint."""
    return html.Div(
        [
            dbc.Label(label, html_for=input_id),
            control,
            dbc.FormFeedback(id=f"{input_id}-error", type="invalid"),
            dbc.FormText(hint) if hint else None,
        ],
        className="mb-3",
    )


def feedback(fields, errors: dict[str, str]) -> tuple:
    """(invalid flag per input..., message per input...) in the order of `fields` (the callback's outputs)."""
    return tuple(field in errors for field in fields) + tuple(errors.get(field) for field in fields)


def wait_text(seconds: int) -> str:
    """A wait as a person reads it: "40 seconds", "15 minutes" (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
