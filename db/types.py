"""Portable column types: native on PostgreSQL, working equivalents on SQLite."""
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Text, exists, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

#: JSON documents: JSONB on PostgreSQL, JSON text on SQLite.
JSONDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")

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


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def list_contains(column, item: str, dialect_name: str):
    """A condition that the string list `column` contains `item`, index-friendly per dialect."""
    if dialect_name == "postgresql":
        # `@>` is what the GIN index on text[] serves.
        return column.op("@>")(postgresql.array([literal(item, Text())]))
    each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == item))
