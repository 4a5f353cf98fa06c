"""CloudWatch metrics and logs against moto in server mode, and JSON log lines on stdout."""
import io
import json
import logging
import time
import uuid

import boto3
import pytest

import aws
from app import create_app
from aws import logging as aws_logging
from aws import metrics
from jobs import duties
from notifications import dispatcher
from tests.conftest import config_for
from tests.notifications.conftest import dead_port_url, use_channels
from workflow import tasks


def _cloudwatch(endpoint):
    return boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")


def _metric_names(endpoint, namespace) -> set[str]:
    return {m["MetricName"] for m in _cloudwatch(endpoint).list_metrics(Namespace=namespace)["Metrics"]}


def _sum(endpoint, namespace, name, dimensions) -> float:
    now = time.time()
    stats = _cloudwatch(endpoint).get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - 600, EndTime=now + 600, Period=60, Statistics=["Sum"],
    )
    return sum(point["Sum"] for point in stats["Datapoints"])


@pytest.fixture
def namespace():
    return f"WorkflowManagerTest/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def metrics_app(app, aws_endpoint, namespace):
    """The test's app with metrics on, sent to moto; a long flush interval so tests flush when they choose."""
    app.config.update(METRICS_ENABLED=True, METRICS_NAMESPACE=namespace, METRICS_FLUSH_SECONDS=3600, AWS_ENDPOINT_URL=aws_endpoint)
    aws.init_app(app)
    metrics.init_app(app)
    yield app
    app.extensions["metrics"].stop()


def test_request_latency_and_errors_arrive(metrics_app, aws_endpoint, namespace):
    client = metrics_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/no-such-thing").status_code == 404
    with metrics_app.app_context():
        assert metrics.flush() >= 4
    assert {"RequestLatency", "Requests", "ClientErrors"} <= _metric_names(aws_endpoint, namespace)
    assert _sum(aws_endpoint, namespace, "Requests", {"Method": "GET", "Route": "/healthz"}) == 1
    stats = _cloudwatch(aws_endpoint).get_metric_statistics(
        Namespace=namespace, MetricName="RequestLatency", Dimensions=[{"Name": "Method", "Value": "GET"}, {"Name": "Route", "Value": "/healthz"}],
        StartTime=time.time() - 600, EndTime=time.time() + 600, Period=60, Statistics=["SampleCount", "Maximum"], Unit="Milliseconds",
    )
    assert sum(p["SampleCount"] for p in stats["Datapoints"]) == 1


def test_server_errors_are_counted(metrics_app, aws_endpoint, namespace):
    @metrics_app.get("/healthz/boom")  # a public prefix: no session needed
    def boom():
        raise RuntimeError("boom")

    metrics_app.testing = False  # answer 500 instead of raising into the test
    metrics_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert metrics_app.test_client().get("/healthz/boom").status_code == 500
    with metrics_app.app_context():
        metrics.flush()
    assert _sum(aws_endpoint, namespace, "Errors", {"Method": "GET", "Route": "/healthz/boom"}) == 1


def test_the_background_thread_sends_without_being_asked(database_url, aws_endpoint, namespace):
    application = create_app(config_for(
        database_url, METRICS_ENABLED=True, METRICS_NAMESPACE=namespace, METRICS_FLUSH_SECONDS=3600, METRICS_BATCH_SIZE=2,
        AWS_ENDPOINT_URL=aws_endpoint,
    ))
    try:
        with application.app_context():
            metrics.put("Probe", 1)
            metrics.put("Probe", 2)  # a full batch wakes the thread at once
        deadline = time.monotonic() + 10
        while "Probe" not in _metric_names(aws_endpoint, namespace) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sum(aws_endpoint, namespace, "Probe", {}) == 3
    finally:
        application.extensions["metrics"].stop()


def test_an_unreachable_cloudwatch_is_logged_and_requests_go_on(metrics_app, caplog):
    metrics_app.config["AWS_ENDPOINT_URL"] = dead_port_url("http")
    aws.init_app(metrics_app)
    assert metrics_app.test_client().get("/healthz").status_code == 200
    with metrics_app.app_context(), caplog.at_level(logging.WARNING, logger="aws.metrics"):
        assert metrics.flush() == 0
    assert "could not send" in caplog.text


def test_dispatcher_counts_arrive(metrics_app, aws_endpoint, namespace, smtp_server, make_user):
    from db.models import Role

    use_channels(metrics_app, aws_endpoint=aws_endpoint, smtp_url=smtp_server.url)
    metrics_app.config["SMS_ENABLED"] = False
    manager, agent = make_user(Role.MANAGER), make_user(Role.AGENT)
    with metrics_app.app_context():
        tasks.create_task(actor=manager, title="Fix printer", assigned_to=agent.id)
        tasks.create_task(actor=manager, title="Fix scanner", assigned_to=agent.id)
        assert len(dispatcher.drain().sent) == 2
        metrics_app.config["SMTP_URL"] = dead_port_url()
        tasks.create_task(actor=manager, title="Fix fax", assigned_to=agent.id)
        assert len(dispatcher.drain().failed) == 1
        metrics.flush()
    assert _sum(aws_endpoint, namespace, "NotificationsSent", {"Channel": "email"}) == 2
    assert _sum(aws_endpoint, namespace, "NotificationsFailed", {"Channel": "email"}) == 1


def test_sla_gauges_arrive(metrics_app, aws_endpoint, namespace, make_user):
    from datetime import timedelta

    from db.models import Priority, Role
    from db.types import utcnow

    manager = make_user(Role.MANAGER)
    with metrics_app.app_context():
        tasks.create_task(actor=manager, title="Server down", priority=Priority.CRITICAL)
        tasks.create_task(actor=manager, title="Printer jam", priority=Priority.HIGH)
        # Five hours on: the Critical task is past its 4 h target, the High one well within its 24 h.
        assert duties.publish_sla_gauges(now=utcnow() + timedelta(hours=5)) == {"breached": 1, "at_risk": 0}
        metrics.flush()
        result = metrics_app.test_cli_runner().invoke(args=["metrics", "sla"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 breached, 0 at risk"
    assert {"SLABreaches", "SLAAtRisk"} <= _metric_names(aws_endpoint, namespace)
    stats = _cloudwatch(aws_endpoint).get_metric_statistics(
        Namespace=namespace, MetricName="SLABreaches", StartTime=time.time() - 600, EndTime=time.time() + 600,
        Period=60, Statistics=["Maximum", "SampleCount"],
    )
    assert max(p["Maximum"] for p in stats["Datapoints"]) == 1
    assert sum(p["SampleCount"] for p in stats["Datapoints"]) == 2


def test_log_lines_are_json_with_the_request_id(app):
    stream = io.StringIO()
    app.config["LOG_JSON"] = True
    [handler] = aws_logging.configure(app, stream=stream)
    try:
        @app.get("/healthz/hello")
        def hello():
            logging.getLogger("workflow.test").warning("hello %s", "world")
            return "ok"

        response = app.test_client().get("/healthz/hello", headers={"X-Request-ID": "req-123"})
        assert response.headers["X-Request-ID"] == "req-123"
        logging.getLogger("workflow.test").error("outside a request")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    inside = next(line for line in lines if line["message"] == "hello world")
    assert inside["level"] == "WARNING" and inside["logger"] == "workflow.test" and inside["request_id"] == "req-123"
    assert inside["time"].endswith("+00:00")
    outside = next(line for line in lines if line["message"] == "outside a request")
    assert outside["request_id"] is None


def test_a_request_without_an_id_gets_one(app):
    response = app.test_client().get("/healthz")
    assert len(response.headers["X-Request-ID"]) == 32


def test_log_events_arrive_in_the_cloudwatch_group(app, aws_endpoint):
    group = f"/workflow-manager/test-{uuid.uuid4().hex[:8]}"
    app.config.update(CLOUDWATCH_LOG_GROUP=group, CLOUDWATCH_LOG_STREAM="web-1", AWS_ENDPOINT_URL=aws_endpoint, CLOUDWATCH_LOG_FLUSH_SECONDS=3600)
    [handler] = aws_logging.configure(app)
    try:
        logger = logging.getLogger("workflow.cloudwatch-test")
        logger.warning("first")
        logger.error("second: %d", 2)
        logging.getLogger("botocore.test").warning("never sent: it would feed back while sending")
        handler.flush()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logs = boto3.client("logs", endpoint_url=aws_endpoint, region_name="us-east-1")
    events = logs.get_log_events(logGroupName=group, logStreamName="web-1", startFromHead=True)["events"]
    messages = [json.loads(event["message"]) for event in events]
    assert [(m["level"], m["message"]) for m in messages if m["logger"] == "workflow.cloudwatch-test"] == [
        ("WARNING", "first"), ("ERROR", "second: 2"),
    ]
    assert not any(m["logger"].startswith("botocore") for m in messages)
