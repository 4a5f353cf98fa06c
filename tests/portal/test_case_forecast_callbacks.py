"""The case page's forecast card: a sentence instead of a chart when nothing is open, the weeks typed, who gets it."""
import uuid

import dash
import pytest
from flask_login import login_user

from auth import SessionUser
from db.models import Role, TaskStatus
from reports import forecast
from workflow import cases, tasks


@pytest.fixture
def case_page(app):
    """The page module, imported once Dash (made by the app) may register pages."""
    from portal.pages import case

    return case


def _text(component) -> str:
    """The visible text of a Dash component tree."""
    if isinstance(component, (list, tuple)):
        return "".join(_text(child) for child in component)
    if isinstance(component, str):
        return component
    return _text(getattr(component, "children", None) or "")


def test_a_case_with_nothing_open_says_so_instead_of_a_chart(app, case_page, make_user):
    manager, viewer = make_user(Role.MANAGER), make_user(Role.VIEWER)
    with app.app_context():
        case = cases.create_case(actor=manager, title="Finished move")
        task = tasks.create_task(actor=manager, title="Only task", case_id=case.id)
        tasks.change_status(actor=manager, task_id=task.id, status=TaskStatus.CANCELLED)
        empty = cases.create_case(actor=manager, title="Nothing yet")
    with app.test_request_context():
        login_user(SessionUser(viewer))
        summary, figure, style = case_page.refresh_forecast(12, str(case.id))
        assert _text(summary) == "Every task of this case is done."
        assert figure is dash.no_update and style == {"display": "none"}
        assert _text(case_page.refresh_forecast(12, str(empty.id))[0]) == "No tasks in this case yet."


def test_open_tasks_get_dates_and_a_figure_for_any_signed_in_user(app, case_page, make_user):
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    with app.app_context():
        case = cases.create_case(actor=manager, title="Open move")
        for n in range(2):
            tasks.create_task(actor=manager, title=f"Open task {n}", case_id=case.id)
    with app.test_request_context():
        login_user(SessionUser(agent))  # an Agent may not open analytics, but may see the case and its forecast
        summary, figure, style = case_page.refresh_forecast(3, str(case.id))
    said = _text(summary)
    assert said.startswith("2 open tasks;") and "in the last 3 weeks" in said and "Done by: 50 % " in said
    assert figure.layout is not None and style == case_page.FORECAST_STYLE


def test_no_user_or_no_case_gets_nothing(app, case_page, make_user):
    with app.app_context():
        case = cases.create_case(actor=make_user(Role.MANAGER), title="Someone's case")
    with app.test_request_context():
        with pytest.raises(dash.exceptions.PreventUpdate):
            case_page.refresh_forecast(12, str(case.id))
        login_user(SessionUser(make_user(Role.VIEWER)))
        for case_id in (str(uuid.uuid4()), "not-a-uuid", None):
            with pytest.raises(dash.exceptions.PreventUpdate):
                case_page.refresh_forecast(12, case_id)


@pytest.mark.parametrize(("typed", "weeks"), [
    (4, 4), (1, 1), (forecast.MAX_WEEKS, forecast.MAX_WEEKS), (2.7, 2), (None, forecast.DEFAULT_WEEKS),
    (0, forecast.DEFAULT_WEEKS), (forecast.MAX_WEEKS + 1, forecast.DEFAULT_WEEKS), ("8", forecast.DEFAULT_WEEKS),
    (True, forecast.DEFAULT_WEEKS), (float("nan"), forecast.DEFAULT_WEEKS),
])
def test_weeks_typed_out_of_range_fall_back_to_the_default(typed, weeks):
    from portal.components.forecast import weeks_of

    assert weeks_of(typed) == weeks
