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
    assert "50 % Mon 04 Jan 2027 · 85 % Wed 06 Jan 2027 · 95 % not within three years" in said
    assert "By Sun 10 Jan 2027: 50 % at least 12 · 85 % at least 9 · 95 % at least 7" in said
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
