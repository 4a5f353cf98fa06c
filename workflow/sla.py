"""SLA policy: the resolution target of each priority, read by everyone and set by an Admin."""
from sqlalchemy import select

from db import session
from db.models import Priority, SlaTarget, User
from workflow import rules
from workflow.errors import Forbidden, ValidationFailed

#: Critical 4 h, High 24 h, Medium 72 h, Low 168 h, as the migration seeds them.
DEFAULT_TARGET_MINUTES: dict[Priority, int] = {
    Priority.CRITICAL: 4 * 60,
    Priority.HIGH: 24 * 60,
    Priority.MEDIUM: 72 * 60,
    Priority.LOW: 168 * 60,
}
#: A target longer than a year is a typo, not a policy.
MAX_TARGET_MINUTES = 366 * 24 * 60


def get_targets() -> dict[Priority, int]:
    """Resolution target in minutes per priority: the stored ones, the defaults for any not stored."""
    stored = dict(session.execute(select(SlaTarget.priority, SlaTarget.target_minutes)).all())
    return {priority: stored.get(priority, DEFAULT_TARGET_MINUTES[priority]) for priority in Priority}


def validate_targets(targets: dict) -> dict[Priority, int]:
    """Targets keyed by Priority (or its name), each a whole number of minutes from 1 to a year."""
    valid, problems = {}, []
    for key, minutes in targets.items():
        try:
            priority = Priority(key)
        except ValueError:
            problems.append({"field": str(key), "message": f"one of {[p.value for p in Priority]}"})
            continue
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_TARGET_MINUTES:
            problems.append({"field": priority.value, "message": f"whole minutes from 1 to {MAX_TARGET_MINUTES}"})
            continue
        valid[priority] = minutes
    if problems:
        raise ValidationFailed("invalid SLA targets", problems)
    return valid


def set_targets(*, actor: User, targets: dict) -> dict[Priority, int]:
    """Change the targets of the priorities given (Admin only); the others keep theirs. Returns all targets."""
    if not rules.can_set_sla_targets(actor):
        raise Forbidden("only admins may change SLA targets")
    for priority, minutes in validate_targets(targets).items():
        row = session.get(SlaTarget, priority)
        if row is None:
            session.add(SlaTarget(priority=priority, target_minutes=minutes))
        else:
            row.target_minutes = minutes
    session.commit()
    return get_targets()
