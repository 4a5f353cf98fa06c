"""Application logs as structured JSON, one line per record on stdout, and to CloudWatch Logs when configured.

Each line carries time, level, logger, message and the request id (X-Request-ID, taken from the
request or made up, and returned in the response). With CLOUDWATCH_LOG_GROUP set, records are
also batched to that group (stream CLOUDWATCH_LOG_STREAM, default host-pid) by a background
thread with PutLogEvents; a failed send is reported on stderr, never raised.
"""
import json
import logging
import os
import socket
import sys
import threading
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

from aws.clients import Clients

#: Loggers whose records would feed back into the CloudWatch Logs handler while it sends.
QUIET = ("botocore", "boto3", "urllib3", "s3transfer")
#: PutLogEvents: at most 10,000 events and 1 MiB per call (each event counts 26 bytes extra).
MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_000_000
EVENT_OVERHEAD = 26
MAX_BUFFERED = 50_000


def request_id() -> str | None:
    """The current request's id, if in a request."""
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id (and exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class CloudWatchLogsHandler(logging.Handler):
    """Buffers formatted records and sends them with PutLogEvents every `interval` seconds or `batch_size` records."""

    def __init__(self, *, clients: Clients, group: str, stream: str, interval: float = 5.0, batch_size: int = 500):
        super().__init__()
        self.clients, self.group, self.stream = clients, group, stream
        self.interval, self.batch_size = interval, batch_size
        self._events: list[dict] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._sending = threading.local()
        self._ready = False
        self._thread: threading.Thread | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(QUIET) or getattr(self._sending, "active", False):
            return
        try:
            event = {"timestamp": int(record.created * 1000), "message": self.format(record)}
        except Exception:
            self.handleError(record)
            return
        with self._lock:
            if len(self._events) < MAX_BUFFERED:
                self._events.append(event)
            full = len(self._events) >= self.batch_size
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cloudwatch-logs", daemon=True)
                self._thread.start()
        if full:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def _ensure_stream(self, logs) -> None:
        if self._ready:
            return
        for create, kwargs in ((logs.create_log_group, {"logGroupName": self.group}),
                               (logs.create_log_stream, {"logGroupName": self.group, "logStreamName": self.stream})):
            try:
                create(**kwargs)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        self._ready = True

    def flush(self) -> None:
        """Send what is buffered now (in time order, in calls within PutLogEvents' limits)."""
        with self._send_lock:
            with self._lock:
                events, self._events = self._events, []
            if not events:
                return
            events.sort(key=lambda event: event["timestamp"])
            self._sending.active = True
            try:
                logs = self.clients.get("logs")
                self._ensure_stream(logs)
                for batch in _batches(events):
                    logs.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=batch)
            except Exception as exc:  # logging must never take the app down
                print(f"could not send {len(events)} log events to CloudWatch Logs: {exc}", file=sys.stderr)
            finally:
                self._sending.active = False

    def close(self) -> None:
        self.flush()
        super().close()


def _batches(events: list[dict]):
    batch, size = [], 0
    for event in events:
        length = len(event["message"].encode("utf-8")) + EVENT_OVERHEAD
        if batch and (len(batch) >= MAX_EVENTS or size + length > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += length
    if batch:
        yield batch


def _tagged(handler: logging.Handler, tag: str) -> logging.Handler:
    handler._workflow_manager = tag  # so configuring again replaces, never duplicates
    return handler


def configure(app: Flask, stream=None) -> list[logging.Handler]:
    """Install the JSON stdout handler (LOG_JSON) and the CloudWatch Logs handler (CLOUDWATCH_LOG_GROUP) on the root logger."""
    config = app.config
    root = logging.getLogger()
    installed = []
    if config.get("LOG_JSON"):
        handler = _tagged(logging.StreamHandler(stream or sys.stdout), "json")
        handler.setFormatter(JsonFormatter())
        installed.append(handler)
    if config.get("CLOUDWATCH_LOG_GROUP"):
        handler = _tagged(CloudWatchLogsHandler(
            clients=Clients(config["AWS_REGION"], config.get("AWS_ENDPOINT_URL")),
            group=config["CLOUDWATCH_LOG_GROUP"],
            stream=config.get("CLOUDWATCH_LOG_STREAM") or f"{socket.gethostname()}-{os.getpid()}",
            interval=config["CLOUDWATCH_LOG_FLUSH_SECONDS"],
        ), "cloudwatch")
        handler.setFormatter(JsonFormatter())
        installed.append(handler)
    if installed:
        replaced = {getattr(h, "_workflow_manager") for h in installed}
        for old in [h for h in root.handlers if getattr(h, "_workflow_manager", None) in replaced]:
            root.removeHandler(old)
            old.close()
        for handler in installed:
            root.addHandler(handler)
        root.setLevel(config.get("LOG_LEVEL") or "INFO")
    return installed


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # Taken from a proxy if it looks like an id; never a whole header's worth of anything.
    g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex


def _return_request_id(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def init_app(app: Flask) -> None:
    """Request ids on every request; the log handlers as configured."""
    # First of all before_request hooks, so every log line of the request carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.after_request(_return_request_id)
    configure(app)

