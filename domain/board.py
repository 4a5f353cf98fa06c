"""Board rules: which columns take a WIP limit, what a limit may be, when a column is over it, how cards are grouped."""
from typing import Annotated, Literal, Optional

from pydantic import Field, StrictInt

from db.models import TaskStatus
from domain.errors import ValidationFailed
from domain.rules import OPEN_STATUSES
from domain.schemas import Schema, Text

#: Columns that take a WIP limit: work still in progress (Completed and Cancelled only ever grow).
WIP_STATUSES = OPEN_STATUSES
MAX_WIP_LIMIT = 999
#: The department key of the default that applies to every department without a limit of its own.
ALL_DEPARTMENTS = ""
MAX_DEPARTMENT = 100
#: How the cards of a column are grouped: not at all, by assignee, by priority.
SWIMLANES = ("none", "assignee", "priority")
LIMIT_MESSAGE = f"a whole number from 1 to {MAX_WIP_LIMIT}, or empty for no limit"


def parse_wip_limit(value) -> int | None:
    """A limit from a form or JSON: a whole number 1-999, or None for empty; anything else is a ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):  # a bool is an int to Python, never a limit
        raise ValueError(LIMIT_MESSAGE)
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError(LIMIT_MESSAGE)
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= MAX_WIP_LIMIT:
        raise ValueError(LIMIT_MESSAGE)
    return value


def validate_department(department) -> str:
    """The department a limit is for: its name, or "" (ALL_DEPARTMENTS) for the default."""
    if department is None:
        return ALL_DEPARTMENTS
    if not isinstance(department, str) or len(department.strip()) > MAX_DEPARTMENT or "\x00" in department:
        raise ValidationFailed("invalid department", [{"field": "department", "message": f"at most {MAX_DEPARTMENT} characters"}])
    return department.strip()


def validate_wip_limits(limits) -> dict[TaskStatus, int | None]:
    """{status name: limit or empty} -> {status: limit or None}; every bad field is named in the error's details."""
    if not isinstance(limits, dict):
        raise ValidationFailed("invalid WIP limits", [{"field": "limits", "message": "must be an object of status: limit"}])
    names = {status.value: status for status in WIP_STATUSES}
    cleaned, errors = {}, []
    for name, value in limits.items():
        if name not in names:
            errors.append({"field": str(name), "message": f"not a column with a WIP limit ({', '.join(names)})"})
            continue
        try:
            cleaned[names[name]] = parse_wip_limit(value)
        except ValueError:
            errors.append({"field": name, "message": LIMIT_MESSAGE})
    if errors:
        raise ValidationFailed("invalid WIP limits", errors)
    return cleaned


def effective_limits(own: dict[TaskStatus, int], default: dict[TaskStatus, int]) -> dict[TaskStatus, int | None]:
    """A department's limit per column: its own, else the default's, else none."""
    return {status: own.get(status, default.get(status)) for status in WIP_STATUSES}


def is_over_limit(count: int, limit: int | None) -> bool:
    """A column is over its limit when it holds more cards than the limit (at the limit is full, not over)."""
    return limit is not None and count > limit


# --- input schemas (the API's; the portal's form goes through validate_wip_limits alone) --------------------

WipColumn = Literal["New", "In Progress", "On Hold"]
assert WipColumn.__args__ == tuple(status.value for status in WIP_STATUSES)
WipLimit = Annotated[StrictInt, Field(ge=1, le=MAX_WIP_LIMIT)]
DepartmentKey = Annotated[Text(0, MAX_DEPARTMENT), Field(description='A department\'s name; "" (or left out) for the default')]


class WipLimitsQuery(Schema):
    department: DepartmentKey = ""


class WipLimitsUpdate(Schema):
    """One department's WIP limits (or the default's); columns left out keep theirs, null clears one."""

    department: DepartmentKey = ""
    limits: dict[WipColumn, Optional[WipLimit]] = Field(
        description="Per open column a whole number from 1 to 999, or null for no limit of its own"
    )
