"""SLA escalations: per priority, when the assignee is warned and what a breach does; read by everyone signed
in, set by Managers and Admins."""
from flask import g
from pydantic import BaseModel

from api.base import BaseResource, dump, operation, parse_body
from domain import escalations as policy_rules
from domain.escalations import EscalationRulesUpdate
from workflow import escalations


class EscalationRuleOut(BaseModel):
    """One priority's escalation: a warning to the assignee at `warning_percent` % of the target, a notice to the
    assignee and the department's managers at breach, and the breach's actions."""

    warning_enabled: bool
    warning_percent: int
    breach_enabled: bool
    raise_priority: bool
    return_to_queue: bool


class EscalationRulesOut(BaseModel):
    """Every priority's escalation rule."""

    Low: EscalationRuleOut
    Medium: EscalationRuleOut
    High: EscalationRuleOut
    Critical: EscalationRuleOut


def _out(rules: dict) -> dict:
    return dump(EscalationRulesOut, policy_rules.rules_json(rules))


class SlaEscalations(BaseResource):
    @operation(summary="SLA escalation rules", tag="sla", response=EscalationRulesOut)
    def get(self):
        """-> {"<priority>": {"warning_enabled", "warning_percent", "breach_enabled", "raise_priority",
        "return_to_queue"}, ...}: per priority, when the assignee is warned and what a breach does."""
        return _out(escalations.get_rules())

    @operation(summary="Change SLA escalation rules (Manager, Admin)", tag="sla", body=EscalationRulesUpdate,
               response=EscalationRulesOut, errors=(403,))
    def put(self):
        """{"<priority>": {"warning_enabled"?, "warning_percent"? (1-99), "breach_enabled"?, "raise_priority"?,
        "return_to_queue"?}, ...} (partial; what GET returns is a valid body) -> every rule; Managers and Admins only."""
        body = parse_body(EscalationRulesUpdate).model_dump(exclude_none=True)
        return _out(escalations.set_rules(actor=g.user, changes=body))
