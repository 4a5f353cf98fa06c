"""Flask CLI, an adapter like the API: `flask --app app db upgrade`, `users create`, `demo`, `reports rebuild`."""
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import inspect

import db
from db.models import Role
from jobs import duties
from jobs.demo import (
    DEFAULT_AGENTS,
    DEFAULT_SEED,
    DEFAULT_TASKS,
    DEMO_PASSWORD,
    DEMO_USERS,
    WINDOW_DAYS,
    delete_all_rows,
    generate,
    has_users,
)
from workflow import analytics, digests, reminders

db_cli = AppGroup("db", help="Database schema.")
users_cli = AppGroup("users", help="User accounts.")
notifications_cli = AppGroup("notifications", help="Notification delivery and reminders.")
exports_cli = AppGroup("exports", help="CSV exports to S3 (or the local export folder).")
metrics_cli = AppGroup("metrics", help="CloudWatch metrics.")
reports_cli = AppGroup("reports", help="Analytics facts.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade_command(revision: str) -> None:
    """Apply the migrations up to REVISION."""
    from db.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database upgraded to {revision}")


@click.command("demo")
@click.option("--tasks", default=DEFAULT_TASKS, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=DEFAULT_SEED, show_default=True)
@click.option("--agents", default=DEFAULT_AGENTS, show_default=True, type=click.IntRange(min=0),
              help="Agents besides the demo users.")
@click.option("--days", default=WINDOW_DAYS, show_default=True, type=click.IntRange(min=1),
              help="Days of history the tasks arrive over (up to now).")
@click.option("--reset", is_flag=True, help="Delete every row of every table first.")
@click.option("--force", is_flag=True, help="Allow it outside the embedded default (e.g. a benchmark database).")
@with_appcontext
def demo_command(tasks: int, seed: int, agents: int, days: int, reset: bool, force: bool) -> None:
    """Fill the database with demo users, cases and tasks with their history."""
    if not current_app.config["DEMO"] and not current_app.config["TESTING"] and not force:
        raise click.ClickException(
            f"demo users have a public password ('{DEMO_PASSWORD}'); this is not the embedded default, "
            "so add --force if you really want them in this database"
        )
    engine = db.engine()
    if not inspect(engine).has_table("users"):
        raise click.ClickException("the database has no schema yet: run `flask --app app db upgrade` first")
    if has_users(engine):
        if not reset:
            raise click.ClickException("the database already has users; add --reset to delete all its data first")
        delete_all_rows(engine)
        click.echo("deleted all rows")
    started = time.perf_counter()
    counts = generate(
        engine, tasks=tasks, seed=seed, agents=agents, days=days,
        on_progress=lambda step: click.echo(f"  {step} ({time.perf_counter() - started:.1f} s)"),
    )
    elapsed = time.perf_counter() - started
    for table, rows in counts.items():
        click.echo(f"{table:>15} {rows:>12,}")
    rows = sum(counts.values())
    click.echo(
        f"{rows:,} rows in {elapsed:.1f} s "
        f"({tasks / elapsed:,.0f} tasks/s, {rows / elapsed:,.0f} rows/s)"
    )
    usernames = ", ".join(username for username, *_ in DEMO_USERS)
    click.echo(f"sign in as {usernames} with the password '{DEMO_PASSWORD}'")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--full-name", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--department")
@click.option("--phone", help="E.164, e.g. +447700900123")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def create_user_command(
    username: str, email: str, full_name: str, role: str, department: str | None, phone: str | None,
    password_stdin: bool,
) -> None:
    """Create a user and print its id; the password is asked for unless --password-stdin."""
    from pydantic import ValidationError

    from domain.errors import DomainError

    # The API's input rules, so a user made here passes the same checks as one made over HTTP.
    from domain.schemas import UserCreate
    from workflow.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        fields = UserCreate(
            username=username, email=email, full_name=full_name, role=role, password=password,
            department=department, phone=phone,
        )
    except ValidationError as error:
        # loc and msg only: the error's own text would echo the password back.
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}" for problem in error.errors()
        )
        raise click.ClickException(problems) from None
    try:
        user = create_user(
            actor=None, username=fields.username, email=fields.email, full_name=fields.full_name,
            role=fields.role, password=fields.password, department=fields.department, phone=fields.phone,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(user.id)


@notifications_cli.command("dispatch")
@click.option("--once", is_flag=True, help="Deliver everything due, then exit.")
def dispatch_command(once: bool) -> None:
    """Deliver the outbox's email, SMS and SNS messages (a loop; several may run at once)."""
    import threading

    from notifications import dispatcher

    if once:
        result = dispatcher.drain()
        click.echo(f"{len(result.sent)} sent, {len(result.failed)} to retry, {len(result.dead)} dead")
        return
    stop = threading.Event()
    click.echo("dispatching notifications; Ctrl+C stops")
    try:
        dispatcher.run(stop=stop)
    except KeyboardInterrupt:
        stop.set()


@notifications_cli.command("remind")
def remind_command() -> None:
    """Notify of tasks due within 24 hours and of overdue tasks (once per task and threshold)."""
    click.echo(f"{reminders.remind()} reminders sent")


@exports_cli.command("snapshot")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The snapshot's day (default: today in UTC).")
@click.option("--force", is_flag=True, help="Write it again even if that day's snapshot is stored.")
def snapshot_command(day, force: bool) -> None:
    """Store all live tasks as snapshots/tasks-YYYY-MM-DD.csv (once a day: run it from cron or a schedule)."""
    from db.types import utcnow
    from reports import exports

    key, produced = exports.snapshot(day=(day or utcnow()).date(), force=force)
    if produced is None:
        click.echo(f"{key} already stored")
    else:
        click.echo(f"{key}: {produced.rows} rows, {produced.bytes} bytes")


@notifications_cli.command("digest")
@click.option("--dispatch", is_flag=True, help="Also deliver everything due in the outbox before exiting.")
def digest_command(dispatch: bool) -> None:
    """Queue one daily digest email per user who chose it (run once a day; running twice sends nothing twice)."""
    from notifications import dispatcher

    click.echo(f"{digests.send_digests()} digests queued")
    if dispatch:
        result = dispatcher.drain()
        click.echo(f"{len(result.sent)} sent, {len(result.failed)} to retry, {len(result.dead)} dead")


@metrics_cli.command("sla")
def sla_gauges_command() -> None:
    """Publish the SLA gauges (open tasks breached and at risk) now; run it from a schedule."""
    from aws import metrics

    counts = duties.publish_sla_gauges()
    metrics.flush()
    click.echo(f"{counts['breached']} breached, {counts['at_risk']} at risk")


@reports_cli.command("rebuild")
def rebuild_facts_command() -> None:
    """Derive the analytics facts from the task history again, replacing the ones kept (tasks wait meanwhile)."""
    started = time.perf_counter()
    rows = analytics.rebuild()
    click.echo(f"{rows} fact rows derived in {time.perf_counter() - started:.1f} s")


@reports_cli.command("check")
def check_facts_command() -> None:
    """Compare the analytics facts kept with a derivation from the history; exit 1 if any cell differs."""
    from reports import facts

    kept, derived = facts.stored(), facts.derived()
    differing = [key for key in kept.keys() | derived.keys() if kept.get(key, 0) != derived.get(key, 0)]
    click.echo(f"{len(differing)} of {len(kept.keys() | derived.keys())} fact cells differ from the history")
    if differing:
        sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the database, user, notification, export, metrics and demo commands."""
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(exports_cli)
    app.cli.add_command(metrics_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(demo_command)
