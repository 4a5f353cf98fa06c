"""Reports: the task list as JSON pages or a streamed CSV download."""
from flask import Response, stream_with_context

from api.base import BaseResource, operation, page_response, paged, parse_query
from api.schemas import PageOut, TaskOut, TaskReportQuery
from api.tasks import add_allowed_transitions, task_filters
from db.types import utcnow
from reports import task_csv
from workflow import tasks


def csv_download(chunks, name: str) -> Response:
    """A streamed UTF-8 CSV attachment named `name-<UTC time>.csv`."""
    filename = f"{name}-{utcnow():%Y%m%d-%H%M%S}.csv"
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


class TaskReport(BaseResource):
    @operation(
        summary="Task list report (JSON or CSV)", tag="reports", query=TaskReportQuery, response=PageOut[TaskOut],
        alternatives=("text/csv",),
    )
    def get(self):
        """The task list's filters and sort -> JSON pages like GET /api/tasks, or with format=csv every match as CSV."""
        query = parse_query(TaskReportQuery)
        filters = task_filters(query)
        if query.format == "csv":
            # Bad sorts are refused before the first byte: after it the status is already sent.
            tasks.parse_sort(query.sort)
            return csv_download(task_csv.stream_tasks_csv(filters=filters, sort=query.sort), "tasks")
        page = paged(lambda: tasks.list_tasks(filters=filters, sort=query.sort, limit=query.limit, cursor=query.cursor))
        return page_response(page, TaskOut, add_allowed_transitions)
