"""Workload (Managers, Admins, Viewers): open tasks per assignee and department, and the unassigned queue."""
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, callback, ctx, dcc, html, no_update

from db.models import Priority
from domain import rules
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.analytics import (
    card,
    csv_hrefs,
    csv_link,
    filter_bar,
    filter_inputs,
    filter_states,
    graph,
    page_filters,
    query_of,
    reader,
    report_filters,
    drill_list,
    register_more,
)
from portal.components.paged_list import PagedList
from reports import drill, figures, workload
from reports.tables import TITLES

dash.register_page(__name__, path="/workload", title="Workload · Workflow Manager", name="Workload")

DENIED = "The workload view is for managers, admins and viewers."


def layout(**_query):
    """Built per request: the workload for those who may read analytics, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_view_analytics(user):
        return html.Div([html.H1("Workload", className="h3 mb-3"), dbc.Alert(DENIED, color="info", id=ids.WORKLOAD_DENIED)])
    return html.Div(
        [
            html.H1("Workload", className="h3 mb-3"),
            filter_bar(ids.WORKLOAD),
            html.Div(id=ids.WORKLOAD_DRILL, className="mb-3", role="region", **{"aria-live": "polite"}),
            dbc.Row(
                [
                    dbc.Col(card(TITLES["workload", "by_assignee"], workload.open_by_assignee, graph(ids.WORKLOAD_ASSIGNEES, fixed_height=False),
                                 csv_link("workload", "by_assignee")), lg=7),
                    dbc.Col(
                        [
                            card("Unassigned queue", workload.unassigned_queue, html.Div(id=ids.WORKLOAD_UNASSIGNED)),
                            html.Div(className="mb-3"),
                            card(TITLES["workload", "by_department"], workload.open_by_department, graph(ids.WORKLOAD_DEPARTMENTS),
                                 csv_link("workload", "by_department")),
                        ],
                        lg=5,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def unassigned_summary(queue: dict, user) -> html.Div:
    """The unassigned queue's counts, linking to the task list of unassigned tasks; times on the user's clock."""
    oldest = queue["oldest_created_at"]
    return html.Div(
        [
            html.Div([html.Span(str(queue["open"]), className="display-6 fw-semibold me-2"), "open, ",
                      html.Strong(str(queue["overdue"])), " overdue"]),
            html.Div(" · ".join(f"{p.value} {queue[p.value]}" for p in Priority), className="text-body-secondary"),
            html.Div(["Oldest created ", times.when(oldest, user)] if oldest else "", className="small"),
            dcc.Link("Open the unassigned queue", href="/tasks?scope=none", className="small"),
        ]
    )


@callback(
    Output(ids.WORKLOAD_ASSIGNEES, "figure"),
    Output(ids.WORKLOAD_DEPARTMENTS, "figure"),
    Output(ids.WORKLOAD_UNASSIGNED, "children"),
    Output({"type": ids.REPORT_CSV, "report": ALL, "table": ALL}, "href", allow_duplicate=True),
    *filter_inputs(ids.WORKLOAD),
    prevent_initial_call="initial_duplicate",
)
def refresh(start, end, department, assignee, priority, tag):
    """The workload figures for the current filters."""
    query, f = page_filters((start, end, department, assignee, priority, tag))
    return (
        figures.workload_by_assignee(workload.open_by_assignee(filters=f)),
        figures.workload_by_department(workload.open_by_department(filters=f)),
        unassigned_summary(workload.unassigned_queue(filters=f), reader()),
        csv_hrefs(query),
    )


def drill_selection(spec: dict) -> tuple[str, drill.Drill]:
    """(what was clicked, the open tasks behind it) for a bar of the per-assignee (`source`) or per-department chart:
    its customdata (`point`: the assignee or department, the priority) and the page's filters (`query`)."""
    key, priority = spec["point"][:2]
    f = report_filters(spec["query"])
    if spec["source"] == ids.WORKLOAD_ASSIGNEES:
        narrowed = drill.narrowed(f, assigned_to=uuid.UUID(key), priority=Priority(priority))
    else:
        narrowed = drill.narrowed(f, department=key, priority=Priority(priority))
    return f"{priority} open tasks", drill.open_tasks(filters=narrowed)


DRILL = PagedList(ids.WORKLOAD_DRILL_ROWS, ids.WORKLOAD_DRILL_CURSOR, ids.WORKLOAD_DRILL_MORE)
register_more(DRILL, ids.WORKLOAD_DRILL_SPEC, drill_selection)


@callback(
    Output(ids.WORKLOAD_DRILL, "children"),
    Input(ids.WORKLOAD_ASSIGNEES, "clickData"),
    Input(ids.WORKLOAD_DEPARTMENTS, "clickData"),
    *filter_states(ids.WORKLOAD),
    prevent_initial_call=True,
)
def drill_through(by_assignee, by_department, *filters):
    """The open tasks behind the bar just clicked."""
    data = by_assignee if ctx.triggered_id == ids.WORKLOAD_ASSIGNEES else by_department
    if reader() is None or not data or not data.get("points"):
        return no_update
    spec = {"source": ctx.triggered_id, "point": data["points"][0]["customdata"], "query": query_of(*filters)}
    heading, drilled = drill_selection(spec)
    return drill_list(DRILL, ids.WORKLOAD_DRILL_SPEC, heading, drilled, spec)
