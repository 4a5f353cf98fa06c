"""New task: the create form, validated by the API's TaskCreate and saved by workflow.tasks.create_task."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from pydantic import ValidationError

from db.models import Priority
from domain import rules
from domain.errors import DomainError, ValidationFailed
from domain.schemas import TaskCreate
from portal import ids
from portal.access import portal_user
from portal.components.forms import feedback, field_errors, labelled_field
from workflow import tasks, users

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


def _assignable(user) -> list:
    """Who this user may assign a new task to: an Agent only themself; supervisors any active non-Viewer."""
    if not rules.is_supervisor(user):
        return [user]
    return users.assignable_users()


def _form(user) -> html.Div:
    assignees = [{"label": "Unassigned", "value": ""}] + [
        {"label": f"{u.full_name} (me)" if u.id == user.id else u.full_name, "value": str(u.id)} for u in _assignable(user)
    ]
    return html.Div(
        [
            labelled_field("Title", ids.NEW_TASK_TITLE, dbc.Input(id=ids.NEW_TASK_TITLE, maxLength=200)),
            labelled_field("Description", ids.NEW_TASK_DESCRIPTION, dbc.Textarea(id=ids.NEW_TASK_DESCRIPTION, rows=4)),
            dbc.Row(
                [
                    dbc.Col(labelled_field("Priority", ids.NEW_TASK_PRIORITY, dbc.Select(
                        id=ids.NEW_TASK_PRIORITY, value=Priority.MEDIUM.value, options=[p.value for p in Priority])), md=6),
                    dbc.Col(labelled_field("Due (UTC)", ids.NEW_TASK_DUE, dbc.Input(id=ids.NEW_TASK_DUE, placeholder="YYYY-MM-DD HH:MM"),
                                   "Leave empty for no due date."), md=6),
                ]
            ),
            labelled_field("Assignee", ids.NEW_TASK_ASSIGNEE, dbc.Select(id=ids.NEW_TASK_ASSIGNEE, value="", options=assignees)),
            labelled_field("Tags", ids.NEW_TASK_TAGS, dbc.Input(id=ids.NEW_TASK_TAGS), "Separate tags with commas."),
            dbc.Button("Create task", id=ids.NEW_TASK_CREATE, color="primary"),
        ],
        id=ids.NEW_TASK_FORM,
    )


def layout(**_query):
    """Built per request: the form for those who may create tasks, a refusal for Viewers."""
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
                dbc.Card(dbc.CardBody(_form(user))),
            ],
            lg=8, xl=6,
        )
    )


def _feedback(errors: dict[str, str]) -> tuple:
    """(invalid flag per input..., message per input...) in FORM_FIELDS order."""
    return feedback(FORM_FIELDS, errors)


def _refused(text: str, errors: dict[str, str]) -> tuple:
    return (no_update, dbc.Alert(text, color="danger", className="mb-3")) + _feedback(errors)


@dash.callback(
    Output(ids.NEW_TASK_REDIRECT, "href"),
    Output(ids.NEW_TASK_MESSAGE, "children"),
    *[Output(input_id, "invalid") for input_id in FORM_FIELDS.values()],
    *[Output(f"{input_id}-error", "children") for input_id in FORM_FIELDS.values()],
    Input(ids.NEW_TASK_CREATE, "n_clicks"),
    *[State(input_id, "value") for input_id in FORM_FIELDS.values()],
    prevent_initial_call=True,
)
def create(_clicks, *values):
    """Validate with the API's TaskCreate, create the task as the signed-in user, then open it."""
    user = portal_user()
    if user is None:
        return _refused("Sign in first.", {})
    form = {field: value or "" for field, value in zip(FORM_FIELDS, values)}
    try:
        body = TaskCreate.model_validate(
            {
                **form,
                "due_date": form["due_date"] or None,
                "assigned_to": form["assigned_to"] or None,
                "tags": [tag.strip() for tag in form["tags"].split(",") if tag.strip()],
            }
        )
    except ValidationError as exc:
        return _refused("Please correct the highlighted fields.", field_errors(exc))
    try:
        task = tasks.create_task(actor=user, **body.model_dump())
    except ValidationFailed as error:
        fields = {item["field"]: item["message"].capitalize() + "." for item in error.details or [] if item.get("field") in FORM_FIELDS}
        return _refused(error.message.capitalize() + ".", fields)
    except DomainError as error:
        return _refused(error.message.capitalize() + ".", {})
    return (f"/tasks/{task.id}", None) + _feedback({})
