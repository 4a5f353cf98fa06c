"""Notification preferences: a switch per notification type and channel."""
import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from pydantic import ValidationError

from api.schemas import NotificationSettingsUpdate
from db.models import NotificationType
from notifications import preferences
from portal import ids
from portal.access import portal_user

dash.register_page(__name__, path="/preferences", title="Preferences · Workflow Manager", name="Preferences")

CHANNEL_LABELS = {"in_app": "In-app", "email": "Email", "sms": "SMS"}


def _switch(kind: str, channel: str, enabled: bool) -> dbc.Switch:
    return dbc.Switch(
        id={"type": ids.PREFERENCES_SWITCH, "kind": kind, "channel": channel}, value=enabled,
        label=f"{kind} by {CHANNEL_LABELS[channel]}", label_class_name="visually-hidden", class_name="mb-0 d-inline-block",
    )


def _grid(settings: dict[str, dict[str, bool]]) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Notification")] + [html.Th(label, className="text-center") for label in CHANNEL_LABELS.values()])),
            html.Tbody(
                [
                    html.Tr(
                        [html.Th(kind.value, scope="row", className="fw-normal")]
                        + [html.Td(_switch(kind.value, channel, settings[kind.value][channel]), className="text-center")
                           for channel in preferences.CHANNELS]
                    )
                    for kind in NotificationType
                ]
            ),
        ],
        size="sm", className="align-middle mb-3",
    )


def layout(**_query):
    """Built per request for the signed-in user."""
    user = portal_user()
    if user is None:
        return html.Div()
    return dbc.Row(
        dbc.Col(
            [
                html.H1("Notification preferences", className="h3 mb-2"),
                html.P("Choose how you hear about each kind of change.", className="text-body-secondary"),
                _grid(preferences.get_settings(user=user)),
                html.Div(
                    [
                        dbc.Button("Save", id=ids.PREFERENCES_SAVE, color="primary", className="me-3"),
                        dcc.Link("Back to notifications", href="/notifications"),
                    ],
                    className="d-flex align-items-center mb-3",
                ),
                html.Div(id=ids.PREFERENCES_MESSAGE),
            ],
            lg=6,
        )
    )


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
    body: dict[str, dict[str, bool]] = {}
    for state, value in zip(ctx.states_list[0], values):
        body.setdefault(state["id"]["kind"], {})[state["id"]["channel"]] = bool(value)
    try:
        update = NotificationSettingsUpdate.model_validate(body)
    except ValidationError:
        return dbc.Alert("These settings could not be saved.", color="danger")
    changes = {NotificationType(kind): channels for kind, channels in update.model_dump(by_alias=True, exclude_unset=True).items()}
    preferences.update_settings(user=user, changes=changes)
    return dbc.Alert("Saved.", color="success", duration=4000)
