"""The task board: a column per status, filtered from the URL, cards moved within the rules."""
import uuid
from dataclasses import replace
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from db.models import Priority, TaskStatus
from domain import rules
from domain.errors import DomainError
from domain.filters import UNASSIGNED, TaskFilters
from portal import ids
from portal.access import portal_user
from portal.components.paged_list import PagedList, filter_bar, filter_field
from portal.components.task_card import task_card
from workflow import tasks, users

dash.register_page(__name__, path="/board", title="Board · Workflow Manager", name="Board")

CARDS_PER_PAGE = 20
SCOPES = {"all": "All tasks", "mine": "Mine", "unassigned": "Unassigned"}
#: The priority select's "no filter" value (Bootstrap selects keep "" for their placeholder).
ANY_PRIORITY = "any"
#: The filters in the URL query string, with their defaults (a reload or a shared link keeps them).
DEFAULT_FILTERS = {"scope": "all", "priority": "", "tag": "", "q": ""}
#: A column's cards, a page at a time; the filters redraw every column (filter_board), not one list.
COLUMN = PagedList(rows=ids.BOARD_CARDS, cursor=ids.BOARD_CURSOR, more=ids.BOARD_MORE, key="status")


def _clean(query) -> dict:
    """The board's filters from untrusted input (URL or browser store): unknown values fall back to the defaults."""
    query = query if isinstance(query, dict) else {}
    filters = {name: str(query.get(name) or default).strip() for name, default in DEFAULT_FILTERS.items()}
    if filters["scope"] not in SCOPES:
        filters["scope"] = DEFAULT_FILTERS["scope"]
    if filters["priority"] not in {p.value for p in Priority}:
        filters["priority"] = ""
    return filters


def _task_filters(user, filters: dict) -> TaskFilters:
    assignee = {"mine": user.id, "unassigned": UNASSIGNED}.get(filters["scope"])
    return TaskFilters(
        priority=Priority(filters["priority"]) if filters["priority"] else None,
        assigned_to=assignee,
        tag=filters["tag"] or None,
        q=filters["q"] or None,
    )


def _due(task, now: datetime):
    if task.due_date is None:
        return None
    overdue = rules.is_overdue(task, now)
    text = f"Due {task.due_date:%d %b %Y}" + (" · overdue" if overdue else "")
    return html.Div(
        [html.I(className="bi bi-calendar-event me-1"), text],
        className="small " + ("text-danger fw-semibold" if overdue else "text-body-secondary"),
    )


def _move_control(user, task):
    targets = rules.allowed_targets(user, task)
    if not targets:
        return None
    # The id carries the version the card was drawn with: a move from a stale card is refused.
    return html.Label(
        [
            html.Span(f"Move {task.title} to", className="visually-hidden"),
            dbc.Select(
                id={"type": ids.BOARD_MOVE, "id": str(task.id), "version": task.version},
                options=[{"label": status.value, "value": status.value} for status in targets],
                placeholder="Move to…",
                value="",
                size="sm",
            ),
        ],
        className="d-block mt-2",
    )


def _tags(task):
    if not task.tags:
        return None
    return html.Div([dbc.Badge(tag, color="light", text_color="dark", className="me-1 border") for tag in task.tags], className="mt-1")


def _card(user, task, names: dict, now: datetime):
    return task_card(task, names.get(task.assigned_to, "Unassigned"), _due(task, now), _tags(task), _move_control(user, task))


def _cards(user, page) -> list:
    names = users.full_names(user_ids={task.assigned_to for task in page.items if task.assigned_to})
    now = datetime.now(timezone.utc)
    return [_card(user, task, names, now) for task in page.items]


def _column_page(user, filters: dict, status: TaskStatus, cursor: str | None):
    return tasks.list_tasks(
        filters=replace(_task_filters(user, filters), status=status), sort="due_date", limit=CARDS_PER_PAGE, cursor=cursor
    )


def _columns(user, filters: dict) -> list:
    counts = tasks.status_counts(filters=_task_filters(user, filters))
    columns = []
    for status in TaskStatus:
        page = _column_page(user, filters, status, None)
        columns.append(
            html.Section(
                [
                    html.H2(
                        [status.value, dbc.Badge(str(counts[status.value]), color="secondary", pill=True, className="ms-2 board-count")],
                        className="h6 d-flex align-items-center mb-2",
                    ),
                    html.Div(
                        _cards(user, page) or html.P("No tasks", className="text-body-secondary small mb-0"),
                        id={"type": ids.BOARD_CARDS, "status": status.value}, className="board-cards",
                    ),
                    COLUMN.store(page.next_cursor, value=status.value),
                    COLUMN.button(page.next_cursor, "Show more", value=status.value, n_clicks=0, className="w-100 mt-2"),
                ],
                className="board-column",
                **{"data-status": status.value, "aria-label": f"{status.value}: {counts[status.value]} tasks"},
            )
        )
    return columns


def _filter_bar(filters: dict):
    return filter_bar(
        filter_field("Show", dbc.Select(
            id=ids.BOARD_SCOPE, value=filters["scope"], options=[{"label": v, "value": k} for k, v in SCOPES.items()],
        ), xs=6, md=2),
        filter_field("Priority", dbc.Select(
            id=ids.BOARD_PRIORITY, value=filters["priority"] or ANY_PRIORITY,
            options=[{"label": "Any priority", "value": ANY_PRIORITY}] + [{"label": p.value, "value": p.value} for p in Priority],
        ), xs=6, md=2),
        filter_field("Tag", dbc.Input(id=ids.BOARD_TAG, value=filters["tag"], placeholder="Any tag", debounce=0.5), xs=6, md=2),
        filter_field("Search", dbc.Input(
            id=ids.BOARD_Q, value=filters["q"], type="search", placeholder="Search tasks", debounce=0.5,
        ), xs=6, md=3),
    )


def layout(**query):
    """Built per request for the signed-in user, with the filters of the URL."""
    user = portal_user()
    if user is None:
        return html.Div()
    filters = _clean(query)
    return html.Div(
        [
            html.H1("Board", className="h3 mb-3"),
            _filter_bar(filters),
            dcc.Store(id=ids.BOARD_FILTERS, data=filters),
            dbc.Alert(id=ids.BOARD_ALERT, is_open=False, dismissable=True, className="py-2"),
            html.Div(_columns(user, filters), id=ids.BOARD, className="board"),
        ]
    )


# The filters go into the address bar without a page load, so a reload or a shared link keeps them.
clientside_callback(
    """
    function(scope, priority, tag, q) {
        const filters = {scope: scope || 'all', priority: priority === 'any' ? '' : (priority || ''), tag: (tag || '').trim(), q: (q || '').trim()};
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(filters)) {
            if (value && !(name === 'scope' && value === 'all')) { params.set(name, value); }
        }
        const search = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
        return filters;
    }
    """,
    Output(ids.BOARD_FILTERS, "data"),
    Input(ids.BOARD_SCOPE, "value"),
    Input(ids.BOARD_PRIORITY, "value"),
    Input(ids.BOARD_TAG, "value"),
    Input(ids.BOARD_Q, "value"),
    prevent_initial_call=True,
)


@callback(Output(ids.BOARD, "children"), Input(ids.BOARD_FILTERS, "data"), prevent_initial_call=True)
def filter_board(filters):
    """Redraw the columns for new filters."""
    user = portal_user()
    if user is None:
        raise PreventUpdate
    return _columns(user, _clean(filters))


# The cards' move controls are for the signed-in user, the same who asked show_more for the page.
@COLUMN.on_more(State(ids.BOARD_FILTERS, "data"), render=lambda page: _cards(portal_user(), page))
def show_more(cursor, filters):
    """Append the column's next page (keyset cursor) to its cards; a forged status is a ValueError too."""
    user = portal_user()
    if user is None:
        raise PreventUpdate
    return _column_page(user, _clean(filters), TaskStatus(ctx.triggered_id["status"]), cursor)


@callback(
    Output(ids.BOARD_ALERT, "children"),
    Output(ids.BOARD_ALERT, "color"),
    Output(ids.BOARD_ALERT, "is_open"),
    Output(ids.BOARD, "children", allow_duplicate=True),
    Input({"type": ids.BOARD_MOVE, "id": ALL, "version": ALL}, "value"),
    State(ids.BOARD_FILTERS, "data"),
    prevent_initial_call=True,
)
def move_card(_targets, filters):
    """Move one card through the workflow rules (the server's, whatever the page offered), then redraw."""
    user = portal_user()
    moved = ctx.triggered_id
    target = ctx.triggered[0]["value"] if ctx.triggered else None
    if user is None or not isinstance(moved, dict) or not target:
        raise PreventUpdate
    try:
        task_id, status, version = uuid.UUID(moved["id"]), TaskStatus(target), int(moved["version"])
    except (KeyError, TypeError, ValueError):
        raise PreventUpdate from None
    try:
        task = tasks.change_status(actor=user, task_id=task_id, status=status, expected_version=version)
        message, colour = f"Moved “{task.title}” to {status.value}.", "success"
    except DomainError as refused:
        message, colour = refused.message, "danger"
    return message, colour, True, _columns(user, _clean(filters))
