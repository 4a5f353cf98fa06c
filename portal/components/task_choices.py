"""What the task forms share: whom a task may be left with, which case it may be put in, how a due date is read.

The new task form and the task page's edit form offer the same choices, built here from the rules
the workflow enforces, so a form never offers what saving it would refuse.
"""
import uuid
from datetime import datetime

import dash_bootstrap_components as dbc
from dash import dcc, html

from db.models import CaseStatus
from domain import rules
from domain.errors import NotFound
# "Unassigned" in the pickers, as in the task filters: not "", the value of dbc.Select's hidden placeholder,
# which the select would show (blank) instead.
from domain.filters import UNASSIGNED
from portal.components import times
from portal.components.errors import error_sentence, sentence
from portal.components.history_text import case_label, name
from workflow import cases, users

#: How many open cases a case picker offers at once; typing searches for the others.
CASE_CHOICES = 50


def assignee_options(user, task) -> list[dict]:
    """Who `user` may leave `task` with (None: a new task), per rules.may_set_assignee; its current assignee always."""
    current = task.assigned_to if task is not None else None
    options = [{"label": "Unassigned", "value": UNASSIGNED}] if rules.may_set_assignee(user, task, None) else []
    people = users.assignable_users()
    options += [
        {"label": f"{person.full_name} (me)" if person.id == user.id else person.full_name, "value": str(person.id)}
        for person in people
        if rules.may_set_assignee(user, task, person.id)
    ]
    if current is not None and current not in {person.id for person in people}:
        # Deactivated since: shown as they are, so the form does not pretend the task is unassigned.
        options.append({"label": name(current), "value": str(current)})
    return options


def assignee_value(chosen) -> str | None:
    """The assignee an assignee picker holds, None for Unassigned (the id is validated with the rest of the form)."""
    return None if chosen in (None, "", UNASSIGNED) else chosen


def _case_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def case_options(search: str | None = None, keep=()) -> list[dict]:
    """The first open cases (matching `search` by reference or title), then the cases in `keep` (ids) even if closed.

    `keep` holds what the picker shows selected and the task's own case: a search must not take them away.
    """
    # No NUL (PostgreSQL refuses it even in a query), and at most the 200 characters a search takes.
    text = (search or "").replace("\x00", "").strip()[:200] or None
    page = cases.list_cases(status=CaseStatus.OPEN, q=text, limit=CASE_CHOICES, cursor=None)
    # case_label finds these cases in the session's identity map: no query per option.
    options = [{"label": case_label(case.id), "value": str(case.id)} for case in page.items]
    listed = {option["value"] for option in options}
    for case_id in dict.fromkeys(filter(None, map(_case_uuid, keep))):
        if str(case_id) in listed:
            continue
        try:
            case = cases.get_case(case_id=case_id)
        except NotFound:
            continue
        options.append({"label": case_label(case.id), "value": str(case.id)})
        listed.add(str(case.id))
    return options


def open_case_id(value) -> str | None:
    """The id of an open case from a link (`/new-task?case=<id>`), or None for anything else."""
    case_id = _case_uuid(value)
    if case_id is None:
        return None
    try:
        case = cases.get_case(case_id=case_id)
    except NotFound:
        return None
    return str(case.id) if case.status == CaseStatus.OPEN else None


def case_picker(picker_id: str, value: str | None) -> html.Div:
    """A labelled picker of open cases, searched as one types (its options kept by the page's `search_value` callback)."""
    return html.Div(
        [
            dbc.Label("Case", html_for=picker_id),
            dcc.Dropdown(id=picker_id, value=value, options=case_options(keep=[value]), clearable=True, searchable=True,
                         placeholder="No case"),
            dbc.FormText("Open cases only: type a reference or a title to find one."),
        ],
        className="mb-3",
    )


def read_due(text: str | None, user) -> tuple[datetime | None, str | None]:
    """A typed due date read on the user's clock, and None; or None and sentences saying what is wrong and what to type."""
    try:
        return times.read(text, user), None
    except ValueError as error:
        return None, f"{error_sentence(error, field='due_date')} {sentence(str(error))}"
