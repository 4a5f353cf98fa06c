"""Permission matrix: every API operation x every kind of caller -> the exact HTTP status, and its effect."""
import hashlib
import io
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import pytest
from sqlalchemy import select

import api
import db
from db.models import ApiToken, Export, Notification, NotificationType, OutboxMessage, Role, TaskStatus, Webhook
from db.types import utcnow, uuid7
from tests.conftest import PASSWORD
from workflow import assignment, attachments, board, cases, comments, exports, tasks, users, watchers
from workflow import tokens as service_tokens
from workflow import webhooks as service_webhooks
from workflow import subscriptions as report_subscriptions
from db.models import ReportSubscription

CALLERS = ("anonymous", "viewer", "agent_own", "agent_other", "manager", "admin")
ROLE_OF = {"viewer": "viewer", "agent_own": "agent", "agent_other": "agent", "manager": "manager", "admin": "admin"}
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "invalid_transition"}


def _table(*rows) -> dict[str, dict[str, int]]:
    return {operation: dict(zip(CALLERS, statuses, strict=True)) for operation, *statuses in rows}


# operation ("METHOD /path [variant]") -> {caller: status}, from DESIGN.md's roles as workflow/rules.py
# implements them. `agent_own` ("own") acts on a task or case that is theirs (created by or assigned
# to them), `agent_other` ("oth") and everyone else on one that is not. Where no task or case is
# involved the two Agent columns are the same Agent and agree. Personal state (your own notifications,
# settings, profile and watching) is the user's own business, so Viewers may change it.
EXPECTED = _table(
    # operation                                                 anon view own  oth  mgr  admin
    ("POST /auth/logout",                                       401, 204, 204, 204, 204, 204),
    ("GET /tasks",                                              401, 200, 200, 200, 200, 200),
    ("POST /tasks unassigned",                                  401, 403, 201, 201, 201, 201),
    ("POST /tasks assigned to self",                            401, 403, 201, 201, 201, 201),
    ("POST /tasks assigned to another",                         401, 403, 403, 403, 201, 201),
    ("GET /tasks/{task_id}",                                    401, 200, 200, 200, 200, 200),
    ("PUT /tasks/{task_id} edit (assigned to them)",            401, 403, 200, 403, 200, 200),
    ("PUT /tasks/{task_id} edit (created by them)",             401, 403, 200, 403, 200, 200),
    ("PATCH /tasks/{task_id} edit",                             401, 403, 200, 403, 200, 200),
    ("PUT /tasks/{task_id} take an unassigned task",            401, 403, 200, 200, 200, 200),
    ("PUT /tasks/{task_id} take a task assigned to another",    401, 403, 403, 403, 200, 200),
    ("PUT /tasks/{task_id} reassign to another",                401, 403, 403, 403, 200, 200),
    ("PUT /tasks/{task_id} unassign",                           401, 403, 200, 403, 200, 200),
    ("PATCH /tasks/{task_id}/status start work",                401, 403, 200, 403, 200, 200),
    ("PATCH /tasks/{task_id}/status reopen (supervisors only)", 401, 403, 409, 403, 200, 200),
    ("DELETE /tasks/{task_id}",                                 401, 403, 403, 403, 204, 204),
    ("GET /tasks/{task_id}/history",                            401, 200, 200, 200, 200, 200),
    ("GET /tasks/{task_id}/comments",                           401, 200, 200, 200, 200, 200),
    ("POST /tasks/{task_id}/comments",                          401, 403, 201, 201, 201, 201),
    ("POST /tasks/{task_id}/watchers self",                     401, 200, 200, 200, 200, 200),
    ("POST /tasks/{task_id}/watchers another user",             401, 403, 403, 403, 200, 200),
    ("DELETE /tasks/{task_id}/watchers self",                   401, 204, 204, 204, 204, 204),
    ("DELETE /tasks/{task_id}/watchers another user",           401, 403, 403, 403, 204, 204),
    ("GET /tasks/{task_id}/attachments",                        401, 200, 200, 200, 200, 200),
    ("POST /tasks/{task_id}/attachments",                       401, 403, 201, 201, 201, 201),
    ("GET /tasks/{task_id}/attachments/{attachment_id}",        401, 302, 302, 302, 302, 302),
    ("DELETE /tasks/{task_id}/attachments/{attachment_id}",     401, 403, 204, 403, 204, 204),
    ("GET /cases",                                              401, 200, 200, 200, 200, 200),
    ("POST /cases",                                             401, 403, 201, 201, 201, 201),
    ("GET /cases/{case_id}",                                    401, 200, 200, 200, 200, 200),
    ("PUT /cases/{case_id}",                                    401, 403, 200, 403, 200, 200),
    ("POST /cases/{case_id}/watchers self",                     401, 200, 200, 200, 200, 200),
    ("POST /cases/{case_id}/watchers another user",             401, 403, 403, 403, 200, 200),
    ("DELETE /cases/{case_id}/watchers self",                   401, 204, 204, 204, 204, 204),
    ("DELETE /cases/{case_id}/watchers another user",           401, 403, 403, 403, 204, 204),
    ("GET /users",                                              401, 200, 200, 200, 200, 200),
    ("POST /users",                                             401, 403, 403, 403, 403, 201),
    ("GET /users/{user_id}",                                    401, 200, 200, 200, 200, 200),
    ("PUT /users/{user_id} own profile",                        401, 200, 200, 200, 200, 200),
    ("PUT /users/{user_id} own role and department",            401, 403, 403, 403, 403, 200),
    ("PUT /users/{user_id} another user",                       401, 403, 403, 403, 403, 200),
    ("DELETE /users/{user_id}/sessions own",                    401, 204, 204, 204, 204, 204),
    ("DELETE /users/{user_id}/sessions another user",           401, 403, 403, 403, 403, 204),
    ("POST /tokens",                                            401, 201, 201, 201, 201, 201),
    ("GET /tokens",                                             401, 200, 200, 200, 200, 200),
    ("DELETE /tokens/{token_id} own",                           401, 204, 204, 204, 204, 204),
    ("DELETE /tokens/{token_id} another's",                     401, 404, 404, 404, 404, 204),
    ("GET /notifications",                                      401, 200, 200, 200, 200, 200),
    ("GET /notifications/unread-count",                         401, 200, 200, 200, 200, 200),
    ("POST /notifications/read-all",                            401, 200, 200, 200, 200, 200),
    ("GET /notifications/settings",                             401, 200, 200, 200, 200, 200),
    ("POST /notifications/settings",                            401, 200, 200, 200, 200, 200),
    ("GET /notifications/settings/defaults",                    401, 200, 200, 200, 200, 200),
    ("POST /notifications/settings/defaults",                   401, 403, 403, 403, 403, 200),
    ("GET /notifications/settings/email",                       401, 200, 200, 200, 200, 200),
    ("POST /notifications/settings/email",                      401, 200, 200, 200, 200, 200),
    ("PATCH /notifications/{notification_id}/read own",         401, 200, 200, 200, 200, 200),
    ("PATCH /notifications/{notification_id}/read another's",   401, 404, 404, 404, 404, 404),
    ("GET /admin/outbox",                                       401, 403, 403, 403, 403, 200),
    ("POST /admin/outbox/{message_id}/retry",                   401, 403, 403, 403, 403, 200),
    ("POST /webhooks",                                          401, 403, 403, 403, 403, 201),
    ("GET /webhooks",                                           401, 403, 403, 403, 403, 200),
    ("DELETE /webhooks/{webhook_id}",                           401, 403, 403, 403, 403, 204),
    ("POST /webhooks/{webhook_id}/test",                        401, 403, 403, 403, 403, 202),
    ("GET /audit",                                              401, 403, 403, 403, 403, 200),
    ("GET /reports/tasks",                                      401, 200, 200, 200, 200, 200),
    ("GET /reports/sla",                                        401, 200, 403, 403, 200, 200),
    ("GET /reports/workload",                                   401, 200, 403, 403, 200, 200),
    ("GET /reports/status-flow",                                401, 200, 403, 403, 200, 200),
    ("GET /reports/flow-metrics",                               401, 200, 403, 403, 200, 200),
    ("GET /reports/forecast",                                   401, 200, 403, 403, 200, 200),
    ("GET /exports",                                            401, 200, 200, 200, 200, 200),
    ("POST /exports tasks",                                     401, 202, 202, 202, 202, 202),
    ("POST /exports sla (readers of analytics)",                401, 202, 403, 403, 202, 202),
    ("GET /exports/{export_id} own",                            401, 200, 200, 200, 200, 200),
    ("GET /exports/{export_id} another's",                      401, 404, 404, 404, 404, 200),
    ("GET /subscriptions",                                      401, 200, 200, 200, 200, 200),
    ("POST /subscriptions tasks",                               401, 201, 201, 201, 201, 201),
    ("POST /subscriptions sla (readers of analytics)",          401, 201, 403, 403, 201, 201),
    ("DELETE /subscriptions/{subscription_id} own",             401, 204, 204, 204, 204, 204),
    ("DELETE /subscriptions/{subscription_id} another's",       401, 404, 404, 404, 404, 204),
    ("GET /sla/targets",                                        401, 200, 200, 200, 200, 200),
    ("PUT /sla/targets",                                        401, 403, 403, 403, 403, 200),
    ("GET /sla/calendar",                                       401, 200, 200, 200, 200, 200),
    ("PUT /sla/calendar",                                       401, 403, 403, 403, 403, 200),
    ("GET /sla/escalations",                                    401, 200, 200, 200, 200, 200),
    ("PUT /sla/escalations",                                    401, 403, 403, 403, 200, 200),
    ("GET /board/wip-limits",                                   401, 200, 200, 200, 200, 200),
    ("PUT /board/wip-limits",                                   401, 403, 403, 403, 200, 200),
    ("GET /assignment-rules",                                   401, 200, 200, 200, 200, 200),
    ("PUT /assignment-rules",                                   401, 403, 403, 403, 200, 200),
)

#: (operation, caller) -> why the product gets it wrong; each is a strict xfail (none known today).
KNOWN_BUGS: dict[tuple[str, str], str] = {}

NEW_PASSWORD = "a-brand-new-passphrase"


@dataclass
class Call:
    """One request of the matrix: where it goes, its body, how to observe state and what a success changes."""

    url: str
    probe: Callable[[], Any]
    json: Any = None
    effect: Callable[[Any, Any, Any], bool] | None = None
    #: A multipart form instead of JSON (uploads).
    form: dict | None = None


ARRANGE: dict[str, Callable[["World"], Call]] = {}


def arranges(operation: str):
    """Register the request builder of an operation of the table."""

    def register(build):
        ARRANGE[operation] = build
        return build

    return register


@dataclass
class World:
    """Fresh data for one case: the people, the caller and what they act on."""

    app: Any
    client: Any
    people: dict
    make_user: Callable
    make_task: Callable
    auth_headers: Callable
    caller: str

    @property
    def actor(self):
        return self.people[ROLE_OF[self.caller]] if self.caller != "anonymous" else None

    @property
    def me(self):
        """The caller, or for an anonymous caller the user whose things they try to touch."""
        return self.actor or self.people["other_agent"]

    @property
    def owner(self):
        """Whose task or case the caller acts on: the Agent's own in `agent_own`, someone else's otherwise."""
        return self.people["agent"] if self.caller == "agent_own" else self.people["other_agent"]

    @cached_property
    def third(self):
        """An Agent who is none of the callers."""
        return self.make_user(Role.AGENT)

    def headers(self) -> dict:
        return self.auth_headers(self.actor) if self.actor else {}

    def read(self, url: str, user=None):
        """GET as `user` (default the Admin): the JSON on 200, else the status."""
        response = self.client.get(url, headers=self.auth_headers(user or self.people["admin"]))
        return response.json if response.status_code == 200 else response.status_code

    def service(self, function, **kwargs):
        with self.app.app_context():
            return function(**kwargs)

    def task(self, kind: str = "assigned"):
        """`assigned` to the owner (by a Manager), `created` by the owner and assigned to a third, `unassigned`."""
        manager = self.people["manager"]
        if kind == "assigned":
            return self.make_task(manager, assigned_to=self.owner.id)
        task = self.make_task(self.owner)
        if kind == "created":
            self.service(tasks.update_task, actor=manager, task_id=task.id, changes={"assigned_to": self.third.id})
        return task

    def task_state(self, task_id) -> dict:
        """Everything a task request could change: the task, its history, comments, watchers and attachments."""
        task = self.read(f"/api/tasks/{task_id}")
        history = self.read(f"/api/tasks/{task_id}/history")["items"]
        live = isinstance(task, dict)
        return {
            "task": task,
            "history": [entry["change_type"] for entry in history],
            "comments": len(self.read(f"/api/tasks/{task_id}/comments")["items"]) if live else None,
            "watchers": [str(i) for i in self.service(watchers.list_watchers, task_id=task_id)],
            "attachments": [a["id"] for a in self.read(f"/api/tasks/{task_id}/attachments")["items"]] if live else None,
        }

    def case(self):
        return self.service(cases.create_case, actor=self.owner, title="Printer fleet renewal")

    def notify(self, user) -> uuid.UUID:
        """An unread in-app notification for `user` (nothing in the API creates one directly)."""
        with self.app.app_context():
            notification = Notification(
                user_id=user.id, type=NotificationType.TASK_ASSIGNMENT, content="A task was assigned to you"
            )
            db.session.add(notification)
            db.session.commit()
            return notification.id

    def unread(self, user) -> int:
        return self.read("/api/notifications/unread-count", user)["unread"]

    def is_read(self, user, notification_id) -> bool:
        items = self.read("/api/notifications?limit=500", user)["items"]
        return next(item["read"] for item in items if item["id"] == str(notification_id))


def _count(w: World, url: str) -> Callable[[], int]:
    return lambda: len(w.read(url + "?limit=500")["items"])


def _changed(before, after, field, value, change_type) -> bool:
    """The task now has `field` = `value`, one version later, with one more history row of `change_type`."""
    return (
        after["task"][field] == value
        and after["task"]["version"] == before["task"]["version"] + 1
        and after["history"] == before["history"] + [change_type]
    )


# --- tasks ------------------------------------------------------------------------------


@arranges("GET /tasks")
def _(w):
    task = w.make_task(w.owner)
    return Call(
        "/api/tasks", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: str(task.id) in [t["id"] for t in body["items"]],
    )


@arranges("GET /reports/tasks")
def _(w):
    task = w.make_task(w.owner)
    return Call(
        "/api/reports/tasks", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: str(task.id) in [t["id"] for t in body["items"]],
    )


def _report(w: World, name: str, keys: set) -> Call:
    """An analytics report over one task of the owner's: the JSON has the report's parts."""
    task = w.task()
    return Call(
        f"/api/reports/{name}", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: set(body) == keys,
    )


@arranges("GET /reports/sla")
def _(w):
    return _report(w, "sla", {"targets", "overall", "by_priority", "by_week", "by_assignee", "by_department", "watchlist"})


@arranges("GET /reports/workload")
def _(w):
    return _report(w, "workload", {"by_assignee", "by_department", "unassigned"})


@arranges("GET /reports/status-flow")
def _(w):
    return _report(w, "status-flow", {"transitions", "time_in_status", "rework"})


@arranges("GET /reports/flow-metrics")
def _(w):
    return _report(w, "flow-metrics", {"throughput", "cycle_lead", "cumulative_flow", "aging_wip"})


@arranges("GET /reports/forecast")
def _(w):
    return _report(w, "forecast", {"weeks", "history_from", "history_to", "completed_in_history", "backlog", "trials",
                                   "when", "not_within_horizon", "histogram", "how_many"})


def _export_ids(w: World) -> list[str]:
    """Every export's id and status (the exports table is all an export request changes)."""
    with w.app.app_context():
        return [(str(e.id), e.status) for e in db.session.scalars(select(Export).order_by(Export.id))]


@arranges("GET /exports")
def _(w):
    mine = w.service(exports.request_export, actor=w.me, report="tasks", filters={})
    return Call(
        "/api/exports", probe=lambda: _export_ids(w),
        effect=lambda b, a, body: [item["id"] for item in body["items"]] == [str(mine.id)],
    )


def _post_export(w: World, report: str) -> Call:
    return Call(
        "/api/exports", json={"report": report, "filters": {}}, probe=lambda: _export_ids(w),
        effect=lambda b, a, body: a == b + [(body["id"], "done")] and body["status"] == "done",
    )


@arranges("POST /exports tasks")
def _(w):
    w.make_task(w.owner)
    return _post_export(w, "tasks")


@arranges("POST /exports sla (readers of analytics)")
def _(w):
    w.task()
    return _post_export(w, "sla")


@arranges("GET /exports/{export_id} own")
def _(w):
    export = w.service(exports.request_export, actor=w.me, report="tasks", filters={})
    return Call(
        f"/api/exports/{export.id}", probe=lambda: _export_ids(w),
        effect=lambda b, a, body: body["id"] == str(export.id) and body["download_url"],
    )


@arranges("GET /exports/{export_id} another's")
def _(w):
    export = w.service(exports.request_export, actor=w.third, report="tasks", filters={})
    return Call(
        f"/api/exports/{export.id}", probe=lambda: _export_ids(w),
        effect=lambda b, a, body: body["id"] == str(export.id),
    )


@arranges("GET /sla/targets")
def _(w):
    url = "/api/sla/targets"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body == a and set(body) == {"Low", "Medium", "High", "Critical", "business_hours"})


@arranges("PUT /sla/targets")
def _(w):
    url = "/api/sla/targets"
    return Call(
        url, json={"Critical": {"minutes": 300, "business_hours": True}}, probe=lambda: w.read(url),
        effect=lambda b, a, body: body == a == {**b, "Critical": 300, "business_hours": {**b["business_hours"], "Critical": True}},
    )


@arranges("GET /sla/calendar")
def _(w):
    url = "/api/sla/calendar"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body == a and set(body) == {"timezone", "hours", "holidays"})


@arranges("PUT /sla/calendar")
def _(w):
    url = "/api/sla/calendar"
    change = {"timezone": "Europe/London", "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}]}
    return Call(
        url, json=change, probe=lambda: w.read(url),
        effect=lambda b, a, body: body == a == {**b, **change},
    )


@arranges("GET /board/wip-limits")
def _(w):
    w.service(board.set_wip_limits, actor=w.people["manager"], department="Support", limits={"In Progress": 3})
    url = "/api/board/wip-limits?department=Support"
    return Call(url, probe=lambda: w.read(url),
                effect=lambda b, a, body: body == a and body["limits"] == {"New": None, "In Progress": 3, "On Hold": None})


@arranges("PUT /board/wip-limits")
def _(w):
    url = "/api/board/wip-limits?department=Support"
    return Call(
        "/api/board/wip-limits", json={"department": "Support", "limits": {"On Hold": 2}}, probe=lambda: w.read(url),
        effect=lambda b, a, body: body == a and a["own"] == {**b["own"], "On Hold": 2},
    )


def _create(w: World, assignee) -> Call:
    def created(before, after, body):
        task = w.read(f"/api/tasks/{body['id']}")
        history = w.read(f"/api/tasks/{body['id']}/history")["items"]
        return (
            after == before + 1
            and task["created_by"] == str(w.me.id)
            and task["assigned_to"] == (str(assignee.id) if assignee else None)
            and [h["change_type"] for h in history] == ["Creation"]
        )

    body = {"title": "Replace toner", "priority": "High", "tags": ["hardware"]}
    if assignee is not None:
        body["assigned_to"] = str(assignee.id)
    return Call("/api/tasks", json=body, probe=_count(w, "/api/tasks"), effect=created)


@arranges("POST /tasks unassigned")
def _(w):
    return _create(w, None)


@arranges("POST /tasks assigned to self")
def _(w):
    return _create(w, w.me)


@arranges("POST /tasks assigned to another")
def _(w):
    return _create(w, w.third)


@arranges("GET /tasks/{task_id}")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}", probe=lambda: w.task_state(task.id), effect=lambda b, a, body: body["id"] == str(task.id)
    )


def _edit(w: World, kind: str) -> Call:
    task = w.task(kind)
    return Call(
        f"/api/tasks/{task.id}",
        json={"title": "Edited title"},
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: _changed(b, a, "title", "Edited title", "Edit"),
    )


@arranges("PUT /tasks/{task_id} edit (assigned to them)")
def _(w):
    return _edit(w, "assigned")


@arranges("PUT /tasks/{task_id} edit (created by them)")
def _(w):
    return _edit(w, "created")


@arranges("PATCH /tasks/{task_id} edit")
def _(w):
    return _edit(w, "assigned")


def _assign(w: World, kind: str, assignee) -> Call:
    task = w.task(kind)
    value = str(assignee.id) if assignee else None
    return Call(
        f"/api/tasks/{task.id}",
        json={"assigned_to": value},
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: _changed(b, a, "assigned_to", value, "Assignment"),
    )


@arranges("PUT /tasks/{task_id} take an unassigned task")
def _(w):
    return _assign(w, "unassigned", w.me)


@arranges("PUT /tasks/{task_id} take a task assigned to another")
def _(w):
    return _assign(w, "created", w.me)


@arranges("PUT /tasks/{task_id} reassign to another")
def _(w):
    return _assign(w, "assigned", w.third)


@arranges("PUT /tasks/{task_id} unassign")
def _(w):
    return _assign(w, "assigned", None)


def _move(w: World, task, target: str) -> Call:
    return Call(
        f"/api/tasks/{task.id}/status",
        json={"status": target},
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: _changed(b, a, "status", target, "Status Change"),
    )


@arranges("PATCH /tasks/{task_id}/status start work")
def _(w):
    return _move(w, w.task(), "In Progress")


@arranges("PATCH /tasks/{task_id}/status reopen (supervisors only)")
def _(w):
    task = w.task()
    for status in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
        w.service(tasks.change_status, actor=w.people["manager"], task_id=task.id, status=status)
    return _move(w, task, "In Progress")


@arranges("DELETE /tasks/{task_id}")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}",
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: a["task"] == 404 and a["history"] == b["history"] + ["Edit"],
    )


@arranges("GET /tasks/{task_id}/history")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}/history",
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: [h["change_type"] for h in body["items"]] == b["history"],
    )


@arranges("GET /tasks/{task_id}/comments")
def _(w):
    task = w.task()
    w.service(comments.add_comment, actor=w.people["manager"], task_id=task.id, body="Customer called again")
    return Call(
        f"/api/tasks/{task.id}/comments",
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: [c["body"] for c in body["items"]] == ["Customer called again"],
    )


def _only(key: str, expected: Callable[[Any], bool]) -> Callable:
    """Of the task's state only `key` changed, and its new value satisfies `expected`."""
    return lambda b, a, body: expected(a[key]) and {**a, key: None} == {**b, key: None}


@arranges("POST /tasks/{task_id}/comments")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}/comments", json={"body": "Looking into it"},
        probe=lambda: w.task_state(task.id), effect=_only("comments", lambda count: count == 1),
    )


@arranges("POST /tasks/{task_id}/watchers self")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}/watchers", json={}, probe=lambda: w.task_state(task.id),
        effect=_only("watchers", lambda ids: ids == [str(w.me.id)]),
    )


@arranges("POST /tasks/{task_id}/watchers another user")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}/watchers", json={"user_id": str(w.third.id)}, probe=lambda: w.task_state(task.id),
        effect=_only("watchers", lambda ids: ids == [str(w.third.id)]),
    )


@arranges("DELETE /tasks/{task_id}/watchers self")
def _(w):
    task = w.task()
    w.service(watchers.watch, actor=w.me, task_id=task.id)
    return Call(
        f"/api/tasks/{task.id}/watchers", probe=lambda: w.task_state(task.id),
        effect=_only("watchers", lambda ids: ids == []),
    )


@arranges("DELETE /tasks/{task_id}/watchers another user")
def _(w):
    task = w.task()
    w.service(watchers.watch, actor=w.third, task_id=task.id)
    return Call(
        f"/api/tasks/{task.id}/watchers?user_id={w.third.id}", probe=lambda: w.task_state(task.id),
        effect=_only("watchers", lambda ids: ids == []),
    )


def _attach(w: World) -> tuple:
    """A task of the owner's with a file the owner uploaded."""
    task = w.task()
    with w.app.app_context():
        attachment = attachments.add_attachment(
            actor=w.owner, task_id=task.id, fileobj=io.BytesIO(b"call notes\n"), filename="notes.txt", content_type="text/plain"
        )
    return task, attachment


@arranges("GET /tasks/{task_id}/attachments")
def _(w):
    task, attachment = _attach(w)
    return Call(
        f"/api/tasks/{task.id}/attachments", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: [item["id"] for item in body["items"]] == [str(attachment.id)],
    )


@arranges("POST /tasks/{task_id}/attachments")
def _(w):
    task = w.task()
    return Call(
        f"/api/tasks/{task.id}/attachments", form={"file": (io.BytesIO(b"a,b\n1,2\n"), "figures.csv", "text/csv")},
        probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: a["attachments"] == [body["id"]] and a["history"] == b["history"] + ["Edit"],
    )


@arranges("GET /tasks/{task_id}/attachments/{attachment_id}")
def _(w):
    task, attachment = _attach(w)
    return Call(
        f"/api/tasks/{task.id}/attachments/{attachment.id}", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, location: w.client.get(location).get_data() == b"call notes\n",
    )


@arranges("DELETE /tasks/{task_id}/attachments/{attachment_id}")
def _(w):
    task, attachment = _attach(w)
    return Call(
        f"/api/tasks/{task.id}/attachments/{attachment.id}", probe=lambda: w.task_state(task.id),
        effect=lambda b, a, body: a["attachments"] == [] and a["history"] == b["history"] + ["Edit"],
    )


# --- cases ------------------------------------------------------------------------------


@arranges("GET /cases")
def _(w):
    found = w.case()
    return Call(
        "/api/cases", probe=_count(w, "/api/cases"),
        effect=lambda b, a, body: str(found.id) in [c["id"] for c in body["items"]],
    )


@arranges("POST /cases")
def _(w):
    def opened(before, after, body):
        found = w.read(f"/api/cases/{body['id']}")
        return after == before + 1 and found["created_by"] == str(w.me.id) and found["title"] == "Office move"

    return Call("/api/cases", json={"title": "Office move"}, probe=_count(w, "/api/cases"), effect=opened)


@arranges("GET /cases/{case_id}")
def _(w):
    found = w.case()
    url = f"/api/cases/{found.id}"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body["id"] == str(found.id))


@arranges("PUT /cases/{case_id}")
def _(w):
    found = w.case()
    url = f"/api/cases/{found.id}"
    return Call(
        url, json={"title": "Printer fleet (closed)", "status": "closed"}, probe=lambda: w.read(url),
        effect=lambda b, a, body: (a["title"], a["status"]) == ("Printer fleet (closed)", "closed"),
    )


def _case_state(w: World, case_id) -> dict:
    return {
        "case": w.read(f"/api/cases/{case_id}"),
        "watchers": [str(i) for i in w.service(watchers.list_case_watchers, case_id=case_id)],
    }


@arranges("POST /cases/{case_id}/watchers self")
def _(w):
    found = w.case()
    return Call(
        f"/api/cases/{found.id}/watchers", json={}, probe=lambda: _case_state(w, found.id),
        effect=_only("watchers", lambda ids: ids == [str(w.me.id)]),
    )


@arranges("POST /cases/{case_id}/watchers another user")
def _(w):
    found = w.case()
    return Call(
        f"/api/cases/{found.id}/watchers", json={"user_id": str(w.third.id)}, probe=lambda: _case_state(w, found.id),
        effect=_only("watchers", lambda ids: ids == [str(w.third.id)]),
    )


@arranges("DELETE /cases/{case_id}/watchers self")
def _(w):
    found = w.case()
    w.service(watchers.watch_case, actor=w.me, case_id=found.id)
    return Call(
        f"/api/cases/{found.id}/watchers", probe=lambda: _case_state(w, found.id),
        effect=_only("watchers", lambda ids: ids == []),
    )


@arranges("DELETE /cases/{case_id}/watchers another user")
def _(w):
    found = w.case()
    w.service(watchers.watch_case, actor=w.third, case_id=found.id)
    return Call(
        f"/api/cases/{found.id}/watchers?user_id={w.third.id}", probe=lambda: _case_state(w, found.id),
        effect=_only("watchers", lambda ids: ids == []),
    )


# --- users ------------------------------------------------------------------------------


@arranges("GET /users")
def _(w):
    everyone = {str(user.id) for user in w.people.values()}
    return Call(
        "/api/users", probe=_count(w, "/api/users"), effect=lambda b, a, body: everyone <= {u["id"] for u in body["items"]}
    )


@arranges("POST /users")
def _(w):
    name = f"newhire_{uuid.uuid4().hex[:8]}"
    body = {
        "username": name, "email": f"{name}@example.com", "full_name": "New Hire", "role": "Agent",
        "password": NEW_PASSWORD,
    }

    def created(before, after, response):
        return after == before + 1 and w.read(f"/api/users/{response['id']}")["username"] == name

    return Call("/api/users", json=body, probe=_count(w, "/api/users"), effect=created)


@arranges("GET /users/{user_id}")
def _(w):
    url = f"/api/users/{w.third.id}"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body["id"] == str(w.third.id))


@arranges("PUT /users/{user_id} own profile")
def _(w):
    url = f"/api/users/{w.me.id}"
    email = f"renamed_{uuid.uuid4().hex[:8]}@example.com"
    body = {
        "full_name": "Renamed Person", "email": email, "phone": "+447700900123", "password": NEW_PASSWORD,
        "current_password": PASSWORD,
    }

    def updated(before, after, response):
        login = w.client.post("/api/auth/login", json={"username": w.me.username, "password": NEW_PASSWORD})
        profile = (after["full_name"], after["email"], after["phone"])
        return profile == ("Renamed Person", email, "+447700900123") and login.status_code == 200

    return Call(url, json=body, probe=lambda: w.read(url), effect=updated)


@arranges("PUT /users/{user_id} own role and department")
def _(w):
    url = f"/api/users/{w.me.id}"
    return Call(
        url, json={"role": "Admin", "department": "Escalations"}, probe=lambda: w.read(url),
        effect=lambda b, a, body: (a["role"], a["department"]) == ("Admin", "Escalations"),
    )


@arranges("PUT /users/{user_id} another user")
def _(w):
    url = f"/api/users/{w.third.id}"
    return Call(
        url, json={"full_name": "Renamed By Someone"}, probe=lambda: w.read(url),
        effect=lambda b, a, body: a["full_name"] == "Renamed By Someone",
    )


def _credential_version(w: World, user) -> Callable[[], int]:
    return lambda: w.service(users.get_user, user_id=user.id).credential_version


def _signed_out(w: World, user):
    """The user's credential version moved on: every token and session they held is refused."""
    return lambda before, after, body: after == before + 1


@arranges("POST /auth/logout")
def _(w):
    return Call("/api/auth/logout", probe=_credential_version(w, w.me), effect=_signed_out(w, w.me))


@arranges("DELETE /users/{user_id}/sessions own")
def _(w):
    return Call(f"/api/users/{w.me.id}/sessions", probe=_credential_version(w, w.me), effect=_signed_out(w, w.me))


@arranges("DELETE /users/{user_id}/sessions another user")
def _(w):
    return Call(f"/api/users/{w.third.id}/sessions", probe=_credential_version(w, w.third),
                effect=_signed_out(w, w.third))


# --- notifications ----------------------------------------------------------------------


@arranges("GET /notifications")
def _(w):
    mine = w.notify(w.me)
    w.notify(w.third)
    return Call(
        "/api/notifications", probe=lambda: (w.unread(w.me), w.unread(w.third)),
        effect=lambda b, a, body: [n["id"] for n in body["items"]] == [str(mine)],
    )


@arranges("GET /notifications/unread-count")
def _(w):
    for user in (w.me, w.third, w.third):
        w.notify(user)
    return Call(
        "/api/notifications/unread-count", probe=lambda: w.unread(w.third), effect=lambda b, a, body: body == {"unread": 1}
    )


@arranges("POST /notifications/read-all")
def _(w):
    w.notify(w.me)
    w.notify(w.third)
    return Call(
        "/api/notifications/read-all", probe=lambda: (w.unread(w.me), w.unread(w.third)),
        effect=lambda b, a, body: body == {"marked": 1} and a == (0, 1),
    )


@arranges("GET /notifications/settings")
def _(w):
    url = "/api/notifications/settings"
    return Call(
        url, probe=lambda: w.read(url, w.me), effect=lambda b, a, body: set(body) == {t.value for t in NotificationType}
    )


@arranges("POST /notifications/settings")
def _(w):
    url = "/api/notifications/settings"

    def updated(before, after, body):
        expected = {**before, "Comment": {**before["Comment"], "sms": True}}
        return after == expected == body

    return Call(url, json={"Comment": {"sms": True}}, probe=lambda: w.read(url, w.me), effect=updated)


@arranges("GET /notifications/settings/defaults")
def _(w):
    url = "/api/notifications/settings/defaults"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body == b and set(body) == {t.value for t in NotificationType})


@arranges("POST /notifications/settings/defaults")
def _(w):
    url = "/api/notifications/settings/defaults"

    def updated(before, after, body):
        # The defaults changed, and with them what a user who chose nothing gets.
        expected = {**before[0], "Comment": {**before[0]["Comment"], "sms": True}}
        return after[0] == expected == body and after[1]["Comment"]["sms"] is True

    return Call(
        url, json={"Comment": {"sms": True}}, probe=lambda: (w.read(url), w.read("/api/notifications/settings", w.third)),
        effect=updated,
    )


@arranges("GET /notifications/settings/email")
def _(w):
    url = "/api/notifications/settings/email"
    return Call(url, probe=lambda: w.read(url, w.me), effect=lambda b, a, body: body == b == {"email_mode": "immediate", "last_digest_at": None})


@arranges("POST /notifications/settings/email")
def _(w):
    url = "/api/notifications/settings/email"
    return Call(
        url, json={"email_mode": "daily_digest"}, probe=lambda: (w.read(url, w.me), w.read(url, w.third)),
        effect=lambda b, a, body: body == a[0] and a[0]["email_mode"] == "daily_digest" and a[1] == b[1],
    )


@arranges("PATCH /notifications/{notification_id}/read own")
def _(w):
    notification_id = w.notify(w.me)
    return Call(
        f"/api/notifications/{notification_id}/read", probe=lambda: w.is_read(w.me, notification_id),
        effect=lambda b, a, body: a is True and body["read"] is True,
    )


@arranges("PATCH /notifications/{notification_id}/read another's")
def _(w):
    notification_id = w.notify(w.third)
    return Call(f"/api/notifications/{notification_id}/read", probe=lambda: w.is_read(w.third, notification_id))


# --- notification outbox (Admin) -------------------------------------------------------


def _dead_message(w: World):
    """A dead email to the caller, as the dispatcher leaves one after its last attempt."""
    with w.app.app_context():
        message = OutboxMessage(
            id=uuid7(), channel="email", user_id=w.me.id, payload={"to": w.me.email}, status="dead", attempts=8,
            next_attempt_at=utcnow(), created_at=utcnow(), last_error="ConnectionRefusedError",
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def _outbox_status(w: World, message_id) -> str:
    items = w.read("/api/admin/outbox?limit=500")["items"]
    return next(item["status"] for item in items if item["id"] == str(message_id))


@arranges("GET /admin/outbox")
def _(w):
    message_id = _dead_message(w)
    return Call(
        "/api/admin/outbox?status=dead", probe=lambda: _outbox_status(w, message_id),
        effect=lambda b, a, body: str(message_id) in [m["id"] for m in body["items"]],
    )


@arranges("POST /admin/outbox/{message_id}/retry")
def _(w):
    message_id = _dead_message(w)
    return Call(
        f"/api/admin/outbox/{message_id}/retry", probe=lambda: _outbox_status(w, message_id),
        effect=lambda b, a, body: (b, a, body["status"], body["attempts"]) == ("dead", "pending", "pending", 0),
    )


@arranges("GET /audit")
def _(w):
    w.service(users.update_user, actor=w.people["admin"], user_id=w.third.id, changes={"full_name": "Renamed For The Audit"})
    return Call(
        "/api/audit?action=user.updated", probe=lambda: None,
        effect=lambda b, a, body: any(e["target_id"] == str(w.third.id) and e["after"] == {"full_name": "Renamed For The Audit"}
                                      for e in body["items"]),
    )


# --- service tokens ---------------------------------------------------------------------


def _service_tokens(w: World) -> list:
    """Every service token's id and whether it is revoked (all a token request changes)."""
    with w.app.app_context():
        return [(str(t.id), t.revoked_at is not None) for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id))]


@arranges("POST /tokens")
def _(w):
    def created(before, after, body):
        with w.app.app_context():
            stored = db.session.get(ApiToken, uuid.UUID(body["id"]))
            hashed = stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
        return after == sorted(before + [(body["id"], False)]) and hashed and stored.user_id == w.me.id

    return Call("/api/tokens", json={"name": "Nightly sync", "scopes": ["read"]}, probe=lambda: _service_tokens(w),
                effect=created)


@arranges("GET /tokens")
def _(w):
    mine = w.service(service_tokens.create_token, actor=w.me, name="Mine").token
    theirs = w.service(service_tokens.create_token, actor=w.third, name="Theirs").token

    def listed(before, after, body):
        ids = {item["id"] for item in body["items"]}
        return str(mine.id) in ids and (str(theirs.id) in ids) == (w.caller == "admin") and "token" not in body["items"][0]

    return Call("/api/tokens", probe=lambda: _service_tokens(w), effect=listed)


def _revoke(w: World, owner) -> Call:
    token = w.service(service_tokens.create_token, actor=owner, name="To revoke").token
    return Call(f"/api/tokens/{token.id}", probe=lambda: _service_tokens(w),
                effect=lambda b, a, body: a == [(i, r or i == str(token.id)) for i, r in b])


@arranges("DELETE /tokens/{token_id} own")
def _(w):
    return _revoke(w, w.me)


@arranges("DELETE /tokens/{token_id} another's")
def _(w):
    return _revoke(w, w.third)


# --- webhooks ---------------------------------------------------------------------------

#: A public address given as such: registering it resolves nothing, and nothing is sent to it here.
WEBHOOK_URL = "https://93.184.215.14/hooks/workflow"


def _webhooks(w: World) -> tuple:
    """Every endpoint (id, deleted) and every webhook delivery id: all a webhook request changes."""
    with w.app.app_context():
        hooks = [(str(h.id), h.deleted_at is not None) for h in db.session.scalars(select(Webhook).order_by(Webhook.id))]
        sent = [str(i) for i in db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.id))]
    return hooks, sent


def _webhook(w: World):
    return w.service(service_webhooks.create_webhook, actor=w.people["admin"], url=WEBHOOK_URL, events=["task.created"]).webhook


@arranges("POST /webhooks")
def _(w):
    return Call("/api/webhooks", json={"url": WEBHOOK_URL, "events": ["task.assigned"]}, probe=lambda: _webhooks(w),
                effect=lambda b, a, body: a[0] == sorted(b[0] + [(body["id"], False)]) and body["secret"].startswith("whsec_"))


@arranges("GET /webhooks")
def _(w):
    hook = _webhook(w)
    return Call("/api/webhooks", probe=lambda: _webhooks(w),
                effect=lambda b, a, body: [i["id"] for i in body["items"]] == [str(hook.id)] and "secret" not in body["items"][0])


@arranges("DELETE /webhooks/{webhook_id}")
def _(w):
    hook = _webhook(w)
    return Call(f"/api/webhooks/{hook.id}", probe=lambda: _webhooks(w),
                effect=lambda b, a, body: a[0] == [(i, d or i == str(hook.id)) for i, d in b[0]])


@arranges("POST /webhooks/{webhook_id}/test")
def _(w):
    hook = _webhook(w)
    return Call(f"/api/webhooks/{hook.id}/test", probe=lambda: _webhooks(w),
                effect=lambda b, a, body: a == (b[0], sorted(b[1] + [body["delivery_id"]])))


# --- auto-assignment rules ----------------------------------------------------------------


@arranges("GET /assignment-rules")
def _(w):
    w.service(assignment.set_rules, actor=w.people["manager"], rules_by_department={"Support": "round_robin"})
    url = "/api/assignment-rules"
    return Call(url, probe=lambda: w.read(url), effect=lambda b, a, body: body == a and {
        "department": "Support", "mode": "round_robin"}.items() <= next(
        rule for rule in body["rules"] if rule["department"] == "Support").items())


@arranges("PUT /assignment-rules")
def _(w):
    url = "/api/assignment-rules"
    return Call(
        url, json={"rules": {"Support": "least_loaded"}}, probe=lambda: w.read(url),
        effect=lambda b, a, body: body == a and next(
            rule for rule in a["rules"] if rule["department"] == "Support")["mode"] == "least_loaded",
    )


# --- SLA escalations ---------------------------------------------------------------------


@arranges("GET /sla/escalations")
def _(w):
    url = "/api/sla/escalations"
    return Call(url, probe=lambda: w.read(url),
                effect=lambda b, a, body: body == a and set(body) == {"Low", "Medium", "High", "Critical"})


@arranges("PUT /sla/escalations")
def _(w):
    url = "/api/sla/escalations"
    return Call(
        url, json={"High": {"warning_percent": 60, "raise_priority": True}}, probe=lambda: w.read(url),
        effect=lambda b, a, body: body == a == {**b, "High": {**b["High"], "warning_percent": 60, "raise_priority": True}},
    )


# --- report subscriptions ---------------------------------------------------------------


def _subscriptions(w: World) -> list[tuple]:
    """Every subscription's id, owner and status (all a subscription request changes)."""
    with w.app.app_context():
        return [(str(s.id), str(s.user_id), s.status)
                for s in db.session.scalars(select(ReportSubscription).order_by(ReportSubscription.id))]


@arranges("GET /subscriptions")
def _(w):
    mine = w.service(report_subscriptions.subscribe, actor=w.me, report="tasks", frequency="daily")
    w.service(report_subscriptions.subscribe, actor=w.third, report="tasks", frequency="daily")
    return Call("/api/subscriptions", probe=lambda: _subscriptions(w),
                effect=lambda b, a, body: [item["id"] for item in body["items"]] == [str(mine.id)])


def _post_subscription(w: World, report: str) -> Call:
    return Call(
        "/api/subscriptions", json={"report": report, "filters": {}, "frequency": "weekly", "hour": 8},
        probe=lambda: _subscriptions(w),
        effect=lambda b, a, body: a == b + [(body["id"], str(w.me.id), "active")] and body["report"] == report,
    )


@arranges("POST /subscriptions tasks")
def _(w):
    return _post_subscription(w, "tasks")


@arranges("POST /subscriptions sla (readers of analytics)")
def _(w):
    return _post_subscription(w, "sla")


def _delete_subscription(w: World, owner) -> Call:
    subscription = w.service(report_subscriptions.subscribe, actor=owner, report="tasks", frequency="daily")
    return Call(
        f"/api/subscriptions/{subscription.id}", probe=lambda: _subscriptions(w),
        effect=lambda b, a, body: a == [row for row in b if row[0] != str(subscription.id)] and len(a) == len(b) - 1,
    )


@arranges("DELETE /subscriptions/{subscription_id} own")
def _(w):
    return _delete_subscription(w, w.me)


@arranges("DELETE /subscriptions/{subscription_id} another's")
def _(w):
    return _delete_subscription(w, w.third)


# --- the matrix -------------------------------------------------------------------------


def _cases() -> list:
    return [
        pytest.param(
            operation, caller, id=f"{operation} | {caller}",
            marks=[pytest.mark.xfail(reason=KNOWN_BUGS[operation, caller], strict=True)]
            if (operation, caller) in KNOWN_BUGS else [],
        )
        for operation in EXPECTED
        for caller in CALLERS
    ]


@pytest.fixture(autouse=True)
def _attachment_folder(request, tmp_path):
    """Attachments of the matrix go to a temporary local folder."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["LOCAL_STORAGE_DIR"] = str(tmp_path / "attachments")


@pytest.mark.parametrize("operation, caller", _cases())
def test_permission(operation, caller, app, client, people, make_user, make_task, auth_headers):
    """The caller gets exactly the table's status; a success has its effect, a refusal changes nothing."""
    world = World(app, client, people, make_user, make_task, auth_headers, caller)
    method = operation.split()[0]
    call = ARRANGE[operation](world)
    before = call.probe()
    body = {"data": call.form} if call.form is not None else {"json": call.json}
    response = client.open(call.url, method=method, headers=world.headers(), **body)
    expected = EXPECTED[operation][caller]
    assert response.status_code == expected, response.get_json()
    after = call.probe()
    if response.status_code < 400:
        assert call.effect is not None, "a success must be observable"
        # A redirect's effect is where it leads.
        seen = response.headers["Location"] if response.status_code == 302 else response.get_json(silent=True)
        assert call.effect(before, after, seen), (before, after)
        if method == "GET":
            assert after == before
    else:
        assert response.json["error"]["code"] == ERROR_CODES[expected]
        assert after == before


def test_table_covers_every_route_and_method():
    """Every (method, route) in api.ROUTES but login has expectations and a request, and nothing else does."""
    served = {
        (method, route.path)
        for route in api.ROUTES
        for method in route.resource.methods
        if (method, route.path) != ("POST", "/auth/login")
    }
    covered = {tuple(operation.split()[:2]) for operation in EXPECTED}
    assert covered == served
    assert set(ARRANGE) == set(EXPECTED)
