"""SLA escalation rules: per priority, a warning to the assignee at a share of the target, a notice to the
assignee and the department's managers at breach, and what else a breach does; the defaults and what a
valid change of them is."""
from dataclasses import asdict, dataclass, fields, replace
from typing import Annotated, Optional

from pydantic import Field, StrictBool, StrictInt

from db.models import Priority
from domain.errors import ValidationFailed
from domain.schemas import Schema

#: The steps of an SLA episode, each fired once per task and episode.
WARNING, BREACH = "warning", "breach"
STEPS = (WARNING, BREACH)
#: The share of the target a warning may be set at, in whole percent.
PERCENT_RANGE = (1, 99)


@dataclass(frozen=True)
class EscalationRule:
    """What one priority's SLA clock triggers: the default is a warning at 75 % (the at-risk share) and a
    breach notice, nothing changed on the task."""

    warning_enabled: bool = True
    warning_percent: int = 75
    breach_enabled: bool = True
    #: At breach, raise the task's priority one step (Critical stays Critical).
    raise_priority: bool = False
    #: At breach, take the task from its assignee back to the queue.
    return_to_queue: bool = False


DEFAULT_RULE = EscalationRule()
FIELDS = tuple(f.name for f in fields(EscalationRule))
BOOLEAN_FIELDS = tuple(name for name in FIELDS if name != "warning_percent")


def rule_json(rule: EscalationRule) -> dict:
    """A rule as the API sends it and the audit log keeps it."""
    return asdict(rule)


def rules_json(rules: dict[Priority, EscalationRule]) -> dict:
    """Every priority's rule, keyed by the priority's name, in priority order."""
    return {priority.value: rule_json(rules[priority]) for priority in Priority}


def raised(priority: Priority) -> Priority | None:
    """The priority one step up, or None for the highest."""
    order = list(Priority)
    index = order.index(priority)
    return order[index + 1] if index + 1 < len(order) else None


def validate_rules(changes, current: dict[Priority, EscalationRule]) -> dict[Priority, EscalationRule]:
    """The rules after `changes` ({"<priority>": {field: value, ...}}, partial): the priorities and fields
    left out keep theirs. Raises ValidationFailed naming every bad field."""
    if not isinstance(changes, dict):
        raise ValidationFailed("invalid escalation rules", [{"field": "body", "message": "must be an object"}])
    problems: list[dict] = []
    result = dict(current)
    for key, change in changes.items():
        try:
            priority = Priority(key)
        except ValueError:
            problems.append({"field": str(key), "message": f"one of {[p.value for p in Priority]}"})
            continue
        if not isinstance(change, dict):
            problems.append({"field": priority.value, "message": "must be an object"})
            continue
        valid = {}
        for name, value in change.items():
            where = f"{priority.value}.{name}"
            if name not in FIELDS:
                problems.append({"field": where, "message": f"unknown field; one of {list(FIELDS)}"})
            elif name == "warning_percent":
                low, high = PERCENT_RANGE
                if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                    problems.append({"field": where, "message": f"a whole percent from {low} to {high}"})
                else:
                    valid[name] = value
            elif not isinstance(value, bool):
                problems.append({"field": where, "message": "true or false"})
            else:
                valid[name] = value
        result[priority] = replace(result[priority], **valid)
    if problems:
        raise ValidationFailed("invalid escalation rules", problems)
    return result


Percent = Annotated[StrictInt, Field(ge=PERCENT_RANGE[0], le=PERCENT_RANGE[1])]


class EscalationRuleUpdate(Schema):
    """One priority's escalation; fields left out keep theirs."""

    warning_enabled: Optional[StrictBool] = Field(default=None, description="Warn the assignee at warning_percent")
    warning_percent: Optional[Percent] = Field(default=None, description="Share of the target used at which the warning goes")
    breach_enabled: Optional[StrictBool] = Field(
        default=None, description="At breach, notify the assignee and the managers of the task's department")
    raise_priority: Optional[StrictBool] = Field(default=None, description="At breach, raise the priority one step")
    return_to_queue: Optional[StrictBool] = Field(default=None, description="At breach, unassign the task")


class EscalationRulesUpdate(Schema):
    """Escalation rules per priority; priorities left out keep theirs."""

    Low: Optional[EscalationRuleUpdate] = None
    Medium: Optional[EscalationRuleUpdate] = None
    High: Optional[EscalationRuleUpdate] = None
    Critical: Optional[EscalationRuleUpdate] = None
