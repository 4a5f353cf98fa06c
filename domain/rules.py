"""The rules, each in one place: status transitions and who may do what."""
import re

from db.models import Role, Task, TaskStatus, User

S = TaskStatus

#: Allowed status moves; anything else is an invalid transition.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.COMPLETED: frozenset({S.IN_PROGRESS}),
    S.CANCELLED: frozenset({S.NEW}),
}

#: Reopening a completed task and restoring a cancelled one are for Managers and Admins.
SUPERVISOR_TRANSITIONS = frozenset({(S.COMPLETED, S.IN_PROGRESS), (S.CANCELLED, S.NEW)})

#: Statuses of work still to do (a tuple: SQL `IN` lists keep one order).
OPEN_STATUSES = (S.NEW, S.IN_PROGRESS, S.ON_HOLD)

SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})
WRITERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})


def is_supervisor(user: User) -> bool:
    """Admins and Managers act on every task."""
    return user.role in SUPERVISORS


def can_create_task(user: User) -> bool:
    return user.role in WRITERS


def can_edit_task(user: User, task: Task) -> bool:
    """Supervisors edit any task; an Agent edits tasks assigned to or created by them."""
    return _may_edit(user, user.id == task.assigned_to, user.id == task.created_by)


def _may_edit(user: User, is_assignee: bool, is_creator: bool) -> bool:
    return is_supervisor(user) or (user.role == Role.AGENT and (is_assignee or is_creator))


def can_assign(user: User, task: Task | None, assignee_id) -> bool:
    """Supervisors assign anyone; an Agent only takes an unassigned task (or creates one) for themself."""
    if is_supervisor(user):
        return True
    if user.role != Role.AGENT or assignee_id != user.id:
        return False
    return task is None or task.assigned_to is None


def can_unassign(user: User, task: Task) -> bool:
    """Supervisors unassign anyone; an Agent may hand back a task assigned to them."""
    return is_supervisor(user) or (user.role == Role.AGENT and task.assigned_to == user.id)


#: Per status, the targets in lifecycle order: for everyone who may edit, and for supervisors.
_EDITOR_TARGETS = {
    source: [t for t in TaskStatus if t in targets and (source, t) not in SUPERVISOR_TRANSITIONS]
    for source, targets in TRANSITIONS.items()
}
_SUPERVISOR_TARGETS = {source: [t for t in TaskStatus if t in targets] for source, targets in TRANSITIONS.items()}


def allowed_targets(user: User, task: Task) -> list[TaskStatus]:
    """The statuses this user may move this task to, in lifecycle order."""
    return targets_for(user, task.status, user.id == task.assigned_to, user.id == task.created_by)


def targets_for(user: User, status: TaskStatus, is_assignee: bool, is_creator: bool) -> list[TaskStatus]:
    """`allowed_targets` from all it depends on: the task's status, and whether the user is its assignee and its creator."""
    if not _may_edit(user, is_assignee, is_creator):
        return []
    return list((_SUPERVISOR_TARGETS if is_supervisor(user) else _EDITOR_TARGETS)[status])


def is_overdue(task, now) -> bool:
    """An open task past its due date."""
    return task.due_date is not None and task.due_date < now and task.status in OPEN_STATUSES


#: Roles that can be given tasks (Viewers change nothing, so they hold none).
ASSIGNABLE_ROLES = WRITERS


def can_delete_task(user: User) -> bool:
    return is_supervisor(user)


def can_comment(user: User) -> bool:
    """Anyone who works tasks may comment on any task; Viewers change nothing."""
    return user.role in WRITERS


def can_attach(user: User) -> bool:
    """Whoever may comment on a task may attach files to it."""
    return can_comment(user)


def can_remove_attachment(user: User, attachment) -> bool:
    """Supervisors remove any attachment; others only their own uploads (Viewers upload nothing)."""
    return is_supervisor(user) or (user.role in WRITERS and attachment.uploaded_by == user.id)


#: `@username` not preceded by a word character (so e-mail addresses are not mentions); a
#: trailing full stop ends the sentence, not the name.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.-]{2,63}[A-Za-z0-9_-])")


def mentioned_usernames(text: str) -> set[str]:
    """The usernames `@mentioned` in a text."""
    return {match.group(1) for match in MENTION.finditer(text)}


def can_create_case(user: User) -> bool:
    return user.role in WRITERS


def can_edit_case(user: User, case) -> bool:
    return is_supervisor(user) or (user.role == Role.AGENT and case.created_by == user.id)


def can_manage_users(user: User) -> bool:
    return user.role == Role.ADMIN


def can_see_contact(viewer: User, user: User) -> bool:
    """A user's email and phone are personal data: for Admins, Managers and the user themself.

    Agents and Viewers work with names and departments; they have no need of colleagues' contact details.
    """
    return is_supervisor(viewer) or viewer.id == user.id


def can_manage_outbox(user: User) -> bool:
    """The notification outbox (its dead letters and their retries) is the Admin's, like the users."""
    return can_manage_users(user)


def can_manage_webhooks(user: User) -> bool:
    """Webhook endpoints send task data outside: the Admin's, like the outbox."""
    return can_manage_users(user)


def can_read_audit(user: User) -> bool:
    """The audit log (who changed what, signed in, exported) is the Admin's to read and export."""
    return can_manage_users(user)


def can_export_history(user: User) -> bool:
    """The whole task history as one file (compliance reviews) is for supervisors."""
    return is_supervisor(user)


def can_set_notification_defaults(user: User) -> bool:
    """The notification defaults for users who chose nothing are set by an Admin."""
    return user.role == Role.ADMIN


def can_set_sla_targets(user: User) -> bool:
    """The SLA policy is the Admin's: the targets and the business-hours calendar they may count in."""
    return user.role == Role.ADMIN


def can_set_escalation_rules(user: User) -> bool:
    """Who is told as the SLA clock runs (the escalation rules) is the supervisors' to set; the targets stay the Admin's."""
    return is_supervisor(user)


def can_set_wip_limits(user: User) -> bool:
    """The board's WIP limits (any department's, and the default) are the supervisors' to set."""
    return is_supervisor(user)


def can_set_assignment_rules(user: User) -> bool:
    """How each department's new work is given out (auto-assignment) is the supervisors' to set, like its WIP limits."""
    return is_supervisor(user)


def can_manage_watchers_of_others(user: User) -> bool:
    return is_supervisor(user)


#: Analytics are the managers' tool; Viewers read reports too. Agents work tasks instead.
ANALYTICS_READERS = frozenset({Role.ADMIN, Role.MANAGER, Role.VIEWER})


def can_view_analytics(user: User) -> bool:
    """Who may read the SLA, workload and flow reports and their pages."""
    return user.role in ANALYTICS_READERS


def may_set_assignee(user: User, task: Task | None, assignee_id) -> bool:
    """Whether the user may leave a task (None: a new one) with this assignee: keeping it is no change, else the
    assignment rules above; the assignee pickers offer exactly these."""
    if assignee_id == (task.assigned_to if task is not None else None):
        return True
    if assignee_id is None:
        return can_unassign(user, task)
    return can_assign(user, task, assignee_id)


def can_put_in_case(user: User, task: Task) -> bool:
    """Putting a task in a case, moving it to another or out of one, is editing the task."""
    return can_edit_task(user, task)


# --- service tokens (personal access tokens for integrations) ---------------------------

#: The scopes a service token may carry: `read` alone calls only methods that change nothing; `write`
#: (which includes `read`) calls any method its owner may.
TOKEN_SCOPES = ("read", "write")
#: The HTTP methods that change nothing: all a read-only token may call.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token_allows(scopes, method: str) -> bool:
    """Whether a service token with `scopes` may make a request with this HTTP method (writes need `write`)."""
    return method.upper() in READ_METHODS or "write" in scopes


def can_manage_all_tokens(user: User) -> bool:
    """Everyone's service tokens (to list and revoke) are the Admin's to see, as the users are."""
    return can_manage_users(user)
