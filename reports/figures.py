"""Plotly figures of the report frames: small frames in, one Figure out, nothing computed twice.

Clickable elements carry `customdata` naming what they stand for, so the portal can drill into the
tasks behind them (reports.drill).
"""
import inspect
import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from db.models import Priority
from reports.flow import STATUS_ORDER

PRIORITY_ORDER = [priority.value for priority in Priority]
PRIORITY_COLOURS = {"Low": "#6c9bd2", "Medium": "#f0ad4e", "High": "#e8743b", "Critical": "#c0392b"}
STATUS_COLOURS = {"New": "#6c757d", "In Progress": "#0d6efd", "On Hold": "#ffc107", "Completed": "#198754", "Cancelled": "#adb5bd"}
OUTCOME_COLOURS = {"met": "#198754", "breached": "#dc3545"}
#: Separates the two statuses of a Sankey link in its customdata (status names never contain it).
LINK_SEPARATOR = "→"


def definition(function) -> str:
    """A metric's definition: its function's docstring, the one place it is written down."""
    return " ".join(inspect.cleandoc(function.__doc__ or "").split())


#: The trace types the figures draw (the portal's Plotly bundle holds these and Sankey, which no template styles).
TEMPLATED_TRACES = ("bar", "scatter", "heatmap")
#: Layout parts (subplot kinds, the shared colour axis) no figure draws: plotly_white styles them, and every figure
#: would carry and apply that.
UNUSED_SUBPLOTS = ("geo", "polar", "scene", "ternary", "coloraxis", "mapbox", "map")


def _portal_template() -> go.layout.Template:
    """plotly_white cut to what the figures draw: a seventh of its size, to build, send and apply with each figure."""
    white = pio.templates["plotly_white"]
    layout = {key: value for key, value in white.layout.to_plotly_json().items() if key not in UNUSED_SUBPLOTS}
    return go.layout.Template(layout=layout, data={kind: white.data[kind] for kind in TEMPLATED_TRACES})


TEMPLATE = _portal_template()


def _layout(figure: go.Figure, **layout) -> go.Figure:
    defaults = {"margin": {"l": 40, "r": 10, "t": 10, "b": 40}, "height": 300, "legend": {"orientation": "h", "y": -0.2},
                "clickmode": "event", "template": TEMPLATE}
    figure.update_layout(**{**defaults, **layout})
    return figure


def _empty(text: str = "No data for these filters") -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return _layout(figure)


def sla_by_priority(frame: pd.DataFrame) -> go.Figure:
    """Met and breached per priority, stacked; each bar's customdata is [priority, outcome]."""
    rows = frame[frame["priority"] != "All"]
    figure = go.Figure()
    for outcome in ("met", "breached"):
        figure.add_bar(
            x=rows["priority"], y=rows[outcome], name=outcome.capitalize(), marker_color=OUTCOME_COLOURS[outcome],
            customdata=[[priority, outcome] for priority in rows["priority"]],
            hovertemplate="%{x}: %{y} " + outcome + "<extra></extra>",
        )
    return _layout(figure, barmode="stack", yaxis_title="Tasks")


def _week_axis(weeks) -> dict:
    """An axis of weeks (their Mondays, ISO text) labelled for people ("7 Sep"), never cut on a narrow screen."""
    # Categories: as dates, a single week's bar gets an axis of fractions of a second.
    weeks = [str(week) for week in weeks]
    labels = [f"{monday.day} {monday:%b}" for monday in map(date.fromisoformat, weeks)]
    return {"type": "category", "tickvals": weeks, "ticktext": labels, "automargin": True}


def sla_by_week(frame: pd.DataFrame) -> go.Figure:
    """Weekly met and breached bars, with the compliance % line on a second axis; customdata [week, outcome]."""
    if frame.empty:
        return _empty()
    figure = go.Figure()
    for outcome in ("met", "breached"):
        figure.add_bar(
            x=frame["week"], y=frame[outcome], name=outcome.capitalize(), marker_color=OUTCOME_COLOURS[outcome],
            customdata=[[week, outcome] for week in frame["week"]],
        )
    figure.add_scatter(
        x=frame["week"], y=frame["compliance_pct"], name="Compliance %", yaxis="y2", mode="lines+markers",
        line_color="#6f42c1",  # seen on the light and the dark theme alike
    )
    return _layout(
        figure, barmode="stack", yaxis_title="Tasks", xaxis=_week_axis(frame["week"]),
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "dtick": 20, "title": "%"},
    )


def status_flow(frame: pd.DataFrame) -> go.Figure:
    """The transitions as a Sankey: one node per status, links sized by count, median hours in the hover.

    A link's customdata is "<from>→<to>".
    """
    if frame.empty:
        return _empty("No status changes in this period")
    statuses = [status for status in STATUS_ORDER if status in set(frame["from_status"]) | set(frame["to_status"])]
    index = {status: number for number, status in enumerate(statuses)}
    hours = [f"{h:.1f}" if pd.notna(h) else "–" for h in frame["median_hours_in_source"]]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": statuses, "color": [STATUS_COLOURS.get(s, "#999") for s in statuses], "pad": 18},
            link={
                "source": [index[s] for s in frame["from_status"]],
                "target": [index[s] for s in frame["to_status"]],
                "value": frame["count"].tolist(),
                # Grey at a third: seen on the light and the dark theme alike.
                "color": "rgba(128, 128, 128, 0.35)",
                "customdata": [f"{a}{LINK_SEPARATOR}{b}" for a, b in zip(frame["from_status"], frame["to_status"])],
                # A link's label holds the median: Sankey hovers read no second customdata field.
                "label": [f"median {h} h in {a}" for h, a in zip(hours, frame["from_status"])],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value} moves<br>%{label}<extra></extra>",
            },
        )
    )
    return _layout(figure, height=340)


def transition_matrix(matrix: pd.DataFrame) -> go.Figure:
    """Moves from each status (rows) to each status (columns) as a heatmap with the counts written in; a cell's
    customdata is "<from>→<to>", as a Sankey link's."""
    if not matrix.to_numpy().any():
        return _empty("No status changes in this period")
    froms, tos = list(matrix.index), list(matrix.columns)
    cells = [[f"{a}{LINK_SEPARATOR}{b}" for b in tos] for a in froms]
    counts = matrix.to_numpy()
    figure = go.Figure(go.Heatmap(
        z=counts, x=tos, y=froms, customdata=cells, colorscale="Blues", showscale=False, xgap=2, ygap=2,
        text=[[f"{n:,}" if n else "" for n in row] for row in counts], texttemplate="%{text}",
        hovertemplate="%{y} → %{x}: %{z:,} moves<extra></extra>",
    ))
    return _layout(figure, height=340, xaxis={"title": "To", "side": "top", "automargin": True},
                   yaxis={"title": "From", "autorange": "reversed", "automargin": True},
                   margin={"l": 10, "r": 10, "t": 40, "b": 10})


#: The rework bars: (what they count, its key in flow.rework, the distinct tasks' key, colour).
REWORK_BARS = (("reopened", "Reopens", "reopens", "reopened_tasks", "#e8743b"),
               ("handed_back", "Hand-backs", "ping_pong_reassignments", "ping_pong_tasks", "#6f42c1"))


def rework(counts: dict) -> go.Figure:
    """Reopens and ping-pong hand-backs in the period, with the tasks they happened to; customdata the kind."""
    figure = go.Figure()
    for kind, label, events, tasks, colour in REWORK_BARS:
        figure.add_bar(x=[counts[events]], y=[label], orientation="h", marker_color=colour, customdata=[kind],
                       text=[f"{counts[events]:,} in {counts[tasks]:,} task{'s' if counts[tasks] != 1 else ''}"],
                       textposition="auto", hovertemplate="%{y}: %{text}<extra></extra>", name=label)
    return _layout(figure, height=200, showlegend=False, xaxis_title="Times", yaxis={"automargin": True},
                   margin={"l": 10, "r": 10, "t": 10, "b": 40})


def time_in_status(frame: pd.DataFrame) -> go.Figure:
    """Median and 85th percentile time in each status (stays ended in the period); customdata the status."""
    if frame.empty:
        return _empty("No stays ended in this period")
    figure = go.Figure()
    for column, name, opacity in (("median_hours", "Median", 1.0), ("p85_hours", "85th percentile", 0.45)):
        hours = frame[column]
        figure.add_bar(
            y=frame["status"], x=hours, orientation="h", name=name, customdata=frame["status"],
            marker={"color": [STATUS_COLOURS.get(s, "#999") for s in frame["status"]], "opacity": opacity},
            text=[span(h) if h == h else "" for h in hours], textposition="auto",
            hovertemplate="%{y}, " + name.lower() + ": %{text}<extra></extra>",
        )
    return _layout(figure, barmode="group", height=300, xaxis={"title": "Hours", "rangemode": "tozero"},
                   yaxis={"autorange": "reversed", "automargin": True}, margin={"l": 10, "r": 10, "t": 10, "b": 40})


def span(hours: float) -> str:
    """A length of time in its two largest units: `3 d 4 h`, `5 h 20 min`, `12 min`."""
    minutes = round(abs(hours) * 60)
    days, minutes = divmod(minutes, 24 * 60)
    whole_hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {whole_hours} h" if whole_hours else f"{days} d"
    if whole_hours:
        return f"{whole_hours} h {minutes} min" if minutes else f"{whole_hours} h"
    return f"{minutes} min"


#: The cycle-time percentile lines of the control chart, and their colours.
CYCLE_LINES = {50: "#198754", 85: "#e8743b", 95: "#c0392b"}


def cycle_lead(result: dict) -> go.Figure:
    """A control chart: each completed task's cycle time (and, on demand, lead time) against its completion, on a log
    axis, with the cycle time's p50, p85 and p95 as lines labelled at the right edge; customdata task id."""
    points = result["points"]
    if points.empty:
        return _empty("No tasks completed in this period")
    figure = go.Figure()
    # Milliseconds since 1970 on a date axis: a typed array a third the size of 2,000 ISO strings.
    completed = (points["completed_at"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    for measure, colour, shown in (("cycle", "#0d6efd", True), ("lead", "#6f42c1", "legendonly")):
        hours = points[f"{measure}_hours"]
        figure.add_scatter(
            x=completed, y=hours, mode="markers", name=f"{measure.capitalize()} time", visible=shown,
            marker={"color": colour, "size": 6, "opacity": 0.6}, customdata=points["task_id"].astype(str),
            # The shown trace's hover says "3 d 4 h"; the hidden lead trace's, hours (its words would add 26 KB).
            text=[span(value) if value == value else "" for value in hours] if shown is True else None,
            hovertemplate=("%{text}" if shown is True else "%{y:.1f} h") + " · completed %{x|%d %b %Y %H:%M}<extra></extra>",
        )
    for percent, colour in CYCLE_LINES.items():
        value = result.get(f"cycle_p{percent}_hours")
        if value is None or value <= 0:
            continue
        # A shape and a label in the right margin: one line each, never on top of the points.
        figure.add_shape(type="line", xref="paper", x0=0, x1=1, y0=value, y1=value, line={"color": colour, "dash": "dash"})
        figure.add_annotation(xref="paper", x=1, y=math.log10(value), text=f"p{percent} {span(value)}", showarrow=False,
                              xanchor="left", font={"color": colour, "size": 11})
    if len(points) < result["tasks"]:  # the server sends the latest completions only; say so
        figure.add_annotation(xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="bottom", showarrow=False,
                              text=f"latest {len(points):,} of {result['tasks']:,} tasks shown; lines over all",
                              font={"size": 11})
    # A label per power of ten only: Plotly's in-between 2s and 5s read as noise on a narrow chart.
    return _layout(figure, xaxis={"type": "date"}, yaxis={"type": "log", "title": "Cycle time (hours)", "dtick": 1}, height=340,
                   margin={"l": 50, "r": 90, "t": 24, "b": 40})


def throughput(frame: pd.DataFrame) -> go.Figure:
    """Tasks completed per week; customdata the week."""
    if frame.empty:
        return _empty("No tasks completed in this period")
    weeks = [str(week) for week in frame["week"]]
    figure = go.Figure(go.Bar(x=weeks, y=frame["completed"], customdata=weeks, marker_color="#198754", name="Completed"))
    return _layout(figure, yaxis_title="Completed", xaxis=_week_axis(weeks))


def cumulative_flow(frame: pd.DataFrame) -> go.Figure:
    """Tasks per status at the end of each day, stacked areas in lifecycle order (Completed at the bottom)."""
    if frame.empty:
        return _empty()
    figure = go.Figure()
    for status in reversed(STATUS_ORDER):
        rows = frame[frame["status"] == status]
        days = [str(day) for day in rows["day"]]
        figure.add_scatter(
            x=days, y=rows["tasks"], name=status, stackgroup="flow", mode="lines",
            line={"width": 0.5, "color": STATUS_COLOURS[status]}, customdata=[[day, status] for day in days],
        )
    return _layout(figure, yaxis_title="Tasks")


def aging_wip(result: dict) -> go.Figure:
    """Open tasks per status by age, with the 85th percentile cycle time as the line to beat; customdata task id."""
    points = result["points"]
    if points.empty:
        return _empty("No open tasks")
    figure = go.Figure()
    for status in [s for s in STATUS_ORDER if s in set(points["status"])]:
        rows = points[points["status"] == status]
        figure.add_scatter(
            x=rows["status"], y=rows["age_hours"], mode="markers", name=status,
            marker={"color": STATUS_COLOURS[status], "size": 8, "opacity": 0.7},
            customdata=rows["task_id"].astype(str), text=rows["title"], hovertemplate="%{text}<br>%{y:.1f} h<extra></extra>",
        )
    if result.get("cycle_p85_hours") is not None:
        figure.add_hline(y=result["cycle_p85_hours"], line_dash="dash", line_color="#dc3545",
                         annotation_text=f"cycle p85 {result['cycle_p85_hours']:.1f} h")
    return _layout(figure, yaxis_title="Age (hours)", showlegend=False)


def workload_by_assignee(frame: pd.DataFrame) -> go.Figure:
    """Open tasks per assignee stacked by priority, overdue in the hover; customdata [assignee id, priority]."""
    if frame.empty:
        return _empty("No open assigned tasks")
    names = frame["assignee_name"].tolist()
    figure = go.Figure()
    for priority in PRIORITY_ORDER:
        figure.add_bar(
            y=names, x=frame[priority], orientation="h", name=priority, marker_color=PRIORITY_COLOURS[priority],
            customdata=[[str(a), priority, o, w] for a, o, w in zip(frame["assigned_to"], frame["overdue"], frame["weighted_load"])],
            hovertemplate="%{y}: %{x} " + priority + "<br>overdue %{customdata[2]}, weighted load %{customdata[3]}<extra></extra>",
        )
    return _layout(figure, barmode="stack", height=max(260, 28 * len(names) + 80), yaxis={"autorange": "reversed", "dtick": 1},
                   legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0}, margin={"l": 40, "r": 10, "t": 36, "b": 40},
                   xaxis_title="Open tasks")


def workload_by_department(frame: pd.DataFrame) -> go.Figure:
    """Open tasks per department stacked by priority; customdata [department, priority]."""
    if frame.empty:
        return _empty("No open assigned tasks")
    departments = [d if isinstance(d, str) else "(none)" for d in frame["department"]]
    figure = go.Figure()
    for priority in PRIORITY_ORDER:
        figure.add_bar(
            x=departments, y=frame[priority], name=priority, marker_color=PRIORITY_COLOURS[priority],
            customdata=[[d, priority] for d in frame["department"].where(frame["department"].notna(), None)],
        )
    return _layout(figure, barmode="stack", yaxis_title="Open tasks")


#: The confidences of a forecast, as its figure marks them.
FORECAST_MARKS = {50: "#198754", 85: "#e8743b", 95: "#c0392b"}


def forecast(result: dict) -> go.Figure:
    """How many of the trials were done on each day, with the days 50, 85 and 95 % of them were done by marked."""
    bars = result["histogram"]
    if not bars:
        return _empty("Nothing open" if not result["backlog"] else "No task was completed in the sampled weeks")
    figure = go.Figure()
    figure.add_bar(x=[bar["date"] for bar in bars], y=[bar["trials"] for bar in bars], marker_color="#6c9bd2",
                   hovertemplate="Done on %{x|%a %d %b %Y}: %{y} trials<extra></extra>")
    for percent, colour in FORECAST_MARKS.items():
        day = result["when"][f"p{percent}"]
        if day is None:
            continue
        # A shape and an annotation, not add_vline: its label placement does arithmetic on the date.
        figure.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, yref="paper", line={"color": colour, "dash": "dash"})
        figure.add_annotation(x=day, y=1, yref="paper", text=f"{percent} %", showarrow=False, yanchor="bottom",
                              font={"color": colour})
    return _layout(figure, yaxis_title="Trials", showlegend=False, bargap=0.05, margin={"l": 50, "r": 10, "t": 24, "b": 40},
                   xaxis={"tickformat": "%d %b"})
