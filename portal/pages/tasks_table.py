"""The task table: AG Grid's infinite row model, with sorting, filtering and paging done on the server.

Agents select rows for bulk changes, everyone saves named views and exports what they see.
"""
import enum
import json
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from pydantic import ValidationError

from db.models import Priority, TaskStatus
from domain import rules
from domain.errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from domain.filters import UNASSIGNED, TaskFilters
from portal import ids
from portal.access import portal_user
from portal.components import export_panel, subscriptions_panel, task_choices, times
from portal.components.errors import error_sentence, field_words, refusal
from portal.components.notice import notice_alert
from workflow import bulk, saved_views, tasks, users

dash.register_page(__name__, path="/tasks", title="Tasks · Workflow Manager", name="Tasks")

GRID = ids.TASKS_GRID
CURSORS = ids.TASKS_CURSORS
FILTERS = ids.TASKS_FILTERS
RESULT = ids.TASKS_EDIT_RESULT
REFRESH = ids.TASKS_REFRESH
REFRESHED = ids.TASKS_REFRESHED
FILTERS_APPLIED = ids.TASKS_FILTERS_APPLIED
OPEN_TASK = ids.TASKS_OPEN_TASK
BULK_SELECTED = ids.TASKS_BULK_SELECTED
BULK_FIELD = ids.TASKS_BULK_FIELD
BULK_VALUE = ids.TASKS_BULK_VALUE
BULK_APPLY = ids.TASKS_BULK_APPLY
BULK_RESULT = ids.TASKS_BULK_RESULT
BULK_DONE = ids.TASKS_BULK_DONE
BULK_CLEARED = ids.TASKS_BULK_CLEARED
VIEWS = ids.TASKS_VIEWS
VIEW_NAME = ids.TASKS_VIEW_NAME
VIEW_SAVE = ids.TASKS_VIEW_SAVE
VIEW_REPLACE = ids.TASKS_VIEW_REPLACE
VIEW_DELETE = ids.TASKS_VIEW_DELETE
VIEW_MESSAGE = ids.TASKS_VIEW_MESSAGE
EXPORT = ids.TASKS_EXPORT
ANY = "any"
BLOCK = 100
#: Grid columns the server can sort on, and the sort key each maps to.
SORTABLE = {"title": "title", "status": "status", "priority": "priority", "due_date": "due_date", "updated_at": "updated_at"}
SCOPES = {"all": "All tasks", "mine": "Assigned to me", "none": "Unassigned"}
#: The context the grid starts with: the filter controls' initial values.
INITIAL_CONTEXT = {"scope": "all", "status": ANY, "priority": ANY, "q": ""}
#: What a bulk action can set, in the words the page shows.
BULK_CHOICES = {"status": "Set status", "assigned_to": "Set assignee", "priority": "Set priority"}
EXPORT_PATH = "/api/reports/tasks"
#: The query parameters of GET /api/tasks, in the order the export link lists them.
EXPORT_FILTERS = ("status", "priority", "assigned_to", "created_by", "case_id", "tag", "q", "due_before", "due_after")


def _columns(zone: str = "UTC") -> list[dict]:
    """The grid's columns; times arrive in UTC and are shown (and edited) on the clock of `zone` (assets/dashAgGridFunctions.js)."""
    editable = {"function": "params.data.can_edit"}
    zone = json.dumps(zone)
    return [
        # The theme's link colour, not link-primary: its fixed blue is too dark to read on the dark grid.
        {"field": "title", "headerName": "Title", "flex": 3, "minWidth": 220, "cellStyle": {"color": "var(--bs-link-color)"},
         "tooltipField": "title"},
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
            "field": "due_date", "headerName": "Due", "width": 190, "editable": editable,
            "cellClassRules": {"text-danger fw-semibold": "params.data && params.data.overdue"},
            # The editor shows and takes "YYYY-MM-DD HH:MM" on the user's clock; save_edit reads it in their zone.
            "valueGetter": {"function": f"dueInput(params, {zone})"},
            "valueFormatter": {"function": f"dueText(params, {zone})"},
            "valueSetter": {"function": "keepTyped(params)"},
        },
        {"field": "tags", "headerName": "Tags", "flex": 1, "minWidth": 140, "sortable": False},
        {"field": "updated_at", "headerName": "Updated", "width": 190,
         "valueFormatter": {"function": f"zonedMoment(params.value, {zone})"}},
    ]


def _view_options(user) -> list[dict]:
    return [{"label": view.name, "value": str(view.id)} for view in saved_views.list_views(actor=user)]


def _views_bar(user) -> html.Div:
    """Open, save and delete named views; export what the grid shows."""
    first_href = export_href(_filters(INITIAL_CONTEXT, user), _sort(None))
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id=VIEWS, options=_view_options(user), value="", placeholder="Saved views"), md=3),
                    dbc.Col(dbc.Button("Delete view", id=VIEW_DELETE, color="danger", outline=True), width="auto"),
                    dbc.Col(dbc.Input(id=VIEW_NAME, placeholder="Name this view", maxLength=saved_views.MAX_NAME), md=3),
                    dbc.Col(dbc.Button("Save view", id=VIEW_SAVE, color="secondary"), width="auto"),
                    dbc.Col(dbc.Button("Replace it", id=VIEW_REPLACE, color="warning", className="d-none"), width="auto"),
                    dbc.Col(
                        html.A("Export this view", id=EXPORT, href=first_href, download="tasks.csv", className="btn btn-outline-primary"),
                        width="auto", className="ms-auto",
                    ),
                    dbc.Col(export_panel.start_button("tasks", "Export to S3"), width="auto"),
                ],
                className="g-2 align-items-center",
            ),
            export_panel.status_area("tasks"),
            subscriptions_panel.subscribe_controls("tasks", "Or receive the chosen saved view by e-mail:"),
            html.Div(id=VIEW_MESSAGE, className="mt-2"),
        ],
        className="mb-2",
    )


def _bulk_bar() -> dbc.Row:
    """One change for every selected row."""
    return dbc.Row(
        [
            dbc.Col(html.Span("No rows selected", id=BULK_SELECTED, className="text-body-secondary"), width="auto"),
            dbc.Col(dbc.Select(id=BULK_FIELD, options=[{"label": v, "value": k} for k, v in BULK_CHOICES.items()], value="status"), md=2),
            # Searchable: a supervisor's list of assignees is everyone who can be given tasks.
            dbc.Col(dcc.Dropdown(id=BULK_VALUE, options=[], placeholder="Choose a value", clearable=False), md=3),
            dbc.Col(dbc.Button("Apply to selected", id=BULK_APPLY, color="primary", disabled=True), width="auto"),
        ],
        className="g-2 mb-2 align-items-center",
    )


def initial_filters(query: dict) -> dict:
    """The filters a link opens the grid with (`/tasks?scope=none&status=New`); anything unknown keeps the default."""
    chosen = dict(INITIAL_CONTEXT)
    choices = {"scope": set(SCOPES), "status": {s.value for s in TaskStatus}, "priority": {p.value for p in Priority}}
    for name, allowed in choices.items():
        if isinstance(query.get(name), str) and query[name] in allowed:
            chosen[name] = query[name]
    if isinstance(query.get("q"), str):
        chosen["q"] = query["q"].strip()[:200]
    return chosen


def layout(notice: str | None = None, **query):
    """Filters above an infinite grid; rows arrive a block at a time. `notice`: what another page sent the user here to read."""
    user = portal_user()
    if user is None:
        return html.Div()
    may_bulk = bulk.may_bulk_update(user)
    chosen = initial_filters(query)
    grid_options = {
        "cacheBlockSize": BLOCK, "maxBlocksInCache": 20, "infiniteInitialRowCount": BLOCK,
        "context": chosen,
        "stopEditingWhenCellsLoseFocus": True,
    }
    if may_bulk:
        # "Select all" is left out: with the infinite model it would only mean the rows loaded so far.
        grid_options["rowSelection"] = {"mode": "multiRow", "checkboxes": True, "headerCheckbox": False}
    return html.Div(
        [
            html.H1("Tasks", className="h3 mb-3"),
            notice_alert(notice),
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "scope"}, options=[{"label": v, "value": k} for k, v in SCOPES.items()], value=chosen["scope"]), md=3),
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "status"}, options=[{"label": "Any status", "value": ANY}] + [{"label": s.value, "value": s.value} for s in TaskStatus], value=chosen["status"]), md=3),
                    dbc.Col(dbc.Select(id={"type": FILTERS, "name": "priority"}, options=[{"label": "Any priority", "value": ANY}] + [{"label": p.value, "value": p.value} for p in Priority], value=chosen["priority"]), md=2),
                    dbc.Col(dbc.Input(id={"type": FILTERS, "name": "q"}, placeholder="Search title or description", debounce=True, type="search",
                                      value=chosen["q"]), md=4),
                ],
                className="g-2 mb-3",
            ),
            _views_bar(user),
            _bulk_bar() if may_bulk else None,
            html.Div(
                [html.I(className="bi bi-globe2 me-1", **{"aria-hidden": "true"}), "Times in ", times.zone_label(user), " · ",
                 dcc.Link("change", href="/profile")],
                id=ids.TASKS_ZONE_NOTE, className="small text-body-secondary mb-1",
            ),
            html.Div(id=BULK_RESULT),
            html.Div(id=RESULT),
            dcc.Store(id=CURSORS, data={}),
            dcc.Store(id=REFRESH),
            html.Div(id=REFRESHED, hidden=True),
            html.Div(id=FILTERS_APPLIED, hidden=True),
            dcc.Store(id=BULK_DONE),
            html.Div(id=BULK_CLEARED, hidden=True),
            dcc.Location(id=OPEN_TASK, refresh="callback-nav"),
            dag.AgGrid(
                id=GRID,
                columnDefs=_columns(times.zone_name(user)),
                defaultColDef={"sortable": True, "resizable": True, "filter": False},
                rowModelType="infinite",
                getRowId="params.data.id",
                dashGridOptions=grid_options,
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


def _filters(context: dict, user) -> TaskFilters:
    scope = context.get("scope") or "all"
    return TaskFilters(
        status=_choice(TaskStatus, context.get("status")),
        priority=_choice(Priority, context.get("priority")),
        assigned_to=user.id if scope == "mine" else (UNASSIGNED if scope == "none" else None),
        q=str(context.get("q") or "").replace("\x00", "").strip()[:200] or None,
    )


def _sort(sort_model: list | None) -> str:
    for entry in sort_model or []:
        key = SORTABLE.get(entry.get("colId"))
        if key:
            return key if entry.get("sort") == "asc" else f"-{key}"
    return "-updated_at"


def _utc(moment: datetime | None) -> str:
    """A moment as the grid receives it: UTC ISO 8601, as the API speaks (the browser shows it in the user's zone)."""
    return moment.astimezone(timezone.utc).isoformat() if moment else ""


def _row(task, user, names: dict, now: datetime) -> dict:
    return {
        "id": str(task.id),
        "title": task.title,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee": names.get(task.assigned_to, "—") if task.assigned_to else "—",
        "due_date": _utc(task.due_date),
        "overdue": rules.is_overdue(task, now),
        "tags": ", ".join(task.tags),
        "updated_at": _utc(task.updated_at),
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


def _typed_due(text, user) -> datetime | None:
    """A due date typed in the grid, read on the user's clock as the task forms read it; a ValidationFailed says what is
    wrong and what to type ("... 02:30 does not exist on 9 Mar 2031 in New York time")."""
    due, problem = task_choices.read_due(text if isinstance(text, str) else None, user)
    if problem:
        raise ValidationFailed(problem)
    return due


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
            value = _typed_due(change.get("value"), user)
        else:
            raise ValidationFailed("not editable here", [{"field": field, "message": "cannot be edited here"}])
        tasks.update_task(actor=user, task_id=uuid.UUID(row["id"]), changes={field: value}, expected_version=row["version"])
    except (DomainError, ValidationError, ValueError, KeyError, TypeError) as exc:
        message = refusal("Not saved", exc, field if isinstance(field, str) else None)
        return dbc.Alert(message, color="danger", dismissable=True, className="py-2"), datetime.now().isoformat()
    saved = f"Saved the {field_words(field)} of '{row['title']}'."
    return dbc.Alert(saved, color="success", dismissable=True, className="py-2"), datetime.now().isoformat()


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


def export_href(filters: TaskFilters, sort: str) -> str:
    """The CSV report of exactly these filters and sort, with the query parameters of GET /api/tasks."""
    params = [("format", "csv")]
    for name in EXPORT_FILTERS:
        value = getattr(filters, name)
        if value is None:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        params.append((name, str(value)))
    params.append(("sort", sort))
    return f"{EXPORT_PATH}?{urlencode(params, quote_via=quote)}"


def export_filters(filters: TaskFilters, sort: str) -> dict:
    """The filters and sort as a background export takes them (the task report's query parameters)."""
    params = dict(parse_qsl(urlsplit(export_href(filters, sort)).query))
    params.pop("format", None)
    return params


export_panel.watch_exports("tasks")


@callback(export_panel.job_output("tasks"), export_panel.start_input("tasks"), State(GRID, "getRowsRequest"),
          running=export_panel.disabled_while_starting("tasks"), prevent_initial_call=True)
def export_in_background(clicks, request):
    """Export what the grid shows (its filters and sort) in the background."""
    user = portal_user()
    if not clicks or user is None:
        return no_update
    request = request or {}
    context = request.get("context") if isinstance(request.get("context"), dict) else INITIAL_CONTEXT
    return export_panel.start("tasks", export_filters(_filters(context, user), _sort(request.get("sortModel"))))


@callback(subscriptions_panel.subscribe_output("tasks"), subscriptions_panel.subscribe_input("tasks"), State(VIEWS, "value"),
          *subscriptions_panel.subscribe_states("tasks"), prevent_initial_call=True)
def subscribe_to_view(clicks, view_id, frequency, weekday, hour):
    """Subscribe to the chosen saved view: each run reads the view's filters and sort as they are then."""
    if not clicks:
        return no_update
    if not view_id:
        return dbc.Alert("Choose a saved view first (or save this one): a subscription follows a saved view.",
                         color="warning", className="py-2", dismissable=True)
    return subscriptions_panel.subscribe(f"view:{view_id}", {}, frequency, weekday, hour)


@callback(Output(EXPORT, "href"), Input(GRID, "getRowsRequest"), prevent_initial_call=True)
def export_link(request):
    """The export link follows the grid's latest query (filters and sort), read the way serve_block reads it."""
    user = portal_user()
    if user is None or not request or request.get("startRow"):
        return no_update
    context = request.get("context") if isinstance(request.get("context"), dict) else {}
    return export_href(_filters(context, user), _sort(request.get("sortModel")))


def bulk_options(user, field: str, selected: list | None) -> list[dict]:
    """The values a bulk change of `field` can take: a status only where a selected row may move (its `moves`, from
    rules.allowed_targets), every status while none is selected; the workflow checks each row on its own either way."""
    if field == "assigned_to":
        # No one task at hand: the choices the rules allow for a new task.
        return task_choices.assignee_options(user, None)
    if field == "priority":
        return [{"label": priority.value, "value": priority.value} for priority in Priority]
    rows = selected if isinstance(selected, list) else []
    moves = set()
    for row in rows:  # the browser's copy of the rows: anything but a row's list of moves is ignored
        if isinstance(row, dict) and isinstance(row.get("moves"), list):
            moves.update(move for move in row["moves"] if isinstance(move, str))
    return [{"label": status.value, "value": status.value} for status in TaskStatus if status.value in moves or not rows]


@callback(
    Output(BULK_VALUE, "options"),
    Output(BULK_VALUE, "value"),
    Input(BULK_FIELD, "value"),
    Input(GRID, "selectedRows"),
    State(BULK_VALUE, "value"),
)
def bulk_values(field, selected, chosen):
    """The values the chosen bulk change can take; a choice still offered stays chosen as rows are selected."""
    user = portal_user()
    if user is None:
        return no_update, no_update
    options = bulk_options(user, field, selected)
    keep = ctx.triggered_id == GRID and chosen in {option["value"] for option in options}
    return options, chosen if keep else None


clientside_callback(
    """
    function(rows) {
        const count = (rows || []).length;
        return [count ? count + (count === 1 ? " row selected" : " rows selected") : "No rows selected", count === 0];
    }
    """,
    Output(BULK_SELECTED, "children"),
    Output(BULK_APPLY, "disabled"),
    Input(GRID, "selectedRows"),
)


def bulk_change(field: str, value: str) -> dict:
    """The browser's choice as a typed change; ValueError if it is not one."""
    if field == "status":
        return {"status": TaskStatus(value)}
    if field == "priority":
        return {"priority": Priority(value)}
    if field == "assigned_to":
        return {"assigned_to": None if value == UNASSIGNED else uuid.UUID(value)}
    raise ValueError(field)


def _reason(result: bulk.RowResult) -> str:
    if result.outcome == bulk.UNCHANGED:
        return "Already so."
    if result.outcome == bulk.CHANGED:
        return ""
    # The row's refusal as the error it was, for the formatter (a transition's reason names the moves allowed).
    kind = InvalidTransition if result.code == InvalidTransition.code else DomainError
    return error_sentence(kind(result.message, result.details))


def bulk_report(results: list[bulk.RowResult]) -> html.Div:
    """A summary line and one table row per task, refusals with their reason."""
    refused = sum(not r.ok for r in results)
    color = "success" if not refused else ("danger" if refused == len(results) else "warning")
    row_class = {bulk.CHANGED: "table-success", bulk.UNCHANGED: "", bulk.REFUSED: "table-danger"}
    body = [
        html.Tr(
            [html.Td(r.title), html.Td(r.outcome.capitalize()), html.Td(_reason(r))],
            className=row_class[r.outcome],
        )
        for r in results
    ]
    return html.Div(
        [
            dbc.Alert(bulk.summary(results), color=color, className="py-2 mb-2", dismissable=True),
            html.Div(
                dbc.Table(
                    [html.Thead(html.Tr([html.Th("Task"), html.Th("Result"), html.Th("Reason")])), html.Tbody(body)],
                    size="sm", className="mb-0 bulk-results",
                ),
                style={"maxHeight": "15rem", "overflowY": "auto"},
            ),
        ],
        className="mb-2",
    )


@callback(
    Output(BULK_RESULT, "children"),
    Output(BULK_DONE, "data"),
    Input(BULK_APPLY, "n_clicks"),
    State(GRID, "selectedRows"),
    State(BULK_FIELD, "value"),
    State(BULK_VALUE, "value"),
    prevent_initial_call=True,
)
def apply_bulk(clicks, selected, field, value):
    """Each selected row through the workflow with the version it was shown at; then the grid reloads."""
    user = portal_user()
    if user is None or not clicks:
        return no_update, no_update
    try:
        changes = bulk_change(field, value)
        rows = [(uuid.UUID(row["id"]), int(row["version"])) for row in selected or []]
        results = bulk.bulk_update(actor=user, rows=rows, changes=changes)
    except DomainError as exc:
        return dbc.Alert(refusal("Nothing changed", exc), color="danger", dismissable=True, className="py-2"), no_update
    except (ValueError, TypeError, KeyError):
        return dbc.Alert("Nothing changed: choose a value first.", color="danger", dismissable=True, className="py-2"), no_update
    return bulk_report(results), datetime.now().isoformat()


# After a bulk change the selection goes (its versions are stale) and the grid reloads.
clientside_callback(
    """
    function(stamp) {
        if (stamp) {
            dash_ag_grid.getApiAsync('GRID').then(api => { api.deselectAll(); api.refreshInfiniteCache(); });
        }
        return window.dash_clientside.no_update;
    }
    """.replace("GRID", GRID),
    Output(BULK_CLEARED, "children"),
    Input(BULK_DONE, "data"),
    prevent_initial_call=True,
)


def view_state(filter_ids: list[dict], filter_values: list, column_state: list | None) -> dict:
    """What a saved view keeps: the filter controls, the sort and the columns (order, width, visibility)."""
    filters = {item["name"]: value or "" for item, value in zip(filter_ids, filter_values)}
    columns = [c for c in column_state or [] if isinstance(c, dict) and c.get("colId")]
    sorted_columns = sorted((c for c in columns if c.get("sort")), key=lambda c: c.get("sortIndex") or 0)
    return {"filters": filters, "sort": [{"colId": c["colId"], "sort": c["sort"]} for c in sorted_columns], "columns": columns}


def columns_to_apply(state: dict) -> list[dict]:
    """The saved columns with the saved sort on them (and no sort elsewhere)."""
    columns = [c for c in state.get("columns") or [] if isinstance(c, dict) and c.get("colId")]
    columns = columns or [{"colId": column["field"]} for column in _columns()]
    sorts = {s.get("colId"): s.get("sort") for s in state.get("sort") or [] if isinstance(s, dict)}
    return [{**column, "sort": sorts.get(column["colId"]), "sortIndex": 0 if sorts.get(column["colId"]) else None} for column in columns]


@callback(
    Output({"type": FILTERS, "name": ALL}, "value"),
    Output(GRID, "columnState"),
    Output(VIEW_NAME, "value"),
    Input(VIEWS, "value"),
    prevent_initial_call=True,
)
def open_view(view_id):
    """A chosen view sets the filters, sort and columns; the grid then asks the server again."""
    user = portal_user()
    names = [output["id"]["name"] for output in ctx.outputs_list[0]]
    if user is None or not view_id:
        return [no_update] * len(names), no_update, no_update
    try:
        view = saved_views.get_view(actor=user, view_id=uuid.UUID(view_id))
    except (DomainError, ValueError):
        return [no_update] * len(names), no_update, no_update
    filters = view.state.get("filters") if isinstance(view.state.get("filters"), dict) else {}
    values = [str(filters.get(name) or INITIAL_CONTEXT.get(name, "")) for name in names]
    return values, columns_to_apply(view.state), view.name


def _view_message(text: str, color: str):
    return dbc.Alert(text, color=color, dismissable=True, className="py-2 mb-0")


@callback(
    Output(VIEWS, "options"),
    Output(VIEWS, "value"),
    Output(VIEW_MESSAGE, "children"),
    Output(VIEW_REPLACE, "className"),
    Input(VIEW_SAVE, "n_clicks"),
    Input(VIEW_REPLACE, "n_clicks"),
    Input(VIEW_DELETE, "n_clicks"),
    State(VIEW_NAME, "value"),
    State(VIEWS, "value"),
    State({"type": FILTERS, "name": ALL}, "id"),
    State({"type": FILTERS, "name": ALL}, "value"),
    State(GRID, "columnState"),
    prevent_initial_call=True,
)
def manage_views(_save, _replace, _delete, name, chosen, filter_ids, filter_values, column_state):
    """Save the current view (replacing one of the same name only when asked), or delete the chosen one."""
    user = portal_user()
    if user is None:
        return no_update, no_update, no_update, no_update
    hidden = "d-none"
    if ctx.triggered_id == VIEW_DELETE:
        try:
            view = saved_views.get_view(actor=user, view_id=uuid.UUID(chosen or ""))
        except (DomainError, ValueError):
            return _view_options(user), "", _view_message("Choose a saved view to delete.", "warning"), hidden
        saved_views.delete_view(actor=user, view_id=view.id)
        return _view_options(user), "", _view_message(f"Deleted view '{view.name}'.", "success"), hidden
    overwrite = ctx.triggered_id == VIEW_REPLACE
    try:
        state = view_state(filter_ids, filter_values, column_state)
        view = saved_views.save_view(actor=user, name=name, state=state, overwrite=overwrite)
    except Conflict as exc:
        # Replacing is a second, explicit click.
        return no_update, no_update, _view_message(refusal("Not saved", exc) + " Replace it?", "warning"), ""
    except DomainError as exc:
        return no_update, no_update, _view_message(refusal("Not saved", exc), "danger"), hidden
    verb = "Replaced" if overwrite else "Saved"
    return _view_options(user), str(view.id), _view_message(f"{verb} view '{view.name}'.", "success"), hidden
