"""SLA targets: read by everyone signed in, set by an Admin."""
from flask import g

from api.base import BaseResource, dump, operation, parse_body
from api.schemas import SlaTargetsOut, SlaTargetsUpdate
from workflow import sla


def _out(targets: dict) -> dict:
    return dump(SlaTargetsOut, {priority.value: minutes for priority, minutes in targets.items()})


class SlaTargets(BaseResource):
    @operation(summary="SLA resolution targets", tag="sla", response=SlaTargetsOut)
    def get(self):
        """-> {"Low", "Medium", "High", "Critical"}: resolution target in minutes per priority."""
        return _out(sla.get_targets())

    @operation(summary="Change SLA targets (Admin)", tag="sla", body=SlaTargetsUpdate, response=SlaTargetsOut, errors=(403,))
    def put(self):
        """{"<priority>": minutes, ...} (partial) -> every target; Admins only."""
        body = parse_body(SlaTargetsUpdate)
        return _out(sla.set_targets(actor=g.user, targets=body.model_dump(exclude_none=True)))
