"""Auto-assignment rules: each department's mode (off, round robin, least loaded); read by everyone signed in,
set by Managers and Admins."""
from datetime import datetime
from typing import Literal, Optional

from flask import g
from pydantic import BaseModel, Field

from api.base import BaseResource, dump, operation, parse_body
from domain.assignment import AssignmentRulesUpdate
from workflow import assignment


class AssignmentRuleOut(BaseModel):
    """How one department's new and returned-to-the-queue tasks are given out."""

    department: str
    mode: Literal["off", "round_robin", "least_loaded"] = Field(
        description="off: by hand; round_robin: each of the department's available Agents in turn (by username); "
                    "least_loaded: the one with the least open work weighted by priority (the workload report's measure)")
    updated_at: Optional[datetime] = Field(description="When the mode was last set; null: never set (off)")


class AssignmentRulesOut(BaseModel):
    rules: list[AssignmentRuleOut] = Field(description="Every department people work in or with a rule, by name")


def _out(found) -> dict:
    return dump(AssignmentRulesOut, {"rules": found})


class AssignmentRules(BaseResource):
    @operation(summary="Auto-assignment rules of every department", tag="assignment", response=AssignmentRulesOut)
    def get(self):
        """-> {"rules": [{"department", "mode": "off" | "round_robin" | "least_loaded", "updated_at"}]}."""
        return _out(assignment.list_rules())

    @operation(summary="Set auto-assignment rules (Manager, Admin)", tag="assignment", body=AssignmentRulesUpdate,
               response=AssignmentRulesOut, errors=(403, 409, 422))
    def put(self):
        """{"rules": {"<department>": "off" | "round_robin" | "least_loaded"}} (departments left out keep theirs) ->
        every rule, as GET gives them; Managers and Admins only."""
        body = parse_body(AssignmentRulesUpdate)
        return _out(assignment.set_rules(actor=g.user, rules_by_department=dict(body.rules)))
