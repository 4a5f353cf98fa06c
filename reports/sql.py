"""Portable SQL pieces for the reports: time arithmetic per dialect, percentiles, frames.

Moments are handled as seconds since 1970 UTC (floats): differences and sums of durations are
then plain arithmetic on both backends. SQLite stores UTCDateTime as naive UTC text
("YYYY-MM-DD HH:MM:SS.ffffff"), which julianday() reads; PostgreSQL has timestamptz.
"""
import enum
import math
from datetime import datetime

import pandas as pd
from sqlalchemy import Date, Float, Integer, Select, String, case, cast, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from db import session
from db.types import epoch_seconds, utcnow


class floor_int(FunctionElement):
    """The whole number at or below a non-negative float expression."""

    type = Integer()
    name = "floor_int"
    inherit_cache = True


@compiles(floor_int, "postgresql")
def _floor_int_postgresql(element, compiler, **kw):
    # A cast alone would round to the nearest whole number.
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_int_sqlite(element, compiler, **kw):
    # The cast truncates, which is the floor for values at or above zero.
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


class week_start(FunctionElement):
    """The Monday (UTC, ISO week) of a moment given in epoch seconds, as 'YYYY-MM-DD' text."""

    type = String()
    name = "week_start"
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_postgresql(element, compiler, **kw):
    moment = f"to_timestamp({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC'"
    return f"to_char(date_trunc('week', {moment}), 'YYYY-MM-DD')"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return f"date({compiler.process(element.clauses, **kw)}, 'unixepoch', 'weekday 0', '-6 days')"


class utc_day(FunctionElement):
    """The UTC calendar day of a UTCDateTime column."""

    type = Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw):
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    # SQLite keeps UTCDateTime as naive UTC text; date() reads its day.
    return f"date({compiler.process(element.clauses, **kw)})"


class epoch_day(FunctionElement):
    """The UTC calendar day of a moment given in epoch seconds."""

    type = Date()
    name = "epoch_day"
    inherit_cache = True


@compiles(epoch_day, "postgresql")
def _epoch_day_postgresql(element, compiler, **kw):
    return f"CAST(timezone('UTC', to_timestamp({compiler.process(element.clauses, **kw)})) AS DATE)"


@compiles(epoch_day, "sqlite")
def _epoch_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'unixepoch')"


#: Ratio of a duration bucket's upper to its lower bound (reports/facts.py).
BUCKET_GROWTH = 1.1


class log_bucket(FunctionElement):
    """The log-spaced bucket of a duration in seconds: floor(ln(max(s, 1)) / ln(BUCKET_GROWTH)) + 1."""

    type = Integer()
    name = "log_bucket"
    inherit_cache = True


@compiles(log_bucket, "postgresql")
def _log_bucket_postgresql(element, compiler, **kw):
    value = compiler.process(element.clauses, **kw)
    return f"(CAST(floor(ln(greatest({value}, 1.0)) / {math.log(BUCKET_GROWTH)!r}) AS INTEGER) + 1)"


@compiles(log_bucket, "sqlite")
def _log_bucket_sqlite(element, compiler, **kw):
    value = compiler.process(element.clauses, **kw)
    return f"(CAST(floor(ln(max({value}, 1.0)) / {math.log(BUCKET_GROWTH)!r}) AS INTEGER) + 1)"


def seconds_between(start, end):
    """Seconds from one UTCDateTime column to another."""
    return epoch_seconds(end) - epoch_seconds(start)


def seconds(moment: datetime):
    """A moment as a typed SQL literal in epoch seconds (typed, so PostgreSQL does not read it as numeric)."""
    return cast(literal(moment.timestamp()), Float)


def as_text(column):
    """An enum column as its text value (the seed's names) on every backend."""
    return cast(column, String)


def now_or(now: datetime | None) -> datetime:
    """The moment open clocks and ages are measured up to: `now`, or the current time."""
    return now if now is not None else utcnow()


def dialect_name() -> str:
    """The current database's dialect: `postgresql` or `sqlite`."""
    return session().get_bind().dialect.name


def frame(statement: Select) -> pd.DataFrame:
    """The rows of `statement` as a DataFrame with its column names (one statement); enums as their values."""
    result = session.execute(statement)
    rows = [tuple(value.value if isinstance(value, enum.Enum) else value for value in row) for row in result]
    return pd.DataFrame(rows, columns=list(result.keys()))


def one_row(statement: Select) -> dict:
    """The single row of an aggregate `statement` as a dict."""
    return dict(session.execute(statement).mappings().one())


def percentiles(source, value, group_by: list, percents: tuple[int, ...] = (50, 85)) -> Select:
    """Per group of `source`: `n` (rows) and `p<percent>` of `value`, interpolated as percentile_cont.

    PostgreSQL computes them with percentile_cont. SQLite has no such aggregate, so each row is
    ranked in its group and the two ranks around each percentile are interpolated; the database
    does the sorting either way, nothing but the groups reaches Python.
    """
    if dialect_name() == "postgresql":
        columns = [func.percentile_cont(percent / 100).within_group(value).label(f"p{percent}") for percent in percents]
        return select(*group_by, func.count().label("n"), *columns).select_from(source).group_by(*group_by)
    partition = group_by or None
    ranked = (
        select(
            *group_by,
            value.label("v"),
            func.row_number().over(partition_by=partition, order_by=value).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .select_from(source)
        .subquery("ranked")
    )
    groups = [ranked.c[column.key] for column in group_by]
    columns = []
    for percent in percents:
        # The percentile's 0-based position is percent * (n - 1) / 100: a whole rank and a fraction,
        # split with integer division (the same on every backend).
        scaled = cast(percent * (ranked.c.n - 1), Integer)
        below = scaled // 100 + 1
        fraction = cast(scaled - (scaled // 100) * 100, Float) / 100.0
        low = func.max(case((ranked.c.rn == below, ranked.c.v)))
        high = func.coalesce(func.max(case((ranked.c.rn == below + 1, ranked.c.v))), low)
        columns.append((low + fraction * (high - low)).label(f"p{percent}"))
    return select(*groups, ranked.c.n, *columns).group_by(*groups, ranked.c.n)
