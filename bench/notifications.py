"""Notification benchmarks: the outbox dispatcher against a bare boto3 publish loop, and the
unread-count poll against a plain WSGI app running the same SQL.

    # (a) dispatcher: a fresh PostgreSQL database (created and dropped here) and a moto server
    .venv/bin/python bench/notifications.py dispatcher --messages 2000 --rounds 3

    # (c) latency from a change's commit to SMTP and to SNS->SQS receipt, through the Procfile's worker(s)
    .venv/bin/python bench/notifications.py latency --events 1000 --workers 1
    .venv/bin/python bench/notifications.py latency --events 1000 --workers 2

    # (b) unread count under wrk, on the demo database (migrated to head)
    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/wm_bench \\
        .venv/bin/python bench/notifications.py unread --duration 20 --connections 8 --workers 2
"""
import argparse
import json
import logging
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402

RESULTS = ROOT / "bench/results"


def _write(name: str, summary: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / name).write_text(json.dumps(summary, indent=2, default=str))


# --- (a) the dispatcher ------------------------------------------------------------------


def _payload(n: int) -> dict:
    """An SNS event as the outbox writes one: a status change told to two recipients."""
    recipients = [str(uuid.uuid4()), str(uuid.uuid4())]
    return {
        "type": "Status Change",
        "user": str(uuid.uuid4()),
        "task": str(uuid.uuid4()),
        "title": f"Benchmark task {n}",
        "recipients": recipients,
        "contents": {r: f"Agent moved 'Benchmark task {n}' from New to In Progress" for r in recipients},
        "at": datetime.now(timezone.utc).isoformat(),
    }


def _fill_outbox(app, messages: int) -> None:
    from db import session
    from db.models import OutboxMessage
    from db.types import utcnow, uuid7

    with app.app_context():
        now = utcnow()
        session.add_all(
            OutboxMessage(
                id=uuid7(), channel="sns", user_id=None, payload=_payload(n), status="pending", attempts=0,
                next_attempt_at=now, created_at=now,
            )
            for n in range(messages)
        )
        session.commit()
        session.remove()


def _reference(endpoint: str, topic_arn: str, messages: int) -> float:
    """Seconds for a bare boto3 loop to publish `messages` events the way the dispatcher does."""
    import boto3

    client = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    payloads = [_payload(n) for n in range(messages)]

    def attribute(value: str) -> dict:
        return {"DataType": "String", "StringValue": value}

    started = time.perf_counter()
    for payload in payloads:
        client.publish(
            TopicArn=topic_arn, Message=json.dumps(payload),
            MessageAttributes={
                "type": attribute(payload["type"]), "user": attribute(payload["user"]),
                "task": attribute(payload["task"]), "message_id": attribute(str(uuid.uuid4())),
            },
        )
    return time.perf_counter() - started


def dispatcher_bench(args) -> None:
    from moto.server import ThreadedMotoServer

    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    # Port 0 and ask: a taken port would hang the server.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    topic_arn = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1").create_topic(Name="bench")["TopicArn"]

    url = databases.create_database(databases.ADMIN_URL, f"wm_bench_outbox_{os.getpid()}")
    try:
        import db
        from app import create_app
        from config import Config
        from db.migrate import upgrade
        from notifications import dispatcher

        upgrade(url)
        settings = {
            "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "AWS_ENDPOINT_URL": endpoint,
            "SNS_TOPIC_ARN": topic_arn, "OUTBOX_BATCH_SIZE": args.batch, "METRICS_ENABLED": False,
            "EMBEDDED_BACKGROUND": False,
        }
        app = create_app(type("BenchConfig", (Config,), settings))
        # The app's logging setup would log every request moto serves in this process, twice.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        rounds = []
        for n in range(args.rounds):
            reference = _reference(endpoint, topic_arn, args.messages)
            _fill_outbox(app, args.messages)
            with app.app_context():
                started = time.perf_counter()
                result = dispatcher.drain()
                elapsed = time.perf_counter() - started
                db.session.remove()
            assert len(result.sent) == args.messages and not result.failed, result
            rounds.append({
                "dispatcher_s": elapsed, "reference_s": reference,
                "dispatcher_per_s": args.messages / elapsed, "reference_per_s": args.messages / reference,
            })
            print(f"round {n + 1}: dispatcher {args.messages / elapsed:,.0f} msg/s, "
                  f"boto3 loop {args.messages / reference:,.0f} msg/s, ratio {reference / elapsed:.2f}")
        for engine in list(db._engines.values()):
            engine.dispose()
    finally:
        databases.drop_database(databases.ADMIN_URL, url)
        server.stop()
    dispatcher_rate = statistics.median(r["dispatcher_per_s"] for r in rounds)
    reference_rate = statistics.median(r["reference_per_s"] for r in rounds)
    summary = {
        "messages": args.messages, "batch": args.batch, "rounds": rounds,
        "dispatcher_per_s": dispatcher_rate, "reference_per_s": reference_rate,
        "ratio": dispatcher_rate / reference_rate,
    }
    _write("notifications_dispatcher.json", summary)
    print(f"median: dispatcher {dispatcher_rate:,.0f} msg/s, boto3 loop {reference_rate:,.0f} msg/s, "
          f"ratio {dispatcher_rate / reference_rate:.2f}")


# --- (c) latency through the worker -------------------------------------------------------


class _Inbox:
    """An SMTP server (aiosmtpd) on a free port that notes when each message arrived, by subject."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.arrived: dict[str, float] = {}
        self.port = servers.free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        """Serve, and make sure the socket on the port is this process's (the port was free a moment ago)."""
        self.controller.start()
        if not servers.owns_port(os.getpid(), self.port):
            self.controller.stop()
            raise SystemExit(f"port {self.port} is not served by this benchmark's SMTP server")

    async def handle_DATA(self, _server, _session, envelope):
        from email import message_from_bytes
        from email.policy import default

        subject = str(message_from_bytes(envelope.original_content, policy=default)["Subject"])
        self.arrived.setdefault(subject.split("] ", 1)[-1], time.time())
        return "250 OK"


#: The Redis keys the worker processes write (Celery's broker on kombu, the login throttle, the report cache):
#: the only ones the latency run deletes from its database afterwards.
_PRODUCT_KEYS = ("_kombu.*", "unacked*", "celery*", "workflow:login:*", "wm:report:*")


def _own_redis(server: str, number: int):
    """(URL, client) of Redis database `number` on `server`, refused unless it holds no key: the worker's
    Celery broker uses fixed key names, so it must not share a database with anybody else's."""
    import redis

    parts = urlsplit(server)
    if parts.path not in ("", "/"):
        raise SystemExit(f"--redis-url {server} names a database: give the server only, the database with --redis-db")
    url = urlunsplit(parts._replace(path=f"/{number}"))
    client = redis.Redis.from_url(url)
    keys = client.dbsize()
    if keys:
        raise SystemExit(
            f"Redis database {number} on {server} holds {keys} keys: the latency benchmark needs an empty database "
            "of its own (its workers' Celery queues have fixed names); choose another with --redis-db"
        )
    return url, client


def _delete_own_keys(client) -> None:
    """Delete the keys this run's processes wrote in its (checked empty) database; leave any others."""
    ours = {key for pattern in _PRODUCT_KEYS for key in client.scan_iter(match=pattern)}
    if ours:
        client.delete(*ours)
    others = client.dbsize()
    if others:
        print(f"left {others} keys in the Redis database that this run did not write", file=sys.stderr)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency_bench(args) -> None:
    import subprocess
    import threading

    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    redis_url, redis_client = _own_redis(args.redis_url, args.redis_db)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    sns = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    topic_arn = sns.create_topic(Name="latency")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="latency")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    inbox = _Inbox()
    try:
        inbox.start()
    except BaseException:
        server.stop()
        raise
    url = databases.create_database(databases.ADMIN_URL, f"wm_bench_latency_{os.getpid()}")
    workers = []
    try:
        import db
        from app import create_app
        from config import Config
        from db.migrate import upgrade
        from db.models import Role
        from workflow import tasks, users

        upgrade(url)
        settings = {
            "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48), "AWS_ENDPOINT_URL": endpoint,
            "SNS_TOPIC_ARN": topic_arn, "SMTP_URL": f"smtp://127.0.0.1:{inbox.port}", "MAIL_SES": "false",
            "SMS_ENABLED": "false", "REDIS_URL": redis_url, "LOG_JSON": "false", "METRICS_ENABLED": "false",
        }
        env = {**os.environ, **settings, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "WORKER_THREADS": "2", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "8192"}
        logs = RESULTS / "latency-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for n in range(args.workers):
            workers.append(subprocess.Popen(["scripts/procfile", "worker"], cwd=ROOT, env=env, start_new_session=True,
                                            stdout=open(logs / f"worker-{n}.log", "wb"), stderr=subprocess.STDOUT))
        app = create_app(type("BenchConfig", (Config,), {**settings, "EMBEDDED_BACKGROUND": False, "ARGON2_TIME_COST": 1,
                                                          "ARGON2_MEMORY_COST": 8192, "SMS_ENABLED": False}))
        for noisy in ("werkzeug", "mail.log"):  # moto's and aiosmtpd's line per request
            logging.getLogger(noisy).setLevel(logging.WARNING)
        received: dict[str, float] = {}
        done = threading.Event()

        def read_queue() -> None:
            while not done.is_set():
                for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
                    received.setdefault(json.loads(json.loads(message["Body"])["Message"])["title"], time.time())
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

        reader = threading.Thread(target=read_queue, daemon=True)
        reader.start()
        committed: dict[str, float] = {}
        with app.app_context():
            common = {"password": "latency-password-1", "phone": None, "department": None, "actor": None}
            boss = users.create_user(username="boss", email="boss@example.com", full_name="Boss", role=Role.MANAGER, **common)
            agent = users.create_user(username="ada", email="ada@example.com", full_name="Ada", role=Role.AGENT, **common)
            time.sleep(5)  # the workers start
            started = time.perf_counter()
            for n in range(args.events):
                title = f"Latency {n}"
                tasks.create_task(actor=boss, title=title, assigned_to=agent.id)  # commits
                committed[title] = time.time()
                pause = (n + 1) / args.rate - (time.perf_counter() - started)
                if pause > 0:
                    time.sleep(pause)
            db.session.remove()
        deadline = time.time() + 120
        while time.time() < deadline and (len(inbox.arrived) < args.events or len(received) < args.events):
            time.sleep(0.2)
        done.set()
        reference = _reference(endpoint, topic_arn, args.events)
        for engine in list(db._engines.values()):
            engine.dispose()
    finally:
        for worker in workers:
            os.killpg(worker.pid, 15)
            worker.wait(timeout=30)
        inbox.controller.stop()
        databases.drop_database(databases.ADMIN_URL, url)
        server.stop()
        _delete_own_keys(redis_client)
    email = [inbox.arrived[title] - at for title, at in committed.items() if title in inbox.arrived]
    published = [received[title] - at for title, at in committed.items() if title in received]
    delivered = min(len(email), len(published))
    span = max([*inbox.arrived.values(), *received.values()]) - min(committed.values())
    summary = {
        "events": args.events, "workers": args.workers, "rate_per_s": args.rate,
        "email_received": len(email), "sns_received": len(published),
        "email_p50_s": _percentile(email, 0.5), "email_p99_s": _percentile(email, 0.99),
        "sns_p50_s": _percentile(published, 0.5), "sns_p99_s": _percentile(published, 0.99),
        "end_to_end_messages_per_s": (len(email) + len(published)) / span,
        "reference_publish_per_s": args.events / reference,
    }
    summary["ratio"] = summary["end_to_end_messages_per_s"] / summary["reference_publish_per_s"]
    _write(f"notifications_latency_{args.workers}w.json", summary)
    print(json.dumps(summary, indent=2))
    assert delivered == args.events, f"only {delivered} of {args.events} events were delivered within 2 minutes"


# --- (b) the unread count ----------------------------------------------------------------


def unread_bench(args) -> None:
    from bench.list_tasks import wrk

    url = os.environ["DATABASE_URL"]
    with databases.connect(url).cursor() as cursor:
        cursor.execute(
            "SELECT u.id, count(*) FILTER (WHERE NOT n.read), count(*) FROM users u "
            "JOIN notifications n ON n.user_id = u.id WHERE u.username = %s GROUP BY u.id",
            (args.user,),
        )
        user_id, unread, total = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM notifications")
        notifications = cursor.fetchone()[0]
    env = {"SECRET_KEY": secrets.token_urlsafe(48), "PYTHONPATH": str(ROOT)}
    (api, api_port), (reference, reference_port) = servers.app_and_reference(env, args.workers)
    try:
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{api_port}/api/auth/login",
            data=json.dumps({"username": args.user, "password": "demo-password"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(request))["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        api_url = f"http://127.0.0.1:{api_port}/api/notifications/unread-count"
        reference_url = f"http://127.0.0.1:{reference_port}/unread-count?user_id={user_id}"
        # Both answer the same number.
        api_body = json.load(urllib.request.urlopen(urllib.request.Request(api_url, headers=auth)))
        reference_body = json.load(urllib.request.urlopen(reference_url))
        assert api_body == reference_body == {"unread": unread}, (api_body, reference_body)
        cases = {"api": (api_url, auth), "reference": (reference_url, {})}
        for target, headers in cases.values():  # warm pools and caches
            wrk(target, 2, args.connections, headers)
        results = {name: wrk(target, args.duration, args.connections, headers) for name, (target, headers) in cases.items()}
    finally:
        servers.stop(api)
        servers.stop(reference)
    summary = {
        "user": args.user, "unread": unread, "user_notifications": total, "notifications": notifications,
        "workers": args.workers, "connections": args.connections, "duration_s": args.duration,
        "results": results, "api_vs_reference": results["api"]["rps"] / results["reference"]["rps"],
    }
    _write("notifications_unread.json", summary)
    print(f"user {args.user}: {unread:,} unread of {total:,} ({notifications:,} notifications in all)")
    print("| case | req/s | p50 | p99 | non-2xx |\n|---|---|---|---|---|")
    for name, result in results.items():
        print(f"| {name} | {result['rps']:.0f} | {result['p50']} | {result['p99']} | {result['non_2xx']} |")
    print(f"api_vs_reference: {summary['api_vs_reference']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    a = commands.add_parser("dispatcher", help="outbox dispatcher to SNS (moto) against a boto3 loop")
    a.add_argument("--messages", type=int, default=2000)
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--batch", type=int, default=50, help="OUTBOX_BATCH_SIZE")
    a.set_defaults(run=dispatcher_bench)
    b = commands.add_parser("unread", help="GET /api/notifications/unread-count under wrk against the reference")
    b.add_argument("--duration", type=int, default=20)
    b.add_argument("--connections", type=int, default=8)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--user", default="agent")
    b.set_defaults(run=unread_bench)
    c = commands.add_parser("latency", help="commit to SMTP and SNS->SQS receipt through the Procfile's worker(s)")
    c.add_argument("--events", type=int, default=1000)
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--rate", type=float, default=20.0, help="events committed per second (each is an email and an SNS message)")
    c.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="the Redis server (no database number)")
    c.add_argument("--redis-db", type=int, default=15,
                   help="a Redis database of the benchmark's own: refused unless empty; never flushed, only the keys "
                        "the run wrote are deleted after")
    c.set_defaults(run=latency_bench)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
