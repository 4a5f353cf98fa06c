"""An export's file: the task list or a report table as CSV, written to a temporary file in constant
memory, then stored whole (S3 with managed multipart transfer, or the local folder) or not at all."""
import csv
import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from sqlalchemy import func, select

from aws import storage
from aws.clients import client
from db import session
from domain.errors import ValidationFailed
from domain.filters import TaskFilters, from_json, parse_sort
from reports import audit_log, task_csv
from reports.filters import filtered_statement
from reports.tables import TABLES, csv_rows

#: Per analytics report, the tables an export may hold (the first is the default), as the CSV API offers them.
ANALYTICS_TABLES = TABLES
#: The compliance logs an export may hold: the audit log and the task history (reports/audit_log.py).
LOGS = {"audit": (audit_log.audit_filters, audit_log.count_audit, audit_log.stream_audit_csv),
        "history": (audit_log.history_filters, audit_log.count_history, audit_log.stream_history_csv)}
#: Every report an export may hold: the task list, the analytics reports and the compliance logs.
REPORTS = ("tasks", *ANALYTICS_TABLES, *LOGS)
#: Share of the progress bar for writing the file; the upload takes the rest.
WRITE_SHARE = 90
#: Progress is reported at most this often (each report is a small committed write).
PROGRESS_SECONDS = 0.5


@dataclass(frozen=True)
class Produced:
    rows: int
    bytes: int


#: The filters each kind of export takes (anything else in its JSON is not a filter of it).
TASK_LIST_FILTERS = ("status", "priority", "assigned_to", "created_by", "case_id", "tag", "q", "due_before", "due_after")
REPORT_FILTERS = ("date_from", "date_to", "department", "assigned_to", "priority", "tag")


def _taking(names: tuple[str, ...], filters: dict) -> TaskFilters:
    return from_json({name: filters[name] for name in names if name in filters})


def task_filters(filters: dict) -> tuple[TaskFilters, str | None]:
    """The task list's filters and sort from an export's JSON filters."""
    return _taking(TASK_LIST_FILTERS, filters), filters.get("sort")


def report_filters(filters: dict) -> TaskFilters:
    """An analytics report's filters from an export's JSON filters."""
    return _taking(REPORT_FILTERS, filters)


def table_name(report: str, filters: dict) -> str:
    """The analytics table an export holds: `filters.table`, else the report's first."""
    return filters.get("table") or next(iter(ANALYTICS_TABLES[report]))


def check(report: str, filters: dict) -> None:
    """ValidationFailed unless `report` is known and `filters` are its filters."""
    if report not in REPORTS:
        raise ValidationFailed(
            f"report must be one of {', '.join(REPORTS)}", [{"field": "report", "message": "unknown report"}]
        )
    if not isinstance(filters, dict):
        raise ValidationFailed("filters must be an object", [{"field": "filters", "message": "must be an object"}])
    try:
        if report == "tasks":
            parse_sort(task_filters(filters)[1])
        elif report in LOGS:
            LOGS[report][0](filters)
        else:
            report_filters(filters)
            if table_name(report, filters) not in ANALYTICS_TABLES[report]:
                raise ValueError(f"table must be one of {', '.join(ANALYTICS_TABLES[report])}")
    except (ValueError, TypeError, KeyError, ValidationFailed) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise ValidationFailed(f"invalid filters: {message}", [{"field": "filters", "message": message}]) from None


def filename(report: str, filters: dict, at: datetime) -> str:
    """The name the download is saved as, e.g. `tasks-20260102-093000.csv`."""
    if report in LOGS:
        stem = "audit-log" if report == "audit" else "task-history"
    else:
        stem = report if report == "tasks" else f"{report}-{table_name(report, filters).replace('_', '-')}"
    return f"{stem}-{at:%Y%m%d-%H%M%S}.csv"


# --- writing -------------------------------------------------------------------------------


class _Progress:
    """Turns rows written into a throttled percentage for `report`."""

    def __init__(self, report: Callable[[int], None] | None, total: int):
        self.report, self.total, self.last, self.at = report, max(total, 1), -1, 0.0

    def __call__(self, done: int, force: bool = False) -> None:
        if self.report is None:
            return
        percent = min(WRITE_SHARE, done * WRITE_SHARE // self.total)
        now = time.monotonic()
        if percent != self.last and (force or now - self.at >= PROGRESS_SECONDS):
            self.last, self.at = percent, now
            self.report(percent)


def _write_tasks(filters: dict, out: BinaryIO, progress: Callable[[int], None] | None) -> None:
    task_filter, sort = task_filters(filters)
    total = session.scalar(select(func.count()).select_from(filtered_statement(task_filter).subquery()))
    session.rollback()  # end the read before the long one
    meter = _Progress(progress, total)
    lines = 0
    for chunk in task_csv.stream_tasks_csv(filters=task_filter, sort=sort):
        out.write(chunk)
        # Lines, not rows (a description may hold newlines): close enough for a progress bar.
        lines += chunk.count(b"\n")
        meter(max(lines - 1, 0))
    meter(total, force=True)


def _write_log(report: str, filters: dict, out: BinaryIO, progress: Callable[[int], None] | None) -> None:
    parse, count, stream = LOGS[report]
    log_filters = parse(filters)
    total = count(log_filters)
    session.rollback()  # end the read before the long one
    meter = _Progress(progress, total)
    lines = 0
    for chunk in stream(log_filters):
        out.write(chunk)
        lines += chunk.count(b"\n")  # JSON text holds no raw newline: lines are rows
        meter(max(lines - 1, 0))
    meter(total, force=True)


def _write_table(report: str, filters: dict, out: BinaryIO, progress: Callable[[int], None] | None) -> None:
    frame = ANALYTICS_TABLES[report][table_name(report, filters)](report_filters(filters))
    meter = _Progress(progress, len(frame))
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    rows = csv_rows(frame)
    writer.writerow(next(rows))
    for done, row in enumerate(rows, start=1):
        writer.writerow(row)
        meter(done)
    meter(len(frame), force=True)
    text.detach()  # the caller owns `out`


def _count_rows(out: BinaryIO) -> int:
    """Records in the written CSV, header excluded (quoted newlines counted right), in constant memory."""
    out.seek(0)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    rows = sum(1 for _ in csv.reader(text)) - 1
    text.detach()
    return max(rows, 0)


def write_csv(*, report: str, filters: dict, out: BinaryIO, progress: Callable[[int], None] | None = None) -> int:
    """Write the export's CSV (UTF-8, header first) to `out`; returns its rows."""
    if report == "tasks":
        _write_tasks(filters, out, progress)
    elif report in LOGS:
        _write_log(report, filters, out, progress)
    else:
        _write_table(report, filters, out, progress)
    out.flush()
    return _count_rows(out)


def produce(
    *, report: str, filters: dict, key: str, download_name: str, progress: Callable[[int], None] | None = None
) -> Produced:
    """Write the CSV to a temporary file, then store it under `key` whole or not at all (StorageError)."""
    # An anonymous temporary file: gone when closed, whatever failed.
    with tempfile.TemporaryFile(prefix="export-") as out:
        rows = write_csv(report=report, filters=filters, out=out, progress=progress)
        size = out.seek(0, io.SEEK_END)
        out.seek(0)
        # S3: managed transfer, multipart above the threshold, aborted on failure; local: written beside, renamed.
        storage.put(key, out, content_type="text/csv; charset=utf-8", filename=download_name)
    return Produced(rows=rows, bytes=size)


def exists(key: str) -> bool:
    """Whether the store holds an object under `key`."""
    if storage.uses_s3():
        try:
            client("s3").head_object(Bucket=current_app.config["S3_BUCKET"], Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise storage.StorageError(str(exc)) from exc
        except BotoCoreError as exc:
            raise storage.StorageError(str(exc)) from exc
        return True
    return (storage.local_root() / key).is_file()


def snapshot_key(day: date) -> str:
    return f"snapshots/tasks-{day:%Y-%m-%d}.csv"


def snapshot(*, day: date, force: bool = False) -> tuple[str, Produced | None]:
    """All live tasks as CSV under snapshots/tasks-YYYY-MM-DD.csv; None if that day's is already stored."""
    key = snapshot_key(day)
    if not force and exists(key):
        return key, None
    produced = produce(
        report="tasks", filters={"sort": "created_at"}, key=key, download_name=key.rsplit("/", 1)[1]
    )
    return key, produced
