"""The audit log (Admin only): who changed what and when, sign-ins, exports; filtered, paged, exported as CSV."""
import json
import uuid
from datetime import datetime, timedelta, timezone

import dash
import dash_bootstrap_components as dbc
from dash import Input, State, dcc, html
from dash.exceptions import PreventUpdate

from domain import rules
from portal import ids
from portal.access import portal_user
from portal.components import export_panel, times
from portal.components.paged_list import PagedList, filter_bar, filter_field
from reports.audit_log import AuditFilters
from workflow import audit, users

dash.register_page(__name__, path="/admin/audit", title="Audit log · Workflow Manager", name="Audit log")

PAGE_SIZE = 50
DENIED = "Only admins read the audit log."
#: The subjects of the log as the filter offers them.
SUBJECT_LABELS = {
    "auth": "Sign-ins", "user": "Users", "token": "Service tokens", "webhook": "Webhooks", "sla": "SLA policy",
    "assignment": "Auto-assignment", "notifications": "Notification defaults", "board": "Board WIP limits",
    "export": "Exports", "subscription": "Report subscriptions",
}
#: Each action in words.
ACTION_WORDS = {
    "auth.signed_in": "Signed in", "auth.sign_in_failed": "Failed sign-in", "auth.signed_out_everywhere": "Signed out everywhere",
    "user.created": "Created a user", "user.updated": "Changed a user", "user.password_changed": "Changed a password",
    "user.deactivated": "Deactivated a user", "user.reactivated": "Reactivated a user",
    "token.created": "Created a service token", "token.revoked": "Revoked a service token",
    "webhook.created": "Added a webhook", "webhook.deleted": "Deleted a webhook", "webhook.tested": "Sent a webhook test",
    "sla.targets_changed": "Changed SLA targets", "sla.calendar_changed": "Changed the business-hours calendar",
    "sla.escalation_rules_changed": "Changed SLA escalations", "assignment.rules_changed": "Changed auto-assignment",
    "notifications.defaults_changed": "Changed notification defaults", "board.wip_limits_changed": "Changed WIP limits",
    "export.requested": "Started an export", "export.delivered": "Received a subscribed report",
    "subscription.created": "Subscribed to a report", "subscription.deleted": "Deleted a report subscription",
}
SINCE = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days", "": "Any time"}
EXPORT_PAGE = "admin-audit"
HISTORY_EXPORT_PAGE = "admin-history"
EVENTS = PagedList(rows=ids.ADMIN_AUDIT_LIST, cursor=ids.ADMIN_AUDIT_CURSOR, more=ids.ADMIN_AUDIT_MORE)


def _admin():
    """The signed-in user if they may read the log, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_read_audit(user) else None


def _filters(subject: str | None, since: str | None) -> AuditFilters:
    start = datetime.now(timezone.utc) - timedelta(days=int(since)) if since else None
    return AuditFilters(action=subject if subject in SUBJECT_LABELS else None, since=start)


def _export_filters(subject: str | None, since: str | None) -> dict:
    """The same filters as an export takes them (JSON)."""
    chosen = _filters(subject, since)
    filters = {"action": chosen.action} if chosen.action else {}
    if chosen.since is not None:
        filters["date_from"] = chosen.since.isoformat()
    return filters


def _page(actor, subject, since, cursor):
    return audit.list_events(actor=actor, filters=_filters(subject, since), limit=PAGE_SIZE, cursor=cursor)


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def _change(event) -> list:
    """Before → after per field, one line each; the values as they were stored."""
    before, after = event.before or {}, event.after or {}
    fields = list(dict.fromkeys([*before, *after]))
    if not fields:
        return [html.Span("—", className="text-body-secondary")]
    lines = []
    for field in fields[:6]:
        parts = [html.Span(f"{field}: ", className="text-body-secondary")]
        if field in before:
            parts += [html.Span(_value(before[field]), className="text-decoration-line-through me-1"), "→ "]
        parts.append(html.Span(_value(after.get(field)) if field in after else "removed"))
        lines.append(html.Div(parts, className="text-break"))
    if len(fields) > 6:
        lines.append(html.Div(f"and {len(fields) - 6} more (export the log for all)", className="text-body-secondary"))
    return lines


def _target_names(events) -> dict[str, str]:
    """The full names of the users the events acted on, by id as the log keeps it."""
    user_ids = set()
    for event in events:
        if event.target_type == "user" and event.target_id:
            try:
                user_ids.add(uuid.UUID(event.target_id))
            except ValueError:
                continue
    return {str(user_id): name for user_id, name in users.full_names(user_ids=user_ids).items()}


def _target(event, names: dict[str, str]) -> str:
    if event.target_type == "user" and event.target_id in names:
        return f"user {names[event.target_id]}"
    return f"{event.target_type or ''} {event.target_id or ''}".strip()


def _rows(page) -> list:
    user = portal_user()
    now = datetime.now(timezone.utc)
    names = _target_names(page.items)
    narrow = "d-none d-md-table-cell"
    return [
        html.Tr([
            html.Td(times.when(event.at, user, now), className="text-nowrap"),
            html.Td(event.actor_name or "system"),
            html.Td([ACTION_WORDS.get(event.action, event.action),
                     html.Div(_target(event, names), className="text-body-secondary text-break small")]),
            html.Td(_change(event), className=narrow),
            html.Td(event.address or "—", className=narrow),
        ])
        for event in page.items
    ] or [html.Tr(html.Td("Nothing recorded under these filters. Choose another subject or a longer period.",
                          colSpan=5, className="text-body-secondary"))]


def layout(**_query):
    """Built per request: the log for Admins, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_read_audit(user):
        return html.Div([html.H1("Audit log", className="h3 mb-3"), dbc.Alert(DENIED, color="info", id=ids.ADMIN_AUDIT_DENIED)])
    page = _page(user, None, "30", None)
    narrow = "d-none d-md-table-cell"
    filters = filter_bar(
        filter_field("Subject", dcc.Dropdown(
            id=ids.ADMIN_AUDIT_SUBJECT, options=[{"label": label, "value": value} for value, label in SUBJECT_LABELS.items()],
            placeholder="Everything", clearable=True), md=4),
        filter_field("Period", dbc.Select(
            id=ids.ADMIN_AUDIT_SINCE, options=[{"label": label, "value": value} for value, label in SINCE.items()], value="30"),
            md=3),
    )
    table = dbc.Table(
        [
            html.Thead(html.Tr([
                html.Th(["When", times.zone_note(user, className="d-block")]), html.Th("Who"), html.Th("What"),
                html.Th("Change", className=narrow), html.Th("From", className=narrow),
            ])),
            html.Tbody(_rows(page), id=ids.ADMIN_AUDIT_LIST),
        ],
        hover=True, responsive=True, size="sm", className="align-middle small",
    )
    exports = html.Div(
        [
            export_panel.start_button(EXPORT_PAGE, "Export the log (CSV)"),
            export_panel.start_button(HISTORY_EXPORT_PAGE, "Export the task history (CSV)"),
        ],
        className="d-flex flex-wrap gap-2 mb-2",
    )
    return html.Div(
        [
            html.H1("Audit log", className="h3 mb-1"),
            html.P("Changes to users, roles, tokens, webhooks and policy, every sign-in and every export. "
                   "Entries cannot be changed or deleted.", className="text-body-secondary small"),
            filters,
            exports,
            export_panel.status_area(EXPORT_PAGE),
            export_panel.status_area(HISTORY_EXPORT_PAGE),
            table,
            EVENTS.store(page.next_cursor),
            EVENTS.button(page.next_cursor),
        ]
    )


@EVENTS.on_filter(Input(ids.ADMIN_AUDIT_SUBJECT, "value"), Input(ids.ADMIN_AUDIT_SINCE, "value"), render=_rows)
def filter_events(subject, since):
    """The first page for new filters."""
    actor = _admin()
    if actor is None:
        raise PreventUpdate
    return _page(actor, subject, since, None)


@EVENTS.on_more(State(ids.ADMIN_AUDIT_SUBJECT, "value"), State(ids.ADMIN_AUDIT_SINCE, "value"), render=_rows)
def more_events(cursor, subject, since):
    """Append the next page (keyset cursor)."""
    actor = _admin()
    if actor is None:
        raise PreventUpdate
    return _page(actor, subject, since, cursor)


@dash.callback(
    export_panel.job_output(EXPORT_PAGE),
    export_panel.start_input(EXPORT_PAGE),
    State(ids.ADMIN_AUDIT_SUBJECT, "value"),
    State(ids.ADMIN_AUDIT_SINCE, "value"),
    running=export_panel.disabled_while_starting(EXPORT_PAGE),
    prevent_initial_call=True,
)
def export_log(_clicks, subject, since):
    """Export the log under the filters shown (the export is itself recorded)."""
    return export_panel.start("audit", _export_filters(subject, since))


@dash.callback(
    export_panel.job_output(HISTORY_EXPORT_PAGE),
    export_panel.start_input(HISTORY_EXPORT_PAGE),
    State(ids.ADMIN_AUDIT_SINCE, "value"),
    running=export_panel.disabled_while_starting(HISTORY_EXPORT_PAGE),
    prevent_initial_call=True,
)
def export_history(_clicks, since):
    """Export every task's history over the period shown."""
    filters = _export_filters(None, since)
    return export_panel.start("history", filters)


export_panel.watch_exports(EXPORT_PAGE)
export_panel.watch_exports(HISTORY_EXPORT_PAGE)
