"""The task list as CSV: any filter and sort of the task list, streamed in constant memory, every text
cell spreadsheet-safe."""
from collections.abc import Iterator

from sqlalchemy import ColumnElement, Select, String, cast, func, select
from sqlalchemy.orm import aliased

from db import session
from db.models import Case, Task, User
from db.pagination import paginate
from domain.filters import DEFAULT_SORT, TaskFilters, parse_sort
from reports.csv_cells import safe_text
from reports.csv_stream import PAGE_ROWS, copy_csv, paged_csv
from reports.filters import SORT_KEYS, filtered_statement

#: The export's columns, in order: the task list's field names, people by username, times in UTC.
HEADER = [
    "id", "title", "description", "status", "priority", "assigned_to", "created_by",
    "due_date", "created_at", "updated_at", "case", "tags",
]


def utc_text(column, dialect: str) -> ColumnElement:
    """An ISO 8601 UTC timestamp, rendered the same by every backend (seconds precision)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)


def _tags_text(dialect: str) -> ColumnElement:
    """The tags joined by `; ` (a tag may hold spaces or commas, never `;` and a space both)."""
    if dialect == "postgresql":
        return func.array_to_string(Task.tags, "; ")
    each = func.json_each(Task.tags).table_valued("value")
    return select(func.group_concat(each.c.value, "; ")).scalar_subquery()


def export_statement(filters: TaskFilters, dialect: str) -> Select:
    """The live tasks matching `filters`, with the columns of HEADER rendered as text."""
    assignee, creator = aliased(User), aliased(User)
    # Only the reference of a case: its `status` column would make the sort ranks' bare `status` ambiguous.
    case_refs = select(Case.id, Case.reference).subquery("case_refs")
    return (
        filtered_statement(filters)
        .with_only_columns(
            Task.id,
            safe_text(Task.title).label("title"),
            safe_text(Task.description).label("description"),
            cast(Task.status, String).label("status"),
            cast(Task.priority, String).label("priority"),
            safe_text(assignee.username).label("assigned_to"),
            safe_text(creator.username).label("created_by"),
            utc_text(Task.due_date, dialect).label("due_date"),
            utc_text(Task.created_at, dialect).label("created_at"),
            utc_text(Task.updated_at, dialect).label("updated_at"),
            safe_text(case_refs.c.reference).label("case"),
            safe_text(_tags_text(dialect)).label("tags"),
        )
        .select_from(Task)
        .outerjoin(assignee, assignee.id == Task.assigned_to)
        .join(creator, creator.id == Task.created_by)
        .outerjoin(case_refs, case_refs.c.id == Task.case_id)
    )


def stream_tasks_csv(*, filters: TaskFilters, sort: str | None) -> Iterator[bytes]:
    """UTF-8 CSV (header row first) of the live tasks matching `filters` in `sort` order."""
    name, descending = parse_sort(sort)
    key = SORT_KEYS[name]
    bind = session.get_bind()
    dialect = bind.dialect.name
    statement = export_statement(filters, dialect)
    if dialect == "postgresql":
        # NULL keys last in either direction, ties by id: the order the task list pages in.
        order = key.expression.desc() if descending else key.expression.asc()
        ordered = statement.order_by(order.nulls_last(), Task.id.desc() if descending else Task.id)
        return copy_csv(bind, ordered, HEADER)

    def page(cursor: str | None):
        found = paginate(
            session(), statement, id_column=Task.id, key=key, sort=sort or DEFAULT_SORT,
            descending=descending, limit=PAGE_ROWS, cursor=cursor, entities=False,
        )
        session.rollback()  # end the read, so writers are not held up between pages
        return found

    return paged_csv(page, HEADER)

