"""Task lifecycle: create, read, list, edit, assign, take, transition, delete."""
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, type_coerce, update
from sqlalchemy.orm.exc import StaleDataError

from auth import holds
from auth.tokens import Credential
from db import session, status_intervals
from db.models import (
    Case,
    CaseStatus,
    ChangeType,
    Priority,
    Role,
    Task,
    TaskStatus,
    TaskStatusCount,
    User,
)
from db.pagination import Page, paginate
from db.types import utcnow, uuid7
from domain import rules
from domain.errors import Forbidden, InvalidTransition, NotFound, PreconditionFailed, StaleVersion, ValidationFailed
from domain.filters import DEFAULT_SORT, TaskFilters, parse_sort
from notifications import events, webhooks
from reports.filters import SORT_KEYS, bound_filtered_statement, filter_parameters, filter_values, filtered_statement
from workflow import analytics, assignment, escalations, history

#: Fields an edit may change besides status and assignment.
EDITABLE_FIELDS = ("title", "description", "priority", "due_date", "case_id", "tags")

def list_tasks(*, filters: TaskFilters, sort: str | None, limit: int, cursor: str | None) -> Page:
    """One page of live tasks (rows with a task's attributes), keyset-paginated on (sort field, id)."""
    return _page(session(), filters, sort, limit, cursor)


def list_tasks_as(
    credential: Credential, *, filters: TaskFilters, sort: str | None, limit: int, cursor: str | None
) -> tuple[Page, User | None]:
    """`list_tasks` for a caller known only by credential, checked in the same statement (one round trip).

    Returns the page and the caller as the rules see them (id and role), or None when the page is
    empty or the credential no longer holds: the caller must then be loaded and checked on its own.
    The rows' ids (`id`, `assigned_to`, `created_by`, `case_id`), status and priority are text, not
    uuid.UUID and enum members: this list only writes them out.
    """
    # Core execution: plain rows need nothing of the ORM's.
    page = _page(session.connection(), filters, sort, limit, cursor, caller=credential)
    if not page.items or page.items[0].caller_role is None:
        return page, None
    return page, User(id=credential.user_id, role=Role(page.items[0].caller_role))


#: The list's statements by what shapes them (the database, the filters set, the sort, whether the caller is
#: checked in them), each with its phases' statements (`paginate`): built once, run with each request's
#: values, because building and keying a statement cost more than running it. A few dozen in practice.
_PAGE_STATEMENTS: dict[tuple, tuple[Select, dict]] = {}
_MAX_PAGE_STATEMENTS = 256
_CALLER_ID, _CALLER_VERSION = "caller_id", "caller_version"


def _page(executor, filters: TaskFilters, sort: str | None, limit: int, cursor: str | None,
          caller: Credential | None = None) -> Page:
    name, descending = parse_sort(sort)
    values = filter_values(filters)
    shape = (session.get_bind().dialect.name, tuple(values), name, descending, caller is not None)
    found = _PAGE_STATEMENTS.get(shape)
    if found is None:
        # The list that checks its caller is the API's, which only writes its rows out: ids and enums as text.
        statement = bound_filtered_statement(values, as_text=caller is not None)
        if caller is not None:
            checked = holds(bindparam(_CALLER_ID, required=True), bindparam(_CALLER_VERSION, required=True))
            role = select(type_coerce(User.role, String)).where(*checked).scalar_subquery()  # on every row: as text
            statement = statement.add_columns(role.label("caller_role"))
        if len(_PAGE_STATEMENTS) >= _MAX_PAGE_STATEMENTS:
            _PAGE_STATEMENTS.clear()
        found = _PAGE_STATEMENTS[shape] = (statement, {})
    statement, statements = found
    params = filter_parameters(values)
    if caller is not None:
        params[_CALLER_ID], params[_CALLER_VERSION] = caller.user_id, caller.version
    return paginate(executor, statement, id_column=Task.id, key=SORT_KEYS[name], sort=sort or DEFAULT_SORT,
                    descending=descending, limit=limit, cursor=cursor, entities=False, params=params,
                    statements=statements)


def get_task(*, task_id: uuid.UUID, include_deleted: bool = False) -> Task:
    """A task by id; deleted tasks are not found unless asked for (audit)."""
    task = session.get(Task, task_id)
    if task is None or (task.deleted_at is not None and not include_deleted):
        raise NotFound("task not found")
    return task


def _active_assignee(user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationFailed(
            "assignee is not an active user",
            [{"field": "assigned_to", "message": "must be an active user"}],
        )
    if user.role not in rules.ASSIGNABLE_ROLES:
        raise ValidationFailed(
            "viewers cannot be assigned tasks",
            [{"field": "assigned_to", "message": "must be an Agent, Manager or Admin"}],
        )
    return user


def _open_case(case_id: uuid.UUID) -> Case:
    found = session.get(Case, case_id)
    if found is None:
        raise ValidationFailed("case not found", [{"field": "case_id", "message": "no such case"}])
    if found.status != CaseStatus.OPEN:
        raise ValidationFailed("case is closed", [{"field": "case_id", "message": "case is closed"}])
    return found


def _check_version(task: Task, expected_version: int | None, precondition: bool) -> None:
    if expected_version is not None and expected_version != task.version:
        error = PreconditionFailed if precondition else StaleVersion
        raise error(
            "the task was changed by someone else; reload it and try again",
            {"current_version": task.version},
        )


def _count_move(before: TaskStatus | None, after: TaskStatus | None) -> None:
    """Keep the live-per-status counters in the change's transaction (None: the task appears or leaves).

    Called last, just before the commit (after the facts, whose rows are locked in the same order
    by every change): every move between two statuses updates the same two rows, and each change
    holds their locks from here to its commit, so concurrent changes wait on each other only that long.
    """
    shifts = {status: delta for status, delta in ((before, -1), (after, 1)) if status is not None}
    # Always in the same order, so two opposite moves at once cannot deadlock on the counter rows.
    # No autoflush: flushing the half-made change here would spend a second version on it.
    with session.no_autoflush:
        for status in sorted(shifts, key=lambda s: s.value):
            session.execute(
                update(TaskStatusCount)
                .where(TaskStatusCount.status == status)
                .values(live=TaskStatusCount.live + shifts[status])
            )


def _announce(task: Task, at: datetime, *changes: tuple[str, dict | None]) -> None:
    """The change's webhook events (name, what it was before): the task as the API shows it once the change
    is flushed (its new version)."""
    data = webhooks.task_data(task)
    for event, previous in changes:
        webhooks.emit(event=event, data=data if previous is None else {**data, "previous": previous}, at=at)


def _commit_change(
    precondition: bool, task: Task, facts_before: Counter, announce: tuple[tuple[str, dict | None], ...] = (),
    moved: tuple[TaskStatus | None, TaskStatus | None] | None = None,
) -> None:
    """Add the webhook events `announce` names, keep the analytics facts, count the status move `moved` (before,
    after) and commit; a concurrent writer that got there first turns into a version error.

    The rows every change shares (the facts' and the counters') are written last, so their locks are
    held only to the commit.
    """
    try:
        session.flush()  # the change's new version, which the events show
        _announce(task, task.updated_at, *announce)
        analytics.keep([task.id], facts_before)
        if moved is not None:
            _count_move(*moved)
        session.commit()
    except StaleDataError:
        session.rollback()
        error = PreconditionFailed if precondition else StaleVersion
        raise error("the task was changed by someone else; reload it and try again") from None


def create_task(
    *,
    actor: User,
    title: str,
    description: str = "",
    priority: Priority = Priority.MEDIUM,
    due_date: datetime | None = None,
    assigned_to: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    tags: list[str] | None = None,
) -> Task:
    """Create a task and its Creation history row."""
    if not rules.can_create_task(actor):
        raise Forbidden("your role cannot create tasks")
    now = utcnow()
    if due_date is not None and due_date < now:
        raise ValidationFailed(
            "due date is in the past", [{"field": "due_date", "message": "must not be in the past"}]
        )
    if assigned_to is not None:
        if not rules.can_assign(actor, None, assigned_to):
            raise Forbidden("agents may only create tasks assigned to themselves or unassigned")
        _active_assignee(assigned_to)
    if case_id is not None:
        _open_case(case_id)
    task = Task(
        id=uuid7(),
        title=title,
        description=description,
        status=TaskStatus.NEW,
        priority=priority,
        due_date=due_date,
        assigned_to=assigned_to,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
        case_id=case_id,
        tags=list(tags or []),
    )
    session.add(task)
    history.record(task, actor, ChangeType.CREATION, None, history.snapshot(task), now)
    status_intervals.record_creation(session, task, now)
    events.task_assigned(actor=actor, task=task, at=now)
    if assigned_to is None:
        _auto_assign(task, actor, now, assignment.department_of(task=task, creator=actor))
    session.flush()  # the task's first version, which the events show
    _announce(task, now, ("task.created", None),
              *((("task.assigned", {"assigned_to": None}),) if task.assigned_to is not None else ()))
    analytics.keep([task.id], Counter())
    _count_move(None, task.status)
    session.commit()
    return task


def _apply_transition(task: Task, actor: User, target: TaskStatus, now: datetime) -> None:
    if not rules.can_edit_task(actor, task):
        raise Forbidden("you may only move tasks assigned to or created by you")
    allowed = rules.allowed_targets(actor, task)
    if target not in allowed:
        raise InvalidTransition(
            f"cannot move a task from {task.status.value} to {target.value}",
            {"from": task.status.value, "to": target.value, "allowed": [s.value for s in allowed]},
        )
    old = task.status
    task.status = target
    status_intervals.record_move(session, task, old, target, now)
    history.record(
        task, actor, ChangeType.STATUS_CHANGE, {"status": old.value}, {"status": target.value}, now
    )
    events.status_changed(actor=actor, task=task, old_status=old, at=now)


def _apply_assignment(task: Task, actor: User, assignee_id: uuid.UUID | None, now: datetime) -> None:
    if assignee_id is None:
        if not rules.can_unassign(actor, task):
            raise Forbidden("only managers may unassign someone else's task")
    else:
        if not rules.can_assign(actor, task, assignee_id):
            raise Forbidden("agents may only take unassigned tasks for themselves")
        _active_assignee(assignee_id)
    _assign(task, actor, assignee_id, now)


def _assign(task: Task, actor: User, assignee_id: uuid.UUID | None, now: datetime, reason: str | None = None) -> None:
    """Give the task to `assignee_id` (None: back to the queue): its Assignment row and the assignee's notice.

    The one path of every assignment, manual or automatic (`reason`: why auto-assignment chose them, kept in
    the row's new value).
    """
    old = task.assigned_to
    task.assigned_to = assignee_id
    new = {"assigned_to": history.jsonable(assignee_id)}
    if reason is not None:
        new["reason"] = reason
    history.record(task, actor, ChangeType.ASSIGNMENT, {"assigned_to": history.jsonable(old)}, new, now)
    events.task_assigned(actor=actor, task=task, at=now, reason=reason)


def _auto_assign(task: Task, actor: User, now: datetime, department: str | None,
                 exclude: frozenset = frozenset()) -> None:
    """Give an unassigned task out by its department's rule, if the rule is on and someone is available."""
    chosen = assignment.pick(department=department, now=now, exclude=exclude)
    if chosen is not None:
        _assign(task, actor, chosen.user_id, now, chosen.reason)


def update_task(
    *,
    actor: User,
    task_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Task:
    """Apply `changes` (any of EDITABLE_FIELDS, `assigned_to`, `status`) as one versioned change.

    Writes one Edit row for the plain fields that changed, one Assignment row and one Status
    Change row as applicable. Nothing is written if any part is refused.
    """
    task = get_task(task_id=task_id)
    # A stale version first: whoever lost a race must reload before anything else applies.
    _check_version(task, expected_version, precondition)
    if not rules.can_edit_task(actor, task) and not rules.can_assign(actor, task, actor.id):
        raise Forbidden("you may only edit tasks assigned to or created by you")
    now = utcnow()
    facts_before = analytics.before_change([task.id])
    old_status, old_assignee = task.status, task.assigned_to
    try:
        edits = {f: v for f, v in changes.items() if f in EDITABLE_FIELDS and getattr(task, f) != v}
        assign = "assigned_to" in changes and changes["assigned_to"] != task.assigned_to
        move = "status" in changes and changes["status"] != task.status
        # Taking an unassigned task is an assignment, not an edit: agents may take any task.
        if edits and not rules.can_edit_task(actor, task):
            raise Forbidden("you may only edit tasks assigned to or created by you")
        if assign:
            _apply_assignment(task, actor, changes["assigned_to"], now)
        if edits:
            if edits.get("case_id") is not None:
                _open_case(edits["case_id"])
            old = {field: history.jsonable(getattr(task, field)) for field in edits}
            for field, value in edits.items():
                setattr(task, field, value)
            new = {field: history.jsonable(value) for field, value in edits.items()}
            history.record(task, actor, ChangeType.EDIT, old, new, now)
        if move:
            _apply_transition(task, actor, changes["status"], now)
        if assign and task.assigned_to is None and task.status in rules.OPEN_STATUSES:
            # Returned to the queue: its department's rule gives it out again at once, never back to who held it.
            _auto_assign(task, actor, now, assignment.department_of(task=task, holder=old_assignee),
                         frozenset({old_assignee}))
    except Exception:
        session.rollback()
        raise
    if edits or assign or move:
        task.updated_at = now
        announce = ((("task.assigned", {"assigned_to": old_assignee}),) if assign else ()) + (
            (("task.status_changed", {"status": old_status}),) if move else ())
        _commit_change(precondition, task, facts_before, announce, (old_status, task.status) if move else None)
        if "priority" in edits or (move and task.status in status_intervals.CLOCK_STATUSES):
            # A higher priority (a shorter target), a reopen or a resume may put the clock past a threshold now.
            escalations.check_task(task_id=task.id, now=now)
    return task


def change_status(
    *,
    actor: User,
    task_id: uuid.UUID,
    status: TaskStatus,
    expected_version: int | None = None,
    precondition: bool = False,
) -> Task:
    """Move a task to `status` if the transition table and the actor's role allow it."""
    task = get_task(task_id=task_id)
    _check_version(task, expected_version, precondition)
    now = utcnow()
    facts_before = analytics.before_change([task.id])
    old_status = task.status
    try:
        _apply_transition(task, actor, status, now)
    except Exception:
        session.rollback()
        raise
    task.updated_at = now
    _commit_change(precondition, task, facts_before, (("task.status_changed", {"status": old_status}),),
                   (old_status, task.status))
    if task.status in status_intervals.CLOCK_STATUSES:
        escalations.check_task(task_id=task.id, now=now)  # a reopen, a restore or a resume: maybe past a threshold
    return task


def delete_task(
    *, actor: User, task_id: uuid.UUID, expected_version: int | None = None, precondition: bool = False
) -> None:
    """Soft-delete: the task leaves every list and read; its history stays for audit."""
    if not rules.can_delete_task(actor):
        raise Forbidden("only managers and admins may delete tasks")
    task = get_task(task_id=task_id)
    _check_version(task, expected_version, precondition)
    now = utcnow()
    facts_before = analytics.before_change([task.id])
    task.deleted_at = now
    task.updated_at = now
    history.record(
        task, actor, ChangeType.EDIT, {"deleted_at": None}, {"deleted_at": now.isoformat()}, now
    )
    _commit_change(precondition, task, facts_before, moved=(task.status, None))


def titles(*, task_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Titles of these tasks by id (deleted ones included, for audit views), in one query."""
    if not task_ids:
        return {}
    return dict(session.execute(select(Task.id, Task.title).where(Task.id.in_(task_ids))).all())


def count_by_status(*, case_id: uuid.UUID | None = None) -> dict[str, int]:
    """Live task counts per status (every status present, zeros included)."""
    return status_counts(filters=TaskFilters(case_id=case_id))


def status_counts(*, filters: TaskFilters) -> dict[str, int]:
    """Live task counts per status for `filters`, one GROUP BY (every status present, zeros included)."""
    if filters == TaskFilters():
        # Unfiltered: the counters kept by every change, instead of a scan of every live task.
        counts = dict(session.execute(select(TaskStatusCount.status, TaskStatusCount.live)).all())
        return {status.value: counts.get(status, 0) for status in TaskStatus}
    statement = filtered_statement(filters).with_only_columns(Task.status, func.count()).group_by(Task.status)
    counts = dict(session.execute(statement).all())
    return {status.value: counts.get(status, 0) for status in TaskStatus}
