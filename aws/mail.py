"""Email: SMTP when SMTP_URL is set (smtp:// or smtps://, optional user:pass), else SES."""
import base64
import smtplib
import time
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from aws.clients import delivery_client


def message_id_header(message_id: str) -> str:
    """The Message-ID header of an outbox message: the same id on every attempt, so repeats can be dropped."""
    return f"<{message_id}@workflow-manager>"


def build_message(
    *, sender: str, to: str, subject: str, text: str, html: str, message_id: str, attachments: Sequence[dict] = (),
) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second (a header with CR or LF raises ValueError);
    with `attachments` (each {"filename", "content_type", "data": base64}, as an outbox payload carries them),
    multipart/mixed with the files after the text."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id_header(message_id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment["content_type"].partition(";")[0].strip().partition("/")
        # Our text files are UTF-8 (CSV): say so, or a reader takes them for ASCII.
        params = {"charset": "utf-8"} if maintype == "text" else {}
        message.add_attachment(
            base64.b64decode(attachment["data"], validate=True), maintype=maintype, subtype=subtype or "octet-stream",
            filename=attachment["filename"], params=params,
        )
    return message


class _Deadline:
    """An SMTP client whose whole exchange has one deadline: a socket timeout alone bounds each read and
    write, not their sum, and a slow server would hold a send far longer than its dispatcher's lease."""

    def __init__(self, host: str, port: int, *, seconds: float, **kwargs):
        self._deadline = time.monotonic() + seconds
        super().__init__(host, port, timeout=seconds, **kwargs)

    def _wait_at_most_what_is_left(self) -> None:
        if self.sock:
            # Past the deadline the next read or write times out at once (smtplib reports it as a disconnection).
            self.sock.settimeout(max(self._deadline - time.monotonic(), 0.001))

    def send(self, s):
        self._wait_at_most_what_is_left()
        return super().send(s)

    def getreply(self):
        self._wait_at_most_what_is_left()
        return super().getreply()


class _SMTP(_Deadline, smtplib.SMTP):
    pass


class _SMTPS(_Deadline, smtplib.SMTP_SSL):
    pass


def send_smtp(*, url: str, message: EmailMessage, timeout: float) -> None:
    """Send through the SMTP server at `url` (smtps:// is TLS from the start), all within `timeout` seconds."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        # A configuration mistake, not a fault of the message: RuntimeError, so the message waits for a fix.
        raise RuntimeError(f"SMTP_URL must be smtp:// or smtps://, not {parts.scheme}://")
    smtp_class = _SMTPS if parts.scheme == "smtps" else _SMTP
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    with smtp_class(parts.hostname, port, seconds=timeout) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def send_ses_raw(*, message: EmailMessage) -> str:
    """Send a whole built message (one with attachments) through SES; at most once, as `send_ses`."""
    response = delivery_client("ses").send_raw_email(
        Source=message["From"], Destinations=[message["To"]], RawMessage={"Data": message.as_bytes()},
    )
    return response["MessageId"]


def send_ses(*, sender: str, to: str, subject: str, text: str, html: str, message_id: str) -> str:
    """Send through SES; the outbox id travels as a message tag.

    SES has no idempotency key and replaces any Message-ID it is given, so a receiver cannot drop a repeat:
    the dispatcher sends email through SES at most once.
    """
    response = delivery_client("ses").send_email(
        Source=sender,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
        },
        Tags=[{"Name": "message_id", "Value": message_id}],
    )
    return response["MessageId"]
