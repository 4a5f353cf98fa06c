"""Report subscriptions: a report as CSV, daily or weekly at an hour on its owner's clock, stored like an export
and e-mailed as an expiring link (the file attached too when small).

A subscription names the task list or an analytics report with its filters, as `POST /api/exports` takes them,
or one of its owner's saved task views (`view:<id>`: the view's filters as they are at each run). The scheduled
duty (`run_due`, every SCHEDULE_SUBSCRIPTIONS_SECONDS) finds those whose hour has come for the current period
(a day, or an ISO week) and produces each once: the run row, unique per subscription and period, is inserted
first and the insert that wins produces it, so two beats never deliver twice; a run whose worker died is taken
over when its lease runs out, a failed one is tried again up to EXPORT_MAX_ATTEMPTS. The run's completion and
its e-mail (an outbox message) commit together. Whether the owner may still have the report is checked at each
run: if not (deactivated, a role that may no longer read it, the view deleted) the subscription stops, with the
reason, and is listed as stopped.
"""
import base64
import io
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from html import escape

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from aws import storage
from db import session
from db.models import (
    OutboxMessage,
    Priority,
    ReportSubscription,
    ReportSubscriptionRun,
    Role,
    SavedView,
    TaskStatus,
    User,
)
from db.pagination import Page, datetime_key, paginate
from db.types import utcnow, uuid7
from domain import times
from domain.errors import Forbidden, NotFound, ValidationFailed
from notifications import outbox
from reports import exports as files
from workflow import audit, exports

log = logging.getLogger(__name__)

DAILY, WEEKLY = "daily", "weekly"
FREQUENCIES = (DAILY, WEEKLY)
ACTIVE, STOPPED = "active", "stopped"
RUNNING, DONE, FAILED = "running", "done", "failed"
#: Without an hour, a subscription comes at 07:00 on its owner's clock; a weekly one on Monday (0).
DEFAULT_HOUR = 7
DEFAULT_WEEKDAY = 0
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VIEW_PREFIX = "view:"
#: The reports one may subscribe to: those of GET /api/reports/{name} (the task list and the analytics tables).
REPORTS = ("tasks", *files.ANALYTICS_TABLES)
MAX_PER_USER = 50
#: Runs listed with each subscription, newest first.
RECENT_RUNS = 5
MAX_ERROR = 500
CSV_TYPE = "text/csv; charset=utf-8"
LINK_SALT = "subscription-run-file"

#: A saved view's grid columns the task list sorts on (the task table's), and its sort when none is chosen.
VIEW_SORTABLE = {"title": "title", "status": "status", "priority": "priority", "due_date": "due_date",
                 "updated_at": "updated_at"}
VIEW_DEFAULT_SORT = "-updated_at"


class InvalidLink(Exception):
    """An e-mailed link that is forged, damaged, expired, or whose file is no longer the owner's to have."""


# --- what a subscription holds --------------------------------------------------------------


def view_id_of(report: str) -> uuid.UUID | None:
    """The saved view a `view:<id>` report names; None for a report name."""
    if not report.startswith(VIEW_PREFIX):
        return None
    try:
        return uuid.UUID(report[len(VIEW_PREFIX):])
    except ValueError:
        raise ValidationFailed("a view is named `view:<saved view id>`",
                               [{"field": "report", "message": "not a saved view id"}]) from None


def view_filters(state: dict, owner: User) -> dict:
    """A saved view's filters and sort as the task list's export takes them, read as the task table reads them."""
    controls = state.get("filters") if isinstance(state.get("filters"), dict) else {}
    filters: dict = {}
    scope = controls.get("scope") or "all"
    if scope == "mine":
        filters["assigned_to"] = str(owner.id)
    elif scope == "none":
        filters["assigned_to"] = "none"
    for name, kind in (("status", TaskStatus), ("priority", Priority)):
        if controls.get(name) in {member.value for member in kind}:
            filters[name] = controls[name]
    q = str(controls.get("q") or "").replace("\x00", "").strip()[:200]
    if q:
        filters["q"] = q
    filters["sort"] = VIEW_DEFAULT_SORT
    for entry in state.get("sort") or []:
        key = VIEW_SORTABLE.get(entry.get("colId")) if isinstance(entry, dict) else None
        if key:
            filters["sort"] = key if entry.get("sort") == "asc" else f"-{key}"
            break
    return filters


@dataclass(frozen=True)
class Source:
    """What a run writes: the export's report and filters, and the title the e-mail and lists give it."""

    report: str
    filters: dict
    title: str


def _report_title(report: str, filters: dict) -> str:
    if report == "tasks":
        return "Task list"
    name = {"sla": "SLA", "status-flow": "Status flow", "flow-metrics": "Flow metrics"}.get(report, report.capitalize())
    return f"{name} report · {files.table_name(report, filters).replace('_', ' ')}"


def source(subscription: ReportSubscription, owner: User) -> Source | None:
    """The report a run of `subscription` writes now; None if its saved view is gone."""
    view_id = view_id_of(subscription.report)
    if view_id is None:
        return Source(subscription.report, dict(subscription.filters), _report_title(subscription.report, subscription.filters))
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != owner.id:
        return None
    return Source("tasks", view_filters(view.state, owner), f"Saved view '{view.name}'")


def title(subscription: ReportSubscription, owner: User) -> str:
    """How lists and e-mails name the subscription's report."""
    found = source(subscription, owner)
    return found.title if found else "A deleted saved view"


def access_lost(subscription: ReportSubscription, owner: User) -> str | None:
    """Why the owner may no longer have the report (the subscription then stops), else None."""
    if not owner.is_active:
        return "its owner was deactivated"
    if view_id_of(subscription.report) is not None:
        return None if source(subscription, owner) is not None else "the saved view was deleted"
    if not exports.can_export(owner, subscription.report):
        return f"its owner's role ({owner.role.value}) may no longer read this report"
    return None


# --- when -----------------------------------------------------------------------------------


def _fire(day: date, hour: int, zone) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(timezone.utc)


def _step(subscription: ReportSubscription) -> timedelta:
    return timedelta(days=1 if subscription.frequency == DAILY else 7)


def occurrence(subscription: ReportSubscription, owner: User, now: datetime) -> tuple[date, datetime]:
    """The latest time at or before `now` the schedule came round: (the owner's local day, the UTC moment)."""
    zone = times.zone_of(owner)
    today = now.astimezone(zone).date()
    day = today
    if subscription.frequency == WEEKLY:
        day = today - timedelta(days=(today.weekday() - subscription.weekday) % 7)
    moment = _fire(day, subscription.hour, zone)
    if moment > now:
        day -= _step(subscription)
        moment = _fire(day, subscription.hour, zone)
    return day, moment


def period_key(subscription: ReportSubscription, day: date) -> str:
    """`2026-12-07` for a day, `2026-W50` for an ISO week."""
    if subscription.frequency == DAILY:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_text(period: str) -> str:
    """A period as people read it: "7 Dec 2026", or "the week of 7 Dec 2026"."""
    if "-W" in period:
        year, week = period.split("-W")
        return f"the week of {times.day(date.fromisocalendar(int(year), int(week), 1))}"
    return times.day(date.fromisoformat(period))


def due_period(subscription: ReportSubscription, owner: User, now: datetime) -> str | None:
    """The period whose run is due at `now`: the one whose hour last came round, unless that was before the
    subscription existed (a new subscription waits for its first hour)."""
    day, moment = occurrence(subscription, owner, now)
    return period_key(subscription, day) if moment >= subscription.created_at else None


def next_run_at(subscription: ReportSubscription, owner: User, now: datetime) -> datetime | None:
    """When the schedule next comes round after `now`; None once stopped."""
    if subscription.status != ACTIVE:
        return None
    day, _moment = occurrence(subscription, owner, now)
    return _fire(day + _step(subscription), subscription.hour, times.zone_of(owner))


def schedule_text(subscription: ReportSubscription, owner: User, lower: bool = False) -> str:
    """"Weekly on Monday at 07:00 (Berlin time)" ("weekly on ..." with `lower`, inside a sentence)."""
    text = _schedule(subscription, owner)
    return text[0].lower() + text[1:] if lower else text


def _schedule(subscription: ReportSubscription, owner: User) -> str:
    at = f"at {subscription.hour:02d}:00 ({times.zone_label(owner)})"
    if subscription.frequency == DAILY:
        return f"Daily {at}"
    return f"Weekly on {WEEKDAY_NAMES[subscription.weekday]} {at}"


# --- managing ---------------------------------------------------------------------------------


def _whole(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}",
                               [{"field": name, "message": f"{low} to {high}"}])
    return value


def subscribe(
    *, actor: User, report: str, filters: dict | None = None, frequency: str, hour: int | None = None,
    weekday: int | None = None, now: datetime | None = None,
) -> ReportSubscription:
    """Subscribe the actor to `report` (a report name with its export filters, or `view:<id>` of their own saved
    view), daily or weekly (on `weekday`, Monday 0 by default) at `hour` (default 07) on their clock; the first run
    is the first time that hour comes round after `now`."""
    if not isinstance(report, str) or not report:
        raise ValidationFailed("name a report", [{"field": "report", "message": "required"}])
    filters = dict(filters or {})
    view_id = view_id_of(report)
    if view_id is not None:
        view = session.get(SavedView, view_id)
        if view is None or view.user_id != actor.id:
            raise ValidationFailed("you have no saved view with this id", [{"field": "report", "message": "no such view"}])
        report, filters = f"{VIEW_PREFIX}{view_id}", {}  # the view's own filters, as they are at each run
    else:
        if report not in REPORTS:
            raise ValidationFailed(f"report must be one of {', '.join(REPORTS)}, or view:<saved view id>",
                                   [{"field": "report", "message": "unknown report"}])
        files.check(report, filters)
        if not exports.can_export(actor, report):
            raise Forbidden("analytics are for managers, admins and viewers")
    if frequency not in FREQUENCIES:
        raise ValidationFailed("frequency must be daily or weekly", [{"field": "frequency", "message": "daily or weekly"}])
    hour = DEFAULT_HOUR if hour is None else _whole(hour, "hour", 0, 23)
    if frequency == WEEKLY:
        weekday = DEFAULT_WEEKDAY if weekday is None else _whole(weekday, "weekday", 0, 6)
    else:
        weekday = None
    count = session.scalar(select(func.count()).select_from(ReportSubscription).where(ReportSubscription.user_id == actor.id))
    if count >= MAX_PER_USER:
        raise ValidationFailed(f"at most {MAX_PER_USER} subscriptions; delete one first",
                               [{"field": "report", "message": "too many subscriptions"}])
    subscription = ReportSubscription(
        id=uuid7(), user_id=actor.id, report=report, filters=filters, frequency=frequency, hour=hour, weekday=weekday,
        status=ACTIVE, created_at=now or utcnow(),
    )
    session.add(subscription)
    audit.record(actor=actor, action="subscription.created", target_type="subscription", target_id=subscription.id,
                 after={"report": report, "filters": filters, "frequency": frequency, "hour": hour, "weekday": weekday})
    session.commit()
    return subscription


def list_subscriptions(*, actor: User, limit: int, cursor: str | None) -> Page:
    """The actor's own subscriptions, newest first (stopped ones too, with their reason)."""
    return paginate(
        session(), select(ReportSubscription).where(ReportSubscription.user_id == actor.id),
        id_column=ReportSubscription.id, key=datetime_key(ReportSubscription.created_at), sort="-created_at",
        descending=True, limit=limit, cursor=cursor,
    )


def recent_runs(subscription_ids: list[uuid.UUID], limit: int = RECENT_RUNS) -> dict[uuid.UUID, list[ReportSubscriptionRun]]:
    """The latest `limit` runs of each subscription, newest first."""
    if not subscription_ids:
        return {}
    Run = ReportSubscriptionRun
    ranked = (
        select(Run.id, func.row_number().over(partition_by=Run.subscription_id, order_by=(Run.created_at.desc(), Run.id.desc()))
               .label("rank"))
        .where(Run.subscription_id.in_(subscription_ids))
        .subquery()
    )
    runs = session.scalars(
        select(Run).join(ranked, ranked.c.id == Run.id).where(ranked.c.rank <= limit).order_by(Run.created_at.desc(), Run.id.desc())
    )
    found: dict[uuid.UUID, list[ReportSubscriptionRun]] = {sid: [] for sid in subscription_ids}
    for run in runs:
        found[run.subscription_id].append(run)
    return found


def get_subscription(*, actor: User, subscription_id: uuid.UUID) -> ReportSubscription:
    """The actor's subscription (an Admin reaches anyone's); anyone else's is not found."""
    subscription = session.get(ReportSubscription, subscription_id)
    if subscription is None or (subscription.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound("subscription not found")
    return subscription


def delete_subscription(*, actor: User, subscription_id: uuid.UUID) -> None:
    """Delete a subscription (its owner or an Admin), its runs and their files."""
    subscription = get_subscription(actor=actor, subscription_id=subscription_id)
    keys = list(session.scalars(
        select(ReportSubscriptionRun.storage_key)
        .where(ReportSubscriptionRun.subscription_id == subscription.id, ReportSubscriptionRun.storage_key.is_not(None))
    ))
    session.execute(delete(ReportSubscriptionRun).where(ReportSubscriptionRun.subscription_id == subscription.id))
    audit.record(actor=actor, action="subscription.deleted", target_type="subscription", target_id=subscription.id,
                 before={"report": subscription.report, "user_id": subscription.user_id})
    session.delete(subscription)
    session.commit()
    for key in keys:
        storage.discard(key)


def run_filename(subscription: ReportSubscription, run: ReportSubscriptionRun) -> str:
    """The name a run's file is saved as, e.g. `sla-by-priority-20261207-070000.csv` (a view's: `tasks-...`)."""
    if view_id_of(subscription.report) is not None:
        return files.filename("tasks", {}, run.created_at)
    return files.filename(subscription.report, subscription.filters, run.created_at)


def download_url(subscription: ReportSubscription, run: ReportSubscriptionRun) -> str | None:
    """A fresh, short-lived link to a done run's file (presigned S3, or a signed local link); else None."""
    if run.status != DONE or not run.storage_key:
        return None
    return storage.download_url(run.storage_key, filename=run_filename(subscription, run), content_type=CSV_TYPE)


# --- the e-mailed link ------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def file_link(run_id: uuid.UUID) -> str:
    """The e-mail's link to a run's file: signed, working for SUBSCRIPTION_LINK_DAYS, then refused."""
    token = _serializer().dumps({"run": str(run_id)})
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/api/subscriptions/files/{token}"


def open_file_link(token: str) -> str:
    """Where an e-mailed link leads now (a fresh short-lived download link); InvalidLink if it is forged or expired,
    or the owner may no longer have the file (deactivated, the subscription deleted or stopped since)."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["SUBSCRIPTION_LINK_DAYS"] * 86400)
        run = session.get(ReportSubscriptionRun, uuid.UUID(data["run"]), populate_existing=True)
    except SignatureExpired:
        raise InvalidLink("the link has expired") from None
    except (BadSignature, ValueError, KeyError, TypeError):
        raise InvalidLink("the link is not valid") from None
    subscription = session.get(ReportSubscription, run.subscription_id) if run is not None else None
    owner = session.get(User, subscription.user_id) if subscription is not None else None
    url = download_url(subscription, run) if subscription is not None else None
    if owner is None or url is None or access_lost(subscription, owner) is not None:
        raise InvalidLink("the file is no longer available")
    return url


# --- running ---------------------------------------------------------------------------------


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["EXPORT_LEASE_SECONDS"])


def _open(run: ReportSubscriptionRun | None, now: datetime) -> bool:
    """Whether a run of the period may still be (re)started: none yet, its worker died, or it failed with tries left."""
    if run is None:
        return True
    if run.status == RUNNING:
        return run.claimed_until is None or run.claimed_until < now
    return run.status == FAILED and run.attempts < current_app.config["EXPORT_MAX_ATTEMPTS"]


def due(*, now: datetime) -> list[tuple[uuid.UUID, str]]:
    """(subscription id, period) of every active subscription whose hour has come and whose period's run is
    not done (nor running under a live lease, nor failed for good)."""
    rows = session.execute(
        select(ReportSubscription, User).join(User, User.id == ReportSubscription.user_id)
        .where(ReportSubscription.status == ACTIVE)
        .order_by(ReportSubscription.created_at, ReportSubscription.id)
        .execution_options(populate_existing=True)  # as stored now, not as this session last saw them
    ).all()
    wanted = {}
    for subscription, owner in rows:
        period = due_period(subscription, owner, now)
        if period is not None:
            wanted[subscription.id] = period
    if not wanted:
        return []
    runs = {
        (run.subscription_id, run.period): run
        for run in session.scalars(select(ReportSubscriptionRun).where(
            ReportSubscriptionRun.subscription_id.in_(list(wanted)),
            ReportSubscriptionRun.period.in_(set(wanted.values())),
        ).execution_options(populate_existing=True))
    }
    return [(sid, period) for sid, period in wanted.items() if _open(runs.get((sid, period)), now)]


def _stop(subscription_id: uuid.UUID, reason: str, now: datetime) -> None:
    session.execute(
        update(ReportSubscription).where(ReportSubscription.id == subscription_id, ReportSubscription.status == ACTIVE)
        .values(status=STOPPED, stopped_reason=reason, stopped_at=now)
    )
    session.commit()
    log.info("subscription %s stopped: %s", subscription_id, reason)


def _claim(subscription_id: uuid.UUID, period: str, now: datetime) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Take the period's run: insert it (the unique pair lets one insert win), or take over one whose worker died
    or that failed with tries left. (run id, claim token), or None if another holds it or it is done."""
    Run = ReportSubscriptionRun
    token = uuid7()
    run = Run(id=uuid7(), subscription_id=subscription_id, period=period, status=RUNNING, attempts=1, claim=token,
              claimed_until=_lease(now), attached=False, created_at=now)
    session.add(run)
    try:
        session.commit()
        return run.id, token
    except IntegrityError:
        session.rollback()
    mine = and_(Run.subscription_id == subscription_id, Run.period == period)
    taken = session.execute(
        update(Run).where(mine, or_(
            and_(Run.status == RUNNING, Run.claimed_until < now),
            and_(Run.status == FAILED, Run.attempts < current_app.config["EXPORT_MAX_ATTEMPTS"]),
        )).values(status=RUNNING, claim=token, claimed_until=_lease(now), attempts=Run.attempts + 1, error=None)
    ).rowcount
    run_id = session.scalar(select(Run.id).where(mine))
    session.commit()
    return (run_id, token) if taken == 1 else None


def _owned(run_id: uuid.UUID, token: uuid.UUID):
    return and_(ReportSubscriptionRun.id == run_id, ReportSubscriptionRun.claim == token,
                ReportSubscriptionRun.status == RUNNING)


@dataclass(frozen=True)
class _File:
    rows: int
    bytes: int
    content: bytes | None  # the file itself when small enough to attach


def _produce(found: Source, key: str, name: str) -> _File:
    """Write the CSV as an export writes it, keep it if small, and store it whole under `key`."""
    with tempfile.TemporaryFile(prefix="subscription-") as out:
        rows = files.write_csv(report=found.report, filters=found.filters, out=out)
        size = out.seek(0, io.SEEK_END)
        out.seek(0)
        content = out.read() if size <= current_app.config["SUBSCRIPTION_ATTACH_MAX_BYTES"] else None
        out.seek(0)
        storage.put(key, out, content_type=CSV_TYPE, filename=name)
    return _File(rows=rows, bytes=size, content=content)


def _email(owner: User, subscription: ReportSubscription, found: Source, run_id: uuid.UUID, period: str, name: str,
           produced: _File) -> dict:
    """The run's e-mail: what it is, the expiring link, and the file itself when small."""
    link = file_link(run_id)
    when = period_text(period)
    rows = f"{produced.rows} row{'' if produced.rows == 1 else 's'}"
    days = current_app.config["SUBSCRIPTION_LINK_DAYS"]
    attached = " The file is attached." if produced.content is not None else ""
    manage = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/profile"
    schedule = schedule_text(subscription, owner, lower=True)
    text = (
        f"{found.title} for {when}: {rows}.{attached}\n\n"
        f"Download it (the link works for {days} days): {link}\n\n"
        f"You get this report {schedule}, as you subscribed. Manage your subscriptions: {manage}\n"
    )
    html = (
        f"<p>{escape(found.title)} for {escape(when)}: {escape(rows)}.{escape(attached)}</p>"
        f'<p><a href="{escape(link, quote=True)}">Download {escape(name)}</a> (the link works for {days} days)</p>'
        f"<p>You get this report {escape(schedule)}, as you subscribed. "
        f'<a href="{escape(manage, quote=True)}">Manage your subscriptions</a></p>'
    )
    payload = {"to": owner.email, "subject": f"[Report] {found.title}: {when}", "text": text, "html": html}
    if produced.content is not None:
        payload["attachments"] = [{"filename": name, "content_type": CSV_TYPE,
                                   "data": base64.b64encode(produced.content).decode("ascii")}]
    return payload


def run_subscription(*, subscription_id: uuid.UUID, period: str | None = None, now: datetime | None = None) -> str | None:
    """Produce the subscription's run for `period` (default: the one due at `now`) and e-mail it, once: DONE,
    FAILED (tried again next time), STOPPED (the owner may no longer have it), or None (not due, already done,
    or another worker holds it)."""
    now = now or utcnow()
    subscription = session.get(ReportSubscription, subscription_id, populate_existing=True)
    if subscription is None or subscription.status != ACTIVE:
        session.rollback()
        return None
    owner = session.get(User, subscription.user_id, populate_existing=True)
    reason = access_lost(subscription, owner)
    if reason is not None:
        _stop(subscription_id, reason, now)
        return STOPPED
    period = period or due_period(subscription, owner, now)
    if period is None:
        session.rollback()
        return None
    found = source(subscription, owner)
    claimed = _claim(subscription_id, period, now)
    if claimed is None:
        return None
    run_id, token = claimed
    run = session.get(ReportSubscriptionRun, run_id)
    session.refresh(run)
    key = f"subscriptions/{subscription_id}/{run_id}.csv"
    name = run_filename(subscription, run)
    try:
        produced = _produce(found, key, name)
    except Exception as exc:  # any failure is the run's: listed with the reason, tried again next time
        session.rollback()
        log.exception("subscription %s run %s failed", subscription_id, period)
        session.execute(update(ReportSubscriptionRun).where(_owned(run_id, token)).values(
            status=FAILED, error=(str(exc) or type(exc).__name__)[:MAX_ERROR], claim=None, claimed_until=None,
            finished_at=utcnow()))
        session.commit()
        return FAILED
    subscription, owner = session.get(ReportSubscription, subscription_id), session.get(User, subscription.user_id)
    mail = bool(owner.email) and outbox.email_enabled()
    done = session.execute(update(ReportSubscriptionRun).where(_owned(run_id, token)).values(
        status=DONE, rows=produced.rows, bytes=produced.bytes, storage_key=key, claim=None, claimed_until=None,
        attached=bool(mail and produced.content is not None), error=None, finished_at=utcnow(),
    )).rowcount
    if not done:
        # Another worker took the run over (this one outlived its lease): it delivers, not this one.
        session.rollback()
        return None
    # A delivered run is an export of its owner's: in the audit log as theirs, made by the schedule.
    audit.record(actor=owner, action="export.delivered", target_type="subscription", target_id=subscription_id,
                 after={"report": subscription.report, "period": period, "run_id": run_id, "rows": produced.rows})
    if mail:
        # In the transaction that marks the run done: the e-mail goes if and only if the run is done.
        session.add(OutboxMessage(
            id=uuid7(), channel="email", user_id=owner.id, status="pending", attempts=0, next_attempt_at=utcnow(),
            created_at=now, payload=_email(owner, subscription, found, run_id, period, name, produced),
        ))
    session.commit()
    return DONE


def run_due(*, now: datetime | None = None) -> int:
    """The scheduled run: every due subscription's run, each once; returns how many were delivered."""
    now = now or utcnow()
    pending = due(now=now)
    session.rollback()
    delivered = 0
    for subscription_id, period in pending:
        try:
            if run_subscription(subscription_id=subscription_id, period=period, now=now) == DONE:
                delivered += 1
        except Exception:  # one subscription's trouble (the database's, a bug) does not hold up the others
            session.rollback()
            log.exception("subscription %s could not be run", subscription_id)
    if pending:
        log.info("report subscriptions: %d due, %d delivered", len(pending), delivered)
    return delivered
