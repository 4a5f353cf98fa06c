"""Notifications: the signed-in user's own, newest first, with unread filter and mark read."""
import uuid
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, ctx, dcc, html, no_update

from domain.errors import NotFound
from notifications import store
from portal import ids
from portal.access import portal_user
from portal.components import times
from workflow import notifications as notices

dash.register_page(__name__, path="/notifications", title="Notifications · Workflow Manager", name="Notifications")

PAGE_SIZE = 50
#: After a change the list is reloaded with as many items as were shown, up to this many.
RELOAD_MAX = 500


def _item(notification, user, now: datetime) -> dbc.ListGroupItem:
    content = notification.content  # Dash renders text as text: content never becomes markup
    if notification.related_task_id is not None:
        content = dcc.Link(content, href=f"/tasks/{notification.related_task_id}")
    return dbc.ListGroupItem(
        html.Div(
            [
                html.Div(
                    [
                        html.Div(content, className="text-break"),
                        html.Small([f"{notification.type.value} · ", times.when(notification.created_at, user, now, lapse=True)],
                                   className="text-body-secondary"),
                    ],
                    className="me-auto",
                ),
                None if notification.read else dbc.Button(
                    "Mark read", id={"type": ids.NOTIFICATIONS_MARK, "id": str(notification.id)},
                    color="outline-secondary", size="sm", className="ms-2 flex-shrink-0",
                ),
            ],
            className="d-flex align-items-start",
            **{"data-id": str(notification.id)},
        ),
        class_name="notification-item " + ("notification-read" if notification.read else "notification-unread fw-semibold"),
    )


def _load(user, unread_only: bool, limit: int, cursor: str | None):
    """(list items, cursor store, More button class) for one page of notifications."""
    page = store.list_notifications(user=user, unread=True if unread_only else None, limit=limit, cursor=cursor)
    now = datetime.now(timezone.utc)
    items = [_item(n, user, now) for n in page.items]
    return items, {"next": page.next_cursor, "shown": len(items)}, "" if page.next_cursor else "d-none"


def _first_page(user, unread_only: bool, limit: int = PAGE_SIZE):
    items, cursor, more_class = _load(user, unread_only, limit, None)
    return items or [dbc.ListGroupItem("No notifications.", className="text-body-secondary")], cursor, more_class


def layout(**_query):
    """Built per request for the signed-in user."""
    user = portal_user()
    if user is None:
        return html.Div()
    items, cursor, more_class = _first_page(user, unread_only=False)
    return dbc.Row(
        dbc.Col(
            [
                html.Div(
                    [
                        html.H1("Notifications", className="h3 mb-0 me-auto"),
                        dcc.Link([html.I(className="bi bi-gear me-1"), "Preferences"], href="/preferences", className="me-3"),
                        dbc.Button("Mark all read", id=ids.NOTIFICATIONS_MARK_ALL, color="outline-primary", size="sm"),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mb-3",
                ),
                dbc.Switch(id=ids.NOTIFICATIONS_UNREAD, label="Unread only", value=False, className="mb-3"),
                html.Div(id=ids.NOTIFICATIONS_MESSAGE),
                dcc.Store(id=ids.NOTIFICATIONS_CURSOR, data=cursor),
                dbc.ListGroup(items, id=ids.NOTIFICATIONS_LIST, className="mb-3"),
                dbc.Button("More", id=ids.NOTIFICATIONS_MORE, color="secondary", outline=True, className=more_class),
            ],
            lg=8,
        )
    )


@dash.callback(
    Output(ids.NOTIFICATIONS_LIST, "children"),
    Output(ids.NOTIFICATIONS_CURSOR, "data"),
    Output(ids.NOTIFICATIONS_MORE, "className"),
    Output(ids.NOTIFICATIONS_MESSAGE, "children"),
    Output(ids.BELL_INTERVAL, "n_intervals", allow_duplicate=True),
    Input(ids.NOTIFICATIONS_UNREAD, "value"),
    Input(ids.NOTIFICATIONS_MORE, "n_clicks"),
    Input(ids.NOTIFICATIONS_MARK_ALL, "n_clicks"),
    Input({"type": ids.NOTIFICATIONS_MARK, "id": ALL}, "n_clicks"),
    State(ids.NOTIFICATIONS_CURSOR, "data"),
    State(ids.BELL_INTERVAL, "n_intervals"),
    prevent_initial_call=True,
)
def update(unread_only, _more, _mark_all, _mark, cursor, ticks):
    """Filter, page on, or mark read; after marking, reload what was shown and poke the bell."""
    user = portal_user()
    if user is None:
        return (no_update,) * 5
    trigger, clicked = ctx.triggered_id, ctx.triggered[0]["value"]
    shown = (cursor or {}).get("shown") or PAGE_SIZE
    if trigger == ids.NOTIFICATIONS_UNREAD:
        return *_first_page(user, bool(unread_only)), None, no_update
    if not clicked:
        return (no_update,) * 5  # buttons rendered (with the page or the list), not clicked
    if trigger == ids.NOTIFICATIONS_MORE:
        if not (cursor or {}).get("next"):
            return (no_update,) * 5
        items, next_cursor, more_class = _load(user, bool(unread_only), PAGE_SIZE, cursor["next"])
        patch = Patch()
        patch.extend(items)
        return patch, {**next_cursor, "shown": shown + next_cursor["shown"]}, more_class, None, no_update
    if trigger == ids.NOTIFICATIONS_MARK_ALL:
        count = notices.mark_all_read(user=user)
        message = dbc.Alert(f"Marked {count} read." if count else "Nothing to mark.", color="success", duration=4000)
    else:
        try:
            notices.mark_read(user=user, notification_id=uuid.UUID(trigger["id"]))
        except (NotFound, ValueError):
            return no_update, no_update, no_update, dbc.Alert("Notification not found.", color="danger"), no_update
        message = None
    return *_first_page(user, bool(unread_only), min(shown, RELOAD_MAX)), message, (ticks or 0) + 1
