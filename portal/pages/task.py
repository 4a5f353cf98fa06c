"""Task detail: every field, watching and deleting, the edit form, status moves, attachments, comments and the history."""
import base64
import binascii
import io
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from pydantic import ValidationError

from db.models import Priority, Task, TaskStatus
from db.types import utcnow
from domain import rules
from domain.errors import DomainError, NotFound, StaleVersion
from domain.schemas import CommentCreate, TaskUpdate
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.colours import PRIORITY_COLOURS, STATUS_COLOURS
from portal.components.confirm import clicked_row, confirm_modal, question
from portal.components.detail import PRE_WRAP
from portal.components.detail import message as _message
from portal.components.errors import error_sentence, field_sentences
from portal.components.forms import feedback, labelled_field
from portal.components.history_text import changes_in_words as _changes_in_words
from portal.components.history_text import name as _name
from portal.components.history_text import remember_names
from portal.components.notice import notice_alert
from portal.components.task_choices import UNASSIGNED, assignee_options, assignee_value, case_options, case_picker, read_due
from workflow import attachments, cases, comments, history, tasks, users, watchers

dash.register_page(__name__, path_template="/tasks/<task_id>", title="Task · Workflow Manager")

STALE_MESSAGE = "This task was changed by someone else; reload to see the latest."
#: Where the page goes once the task is deleted: the task list, which says so.
AFTER_DELETE = "/tasks?notice=task-deleted"
#: The edit form: task field -> input id (the order of the save callback's states).
FORM_FIELDS = {
    "title": ids.TASK_TITLE_INPUT,
    "description": ids.TASK_DESCRIPTION_INPUT,
    "priority": ids.TASK_PRIORITY_INPUT,
    "due_date": ids.TASK_DUE_INPUT,
    "assigned_to": ids.TASK_ASSIGNEE_INPUT,
    "tags": ids.TASK_TAGS_INPUT,
}
PAGE_SIZE = 200


def _task_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _load(task_id) -> Task | None:
    """The live task of a (possibly malformed) id from the browser, or None."""
    task_uuid = _task_uuid(task_id)
    if task_uuid is None:
        return None
    try:
        return tasks.get_task(task_id=task_uuid)
    except NotFound:
        return None


def _rendered_version(value) -> int:
    """The version the page was rendered with; anything else never matches (refused as stale)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _case_link(case_id):
    """The task's case: its reference linking to the case page, then its title."""
    if case_id is None:
        return "—"
    try:
        case = cases.get_case(case_id=case_id)
    except NotFound:
        return str(case_id)
    return [dcc.Link(case.reference, href=f"/cases/{case.id}"), f" · {case.title}"]


def _all(list_page, **filters) -> list:
    """Every item of a keyset-paginated service list."""
    items, cursor = [], None
    while True:
        page = list_page(**filters, limit=PAGE_SIZE, cursor=cursor)
        items += page.items
        cursor = page.next_cursor
        if cursor is None:
            return items


def _with_mentions(text: str) -> list:
    """Text with each `@username` in a highlighted span; everything stays text."""
    parts, start = [], 0
    for match in rules.MENTION.finditer(text):
        parts += [text[start:match.start()], html.Span(match.group(), className="mention text-primary fw-semibold")]
        start = match.end()
    parts.append(text[start:])
    return [part for part in parts if part != ""]


# --- read-only sections (re-rendered after every change) ---------------------------------


def _detail_row(label: str, value) -> list:
    return [html.Dt(label, className="col-4 col-lg-3 text-body-secondary fw-normal"), html.Dd(value, className="col-8 col-lg-9 mb-1")]


def _due(user, task: Task):
    if task.due_date is None:
        return "—"
    due = times.when(task.due_date, user)
    if rules.is_overdue(task, utcnow()):
        return html.Span([due, dbc.Badge("Overdue", color="danger", className="ms-2")], className="text-danger fw-semibold")
    return due


def _fields(user, task: Task) -> list:
    """Title, status, the moves this user may make, and every field of the task."""
    moves = [
        dbc.Button(f"Move to {target.value}", id={"type": ids.TASK_MOVE, "status": target.value},
                   color="primary" if n == 0 else "outline-primary", size="sm", className="me-2 mb-2")
        for n, target in enumerate(rules.allowed_targets(user, task))
    ]
    details = (
        _detail_row("Status", task.status.value)
        + _detail_row("Priority", task.priority.value)
        + _detail_row("Due", _due(user, task))
        + _detail_row("Assignee", _name(task.assigned_to))
        + _detail_row("Created by", _name(task.created_by))
        + _detail_row("Case", _case_link(task.case_id))
        + _detail_row("Tags", [dbc.Badge(tag, color="light", text_color="dark", className="me-1 border") for tag in task.tags] or "—")
        + _detail_row("Created", times.when(task.created_at, user))
        + _detail_row("Updated", times.when(task.updated_at, user))
    )
    return [
        html.H1(task.title, className="h3 text-break mb-2"),
        html.Div(
            [dbc.Badge(task.status.value, color=STATUS_COLOURS[task.status.value], className="me-2"),
             dbc.Badge(task.priority.value, color=PRIORITY_COLOURS[task.priority.value])],
            className="mb-3",
        ),
        html.Div(moves, className="mb-2", **{"aria-label": "Move the task"}) if moves else None,
        dbc.Card(
            dbc.CardBody(
                [
                    html.Dl(details, className="row mb-2"),
                    html.H2("Description", className="h6"),
                    html.Div(task.description or "No description.", style=PRE_WRAP,
                             className=None if task.description else "text-body-secondary"),
                ]
            ),
            className="mb-3",
        ),
    ]


def _history(user, task: Task) -> list:
    """The timeline, oldest first: who, when, what changed."""
    entries = _all(history.list_history, task_id=task.id)
    remember_names(entries)
    return [
        html.Li(
            [
                html.Div([html.Strong(_name(entry.changed_by)),
                          html.Small([" · ", times.when(entry.changed_at, user)], className="text-body-secondary")]),
                *[html.Div(line, className="text-break") for line in _changes_in_words(entry, user)],
            ],
            className="border-start border-3 ps-3 pb-3",
        )
        for entry in entries
    ]


def size_in_words(size: int) -> str:
    """A byte count as people read it (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _attachments(user, task: Task) -> list:
    """Attachments, oldest first: the name links to a fresh download link; a delete button where allowed."""
    items = _all(attachments.list_attachments, task_id=task.id)
    if not items:
        return [dbc.ListGroupItem("No attachments.", className="text-body-secondary")]
    return [
        dbc.ListGroupItem(
            html.Div(
                [
                    html.Div(
                        [
                            # The API answers with a redirect to a short-lived link, fresh at each click.
                            html.A(item.filename, href=f"/api/tasks/{task.id}/attachments/{item.id}",
                                   className="attachment-link text-break fw-semibold"),
                            html.Small(
                                [f" · {size_in_words(item.size)} · {_name(item.uploaded_by)} · ", times.when(item.created_at, user)],
                                className="text-body-secondary",
                            ),
                        ],
                        className="me-2",
                    ),
                    dbc.Button(
                        "Delete", id={"type": ids.TASK_ATTACHMENT_DELETE, "id": str(item.id)}, color="outline-danger",
                        size="sm", title=f"Delete {item.filename}",
                    ) if rules.can_remove_attachment(user, item) else None,
                ],
                className="d-flex justify-content-between align-items-start",
            ),
            className="attachment-item",
        )
        for item in items
    ]


def _upload_form() -> html.Div:
    """The file picker, with the size limit and the allowed types stated up front."""
    limit = attachments.max_bytes()
    return html.Div(
        [
            dcc.Store(id=ids.TASK_ATTACHMENT_LIMIT, data={"bytes": limit, "text": size_in_words(limit)}),
            dcc.Store(id=ids.TASK_ATTACHMENT_PENDING),
            dcc.Upload(
                id=ids.TASK_ATTACHMENT_UPLOAD,
                children=html.Div(["Drop a file here or ", html.Span("choose one", className="text-primary text-decoration-underline")]),
                multiple=False,
                className="attachment-upload border border-2 rounded text-center p-3",
                style={"borderStyle": "dashed", "cursor": "pointer"},
            ),
            html.Div(
                f"Up to {size_in_words(limit)}; {', '.join(attachments.ALLOWED_EXTENSIONS)}.",
                className="form-text",
            ),
            html.Div(id=ids.TASK_ATTACHMENT_ERROR, className="text-danger small mt-1", role="alert"),
        ],
        className="mt-3",
    )


def _comments(user, task: Task) -> list:
    """Comments, oldest first; bodies are text with their line breaks and highlighted mentions."""
    items = _all(comments.list_comments, task_id=task.id)
    if not items:
        return [dbc.ListGroupItem("No comments yet.", className="text-body-secondary")]
    return [
        dbc.ListGroupItem(
            [
                html.Div([html.Strong(_name(comment.author_id)),
                          html.Small([" · ", times.when(comment.created_at, user)], className="text-body-secondary")]),
                html.Div(_with_mentions(comment.body), style=PRE_WRAP, className="comment-body"),
            ]
        )
        for comment in items
    ]


# --- the top bar: watching and deleting ---------------------------------------------------


def _watch_label(watching: bool) -> list:
    """The watch button says what a click does."""
    if watching:
        return [html.I(className="bi bi-eye-slash me-1"), "Unwatch"]
    return [html.I(className="bi bi-eye me-1"), "Watch"]


def _watching(user, task_id: uuid.UUID) -> tuple:
    """(the watch button's label, how many watch, who) as `user` sees them."""
    watcher_ids = watchers.list_watchers(task_id=task_id)
    names = users.full_names(user_ids=set(watcher_ids))
    who = [names.get(watcher_id, "Unknown user") for watcher_id in watcher_ids]
    count = {0: "No watchers", 1: "1 watcher"}.get(len(who), f"{len(who)} watchers")
    return _watch_label(user.id in watcher_ids), count, f"Watched by {', '.join(who)}" if who else ""


def _may_take(user, task: Task) -> bool:
    """An unassigned task the user may assign to themself (an Agent takes it from the queue)."""
    return task.assigned_to is None and rules.may_set_assignee(user, task, user.id)


def _top_bar(user, task: Task) -> html.Div:
    """Watch or unwatch, who watches, Take it for an unassigned task, and Delete for those who may."""
    label, count, who = _watching(user, task.id)
    return html.Div(
        [
            # Watching is your own business: every role may watch a task.
            dbc.Button(label, id=ids.TASK_WATCH, color="outline-primary", size="sm",
                       title="Hear of this task's status changes and comments"),
            html.Span(count, id=ids.TASK_WATCHERS, className="small fw-semibold"),
            html.Small(who, id=ids.TASK_WATCHERS_NAMES, className="text-body-secondary text-break"),
            dbc.Button([html.I(className="bi bi-person-check me-1"), "Take it"], id=ids.TASK_TAKE, color="primary", size="sm",
                       title="Assign this task to yourself") if _may_take(user, task) else None,
            dbc.Button([html.I(className="bi bi-trash me-1"), "Delete"], id=ids.TASK_DELETE, color="outline-danger",
                       size="sm", className="ms-auto") if rules.can_delete_task(user) else None,
        ],
        className="d-flex flex-wrap align-items-center gap-2 mb-3",
    )


def _delete_modal(task: Task) -> dbc.Modal:
    """The question before a delete: deleting cannot be undone from the portal."""
    body = question(html.Strong(task.title), "It leaves every list, board and case; its history stays for audit.")
    return confirm_modal(ids.TASK_DELETE_MODAL, "Delete this task?", body=body,
                         no_id=ids.TASK_DELETE_CANCEL, yes_id=ids.TASK_DELETE_CONFIRM, yes_label="Delete task")


# --- forms (rendered once per page load, only for those allowed) -------------------------


def _form_values(user, task: Task) -> dict[str, str]:
    """The task as the edit form shows it, times on the user's clock."""
    return {
        "title": task.title,
        "description": task.description,
        "priority": task.priority.value,
        "due_date": times.input_text(task.due_date, user),
        "assigned_to": str(task.assigned_to) if task.assigned_to else UNASSIGNED,
        "tags": ", ".join(task.tags),
    }


def _case_value(task: Task) -> str:
    return str(task.case_id) if task.case_id else ""


def _edit_form(user, task: Task) -> dbc.Card:
    values = _form_values(user, task)
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Edit task", className="h6 mb-0")),
            dbc.CardBody(
                [
                    labelled_field("Title", ids.TASK_TITLE_INPUT, dbc.Input(id=ids.TASK_TITLE_INPUT, value=values["title"])),
                    labelled_field("Description", ids.TASK_DESCRIPTION_INPUT,
                           dbc.Textarea(id=ids.TASK_DESCRIPTION_INPUT, value=values["description"], rows=4)),
                    dbc.Row(
                        [
                            dbc.Col(labelled_field("Priority", ids.TASK_PRIORITY_INPUT, dbc.Select(
                                id=ids.TASK_PRIORITY_INPUT, value=values["priority"], options=[p.value for p in Priority])), md=6),
                            dbc.Col(labelled_field(["Due ", times.zone_note(user)], ids.TASK_DUE_INPUT, dbc.Input(
                                id=ids.TASK_DUE_INPUT, value=values["due_date"], placeholder=times.INPUT_FORMAT),
                                "Leave empty for no due date."), md=6),
                        ]
                    ),
                    labelled_field("Assignee", ids.TASK_ASSIGNEE_INPUT, dbc.Select(
                        id=ids.TASK_ASSIGNEE_INPUT, value=values["assigned_to"], options=assignee_options(user, task))),
                    case_picker(ids.TASK_CASE_INPUT, _case_value(task) or None) if rules.can_put_in_case(user, task) else None,
                    labelled_field("Tags", ids.TASK_TAGS_INPUT, dbc.Input(id=ids.TASK_TAGS_INPUT, value=values["tags"]),
                           "Separate tags with commas."),
                    dbc.Button("Save changes", id=ids.TASK_SAVE, color="primary"),
                ],
                id=ids.TASK_FORM,
            ),
        ],
        className="mb-3",
    )


def _comment_form() -> html.Div:
    return html.Div(
        [
            labelled_field("Add a comment", ids.TASK_COMMENT_INPUT, dbc.Textarea(id=ids.TASK_COMMENT_INPUT, rows=3),
                   "Mention someone with @username."),
            dbc.Button("Add comment", id=ids.TASK_COMMENT_ADD, color="primary"),
        ],
        className="mt-3",
    )


def _not_found() -> html.Div:
    return html.Div(
        [
            html.H1("Task not found", className="h3"),
            html.P("It may have been deleted, or the link is wrong.", className="text-body-secondary"),
            dcc.Link("Back to My work", href="/"),
        ],
        id=ids.TASK_NOT_FOUND,
    )


def layout(task_id=None, notice=None, **_query):
    """Built per request for the signed-in user; what they may change decides what they see. `notice`: see notice.py."""
    user = portal_user()
    if user is None:
        return html.Div()
    task = _load(task_id)
    if task is None:
        return _not_found()
    return html.Div(
        [
            dcc.Store(id=ids.TASK_ID, data=str(task.id)),
            dcc.Store(id=ids.TASK_VERSION, data=task.version),
            dcc.Location(id=ids.TASK_GOTO, refresh="callback-nav"),
            html.Div(id=ids.TASK_MESSAGE, className="task-message position-fixed bottom-0 end-0 p-3", style={"zIndex": 1080}),
            notice_alert(notice),
            _top_bar(user, task),
            _delete_modal(task) if rules.can_delete_task(user) else None,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(_fields(user, task), id=ids.TASK_FIELDS),
                            _edit_form(user, task) if rules.can_edit_task(user, task) else None,
                            dbc.Card(
                                [
                                    dbc.CardHeader(html.H2("Attachments", className="h6 mb-0")),
                                    dbc.CardBody(
                                        [
                                            dbc.ListGroup(_attachments(user, task), id=ids.TASK_ATTACHMENTS, flush=True),
                                            _upload_form() if rules.can_attach(user) else None,
                                        ]
                                    ),
                                ],
                                className="mb-3",
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader(html.H2("Comments", className="h6 mb-0")),
                                    dbc.CardBody(
                                        [
                                            dbc.ListGroup(_comments(user, task), id=ids.TASK_COMMENTS, flush=True),
                                            _comment_form() if rules.can_comment(user) else None,
                                        ]
                                    ),
                                ],
                                className="mb-3",
                            ),
                        ],
                        lg=8,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(html.H2("History", className="h6 mb-0")),
                                dbc.CardBody(html.Ol(_history(user, task), id=ids.TASK_HISTORY, className="list-unstyled mb-0")),
                            ]
                        ),
                        lg=4,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


# --- callbacks: parse, call workflow/, render --------------------------------------------


def _section_outputs() -> list[Output]:
    return [
        Output(ids.TASK_VERSION, "data", allow_duplicate=True),
        Output(ids.TASK_FIELDS, "children", allow_duplicate=True),
        Output(ids.TASK_HISTORY, "children", allow_duplicate=True),
        Output(ids.TASK_COMMENTS, "children", allow_duplicate=True),
        Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    ]


def _refreshed(user, task: Task, text: str) -> tuple:
    return task.version, _fields(user, task), _history(user, task), _comments(user, task), _message(text, ok=True)


def _refused(text: str) -> tuple:
    return no_update, no_update, no_update, no_update, _message(text, ok=False)


def _refusal(error: DomainError) -> str:
    return STALE_MESSAGE if isinstance(error, StaleVersion) else error_sentence(error)


def _split_tags(text: str | None) -> list[str]:
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


def _form_feedback(errors: dict[str, str]) -> tuple:
    """(invalid flag per input..., message per input...) in FORM_FIELDS order."""
    return feedback(FORM_FIELDS, errors)


def _invalid(errors: dict[str, str]) -> tuple:
    """The form refused: each error under its field; one without a field of its own (the case) in the message."""
    unplaced = [text for field, text in errors.items() if field not in FORM_FIELDS]
    return _refused(" ".join(["Please correct the highlighted fields.", *unplaced])) + (no_update,) + _form_feedback(errors)


@dash.callback(
    *_section_outputs(),
    Output(ids.TASK_ASSIGNEE_INPUT, "options"),
    *[Output(input_id, "invalid") for input_id in FORM_FIELDS.values()],
    *[Output(f"{input_id}-error", "children") for input_id in FORM_FIELDS.values()],
    Input(ids.TASK_SAVE, "n_clicks"),
    State(ids.TASK_ID, "data"),
    State(ids.TASK_VERSION, "data"),
    *[State(input_id, "value") for input_id in FORM_FIELDS.values()],
    # Only there for those who may put the task in a case.
    State(ids.TASK_CASE_INPUT, "value", allow_optional=True),
    prevent_initial_call=True,
)
def save(_clicks, task_id, version, *values):
    """Read the form (due date on the user's clock), validate it with the API's TaskUpdate, then save only what changed."""
    user = portal_user()
    task = _load(task_id)
    if user is None or task is None:
        return _refused("Task not found.") + (no_update,) + _form_feedback({})
    *values, case_id = values
    form = {field: value or "" for field, value in zip(FORM_FIELDS, values)}
    shown = _form_values(user, task)
    if rules.can_put_in_case(user, task):
        form["case_id"], shown["case_id"] = case_id or "", _case_value(task)
    due, due_error = read_due(form["due_date"], user)
    errors = {"due_date": due_error} if due_error else {}
    typed = {**form, "due_date": due, "assigned_to": assignee_value(form["assigned_to"]), "tags": _split_tags(form["tags"])}
    if "case_id" in form:
        typed["case_id"] = form["case_id"] or None
    try:
        update = TaskUpdate.model_validate(typed)
    except ValidationError as error:
        errors = {**field_sentences(error), **errors}
    if errors:
        return _invalid(errors)
    # Only fields edited in the form: an untouched due date is not re-saved rounded to the minute.
    changes = {field: getattr(update, field) for field in form if form[field] != shown[field]}
    try:
        task = tasks.update_task(actor=user, task_id=task.id, changes=changes, expected_version=_rendered_version(version))
    except DomainError as error:
        return _refused(_refusal(error)) + (no_update,) + _form_feedback(field_sentences(error))
    saved = _refreshed(user, task, "Saved." if changes else "No changes to save.")
    # What the user may choose next follows the assignment just saved.
    return saved + (assignee_options(user, task),) + _form_feedback({})


@dash.callback(
    Output(ids.TASK_CASE_INPUT, "options"),
    Input(ids.TASK_CASE_INPUT, "search_value"),
    State(ids.TASK_CASE_INPUT, "value"),
    State(ids.TASK_ID, "data"),
    prevent_initial_call=True,
)
def search_cases(search, chosen, task_id):
    """The open cases matching what is typed, searched on the server; the chosen case and the task's own stay listed."""
    task = _load(task_id)
    if portal_user() is None or task is None:
        return no_update
    return case_options(search, keep=[chosen, task.case_id])


@dash.callback(
    *_section_outputs(),
    Input({"type": ids.TASK_MOVE, "status": ALL}, "n_clicks"),
    State(ids.TASK_ID, "data"),
    State(ids.TASK_VERSION, "data"),
    prevent_initial_call=True,
)
def move(_clicks, task_id, version):
    """Move the task to the clicked status; refusals are shown."""
    clicked = clicked_row()
    if clicked is None:
        return (no_update,) * 5
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return _refused("Task not found.")
    try:
        target = TaskStatus(clicked["status"])
        task = tasks.change_status(actor=user, task_id=task_uuid, status=target, expected_version=_rendered_version(version))
    except ValueError:
        return _refused("That status does not exist.")
    except DomainError as error:
        return _refused(_refusal(error))
    return _refreshed(user, task, f"Moved to {target.value}.")


@dash.callback(
    *_section_outputs(),
    Output(ids.TASK_COMMENT_INPUT, "value"),
    Output(ids.TASK_COMMENT_INPUT, "invalid"),
    Output(f"{ids.TASK_COMMENT_INPUT}-error", "children"),
    Input(ids.TASK_COMMENT_ADD, "n_clicks"),
    State(ids.TASK_ID, "data"),
    State(ids.TASK_COMMENT_INPUT, "value"),
    prevent_initial_call=True,
)
def add_comment(_clicks, task_id, body):
    """Post a comment as the signed-in user."""
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return _refused("Task not found.") + (no_update, False, None)
    try:
        comment = CommentCreate(body=body or "")
    except ValidationError as error:
        return _refused("Please correct the comment.") + (no_update, True, error_sentence(error))
    try:
        comments.add_comment(actor=user, task_id=task_uuid, body=comment.body)
        task = tasks.get_task(task_id=task_uuid)
    except DomainError as error:
        return _refused(_refusal(error)) + (no_update, False, None)
    return _refreshed(user, task, "Comment added.") + ("", False, None)


@dash.callback(
    Output(ids.TASK_WATCH, "children"),
    Output(ids.TASK_WATCHERS, "children"),
    Output(ids.TASK_WATCHERS_NAMES, "children"),
    Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    Input(ids.TASK_WATCH, "n_clicks"),
    State(ids.TASK_ID, "data"),
    prevent_initial_call=True,
)
def toggle_watch(_clicks, task_id):
    """Watch the task if you do not, else stop watching it (as it is now, whatever the page showed)."""
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return no_update, no_update, no_update, _message("Task not found.", ok=False)
    try:
        if user.id in watchers.list_watchers(task_id=task_uuid):
            watchers.unwatch(actor=user, task_id=task_uuid)
            text = "You no longer watch this task."
        else:
            watchers.watch(actor=user, task_id=task_uuid)
            text = "You now watch this task and hear of its status changes and comments."
    except DomainError as error:
        return no_update, no_update, no_update, _message(error_sentence(error), ok=False)
    return *_watching(user, task_uuid), _message(text, ok=True)


@dash.callback(
    Output(ids.TASK_GOTO, "href", allow_duplicate=True),
    Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    Input(ids.TASK_TAKE, "n_clicks"),
    State(ids.TASK_ID, "data"),
    State(ids.TASK_VERSION, "data"),
    prevent_initial_call=True,
)
def take(_clicks, task_id, version):
    """Assign the task as it was shown to the signed-in user, then show it again (now theirs to edit)."""
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return no_update, _message("Task not found.", ok=False)
    try:
        tasks.update_task(actor=user, task_id=task_uuid, changes={"assigned_to": user.id},
                          expected_version=_rendered_version(version))
    except DomainError as error:
        return no_update, _message(_refusal(error), ok=False)
    return f"/tasks/{task_uuid}?notice=task-taken", no_update


@dash.callback(
    Output(ids.TASK_DELETE_MODAL, "is_open"),
    Input(ids.TASK_DELETE, "n_clicks"),
    Input(ids.TASK_DELETE_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_delete(_delete, _cancel):
    """Delete opens the question; Cancel closes it."""
    return ctx.triggered_id == ids.TASK_DELETE


@dash.callback(
    Output(ids.TASK_GOTO, "href"),
    Output(ids.TASK_DELETE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    Input(ids.TASK_DELETE_CONFIRM, "n_clicks"),
    State(ids.TASK_ID, "data"),
    State(ids.TASK_VERSION, "data"),
    prevent_initial_call=True,
)
def delete(_clicks, task_id, version):
    """Delete the task as it was shown (a stale version is refused), then go to the task list."""
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return no_update, False, _message("Task not found.", ok=False)
    try:
        tasks.delete_task(actor=user, task_id=task_uuid, expected_version=_rendered_version(version))
    except DomainError as error:
        return no_update, False, _message(_refusal(error), ok=False)
    return AFTER_DELETE, False, no_update


# --- attachments: checked in the browser for size, then stored through workflow/attachments ---

dash.clientside_callback(
    """
    function (contents, filename, limit) {
        const skip = window.dash_clientside.no_update;
        if (!contents) { return [skip, skip, skip, skip]; }
        const data = contents.slice(contents.indexOf(",") + 1);
        const padding = data.endsWith("==") ? 2 : (data.endsWith("=") ? 1 : 0);
        const size = Math.floor(data.length * 3 / 4) - padding;
        // Cleared, so that choosing the same file again is a new upload; so is the toast of an earlier upload.
        if (limit && size > limit.bytes) {
            return [skip, `"${filename}" is too large: files may be up to ${limit.text}.`, null, null];
        }
        return [{contents: contents, filename: filename}, "", null, skip];
    }
    """,
    Output(ids.TASK_ATTACHMENT_PENDING, "data"),
    Output(ids.TASK_ATTACHMENT_ERROR, "children", allow_duplicate=True),
    Output(ids.TASK_ATTACHMENT_UPLOAD, "contents"),
    Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    Input(ids.TASK_ATTACHMENT_UPLOAD, "contents"),
    State(ids.TASK_ATTACHMENT_UPLOAD, "filename"),
    State(ids.TASK_ATTACHMENT_LIMIT, "data"),
    prevent_initial_call=True,
)


def decode_upload(contents: str) -> tuple[bytes, str | None]:
    """The bytes and declared type of a `data:<type>;base64,<data>` URL from dcc.Upload; ValueError if malformed."""
    header, comma, data = (contents or "").partition(",")
    if not comma or not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError("the upload is not a base64 data URL")
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error as exc:
        raise ValueError("the upload is not valid base64") from exc
    return raw, header[len("data:"):-len(";base64")].split(";", 1)[0] or None


def _attachment_outputs() -> list[Output]:
    return [
        Output(ids.TASK_ATTACHMENTS, "children", allow_duplicate=True),
        Output(ids.TASK_HISTORY, "children", allow_duplicate=True),
        Output(ids.TASK_ATTACHMENT_ERROR, "children", allow_duplicate=True),
        Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    ]


@dash.callback(*_attachment_outputs(), Input(ids.TASK_ATTACHMENT_PENDING, "data"), State(ids.TASK_ID, "data"), prevent_initial_call=True)
def upload(pending, task_id):
    """Store the chosen file as the signed-in user; a refusal is said under the picker, and no toast says otherwise."""
    if not pending or not pending.get("contents"):
        return (no_update,) * 4
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    if user is None or task_uuid is None:
        return no_update, no_update, "Task not found.", None
    filename = pending.get("filename") or "file"
    try:
        raw, declared = decode_upload(pending["contents"])
    except ValueError:
        return no_update, no_update, f"'{filename}' could not be read; choose it again.", None
    try:
        attachments.add_attachment(actor=user, task_id=task_uuid, fileobj=io.BytesIO(raw), filename=filename, content_type=declared)
        task = tasks.get_task(task_id=task_uuid)
    except DomainError as error:
        return no_update, no_update, f"'{filename}' was not attached. {error_sentence(error)}", None
    return _attachments(user, task), _history(user, task), "", _message(f"Attached '{attachments.clean_filename(filename)}'.", ok=True)


@dash.callback(
    Output(ids.TASK_ATTACHMENTS, "children", allow_duplicate=True),
    Output(ids.TASK_HISTORY, "children", allow_duplicate=True),
    Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.TASK_ATTACHMENT_DELETE, "id": ALL}, "n_clicks"),
    State(ids.TASK_ID, "data"),
    prevent_initial_call=True,
)
def delete_attachment(_clicks, task_id):
    """Remove the clicked attachment; refusals are shown."""
    clicked = clicked_row()
    if clicked is None:
        return (no_update,) * 3
    user = portal_user()
    task_uuid = _task_uuid(task_id)
    attachment_uuid = _task_uuid(clicked["id"])
    if user is None or task_uuid is None or attachment_uuid is None:
        return no_update, no_update, _message("Attachment not found.", ok=False)
    try:
        attachments.remove_attachment(actor=user, task_id=task_uuid, attachment_id=attachment_uuid)
        task = tasks.get_task(task_id=task_uuid)
    except DomainError as error:
        return no_update, no_update, _message(error_sentence(error), ok=False)
    return _attachments(user, task), _history(user, task), _message("Attachment removed.", ok=True)
