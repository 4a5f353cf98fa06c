"""The analytics and workload pages' shared pieces: who may read them, one filter bar, figure cards and drill-through."""
import uuid
from datetime import date, timedelta
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from db.models import Priority, Role
from db.pagination import Page
from domain import rules
from domain.filters import UNASSIGNED, TaskFilters
from domain.schemas import AnalyticsQuery
from portal import ids
from portal.access import portal_user
from portal.components.paged_list import PagedList
from reports import figures
from reports.drill import Drill
from workflow import tasks, users

FILTERS = ("dates", "department", "assignee", "priority", "tag")
#: Tasks a drill-through list shows at first, and adds with each "Show more".
DRILL_PAGE = 50


def reader():
    """The signed-in user if they may read analytics, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_view_analytics(user) else None


def filter_id(page: str, name: str) -> str:
    return f"{page}-{name}"


def filter_bar(page: str, values: dict | None = None) -> dbc.Row:
    """Date range, department, assignee, priority and tag: one set of filters for every figure of a page.

    `values`: what the controls start with (see `url_filters`), else nothing chosen.
    """
    values = values or {}
    people = users.list_users(role=None, department=None, is_active=True, q=None, limit=500, cursor=None).items
    assignees = [{"label": "Unassigned", "value": UNASSIGNED}] + [
        {"label": person.full_name, "value": str(person.id)} for person in people if person.role != Role.VIEWER
    ]
    departments = sorted({person.department for person in people if person.department})
    control = "mb-2"
    return dbc.Row(
        [
            dbc.Col(dcc.DatePickerRange(id=filter_id(page, "dates"), display_format="D MMM YYYY", clearable=True,
                                        start_date=values.get("from"), end_date=values.get("to"),
                                        start_date_placeholder_text="From", end_date_placeholder_text="To"),
                    md="auto", className=control),
            dbc.Col(dcc.Dropdown(id=filter_id(page, "department"), options=departments, placeholder="Department",
                                 value=values.get("department")), xs=6, md=2, className=control),
            dbc.Col(dcc.Dropdown(id=filter_id(page, "assignee"), options=assignees, placeholder="Assignee",
                                 value=values.get("assignee")), xs=6, md=2, className=control),
            dbc.Col(dcc.Dropdown(id=filter_id(page, "priority"), options=[p.value for p in Priority], placeholder="Priority",
                                 value=values.get("priority")), xs=6, md=2, className=control),
            dbc.Col(dbc.Input(id=filter_id(page, "tag"), placeholder="Tag", debounce=True, maxlength=50,
                              value=values.get("tag")), xs=6, md=2, className=control),
        ],
        className="g-2 mb-3 align-items-center",
    )


#: The page address's query names of the filter controls, in FILTERS' order (dates as `from` and `to`).
URL_NAMES = ("from", "to", "department", "assignee", "priority", "tag")


def url_filters(query: dict) -> dict:
    """The filter values a page address holds (`?from=2026-11-02&to=...&priority=High`), the invalid ones left out."""
    values = {}
    for name in ("from", "to"):
        try:
            values[name] = date.fromisoformat(str(query.get(name))).isoformat()
        except ValueError:
            pass
    if query.get("priority") in {p.value for p in Priority}:
        values["priority"] = query["priority"]
    for name in ("department", "tag"):
        if isinstance(query.get(name), str) and 0 < len(query[name].strip()) <= 100:
            values[name] = query[name].strip()
    assignee = query.get("assignee")
    if assignee == UNASSIGNED:
        values["assignee"] = assignee
    elif isinstance(assignee, str):
        try:
            values["assignee"] = str(uuid.UUID(assignee))
        except ValueError:
            pass
    return values


def filter_inputs(page: str) -> list:
    return [
        Input(filter_id(page, "dates"), "start_date"),
        Input(filter_id(page, "dates"), "end_date"),
        *[Input(filter_id(page, name), "value") for name in FILTERS[1:]],
    ]


def filter_states(page: str) -> list:
    """The filter controls as states, for callbacks that read them without being started by them."""
    return [State(i.component_id, i.component_property) for i in filter_inputs(page)]


def query_of(start, end, department, assignee, priority, tag) -> dict:
    """The filter controls as the report API's query parameters (end date included: date_to is the next day)."""
    query = {
        "date_from": f"{start}T00:00:00Z" if start else None,
        "date_to": f"{date.fromisoformat(end[:10]) + timedelta(days=1)}T00:00:00Z" if end else None,
        "department": department or None, "assigned_to": assignee or None, "priority": priority or None,
        "tag": (tag or "").strip() or None,
    }
    return {key: value for key, value in query.items() if value is not None}


def report_filters(query: dict) -> TaskFilters:
    """The query validated as the API validates it; an invalid one falls back to no filters but the valid ones."""
    try:
        valid = AnalyticsQuery.model_validate(query)
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]} or {"date_from", "date_to"}
        valid = AnalyticsQuery.model_validate({k: v for k, v in query.items() if k not in bad})
    return TaskFilters(date_from=valid.date_from, date_to=valid.date_to, department=valid.department,
                         assigned_to=valid.assigned_to, priority=valid.priority, tag=valid.tag)


def page_filters(controls) -> tuple[dict, TaskFilters]:
    """(the report query, the filters) of the filter controls, for a reader; anyone else gets no update."""
    if reader() is None:
        raise dash.exceptions.PreventUpdate
    query = query_of(*controls)
    return query, report_filters(query)


def csv_link(report: str, table: str, label: str = "Download CSV") -> html.A:
    # On a phone the icon alone (its label in the tooltip), so a card's title keeps its line.
    return html.A(
        [html.I(className="bi bi-download"), html.Span(label, className="ms-1 d-none d-sm-inline")],
        id={"type": ids.REPORT_CSV, "report": report, "table": table}, title=label, **{"aria-label": label},
        href=f"/api/reports/{report}?format=csv&table={table}", className="btn btn-sm btn-outline-secondary text-nowrap",
    )


def csv_hrefs(query: dict) -> list[str]:
    """The href of every Download CSV link on the page, with the current filters."""
    hrefs = []
    outputs = ctx.outputs_list  # the links' list itself when they are the callback's only output
    for link in outputs[-1] if outputs and isinstance(outputs[-1], list) else outputs:
        report, table = link["id"]["report"], link["id"]["table"]
        hrefs.append(f"/api/reports/{report}?" + urlencode({**query, "format": "csv", "table": table}))
    return hrefs


def info(function) -> html.Span:
    """An info icon whose tooltip is the metric's definition."""
    text = figures.definition(function)
    return html.Span(html.I(className="bi bi-info-circle"), title=text, className="ms-2 text-body-secondary info-tip",
                     **{"aria-label": text, "role": "note", "tabIndex": 0})


def card(title: str, function, body, *links) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.Div([html.Span(title, className="fw-semibold"), info(function),
                                     html.Div(list(links), className="ms-auto")], className="d-flex align-items-center")),
            dbc.CardBody(body, className="p-2"),
        ],
        className="mb-3 h-100",
    )


def graph(graph_id: str, fixed_height: bool = True, height: int = 340) -> dcc.Loading:
    """A figure's place: `height` px high, or as high as the figure asks (a bar per person needs room)."""
    if not fixed_height:
        return dcc.Loading(dcc.Graph(id=graph_id, config={"displaylogo": False}))
    return dcc.Loading(dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True},
                                 style={"height": f"{height}px"}))


def task_items(task_ids: list) -> list:
    """Tasks as links to their pages, in the order given."""
    names = tasks.titles(task_ids=set(task_ids))
    return [html.Li(dcc.Link(names.get(task_id, str(task_id)), href=f"/tasks/{task_id}"))
            for task_id in task_ids if task_id in names]


def drill_list(paged: PagedList, spec_id: str, heading: str, drilled: Drill, spec: dict, dismissable: bool = True) -> dbc.Alert:
    """The tasks behind a figure element: how many in all, the first DRILL_PAGE as links, "Show more" for the rest.

    `spec` says which element it was (kept in the page for "Show more", which reads it again).
    """
    total = drilled.total()
    first = drilled.page(DRILL_PAGE)
    cursor = str(first[-1]) if len(first) == DRILL_PAGE and total > DRILL_PAGE else None
    return dbc.Alert(
        [
            html.Strong(f"{heading} — {total:,} task{'s' if total != 1 else ''}"),
            html.Ul(task_items(first), id=paged.rows, className="mb-0 mt-1 drill-list"),
            html.Div("No tasks.", className="text-body-secondary") if not first else None,
            paged.store(cursor),
            dcc.Store(id=spec_id, data=spec),
            paged.button(cursor, label=f"Show {DRILL_PAGE} more", className="mt-2"),
        ],
        color="light", className="border", dismissable=dismissable,
    )


def register_more(paged: PagedList, spec_id: str, selection) -> None:
    """ "Show more" of a drill list: the next page of the element its `spec` names, rebuilt by `selection(spec)`
    (heading, Drill) for a reader; a spec or cursor not of this page's making shows nothing more."""

    @paged.on_more(State(spec_id, "data"), render=lambda page: task_items(page.items))
    def more(cursor, spec):
        if reader() is None:
            raise PreventUpdate
        after = uuid.UUID(cursor)  # a forged cursor is a ValueError: nothing more
        try:
            _heading, drilled = selection(spec)
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise PreventUpdate from exc
        items = drilled.page(DRILL_PAGE, after=after)
        return Page(items=items, next_cursor=str(items[-1]) if len(items) == DRILL_PAGE else None)
