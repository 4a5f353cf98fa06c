"""Case resources."""
from flask import g, url_for

from api.base import BaseResource, dump, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import CaseDetailOut, CaseOut, CaseQuery, CaseWatchersOut, PageOut, WatcherQuery
from domain.schemas import CaseCreate, CaseUpdate, WatcherChange
from workflow import cases, tasks, watchers


def render_case_detail(found) -> dict:
    return dump(CaseDetailOut, {**dump(CaseOut, found), "task_counts": tasks.count_by_status(case_id=found.id)})


class CaseList(BaseResource):
    @operation(summary="List cases", tag="cases", query=CaseQuery, response=PageOut[CaseOut])
    def get(self):
        """`?status=&q=` -> {"items": [CaseOut] newest first, "next_cursor"}."""
        query = parse_query(CaseQuery)
        page = paged(lambda: cases.list_cases(status=query.status, q=query.q, limit=query.limit, cursor=query.cursor))
        return page_response(page, CaseOut)

    @operation(
        summary="Open a case", tag="cases", body=CaseCreate, response=CaseOut, status=201,
        errors=(403, 409), headers={"Location": "URL of the new case"},
    )
    def post(self):
        """{"title", "description"?} -> 201 CaseOut (reference CASE-<year>-<n>)."""
        body = parse_body(CaseCreate)
        found = cases.create_case(actor=g.user, **body.model_dump())
        return dump(CaseOut, found), 201, {"Location": url_for("api.case", case_id=found.id)}


class CaseItem(BaseResource):
    @operation(summary="Get a case with its task counts", tag="cases", response=CaseDetailOut, errors=(404,))
    def get(self, case_id):
        """-> CaseOut plus `task_counts` per status."""
        return render_case_detail(cases.get_case(case_id=parse_id(case_id, "case_id")))

    @operation(summary="Update a case (partial)", tag="cases", body=CaseUpdate, response=CaseDetailOut, errors=(403, 404))
    def put(self, case_id):
        """{"title"?, "description"?, "status"?} -> CaseOut plus `task_counts`."""
        case_uuid = parse_id(case_id, "case_id")
        body = parse_body(CaseUpdate)
        found = cases.update_case(actor=g.user, case_id=case_uuid, changes=body.model_dump(exclude_unset=True))
        return render_case_detail(found)


class CaseWatchers(BaseResource):
    @operation(
        summary="Watch a case (all its tasks)", tag="cases", body=WatcherChange, optional_body=True,
        response=CaseWatchersOut, errors=(403, 404),
    )
    def post(self, case_id):
        """{"user_id"?} (yourself by default; others: Managers and Admins) -> the case's watchers.

        A case's watchers hear of the Status Changes and Comments of every task of the case.
        """
        case_uuid = parse_id(case_id, "case_id")
        body = parse_body(WatcherChange, optional=True)
        ids = watchers.watch_case(actor=g.user, case_id=case_uuid, user_id=body.user_id)
        return {"case_id": str(case_uuid), "watchers": [str(i) for i in ids]}

    @operation(
        summary="Stop watching a case", tag="cases", query=WatcherQuery, response=None, status=204, errors=(403, 404)
    )
    def delete(self, case_id):
        """`?user_id=` (yourself by default; others: Managers and Admins) -> 204."""
        case_uuid = parse_id(case_id, "case_id")
        query = parse_query(WatcherQuery)
        watchers.unwatch_case(actor=g.user, case_id=case_uuid, user_id=query.user_id)
        return "", 204
