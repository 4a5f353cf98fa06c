"""Webhook delivery: the outbox dispatcher against a bare `requests` loop, both POSTing the same signed bodies
to the same receiver on loopback.

    .venv/bin/python bench/webhooks.py --events 1000 --rounds 3

A fresh PostgreSQL database is created, migrated and dropped (BENCH_POSTGRES_URL names the server; `--sqlite`
uses a temporary SQLite file instead). The receiver is a threaded http.server in a process of its own that
answers 204 and counts requests. Each round: `emit` writes `--events` task events for one endpoint (one outbox
row each) and `dispatcher.drain()` delivers them (claim, load the endpoint, unseal its secret, resolve and
check the address, sign, POST on a new connection, mark); the reference POSTs the very same bodies with their
headers through `requests.post` (a new connection each, as the dispatcher). Throughput: events per second
over the whole run; latency: each POST's round trip as its sender sees it (for the dispatcher, the whole
`deliver` of one message). Results in bench/results/webhooks.json.
"""
import argparse
import json
import logging
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases, servers  # noqa: E402

RESULTS = ROOT / "bench/results"


def _serve(port: int, count, ready) -> None:
    """The receiver: read each body, answer 204, count."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with count.get_lock():
                count.value += 1

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    ready.set()
    server.serve_forever()


def _task(n: int) -> dict:
    """A task as the events carry it."""
    return {
        "id": f"0193a1b2-0000-7000-8000-{n:012d}", "title": f"Benchmark task {n}", "description": "",
        "status": "In Progress", "priority": "High", "due_date": None, "assigned_to": None,
        "created_by": "0193a1b2-0000-7000-8000-000000000001", "created_at": "2026-12-07T07:00:00Z",
        "updated_at": "2026-12-07T07:00:00Z", "case_id": None, "tags": ["bench"], "version": 2,
        "previous": {"status": "New"},
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latencies(values: list[float]) -> dict:
    return {"p50_ms": 1000 * _percentile(values, 0.50), "p95_ms": 1000 * _percentile(values, 0.95),
            "p99_ms": 1000 * _percentile(values, 0.99), "mean_ms": 1000 * statistics.fmean(values)}


def _wait(count, expected: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while count.value < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"the receiver got {count.value} of {expected} requests")
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    args = parser.parse_args()

    import requests

    port = servers.free_port()
    count, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    receiver = multiprocessing.Process(target=_serve, args=(port, count, ready), daemon=True)
    receiver.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/hooks/workflow"

    folder = tempfile.TemporaryDirectory() if args.sqlite else None
    database = (f"sqlite:///{folder.name}/bench.db" if args.sqlite
                else databases.create_database(databases.ADMIN_URL, f"wm_bench_webhooks_{os.getpid()}"))
    try:
        from sqlalchemy import select

        import db
        from app import create_app
        from config import Config
        from db import session
        from db.migrate import upgrade
        from db.models import OutboxMessage, Role
        from notifications import dispatcher, webhooks
        from workflow import users
        from workflow import webhooks as endpoints

        upgrade(database)
        settings = {
            "DATABASE_URL": database, "SECRET_KEY": secrets.token_urlsafe(48), "METRICS_ENABLED": False,
            "EMBEDDED_BACKGROUND": False, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": True, "SNS_TOPIC_ARN": None,
            "SMTP_URL": None, "MAIL_SES": False, "SMS_ENABLED": False, "LOG_JSON": False, "LOG_LEVEL": "WARNING",
        }
        app = create_app(type("BenchConfig", (Config,), settings))
        with app.app_context():
            admin = users.create_user(actor=None, username="bench_admin", email="bench@example.com",
                                      full_name="Bench Admin", role=Role.ADMIN, password="bench-password-0123")
            secret = endpoints.create_webhook(actor=admin, url=url, events=["task.status_changed"]).secret
            session.remove()

        # Each send of the dispatcher timed where it happens.
        sends: list[float] = []
        deliver = dispatcher.deliver

        def timed(message):
            started = time.perf_counter()
            try:
                return deliver(message)
            finally:
                sends.append(time.perf_counter() - started)

        dispatcher.deliver = timed
        rounds = []
        for n in range(args.rounds):
            with app.app_context():
                for i in range(args.events):
                    webhooks.emit(event="task.status_changed", data=_task(i))
                session.commit()
                pending = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending")).all()
                bodies = [(m.id, m.payload["body"].encode()) for m in pending]
                session.remove()

            # The reference first: the same bodies, signed the same way, one requests.post each.
            loop: list[float] = []
            count.value = 0
            started = time.perf_counter()
            for delivery_id, raw in bodies:
                sent = time.perf_counter()
                answer = requests.post(url, data=raw, allow_redirects=False, timeout=15, headers={
                    "Content-Type": "application/json", "X-Workflow-Event": "task.status_changed",
                    "X-Workflow-Delivery": str(delivery_id), "X-Workflow-Signature": webhooks.sign(secret, raw),
                })
                loop.append(time.perf_counter() - sent)
                assert answer.status_code == 204, answer.status_code
            _wait(count, len(bodies))
            reference = time.perf_counter() - started

            sends.clear()
            count.value = 0
            with app.app_context():
                started = time.perf_counter()
                result = dispatcher.drain()
                _wait(count, len(bodies))
                elapsed = time.perf_counter() - started
                session.remove()
            assert len(result.sent) == len(bodies) and not result.failed and not result.dead, result
            rounds.append({
                "dispatcher_per_s": len(bodies) / elapsed, "reference_per_s": len(bodies) / reference,
                "dispatcher_latency": _latencies(sends), "reference_latency": _latencies(loop),
            })
            last = rounds[-1]
            print(f"round {n + 1}: dispatcher {last['dispatcher_per_s']:,.0f}/s "
                  f"(p50 {last['dispatcher_latency']['p50_ms']:.2f} ms, p95 {last['dispatcher_latency']['p95_ms']:.2f} ms), "
                  f"requests loop {last['reference_per_s']:,.0f}/s "
                  f"(p50 {last['reference_latency']['p50_ms']:.2f} ms, p95 {last['reference_latency']['p95_ms']:.2f} ms)")
        dispatcher.deliver = deliver
        for engine in list(db._engines.values()):
            engine.dispose()
    finally:
        if folder is not None:
            folder.cleanup()
        else:
            databases.drop_database(databases.ADMIN_URL, database)
        receiver.terminate()

    def median(path):
        values = []
        for r in rounds:
            value = r
            for key in path:
                value = value[key]
            values.append(value)
        return statistics.median(values)

    summary = {
        "events": args.events, "database": "sqlite" if args.sqlite else "postgresql", "rounds": rounds,
        "dispatcher_per_s": median(["dispatcher_per_s"]), "reference_per_s": median(["reference_per_s"]),
        "dispatcher_p50_ms": median(["dispatcher_latency", "p50_ms"]),
        "reference_p50_ms": median(["reference_latency", "p50_ms"]),
        "dispatcher_p95_ms": median(["dispatcher_latency", "p95_ms"]),
        "reference_p95_ms": median(["reference_latency", "p95_ms"]),
    }
    summary["throughput_ratio"] = summary["dispatcher_per_s"] / summary["reference_per_s"]
    summary["latency_p50_ratio"] = summary["dispatcher_p50_ms"] / summary["reference_p50_ms"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(summary, indent=2))
    print(f"median: dispatcher {summary['dispatcher_per_s']:,.0f}/s, requests loop {summary['reference_per_s']:,.0f}/s, "
          f"throughput ratio {summary['throughput_ratio']:.2f}; p50 latency {summary['dispatcher_p50_ms']:.2f} ms "
          f"against {summary['reference_p50_ms']:.2f} ms, ratio {summary['latency_p50_ratio']:.2f}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
