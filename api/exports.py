"""Export resources: start a background export of the task list or a report, then poll it for its link."""
import uuid
from typing import Optional

from flask import g
from pydantic import Field

from api.audit import AuditQuery
from api.base import BaseResource, dump, me_or, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import (
    ExportOut,
    FlowMetricsReportQuery,
    PageOut,
    PageQuery,
    SlaReportQuery,
    StatusFlowReportQuery,
    TaskReportQuery,
    WorkloadReportQuery,
)
from db.models import ChangeType
from domain.schemas import ExportCreate, Schema, UtcDatetime
from workflow import exports


class HistoryExportQuery(Schema):
    """The task history export's filters: one task, who changed it, the kind of change, a time range."""

    task_id: Optional[uuid.UUID] = None
    changed_by: Optional[uuid.UUID] = None
    change_type: Optional[ChangeType] = None
    date_from: Optional[UtcDatetime] = Field(default=None, description="From this moment (inclusive).")
    date_to: Optional[UtcDatetime] = Field(default=None, description="Until this moment (exclusive).")


#: Each report's filters, validated as its GET /api/reports/{name} validates them.
FILTER_SCHEMAS = {
    "tasks": TaskReportQuery,
    "sla": SlaReportQuery,
    "workload": WorkloadReportQuery,
    "status-flow": StatusFlowReportQuery,
    "flow-metrics": FlowMetricsReportQuery,
    "audit": AuditQuery,
    "history": HistoryExportQuery,
}
#: Query parameters of the reports that mean nothing to an export.
NOT_FILTERS = {"format", "limit", "cursor"}


def export_filters(body: ExportCreate) -> dict:
    """The body's filters validated by the report's own query schema, as JSON (`me` is the caller)."""
    query = FILTER_SCHEMAS[body.report].model_validate(body.filters)
    filters = query.model_dump(mode="json", exclude_none=True, exclude=NOT_FILTERS)
    for name in ("assigned_to", "created_by"):
        if name in filters:
            filters[name] = str(me_or(filters[name], g.user.id))
    return filters


def export_body(export) -> dict:
    body = dump(ExportOut, export)
    body["download_url"] = exports.download_url(export)
    return body


def add_download_url(out: ExportOut, export) -> None:
    out.download_url = exports.download_url(export)


class ExportList(BaseResource):
    @operation(summary="The caller's exports", tag="reports", query=PageQuery, response=PageOut[ExportOut])
    def get(self):
        """-> {"items": [ExportOut] newest first, done ones with a fresh `download_url`, "next_cursor"}."""
        query = parse_query(PageQuery)
        page = paged(lambda: exports.list_exports(actor=g.user, limit=query.limit, cursor=query.cursor))
        return page_response(page, ExportOut, add_download_url)

    @operation(
        summary="Start a background export (CSV to S3 or the local export folder)", tag="reports",
        body=ExportCreate, response=ExportOut, status=202, errors=(403,),
        headers={"Location": "The export, to poll until `status` is done or failed"},
    )
    def post(self):
        """{"report", "filters"} -> 202 ExportOut {"id", "status": "queued", ...}; analytics need a reader of analytics."""
        body = parse_body(ExportCreate)
        export = exports.request_export(actor=g.user, report=body.report, filters=export_filters(body))
        return export_body(export), 202, {"Location": f"/api/exports/{export.id}"}


class ExportItem(BaseResource):
    @operation(summary="An export's status and, once done, its download link", tag="reports", response=ExportOut, errors=(404,))
    def get(self, export_id):
        """-> ExportOut {"id", "status", "progress", "download_url" (when done, expires), "error" (when failed)}."""
        export = exports.get_export(actor=g.user, export_id=parse_id(export_id, "export_id"))
        return export_body(export), 200, {"Cache-Control": "no-store"}
