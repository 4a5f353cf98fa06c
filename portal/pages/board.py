"""The task board: a column per status, filtered from the URL, cards moved within the rules (by drag and drop or the
"Move to…" menu), grouped in swimlanes, each open column held to its department's WIP limit."""
import uuid
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from db.models import Priority, TaskStatus
from domain import rules
from domain.board import ALL_DEPARTMENTS, SWIMLANES, WIP_STATUSES, is_over_limit, validate_department
from domain.errors import DomainError, ValidationFailed
from domain.filters import UNASSIGNED, TaskFilters
from portal import ids
from portal.access import portal_user
from portal.components.errors import error_sentence, problems
from portal.components.paged_list import PagedList, filter_bar, filter_field
from portal.components.task_card import due_line, task_card
from workflow import board, tasks, users

dash.register_page(__name__, path="/board", title="Board · Workflow Manager", name="Board")

CARDS_PER_PAGE = 20
SCOPES = {"all": "All tasks", "mine": "Mine", "unassigned": "Unassigned"}
LANE_LABELS = {"none": "None", "assignee": "Assignee", "priority": "Priority"}
#: The selects' "no filter" value (Bootstrap selects keep "" for their placeholder).
ANY_PRIORITY = "any"
ANY_DEPARTMENT = "any"
#: The filters in the URL query string, with their defaults (a reload or a shared link keeps them).
DEFAULT_FILTERS = {"scope": "all", "department": "", "priority": "", "tag": "", "q": "", "lanes": "none"}
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
    if filters["lanes"] not in SWIMLANES:
        filters["lanes"] = DEFAULT_FILTERS["lanes"]
    try:
        filters["department"] = validate_department(filters["department"])
    except DomainError:
        filters["department"] = ALL_DEPARTMENTS
    if filters["department"] == ANY_DEPARTMENT:
        filters["department"] = ALL_DEPARTMENTS
    return filters


def _task_filters(user, filters: dict) -> TaskFilters:
    assignee = {"mine": user.id, "unassigned": UNASSIGNED}.get(filters["scope"])
    return TaskFilters(
        priority=Priority(filters["priority"]) if filters["priority"] else None,
        assigned_to=assignee,
        department=filters["department"] or None,
        tag=filters["tag"] or None,
        q=filters["q"] or None,
    )


def _narrowed(filters: dict) -> bool:
    """Whether the view shows fewer cards than its department's board (a WIP limit counts them all)."""
    return filters["scope"] != "all" or any(filters[name] for name in ("priority", "tag", "q"))


def _move_control(task, targets: list[TaskStatus]):
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
    # The theme's own subtle colours: a "light" badge stays white on the dark board.
    return html.Div([html.Span(tag, className="badge me-1 border bg-body-secondary text-body") for tag in task.tags],
                    className="mt-1")


def _card(user, task, names: dict, now: datetime):
    targets = rules.allowed_targets(user, task)
    # assets/board.js lets a card be dragged only when it has moves, and lights up the columns they lead to.
    attributes = {"data-version": str(task.version), "data-moves": "|".join(t.value for t in targets)} if targets else {}
    return task_card(task, names.get(task.assigned_to, "Unassigned"), due_line(task, user, now), _tags(task),
                     _move_control(task, targets), attributes=attributes)


def _cards(user, page) -> list:
    """The page's cards, with a swimlane heading wherever the lane changes (not again where the page goes on)."""
    names = users.full_names(user_ids={task.assigned_to for task in page.items if task.assigned_to})
    now = datetime.now(timezone.utc)
    shown, lane_before = [], page.lane_before
    for task, lane in zip(page.items, page.lanes):
        if lane is not None and lane != lane_before:
            shown.append(html.H3(lane, className="board-lane"))
            lane_before = lane
        shown.append(_card(user, task, names, now))
    return shown


def _column_page(user, filters: dict, status: TaskStatus, cursor: str | None):
    return board.column_page(filters=_task_filters(user, filters), status=status, lanes=filters["lanes"], cursor=cursor,
                             limit=CARDS_PER_PAGE)


def _header(status: TaskStatus, count: int, wip: int | None, limit: int | None, narrowed: bool):
    """The column's name and count; with a WIP limit "7 / 5" (red when over), next to the count in a narrowed view."""
    badges = []
    if limit is None or narrowed:
        badges.append(dbc.Badge(str(count), color="secondary", pill=True, className="ms-2 board-count"))
    if limit is not None:
        over = is_over_limit(wip, limit)
        badges.append(dbc.Badge(
            f"{wip} / {limit}", color="danger" if over else "secondary", pill=True,
            className="ms-2 board-wip" + (" board-wip-over" if over else "") + ("" if narrowed else " board-count"),
            title=f"WIP limit {limit}" + (": over the limit" if over else ""),
        ))
    return html.H2([status.value, *badges], className="h6 d-flex align-items-center mb-2")


def _columns(user, filters: dict) -> list:
    counts = tasks.status_counts(filters=_task_filters(user, filters))
    limits = board.wip_limits(department=filters["department"])
    narrowed = _narrowed(filters)
    wip = counts
    if narrowed and any(limit is not None for limit in limits.values()):
        wip = board.wip_counts(department=filters["department"])
    columns = []
    for status in TaskStatus:
        page = _column_page(user, filters, status, None)
        limit = limits.get(status)
        over = is_over_limit(wip[status.value], limit)
        label = f"{status.value}: {counts[status.value]} tasks"
        if limit is not None:
            label += f", {wip[status.value]} of a WIP limit of {limit}" + (", over the limit" if over else "")
        columns.append(
            html.Section(
                [
                    _header(status, counts[status.value], wip[status.value], limit, narrowed),
                    html.Div(
                        _cards(user, page) or html.P("No tasks", className="text-body-secondary small mb-0"),
                        id={"type": ids.BOARD_CARDS, "status": status.value}, className="board-cards",
                    ),
                    COLUMN.store(page.next_cursor, value=status.value),
                    COLUMN.button(page.next_cursor, "Show more", value=status.value, n_clicks=0, className="w-100 mt-2"),
                ],
                className="board-column" + (" board-column-over" if over else ""),
                **{"data-status": status.value, "aria-label": label},
            )
        )
    return columns


def _filter_bar(filters: dict, departments: list[str]):
    return filter_bar(
        filter_field("Show", dbc.Select(
            id=ids.BOARD_SCOPE, value=filters["scope"], options=[{"label": v, "value": k} for k, v in SCOPES.items()],
        ), xs=6, md=2),
        filter_field("Department", dbc.Select(
            id=ids.BOARD_DEPARTMENT, value=filters["department"] or ANY_DEPARTMENT,
            options=[{"label": "All departments", "value": ANY_DEPARTMENT}] + [{"label": d, "value": d} for d in departments],
        ), xs=6, md=2),
        filter_field("Priority", dbc.Select(
            id=ids.BOARD_PRIORITY, value=filters["priority"] or ANY_PRIORITY,
            options=[{"label": "Any priority", "value": ANY_PRIORITY}] + [{"label": p.value, "value": p.value} for p in Priority],
        ), xs=6, md=2),
        filter_field("Tag", dbc.Input(id=ids.BOARD_TAG, value=filters["tag"], placeholder="Any tag", debounce=0.5), xs=6, md=2),
        filter_field("Search", dbc.Input(
            id=ids.BOARD_Q, value=filters["q"], type="search", placeholder="Search tasks", debounce=0.5,
        ), xs=6, md=2),
        filter_field("Swimlanes", dbc.Select(
            id=ids.BOARD_LANES, value=filters["lanes"], options=[{"label": v, "value": k} for k, v in LANE_LABELS.items()],
        ), xs=6, md=2),
    )


def _phone_picker():
    """On a phone the board shows one column at a time: this picks it (hidden from small tablets up)."""
    return html.Div(
        [
            dbc.Label("Column", html_for=ids.BOARD_PHONE_COLUMN, className="small mb-1"),
            dbc.Select(
                id=ids.BOARD_PHONE_COLUMN, value=TaskStatus.NEW.value,
                options=[{"label": status.value, "value": status.value} for status in TaskStatus],
            ),
        ],
        className="board-phone-picker d-sm-none mb-2",
    )


def _wip_modal():
    """The WIP limits of the department's board in view ("All departments": the default), for supervisors."""
    # Each field inside its label: the label names it (the pattern-matching id is no string for `for`).
    inputs = [
        html.Label(
            [
                html.Span(status.value, className="col-5 col-form-label"),
                html.Div(dbc.Input(
                    id={"type": ids.BOARD_WIP_INPUT, "status": status.value}, type="text", inputMode="numeric",
                    placeholder="No limit", value="", maxLength=3,
                ), className="col-7"),
            ],
            className="row mb-2 w-100 mx-0",
        )
        for status in WIP_STATUSES
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("WIP limits")),
            dbc.ModalBody([
                html.P(id=ids.BOARD_WIP_SCOPE, className="small text-body-secondary"),
                *inputs,
                html.P("A whole number from 1 to 999; empty for none. Completed and Cancelled take no limit.",
                       className="small text-body-secondary mb-0"),
                html.Div(id=ids.BOARD_WIP_MESSAGE, className="text-danger small mt-2", role="alert"),
            ]),
            dbc.ModalFooter(dbc.Button("Save limits", id=ids.BOARD_WIP_SAVE, color="primary", n_clicks=0)),
        ],
        id=ids.BOARD_WIP_MODAL, is_open=False,
    )


def layout(**query):
    """Built per request for the signed-in user, with the filters of the URL."""
    user = portal_user()
    if user is None:
        return html.Div()
    filters = _clean(query)
    supervisor = rules.can_set_wip_limits(user)
    heading = [html.H1("Board", className="h3 mb-0 me-auto")]
    if supervisor:
        heading.append(dbc.Button([html.I(className="bi bi-speedometer2 me-1"), "WIP limits"], id=ids.BOARD_WIP_OPEN,
                                  color="secondary", outline=True, size="sm", n_clicks=0))
    return html.Div(
        [
            html.Div(heading, className="d-flex align-items-center mb-3"),
            _filter_bar(filters, board.departments()),
            dcc.Store(id=ids.BOARD_FILTERS, data=filters),
            dcc.Store(id=ids.BOARD_MOVED, data=None),
            dbc.Alert(id=ids.BOARD_ALERT, is_open=False, dismissable=True, className="py-2 board-alert"),
            _phone_picker(),
            html.Div(_columns(user, filters), id=ids.BOARD, className="board board-show-new"),
            *([_wip_modal()] if supervisor else []),
        ],
        className="board-page",
    )


# The filters go into the address bar without a page load, so a reload or a shared link keeps them.
clientside_callback(
    """
    function(scope, department, priority, tag, q, lanes) {
        const filters = {scope: scope || 'all', department: department === 'any' ? '' : (department || ''),
                         priority: priority === 'any' ? '' : (priority || ''), tag: (tag || '').trim(),
                         q: (q || '').trim(), lanes: lanes || 'none'};
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(filters)) {
            if (value && !(name === 'scope' && value === 'all') && !(name === 'lanes' && value === 'none')) {
                params.set(name, value);
            }
        }
        const search = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
        return filters;
    }
    """,
    Output(ids.BOARD_FILTERS, "data"),
    Input(ids.BOARD_SCOPE, "value"),
    Input(ids.BOARD_DEPARTMENT, "value"),
    Input(ids.BOARD_PRIORITY, "value"),
    Input(ids.BOARD_TAG, "value"),
    Input(ids.BOARD_Q, "value"),
    Input(ids.BOARD_LANES, "value"),
    prevent_initial_call=True,
)

# On a phone one column is shown at a time (assets/board.css); the functions live in assets/board.js (no inline script).
clientside_callback(
    ClientsideFunction("board", "showColumn"),
    Output(ids.BOARD, "className"),
    Input(ids.BOARD_PHONE_COLUMN, "value"),
)
clientside_callback(
    ClientsideFunction("board", "settle"),
    Input(ids.BOARD_MOVED, "data"),
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
    Output(ids.BOARD_MOVED, "data"),
    Input({"type": ids.BOARD_MOVE, "id": ALL, "version": ALL}, "value"),
    State(ids.BOARD_FILTERS, "data"),
    prevent_initial_call=True,
)
def move_card(_targets, filters):
    """Move one card through the workflow rules (the server's, whatever the page offered), then redraw.

    A drop (assets/board.js) picks the target in the card's "Move to…" menu: one callback, one rule, one message.
    """
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
        message, colour, ok = f"Moved “{task.title}” to {status.value}.", "success", True
    except DomainError as refused:
        message, colour, ok = error_sentence(refused), "danger", False
    # A new nonce each time: the page settles a dropped card on every answer, even one like the last.
    answer = {"ok": ok, "id": str(task_id), "nonce": uuid.uuid4().hex}
    return message, colour, True, _columns(user, _clean(filters)), answer


def _wip_refusal(refused: DomainError) -> list[str]:
    """The refusal as sentences, each refused limit named as its column's ("The In Progress limit must be ...")."""
    columns = {status.value for status in WIP_STATUSES}
    if isinstance(refused, ValidationFailed) and isinstance(refused.details, list):
        named = [{**item, "field": f"{item['field']} limit"} if isinstance(item, dict) and item.get("field") in columns else item
                 for item in refused.details]
        refused = ValidationFailed(refused.message, named)
    return list(dict.fromkeys(text for _field, text in problems(refused)))


def _scope_text(department: str, default: dict) -> str:
    if department == ALL_DEPARTMENTS:
        return "The default for every department's board (a department may set its own)."
    inherited = ", ".join(f"{status.value} {limit}" for status, limit in default.items()) or "none"
    return f"For the {department} board; an empty field takes the default ({inherited})."


@callback(
    Output(ids.BOARD_WIP_MODAL, "is_open"),
    Output(ids.BOARD_WIP_SCOPE, "children"),
    Output({"type": ids.BOARD_WIP_INPUT, "status": ALL}, "value"),
    Output({"type": ids.BOARD_WIP_INPUT, "status": ALL}, "placeholder"),
    Output(ids.BOARD_WIP_MESSAGE, "children"),
    Input(ids.BOARD_WIP_OPEN, "n_clicks"),
    State(ids.BOARD_FILTERS, "data"),
    prevent_initial_call=True,
)
def open_wip_limits(clicks, filters):
    """Show the limits of the department in view, each field with what applies when it is empty."""
    user = portal_user()
    if user is None or not clicks or not rules.can_set_wip_limits(user):
        raise PreventUpdate
    department = _clean(filters)["department"]
    own, default = board.wip_settings(department=department)
    values = [str(own[status]) if status in own else "" for status in WIP_STATUSES]
    inherited = department != ALL_DEPARTMENTS
    placeholders = [f"Default: {default[s]}" if inherited and s in default else "No limit" for s in WIP_STATUSES]
    return True, _scope_text(department, default), values, placeholders, ""


@callback(
    Output(ids.BOARD_WIP_MODAL, "is_open", allow_duplicate=True),
    Output(ids.BOARD_WIP_MESSAGE, "children", allow_duplicate=True),
    Output(ids.BOARD_ALERT, "children", allow_duplicate=True),
    Output(ids.BOARD_ALERT, "color", allow_duplicate=True),
    Output(ids.BOARD_ALERT, "is_open", allow_duplicate=True),
    Output(ids.BOARD, "children", allow_duplicate=True),
    Input(ids.BOARD_WIP_SAVE, "n_clicks"),
    State({"type": ids.BOARD_WIP_INPUT, "status": ALL}, "value"),
    State(ids.BOARD_FILTERS, "data"),
    prevent_initial_call=True,
)
def save_wip_limits(clicks, values, filters):
    """Save the department's limits through the workflow (it checks who may, and each value), then redraw."""
    user = portal_user()
    if user is None or not clicks:
        raise PreventUpdate
    filters = _clean(filters)
    fields = [item["id"]["status"] for item in ctx.states_list[0]]
    try:
        board.set_wip_limits(actor=user, department=filters["department"], limits=dict(zip(fields, values)))
    except DomainError as refused:
        return True, [html.Div(text) for text in _wip_refusal(refused)], *(dash.no_update,) * 4
    where = filters["department"] or "every department (the default)"
    return False, "", f"WIP limits saved for {where}.", "success", True, _columns(user, filters)
