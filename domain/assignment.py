"""Auto-assignment rules: the modes a department may give its new work out by, who can be given it, and the input
schemas of the rules (who may set them: domain.rules.can_set_assignment_rules)."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from db.models import Role, User
from domain.errors import ValidationFailed
from domain.schemas import Schema, Text

OFF, ROUND_ROBIN, LEAST_LOADED = "off", "round_robin", "least_loaded"
#: The modes, in the order a form offers them; a department without a rule is OFF.
MODES = (OFF, ROUND_ROBIN, LEAST_LOADED)
MODE_LABELS = {OFF: "Off", ROUND_ROBIN: "Round robin", LEAST_LOADED: "Least loaded"}
#: Who is given work automatically: the department's Agents (Managers and Admins assign, they are not queued for).
CANDIDATE_ROLE = Role.AGENT
MAX_DEPARTMENT = 100


def is_away(user: User, now: datetime) -> bool:
    """Away now: the flag is set and its return moment, if any, is still to come (past it they count as back)."""
    return bool(user.away) and (user.away_until is None or user.away_until > now)


def is_candidate(user: User, department: str, now: datetime) -> bool:
    """An active Agent of the department who is not away: the people a rule gives work to (the SQL says the same)."""
    return (user.is_active and user.role == CANDIDATE_ROLE and user.department == department
            and not is_away(user, now))


def round_robin_reason() -> str:
    return "round robin"


def least_loaded_reason(open_tasks: int, weighted_load: int) -> str:
    """"least loaded: 3 open, weighted load 7": the assignee's open work when the task was given."""
    return f"least loaded: {open_tasks} open, weighted load {weighted_load}"


def validate_rules(rules) -> dict[str, str]:
    """{department: mode} from a form or JSON; every bad entry is named in the error's details."""
    if not isinstance(rules, dict) or not rules:
        raise ValidationFailed("invalid assignment rules",
                               [{"field": "rules", "message": "must be an object of department: mode"}])
    cleaned, errors = {}, []
    for department, mode in rules.items():
        name = department.strip() if isinstance(department, str) else ""
        if not name or len(name) > MAX_DEPARTMENT or "\x00" in name:
            errors.append({"field": str(department)[:MAX_DEPARTMENT],
                           "message": f"a department's name, 1 to {MAX_DEPARTMENT} characters"})
        elif mode not in MODES:
            errors.append({"field": name, "message": f"one of {', '.join(MODES)}"})
        else:
            cleaned[name] = mode
    if errors:
        raise ValidationFailed("invalid assignment rules", errors)
    return cleaned


def validate_away(away: bool, away_until: datetime | None, now: datetime) -> None:
    """A return moment is for someone away, and lies ahead (one in the past would mean they are back already)."""
    if away_until is None:
        return
    if not away:
        raise ValidationFailed("a return date is for someone away",
                               [{"field": "away_until", "message": "set only together with away"}])
    if away_until <= now:
        raise ValidationFailed("the return date has passed",
                               [{"field": "away_until", "message": "must be in the future"}])


# --- input schemas (the API's; the portal's form goes through validate_rules alone) ------------------------

Mode = Literal["off", "round_robin", "least_loaded"]
assert Mode.__args__ == MODES
DepartmentName = Annotated[Text(1, MAX_DEPARTMENT), Field(description="A department's name")]


class AssignmentRulesUpdate(Schema):
    """The modes of the departments named; the others keep theirs."""

    rules: dict[DepartmentName, Mode] = Field(
        min_length=1, description='Per department "off", "round_robin" or "least_loaded"')
