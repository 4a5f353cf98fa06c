"""Email: SMTP when SMTP_URL is set (smtp:// or smtps://, optional user:pass), else SES."""
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from aws.clients import client

SMTP_TIMEOUT_SECONDS = 15


def message_id_header(message_id: str) -> str:
    """The Message-ID header of an outbox message: the same id on every attempt, so repeats can be dropped."""
    return f"<{message_id}@workflow-manager>"


def build_message(*, sender: str, to: str, subject: str, text: str, html: str, message_id: str) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id_header(message_id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_smtp(*, url: str, message: EmailMessage) -> None:
    """Send through the SMTP server at `url` (smtps:// is TLS from the start)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must be smtp:// or smtps://, not {parts.scheme}://")
    smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    with smtp_class(parts.hostname, port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def send_ses(*, sender: str, to: str, subject: str, text: str, html: str, message_id: str) -> str:
    """Send through SES; the outbox id travels as a message tag."""
    response = client("ses").send_email(
        Source=sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
        },
        Tags=[{"Name": "message_id", "Value": message_id}],
    )
    return response["MessageId"]
