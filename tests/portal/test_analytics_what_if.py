"""The analytics page's SLA what-if card: hours typed per priority, today's compliance beside the tried
targets' with the change, inline errors for targets that cannot be, and nothing saved."""
import uuid

import pytest
from flask_login import login_user

from auth import SessionUser
from db.models import Priority, Role
from reports import policy
from tests.reports.conftest import HistoryBuilder, at
from workflow import sla as sla_policy

IP, HOLD, DONE = "In Progress", "On Hold", "Completed"
NOW = at(300)


@pytest.fixture
def analytics(app):
    """The page module, imported once Dash (made by the app) may register pages."""
    from portal.pages import analytics

    return analytics


@pytest.fixture
def marker():
    return f"wi{uuid.uuid4().hex[:10]}"


@pytest.fixture
def known(ctx, make_user, marker):
    """Known clocks (default targets: Critical 4 h, High 24 h): Critical 3.5 h met, 13.5 h breached and one
    open since hour 1 (breached); High 20 h over a reopen and 2 h, both met."""
    build = HistoryBuilder(make_user(Role.MANAGER), marker)
    build.task([(1, IP), (3, HOLD), (13, IP), (13.5, DONE)], priority=Priority.CRITICAL)
    build.task([(1, IP), (13.5, DONE)], priority=Priority.CRITICAL)
    build.task([(1, IP)], priority=Priority.CRITICAL)
    build.task([(1, IP), (10, DONE), (200, IP), (210, DONE)], priority=Priority.HIGH)
    build.task([(1, IP), (2, DONE)], priority=Priority.HIGH)
    return marker


def text(component) -> str:
    """The text a component shows, its children's included."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(text(child) for child in component)
    return text(getattr(component, "children", None))


def table_rows(table) -> dict:
    """{priority: {column: text}} of the what-if table."""
    body = table.children[1]
    rows = {}
    for row in body.children:
        cells = {getattr(cell, "data-col"): " ".join(text(cell).split()) for cell in row.children[1:]}
        rows[getattr(row, "data-priority")] = cells
    return rows


def test_hours_become_whole_minutes_and_impossible_targets_are_named(analytics):
    # In the form's order: Low, Medium, High, Critical.
    targets, errors = analytics.what_if_targets([8784, 0.25, "1,5", 4])
    assert targets == {"Low": 527040, "Medium": 15, "High": 90, "Critical": 240} and errors == {}
    targets, errors = analytics.what_if_targets([8785, -2, 0, None])
    assert targets == {}
    assert errors == {
        "Low": "Enter at most 8784 hours (a year).", "Medium": "Enter more than 0 hours.",
        "High": "Enter more than 0 hours.", "Critical": "Enter a target in hours.",
    }
    assert analytics.what_if_targets([1, 1, "x", 0.001])[1] == {
        "High": "Enter a target in hours.", "Critical": "Enter at least one minute (0.02 hours).",
    }


def test_what_if_table_has_a_known_answer(analytics, known):
    message, table, invalid, errors = analytics.what_if_view([168, 72, 10, 13.75], {"tag": known}, now=NOW)
    assert message is None and invalid == [False] * 4 and errors == [None] * 4
    rows = table_rows(table)
    # Critical at 13 h 45: the 13.5 h task meets it; the open one passed it long ago.
    assert rows["Critical"] == {
        "target": "4 h", "today": "33.3 % 1 met · 2 breached", "target-what-if": "13.75 h",
        "what-if": "66.7 % 2 met · 1 breached", "change": "+33.3 pts",
    }
    # High at 10 h: the 20 h task breaches it.
    assert rows["High"]["today"] == "100.0 % 2 met · 0 breached"
    assert rows["High"]["what-if"] == "50.0 % 1 met · 1 breached"
    assert rows["High"]["change"] == "-50.0 pts"
    assert rows["Medium"] == {"target": "72 h", "today": "— 0 met · 0 breached", "target-what-if": "72 h",
                              "what-if": "— 0 met · 0 breached", "change": "—"}
    # Overall one more met and one more breached: the same share.
    assert rows["All"]["today"] == "60.0 % 3 met · 2 breached"
    assert rows["All"]["what-if"] == "60.0 % 3 met · 2 breached"
    assert rows["All"]["change"] == "no change"


def test_recompute_callback_for_a_signed_in_reader_changes_no_target(app, analytics, known, make_user):
    before = policy.get_targets()
    controls = [None, None, None, None, None, known]
    with app.test_request_context():
        login_user(SessionUser(make_user(Role.VIEWER)))
        message, table, *flags = analytics.recompute_what_if(1, None, controls, 168, 72, 1, 4)
    assert message is None and flags == [False] * 4 + [None] * 4
    # High at 1 h: both High tasks (2 h and 20 h) breach it.
    assert table_rows(table)["High"]["what-if"].startswith("0.0 %")
    assert policy.get_targets() == before


def test_invalid_targets_show_inline_errors_not_a_table(app, analytics, make_user):
    with app.test_request_context():
        login_user(SessionUser(make_user(Role.MANAGER)))
        message, table, *flags = analytics.recompute_what_if(1, None, [None] * 6, 9000, -1, 0, "")
    assert "Check the highlighted targets" in text(message) and table is None
    assert flags[:4] == [True] * 4
    assert flags[4:] == ["Enter at most 8784 hours (a year).", "Enter more than 0 hours.", "Enter more than 0 hours.",
                         "Enter a target in hours."]


def test_agents_get_nothing(app, analytics, make_user):
    import dash

    with app.test_request_context():
        login_user(SessionUser(make_user(Role.AGENT)))
        with pytest.raises(dash.exceptions.PreventUpdate):
            analytics.recompute_what_if(1, None, [None] * 6, 168, 72, 24, 4)


def test_the_card_is_prefilled_with_the_targets_in_force_in_hours(app, analytics, make_user):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        sla_policy.set_targets(actor=admin, targets={"High": 90})
        card = analytics.what_if_card()
    values = {}

    def walk(component):
        if isinstance(component, (list, tuple)):
            for child in component:
                walk(child)
        elif component is not None and not isinstance(component, (str, int, float)):
            if str(getattr(component, "id", "")).startswith("sla-what-if-") and hasattr(component, "value"):
                values[component.id] = component.value
            walk(getattr(component, "children", None))

    walk(card)
    assert values == {"sla-what-if-Critical": 4, "sla-what-if-High": 1.5, "sla-what-if-Medium": 72, "sla-what-if-Low": 168}
    assert "Nothing is saved" in text(card)
