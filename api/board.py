"""The board's WIP limits: read by everyone signed in, set per department (and the default) by Managers and Admins."""
from typing import Optional

from flask import g
from pydantic import BaseModel, Field

from api.base import BaseResource, dump, operation, parse_body, parse_query
from domain.board import WIP_STATUSES, WipLimitsQuery, WipLimitsUpdate, effective_limits
from workflow import board


class WipLimitsOut(BaseModel):
    """A department's board limits: what applies per open column, the department's own and the default's."""

    department: str = Field(description='The department; "" for the default of every department')
    limits: dict[str, Optional[int]] = Field(description="Per open column the limit that applies (own, else the default), or null")
    own: dict[str, int] = Field(description="The limits set for this department itself")
    default: dict[str, int] = Field(description="The default limits, for departments without their own")


def _out(department: str) -> dict:
    own, default = board.wip_settings(department=department)
    return dump(WipLimitsOut, {
        "department": department,
        "limits": {status.value: limit for status, limit in effective_limits(own, default).items()},
        "own": {status.value: own[status] for status in WIP_STATUSES if status in own},
        "default": {status.value: default[status] for status in WIP_STATUSES if status in default},
    })


class WipLimits(BaseResource):
    @operation(summary="Board WIP limits of a department", tag="board", query=WipLimitsQuery, response=WipLimitsOut,
               errors=(422,))
    def get(self):
        """?department= ("" or left out: the default) -> {"department", "limits": {"New" | "In Progress" | "On Hold":
        int | null}, "own": {...}, "default": {...}}."""
        return _out(parse_query(WipLimitsQuery).department)

    @operation(summary="Set board WIP limits (Manager, Admin)", tag="board", body=WipLimitsUpdate, response=WipLimitsOut,
               errors=(403, 422))
    def put(self):
        """{"department"?: str ("" the default), "limits": {"<open column>": 1-999 | null}} (columns left out keep
        theirs) -> the department's limits as GET gives them; Managers and Admins only."""
        body = parse_body(WipLimitsUpdate)
        limits = {column: limit for column, limit in body.limits.items()}
        board.set_wip_limits(actor=g.user, department=body.department, limits=limits)
        return _out(body.department)
