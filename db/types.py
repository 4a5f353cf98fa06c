"""Portable column types: native on PostgreSQL, working equivalents on SQLite."""
import os
import threading
import time
import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Float, Text, exists, func, literal, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

#: JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
#: Python None is stored as SQL NULL (not JSON `null`), so `IS NULL` finds it.
JSONDocument = JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

#: A list of strings: text[] on PostgreSQL (GIN-indexable), a JSON array on SQLite.
StringList = JSON().with_variant(postgresql.ARRAY(Text()), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class epoch_seconds(FunctionElement):
    """A UTCDateTime column as seconds since 1970 UTC (float)."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element, compiler, **kw):
    # date_part computes the double directly; EXTRACT goes through numeric, which costs about a fifth
    # of a full-history report's time. Same value: both are the exact seconds rounded to a double.
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element, compiler, **kw):
    # julianday() counts whole milliseconds; rounding to them drops the float noise of * 86400.
    return f"ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


class uuid_text(FunctionElement):
    """A UUID column read as its canonical text (8-4-4-4-12 lower-case hex digits), not as a uuid.UUID.

    For reads that only hand ids on (the task list's JSON): the driver then makes no uuid.UUID of
    each id. Still the column itself in WHERE and ORDER BY, where an index serves it.
    """

    type = Text()
    name = "uuid_text"
    inherit_cache = True


@compiles(uuid_text, "postgresql")
def _uuid_text_postgresql(element, compiler, **kw):
    # uuid's own output function, the text the wire carries anyway.
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(uuid_text, "sqlite")
def _uuid_text_sqlite(element, compiler, **kw):
    # Stored as 32 hex digits (uuid.UUID.hex, lower case): put the hyphens in.
    column = compiler.process(element.clauses, **kw)
    parts = " || '-' || ".join(f"substr({column}, {start}, {length})"
                               for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
    return f"lower({parts})"


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def list_contains(column, item, dialect_name: str):
    """A condition that the string list `column` contains `item` (a string or a bound parameter), index-friendly
    per dialect."""
    if dialect_name == "postgresql":
        # `@>` is what the GIN index on text[] serves.
        return column.op("@>")(postgresql.array([type_coerce(item, Text())]))
    each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == item))


_last_uuid7 = 0
_uuid7_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7), strictly increasing within this process.

    Ordered ids keep B-tree inserts local and break timestamp ties in creation order.
    """
    global _last_uuid7
    with _uuid7_lock:
        millis = time.time_ns() // 1_000_000
        candidate = (millis << 80) | (int.from_bytes(os.urandom(10)) & ((1 << 74) - 1))
        # Within the same millisecond, step the random bits past the last id handed out.
        if candidate >> 80 == _last_uuid7 >> 80 and candidate <= _last_uuid7:
            candidate = _last_uuid7 + 1
        _last_uuid7 = candidate
    value = candidate
    # Insert the version (7) and variant (0b10) bits around 48 bits of time and 74 random bits.
    time_part, rand_part = value >> 80, value & ((1 << 74) - 1)
    rand_a, rand_b = rand_part >> 62, rand_part & ((1 << 62) - 1)
    as_int = (time_part << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return uuid.UUID(int=as_int)


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character `\\`) matching `text` anywhere, wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
