"""Analytics (Managers and Admins; read-only for Viewers): SLA, status flow and flow metrics, with drill-through."""
import uuid
from datetime import date, timedelta

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, callback, clientside_callback, ctx, dcc, html, no_update

from db.models import Priority
from db.types import utcnow
from domain import rules
from domain import sla as sla_rules
from domain.errors import ValidationFailed
from domain.filters import TaskFilters
from portal import ids, report_cache
from portal.access import portal_user
from portal.components import export_panel, subscriptions_panel, times
from portal.components.forecast import forecast_summary, weeks_input, weeks_of
from portal.components.paged_list import PagedList, more_style
from portal.components.analytics import (
    FILTERS,
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
    url_filters,
    drill_list,
    register_more,
)
from reports import drill, facts, figures, flow, forecast, kpis, policy, sla
from reports import exports as exports_files
from reports.tables import TITLES

dash.register_page(__name__, path="/analytics", title="Analytics · Workflow Manager", name="Analytics")

DENIED = "Analytics are for managers, admins and viewers."


def _settings_link() -> html.P:
    """Where an Admin sets what the SLA figures measure against (one form for it, on /admin/sla)."""
    return html.P(["SLA targets, business hours and holidays are set on ",
                   dcc.Link("SLA settings", href="/admin/sla", id=ids.ANALYTICS_SLA_SETTINGS_LINK), "."],
                  className="text-body-secondary")


#: The longest what-if target: the policy's own limit (a year), in hours.
MAX_WHAT_IF_HOURS = sla_rules.MAX_TARGET_MINUTES / 60


def what_if_input(priority: Priority) -> str:
    return f"{ids.SLA_WHAT_IF}-{priority.value}"


def hours_of(minutes: int) -> float:
    """Minutes as hours for an input: whole when they are, else to two decimals."""
    hours = minutes / 60
    return int(hours) if hours.is_integer() else round(hours, 2)


def duration(minutes) -> str:
    """A target for the table: `30 min`, `4 h`, `1.5 h`."""
    if minutes is None or minutes != minutes:
        return "—"
    if minutes < 60:
        return f"{int(minutes)} min"
    return f"{hours_of(int(minutes)):g} h"


def what_if_card() -> dbc.Card:
    """Other resolution targets tried on the filtered tasks, beside today's compliance; nothing is saved."""
    current = policy.get_targets()
    fields = []
    for priority in Priority:
        input_id = what_if_input(priority)
        fields.append(dbc.Col(html.Div([
            dbc.Label(f"{priority.value} (hours)", html_for=input_id, className="mb-1"),
            dbc.Input(id=input_id, type="number", step="any", value=hours_of(current[priority]), size="sm",
                      inputMode="decimal"),
            dbc.FormFeedback(id=f"{input_id}-error", type="invalid"),
        ]), xs=6, md=3))
    body = [
        html.P([html.I(className="bi bi-shield-check me-1"),
                "Try other targets on the tasks of the filters above. Nothing is saved: the SLA targets in force "
                "stay as they are."],
               className="small text-body-secondary mb-2"),
        dbc.Row(fields, className="g-2 mb-2"),
        dbc.Button([html.I(className="bi bi-arrow-repeat me-1"), "Recompute"], id=ids.SLA_WHAT_IF_RUN, color="primary",
                   size="sm"),
        html.Div(id=ids.SLA_WHAT_IF_MESSAGE, className="mt-2", role="status"),
        dcc.Loading(html.Div(id=ids.SLA_WHAT_IF_RESULT, className="mt-2"), type="dot"),
    ]
    return card("SLA what if", sla.what_if, body)


def _number(value) -> float | None:
    """A typed number (the browser sends a number; text is read too), or None if there is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    number = float(value)
    return number if number == number and abs(number) != float("inf") else None


def what_if_targets(values) -> tuple[dict[str, int], dict[str, str]]:
    """The hours typed per priority as whole minutes for reports.sla.what_if, and a message per invalid one."""
    targets, errors = {}, {}
    for priority, value in zip(Priority, values):
        hours = _number(value)
        if hours is None:
            errors[priority.value] = "Enter a target in hours."
        elif hours <= 0:
            errors[priority.value] = "Enter more than 0 hours."
        elif hours > MAX_WHAT_IF_HOURS:
            errors[priority.value] = f"Enter at most {MAX_WHAT_IF_HOURS:g} hours (a year)."
        elif round(hours * 60) < 1:
            errors[priority.value] = "Enter at least one minute (0.02 hours)."
        else:
            targets[priority.value] = round(hours * 60)
    return targets, errors


def _percent(value) -> str:
    return "—" if value is None or value != value else f"{value:.1f} %"


def _share(met, breached) -> float | None:
    decided = int(met) + int(breached)
    return 100.0 * int(met) / decided if decided else None


def _change(row) -> html.Td:
    """The change in percentage points, from the counts (the shown percentages are rounded)."""
    today, what_if = _share(row["met"], row["breached"]), _share(row["met_what_if"], row["breached_what_if"])
    if today is None or what_if is None:
        return html.Td("—", className="text-end", **{"data-col": "change"})
    difference = round(what_if - today, 1)
    tone = "text-success" if difference > 0 else "text-danger" if difference < 0 else "text-body-secondary"
    text = f"{difference:+.1f} pts" if difference else "no change"
    return html.Td(text, className=f"text-end fw-semibold {tone}", **{"data-col": "change"})


def what_if_table(frame) -> dbc.Table:
    """Per priority and overall: the target and compliance today and under the tried targets, and the change."""
    def counts(row, suffix=""):
        return html.Small(f" {int(row['met' + suffix])} met · {int(row['breached' + suffix])} breached",
                          className="text-body-secondary d-block")

    rows = []
    for row in frame.to_dict("records"):
        overall = row["priority"] == "All"
        rows.append(html.Tr(
            [
                html.Th("All priorities" if overall else row["priority"], scope="row"),
                html.Td(duration(row["target_minutes"]), className="text-end", **{"data-col": "target"}),
                html.Td([_percent(row["compliance_pct"]), counts(row)], className="text-end", **{"data-col": "today"}),
                html.Td(duration(row["target_minutes_what_if"]), className="text-end", **{"data-col": "target-what-if"}),
                html.Td([_percent(row["compliance_pct_what_if"]), counts(row, "_what_if")], className="text-end",
                        **{"data-col": "what-if"}),
                _change(row),
            ],
            className="table-light fw-semibold" if overall else None, **{"data-priority": row["priority"]},
        ))
    head = html.Thead(html.Tr([
        html.Th("Priority"), html.Th("Target today", className="text-end"), html.Th("Compliance today", className="text-end"),
        html.Th("Target what if", className="text-end"), html.Th("Compliance what if", className="text-end"),
        html.Th("Change", className="text-end"),
    ]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, className="mb-0 what-if-table")


def what_if_view(values, query: dict, now=None) -> tuple:
    """(message, table, invalid flag per priority, error per priority) for the typed hours and the page's filters."""
    targets, errors = what_if_targets(values)
    if not errors:
        try:
            frame = sla.what_if(filters=report_filters(query), targets=targets, now=now)
        except ValidationFailed as exc:  # the policy's own limits, should they ever be narrower than the form's
            errors = {item["field"]: f"Enter {item['message']}." for item in exc.details or []}
        else:
            return None, what_if_table(frame), [False] * len(Priority), [None] * len(Priority)
    message = dbc.Alert("Check the highlighted targets: nothing was computed.", color="danger", className="py-1 mb-0")
    return message, None, [p.value in errors for p in Priority], [errors.get(p.value) for p in Priority]


#: The report tables a background export may hold, as "report:table".
EXPORT_CHOICES = [
    {"label": TITLES[report, table], "value": f"{report}:{table}"}
    for report, tables in exports_files.ANALYTICS_TABLES.items()
    for table in tables
]


def export_bar() -> html.Div:
    """Export one report table with the current filters in the background, with its progress."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id=ids.EXPORT_TABLE, options=EXPORT_CHOICES, value=EXPORT_CHOICES[0]["value"]), md=4),
                    dbc.Col(export_panel.start_button(ids.ANALYTICS), width="auto"),
                ],
                className="g-2 mb-2 align-items-center",
            ),
            export_panel.status_area(ids.ANALYTICS),
            subscriptions_panel.subscribe_controls(ids.ANALYTICS),
        ]
    )


def export_request(choice, start, end, department, assignee, priority, tag) -> tuple[str, dict]:
    """(report, filters) of an export of the chosen table with the page's filters."""
    report, _, table = (choice or EXPORT_CHOICES[0]["value"]).partition(":")
    return report, {**query_of(start, end, department, assignee, priority, tag), "table": table}


export_panel.watch_exports(ids.ANALYTICS)


@callback(
    export_panel.job_output(ids.ANALYTICS),
    export_panel.start_input(ids.ANALYTICS),
    State(ids.EXPORT_TABLE, "value"),
    *filter_states(ids.ANALYTICS),
    running=export_panel.disabled_while_starting(ids.ANALYTICS),
    prevent_initial_call=True,
)
def export_in_background(clicks, choice, *filters):
    """Export the chosen table with the page's filters in the background; `watch` follows it."""
    if not clicks:
        raise dash.exceptions.PreventUpdate
    return export_panel.start(*export_request(choice, *filters))


@callback(
    subscriptions_panel.subscribe_output(ids.ANALYTICS),
    subscriptions_panel.subscribe_input(ids.ANALYTICS),
    State(ids.EXPORT_TABLE, "value"),
    *filter_states(ids.ANALYTICS),
    *subscriptions_panel.subscribe_states(ids.ANALYTICS),
    prevent_initial_call=True,
)
def subscribe(clicks, choice, *controls):
    """Subscribe to the chosen table with the page's filters but its dates: each run holds the table as it is then."""
    if not clicks:
        raise dash.exceptions.PreventUpdate
    *filters, frequency, weekday, hour = controls
    report, query = export_request(choice, *filters)
    query = {key: value for key, value in query.items() if key not in ("date_from", "date_to")}
    return subscriptions_panel.subscribe(report, query, frequency, weekday, hour)


#: The page's tabs: (id in the address, label). Each tab's figures are computed when it is shown.
TABS = (("sla", "SLA"), ("flow", "Flow"), ("delivery", "Delivery"), ("forecast", "Forecast"))
TAB_IDS = tuple(tab for tab, _label in TABS)


def layout(**query):
    """Built per request: the analytics for those who may read them, a refusal for everyone else.

    The address keeps the tab and the filters (`?tab=flow&from=2026-11-02&priority=High`), so a view can be shared.
    """
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_view_analytics(user):
        return html.Div([html.H1("Analytics", className="h3 mb-3"), dbc.Alert(DENIED, color="info", id=ids.ANALYTICS_DENIED)])
    tab = query.get("tab") if query.get("tab") in TAB_IDS else TAB_IDS[0]
    row = "g-3 mb-3"
    sla_tab = [
        dbc.Row(
            [
                dbc.Col(card(TITLES["sla", "by_priority"], sla.compliance_by_priority, graph(ids.ANALYTICS_SLA_PRIORITY),
                             csv_link("sla", "by_priority")), lg=5),
                dbc.Col(card(TITLES["sla", "by_week"], sla.compliance_by_week, graph(ids.ANALYTICS_SLA_WEEK),
                             csv_link("sla", "by_week")), lg=7),
            ],
            className=row,
        ),
        card(TITLES["sla", "watchlist"], sla.watchlist,
             [dbc.RadioItems(id=ids.ANALYTICS_WATCHLIST_ORDER, inline=True, value=sla.URGENCY, className="small mb-2",
                             options=[{"label": "Most urgent first", "value": sla.URGENCY},
                                      {"label": "Likeliest to breach first", "value": sla.CHANCE}]),
              html.Div(id=ids.ANALYTICS_WATCHLIST), dcc.Store(id=ids.ANALYTICS_WATCHLIST_SHOWN),
              dbc.Button("Show more", id=ids.ANALYTICS_WATCHLIST_MORE, color="secondary", outline=True, size="sm",
                         className="mt-2", style=more_style(None))],
             csv_link("sla", "watchlist")),
        html.Div(what_if_card(), id=ids.SLA_WHAT_IF_CARD, className="my-3"),
        _settings_link() if rules.can_set_sla_targets(user) else None,
    ]
    flow_tab = [
        dbc.Row(
            [
                dbc.Col(card(TITLES["status-flow", "transitions"], flow.transitions, graph(ids.ANALYTICS_SANKEY),
                             csv_link("status-flow", "transitions")), lg=6),
                dbc.Col(card(TITLES["status-flow", "transition_matrix"], flow.transition_matrix,
                             graph(ids.ANALYTICS_MATRIX), csv_link("status-flow", "transition_matrix")), lg=6),
            ],
            className=row,
        ),
        dbc.Row(
            [
                dbc.Col(card(TITLES["status-flow", "time_in_status"], flow.time_in_status,
                             graph(ids.ANALYTICS_TIME_IN_STATUS), csv_link("status-flow", "time_in_status")), lg=7),
                dbc.Col(card(TITLES["status-flow", "rework"], flow.rework, graph(ids.ANALYTICS_REWORK, height=200),
                             csv_link("status-flow", "rework")), lg=5),
            ],
            className=row,
        ),
    ]
    delivery_tab = [
        dbc.Row(
            [
                dbc.Col(card(TITLES["flow-metrics", "cycle_lead"], flow.cycle_and_lead_times, graph(ids.ANALYTICS_CYCLE),
                             csv_link("flow-metrics", "cycle_lead")), lg=6),
                dbc.Col(card(TITLES["flow-metrics", "throughput"], flow.weekly_throughput, graph(ids.ANALYTICS_THROUGHPUT),
                             csv_link("flow-metrics", "throughput")), lg=6),
            ],
            className=row,
        ),
        dbc.Row(
            [
                dbc.Col(card(TITLES["flow-metrics", "cumulative_flow"], flow.cumulative_flow, graph(ids.ANALYTICS_CFD),
                             csv_link("flow-metrics", "cumulative_flow")), lg=6),
                dbc.Col(card(TITLES["flow-metrics", "aging_wip"], flow.aging_wip, graph(ids.ANALYTICS_AGING),
                             csv_link("flow-metrics", "aging_wip")), lg=6),
            ],
            className=row,
        ),
    ]
    contents = {"sla": sla_tab, "flow": flow_tab, "delivery": delivery_tab, "forecast": [forecast_card()]}
    return html.Div(
        [
            html.H1("Analytics", className="h3 mb-3"),
            filter_bar(ids.ANALYTICS, url_filters(query)),
            html.Div(id=ids.ANALYTICS_KPIS, className="mb-2", role="region", **{"aria-label": "Key figures"}),
            html.Div(id=ids.ANALYTICS_KPI, className="mb-2"),
            dbc.Tabs([dbc.Tab(html.Div(contents[tab_id] if tab_id == tab else None, id=tab_pane(tab_id), className="pt-3"),
                              label=label, tab_id=tab_id)
                      for tab_id, label in TABS], id=ids.ANALYTICS_TABS, active_tab=tab, className="mb-1"),
            # The other tabs' components wait here, as data, until their tab is first shown: mounted, every
            # one would be drawn (its charts as empty axes) and kept up by the renderer with each answer.
            dcc.Store(id=ids.ANALYTICS_TAB_CONTENTS, data={tab_id: contents[tab_id] for tab_id in TAB_IDS if tab_id != tab}),
            dcc.Store(id=ids.ANALYTICS_URL),
            *[dcc.Store(id=tab_filters(tab_id)) for tab_id in TAB_IDS],
            dcc.Store(id=ids.SLA_WHAT_IF_FILTERS),
            dbc.Offcanvas(html.Div(id=ids.ANALYTICS_DRILL, role="region", **{"aria-live": "polite"}),
                          id=f"{ids.ANALYTICS_DRILL}-panel", title="Tasks behind the figure", placement="end",
                          is_open=False, scrollable=True),
            html.Div([html.H2("Export a table in the background", className="h6 mt-3"), export_bar()]),
        ]
    )


def tab_filters(tab: str) -> str:
    """The store of the filters a tab's figures were last asked for: set only while the tab is shown."""
    return f"{ids.ANALYTICS_TABS}-{tab}"


def tab_pane(tab: str) -> str:
    """The element holding a tab's components (empty until the tab is first shown)."""
    return f"{ids.ANALYTICS_TABS}-{tab}-pane"


# A tab's components are put in its pane when it is first shown (from the page's store of them), and its
# figures are computed then, for the filters then chosen, and once only: its store takes the filters when
# it is shown and they differ from its last. Decided in the browser, so a hidden tab costs no request.
# Pane and filters come in one answer: the figures' callbacks, set off by the filters, find their graphs.
# The what-if table is asked again only when the SLA tab's filters change after its first showing.
clientside_callback(
    """
    function(tab, start, end, department, assignee, priority, tag) {
        const controls = [start, end, department, assignee, priority, tag];
        const states = dash_clientside.callback_context.states_list;
        const contents = states[0].value || {};
        const stores = states.slice(1);
        const names = TABS;
        const shown = tab || names[0];
        const none = window.dash_clientside.no_update;
        const filters = names.map((name, i) => {
            if (name !== shown) { return none; }
            const last = stores[i].value;
            return last && JSON.stringify(last) === JSON.stringify(controls) ? none : controls;
        });
        const sla = names.indexOf("sla");
        const whatIf = filters[sla] !== none && stores[sla].value ? controls : none;
        if (!(shown in contents)) {
            return [...filters, ...names.map(() => none), none, whatIf];
        }
        const rest = Object.assign({}, contents);
        delete rest[shown];
        const panes = names.map((name) => name === shown ? contents[shown] : none);
        return [...filters, ...panes, rest, whatIf];
    }
    """.replace("TABS", str(list(TAB_IDS))),
    *[Output(tab_filters(tab), "data") for tab in TAB_IDS],
    *[Output(tab_pane(tab), "children") for tab in TAB_IDS],
    Output(ids.ANALYTICS_TAB_CONTENTS, "data"),
    Output(ids.SLA_WHAT_IF_FILTERS, "data"),
    Input(ids.ANALYTICS_TABS, "active_tab"),
    *filter_inputs(ids.ANALYTICS),
    State(ids.ANALYTICS_TAB_CONTENTS, "data"),
    *[State(tab_filters(tab), "data") for tab in TAB_IDS],
)


# The address follows the tab and the filters without reloading the page (Dash's own router is not told).
clientside_callback(
    """
    function(tab, start, end, department, assignee, priority, tag) {
        const params = new URLSearchParams();
        const values = {tab: tab, from: start && start.slice(0, 10), to: end && end.slice(0, 10),
                        department: department, assignee: assignee, priority: priority, tag: tag && tag.trim()};
        Object.entries(values).forEach(([name, value]) => { if (value) { params.set(name, value); } });
        const search = params.toString();
        window.history.replaceState(window.history.state, '', window.location.pathname + (search ? '?' + search : ''));
        return search;
    }
    """,
    Output(ids.ANALYTICS_URL, "data"),
    Input(ids.ANALYTICS_TABS, "active_tab"),
    *filter_inputs(ids.ANALYTICS),
)


def forecast_card() -> dbc.Card:
    """When the open work of the filters is done, and how many tasks by a chosen day, at 50, 85 and 95 %."""
    controls = dbc.Row(
        [
            dbc.Col(weeks_input(ids.ANALYTICS_FORECAST_WEEKS), xs=6, md=2),
            dbc.Col([dbc.Label("How many done by", html_for=ids.ANALYTICS_FORECAST_BY, className="mb-1 small"),
                     dcc.DatePickerSingle(id=ids.ANALYTICS_FORECAST_BY, display_format="D MMM YYYY",
                                          min_date_allowed=utcnow().date() + timedelta(days=1),
                                          max_date_allowed=utcnow().date() + timedelta(days=forecast.HORIZON_DAYS),
                                          placeholder="Pick a day", clearable=True, className="d-block")], xs=6, md=3),
        ],
        className="g-2 mb-2 align-items-end",
    )
    body = [controls, html.Div(id=ids.ANALYTICS_FORECAST_SUMMARY, className="small mb-2", role="status"),
            graph(ids.ANALYTICS_FORECAST)]
    return card("Forecast: when will the open work be done", forecast.forecast, body)


#: Columns a phone leaves out, so the task, its state and its time left fit the width.
WIDE_ONLY = "d-none d-md-table-cell"


def watchlist_rows(frame) -> list:
    """A table row per watchlist task."""
    return [
        html.Tr([
            html.Td(dcc.Link(row["title"], href=f"/tasks/{row['task_id']}")),
            html.Td(row["priority"], className=WIDE_ONLY), html.Td(row["status"], className=WIDE_ONLY),
            html.Td(dbc.Badge("Breached" if row["state"] == sla.BREACHED else "At risk",
                              color="danger" if row["state"] == sla.BREACHED else "warning")),
            html.Td(time_left(row["time_left_hours"]), className="text-end text-nowrap"),
            html.Td("" if row["state"] == sla.BREACHED else _chance(row["breach_probability"]),
                    className=f"text-end text-nowrap {WIDE_ONLY}"),
        ])
        for row in frame.to_dict("records")
    ]


def watchlist_table(frame) -> html.Div:
    if frame.empty:
        return html.Div("No task is breached or at risk.", className="text-body-secondary")
    chance = html.Th("Breach chance", className=f"text-end {WIDE_ONLY}",
                     title="Of the completed tasks of this priority whose SLA clock ran as long as this one's has, "
                           "the share that went past the target")
    head = html.Thead(html.Tr([html.Th("Task"), html.Th("Priority", className=WIDE_ONLY),
                               html.Th("Status", className=WIDE_ONLY), html.Th("SLA"),
                               html.Th("Time left", className="text-end"), chance]))
    return dbc.Table([head, html.Tbody(watchlist_rows(frame))], size="sm", hover=True, responsive=True, className="mb-0")


def time_left(hours: float) -> str:
    """Time left before an SLA target, or how long ago it was passed."""
    return f"{figures.span(hours)} overdue" if hours < 0 else f"{figures.span(hours)} left"


def _chance(probability) -> str:
    """A breach probability as a percentage; a dash when no completed task ran this long."""
    return "—" if probability is None or probability != probability else f"{100 * probability:.0f} %"


def source_notice(f: TaskFilters) -> html.Div | None:
    """Why the figures are computed from the history instead of the analytics facts, if they are."""
    why = facts.uncovered(f)
    if why is None:
        return None
    return html.Div(f"Computed from the task history, which takes longer: {why}.",
                    className="small text-warning-emphasis", id=ids.ANALYTICS_SOURCE)


def policy_stamp() -> tuple:
    """What the SLA figures depend on besides the tasks: targets, business-hours flags, the calendar."""
    calendar = policy.get_calendar()
    targets, business_hours = policy.get_policy()
    return (tuple(targets.items()), tuple(business_hours.items()),
            calendar.timezone, calendar.hours, tuple(sorted(calendar.holidays)))


def shared_at(function, f: TaskFilters, **options):
    """(`function(filters=f, **options)`, when computed) as the report cache has it (at most once per
    REPORTS_CACHE_SECONDS).

    The SLA figures are also keyed by the SLA policy, so a new target or calendar shows at once;
    the flow figures do not depend on it and skip reading it.
    """
    name = f"{function.__module__}.{function.__name__}"
    parts = (f, policy_stamp()) if function.__module__ in (sla.__name__, kpis.__name__) else (f,)
    if options:
        parts += (tuple(sorted(options.items())),)
    return report_cache.remembered(name, parts, lambda: function(filters=f, **options))


def shared(function, f: TaskFilters, **options):
    """`function(filters=f, **options)` as the report cache has it."""
    return shared_at(function, f, **options)[0]


#: The headline figures: (key in reports.kpis, label, which way is better: 1 up, -1 down, 0 neither).
KPI_FIGURES = (
    ("compliance_pct", "SLA compliance", 1),
    ("breached", "SLA breached", -1),
    ("completed", "Completed", 1),
    ("cycle_p50_hours", "Median cycle time", -1),
    ("open", "Open", 0),
    ("at_risk", "At risk now", -1),
)


def _kpi_value(key: str, value) -> str:
    if value is None:
        return "—"
    if key == "compliance_pct":
        return f"{value:.1f} %"
    if key == "cycle_p50_hours":
        return figures.span(value)
    return f"{value:,}"


def _kpi_change(key: str, figure: dict, better: int) -> html.Small:
    """The change against the period before, coloured by whether it is good news."""
    value, previous = figure["value"], figure["previous"]
    if key == "at_risk":
        return html.Small("75 % or more of the target used", className="text-body-secondary")
    if value is None or previous is None:
        return html.Small("nothing to compare with", className="text-body-secondary")
    difference = value - previous
    if key == "compliance_pct":
        text = f"{difference:+.1f} pts"
    elif key == "cycle_p50_hours":
        text = f"{100 * difference / previous:+.0f} %" if previous else f"+{figures.span(difference)}"
    else:
        text = f"{difference:+,}"
    against = "since the start" if key == "open" else "vs before"
    if abs(difference) < 1e-9:
        return html.Small(f"no change {against}", className="text-body-secondary")
    good = better and (difference > 0) == (better > 0)
    tone = "text-body-secondary" if not better else "text-success" if good else "text-danger"
    arrow = "bi-arrow-up-right" if difference > 0 else "bi-arrow-down-right"
    return html.Small([html.I(className=f"bi {arrow} me-1"), f"{text} {against}"], className=f"{tone} fw-semibold")


def _period_caption(period: dict) -> str:
    """"30 Nov – 6 Dec 2026, against the 7 days before"."""
    start, end = period["date_from"].date(), (period["date_to"] - timedelta(microseconds=1)).date()
    days = (period["date_to"] - period["date_from"]).days
    first = f"{start.day} {start:%b}" + (f" {start:%Y}" if start.year != end.year else "")
    return f"{first} – {end.day} {end:%b %Y}, against the {days} day{'s' if days != 1 else ''} before"


def kpi_row(result: dict) -> html.Div:
    """The headline figures as a row of tiles, each with its change against the period before."""
    tiles = [
        dbc.Col(dbc.Card(dbc.CardBody([
            html.Div(label, className="small text-body-secondary text-truncate"),
            html.Div(_kpi_value(key, result[key]["value"]), className="fs-4 fw-semibold lh-sm",
                     id=f"{ids.ANALYTICS_KPIS}-{key}"),
            _kpi_change(key, result[key], better),
        ], className="p-2"), className="h-100"), xs=6, md=4, xl=2)
        for key, label, better in KPI_FIGURES
    ]
    return dbc.Row(tiles, className="g-2")


@callback(
    Output(ids.ANALYTICS_KPIS, "children"),
    Output(ids.ANALYTICS_KPI, "children"),
    *filter_inputs(ids.ANALYTICS),
)
def refresh(*controls):
    """The headline figures for the filters, when they were computed, and where from."""
    f = page_filters(controls)[1]
    result, computed = shared_at(kpis.kpis, f)
    caption = html.Span([f"{_period_caption(result['period'])} · as of ", times.when(computed, portal_user())],
                        className="small text-body-secondary", id=ids.ANALYTICS_AS_OF)
    return kpi_row(result), [caption, source_notice(f)]


@callback(
    Output({"type": ids.REPORT_CSV, "report": ALL, "table": ALL}, "href"),
    *filter_inputs(ids.ANALYTICS),
)
def refresh_csv_links(*controls):
    """Every Download CSV link, of every tab, with the current filters."""
    return csv_hrefs(page_filters(controls)[0])


#: The watchlist's tasks at first (the most urgent), added with each "Show more", and at most.
WATCHLIST_FIRST, WATCHLIST_STEP, WATCHLIST_MOST = 10, 25, 1000


@callback(
    Output(ids.ANALYTICS_WATCHLIST, "children"),
    Output(ids.ANALYTICS_WATCHLIST_SHOWN, "data"),
    Output(ids.ANALYTICS_WATCHLIST_MORE, "style"),
    Input(tab_filters("sla"), "data"),
    Input(ids.ANALYTICS_WATCHLIST_ORDER, "value"),
    Input(ids.ANALYTICS_WATCHLIST_MORE, "n_clicks"),
    State(ids.ANALYTICS_WATCHLIST_SHOWN, "data"),
    prevent_initial_call=True,
)
def refresh_watchlist(controls, order, _clicks, count):
    """The breached and at-risk tasks in the chosen order: the first few for new filters, more on "Show more"."""
    if not isinstance(controls, list):
        raise dash.exceptions.PreventUpdate
    more = ctx.triggered_id == ids.ANALYTICS_WATCHLIST_MORE and isinstance(count, int)
    limit = min(count + WATCHLIST_STEP, WATCHLIST_MOST) if more else WATCHLIST_FIRST
    order = order if order in (sla.URGENCY, sla.CHANCE) else sla.URGENCY
    rows = shared(sla.watchlist, page_filters(controls)[1], limit=limit + 1, order=order)  # one more: is there more?
    if more:  # only the new rows travel: appended to the table's body (its second child)
        table = Patch()
        table["props"]["children"][1]["props"]["children"].extend(watchlist_rows(rows.iloc[count:limit]))
    else:
        table = watchlist_table(rows.head(limit))
    return table, limit, more_style(len(rows) > limit and limit < WATCHLIST_MOST)


#: The figures of each tab: (tab, graph id, what draws it). One callback each, so the browser asks for
#: them at once and the server computes them side by side; each from the report cache, so viewers of
#: the same filters share one computation.
PANELS = [
    ("sla", ids.ANALYTICS_SLA_PRIORITY, lambda f: figures.sla_by_priority(shared(sla.compliance_by_priority, f))),
    ("sla", ids.ANALYTICS_SLA_WEEK, lambda f: figures.sla_by_week(shared(sla.compliance_by_week, f))),
    ("flow", ids.ANALYTICS_SANKEY, lambda f: figures.status_flow(shared(flow.transitions, f))),
    ("flow", ids.ANALYTICS_MATRIX, lambda f: figures.transition_matrix(shared(flow.transition_matrix, f))),
    ("flow", ids.ANALYTICS_TIME_IN_STATUS, lambda f: figures.time_in_status(shared(flow.time_in_status, f))),
    ("flow", ids.ANALYTICS_REWORK, lambda f: figures.rework(shared(flow.rework, f))),
    ("delivery", ids.ANALYTICS_CYCLE, lambda f: figures.cycle_lead(shared(flow.cycle_and_lead_times, f))),
    ("delivery", ids.ANALYTICS_THROUGHPUT, lambda f: figures.throughput(shared(flow.weekly_throughput, f))),
    ("delivery", ids.ANALYTICS_CFD, lambda f: figures.cumulative_flow(shared(flow.cumulative_flow, f))),
    ("delivery", ids.ANALYTICS_AGING, lambda f: figures.aging_wip(shared(flow.aging_wip, f))),
]


def panel_callback(render):
    def refresh_panel(controls):
        """One figure for the filters its tab was shown with."""
        if not isinstance(controls, list):
            raise dash.exceptions.PreventUpdate
        return render(page_filters(controls)[1])

    return refresh_panel


for _tab, _graph, _render in PANELS:
    callback(Output(_graph, "figure"), Input(tab_filters(_tab), "data"), prevent_initial_call=True)(
        panel_callback(_render))


@callback(
    Output(ids.ANALYTICS_FORECAST_SUMMARY, "children"),
    Output(ids.ANALYTICS_FORECAST, "figure"),
    Input(tab_filters("forecast"), "data"),
    Input(ids.ANALYTICS_FORECAST_WEEKS, "value"),
    Input(ids.ANALYTICS_FORECAST_BY, "date"),
    prevent_initial_call=True,
)
def refresh_forecast(controls, weeks, by):
    """The forecast for the filters its tab was shown with, the weeks sampled and the chosen day."""
    if not isinstance(controls, list):
        raise dash.exceptions.PreventUpdate
    f = page_filters(controls)[1]
    weeks = weeks_of(weeks)
    day = date.fromisoformat(by[:10]) if by else None
    try:
        result = forecast.forecast(filters=f, weeks=weeks, by=day)
    except ValidationFailed:  # a day no longer ahead (the page was opened before midnight): the dates alone
        result = forecast.forecast(filters=f, weeks=weeks)
    return forecast_summary(result), figures.forecast(result)


def _people_day(iso_day: str) -> str:
    """An ISO day as people read it: "2 Nov 2026"."""
    return times.day(date.fromisoformat(str(iso_day)))


def drill_selection(spec: dict) -> tuple[str, drill.Drill]:
    """(what was clicked, the tasks behind it) for a click on one of the page's figures: `spec` holds the figure's id
    (`source`), the clicked element's customdata (`point`) and the page's filters (`query`)."""
    source, data, f = spec["source"], spec["point"], report_filters(spec["query"])
    if source == ids.ANALYTICS_SANKEY:
        from_status, to_status = str(data).split(figures.LINK_SEPARATOR)
        return f"{from_status} → {to_status}", drill.transition_tasks(filters=f, from_status=from_status,
                                                                      to_status=to_status)
    if source == ids.ANALYTICS_SLA_PRIORITY:
        priority, outcome = data
        return f"{priority}: {outcome}", drill.sla_tasks(filters=drill.narrowed(f, priority=Priority(priority)),
                                                         outcome=outcome)
    if source == ids.ANALYTICS_SLA_WEEK:
        week, outcome = data
        return f"Week of {_people_day(week)}: {outcome}", drill.sla_tasks(
            filters=drill.narrowed(f, week=date.fromisoformat(week)), outcome=outcome)
    if source == ids.ANALYTICS_THROUGHPUT:
        return f"Completed in the week of {_people_day(data)}", drill.completed_tasks(
            filters=drill.narrowed(f, week=date.fromisoformat(data)))
    if source == ids.ANALYTICS_CFD:
        day, status = data
        return f"{status} at the end of {_people_day(day)}", drill.status_on_day_tasks(filters=f, day=date.fromisoformat(day),
                                                                          status=status)
    if source == ids.ANALYTICS_MATRIX:
        from_status, to_status = str(data).split(figures.LINK_SEPARATOR)
        return f"{from_status} → {to_status}", drill.transition_tasks(filters=f, from_status=from_status,
                                                                      to_status=to_status)
    if source == ids.ANALYTICS_REWORK:
        return ("Reopened" if data == "reopened" else "Handed back"), drill.reworked_tasks(filters=f, kind=str(data))
    if source == ids.ANALYTICS_TIME_IN_STATUS:
        return f"Left {data}", drill.left_status_tasks(filters=f, status=str(data))
    if source in (ids.ANALYTICS_CYCLE, ids.ANALYTICS_AGING):  # scatter points are single tasks
        return "Task", drill.one_task(uuid.UUID(str(data)))
    raise KeyError(source)


DRILL = PagedList(ids.ANALYTICS_DRILL_ROWS, ids.ANALYTICS_DRILL_CURSOR, ids.ANALYTICS_DRILL_MORE)
register_more(DRILL, ids.ANALYTICS_DRILL_SPEC, drill_selection)


#: The figures a click drills into, per tab: a tab's graphs are in the page only once it has been shown,
#: and a callback asks for all its inputs or none.
DRILLED = {
    "sla": (ids.ANALYTICS_SLA_PRIORITY, ids.ANALYTICS_SLA_WEEK),
    "flow": (ids.ANALYTICS_SANKEY, ids.ANALYTICS_MATRIX, ids.ANALYTICS_TIME_IN_STATUS, ids.ANALYTICS_REWORK),
    "delivery": (ids.ANALYTICS_CYCLE, ids.ANALYTICS_THROUGHPUT, ids.ANALYTICS_CFD, ids.ANALYTICS_AGING),
}


def drill_through(*args):
    """The tasks behind the bar, link, cell or point just clicked, in a side panel."""
    filters = args[-(len(FILTERS) + 1):]  # the dates are two controls
    source = ctx.triggered_id
    data = ctx.triggered[0]["value"] if ctx.triggered else None
    if reader() is None or not source or not data or not data.get("points"):
        return no_update, no_update
    spec = {"source": source, "point": data["points"][0].get("customdata"), "query": query_of(*filters)}
    heading, drilled = drill_selection(spec)
    return drill_list(DRILL, ids.ANALYTICS_DRILL_SPEC, heading, drilled, spec, dismissable=False), True


for _graphs in DRILLED.values():
    callback(
        Output(ids.ANALYTICS_DRILL, "children", allow_duplicate=True),
        Output(f"{ids.ANALYTICS_DRILL}-panel", "is_open", allow_duplicate=True),
        *[Input(graph_id, "clickData") for graph_id in _graphs],
        *filter_states(ids.ANALYTICS),
        prevent_initial_call=True,
    )(drill_through)


@callback(
    Output(ids.SLA_WHAT_IF_MESSAGE, "children"),
    Output(ids.SLA_WHAT_IF_RESULT, "children"),
    *[Output(what_if_input(p), "invalid") for p in Priority],
    *[Output(f"{what_if_input(p)}-error", "children") for p in Priority],
    Input(ids.SLA_WHAT_IF_RUN, "n_clicks"),
    Input(ids.SLA_WHAT_IF_FILTERS, "data"),
    State(tab_filters("sla"), "data"),
    *[State(what_if_input(p), "value") for p in Priority],
    prevent_initial_call=True,
)
def recompute_what_if(clicks, _changed, controls, *values):
    """The what-if table for the typed targets, on Recompute and again when the SLA tab's filters change once it
    has been computed (the tab's filters, not the controls: its card is in the page only once the tab has been shown)."""
    if not clicks or reader() is None or not isinstance(controls, list):
        raise dash.exceptions.PreventUpdate
    message, table, invalid, errors = what_if_view(values, query_of(*controls))
    return message, table, *invalid, *errors

