"""A task's card on a board (the task board's columns, a case's mini board): title, priority, assignee, then the page's own."""
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from domain import rules
from portal.components import times
from portal.components.colours import PRIORITY_COLOURS


def due_line(task, user, now: datetime):
    """"Due Sun 8 Mar 08:00" on the user's clock (red, and said, when overdue); None without a due date."""
    if task.due_date is None:
        return None
    overdue = rules.is_overdue(task, now)
    return html.Div(
        [html.I(className="bi bi-calendar-event me-1"), "Due ", times.when(task.due_date, user, now),
         " · overdue" if overdue else None],
        className="small task-card-due " + ("text-danger fw-semibold" if overdue else "text-body-secondary"),
    )


def task_card(task, assignee: str, *details, attributes: dict | None = None) -> html.Article:
    """The title linking to the task, its priority and its assignee's name, then the page's `details` (None for none);
    `attributes` are the page's own `data-*` attributes of the card (the board's drag and drop reads them)."""
    # Dash renders strings as text: titles, names and tags never become markup.
    heading = html.Div(
        [
            dcc.Link(task.title, href=f"/tasks/{task.id}", className="fw-semibold text-break text-decoration-none me-2"),
            dbc.Badge(task.priority.value, color=PRIORITY_COLOURS[task.priority.value], className="ms-auto"),
        ],
        className="d-flex align-items-start",
    )
    person = html.Div([html.I(className="bi bi-person me-1"), assignee], className="small text-body-secondary mt-1")
    body = dbc.CardBody([heading, person, *details], className="p-2")
    return html.Article(dbc.Card(body, className="shadow-sm"), className="board-card",
                        **{"data-task-id": str(task.id), **(attributes or {})})
