"""New task: the create form, validated by the API's TaskCreate and saved by workflow.tasks.create_task."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from pydantic import ValidationError

from db.models import Priority
from domain import rules
from domain.errors import DomainError
from domain.schemas import TaskCreate
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.errors import error_sentence, field_sentences
from portal.components.forms import feedback, labelled_field
from portal.components.task_choices import (
    UNASSIGNED,
    assignee_options,
    assignee_value,
    case_options,
    case_picker,
    open_case_id,
    read_due,
)
from workflow import tasks

dash.register_page(__name__, path="/new-task", title="New task · Workflow Manager", name="New task")

#: Task field -> input id (the order of the create callback's states).
FORM_FIELDS = {
    "title": ids.NEW_TASK_TITLE,
    "description": ids.NEW_TASK_DESCRIPTION,
    "priority": ids.NEW_TASK_PRIORITY,
    "due_date": ids.NEW_TASK_DUE,
    "assigned_to": ids.NEW_TASK_ASSIGNEE,
    "tags": ids.NEW_TASK_TAGS,
}


def _form(user, case_id: str | None) -> html.Div:
    return html.Div(
        [
            labelled_field("Title", ids.NEW_TASK_TITLE, dbc.Input(id=ids.NEW_TASK_TITLE, maxLength=200)),
            labelled_field("Description", ids.NEW_TASK_DESCRIPTION, dbc.Textarea(id=ids.NEW_TASK_DESCRIPTION, rows=4)),
            dbc.Row(
                [
                    dbc.Col(labelled_field("Priority", ids.NEW_TASK_PRIORITY, dbc.Select(
                        id=ids.NEW_TASK_PRIORITY, value=Priority.MEDIUM.value, options=[p.value for p in Priority])), md=6),
                    dbc.Col(labelled_field(["Due ", times.zone_note(user)], ids.NEW_TASK_DUE,
                                           dbc.Input(id=ids.NEW_TASK_DUE, placeholder=times.INPUT_FORMAT),
                                           "Leave empty for no due date."), md=6),
                ]
            ),
            labelled_field("Assignee", ids.NEW_TASK_ASSIGNEE, dbc.Select(
                id=ids.NEW_TASK_ASSIGNEE, value=UNASSIGNED, options=assignee_options(user, None))),
            case_picker(ids.NEW_TASK_CASE, case_id),
            labelled_field("Tags", ids.NEW_TASK_TAGS, dbc.Input(id=ids.NEW_TASK_TAGS), "Separate tags with commas."),
            dbc.Button("Create task", id=ids.NEW_TASK_CREATE, color="primary"),
        ],
        id=ids.NEW_TASK_FORM,
    )


def layout(case=None, **_query):
    """Built per request: the form for those who may create tasks (in the open case `?case=` names), a refusal for Viewers."""
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_create_task(user):
        return html.Div(
            [html.H1("New task", className="h3 mb-3"), dbc.Alert("Viewers cannot create tasks.", color="info", id=ids.NEW_TASK_DENIED)]
        )
    return dbc.Row(
        dbc.Col(
            [
                html.H1("New task", className="h3 mb-3"),
                html.Div(id=ids.NEW_TASK_MESSAGE),
                dcc.Location(id=ids.NEW_TASK_REDIRECT, refresh="callback-nav"),
                dbc.Card(dbc.CardBody(_form(user, open_case_id(case)))),
            ],
            lg=8, xl=6,
        )
    )


@dash.callback(
    Output(ids.NEW_TASK_CASE, "options"),
    Input(ids.NEW_TASK_CASE, "search_value"),
    State(ids.NEW_TASK_CASE, "value"),
    prevent_initial_call=True,
)
def search_cases(search, chosen):
    """The open cases matching what is typed, searched on the server: there may be too many to send them all."""
    if portal_user() is None:
        return no_update
    return case_options(search, keep=[chosen])


def _feedback(errors: dict[str, str]) -> tuple:
    """(invalid flag per input..., message per input...) in FORM_FIELDS order."""
    return feedback(FORM_FIELDS, errors)


def _refused(text: str, errors: dict[str, str]) -> tuple:
    return (no_update, dbc.Alert(text, color="danger", className="mb-3")) + _feedback(errors)


def _invalid(errors: dict[str, str]) -> tuple:
    """The form refused: each error under its field; one without a field of its own (the case) in the message."""
    unplaced = [text for field, text in errors.items() if field not in FORM_FIELDS]
    return _refused(" ".join(["Please correct the highlighted fields.", *unplaced]), errors)


@dash.callback(
    Output(ids.NEW_TASK_REDIRECT, "href"),
    Output(ids.NEW_TASK_MESSAGE, "children"),
    *[Output(input_id, "invalid") for input_id in FORM_FIELDS.values()],
    *[Output(f"{input_id}-error", "children") for input_id in FORM_FIELDS.values()],
    Input(ids.NEW_TASK_CREATE, "n_clicks"),
    *[State(input_id, "value") for input_id in FORM_FIELDS.values()],
    State(ids.NEW_TASK_CASE, "value"),
    prevent_initial_call=True,
)
def create(_clicks, *values):
    """Validate with the API's TaskCreate, create the task as the signed-in user, then open it."""
    user = portal_user()
    if user is None:
        return _refused("Sign in first.", {})
    *values, case_id = values
    form = {field: value or "" for field, value in zip(FORM_FIELDS, values)}
    due, due_error = read_due(form["due_date"], user)
    errors = {"due_date": due_error} if due_error else {}
    try:
        body = TaskCreate.model_validate(
            {
                **form,
                "due_date": due,
                "assigned_to": assignee_value(form["assigned_to"]),
                "case_id": case_id or None,
                "tags": [tag.strip() for tag in form["tags"].split(",") if tag.strip()],
            }
        )
    except ValidationError as error:
        errors = {**field_sentences(error), **errors}
    if errors:
        return _invalid(errors)
    try:
        task = tasks.create_task(actor=user, **body.model_dump())
    except DomainError as error:
        return _refused(error_sentence(error), field_sentences(error))
    return (f"/tasks/{task.id}", None) + _feedback({})
