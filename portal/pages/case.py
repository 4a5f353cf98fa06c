"""Case detail: header, tasks to add, progress by status, a mini board of its tasks and their combined history."""
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from db.models import CaseStatus, TaskStatus
from db.types import utcnow
from domain import rules
from domain.errors import DomainError, NotFound
from domain.filters import TaskFilters
from domain.schemas import CaseUpdate
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.colours import CASE_STATUS_COLOURS, STATUS_COLOURS
from portal.components.detail import PRE_WRAP
from portal.components.detail import message as _message
from portal.components.forecast import forecast_summary, weeks_input, weeks_of
from portal.components.errors import error_sentence, field_sentences
from portal.components.forms import labelled_field
from portal.components.history_text import changes_in_words, name, remember_names
from portal.components.paged_list import PagedList, more_style
from portal.components.task_card import due_line, task_card
from reports import figures, forecast
from workflow import cases, history, tasks, users, watchers

dash.register_page(__name__, path_template="/cases/<case_id>", title="Case · Workflow Manager")

CARDS_PER_STATUS = 20
HISTORY_PAGE = 50
HISTORY = PagedList(rows=ids.CASE_HISTORY, cursor=ids.CASE_HISTORY_CURSOR, more=ids.CASE_HISTORY_MORE)
FORECAST_STYLE = {"height": "300px"}
ALL_DONE = "Every task of this case is done."
#: How many tasks the "Add existing task" picker offers at once; typing searches for the others.
PICKER_OPTIONS = 50
#: Pages of the task list read per search at most, skipping tasks the picker may not offer.
PICKER_PAGES = 3


def _load(case_id):
    """The case of a (possibly malformed) id from the browser, or None."""
    try:
        return cases.get_case(case_id=uuid.UUID(str(case_id)))
    except (NotFound, ValueError):
        return None


def _header(case) -> list:
    return [
        html.Div(case.reference, className="text-body-secondary small"),
        html.H1(
            [html.Span(case.title, className="text-break me-2"),
             dbc.Badge(case.status.value.capitalize(), color=CASE_STATUS_COLOURS[case.status], className="align-middle fs-6")],
            className="h3 mb-2",
        ),
        html.Div(case.description or "No description.", style=PRE_WRAP,
                 className="mb-3" if case.description else "mb-3 text-body-secondary"),
    ]


def _watch_label(watching: bool) -> list:
    """The watch button shows what a click does."""
    if watching:
        return [html.I(className="bi bi-eye-slash me-1"), "Unwatch case"]
    return [html.I(className="bi bi-eye me-1"), "Watch case"]


def _toggle_label(case) -> str:
    return "Close case" if case.status == CaseStatus.OPEN else "Reopen case"


def _progress(counts: dict[str, int]) -> list:
    total = sum(counts.values())
    if not total:
        return [html.P("No tasks in this case yet.", className="text-body-secondary mb-0")]
    bars = [
        dbc.Progress(value=100 * counts[s.value] / total, color=STATUS_COLOURS[s.value], bar=True, label=str(counts[s.value]))
        for s in TaskStatus if counts[s.value]
    ]
    legend = [
        html.Li(
            [dbc.Badge(str(counts[s.value]), color=STATUS_COLOURS[s.value], className="me-1 case-count"), s.value],
            className="me-3", **{"data-status": s.value},
        )
        for s in TaskStatus
    ]
    done = counts[TaskStatus.COMPLETED.value]
    return [
        html.Div(f"{done} of {total} tasks completed", className="small text-body-secondary mb-1"),
        dbc.Progress(bars, style={"height": "1.25rem"}, className="mb-2"),
        html.Ul(legend, className="list-unstyled d-flex flex-wrap small mb-0"),
    ]


def _board(case, counts: dict[str, int], user) -> list:
    now = utcnow()
    pages = {
        s: tasks.list_tasks(filters=TaskFilters(case_id=case.id, status=s), sort="due_date", limit=CARDS_PER_STATUS, cursor=None)
        for s in TaskStatus
    }
    names = users.full_names(user_ids={t.assigned_to for page in pages.values() for t in page.items if t.assigned_to})
    columns = []
    for status, page in pages.items():
        cards = [task_card(t, names.get(t.assigned_to, "Unassigned"), due_line(t, user, now)) for t in page.items]
        hidden = counts[status.value] - len(page.items)
        columns.append(html.Section(
            [
                html.H2([status.value, dbc.Badge(str(counts[status.value]), color="secondary", pill=True, className="ms-2")],
                        className="h6 d-flex align-items-center mb-2"),
                html.Div(cards or html.P("No tasks", className="text-body-secondary small mb-0"), className="board-cards"),
                html.P(f"and {hidden} more", className="small text-body-secondary mt-2 mb-0") if hidden > 0 else None,
            ],
            className="board-column", **{"data-status": status.value},
        ))
    return columns


def _history_items(page) -> list:
    """Entries newest first: which task, who, when (in the reader's zone), what changed."""
    user = portal_user()
    titles = tasks.titles(task_ids={entry.task_id for entry in page.items})
    remember_names(page.items)
    return [
        html.Li(
            [
                html.Div(dcc.Link(titles[entry.task_id], href=f"/tasks/{entry.task_id}", className="fw-semibold text-break")),
                html.Div([html.Strong(name(entry.changed_by)),
                          html.Small([" · ", times.when(entry.changed_at, user)], className="text-body-secondary")]),
                *[html.Div(line, className="text-break") for line in changes_in_words(entry, user)],
            ],
            className="border-start border-3 ps-3 pb-3",
        )
        for entry in page.items
    ]


def _history_first(page) -> list:
    """The first page of the history, or a line saying there is none yet."""
    return _history_items(page) or [html.Li("No changes yet.", className="text-body-secondary")]


def _history_shown(case) -> tuple:
    """The history list's first page, its next cursor and its "More" button's style."""
    page = history.list_case_history(case_id=case.id, limit=HISTORY_PAGE, cursor=None)
    return _history_first(page), page.next_cursor, more_style(page.next_cursor)


def _task_option(task) -> dict:
    return {"label": f"{task.title} · {task.status.value}", "value": str(task.id)}


def _scopes(user, text: str | None) -> list[TaskFilters]:
    """Where to look for tasks `user` may put in a case."""
    if rules.is_supervisor(user):
        return [TaskFilters(q=text)]
    # An Agent may only move their own tasks (rules.can_put_in_case): look among those, not through everyone's.
    return [TaskFilters(q=text, assigned_to=user.id), TaskFilters(q=text, created_by=user.id)]


def _task_options(user, case, search: str | None, keep: str | None) -> list[dict]:
    """Up to PICKER_OPTIONS tasks outside the case that `user` may put in it, matching `search` (title or
    description), most recently changed first; and the task `keep` the picker shows chosen."""
    # No NUL (PostgreSQL refuses it even in a query), and at most the 200 characters a search takes.
    text = (search or "").replace("\x00", "").strip()[:200] or None
    found = {}
    for filters in _scopes(user, text):
        cursor = None
        for _ in range(PICKER_PAGES):
            page = tasks.list_tasks(filters=filters, sort="-updated_at", limit=PICKER_OPTIONS, cursor=cursor)
            found.update((t.id, t) for t in page.items if t.case_id != case.id and rules.can_put_in_case(user, t))
            cursor = page.next_cursor
            if cursor is None or len(found) >= PICKER_OPTIONS:
                break
    shown = sorted(found.values(), key=lambda t: (t.updated_at, t.id), reverse=True)[:PICKER_OPTIONS]
    options = [_task_option(t) for t in shown]
    if keep and keep not in {option["value"] for option in options}:
        try:
            options.append(_task_option(tasks.get_task(task_id=uuid.UUID(keep))))
        except (NotFound, ValueError):
            pass
    return options


def _add_controls(case, user) -> list:
    """"Add task" and "Add existing task" with its picker: while the case is open, to those who may create tasks."""
    if case.status != CaseStatus.OPEN or not rules.can_create_task(user):
        return []
    return [
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add task"], id=ids.CASE_ADD_TASK,
                   href=f"/new-task?case={case.id}", color="primary", size="sm"),
        dbc.Button([html.I(className="bi bi-box-arrow-in-right me-1"), "Add existing task"], id=ids.CASE_ADD_EXISTING,
                   color="outline-primary", size="sm", title="Put a task that is not in this case in it"),
        # Below the row of buttons, across the page.
        dbc.Collapse(
            dbc.Card(dbc.CardBody([
                dbc.Label("Task", html_for=ids.CASE_ADD_EXISTING_PICKER),
                dcc.Dropdown(id=ids.CASE_ADD_EXISTING_PICKER, options=[], searchable=True, clearable=True,
                             placeholder="Choose a task"),
                dbc.FormText("Type to search titles. A task in another case moves to this one."),
                html.Div(dbc.Button("Add to case", id=ids.CASE_ADD_EXISTING_SAVE, color="primary", size="sm"), className="mt-2"),
            ])),
            id=ids.CASE_ADD_EXISTING_PANEL, is_open=False, className="w-100 order-last",
        ),
    ]


def _edit_form(case) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Edit case", className="h6 mb-0")),
            dbc.CardBody(
                [
                    labelled_field("Title", ids.CASE_TITLE_INPUT, dbc.Input(id=ids.CASE_TITLE_INPUT, value=case.title, maxLength=200)),
                    labelled_field("Description", ids.CASE_DESCRIPTION_INPUT,
                           dbc.Textarea(id=ids.CASE_DESCRIPTION_INPUT, value=case.description, rows=4)),
                    dbc.Button("Save changes", id=ids.CASE_SAVE, color="primary"),
                ]
            ),
        ],
        className="mb-3",
    )


def _not_found() -> html.Div:
    return html.Div(
        [
            html.H1("Case not found", className="h3"),
            html.P("The link may be wrong.", className="text-body-secondary"),
            dcc.Link("Back to cases", href="/cases"),
        ],
        id=ids.CASE_NOT_FOUND,
    )


def _card_parts(title: str, body) -> list:
    return [dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(body)]


def _card(title: str, body, **kwargs) -> dbc.Card:
    return dbc.Card(_card_parts(title, body), className="mb-3", **kwargs)


def _forecast_card() -> dbc.Card:
    """When the case's open tasks are done, at the pace of the whole team (filled in by refresh_forecast)."""
    return _card("Forecast: when will this case be done", [
        dbc.Row(dbc.Col(weeks_input(ids.CASE_FORECAST_WEEKS), xs=6, md=2), className="mb-2"),
        html.Div(id=ids.CASE_FORECAST_SUMMARY, className="small mb-2", role="status"),
        dcc.Loading(dcc.Graph(id=ids.CASE_FORECAST, config={"displaylogo": False, "responsive": True}, style=FORECAST_STYLE)),
    ])


def layout(case_id=None, **_query):
    """Built per request for the signed-in user; the edit controls only for those who may edit the case."""
    user = portal_user()
    if user is None:
        return html.Div()
    case = _load(case_id)
    if case is None:
        return _not_found()
    editable = rules.can_edit_case(user, case)
    watching = watchers.is_watching_case(user_id=user.id, case_id=case.id)
    counts = tasks.status_counts(filters=TaskFilters(case_id=case.id))
    entries = history.list_case_history(case_id=case.id, limit=HISTORY_PAGE, cursor=None)
    return html.Div(
        [
            dcc.Store(id=ids.CASE_ID, data=str(case.id)),
            dcc.Store(id=ids.CASE_STATUS, data=case.status.value),
            html.Div(id=ids.CASE_MESSAGE, className="position-fixed bottom-0 end-0 p-3", style={"zIndex": 1080}),
            dcc.Link([html.I(className="bi bi-arrow-left me-1"), "Cases"], href="/cases", className="small"),
            html.Div(_header(case), id=ids.CASE_HEADER, className="mt-2"),
            html.Div(
                [
                    # Its buttons and panel lay out in this row, as if they were its own.
                    html.Div(_add_controls(case, user), id=ids.CASE_ADD, style={"display": "contents"}),
                    dbc.Button(_toggle_label(case), id=ids.CASE_TOGGLE, color="outline-secondary", size="sm")
                    if editable else None,
                    # Watching is your own business: every role may watch a case.
                    dbc.Button(_watch_label(watching), id=ids.CASE_WATCH, color="outline-primary", size="sm",
                               title="Hear of status changes and comments on every task of this case"),
                ],
                className="d-flex flex-wrap gap-2 mb-3",
            ),
            _card("Progress", _progress(counts), id=ids.CASE_PROGRESS),
            html.Div(_board(case, counts, user), id=ids.CASE_BOARD, className="board mb-3"),
            _forecast_card(),
            dbc.Row(
                [
                    dbc.Col(_card("History", [
                        html.Ol(_history_first(entries), id=ids.CASE_HISTORY, className="list-unstyled mb-0"),
                        HISTORY.store(entries.next_cursor),
                        HISTORY.button(entries.next_cursor),
                    ]), lg=8),
                    dbc.Col(_edit_form(case), lg=4) if editable else None,
                ],
                className="g-3",
            ),
        ]
    )


@callback(
    Output(ids.CASE_HEADER, "children"),
    Output(ids.CASE_STATUS, "data"),
    Output(ids.CASE_TOGGLE, "children"),
    Output(ids.CASE_ADD, "children"),
    Output(ids.CASE_MESSAGE, "children"),
    Input(ids.CASE_TOGGLE, "n_clicks"),
    State(ids.CASE_ID, "data"),
    State(ids.CASE_STATUS, "data"),
    prevent_initial_call=True,
)
def toggle(_clicks, case_id, shown):
    """Close an open case or reopen a closed one (the opposite of what the page showed)."""
    user = portal_user()
    case = _load(case_id)
    if user is None or case is None:
        return no_update, no_update, no_update, no_update, _message("Case not found.", ok=False)
    target = CaseStatus.OPEN if shown == CaseStatus.CLOSED.value else CaseStatus.CLOSED
    try:
        case = cases.update_case(actor=user, case_id=case.id, changes={"status": target})
    except DomainError as error:
        return no_update, no_update, no_update, no_update, _message(error_sentence(error), ok=False)
    text = "Case closed." if target == CaseStatus.CLOSED else "Case reopened."
    return _header(case), case.status.value, _toggle_label(case), _add_controls(case, user), _message(text, ok=True)


@callback(
    Output(ids.CASE_HEADER, "children", allow_duplicate=True),
    Output(ids.CASE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.CASE_TITLE_INPUT, "invalid"),
    Output(f"{ids.CASE_TITLE_INPUT}-error", "children"),
    Output(ids.CASE_DESCRIPTION_INPUT, "invalid"),
    Output(f"{ids.CASE_DESCRIPTION_INPUT}-error", "children"),
    Input(ids.CASE_SAVE, "n_clicks"),
    State(ids.CASE_ID, "data"),
    State(ids.CASE_TITLE_INPUT, "value"),
    State(ids.CASE_DESCRIPTION_INPUT, "value"),
    prevent_initial_call=True,
)
def save(_clicks, case_id, title, description):
    """Validate with the API's CaseUpdate, then save the title and description."""
    user = portal_user()
    case = _load(case_id)
    if user is None or case is None:
        return no_update, _message("Case not found.", ok=False), False, None, False, None
    try:
        update = CaseUpdate(title=title or "", description=description or "")
    except ValidationError as exc:
        errors = field_sentences(exc)
        return (no_update, _message("Please correct the highlighted fields.", ok=False),
                "title" in errors, errors.get("title"), "description" in errors, errors.get("description"))
    try:
        case = cases.update_case(actor=user, case_id=case.id, changes=update.model_dump(include={"title", "description"}))
    except DomainError as error:
        errors = field_sentences(error)
        return (no_update, _message(error_sentence(error), ok=False),
                "title" in errors, errors.get("title"), "description" in errors, errors.get("description"))
    return _header(case), _message("Saved.", ok=True), False, None, False, None


@HISTORY.on_more(State(ids.CASE_ID, "data"), render=_history_items)
def more_history(cursor, case_id):
    """Append the next, older page of the history."""
    case = _load(case_id)
    if portal_user() is None or case is None:
        raise PreventUpdate
    return history.list_case_history(case_id=case.id, limit=HISTORY_PAGE, cursor=cursor)


@callback(
    Output(ids.CASE_WATCH, "children"),
    Output(ids.CASE_MESSAGE, "children", allow_duplicate=True),
    Input(ids.CASE_WATCH, "n_clicks"),
    State(ids.CASE_ID, "data"),
    prevent_initial_call=True,
)
def toggle_watch(_clicks, case_id):
    """Watch the case if you do not, else stop watching it."""
    user = portal_user()
    case = _load(case_id)
    if user is None or case is None:
        return no_update, _message("Case not found.", ok=False)
    try:
        if watchers.is_watching_case(user_id=user.id, case_id=case.id):
            watchers.unwatch_case(actor=user, case_id=case.id)
            watching, text = False, "You no longer watch this case."
        else:
            watchers.watch_case(actor=user, case_id=case.id)
            watching, text = True, "You now watch this case and hear of its tasks' status changes and comments."
    except DomainError as error:
        return no_update, _message(error_sentence(error), ok=False)
    return _watch_label(watching), _message(text, ok=True)


@callback(
    Output(ids.CASE_FORECAST_SUMMARY, "children"),
    Output(ids.CASE_FORECAST, "figure"),
    Output(ids.CASE_FORECAST, "style"),
    Input(ids.CASE_FORECAST_WEEKS, "value"),
    State(ids.CASE_ID, "data"),
)
def refresh_forecast(weeks, case_id):
    """The dates by which the case's open tasks are done, sampling the whole team's last `weeks` weeks."""
    case = _load(case_id)
    if portal_user() is None or case is None:
        raise PreventUpdate
    result = forecast.forecast(filters=TaskFilters(), weeks=weeks_of(weeks), case_id=case.id, now=utcnow())
    if result["backlog"]:
        pace = html.Div("At the pace of the whole team in those weeks; tasks added to the case meanwhile are not counted.",
                        className="text-body-secondary")
        return [*forecast_summary(result), pace], figures.forecast(result), FORECAST_STYLE
    # Nothing open: a sentence, not a chart of nothing.
    has_tasks = any(tasks.status_counts(filters=TaskFilters(case_id=case.id)).values())
    return html.Div(ALL_DONE if has_tasks else "No tasks in this case yet."), no_update, {"display": "none"}


@callback(
    Output(ids.CASE_ADD_EXISTING_PANEL, "is_open"),
    Input(ids.CASE_ADD_EXISTING, "n_clicks"),
    State(ids.CASE_ADD_EXISTING_PANEL, "is_open"),
    prevent_initial_call=True,
)
def toggle_add_existing(_clicks, is_open):
    """Open the "Add existing task" panel, or close it again."""
    return not is_open


@callback(
    Output(ids.CASE_ADD_EXISTING_PICKER, "options"),
    Input(ids.CASE_ADD_EXISTING_PANEL, "is_open"),
    Input(ids.CASE_ADD_EXISTING_PICKER, "search_value"),
    State(ids.CASE_ADD_EXISTING_PICKER, "value"),
    State(ids.CASE_ID, "data"),
    prevent_initial_call=True,
)
def find_tasks(is_open, search, chosen, case_id):
    """The tasks the picker offers, once the panel opens and again as one types."""
    user = portal_user()
    case = _load(case_id)
    if not is_open or user is None or case is None:
        raise PreventUpdate
    return _task_options(user, case, search, keep=chosen)


@callback(
    Output(ids.CASE_PROGRESS, "children"),
    Output(ids.CASE_BOARD, "children"),
    Output(ids.CASE_HISTORY, "children", allow_duplicate=True),
    Output(ids.CASE_HISTORY_CURSOR, "data", allow_duplicate=True),
    Output(ids.CASE_HISTORY_MORE, "style", allow_duplicate=True),
    Output(ids.CASE_ADD_EXISTING_PICKER, "value"),
    Output(ids.CASE_ADD_EXISTING_PICKER, "options", allow_duplicate=True),
    Output(ids.CASE_MESSAGE, "children", allow_duplicate=True),
    Input(ids.CASE_ADD_EXISTING_SAVE, "n_clicks"),
    State(ids.CASE_ADD_EXISTING_PICKER, "value"),
    State(ids.CASE_ID, "data"),
    prevent_initial_call=True,
)
def add_existing(_clicks, task_id, case_id):
    """Put the chosen task in the case (the workflow decides: a closed case takes none), then show it there."""
    user = portal_user()
    case = _load(case_id)
    unchanged = (no_update,) * 7
    if user is None or case is None:
        return *unchanged, _message("Case not found.", ok=False)
    if not task_id:
        return *unchanged, _message("Choose a task to add first.", ok=False)
    try:
        task = tasks.get_task(task_id=uuid.UUID(task_id))
        task = tasks.update_task(actor=user, task_id=task.id, changes={"case_id": case.id}, expected_version=task.version)
    except (DomainError, ValueError) as error:
        return *unchanged, _message(error_sentence(error, field="task"), ok=False)
    counts = tasks.status_counts(filters=TaskFilters(case_id=case.id))
    return (_card_parts("Progress", _progress(counts)), _board(case, counts, user), *_history_shown(case), None,
            _task_options(user, case, None, keep=None), _message(f"'{task.title}' is now in this case.", ok=True))
