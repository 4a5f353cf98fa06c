"""PostgreSQL prepared statements, for the hot statements that take longer to plan than to run.

A task change reads its task's analytics events twice with a union of thirteen joins: PostgreSQL
spends about 2 ms planning it and 0.5 ms running it. Prepared once per connection, it is planned
once (the engine asks for generic plans, db/__init__.py). The statement's constants (the codes of
statuses and priorities, the SLA defaults: 131 of the events read's 132 values) are written into
the prepared text: sent as parameters with every EXECUTE, reading and binding them took longer
than running the statement. Other databases run the statement as it is.
"""
import enum
import functools
import re
import uuid
from typing import NamedTuple

from sqlalchemy import CompoundSelect, Connection, CursorResult, Select
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Executable

# A dialect that writes $1, $2 ... each with a cast naming its type, as PREPARE needs them. Only
# its compiler is used (it never connects); the values go through psycopg2 as plain literals.
_NUMBERED = asyncpg.dialect()


@functools.cache
def _compiled(statement: Executable) -> SQLCompiler:
    return statement.compile(dialect=_NUMBERED)


def _literal(value):
    """A value as psycopg2 can send it into EXECUTE (it adapts neither UUIDs nor enums; lists become arrays)."""
    if isinstance(value, list):
        if value and all(isinstance(item, uuid.UUID) for item in value):
            # As an array's text: psycopg2 writes a list as ARRAY['...'], a text[] PostgreSQL will not take for uuid[].
            return "{" + ",".join(str(item) for item in value) + "}"
        return [_literal(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


_PLACEHOLDER = re.compile(r"\$(\d+)")


class _Prepared(NamedTuple):
    """A statement as prepared on one connection: of which statement, for which lengths of its expanding
    values, taking which values."""
    statement: Executable
    lengths: tuple
    #: (key in the caller's parameters, index in its list for an expanding one, else None), in $1, $2 ... order.
    arguments: tuple


def _lengths(statement: Executable, params: dict) -> tuple:
    # The statement's own expanding values (IN lists of constants) are written in: always the same.
    return tuple(len(params[key]) for key in _expanding(statement) if key in params)


@functools.cache
def _expanding(statement: Executable) -> tuple[str, ...]:
    return tuple(sorted(bind.key for bind in _compiled(statement).binds.values() if bind.expanding))


def _prepare(connection: Connection, name: str, statement: Executable, params: dict) -> _Prepared:
    """PREPARE `statement` as `name`, every value not in `params` written into its text."""
    expanded = _compiled(statement).construct_expanded_state(params)
    given = {key: (key, None) for key in params}
    for key, names in expanded.parameter_expansion.items():
        if key in params:
            given.update({expanded_name: (key, index) for index, expanded_name in enumerate(names)})
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        constants = {position: cursor.mogrify("%s", (_literal(expanded.parameters[key]),)).decode()
                     for position, key in enumerate(expanded.positiontup, start=1) if key not in given}
    finally:
        cursor.close()
    variables = [position for position in range(1, len(expanded.positiontup) + 1) if position not in constants]
    numbers = {position: number for number, position in enumerate(variables, start=1)}

    def written(match: re.Match) -> str:
        position = int(match.group(1))
        return constants[position] if position in constants else f"${numbers[position]}"

    connection.exec_driver_sql(f"PREPARE {name} AS {_PLACEHOLDER.sub(written, expanded.statement)}")
    return _Prepared(statement, _lengths(statement, params),
                     tuple(given[expanded.positiontup[position - 1]] for position in variables))


def execute(connection: Connection, name: str, statement: Executable, params: dict) -> CursorResult:
    """Run `statement` with `params`, prepared as `name` on PostgreSQL (rows as the driver gives them).

    Only the values in `params` are sent with each run; the statement's other values are part of
    its prepared text. Expanding parameters should keep their length from call to call (a constant
    IN list, one task's id): a new length prepares the statement again.
    """
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params)
    prepared = connection.info.setdefault("prepared_statements", {})
    entry = prepared.get(name)
    if entry is None or entry.statement is not statement or entry.lengths != _lengths(statement, params):
        if entry is not None:
            connection.exec_driver_sql(f"DEALLOCATE {name}")
            del prepared[name]
        entry = prepared[name] = _prepare(connection, name, statement, params)
    arguments = tuple(_literal(params[key] if index is None else params[key][index]) for key, index in entry.arguments)
    return connection.exec_driver_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(arguments))})", arguments)


@functools.cache
def _processors(statement: Select | CompoundSelect, dialect) -> list:
    return [column.type._cached_result_processor(dialect, None) for column in statement.selected_columns]


def rows(connection: Connection, name: str, statement: Select | CompoundSelect, params: dict) -> list[dict]:
    """The rows of a SELECT as dicts, prepared as `name` on PostgreSQL (see `execute`)."""
    result = execute(connection, name, statement, params)
    if connection.dialect.name != "postgresql":
        return [dict(row) for row in result.mappings()]
    # Values as the statement's own types make them (psycopg2 gives UUIDs as text).
    keys, processors = list(result.keys()), _processors(statement, connection.dialect)
    return [{key: process(value) if process else value for key, value, process in zip(keys, row, processors)}
            for row in result.fetchall()]
