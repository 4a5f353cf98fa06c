"""The analytics pages' pure pieces: filters from the controls, definitions, figures and their drill data."""
import pandas as pd
import pytest

from reports import figures, flow, sla


@pytest.fixture
def analytics(app):
    """The page module, imported once Dash (made by the app) may register pages."""
    from portal.components import analytics

    return analytics


def test_controls_become_the_report_query_with_the_end_date_included(analytics):
    query = analytics.query_of("2026-01-05", "2026-01-11", "Field", "none", "High", "  vip ")
    assert query == {
        "date_from": "2026-01-05T00:00:00Z", "date_to": "2026-01-12T00:00:00Z", "department": "Field",
        "assigned_to": "none", "priority": "High", "tag": "vip",
    }
    assert analytics.query_of(None, None, None, None, None, "") == {}


def test_invalid_filters_are_dropped_not_fatal(analytics):
    filters = analytics.report_filters({"date_from": "2026-02-01T00:00:00Z", "date_to": "2026-01-01T00:00:00Z", "tag": "vip"})
    assert (filters.date_from, filters.date_to, filters.tag) == (None, None, "vip")


def test_definitions_are_the_metric_docstrings():
    assert figures.definition(sla.compliance).startswith("SLA compliance: the share of tasks that met")
    assert "\n" not in figures.definition(flow.aging_wip)


def test_sankey_links_name_their_statuses_and_medians():
    frame = pd.DataFrame({"from_status": ["New", "In Progress"], "to_status": ["In Progress", "Completed"],
                          "count": [2, 1], "median_hours_in_source": [1.5, float("nan")]})
    link = figures.status_flow(frame).data[0].link
    assert list(link.customdata) == ["New→In Progress", "In Progress→Completed"]
    assert list(link.label) == ["median 1.5 h in New", "median – h in In Progress"]
    assert list(link.value) == [2, 1]


def test_empty_frames_make_an_empty_figure_not_an_error():
    empty = pd.DataFrame({"from_status": [], "to_status": [], "count": [], "median_hours_in_source": []})
    assert figures.status_flow(empty).layout.annotations[0].text.startswith("No status changes")
    assert figures.aging_wip({"points": pd.DataFrame(), "cycle_p85_hours": None}).data == ()


def test_the_page_says_when_its_figures_come_from_the_history(app):
    """A tag is not in the analytics facts: the KPI card says the figures were computed from the history."""
    from domain.filters import TaskFilters
    from portal.pages import analytics as page

    with app.app_context():
        assert page.source_notice(TaskFilters(priority="High")) is None
        assert "tag is not kept in the analytics facts" in page.source_notice(TaskFilters(tag="vip")).children


def _text(component) -> str:
    """The visible text of a Dash component tree."""
    if isinstance(component, (list, tuple)):
        return "".join(_text(child) for child in component)
    if isinstance(component, str):
        return component
    return _text(getattr(component, "children", None) or "")


def test_the_forecast_marks_its_confidences_and_says_them_in_sentences(app):
    from datetime import date

    from portal.pages import analytics as page

    result = {
        "weeks": 12, "backlog": 3, "completed_in_history": 1234, "trials": 10_000,
        "when": {"p50": date(2027, 1, 4), "p85": date(2027, 1, 6), "p95": None}, "not_within_horizon": 600,
        "histogram": [{"date": date(2027, 1, 4), "trials": 6000}, {"date": date(2027, 1, 6), "trials": 3400}],
        "how_many": {"date": date(2027, 1, 10), "p50": 12, "p85": 9, "p95": 7},
    }
    figure = figures.forecast(result)
    assert [annotation.text for annotation in figure.layout.annotations] == ["50 %", "85 %"]
    assert list(figure.data[0].y) == [6000, 3400]
    said = _text(page.forecast_summary(result))
    assert "3 open tasks; 1,234 completed in the last 12 weeks, sampled 10,000 times." in said
    assert "50 % 4 Jan 2027 · 85 % 6 Jan 2027 · 95 % not within three years" in said
    assert "By 10 Jan 2027: 50 % at least 12 · 85 % at least 9 · 95 % at least 7" in said
    nothing = {**result, "backlog": 0, "histogram": [], "how_many": None}
    assert figures.forecast(nothing).layout.annotations[0].text == "Nothing open"
    assert "Done by" not in _text(page.forecast_summary(nothing))


@pytest.mark.parametrize(("hours", "said"), [
    (-2034.4, "84 d 18 h overdue"), (-48, "2 d overdue"), (5 + 20 / 60, "5 h 20 min left"), (3, "3 h left"),
    (0.2, "12 min left"), (-0.5, "30 min overdue"),
])
def test_time_left_is_said_in_its_two_largest_units(app, hours, said):
    from portal.pages import analytics as page

    assert page.time_left(hours) == said


def test_weeks_are_labelled_for_people_and_keep_their_monday_for_drill_through():
    frame = pd.DataFrame({"week": ["2026-09-07", "2026-09-14"], "met": [3, 4], "breached": [1, 0],
                          "compliance_pct": [75.0, 100.0]})
    figure = figures.sla_by_week(frame)
    assert list(figure.layout.xaxis.ticktext) == ["7 Sep", "14 Sep"] and figure.layout.xaxis.automargin
    assert [list(point) for point in figure.data[0].customdata] == [["2026-09-07", "met"], ["2026-09-14", "met"]]


def test_matrix_cells_rework_and_time_in_status_carry_their_drill_data():
    matrix = pd.DataFrame([[0, 2], [1, 0]], index=["New", "In Progress"], columns=["New", "In Progress"])
    heatmap = figures.transition_matrix(matrix).data[0]
    assert heatmap.customdata[0][1] == "New→In Progress" and heatmap.text[0][1] == "2" and heatmap.text[0][0] == ""
    assert figures.transition_matrix(matrix * 0).layout.annotations[0].text.startswith("No status changes")
    rework = figures.rework({"reopens": 3, "reopened_tasks": 2, "ping_pong_reassignments": 1, "ping_pong_tasks": 1})
    assert [(bar.customdata[0], bar.text[0]) for bar in rework.data] == [("reopened", "3 in 2 tasks"),
                                                                         ("handed_back", "1 in 1 task")]
    stays = pd.DataFrame({"status": ["New"], "stays": [4], "median_hours": [2.5], "p85_hours": [50.0]})
    bars = figures.time_in_status(stays).data
    assert list(bars[0].customdata) == ["New"] and list(bars[1].text) == ["2 d 2 h"]


def test_a_cycle_chart_of_some_of_its_tasks_says_how_many_it_shows():
    points = pd.DataFrame({"task_id": ["a"], "completed_at": [pd.Timestamp("2026-01-05", tz="UTC")],
                           "cycle_hours": [2.0], "lead_hours": [3.0]})
    result = {"points": points, "tasks": 5, "cycle_p50_hours": 2.0, "cycle_p85_hours": 3.0, "cycle_p95_hours": 4.0}
    texts = [note.text for note in figures.cycle_lead(result).layout.annotations]
    assert "latest 1 of 5 tasks shown; lines over all" in texts
    assert not any("shown" in note.text for note in figures.cycle_lead({**result, "tasks": 1}).layout.annotations)


def test_the_address_gives_the_filters_and_drops_what_is_not_one(analytics):
    query = {"from": "2026-11-02", "to": "not a day", "priority": "Urgent", "tag": " vip ", "department": "Field",
             "assignee": "8d0f8a1e-0d5c-4a43-9a43-6a2a5a6f0b11"}
    assert analytics.url_filters(query) == {"from": "2026-11-02", "tag": "vip", "department": "Field",
                                            "assignee": "8d0f8a1e-0d5c-4a43-9a43-6a2a5a6f0b11"}
    assert analytics.url_filters({"assignee": "someone", "priority": "High"}) == {"priority": "High"}


def test_kpi_tiles_say_the_change_and_whether_it_is_good_news(app):
    from datetime import datetime, timezone

    from portal.pages import analytics as page

    start = datetime(2026, 11, 30, tzinfo=timezone.utc)
    result = {
        "period": {"date_from": start, "date_to": datetime(2026, 12, 7, tzinfo=timezone.utc), "previous_from": None},
        "compliance_pct": {"value": 90.0, "previous": 85.5}, "breached": {"value": 4, "previous": 2},
        "completed": {"value": 10, "previous": 10}, "cycle_p50_hours": {"value": 30.0, "previous": 20.0},
        "open": {"value": 7, "previous": 9}, "at_risk": {"value": 3, "previous": None},
    }
    text = str(page.kpi_row(result))
    for said in ("90.0 %", "+4.5 pts vs before", "+2 vs before", "no change vs before", "1 d 6 h", "+50 % vs before",
                 "-2 since the start", "75 % or more of the target used"):
        assert said in text
    assert page._kpi_change("breached", result["breached"], -1).className.startswith("text-danger")
    assert page._kpi_change("compliance_pct", result["compliance_pct"], 1).className.startswith("text-success")
    assert page._period_caption(result["period"]) == "30 Nov – 6 Dec 2026, against the 7 days before"
