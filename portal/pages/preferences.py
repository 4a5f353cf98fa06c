"""Preferences: a switch per notification type and channel (Admins also set the defaults); the password is on the profile."""
import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from pydantic import ValidationError

from db.models import NotificationType
from domain import rules
from domain.errors import DomainError
from domain.schemas import NotificationSettingsUpdate
from notifications import digest, outbox, preferences
from portal import ids
from portal.access import portal_user
from portal.components.errors import error_sentence
from workflow import notifications as notices

dash.register_page(__name__, path="/preferences", title="Preferences · Workflow Manager", name="Preferences")

CHANNEL_LABELS = {"in_app": "In-app", "email": "Email", "sms": "SMS"}
#: Why a channel is off on this server, for everyone; and, for Admins, the settings that switch it on.
UNAVAILABLE = {
    "email": ("Email is not available on this server: no mail service is set up.",
              "Set SMTP_URL, or MAIL_SES=true to send through Amazon SES."),
    "sms": ("SMS is not available on this server: text messages are switched off.",
            "Set SMS_ENABLED=true to send them through Amazon SNS."),
}


def unavailable_channels() -> set[str]:
    """The channels this deployment cannot deliver (the outbox's own test of its configuration)."""
    return {channel for channel, on in (("email", outbox.email_enabled()), ("sms", outbox.sms_enabled())) if not on}


def _switch(kind: str, channel: str, enabled: bool, switch_type: str, off: bool) -> dbc.Switch:
    label = f"{kind} by {CHANNEL_LABELS[channel]}" + (" (not available on this server)" if off else "")
    return dbc.Switch(
        id={"type": switch_type, "kind": kind, "channel": channel}, value=enabled and not off, disabled=off,
        label=label, label_class_name="visually-hidden", class_name="mb-0 d-inline-block",
    )


def _heading(channel: str, off: set[str]) -> html.Th:
    note = html.Div("Not available", className="small fw-normal text-body-secondary") if channel in off else None
    return html.Th([html.Span(CHANNEL_LABELS[channel], className="text-nowrap"), note], className="text-center")


def _grid(settings: dict[str, dict[str, bool]], off: set[str], switch_type: str = ids.PREFERENCES_SWITCH) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Notification")] + [_heading(channel, off) for channel in preferences.CHANNELS])),
            html.Tbody(
                [
                    html.Tr(
                        [html.Th(kind.value, scope="row", className="fw-normal")]
                        + [html.Td(_switch(kind.value, channel, settings[kind.value][channel], switch_type, channel in off),
                                   className="text-center", title=UNAVAILABLE[channel][0] if channel in off else None)
                           for channel in preferences.CHANNELS]
                    )
                    for kind in NotificationType
                ]
            ),
        ],
        size="sm", className="align-middle mb-3",
    )


def _channels_note(user, off: set[str]) -> html.Div:
    """Which channels this server delivers; why the others' switches are off (and, for Admins, what turns them on)."""
    if not off:
        return html.Div(id=ids.PREFERENCES_CHANNELS)
    admin = rules.can_set_notification_defaults(user)
    reasons = [
        html.Li([UNAVAILABLE[channel][0], html.Span(f" {UNAVAILABLE[channel][1]}", className="text-body-secondary") if admin else None])
        for channel in ("email", "sms") if channel in off
    ]
    delivered = [CHANNEL_LABELS[channel].lower() for channel in preferences.CHANNELS if channel not in off]
    lead = f"This server delivers {' and '.join(delivered)} notifications only; the other switches are off."
    return dbc.Alert([html.P(lead, className="mb-1"), html.Ul(reasons, className="mb-0 ps-3")],
                     id=ids.PREFERENCES_CHANNELS, color="secondary", className="py-2")


def layout(**_query):
    """Built per request for the signed-in user."""
    user = portal_user()
    if user is None:
        return html.Div()
    off = unavailable_channels()
    return dbc.Row(
        dbc.Col(
            [
                html.H1("Notification preferences", className="h3 mb-2"),
                html.P("Choose how you hear about each kind of change.", className="text-body-secondary"),
                _channels_note(user, off),
                _grid(preferences.get_settings(user=user), off),
                html.Div(
                    [
                        dbc.Button("Save", id=ids.PREFERENCES_SAVE, color="primary", className="me-3"),
                        dcc.Link("Back to notifications", href="/notifications"),
                    ],
                    className="d-flex align-items-center mb-3",
                ),
                html.Div(id=ids.PREFERENCES_MESSAGE),
                _email_mode_section(digest.get_email_mode(user=user)["email_mode"], "email" in off),
                _defaults_section(off) if rules.can_set_notification_defaults(user) else None,
                _password_section(),
            ],
            lg=6,
        )
    )


def _email_mode_section(mode: str, off: bool) -> html.Section:
    """Email at once or one digest a day (saved as soon as it is changed); disabled while email is not delivered."""
    return html.Section(
        [
            html.H2("Email delivery", className="h5 mt-4 mb-2"),
            html.P(UNAVAILABLE["email"][0], className="text-body-secondary small mb-2") if off else None,
            dbc.RadioItems(
                id=ids.PREFERENCES_EMAIL_MODE, value=mode,
                options=[
                    {"label": "One email per notification, as it happens", "value": digest.IMMEDIATE, "disabled": off},
                    {"label": "One daily digest of everything since the last one", "value": digest.DAILY_DIGEST,
                     "disabled": off},
                ],
            ),
            html.Div(id=ids.PREFERENCES_EMAIL_MODE_MESSAGE, className="mt-2"),
        ]
    )


def _password_section() -> html.Section:
    """Where to change the password: the profile holds the one form for it (the current password first)."""
    return html.Section(
        [
            html.H2("Password", className="h5 mt-4 mb-2"),
            dcc.Link("Change your password on your profile", href="/profile", id=ids.PREFERENCES_PASSWORD_LINK),
        ]
    )


def _defaults_section(off: set[str]) -> html.Section:
    """The Admin's defaults: what every user gets for a type they have not set themselves."""
    return html.Section(
        [
            html.H2("Defaults for everyone", className="h5 mt-4 mb-2"),
            html.P("Users who have not chosen for a type get these. Their own choices stay.",
                   className="text-body-secondary"),
            _grid(preferences.get_defaults(), off, ids.PREFERENCES_DEFAULT_SWITCH),
            dbc.Button("Save defaults", id=ids.PREFERENCES_DEFAULTS_SAVE, color="secondary", className="mb-3"),
            html.Div(id=ids.PREFERENCES_DEFAULTS_MESSAGE),
        ]
    )


def _changes(values, states) -> dict[NotificationType, dict[str, bool]] | None:
    """The grid's switches as a settings update, validated by the API's schema; None if invalid.

    A channel this server does not deliver is left out: its stored choice stays for the day it is switched on."""
    off = unavailable_channels()
    body: dict[str, dict[str, bool]] = {}
    for state, value in zip(states, values):
        if state["id"]["channel"] not in off:
            body.setdefault(state["id"]["kind"], {})[state["id"]["channel"]] = bool(value)
    try:
        update = NotificationSettingsUpdate.model_validate(body)
    except ValidationError:
        return None
    return {NotificationType(kind): channels for kind, channels in update.model_dump(by_alias=True, exclude_unset=True).items()}


@dash.callback(
    Output(ids.PREFERENCES_MESSAGE, "children"),
    Input(ids.PREFERENCES_SAVE, "n_clicks"),
    State({"type": ids.PREFERENCES_SWITCH, "kind": ALL, "channel": ALL}, "value"),
    prevent_initial_call=True,
)
def save(_clicks, values):
    """Validate the grid with the API's NotificationSettingsUpdate, then save it."""
    user = portal_user()
    if user is None:
        return dbc.Alert("Sign in first.", color="danger")
    changes = _changes(values, ctx.states_list[0])
    if changes is None:
        return dbc.Alert("These settings could not be saved.", color="danger")
    notices.update_settings(user=user, changes=changes)
    return dbc.Alert("Saved.", color="success", duration=4000)


@dash.callback(
    Output(ids.PREFERENCES_DEFAULTS_MESSAGE, "children"),
    Input(ids.PREFERENCES_DEFAULTS_SAVE, "n_clicks"),
    State({"type": ids.PREFERENCES_DEFAULT_SWITCH, "kind": ALL, "channel": ALL}, "value"),
    prevent_initial_call=True,
)
def save_defaults(_clicks, values):
    """Save the defaults grid (the service refuses anyone but an Admin)."""
    user = portal_user()
    if user is None:
        return dbc.Alert("Sign in first.", color="danger")
    changes = _changes(values, ctx.states_list[0])
    if changes is None:
        return dbc.Alert("These defaults could not be saved.", color="danger")
    try:
        notices.update_defaults(actor=user, changes=changes)
    except DomainError as error:
        return dbc.Alert(error_sentence(error), color="danger")
    return dbc.Alert("Defaults saved.", color="success", duration=4000)


@dash.callback(
    Output(ids.PREFERENCES_EMAIL_MODE_MESSAGE, "children"),
    Input(ids.PREFERENCES_EMAIL_MODE, "value"),
    prevent_initial_call=True,
)
def save_email_mode(mode):
    """Save the email mode as soon as it is picked."""
    user = portal_user()
    if user is None:
        return dbc.Alert("Sign in first.", color="danger")
    try:
        notices.set_email_mode(user=user, mode=mode)
    except DomainError as error:
        return dbc.Alert(error_sentence(error), color="danger")
    text = "Email comes as a daily digest." if mode == digest.DAILY_DIGEST else "Email comes as it happens."
    return dbc.Alert(text, color="success", duration=4000)
