"""The audit log for Admins: read it, filtered and paged (it has no write endpoint: rows are never changed)."""
import uuid
from datetime import datetime
from typing import Any, Optional

from flask import g
from pydantic import Field, field_validator

from api.base import BaseResource, operation, page_response, paged, parse_query
from api.schemas import Out, PageOut, PageQuery, UtcDatetime
from reports.audit_log import AuditFilters
from workflow import audit


class AuditQuery(PageQuery):
    action: Optional[str] = Field(default=None, description="An action (`user.updated`) or a subject (`user`) for all of its actions.")
    actor: Optional[uuid.UUID] = Field(default=None, description="Only what this user did.")
    target_type: Optional[str] = Field(default=None, max_length=32, description="e.g. `user`, `token`, `webhook`, `sla`.")
    target_id: Optional[str] = Field(default=None, max_length=200)
    date_from: Optional[UtcDatetime] = Field(default=None, description="From this moment (inclusive).")
    date_to: Optional[UtcDatetime] = Field(default=None, description="Until this moment (exclusive).")

    @field_validator("action")
    @classmethod
    def known_action(cls, value: str | None) -> str | None:
        if value is not None and value not in audit.ACTIONS and value not in audit.SUBJECTS:
            raise ValueError(f"must be one of {', '.join(audit.SUBJECTS)} or one of their actions")
        return value


class AuditEventOut(Out):
    id: uuid.UUID
    at: datetime
    actor_id: Optional[uuid.UUID]
    actor_name: Optional[str]
    action: str
    target_type: Optional[str]
    target_id: Optional[str]
    before: Optional[dict[str, Any]]
    after: Optional[dict[str, Any]]
    address: Optional[str]


class AuditList(BaseResource):
    @operation(summary="The audit log (Admin)", tag="admin", query=AuditQuery, response=PageOut[AuditEventOut], errors=(403, 422))
    def get(self):
        """`?action=user&actor=&target_type=&target_id=&date_from=&date_to=` -> {"items": [AuditEventOut] newest
        first, "next_cursor"}: administrative changes, sign-ins (and failed ones) and exports."""
        query = parse_query(AuditQuery)
        filters = AuditFilters(action=query.action, actor_id=query.actor, target_type=query.target_type,
                               target_id=query.target_id, since=query.date_from, until=query.date_to)
        page = paged(lambda: audit.list_events(actor=g.user, filters=filters, limit=query.limit, cursor=query.cursor))
        return page_response(page, AuditEventOut)
