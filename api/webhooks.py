"""Webhook endpoints (Admin): register, list with their recent deliveries, delete, send a test event.

A dead delivery is retried like any outbox message: `POST /api/admin/outbox/{delivery_id}/retry`.
"""
import uuid
from datetime import datetime
from typing import Optional

from flask import g
from pydantic import BaseModel, Field

from api.base import BaseResource, dump, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import Out, PageOut, PageQuery
from db.pagination import Page
from domain.schemas import WebhookCreate
from workflow import webhooks


class DeliveryOut(Out):
    id: uuid.UUID = Field(description="The delivery id: the X-Workflow-Delivery header, the same on every retry")
    event: str
    status: str = Field(description="pending | sending | sent | dead")
    attempts: int
    last_error: Optional[str] = Field(description="Why the last attempt failed: the receiver's status and the "
                                      "first bytes of its answer, or the connection error")
    created_at: datetime
    sent_at: Optional[datetime]


class WebhookOut(Out):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    created_by: Optional[uuid.UUID]
    created_at: datetime
    recent_deliveries: list[DeliveryOut] = Field(
        default_factory=list, description=f"The latest {webhooks.RECENT} deliveries, newest first")


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret: shown in this answer only")


class WebhookTestOut(BaseModel):
    delivery_id: uuid.UUID
    status: str


def _delivery(message) -> dict:
    return {"id": message.id, "event": message.payload.get("event", ""), "status": message.status,
            "attempts": message.attempts, "last_error": message.last_error, "created_at": message.created_at,
            "sent_at": message.sent_at}


def _webhook(webhook, recent=()) -> dict:
    return {"id": webhook.id, "url": webhook.url, "events": list(webhook.events), "active": webhook.active,
            "created_by": webhook.created_by, "created_at": webhook.created_at,
            "recent_deliveries": [_delivery(message) for message in recent]}


class WebhookList(BaseResource):
    @operation(summary="Webhook endpoints (Admin)", tag="webhooks", query=PageQuery, response=PageOut[WebhookOut],
               errors=(403,))
    def get(self):
        """-> {"items": [WebhookOut] newest first, each with its latest deliveries, "next_cursor"}; never a secret."""
        query = parse_query(PageQuery)
        page = paged(lambda: webhooks.list_webhooks(actor=g.user, limit=query.limit, cursor=query.cursor))
        return page_response(Page([_webhook(i.webhook, i.recent) for i in page.items], page.next_cursor), WebhookOut)

    @operation(summary="Register a webhook endpoint (Admin)", tag="webhooks", body=WebhookCreate,
               response=WebhookCreatedOut, status=201, errors=(403,))
    def post(self):
        """{"url", "events": [...], "secret"?} -> 201 WebhookCreatedOut with the secret, this once.

        The URL must be http(s) on a public address (422 otherwise, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS).
        """
        body = parse_body(WebhookCreate)
        registered = webhooks.create_webhook(actor=g.user, url=body.url, events=body.events, secret=body.secret)
        return dump(WebhookCreatedOut, {**_webhook(registered.webhook), "secret": registered.secret}), 201


class WebhookItem(BaseResource):
    @operation(summary="Delete a webhook endpoint (Admin)", tag="webhooks", response=None, status=204,
               errors=(403, 404))
    def delete(self, webhook_id):
        """-> 204; nothing more is sent to it (its pending deliveries are dead)."""
        webhooks.delete_webhook(actor=g.user, webhook_id=parse_id(webhook_id, "webhook_id"))
        return "", 204


class WebhookTest(BaseResource):
    @operation(summary="Send a test event to a webhook endpoint (Admin)", tag="webhooks", response=WebhookTestOut,
               status=202, errors=(403, 404))
    def post(self, webhook_id):
        """-> 202 {"delivery_id", "status"}: a `ping` event queued for the endpoint, delivered like any event."""
        message = webhooks.send_test(actor=g.user, webhook_id=parse_id(webhook_id, "webhook_id"))
        return {"delivery_id": str(message.id), "status": message.status}, 202
