"""CloudWatch metrics: request latency and errors, notifications sent and failed, and gauges others put.

Datapoints go to an in-process buffer that a background thread sends with PutMetricData every
METRICS_FLUSH_SECONDS, or sooner once METRICS_BATCH_SIZE datapoints wait. Recording never
blocks a request and never raises: a failed send is logged and its datapoints dropped.
Off unless METRICS_ENABLED; namespace METRICS_NAMESPACE (default "WorkflowManager").
"""
import atexit
import logging
import threading
import time
from datetime import datetime, timezone

from flask import Flask, current_app, g, has_app_context, request

log = logging.getLogger(__name__)

#: PutMetricData takes up to 1000 datapoints per call; smaller calls keep each request small.
PUT_CHUNK = 500
#: Beyond this many waiting datapoints (CloudWatch away for long), new ones are dropped.
MAX_BUFFERED = 20_000


class MetricsBuffer:
    """Datapoints waiting for PutMetricData, and the thread that sends them."""

    def __init__(self, app: Flask):
        self.app = app
        self.namespace = app.config["METRICS_NAMESPACE"]
        self.interval = app.config["METRICS_FLUSH_SECONDS"]
        self.batch_size = app.config["METRICS_BATCH_SIZE"]
        self._data: list[dict] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dropped = 0

    def put(self, name: str, value: float, unit: str = "Count", dimensions: dict[str, str] | None = None) -> None:
        """Buffer one datapoint (cheap; never blocks on the network)."""
        datum = {
            "MetricName": name, "Value": float(value), "Unit": unit, "Timestamp": datetime.now(timezone.utc),
            "Dimensions": [{"Name": key, "Value": str(val)} for key, val in sorted((dimensions or {}).items())],
        }
        with self._lock:
            if len(self._data) >= MAX_BUFFERED:
                self._dropped += 1
                return
            self._data.append(datum)
            full = len(self._data) >= self.batch_size
        self._ensure_thread()
        if full:
            self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="metrics-flush", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Send everything buffered now; returns how many datapoints were sent. Failures are logged."""
        with self._send_lock:
            with self._lock:
                data, self._data = self._data, []
                dropped, self._dropped = self._dropped, 0
            if dropped:
                log.warning("metrics buffer full: %d datapoints dropped", dropped)
            if not data:
                return 0
            sent = 0
            try:
                cloudwatch = self.app.extensions["aws"].get("cloudwatch")
                for start in range(0, len(data), PUT_CHUNK):
                    cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=data[start:start + PUT_CHUNK])
                    sent += len(data[start:start + PUT_CHUNK])
            except Exception as exc:  # metrics must never take the app down (BotoCoreError, ClientError, a bad endpoint)
                log.warning("could not send %d metric datapoints to CloudWatch: %s", len(data) - sent, exc)
            return sent

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.flush()


def _buffer() -> MetricsBuffer | None:
    return current_app.extensions.get("metrics") if has_app_context() else None


def put(name: str, value: float, unit: str = "Count", dimensions: dict[str, str] | None = None) -> None:
    """Record a datapoint for the current app; nothing when metrics are off."""
    buffer = _buffer()
    if buffer is not None:
        buffer.put(name, value, unit, dimensions)


def flush() -> int:
    """Send the current app's buffered datapoints now (a Lambda before it returns, a CLI command before it exits)."""
    buffer = _buffer()
    return buffer.flush() if buffer is not None else 0


def count_notification(channel: str, *, ok: bool) -> None:
    """One email, SMS or SNS message sent, or one failed attempt."""
    put("NotificationsSent" if ok else "NotificationsFailed", 1, "Count", {"Channel": channel})


# --- request metrics ----------------------------------------------------------------------


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _finished(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        g.metrics_recorded = True
        dimensions = {"Route": _route(), "Method": request.method}
        put("RequestLatency", (time.perf_counter() - started) * 1000, "Milliseconds", dimensions)
        put("Requests", 1, "Count", dimensions)
        if response.status_code >= 500:
            put("Errors", 1, "Count", dimensions)
        elif response.status_code >= 400:
            put("ClientErrors", 1, "Count", dimensions)
    return response


def _torn_down(error) -> None:
    # An exception that escaped every handler produced no response to count in after_request.
    if error is not None and not g.get("metrics_recorded"):
        put("Errors", 1, "Count", {"Route": _route(), "Method": request.method})


def init_app(app: Flask) -> None:
    """Request metrics hooks; the buffer only when METRICS_ENABLED."""
    if not app.config.get("METRICS_ENABLED"):
        return
    buffer = MetricsBuffer(app)
    app.extensions["metrics"] = buffer
    atexit.register(buffer.stop)
    # First of all before_request hooks: one that answers early (a 401, a 404) still gets timed.
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_finished)
    app.teardown_request(_torn_down)
