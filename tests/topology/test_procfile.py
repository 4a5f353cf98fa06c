"""The Procfile's processes (web, worker, beat) as separate OS processes against PostgreSQL, Redis, a moto
server and an SMTP server: notifications, reminders, digests and exports happen with nobody running a
command, and survive a worker killed mid-export and a second beat."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import psycopg2
import pytest
import requests
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND, Inbox, TcpProxy, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
#: This suite's own Redis database (flushed when it starts and ends; nothing else uses it).
REDIS_URL = os.environ.get("TOPOLOGY_REDIS_URL", "redis://127.0.0.1:6379/12")
PASSWORD = "topology-password-1"
#: Tasks loaded for the export a worker is killed in the middle of (about 3 MB of CSV).
LOADED_TASKS = 10_000

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(BACKEND != "postgresql", reason="the deployed topology runs on PostgreSQL (run once, there)"),
]


def _redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis server")
    return client



class Deployment:
    """The processes of the Procfile, started by name with one production environment."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.processes = env, logs, {}
        self.url = f"http://127.0.0.1:{env['PORT']}"

    def start(self, name: str, process: str | None = None, **env) -> subprocess.Popen:
        """Start the Procfile's `process` (default: `name`) as it is written there."""
        log = open(self.logs / f"{name}.log", "ab")
        started = subprocess.Popen(
            ["scripts/procfile", process or name], cwd=ROOT, env={**self.env, **env}, stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = started
        return started

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill a process and all it started (`kill -9` by default)."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def moto_endpoint():
    """A moto server of this module's own (the suite's shared one is reset after each test that uses it)."""
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def deployment(fresh_database, moto_endpoint, tmp_path_factory):
    """PostgreSQL (migrated), Redis, moto (bucket, topic with a queue), SMTP; then web, worker and beat."""
    aws_endpoint = moto_endpoint
    redis = _redis()
    redis.flushdb()
    database_url = fresh_database("wm_topology")  # as after `flask --app app db upgrade`
    region = "us-east-1"
    bucket = f"topology-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=aws_endpoint, region_name=region).create_bucket(Bucket=bucket)
    sns, sqs = (boto3.client(name, endpoint_url=aws_endpoint, region_name=region) for name in ("sns", "sqs"))
    topic_arn = sns.create_topic(Name=bucket)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=bucket)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    inbox = Inbox()
    inbox.controller.start()
    proxy = TcpProxy(aws_endpoint)
    port = free_port()
    # The daily duties a little after the processes start, so that a test sees them run.
    daily = (datetime.now(timezone.utc) + timedelta(minutes=2)).strftime("%H:%M")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "topology-secret-key-long-enough-0123456789abcdef",
        "REDIS_URL": REDIS_URL,
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AWS_ENDPOINT_URL": proxy.url,
        "S3_BUCKET": bucket,
        "SNS_TOPIC_ARN": topic_arn,
        "SMTP_URL": inbox.url,
        "MAIL_SES": "false",
        "SMS_ENABLED": "false",
        "WEB_CONCURRENCY": "1",
        "WORKER_THREADS": "2",
        "OUTBOX_POLL_SECONDS": "1",
        "SCHEDULE_REMINDERS_SECONDS": "2",
        "SCHEDULE_EXPORTS_SECONDS": "2",
        "EXPORT_LEASE_SECONDS": "5",
        "SCHEDULE_DIGEST_AT": daily,
        "SCHEDULE_DIGEST_SECONDS": "2",
        "SCHEDULE_SNAPSHOT_AT": daily,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8192",
        "LOG_JSON": "false",
    }
    env.pop("TEST_DATABASE_URL", None)
    created = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "users", "create", "--username", "boss", "--email",
         "boss@example.com", "--full-name", "Boss", "--role", "Admin", "--password-stdin"],
        cwd=ROOT, env=env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
    )
    assert created.returncode == 0, created.stderr
    running = Deployment(env, tmp_path_factory.mktemp("procfile"))
    running.database_url, running.inbox, running.queue_url, running.aws = database_url, inbox, queue_url, aws_endpoint
    running.proxy, running.bucket, running.daily = proxy, bucket, daily
    for name in ("web", "worker", "beat"):
        running.start(name)
    wait_until(lambda: _ready(running.url), 90, "the web process answering /readyz")
    wait_until(lambda: "ready." in running.log("worker"), 90, "the worker ready")
    yield running
    running.stop()
    inbox.controller.stop()
    proxy.close()
    redis.flushdb()


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def api(deployment):
    """An Admin's requests session against the web process, and an Agent with an email address."""
    session = requests.Session()
    token = session.post(f"{deployment.url}/api/auth/login", json={"username": "boss", "password": PASSWORD}).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    agent = session.post(f"{deployment.url}/api/users", json={
        "username": "ada", "email": "ada@example.com", "full_name": "Ada Agent", "role": "Agent", "password": PASSWORD,
    })
    assert agent.status_code == 201, agent.text
    session.agent = agent.json()
    return session


def _emails_to(inbox: Inbox, address: str, subject_part: str) -> list:
    return [m for m in inbox.messages if address in m["to"] and subject_part in str(m["message"]["Subject"])]


def _sns_events(deployment) -> list[dict]:
    sqs = boto3.client("sqs", endpoint_url=deployment.aws, region_name="us-east-1")
    events = []
    for message in sqs.receive_message(QueueUrl=deployment.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        events.append(json.loads(json.loads(message["Body"])["Message"]))
    deployment.sns_seen = getattr(deployment, "sns_seen", []) + events
    return deployment.sns_seen


def _sql(deployment, statement: str, *params):
    """Rows of one statement on the deployment's database, committed."""
    url = make_url(deployment.database_url)
    connection = psycopg2.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                  dbname=url.database)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()
    finally:
        connection.close()


def _as(deployment, username: str) -> requests.Session:
    """A requests session signed in as `username`."""
    session = requests.Session()
    token = session.post(f"{deployment.url}/api/auth/login", json={"username": username, "password": PASSWORD}).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    return session


def test_two_beats_still_send_each_reminder_and_digest_once(deployment, api):
    """A second beat (its own schedule file) fires every duty too; each reminder, digest and snapshot happens once."""
    deployment.start("beat2", "beat", BEAT_SCHEDULE_FILE=str(deployment.logs / "beat2-schedule"))
    cyd = api.post(f"{deployment.url}/api/users", json={
        "username": "cyd", "email": "cyd@example.com", "full_name": "Cyd Digest", "role": "Agent", "password": PASSWORD,
    })
    assert cyd.status_code == 201, cyd.text
    as_cyd = _as(deployment, "cyd")
    assert as_cyd.post(f"{deployment.url}/api/notifications/settings/email", json={"email_mode": "daily_digest"}).ok
    title = f"Call the supplier {uuid.uuid4().hex[:6]}"
    due = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    assert api.post(f"{deployment.url}/api/tasks", json={"title": title, "assigned_to": cyd.json()["id"], "due_date": due}).ok
    reminders = lambda: [n for n in as_cyd.get(f"{deployment.url}/api/notifications").json()["items"]
                         if n["type"] == "Due Date" and title in n["content"]]
    wait_until(reminders, 30, "the due-date reminder")
    digests = lambda: [m for m in deployment.inbox.messages if "cyd@example.com" in m["to"]]
    digest = wait_until(digests, 200, f"the daily digest at {deployment.daily} UTC", every=1)
    time.sleep(2 * int(deployment.env["SCHEDULE_REMINDERS_SECONDS"]) + 3)  # both beats have fired again meanwhile
    assert len(reminders()) == 1
    assert len(digests()) == 1
    text = digest[0]["message"].get_body(preferencelist=("plain",)).get_content()
    assert "Your daily digest" in str(digest[0]["message"]["Subject"])
    assert f"assigned you '{title}'" in text and f"'{title}' is due within 24 hours" in text
    assert len(_sql(deployment, "SELECT 1 FROM due_reminders r JOIN tasks t ON t.id = r.task_id WHERE t.title = %s", title)) == 1
    key = f"snapshots/tasks-{datetime.now(timezone.utc):%Y-%m-%d}.csv"
    s3 = boto3.client("s3", endpoint_url=deployment.aws, region_name="us-east-1")
    wait_until(lambda: s3.list_objects_v2(Bucket=deployment.bucket, Prefix="snapshots/").get("KeyCount"), 60,
               "the nightly snapshot")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=deployment.bucket, Prefix="snapshots/")["Contents"]] == [key]
    deployment.kill("beat2", signal.SIGTERM)

def test_an_assignment_reaches_email_and_sns_within_30_seconds(deployment, api):
    title = f"Printer on fire {uuid.uuid4().hex[:6]}"
    created = api.post(f"{deployment.url}/api/tasks", json={"title": title, "assigned_to": api.agent["id"]})
    assert created.status_code == 201, created.text
    wait_until(lambda: _emails_to(deployment.inbox, "ada@example.com", title), 30, "the assignment email")
    wait_until(lambda: [e for e in _sns_events(deployment) if e["title"] == title and e["type"] == "Task Assignment"],
               30, "the SNS publication")


def test_a_task_due_soon_gets_its_reminder_from_the_schedule(deployment, api):
    title = f"Renew the certificate {uuid.uuid4().hex[:6]}"
    due = (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat()
    created = api.post(f"{deployment.url}/api/tasks", json={"title": title, "assigned_to": api.agent["id"], "due_date": due})
    assert created.status_code == 201, created.text
    reminder = wait_until(lambda: _emails_to(deployment.inbox, "ada@example.com", title) and [
        m for m in _emails_to(deployment.inbox, "ada@example.com", title) if "due within 24 hours" in m["message"].get_body().get_content()
    ], 30, "the due-date reminder email")
    assert len(reminder) == 1


def test_an_export_is_produced_by_the_worker_and_downloads(deployment, api):
    started = api.post(f"{deployment.url}/api/exports", json={"report": "tasks", "filters": {}})
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    done = wait_until(lambda: (lambda e: e if e["status"] in ("done", "failed") else None)(
        api.get(f"{deployment.url}/api/exports/{export_id}").json()), 60, "the export done")
    assert done["status"] == "done", done
    body = requests.get(done["download_url"], timeout=10).text
    assert body.splitlines()[0].startswith("id,title,description,status")
    assert "Printer on fire" in body


def test_a_worker_killed_mid_export_is_replaced_and_the_export_finishes_once(deployment, api):
    """`kill -9` of the worker while it uploads; a new worker takes the export over when its lease runs out."""
    _sql(deployment, "INSERT INTO tasks (id, title, description, status, priority, created_by, created_at, updated_at,"
                     " tags, version) SELECT gen_random_uuid(), 'Imported task ' || n,"
                     " repeat('Carried over from the old tracker. ', 6), 'Completed', 'Low',"
                     " (SELECT id FROM users WHERE username = 'boss'), now(), now(), '{}', 1"
                     " FROM generate_series(1, %s) AS n RETURNING 1", LOADED_TASKS)
    deployment.proxy.upload_rate = 150_000  # bytes a second to S3: the upload takes many seconds
    started = api.post(f"{deployment.url}/api/exports", json={"report": "tasks", "filters": {}})
    assert started.status_code == 202, started.text
    export_id = started.json()["id"]
    uploading = wait_until(lambda: (lambda e: e if e["status"] == "running" and e["progress"] >= 90 else None)(
        api.get(f"{deployment.url}/api/exports/{export_id}").json()), 60, "the export uploading", every=0.1)
    deployment.kill("worker")
    assert api.get(f"{deployment.url}/api/exports/{export_id}").json()["status"] == "running", uploading
    deployment.proxy.upload_rate = None
    deployment.start("worker2", "worker")
    done = wait_until(lambda: (lambda e: e if e["status"] in ("done", "failed") else None)(
        api.get(f"{deployment.url}/api/exports/{export_id}").json()), 120, "the export finished by the new worker")
    assert done["status"] == "done", done
    assert done["rows"] > LOADED_TASKS
    [(attempts, status)] = _sql(deployment, "SELECT attempts, status FROM exports WHERE id = %s", export_id)
    assert (attempts, status) == (2, "done")
    ready = _sql(deployment, "SELECT count(*) FROM notifications WHERE content LIKE 'Your export of the task list is ready%%'"
                             " AND created_at >= (SELECT created_at FROM exports WHERE id = %s)", export_id)
    assert ready == [(1,)]
    body = requests.get(done["download_url"], timeout=30).text
    assert len(body.splitlines()) > LOADED_TASKS
