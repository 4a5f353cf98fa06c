"""Keyset pagination with opaque cursors: page 10,000 costs what page 1 costs."""
import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Connection, Integer, Select, bindparam, tuple_
from sqlalchemy.orm import Session


class InvalidCursor(ValueError):
    """The cursor is not one this server issued for this sort."""


@dataclass(frozen=True)
class SortKey:
    """A sortable column: the expression, how to (de)serialise its value, whether it may be NULL."""

    expression: Any
    load: Callable[[Any], Any]
    nullable: bool = False
    dump: Callable[[Any], Any] = lambda value: value


def _load_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("cursor timestamp lacks a time zone")
    return parsed


def _load_text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("cursor value is not text")
    value.encode("utf-8")  # lone surrogates raise UnicodeEncodeError, a ValueError
    return value


def _load_int(value: Any) -> int:
    if type(value) is not int or not -(2**31) <= value < 2**31:
        raise ValueError("cursor value is not a 32-bit integer")
    return value


def datetime_key(column, nullable: bool = False) -> SortKey:
    return SortKey(column, _load_datetime, nullable, lambda value: value.isoformat())


def text_key(column) -> SortKey:
    return SortKey(column, _load_text)


def int_key(expression) -> SortKey:
    return SortKey(expression, _load_int)


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(sort: str, phase: int, value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort, phase, value, str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[int, Any, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, phase, value, row_id = json.loads(raw)
        row_id = uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
        raise InvalidCursor("cursor is malformed") from exc
    if cursor_sort != sort or phase not in (0, 1):
        raise InvalidCursor("cursor belongs to another sort order")
    return phase, value, row_id


#: The bound parameters of the statements `paginate` runs: the cursor's position and the number of rows to read.
CURSOR_KEY, CURSOR_ID, PAGE_ROWS = "cursor_key", "cursor_id", "page_rows"


def _phase_statement(statement: Select, id_column, key: SortKey, descending: bool, phase: int, after: bool) -> Select:
    """The statement of one phase, on bound parameters for the cursor (`after` one) and the number of rows."""
    if phase == 0:
        stmt = statement
        if key.nullable:
            stmt = stmt.where(key.expression.is_not(None))
        if after:
            row = tuple_(key.expression, id_column)
            seen = tuple_(bindparam(CURSOR_KEY, type_=key.expression.type, required=True),
                          bindparam(CURSOR_ID, type_=id_column.type, required=True))
            stmt = stmt.where(row < seen if descending else row > seen)
        order = (key.expression.desc(), id_column.desc()) if descending else (key.expression, id_column)
        stmt = stmt.add_columns(key.expression.label("sort_key")).order_by(*order)
    else:
        stmt = statement.where(key.expression.is_(None))
        if after:
            last = bindparam(CURSOR_ID, type_=id_column.type, required=True)
            stmt = stmt.where(id_column < last if descending else id_column > last)
        stmt = stmt.order_by(id_column.desc() if descending else id_column)
    return stmt.limit(bindparam(PAGE_ROWS, type_=Integer(), required=True))


def paginate(
    session: Session | Connection,
    statement: Select,
    *,
    id_column,
    key: SortKey,
    sort: str,
    descending: bool,
    limit: int,
    cursor: str | None,
    entities: bool = True,
    params: dict | None = None,
    statements: dict | None = None,
) -> Page:
    """One page of `statement` ordered by (key, id); NULL keys come last in either direction.

    Phase 0 walks rows whose key is not NULL with a row-value comparison the index serves;
    phase 1 walks the NULL-key rows by id. Each phase is one index range scan. Items are the
    selected ORM entities, or with `entities=False` the rows themselves (cheaper for big lists).

    `params` are the values of the statement's own bound parameters. With `statements`, a dict kept
    by the caller for this statement, sort and direction, each phase's statement is built once into
    it and run again with the next request's values (building a statement costs more than running it).
    """
    phase, value, last_id = (0, None, None) if cursor is None else decode_cursor(cursor, sort)
    if value is not None:
        try:
            value = key.load(value)
        except (TypeError, ValueError) as exc:
            raise InvalidCursor("cursor is malformed") from exc

    def run(phase: int, rows: int, **position):
        after = bool(position)
        built = None if statements is None else statements.get((phase, after))
        if built is None:
            built = _phase_statement(statement, id_column, key, descending, phase, after)
            if statements is not None:
                statements[(phase, after)] = built
        return session.execute(built, {**(params or {}), PAGE_ROWS: rows, **position}).all()

    items: list = []
    rows_key: list = []
    if phase == 0:
        position = {} if last_id is None else {CURSOR_KEY: value, CURSOR_ID: last_id}
        rows = run(0, limit + 1, **position)
        items = [row[0] if entities else row for row in rows]
        rows_key = [(0, row[-1]) for row in rows]
        if len(items) <= limit and key.nullable:
            phase, last_id = 1, None
    if phase == 1 and len(items) <= limit:
        rows = run(1, limit + 1 - len(items), **({} if last_id is None else {CURSOR_ID: last_id}))
        more = [row[0] if entities else row for row in rows]
        items += more
        rows_key += [(1, None)] * len(more)
    if len(items) <= limit:
        return Page(items, None)
    items = items[:limit]
    last_phase, last_value = rows_key[limit - 1]
    dumped = None if last_value is None else key.dump(last_value)
    return Page(items, encode_cursor(sort, last_phase, dumped, items[-1].id))
