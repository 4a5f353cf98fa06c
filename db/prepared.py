"""PostgreSQL prepared statements, for the hot statements that take longer to plan than to run.

A task change reads its task's analytics events twice with a union of seven joins: PostgreSQL
spends about 2 ms planning it and 0.5 ms running it. Prepared once per connection, it is planned
once (or a handful of times, until PostgreSQL settles on a generic plan). Other databases run the
statement as it is.
"""
import enum
import functools
import uuid

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
    """A value as psycopg2 can send it into EXECUTE (it adapts neither UUIDs nor enums)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def execute(connection: Connection, name: str, statement: Executable, params: dict) -> CursorResult:
    """Run `statement` with `params`, prepared as `name` on PostgreSQL (rows as the driver gives them).

    Expanding parameters should keep their length from call to call (a constant IN list, one task's
    id): a new length prepares the statement again.
    """
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, params)
    expanded = _compiled(statement).construct_expanded_state(params)
    prepared = connection.info.setdefault("prepared_statements", {})
    if prepared.get(name) != expanded.statement:
        if name in prepared:
            connection.exec_driver_sql(f"DEALLOCATE {name}")
        connection.exec_driver_sql(f"PREPARE {name} AS {expanded.statement}")
        prepared[name] = expanded.statement
    arguments = tuple(_literal(expanded.parameters[key]) for key in expanded.positiontup)
    return connection.exec_driver_sql(f"EXECUTE {name} ({', '.join(['%s'] * len(arguments))})", arguments)


def rows(connection: Connection, name: str, statement: Select | CompoundSelect, params: dict) -> list[dict]:
    """The rows of a SELECT as dicts, prepared as `name` on PostgreSQL (see `execute`)."""
    result = execute(connection, name, statement, params)
    if connection.dialect.name != "postgresql":
        return [dict(row) for row in result.mappings()]
    # Values as the statement's own types make them (psycopg2 gives UUIDs as text).
    processors = [column.type._cached_result_processor(connection.dialect, None)
                  for column in statement.selected_columns]
    return [{key: process(value) if process else value
             for key, value, process in zip(result.keys(), row, processors)} for row in result]
