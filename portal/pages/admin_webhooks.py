"""Webhooks (Admin only): the endpoints with their latest deliveries, a form to add one (its secret shown once),
"Send test" and, after a question, "Delete". The rules are workflow.webhooks', the same /api/webhooks follows."""
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from db.types import utcnow
from domain import rules
from domain.errors import DomainError
from domain.webhooks import EVENTS, MIN_SECRET
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.confirm import clicked_row, confirm_modal, question
from portal.components.errors import error_sentence
from portal.components.forms import labelled_field
from portal.components.secret_once import secret_alert
from workflow import webhooks

dash.register_page(__name__, path="/admin/webhooks", title="Webhooks · Workflow Manager", name="Webhooks")

DENIED = "Only admins manage webhooks."
#: How many endpoints the page lists (an installation has a handful).
SHOWN = 100
EVENT_LABELS = {
    "task.created": "Task created", "task.status_changed": "Status changed", "task.assigned": "Task assigned",
    "task.commented": "Comment added", "sla.warning": "SLA warning", "sla.breached": "SLA breached",
    "export.done": "Export ready",
}
STATUS_COLOURS = {"sent": "success", "pending": "warning", "sending": "info", "dead": "danger"}
EXPLAINED = [
    "Each event is POSTed as JSON to the endpoints that take it, signed: ",
    html.Code("X-Workflow-Signature: sha256=<HMAC-SHA256 of the body with the secret>"),
    ". A failed delivery is tried again with backoff under the same ", html.Code("X-Workflow-Delivery"),
    " id, so a receiver drops repeats; one that keeps failing is dead and can be retried from the outbox. "
    "Only public http(s) addresses are taken unless private networks are allowed in the configuration.",
]


def _admin():
    """The signed-in user if they may manage webhooks, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_manage_webhooks(user) else None


def _form() -> html.Div:
    return html.Div(
        [
            html.H2("Add an endpoint", className="h5 mt-2"),
            labelled_field("URL", ids.WEBHOOKS_URL, dbc.Input(
                id=ids.WEBHOOKS_URL, type="url", maxLength=2000, placeholder="https://example.com/hooks/workflow")),
            html.Div([
                dbc.Label("Events", html_for=ids.WEBHOOKS_EVENTS),
                dbc.Checklist(id=ids.WEBHOOKS_EVENTS, inline=True, value=[e for e in EVENTS if e.startswith("task.")],
                              options=[{"label": EVENT_LABELS[e], "value": e} for e in EVENTS]),
            ], className="mb-3"),
            labelled_field("Secret (optional)", ids.WEBHOOKS_SECRET, dbc.Input(
                id=ids.WEBHOOKS_SECRET, type="password", maxLength=200, autoComplete="new-password"),
                hint=f"At least {MIN_SECRET} characters; left empty, one is generated and shown once."),
            dbc.Button("Add endpoint", id=ids.WEBHOOKS_ADD, color="primary", className="mb-3"),
            html.Div(id=ids.WEBHOOKS_CREATED),
        ],
    )


def _last(listed, user, now):
    """The latest delivery: its status, event and when, and why it failed if it did."""
    if not listed.recent:
        return html.Span("No deliveries yet", className="text-body-secondary")
    message = listed.recent[0]
    parts = [dbc.Badge(message.status, color=STATUS_COLOURS.get(message.status, "secondary"), className="me-1"),
             html.Span(message.payload.get("event", ""), className="me-1"),
             times.when(message.sent_at or message.created_at, user, now, lapse=True)]
    if message.last_error and message.status != "sent":
        parts.append(html.Div(message.last_error[:200], className="small text-danger text-break"))
    return html.Div(parts, className="webhook-last-delivery")


def _list(user):
    page = webhooks.list_webhooks(actor=user, limit=SHOWN, cursor=None)
    if not page.items:
        return html.P("No endpoints yet.", className="text-body-secondary")
    now = utcnow()
    rows = [
        html.Tr([
            html.Td(html.Code(listed.webhook.url), className="text-break"),
            html.Td([dbc.Badge(EVENT_LABELS.get(e, e), color="light", text_color="dark", className="me-1")
                     for e in listed.webhook.events]),
            html.Td(_last(listed, user, now)),
            html.Td(times.when(listed.webhook.created_at, user, now)),
            html.Td(html.Div([
                dbc.Button("Send test", id={"type": ids.WEBHOOKS_TEST, "webhook": str(listed.webhook.id)},
                           color="secondary", outline=True, size="sm", title=f"Send a test event to {listed.webhook.url}"),
                dbc.Button("Delete", id={"type": ids.WEBHOOKS_DELETE, "webhook": str(listed.webhook.id)},
                           color="danger", outline=True, size="sm", title=f"Delete {listed.webhook.url}"),
            ], className="d-flex gap-1")),
        ], id=f"webhook-{listed.webhook.id}")
        for listed in page.items
    ]
    head = ["URL", "Events", "Last delivery", "Added", ""]
    return dbc.Table([html.Thead(html.Tr([html.Th(text) for text in head])), html.Tbody(rows)],
                     size="sm", hover=True, responsive=True, className="align-middle small")


def layout(**_query):
    """Built per request: the endpoints for Admins, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    heading = html.H1("Webhooks", className="h3 mb-3")
    if not rules.can_manage_webhooks(user):
        return html.Div([heading, dbc.Alert(DENIED, color="info", id=ids.WEBHOOKS_DENIED)])
    return dbc.Row(dbc.Col([
        heading,
        html.P(EXPLAINED, className="text-body-secondary"),
        _form(),
        html.Div(id=ids.WEBHOOKS_MESSAGE, role="status"),
        html.Div([html.H2("Endpoints", className="h5 mb-0"),
                  dbc.Button("Refresh", id=ids.WEBHOOKS_REFRESH, color="link", size="sm")],
                 className="d-flex align-items-center gap-2 mt-3 mb-2"),
        html.Div(_list(user), id=ids.WEBHOOKS_LIST),
        dcc.Store(id=ids.WEBHOOKS_CHANGED, data=0),
        dcc.Store(id=ids.WEBHOOKS_PENDING),
        confirm_modal(ids.WEBHOOKS_CONFIRM, "Delete this endpoint?", body_id=ids.WEBHOOKS_CONFIRM_TEXT,
                      no_id=ids.WEBHOOKS_CONFIRM_NO, yes_id=ids.WEBHOOKS_CONFIRM_YES, yes_label="Delete endpoint"),
    ], lg=10))


@callback(
    Output(ids.WEBHOOKS_CREATED, "children"),
    Output(ids.WEBHOOKS_MESSAGE, "children"),
    Output(ids.WEBHOOKS_URL, "value"),
    Output(ids.WEBHOOKS_SECRET, "value"),
    Output(ids.WEBHOOKS_CHANGED, "data"),
    Input(ids.WEBHOOKS_ADD, "n_clicks"),
    State(ids.WEBHOOKS_URL, "value"),
    State(ids.WEBHOOKS_EVENTS, "value"),
    State(ids.WEBHOOKS_SECRET, "value"),
    State(ids.WEBHOOKS_CHANGED, "data"),
    prevent_initial_call=True,
)
def add(_clicks, url, events, secret, changed):
    """Register an endpoint: its secret shown once, or why not."""
    user = _admin()
    if user is None:
        return None, dbc.Alert(DENIED, color="danger"), no_update, no_update, no_update
    try:
        registered = webhooks.create_webhook(actor=user, url=(url or "").strip(), events=list(events or []),
                                             secret=secret or None)
    except DomainError as error:
        return None, dbc.Alert(f"Not added. {error_sentence(error)}", color="danger"), no_update, no_update, no_update
    shown = secret_alert("Endpoint added. ", "Copy its signing secret now: it is not shown again.", "Signing secret",
                         registered.secret, input_id=ids.WEBHOOKS_SECRET_SHOWN, copy_id=ids.WEBHOOKS_COPY)
    return shown, None, "", "", (changed or 0) + 1


@callback(
    Output(ids.WEBHOOKS_MESSAGE, "children", allow_duplicate=True),
    Output(ids.WEBHOOKS_CHANGED, "data", allow_duplicate=True),
    Input({"type": ids.WEBHOOKS_TEST, "webhook": ALL}, "n_clicks"),
    State(ids.WEBHOOKS_CHANGED, "data"),
    prevent_initial_call=True,
)
def send_test(_clicks, changed):
    """Queue a `ping` to the endpoint whose "Send test" was clicked."""
    clicked = clicked_row()
    if clicked is None:
        return no_update, no_update
    user = _admin()
    if user is None:
        return dbc.Alert(DENIED, color="danger"), no_update
    try:
        message = webhooks.send_test(actor=user, webhook_id=uuid.UUID(clicked["webhook"]))
    except (DomainError, ValueError) as error:
        return dbc.Alert(f"Not sent. {error_sentence(error)}", color="danger"), no_update
    text = f"Test event queued (delivery {message.id}). Refresh to see how it went."
    return dbc.Alert(text, color="success", duration=8000), (changed or 0) + 1


@callback(
    Output(ids.WEBHOOKS_PENDING, "data"),
    Output(ids.WEBHOOKS_CONFIRM, "is_open"),
    Output(ids.WEBHOOKS_CONFIRM_TEXT, "children"),
    Input({"type": ids.WEBHOOKS_DELETE, "webhook": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask(_clicks):
    """A "Delete" click: which endpoint, and the question about it."""
    clicked = clicked_row()
    if clicked is None:
        return no_update, no_update, no_update
    user = _admin()
    if user is None:
        return no_update, no_update, no_update
    try:
        webhook = webhooks.get_webhook(actor=user, webhook_id=uuid.UUID(clicked["webhook"]))
    except (DomainError, ValueError, KeyError, TypeError):
        return no_update, no_update, no_update
    consequence = "Nothing more is sent to it, and its deliveries still waiting are dropped. This cannot be undone."
    return str(webhook.id), True, question(html.Code(webhook.url), consequence)


@callback(
    Output(ids.WEBHOOKS_CONFIRM, "is_open", allow_duplicate=True),
    Output(ids.WEBHOOKS_MESSAGE, "children", allow_duplicate=True),
    Output(ids.WEBHOOKS_PENDING, "data", allow_duplicate=True),
    Output(ids.WEBHOOKS_CHANGED, "data", allow_duplicate=True),
    Input(ids.WEBHOOKS_CONFIRM_YES, "n_clicks"),
    Input(ids.WEBHOOKS_CONFIRM_NO, "n_clicks"),
    State(ids.WEBHOOKS_PENDING, "data"),
    State(ids.WEBHOOKS_CHANGED, "data"),
    prevent_initial_call=True,
)
def answer(_yes, _no, pending, changed):
    """Delete the pending endpoint on "Delete endpoint"; "Cancel" only closes the question."""
    if ctx.triggered_id != ids.WEBHOOKS_CONFIRM_YES or not pending:
        return False, no_update, None, no_update
    user = _admin()
    if user is None:
        return False, dbc.Alert(DENIED, color="danger"), None, no_update
    try:
        webhooks.delete_webhook(actor=user, webhook_id=uuid.UUID(pending))
    except (DomainError, ValueError) as error:
        return False, dbc.Alert(f"Not deleted. {error_sentence(error)}", color="danger"), None, no_update
    return False, dbc.Alert("Endpoint deleted.", color="success", duration=6000), None, (changed or 0) + 1


@callback(
    Output(ids.WEBHOOKS_LIST, "children"),
    Input(ids.WEBHOOKS_CHANGED, "data"),
    Input(ids.WEBHOOKS_REFRESH, "n_clicks"),
    prevent_initial_call=True,
)
def refresh(_changed, _clicks):
    """The endpoints again, after a change or on "Refresh"."""
    user = _admin()
    if user is None:
        return no_update
    return _list(user)
