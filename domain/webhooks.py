"""Webhooks: the events an endpoint may subscribe to, and what a registration must look like."""
from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints, ValidationError

from domain.errors import ValidationFailed
from domain.schemas import Schema

#: The events an endpoint may subscribe to, in the order the portal lists them.
EVENTS = (
    "task.created", "task.status_changed", "task.assigned", "task.commented",
    "sla.warning", "sla.breached", "export.done",
)
Event = Literal[EVENTS]
#: The shortest secret a registration may bring: a short one is guessed, and then anyone can sign.
MIN_SECRET = 16
MAX_SECRET = 200
MAX_URL = 2000

#: A secret: printable ASCII without blanks (it is typed into the receiver's configuration too).
WebhookSecret = Annotated[str, StringConstraints(min_length=MIN_SECRET, max_length=MAX_SECRET, pattern=r"^[!-~]+$")]
WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL, pattern=r"^[!-~]+$")]


class WebhookCreate(Schema):
    """An endpoint to register: an http(s) URL on a public address, the events it takes, and optionally its secret."""

    url: WebhookUrl = Field(description="http:// or https:// URL; loopback and private addresses are refused")
    events: list[Event] = Field(min_length=1, description="The events to send it (at least one)")
    secret: Optional[WebhookSecret] = Field(
        default=None, description=f"{MIN_SECRET} to {MAX_SECRET} printable characters; left out, one is generated "
        "and returned once")


def validate_webhook(*, url, events, secret) -> WebhookCreate:
    """The registration checked field by field (the portal's form and the API alike); ValidationFailed names
    every bad field."""
    try:
        checked = WebhookCreate.model_validate({"url": url, "events": events, "secret": secret or None})
    except ValidationError as error:
        details = [{"field": ".".join(str(part) for part in e["loc"]) or "body", "message": e["msg"]}
                   for e in error.errors()]
        raise ValidationFailed("invalid webhook", details) from None
    # Each event once, in the order given.
    return checked.model_copy(update={"events": list(dict.fromkeys(checked.events))})
