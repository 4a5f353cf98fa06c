"""The Lambda package as AWS would run it: built by scripts/build-lambda, unpacked into a clean virtualenv
with nothing else installed, its handlers invoked with a real SNS envelope (read back from the topic) and
an EventBridge event, against PostgreSQL, a moto server and an SMTP server."""
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from app import create_app
from db import session
from db.models import Role
from db.types import utcnow
from notifications import dispatcher
from tests.conftest import BACKEND, PASSWORD, config_for
from tests.jobs.test_lambda_handlers import SCHEDULED_EVENT, _lambda_event, _published
from tests.notifications.conftest import use_channels
from workflow import tasks, users

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(BACKEND != "postgresql", reason="the Lambda package is built and run once (PostgreSQL half)"),
]

INVOKE = """
import json, sys
from jobs import lambda_handlers
events = json.load(sys.stdin)
print(json.dumps({
    "notification": lambda_handlers.notification_handler(events["notification"], None),
    "reminder": lambda_handlers.reminder_handler(events["reminder"], None),
    "digest": lambda_handlers.digest_handler(events["reminder"], None),
    "absent": [name for name in ("dash", "plotly", "pandas", "celery", "pydantic", "portal", "api", "reports")
               if __import__("importlib.util").util.find_spec(name) is not None],
}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """scripts/build-lambda's zip, unpacked."""
    out = tmp_path_factory.mktemp("lambda")
    built = subprocess.run(["scripts/build-lambda", str(out / "lambda.zip")], cwd=ROOT, capture_output=True, text=True,
                           timeout=600, env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHON": sys.executable})
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out / "lambda.zip") as archive:
        archive.extractall(out / "task")
    return out / "task"


def test_the_packaged_handlers_deliver_an_sns_event_and_run_the_schedules(
    package, fresh_database, aws_endpoint, sns_topic, smtp_server, tmp_path
):
    url = fresh_database("wm_lambda")
    app = create_app(config_for(url))
    # The web side: events go to SNS, email and SMS are off there.
    use_channels(app, aws_endpoint=aws_endpoint, topic_arn=sns_topic.arn, smtp_url=None, MAIL_SES=False)
    app.config["SMS_ENABLED"] = False
    with app.app_context():
        common = {"password": PASSWORD, "phone": None, "department": None, "actor": None}
        boss = users.create_user(username="boss", email="boss@example.com", full_name="Boss", role=Role.MANAGER, **common)
        bob = users.create_user(username="bob", email="bob@example.com", full_name="Bob", role=Role.AGENT, **common)
        tasks.create_task(actor=boss, title="Renew the certificate", assigned_to=bob.id,
                          due_date=utcnow() + timedelta(hours=3))
        assert len(dispatcher.drain().sent) == 1  # the SNS publication only
        session.remove()
    [envelope] = _published(sns_topic)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(package), "PYTHONNOUSERSITE": "1",
        "DATABASE_URL": url, "SECRET_KEY": "lambda-package-secret-long-enough-0123456789",
        "SMTP_URL": smtp_server.url, "MAIL_SES": "false", "SMS_ENABLED": "false", "LOG_JSON": "false",
        "AWS_ENDPOINT_URL": aws_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    events = {"notification": _lambda_event(sns_topic, envelope), "reminder": SCHEDULED_EVENT}
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", INVOKE], input=json.dumps(events), env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout.strip().splitlines()[-1])
    assert result == {
        "notification": {"sent": 1, "failed": 0, "skipped": 0, "invalid": 0},
        "reminder": {"reminders": 1},
        "digest": {"digests": 0},
        "absent": [],
    }
    [mail] = smtp_server.messages
    assert mail["to"] == ["bob@example.com"] and "Renew the certificate" in str(mail["message"]["Subject"])
