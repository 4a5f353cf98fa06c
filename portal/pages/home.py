"""My work: the signed-in user's open tasks, soonest due first, and their latest notifications."""
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from db.models import TaskStatus
from domain import rules
from domain.filters import TaskFilters
from notifications import store
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.colours import PRIORITY_COLOURS
from workflow import tasks

dash.register_page(__name__, path="/", title="My work · Workflow Manager", name="My work")

OPEN = [status for status in TaskStatus if status in rules.OPEN_STATUSES]
ROWS = 25


def _due_cell(task, user, now: datetime):
    if task.due_date is None:
        return html.Td("—", className="text-body-secondary")
    overdue = rules.is_overdue(task, now)
    return html.Td(
        [times.when(task.due_date, user, now), html.Span(" · overdue", className="visually-hidden") if overdue else None],
        className="text-danger fw-semibold" if overdue else None,
    )


def _task_rows(user, now):
    rows = []
    for status in OPEN:
        page = tasks.list_tasks(
            filters=TaskFilters(assigned_to=user.id, status=status), sort="due_date", limit=ROWS, cursor=None
        )
        rows += page.items
    rows.sort(key=lambda t: (t.due_date is None, t.due_date or now))
    return [
        html.Tr(
            [
                html.Td(dcc.Link(task.title, href=f"/tasks/{task.id}")),  # Dash renders text as text: user input never becomes markup
                html.Td(dbc.Badge(task.priority.value, color=PRIORITY_COLOURS[task.priority.value])),
                html.Td(task.status.value),
                _due_cell(task, user, now),
                html.Td(", ".join(task.tags), className="small text-body-secondary d-none d-md-table-cell"),
            ]
        )
        for task in rows[:ROWS]
    ]


def _counts(user):
    """The user's open tasks per status: one GROUP BY."""
    counts = tasks.status_counts(filters=TaskFilters(assigned_to=user.id))
    return [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(status.value, className="text-body-secondary small"),
                        html.Div(f"{counts[status.value]:,}", className="fs-3 fw-semibold"),
                    ]
                )
            ),
            xs=4,
        )
        for status in OPEN
    ]


def _notifications(user, now: datetime):
    page = store.list_notifications(user=user, unread=None, limit=8, cursor=None)
    if not page.items:
        return [dbc.ListGroupItem("Nothing new.", className="text-body-secondary")]
    return [
        dbc.ListGroupItem(
            [html.Div(n.content),
             html.Small([f"{n.type.value} · ", times.when(n.created_at, user, now, lapse=True)], className="text-body-secondary")],
            className="" if n.read else "fw-semibold",
        )
        for n in page.items
    ]


def layout(**_query):
    """Built per request for the signed-in user."""
    user = portal_user()
    if user is None:
        return html.Div()
    now = datetime.now(timezone.utc)
    return html.Div(
        [
            html.H1("My work", className="h3 mb-3"),
            dbc.Row(_counts(user), className="g-3 mb-4", id=ids.HOME_COUNTS),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H2("My open tasks", className="h5"),
                            dbc.Table(
                                [
                                    html.Thead(
                                        html.Tr(
                                            [html.Th(h) for h in ("Title", "Priority", "Status")]
                                            + [html.Th(["Due ", times.zone_note(user, className="d-block d-sm-inline")])]
                                            + [html.Th("Tags", className="d-none d-md-table-cell")]
                                        )
                                    ),
                                    html.Tbody(_task_rows(user, now)),
                                ],
                                hover=True, responsive=True, size="sm", id=ids.HOME_TASKS,
                            ),
                        ],
                        lg=8,
                    ),
                    dbc.Col([html.H2("Notifications", className="h5", id="notifications"), dbc.ListGroup(_notifications(user, now))], lg=4),
                ]
            ),
        ]
    )
