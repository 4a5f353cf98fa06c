"""SNS: event publications to the topic other systems subscribe to, and SMS to a phone number."""
import json
import re

from aws.clients import delivery_client

#: E.164: a plus, a country code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def _attribute(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


def publish_event(*, topic_arn: str, message_id: str, payload: dict) -> str:
    """Publish one notification event; subscribers filter on the `type`, `user` and `task` attributes."""
    response = delivery_client("sns").publish(
        TopicArn=topic_arn,
        Message=json.dumps(payload),
        MessageAttributes={
            "type": _attribute(payload["type"]),
            "user": _attribute(payload["user"]),
            "task": _attribute(payload["task"]),
            # Delivery is at-least-once: subscribers drop a repeated message_id.
            "message_id": _attribute(message_id),
        },
    )
    return response["MessageId"]


def send_sms(*, phone: str, text: str, message_id: str) -> str:
    """Send a text message to an E.164 phone number.

    SNS has no idempotency key for SMS (the `message_id` attribute does not reach the phone): the dispatcher
    sends each SMS at most once.
    """
    if not E164.match(phone):
        raise ValueError(f"not an E.164 phone number: {phone!r}")
    response = delivery_client("sns").publish(
        PhoneNumber=phone,
        Message=text,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": _attribute("Transactional"),
            "message_id": _attribute(message_id),
        },
    )
    return response["MessageId"]
