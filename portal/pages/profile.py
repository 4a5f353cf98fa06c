"""Your profile: name, e-mail, phone and time zone, and your password (the rules of workflow.users.update_user)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from pydantic import ValidationError

import auth
from domain.calendar import time_zones
from domain.errors import DomainError, Forbidden, Throttled
from domain.schemas import UserUpdate
from portal import ids
from portal.access import portal_user
from portal.components import subscriptions_panel, times, tokens_panel
from portal.components.errors import error_sentence, field_sentences, sentence
from portal.components.forms import labelled_field, wait_text
from workflow import users

dash.register_page(__name__, path="/profile", title="Profile · Workflow Manager", name="Profile")
tokens_panel.register_callbacks()
subscriptions_panel.register_callbacks()

FIELDS = {
    "full_name": ids.PROFILE_FULL_NAME,
    "email": ids.PROFILE_EMAIL,
    "phone": ids.PROFILE_PHONE,
    "time_zone": ids.PROFILE_TIME_ZONE,
}
#: The fields whose input shows itself invalid (the zone's dropdown has no such property).
INPUTS = ("full_name", "email", "phone")
#: Messages for a value of the wrong shape, instead of the generic one.
FORMATS = {
    "email": "Enter an email address such as name@example.com.",
    "phone": "Enter the number with its country code, e.g. +447700900123.",
    "time_zone": "Choose a time zone from the list.",
}


def _offset(zone: str, now: datetime) -> str:
    """"UTC−05:00": the zone's offset now (the list says which zones share the user's clock today)."""
    minutes = int(now.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_options(now: datetime | None = None) -> list[dict]:
    """Every IANA zone, searchable by its city as written ("New York", not "New_York") and by its offset."""
    now = now or datetime.now(timezone.utc)
    return [{"label": f"{zone.replace('_', ' ')} ({_offset(zone, now)})", "value": zone} for zone in time_zones()]


def _clock(user) -> str:
    return f"Your clock now: {times.moment(datetime.now(timezone.utc), user)} {times.zone_label(user)}."


def layout(**_query):
    """Built per request for the signed-in user."""
    user = portal_user()
    if user is None:
        return html.Div()
    details = [user.username, user.role.value] + ([user.department] if user.department else [])
    return dbc.Row(
        dbc.Col(
            [
                html.H1("Profile", className="h3 mb-1"),
                html.P(" · ".join(details), className="text-body-secondary"),
                labelled_field("Full name", ids.PROFILE_FULL_NAME, dbc.Input(
                    id=ids.PROFILE_FULL_NAME, value=user.full_name, maxLength=200, autoComplete="name")),
                labelled_field("E-mail", ids.PROFILE_EMAIL, dbc.Input(
                    id=ids.PROFILE_EMAIL, value=user.email, type="email", maxLength=254, autoComplete="email")),
                labelled_field("Phone", ids.PROFILE_PHONE, dbc.Input(
                    id=ids.PROFILE_PHONE, value=user.phone or "", type="tel", maxLength=16, autoComplete="tel",
                    placeholder="+447700900123"), hint="With its country code; for text-message notifications."),
                html.Div(
                    [
                        dbc.Label("Time zone", html_for=ids.PROFILE_TIME_ZONE),
                        dcc.Dropdown(id=ids.PROFILE_TIME_ZONE, options=zone_options(), searchable=True, clearable=False,
                                     value=times.zone_name(user) if user.time_zone else None,
                                     placeholder="Not set: times show in UTC"),
                        html.Div(id=f"{ids.PROFILE_TIME_ZONE}-error", className="small text-danger"),
                        dbc.FormText("The portal, your e-mails and your text messages show times in this zone, "
                                     "and read the times you type in it. " + _clock(user)),
                    ],
                    className="mb-3",
                ),
                dbc.Button("Save", id=ids.PROFILE_SAVE, color="primary", className="mb-3"),
                html.Div(id=ids.PROFILE_MESSAGE),
                _away_section(user),
                _password_section(),
                tokens_panel.section(user),
                subscriptions_panel.section(user),
            ],
            lg=6, md=8,
        )
    )


def _away_section(user) -> html.Section:
    """Away (leave, sickness): auto-assignment passes you over, until the moment you are back if you give one."""
    until = user.away_until if user.away and user.away_until is not None else None
    return html.Section(
        [
            html.H2("Away", className="h5 mt-4 mb-2"),
            html.P("While you are away, tasks are not assigned to you automatically. With a return date you count "
                   "as back from then on, without coming here again.", className="text-body-secondary"),
            dbc.Checkbox(id=ids.PROFILE_AWAY, value=bool(user.away), label="I am away", className="mb-2"),
            labelled_field("Back on", ids.PROFILE_AWAY_UNTIL, dbc.Input(
                id=ids.PROFILE_AWAY_UNTIL, value=times.input_text(until, user), maxLength=40,
                placeholder=times.INPUT_FORMAT), hint=f"Optional: a date, or a date and time, {times.zone_label(user)}."),
            dbc.Button("Save away status", id=ids.PROFILE_AWAY_SAVE, color="secondary", className="mb-3"),
            html.Div(id=ids.PROFILE_AWAY_MESSAGE),
        ]
    )


def _password_section() -> html.Section:
    """Change your own password: the current one first; every other session and API token then ends."""
    return html.Section(
        [
            html.H2("Password", className="h5 mt-4 mb-2"),
            html.P("Changing it signs you out everywhere else: other browsers and API sign-ins (service tokens below "
                   "keep working).", className="text-body-secondary"),
            labelled_field("Current password", ids.PROFILE_CURRENT_PASSWORD, dbc.Input(
                id=ids.PROFILE_CURRENT_PASSWORD, type="password", autoComplete="current-password", maxLength=200)),
            labelled_field("New password", ids.PROFILE_NEW_PASSWORD, dbc.Input(
                id=ids.PROFILE_NEW_PASSWORD, type="password", autoComplete="new-password", maxLength=200),
                hint="At least 10 characters"),
            dbc.Button("Change password", id=ids.PROFILE_PASSWORD_SAVE, color="secondary", className="mb-3"),
            html.Div(id=ids.PROFILE_PASSWORD_MESSAGE),
        ]
    )


def _errors(exc: ValidationError) -> dict[str, str]:
    """A sentence per field, with a format hint where a value has the wrong shape."""
    errors = field_sentences(exc)
    for error in exc.errors():
        field = str(error["loc"][0])
        if field in FORMATS and (field == "time_zone" or error["type"] == "string_pattern_mismatch"):
            errors[field] = FORMATS[field]
    return errors


def _shown(errors: dict[str, str]) -> tuple:
    """Each input's invalid flag, then each field's message, in the order of the callback's outputs."""
    return *(field in errors for field in INPUTS), *(errors.get(field) for field in FIELDS)


@dash.callback(
    *[Output(FIELDS[field], "invalid") for field in INPUTS],
    *[Output(f"{input_id}-error", "children") for input_id in FIELDS.values()],
    Output(ids.PROFILE_MESSAGE, "children"),
    Input(ids.PROFILE_SAVE, "n_clicks"),
    *[State(input_id, "value") for input_id in FIELDS.values()],
    prevent_initial_call=True,
)
def save(_clicks, full_name, email, phone, zone):
    """Check the fields with the API's UserUpdate and save them through the same workflow."""
    user = portal_user()
    if user is None:
        return *_shown({}), dbc.Alert("Sign in first.", color="danger")
    errors: dict[str, str] = {}
    problem = "Not saved: see the fields above."
    try:
        form = UserUpdate(full_name=full_name or "", email=email or "", phone=(phone or "").strip() or None, time_zone=zone)
        users.update_user(actor=user, user_id=user.id, changes=form.model_dump(exclude_unset=True))
    except ValidationError as exc:
        errors = _errors(exc)
    except DomainError as exc:
        # A refusal about a field (a taken address) goes under it; any other is said in the message.
        errors = {field: text for field, text in field_sentences(exc).items() if field in FIELDS}
        problem = problem if errors else f"Not saved. {error_sentence(exc)}"
    else:
        return *_shown({}), dbc.Alert(f"Saved. Times show in {times.zone_label(user)}.", color="success", duration=6000)
    return *_shown(errors), dbc.Alert(problem, color="danger")


@dash.callback(
    Output(ids.PROFILE_PASSWORD_MESSAGE, "children"),
    Output(ids.PROFILE_CURRENT_PASSWORD, "value"),
    Output(ids.PROFILE_NEW_PASSWORD, "value"),
    Input(ids.PROFILE_PASSWORD_SAVE, "n_clicks"),
    State(ids.PROFILE_CURRENT_PASSWORD, "value"),
    State(ids.PROFILE_NEW_PASSWORD, "value"),
    prevent_initial_call=True,
)
def change_password(_clicks, current, new):
    """The rule of workflow.users.update_user: the current password first (throttled); this browser stays signed in."""
    user = portal_user()
    if user is None:
        return dbc.Alert("Sign in first.", color="danger"), "", ""
    if not current:
        return dbc.Alert("Type your current password first.", color="danger"), no_update, no_update
    try:
        form = UserUpdate(password=new or "", current_password=current)
    except ValidationError:
        return dbc.Alert("Choose a new password of at least 10 characters.", color="danger"), no_update, ""
    try:
        changed = users.update_user(actor=user, user_id=user.id, changes=form.model_dump(exclude_unset=True))
    except Throttled as error:
        return dbc.Alert(f"Too many wrong passwords. Try again in {wait_text(error.retry_after)}.", color="danger"), "", ""
    except Forbidden:
        return dbc.Alert("The current password is wrong: nothing was changed.", color="danger"), "", no_update
    except DomainError as error:
        return dbc.Alert(error_sentence(error), color="danger"), no_update, no_update
    auth.keep_session(changed)
    return dbc.Alert("Password changed. You were signed out everywhere else.", color="success"), "", ""


@dash.callback(
    Output(ids.PROFILE_AWAY_UNTIL, "invalid"),
    Output(f"{ids.PROFILE_AWAY_UNTIL}-error", "children"),
    Output(ids.PROFILE_AWAY_MESSAGE, "children"),
    Input(ids.PROFILE_AWAY_SAVE, "n_clicks"),
    State(ids.PROFILE_AWAY, "value"),
    State(ids.PROFILE_AWAY_UNTIL, "value"),
    prevent_initial_call=True,
)
def save_away(_clicks, away, back_on):
    """Mark yourself away (or back) through the same workflow as the API's `PUT /api/users/{id}`."""
    user = portal_user()
    if user is None:
        return False, None, dbc.Alert("Sign in first.", color="danger")
    try:
        until = times.read(back_on, user) if away else None
        form = UserUpdate(away=bool(away), away_until=until)
        changed = users.update_user(actor=user, user_id=user.id, changes=form.model_dump(exclude_unset=True))
    except ValueError as exc:  # a date that cannot be read (pydantic's errors are ValueErrors too)
        text = error_sentence(exc) if isinstance(exc, ValidationError) else sentence(str(exc))
        return True, text, dbc.Alert("Not saved: see the return date.", color="danger")
    except DomainError as exc:
        field = field_sentences(exc).get("away_until")
        return field is not None, field, dbc.Alert(f"Not saved. {error_sentence(exc)}", color="danger")
    if not changed.away:
        message = "Saved: you are not away; tasks may be assigned to you automatically."
    elif changed.away_until is None:
        message = "Saved: you are away until you come back here and say so."
    else:
        message = f"Saved: you are away until {times.moment(changed.away_until, user)} {times.zone_label(user)}."
    return False, None, dbc.Alert(message, color="success", duration=8000)
