"""SLA policy: the resolution target of each priority, and whether it counts business hours only
(workflow/calendar.py); read by everyone and set by an Admin."""
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


def get_policy() -> tuple[dict[Priority, int], dict[Priority, bool]]:
    """(target minutes, business-hours flag) per priority, in one query: the stored ones, the defaults for any not stored."""
    stored = {row.priority: row for row in session.execute(
        select(SlaTarget.priority, SlaTarget.target_minutes, SlaTarget.business_hours))}
    minutes = {p: stored[p].target_minutes if p in stored else DEFAULT_TARGET_MINUTES[p] for p in Priority}
    return minutes, {p: bool(stored[p].business_hours) if p in stored else False for p in Priority}


def get_targets() -> dict[Priority, int]:
    """Resolution target in minutes per priority: the stored ones, the defaults for any not stored."""
    return get_policy()[0]


def get_business_hours() -> dict[Priority, bool]:
    """Per priority, whether its clock counts only the business-hours calendar's working time (default False)."""
    return get_policy()[1]


def _minutes_ok(minutes) -> bool:
    return not isinstance(minutes, bool) and isinstance(minutes, int) and 1 <= minutes <= MAX_TARGET_MINUTES


def _priority(key, problems: list) -> Priority | None:
    try:
        return Priority(key)
    except ValueError:
        problems.append({"field": str(key), "message": f"one of {[p.value for p in Priority]}"})
        return None


def validate_policy(targets: dict, business_hours: dict | None = None) -> dict[Priority, dict]:
    """Per priority the changes asked for, {"minutes"?: int, "business_hours"?: bool}.

    `targets` maps a Priority (or its name) to whole minutes from 1 to a year, or to
    {"minutes": ..., "business_hours": ...} (either or both); `business_hours` maps a priority to
    its flag. A flag given both ways must agree.
    """
    if not isinstance(targets, dict) or not isinstance(business_hours or {}, dict):
        raise ValidationFailed("invalid SLA targets", [{"field": "body", "message": "must be an object"}])
    valid: dict[Priority, dict] = {}
    problems: list[dict] = []
    minutes_message = f"whole minutes from 1 to {MAX_TARGET_MINUTES}"
    for key, value in targets.items():
        priority = _priority(key, problems)
        if priority is None:
            continue
        if isinstance(value, dict):
            change = {}
            unknown = set(value) - {"minutes", "business_hours"}
            if unknown or not value:
                problems.append({"field": priority.value, "message": "minutes, business_hours or both"})
                continue
            if "minutes" in value:
                if not _minutes_ok(value["minutes"]):
                    problems.append({"field": f"{priority.value}.minutes", "message": minutes_message})
                    continue
                change["minutes"] = value["minutes"]
            if "business_hours" in value:
                if not isinstance(value["business_hours"], bool):
                    problems.append({"field": f"{priority.value}.business_hours", "message": "true or false"})
                    continue
                change["business_hours"] = value["business_hours"]
            valid[priority] = change
        elif _minutes_ok(value):
            valid[priority] = {"minutes": value}
        else:
            problems.append({"field": priority.value, "message": minutes_message})
    for key, flag in (business_hours or {}).items():
        priority = _priority(key, problems)
        if priority is None:
            continue
        where = f"business_hours.{priority.value}"
        if not isinstance(flag, bool):
            problems.append({"field": where, "message": "true or false"})
        elif valid.get(priority, {}).get("business_hours", flag) != flag:
            problems.append({"field": where, "message": f"disagrees with {priority.value}.business_hours"})
        else:
            valid.setdefault(priority, {})["business_hours"] = flag
    if problems:
        raise ValidationFailed("invalid SLA targets", problems)
    return valid


def validate_targets(targets: dict) -> dict[Priority, int]:
    """Targets keyed by Priority (or its name), each a whole number of minutes from 1 to a year."""
    valid, problems = {}, []
    for key, minutes in targets.items():
        priority = _priority(key, problems)
        if priority is None:
            continue
        if not _minutes_ok(minutes):
            problems.append({"field": priority.value, "message": f"whole minutes from 1 to {MAX_TARGET_MINUTES}"})
            continue
        valid[priority] = minutes
    if problems:
        raise ValidationFailed("invalid SLA targets", problems)
    return valid


def set_targets(*, actor: User, targets: dict, business_hours: dict | None = None) -> dict[Priority, int]:
    """Change the targets of the priorities given (Admin only); the others keep theirs. Returns all targets.

    A target is whole minutes, or {"minutes", "business_hours"} (either or both); `business_hours`
    may also be given on its own as {priority: bool}. See validate_policy.
    """
    if not rules.can_set_sla_targets(actor):
        raise Forbidden("only admins may change SLA targets")
    for priority, change in validate_policy(targets, business_hours).items():
        row = session.get(SlaTarget, priority)
        if row is None:
            row = SlaTarget(priority=priority, target_minutes=DEFAULT_TARGET_MINUTES[priority], business_hours=False)
            session.add(row)
        if "minutes" in change:
            row.target_minutes = change["minutes"]
        if "business_hours" in change:
            row.business_hours = change["business_hours"]
    session.commit()
    return get_targets()
