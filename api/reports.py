"""Reports: the task list, and the SLA, workload and flow analytics, as JSON or a streamed CSV download."""
import csv
import io

import pandas as pd
from flask import Response, g, stream_with_context

from api.base import BaseResource, operation, page_response, paged, parse_query
from api.schemas import (
    FlowMetricsReportOut,
    ForecastOut,
    FlowMetricsReportQuery,
    PageOut,
    SlaReportOut,
    SlaReportQuery,
    StatusFlowReportOut,
    StatusFlowReportQuery,
    TaskOut,
    TaskReportQuery,
    WorkloadReportOut,
    WorkloadReportQuery,
)
from api.tasks import add_allowed_transitions, task_filters
from db.types import utcnow
from domain import rules
from domain.errors import Forbidden
from domain.filters import TaskFilters, parse_sort
from domain.schemas import AnalyticsQuery, ForecastQuery
from reports import flow, forecast, policy, sla, task_csv, workload
from reports.tables import TABLES, csv_rows, plain, plain_columns
from workflow import cases, tasks


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
        filters = task_filters(query, g.user.id)
        if query.format == "csv":
            # Bad sorts are refused before the first byte: after it the status is already sent.
            parse_sort(query.sort)
            return csv_download(task_csv.stream_tasks_csv(filters=filters, sort=query.sort), "tasks")
        page = paged(lambda: tasks.list_tasks(filters=filters, sort=query.sort, limit=query.limit, cursor=query.cursor))
        return page_response(page, TaskOut, add_allowed_transitions)


# --- analytics ---------------------------------------------------------------------------


def report_filters(query: AnalyticsQuery) -> TaskFilters:
    """The query's filters as the reports take them."""
    return TaskFilters(
        date_from=query.date_from, date_to=query.date_to, department=query.department,
        assigned_to=query.assigned_to, priority=query.priority, tag=query.tag,
    )


def records(frame: pd.DataFrame) -> list[dict]:
    """A report frame as a list of JSON objects."""
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row)) for row in zip(*plain_columns(frame))]


def frame_csv(frame: pd.DataFrame):
    """A small report frame as UTF-8 CSV chunks: the header, then one chunk per row (nulls empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in csv_rows(frame):
        writer.writerow(row)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def _without_points(result: dict) -> dict:
    return {key: plain(value) for key, value in result.items() if key != "points"}


def _sla_json(f: TaskFilters) -> dict:
    tables = TABLES["sla"]
    return {
        "targets": {priority.value: minutes for priority, minutes in policy.get_targets().items()},
        "overall": plain(sla.compliance(filters=f)),
        **{name: records(table(f)) for name, table in tables.items()},
    }


def _workload_json(f: TaskFilters) -> dict:
    return {
        "by_assignee": records(workload.open_by_assignee(filters=f)),
        "by_department": records(workload.open_by_department(filters=f)),
        "unassigned": plain(workload.unassigned_queue(filters=f)),
    }


def _status_flow_json(f: TaskFilters) -> dict:
    return {
        "transitions": records(flow.transitions(filters=f)),
        "time_in_status": records(flow.time_in_status(filters=f)),
        "rework": flow.rework(filters=f),
    }


def _flow_metrics_json(f: TaskFilters) -> dict:
    cycle_lead = flow.cycle_and_lead_times(filters=f)
    aging = flow.aging_wip(filters=f, cycle_lead=cycle_lead)
    return {
        "throughput": records(flow.weekly_throughput(filters=f)),
        "cycle_lead": {**_without_points(cycle_lead), "points": records(cycle_lead["points"])},
        "cumulative_flow": records(flow.cumulative_flow(filters=f)),
        "aging_wip": {**_without_points(aging), "points": records(aging["points"])},
    }


JSON = {"sla": _sla_json, "workload": _workload_json, "status-flow": _status_flow_json, "flow-metrics": _flow_metrics_json}


def analytics_response(name: str, schema: type[AnalyticsQuery]):
    """One analytics report for a reader of analytics: its JSON, or one table as CSV."""
    if not rules.can_view_analytics(g.user):
        raise Forbidden("analytics are for managers, admins and viewers")
    query = parse_query(schema)
    filters = report_filters(query)
    if query.format == "csv":
        # Small frames: computed before the first byte, so a failure is still a clean error.
        table = TABLES[name][query.table](filters)
        return csv_download(frame_csv(table), f"{name}-{query.table.replace('_', '-')}")
    return JSON[name](filters)


def _analytics_operation(summary: str, query, response):
    return operation(
        summary=summary, tag="reports", query=query, response=response, errors=(403,), alternatives=("text/csv",)
    )


class SlaReport(BaseResource):
    @_analytics_operation("SLA compliance report (JSON or CSV)", SlaReportQuery, SlaReportOut)
    def get(self):
        """Filters -> {targets, overall, by_priority, by_week, by_assignee, by_department, watchlist}; format=csv streams `table`."""
        return analytics_response("sla", SlaReportQuery)


class WorkloadReport(BaseResource):
    @_analytics_operation("Workload report (JSON or CSV)", WorkloadReportQuery, WorkloadReportOut)
    def get(self):
        """Filters -> {by_assignee, by_department, unassigned}: open work now; format=csv streams `table`."""
        return analytics_response("workload", WorkloadReportQuery)


class StatusFlowReport(BaseResource):
    @_analytics_operation("Status flow report (JSON or CSV)", StatusFlowReportQuery, StatusFlowReportOut)
    def get(self):
        """Filters -> {transitions, time_in_status, rework}; format=csv streams `table`."""
        return analytics_response("status-flow", StatusFlowReportQuery)


class FlowMetricsReport(BaseResource):
    @_analytics_operation("Flow metrics report (JSON or CSV)", FlowMetricsReportQuery, FlowMetricsReportOut)
    def get(self):
        """Filters -> {throughput, cycle_lead, cumulative_flow, aging_wip}; format=csv streams `table`."""
        return analytics_response("flow-metrics", FlowMetricsReportQuery)


class ForecastReport(BaseResource):
    @operation(summary="Forecast: when the open work is done, how many by a date", tag="reports", query=ForecastQuery,
               response=ForecastOut, errors=(403, 404))
    def get(self):
        """Monte Carlo over the last `weeks` of daily throughput (reports/forecast.py states the method and assumptions)."""
        if not rules.can_view_analytics(g.user):
            raise Forbidden("analytics are for managers, admins and viewers")
        query = parse_query(ForecastQuery)
        if query.case_id is not None:
            cases.get_case(case_id=query.case_id)  # 404 for a case that does not exist
        result = forecast.forecast(filters=report_filters(query), weeks=query.weeks, by=query.by, case_id=query.case_id)
        return plain(result)
