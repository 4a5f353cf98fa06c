"""Report subscriptions: a report or a saved view as CSV by e-mail, daily or weekly at an hour on your clock."""
import uuid
from datetime import datetime
from typing import Any, Literal, Optional

from flask import Response, g, redirect
from pydantic import Field

from api.base import BaseResource, operation, paged, parse_body, parse_id, parse_query
from api.errors import envelope
from api.exports import FILTER_SCHEMAS, export_filters
from api.schemas import Out, PageOut, PageQuery
from db.types import utcnow
from domain.schemas import ExportCreate, Schema
from workflow import subscriptions


class SubscriptionCreate(Schema):
    """A report to receive by e-mail as CSV, daily or weekly at an hour on your own clock (your time zone)."""

    report: str = Field(
        min_length=1, max_length=48,
        description="A name of GET /api/reports/{name} (`tasks`, `sla`, `workload`, `status-flow`, `flow-metrics`), "
        "or `view:<saved view id>` for one of your saved task views (its filters as they are at each run).",
    )
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The report's filters as POST /api/exports takes them (analytics: `table` too); none for a view.",
    )
    frequency: Literal["daily", "weekly"]
    hour: Optional[int] = Field(default=None, ge=0, le=23, description="Hour on your clock; default 7.")
    weekday: Optional[int] = Field(default=None, ge=0, le=6, description="Weekly: Monday 0 to Sunday 6; default Monday.")


class SubscriptionRunOut(Out):
    id: uuid.UUID
    period: str = Field(description="`2026-12-07` (daily) or `2026-W50` (weekly, ISO week) on the owner's clock")
    status: Literal["running", "done", "failed"]
    attempts: int
    rows: Optional[int] = None
    bytes: Optional[int] = None
    attached: bool = Field(description="Whether the e-mail carried the file itself (small enough), besides the link")
    error: Optional[str] = None
    created_at: datetime
    finished_at: Optional[datetime] = None
    download_url: Optional[str] = Field(default=None, description="Once done: downloads the CSV for a few minutes")


class SubscriptionOut(Out):
    id: uuid.UUID
    user_id: uuid.UUID
    report: str
    title: str = ""
    filters: dict[str, Any]
    frequency: Literal["daily", "weekly"]
    hour: int
    weekday: Optional[int] = None
    schedule: str = Field(default="", description="The schedule in words, on the owner's clock")
    status: Literal["active", "stopped"]
    stopped_reason: Optional[str] = Field(default=None, description="Why it stopped (the owner may no longer have it)")
    stopped_at: Optional[datetime] = None
    created_at: datetime
    next_run_at: Optional[datetime] = None
    runs: list[SubscriptionRunOut] = Field(default_factory=list, description="The latest runs, newest first")


def _filters(body: SubscriptionCreate) -> dict:
    """A report's filters validated as POST /api/exports validates them (`me` is the caller); a view takes none."""
    if body.report in FILTER_SCHEMAS:
        return export_filters(ExportCreate(report=body.report, filters=body.filters))
    return body.filters


def _describe(items: list) -> list[SubscriptionOut]:
    """Each subscription as SubscriptionOut, with its title, schedule and latest runs (fresh download links)."""
    runs = subscriptions.recent_runs([item.id for item in items])
    now = utcnow()
    described = []
    for item in items:
        owner = g.user if item.user_id == g.user.id else None
        out = SubscriptionOut.model_validate(item, from_attributes=True)
        if owner is not None:
            out.title = subscriptions.title(item, owner)
            out.schedule = subscriptions.schedule_text(item, owner)
            out.next_run_at = subscriptions.next_run_at(item, owner, now)
        out.runs = [
            SubscriptionRunOut.model_validate(run, from_attributes=True).model_copy(
                update={"download_url": subscriptions.download_url(item, run)})
            for run in runs.get(item.id, [])
        ]
        described.append(out)
    return described


class SubscriptionList(BaseResource):
    @operation(summary="Your report subscriptions, with their latest runs", tag="reports", query=PageQuery,
               response=PageOut[SubscriptionOut])
    def get(self):
        """-> {"items": [SubscriptionOut] newest first, each with its latest `runs` (done ones with a fresh
        `download_url`), stopped ones with `stopped_reason`, "next_cursor"}."""
        query = parse_query(PageQuery)
        page = paged(lambda: subscriptions.list_subscriptions(actor=g.user, limit=query.limit, cursor=query.cursor))
        body = PageOut[SubscriptionOut](items=_describe(page.items), next_cursor=page.next_cursor)
        return Response(body.model_dump_json(by_alias=True), mimetype="application/json")

    @operation(summary="Subscribe to a report (CSV by e-mail, daily or weekly)", tag="reports", body=SubscriptionCreate,
               response=SubscriptionOut, status=201, errors=(403,))
    def post(self):
        """{"report", "filters", "frequency": "daily"|"weekly", "hour"?, "weekday"?} -> 201 SubscriptionOut;
        analytics reports need a reader of analytics (403), a view must be one of yours (422)."""
        body = parse_body(SubscriptionCreate)
        subscription = subscriptions.subscribe(
            actor=g.user, report=body.report, filters=_filters(body), frequency=body.frequency, hour=body.hour,
            weekday=body.weekday,
        )
        out = _describe([subscription])[0]
        return out.model_dump(mode="json"), 201, {"Location": f"/api/subscriptions/{subscription.id}"}


class SubscriptionItem(BaseResource):
    @operation(summary="Delete a report subscription (its owner or an Admin), its runs and files", tag="reports",
               status=204, errors=(404,))
    def delete(self, subscription_id):
        """-> 204; anyone else's subscription is not found (404)."""
        subscriptions.delete_subscription(actor=g.user, subscription_id=parse_id(subscription_id, "subscription_id"))
        return "", 204


def subscription_file(token: str):
    """An e-mailed link: the signed, expiring token is the permission; it leads to a fresh download link."""
    try:
        url = subscriptions.open_file_link(token)
    except subscriptions.InvalidLink as exc:
        return envelope(403, "forbidden", str(exc))
    response = redirect(url, 302)
    response.headers["Cache-Control"] = "no-store"
    return response
