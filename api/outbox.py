"""The notification outbox for Admins: list messages (dead ones above all) and retry them."""
import uuid
from datetime import datetime
from typing import Any, Literal, Optional

from flask import g
from pydantic import Field

from api.base import BaseResource, dump, operation, page_response, paged, parse_id, parse_query
from api.schemas import Out, PageOut, PageQuery
from notifications import outbox
from workflow import notifications as notices


class OutboxQuery(PageQuery):
    status: Optional[Literal["pending", "sending", "sent", "dead"]] = Field(
        default=None, description="Only messages of this status, e.g. `dead`."
    )


class OutboxMessageOut(Out):
    id: uuid.UUID
    channel: str
    user_id: Optional[uuid.UUID]
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: Optional[str]
    created_at: datetime
    sent_at: Optional[datetime]


class OutboxList(BaseResource):
    @operation(summary="Outbox messages (Admin)", tag="admin", query=OutboxQuery, response=PageOut[OutboxMessageOut], errors=(403,))
    def get(self):
        """`?status=dead` -> {"items": [OutboxMessageOut] newest first, "next_cursor"}."""
        query = parse_query(OutboxQuery)
        page = paged(
            lambda: outbox.list_messages(actor=g.user, status=query.status, limit=query.limit, cursor=query.cursor)
        )
        return page_response(page, OutboxMessageOut)


class OutboxRetry(BaseResource):
    @operation(summary="Retry a dead outbox message (Admin)", tag="admin", response=OutboxMessageOut, errors=(403, 404, 409))
    def post(self, message_id):
        """-> OutboxMessageOut, pending again with fresh attempts; a message that is not dead is 409."""
        message = notices.retry_message(actor=g.user, message_id=parse_id(message_id, "message_id"))
        return dump(OutboxMessageOut, message)
