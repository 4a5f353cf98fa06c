"""SLA policy rules: the default and largest resolution targets, and what a valid change of them is."""
from db.models import Priority
from domain.errors import ValidationFailed

#: Critical 4 h, High 24 h, Medium 72 h, Low 168 h, as the migration seeds them.
DEFAULT_TARGET_MINUTES: dict[Priority, int] = {
    Priority.CRITICAL: 4 * 60,
    Priority.HIGH: 24 * 60,
    Priority.MEDIUM: 72 * 60,
    Priority.LOW: 168 * 60,
}
#: A target longer than a year is a typo, not a policy.
MAX_TARGET_MINUTES = 366 * 24 * 60


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
