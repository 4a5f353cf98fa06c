"""The task table: AG Grid's infinite row model, with sorting, filtering and paging done on the server."""
import json
import uuid
from datetime import datetime, timezone

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update
from pydantic import TypeAdapter, ValidationError

from api.schemas import UtcDatetime
from db.models import Priority, TaskStatus
from portal import ids
from portal.access import portal_user
from workflow import rules, tasks, users
from workflow.errors import DomainError

dash.register_page(__name__, path="/tasks", title="Tasks · Workflow Manager", name="Tasks")

GRID = ids.TASKS_GRID
CURSORS = ids.TASKS_CURSORS
FILTERS = ids.TASKS_FILTERS
RESULT = ids.TASKS_EDIT_RESULT
REFRESH = ids.TASKS_REFRESH
REFRESHED = ids.TASKS_REFRESHED
FILTERS_APPLIED = ids.TASKS_FILTERS_APPLIED
OPEN_TASK = ids.TASKS_OPEN_TASK
ANY = "any"
BLOCK = 100
#: Grid columns the server can sort on, and the sort key each maps to.
SORTABLE = {"title": "title", "status": "status", "priority": "priority", "due_date": "due_date", "updated_at": "updated_at"}
SCOPES = {"all": "All tasks", "mine": "Assigned to me", "none": "Unassigned"}
DUE_PARSER = TypeAdapter(UtcDatetime)


def _columns() -> list[dict]:
    editable = {"function": "params.data.can_edit"}
    return [
        {"field": "title", "headerName": "Title", "flex": 3, "minWidth": 220, "cellClass": "link-primary", "tooltipField": "title"},
        {
            "field": "status", "headerName": "Status", "width": 130,
            # Only the moves the rules allow this user, computed on the server for each row.
            "editable": {"function": "params.data && params.data.moves.length > 0"},
            "cellEditor": "agSelectCellEditor",
            "cellEditorParams": {"function": "({values: [params.data.status].concat(params.data.moves)})"},
        },
        {
            "field": "priority", "headerName": "Priority", "width": 120, "editable": editable,
            "cellEditor": "agSelectCellEditor", "cellEditorParams": {"values": [p.value for p in Priority]},
        },
        {"field": "assignee", "headerName": "Assignee", "width": 170, "sortable": False},
        {
            "field": "due_date", "headerName": "Due (UTC)", "width": 170, "editable": editable,
            "cellClassRules": {"text-danger fw-semibold": "params.data && params.data.overdue"},
        },
        {"field": "tags", "headerName": "Tags", "flex": 1, "minWidth": 140, "sortable": False},
        {"field": "updated_at", "headerName": "Updated", "width": 170},
    ]


def layout(**_query):
    """Filters above an infinite grid; rows arrive a block at a time."""
    if portal_user() is None:
        return html.Div()
    return html.Div(
        [
            html.H1("Tasks", className="h3 mb-3"),
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "scope"}, options=[{"label": v, "value": k} for k, v in SCOPES.items()], value="all"), md=3),
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "status"}, options=[{"label": "Any status", "value": ANY}] + [{"label": s.value, "value": s.value} for s in TaskStatus], value=ANY), md=3),
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "priority"}, options=[{"label": "Any priority", "value": ANY}] + [{"label": p.value, "value": p.value} for p in Priority], value=ANY), md=2),
                    dbc.Col(dbc.Input(id={"type": FILTERS, "name": "q"}, placeholder="Search title or description", debounce=True, type="search"), md=4),
                ],
                className="g-2 mb-3",
            ),
            html.Div(id=RESULT),
            dcc.Store(id=CURSORS, data={}),
            dcc.Store(id=REFRESH),
            html.Div(id=REFRESHED, hidden=True),
            html.Div(id=FILTERS_APPLIED, hidden=True),
            dcc.Location(id=OPEN_TASK, refresh="callback-nav"),
            dag.AgGrid(
                id=GRID,
                columnDefs=_columns(),
                defaultColDef={"sortable": True, "resizable": True, "filter": False},
                rowModelType="infinite",
                getRowId="params.data.id",
                dashGridOptions={
                    "cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": BLOCK,
                    "context": {"scope": "all", "status": ANY, "priority": ANY, "q": ""},
                    "stopEditingWhenCellsLoseFocus": True,
                },
                style={"height": "70vh"},
            ),
        ]
    )


# New filters become the grid's context, and the grid drops its blocks and asks again from row 0.
clientside_callback(
    """
    function(values) {
        const names = dash_clientside.callback_context.inputs_list[0].map(item => item.id.name);
        const context = {};
        names.forEach((name, i) => { context[name] = values[i] || ""; });
        dash_ag_grid.getApiAsync('GRID').then(api => {
            api.setGridOption('context', context);
            api.purgeInfiniteCache();
        });
        return window.dash_clientside.no_update;
    }
    """.replace("GRID", GRID),
    Output(FILTERS_APPLIED, "children"),
    Input({"type": FILTERS, "name": ALL}, "value"),
    prevent_initial_call=True,
)


def _choice(enum_class, value):
    """A filter value the browser sent: a member of `enum_class`, or no filter."""
    try:
        return enum_class(value)
    except ValueError:
        return None


def _filters(context: dict, user) -> tasks.TaskFilters:
    scope = context.get("scope") or "all"
    return tasks.TaskFilters(
        status=_choice(TaskStatus, context.get("status")),
        priority=_choice(Priority, context.get("priority")),
        assigned_to=user.id if scope == "mine" else (tasks.UNASSIGNED if scope == "none" else None),
        q=str(context.get("q") or "").replace("\x00", "").strip()[:200] or None,
    )


def _sort(sort_model: list | None) -> str:
    for entry in sort_model or []:
        key = SORTABLE.get(entry.get("colId"))
        if key:
            return key if entry.get("sort") == "asc" else f"-{key}"
    return "-updated_at"


def _row(task, user, names: dict, now: datetime) -> dict:
    return {
        "id": str(task.id),
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee": names.get(task.assigned_to, "—") if task.assigned_to else "—",
        "due_date": task.due_date.strftime("%Y-%m-%d %H:%M") if task.due_date else "",
        "overdue": rules.is_overdue(task, now),
        "tags": ", ".join(task.tags),
        "updated_at": task.updated_at.strftime("%Y-%m-%d %H:%M"),
        "version": task.version,
        "can_edit": rules.can_edit_task(user, task),
        "moves": [status.value for status in rules.allowed_targets(user, task)],
    }


@callback(
    Output(GRID, "getRowsResponse"),
    Output(CURSORS, "data"),
    Input(GRID, "getRowsRequest"),
    State(CURSORS, "data"),
    prevent_initial_call=True,
)
def serve_block(request, cursors):
    """One block of rows by keyset cursor; a block whose cursor we lack is reached from the nearest known one."""
    user = portal_user()
    if user is None or not request:
        return no_update, no_update
    context = request.get("context") if isinstance(request.get("context"), dict) else {}
    sort = _sort(request.get("sortModel"))
    query_key = json.dumps([context, sort], sort_keys=True)
    known = cursors.get(query_key, {"0": None}) if cursors else {"0": None}
    start = int(request.get("startRow", 0))
    filters = _filters(context, user)
    position = max(int(k) for k in known if int(k) <= start)
    cursor = known[str(position)]
    while True:
        page = tasks.list_tasks(filters=filters, sort=sort, limit=BLOCK, cursor=cursor)
        if position >= start or page.next_cursor is None:
            break
        position, cursor = position + BLOCK, page.next_cursor
        known[str(position)] = cursor
    if page.next_cursor is not None:
        known[str(position + BLOCK)] = page.next_cursor
    names = users.full_names(user_ids={task.assigned_to for task in page.items if task.assigned_to})
    now = datetime.now(timezone.utc)
    rows = [_row(task, user, names, now) for task in page.items] if position == start else []
    row_count = start + len(rows) if page.next_cursor is None else -1
    return {"rowData": rows, "rowCount": row_count}, {query_key: known}


@callback(Output(RESULT, "children"), Output(REFRESH, "data"), Input(GRID, "cellValueChanged"), prevent_initial_call=True)
def save_edit(changes):
    """Send an edited cell through the workflow with the row's version; either way the grid reloads from the server."""
    user = portal_user()
    if user is None or not changes:
        return no_update, no_update
    change = changes[0]
    field, row = change.get("colId"), change["data"]
    try:
        if field == "status":
            value = TaskStatus(change.get("value"))
        elif field == "priority":
            value = Priority(change.get("value"))
        elif field == "due_date":
            value = DUE_PARSER.validate_python(change.get("value")) if change.get("value") else None
        else:
            raise DomainError(f"{field} cannot be edited here")
        tasks.update_task(actor=user, task_id=uuid.UUID(row["id"]), changes={field: value}, expected_version=row["version"])
    except (DomainError, ValidationError, ValueError, KeyError, TypeError) as exc:
        message = exc.message if isinstance(exc, DomainError) else f"{field}: not a valid value"
        return dbc.Alert(f"Not saved: {message}", color="danger", dismissable=True, className="py-2"), datetime.now().isoformat()
    return dbc.Alert(f"Saved {field} of '{row['title']}'.", color="success", dismissable=True, className="py-2"), datetime.now().isoformat()


clientside_callback(
    """
    function(stamp) {
        if (stamp) { dash_ag_grid.getApiAsync('GRID').then(api => api.refreshInfiniteCache()); }
        return window.dash_clientside.no_update;
    }
    """.replace("GRID", GRID),
    Output(REFRESHED, "children"),
    Input(REFRESH, "data"),
    prevent_initial_call=True,
)


@callback(Output(OPEN_TASK, "href"), Input(GRID, "cellClicked"), prevent_initial_call=True)
def open_task(clicked):
    """A click on a title opens that task."""
    if not clicked or clicked.get("colId") != "title" or not clicked.get("rowId"):
        return no_update
    try:
        return f"/tasks/{uuid.UUID(str(clicked['rowId']))}"
    except ValueError:
        return no_update
