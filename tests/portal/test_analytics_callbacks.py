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
