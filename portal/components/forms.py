"""Pieces of the portal's forms: a labelled field with its inline error, pydantic errors in words, feedback per field."""
import dash_bootstrap_components as dbc
from dash import html
from pydantic import ValidationError


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


def error_text(error: dict) -> str:
    """One pydantic error as a message under its field."""
    limit = error.get("ctx", {})
    kind = error["type"]
    if kind == "string_too_short":
        text = "Required." if limit.get("min_length") == 1 else f"At least {limit['min_length']} characters."
    elif kind == "string_too_long":
        text = f"At most {limit['max_length']} characters."
    elif kind == "too_long":
        text = f"At most {limit['max_length']} tags."
    elif kind == "string_pattern_mismatch":
        text = "Required." if not str(error.get("input", "")).strip() else "Contains characters that are not allowed."
    elif kind.startswith(("datetime", "date")):
        text = "Enter a date and time as YYYY-MM-DD HH:MM."
    elif kind.startswith("uuid"):
        text = "Choose someone from the list."
    elif kind == "enum":
        text = "Choose one of the options."
    else:
        text = error["msg"]
    location = error["loc"]
    return f"Tag {location[1] + 1}: {text}" if len(location) > 1 and isinstance(location[1], int) else text


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first message per top-level field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        errors.setdefault(str(error["loc"][0]), error_text(error))
    return errors


def feedback(fields, errors: dict[str, str]) -> tuple:
    """(invalid flag per input..., message per input...) in the order of `fields` (the callback's outputs)."""
    return tuple(field in errors for field in fields) + tuple(errors.get(field) for field in fields)


def wait_text(seconds: int) -> str:
    """A wait as a person reads it: "40 seconds", "15 minutes" (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
