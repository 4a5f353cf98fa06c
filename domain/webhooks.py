"""Webhooks: the events an endpoint may subscribe to, and the limits of a registration (its schema is
domain/schemas.WebhookCreate). Free of pydantic: the outbox dispatcher, which the Lambda package runs, reads it."""

#: The events an endpoint may subscribe to, in the order the portal lists them.
EVENTS = (
    "task.created", "task.status_changed", "task.assigned", "task.commented",
    "sla.warning", "sla.breached", "export.done",
)
#: The shortest secret a registration may bring: a short one is guessed, and then anyone can sign.
MIN_SECRET = 16
MAX_SECRET = 200
MAX_URL = 2000
