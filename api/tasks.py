"""Task resources: list, create, read, update, delete, status, history, comments, watchers."""
import uuid
from operator import itemgetter

from flask import Response, g, url_for
from pydantic_core import to_json

from api.base import (
    BaseResource,
    dump,
    etag,
    if_match_version,
    me_or,
    operation,
    page_response,
    paged,
    parse_body,
    parse_id,
    parse_query,
)
from api.schemas import CommentOut, HistoryOut, PageOut, PageQuery, TaskOut, TaskQuery, WatcherQuery, WatchersOut
from auth import request_user
from db.models import TaskStatus
from db.pagination import Page
from domain import rules
from domain.filters import TaskFilters
from domain.schemas import CommentCreate, StatusChange, TaskCreate, TaskUpdate, WatcherChange
from workflow import comments, history, tasks, watchers


def add_allowed_transitions(out: TaskOut, task, caller=None) -> None:
    """Tell the caller (`g.user` unless given) which statuses they may move this task to."""
    out.allowed_transitions = rules.allowed_targets(caller or g.user, task)


def render_task(task) -> dict:
    """A task as JSON, with the transitions the caller may make."""
    out = TaskOut.model_validate(task, from_attributes=True)
    add_allowed_transitions(out, task)
    return out.model_dump(mode="json")


class PageTransitions:
    """`rules.allowed_targets` for the tasks of one list page, each distinct answer computed once.

    The rule depends only on a task's status and whether the caller is its assignee and its creator
    (`rules.targets_for`), so it is asked once per such kind of task. Statuses and ids may be given as text.
    """

    def __init__(self, caller):
        self.caller = caller
        self.mine = frozenset({caller.id, str(caller.id)})
        self.answers: dict[tuple, list[str]] = {}

    def __call__(self, status, assigned_to, created_by) -> list[str]:
        """The statuses (values, in lifecycle order) the caller may move a task like this to."""
        kind = (status, assigned_to in self.mine, created_by in self.mine)
        answer = self.answers.get(kind)
        if answer is None:
            targets = rules.targets_for(self.caller, TaskStatus(status), kind[1], kind[2])
            answer = self.answers[kind] = [target.value for target in targets]
        return answer


#: TaskOut's fields as the list's rows name them (all but the caller's transitions), in the schema's order.
ROW_FIELDS = tuple(name for name in TaskOut.model_fields if name != "allowed_transitions")


def task_page_json(page: Page, caller) -> bytes:
    """A page of task rows as the JSON of `PageOut[TaskOut]`, written without validating each row.

    The rows hold what TaskOut writes (ids, status and priority as text, aware UTC datetimes, a list
    of tags), so pydantic_core writes each value as TaskOut would; a test holds the two documents
    equal on pages with every kind of value. The rules are asked once per kind of task, not per row.
    """
    if not page.items:
        return to_json({"items": [], "next_cursor": page.next_cursor})
    fields = page.items[0]._fields
    values = itemgetter(*(fields.index(name) for name in ROW_FIELDS))
    status, assigned_to, created_by = (fields.index(name) for name in ("status", "assigned_to", "created_by"))
    transitions = PageTransitions(caller)
    items = []
    for row in page.items:
        item = dict(zip(ROW_FIELDS, values(row)))
        item["allowed_transitions"] = transitions(row[status], row[assigned_to], row[created_by])
        items.append(item)
    return to_json({"items": items, "next_cursor": page.next_cursor})


def task_response(task, status: int = 200, headers: dict | None = None):
    return render_task(task), status, {"ETag": etag(task.version), **(headers or {})}


def _precondition(body_version: int | None) -> tuple[int | None, bool]:
    """The version the caller edited: If-Match wins over the body's `version`."""
    header_version = if_match_version()
    if header_version is not None:
        return header_version, True
    return body_version, False


def task_filters(query: TaskQuery, caller_id: uuid.UUID) -> TaskFilters:
    """The task list's filters from its query string (`me` is the caller)."""
    return TaskFilters(
        status=query.status,
        priority=query.priority,
        assigned_to=me_or(query.assigned_to, caller_id),
        created_by=me_or(query.created_by, caller_id),
        case_id=query.case_id,
        tag=query.tag,
        q=query.q,
        due_before=query.due_before,
        due_after=query.due_after,
    )


class TaskList(BaseResource):
    @operation(summary="List tasks", tag="tasks", query=TaskQuery, response=PageOut[TaskOut], id_only=True)
    def get(self):
        """Filters, sort and keyset pagination -> {"items": [TaskOut], "next_cursor"}.

        The busiest read: its one statement also checks the caller (active, credential current).
        """
        query = parse_query(TaskQuery)
        filters = task_filters(query, g.credential.user_id)
        page, caller = paged(lambda: tasks.list_tasks_as(
            g.credential, filters=filters, sort=query.sort, limit=query.limit, cursor=query.cursor))
        # No rows to tell: the caller is loaded and checked the usual way (refused there if they must be).
        caller = caller or request_user()
        return Response(task_page_json(page, caller), mimetype="application/json")

    @operation(
        summary="Create a task", tag="tasks", body=TaskCreate, response=TaskOut, status=201,
        errors=(403,), headers={"Location": "URL of the new task", "ETag": "The task's version"},
    )
    def post(self):
        """TaskCreate -> 201 TaskOut with Location and ETag."""
        body = parse_body(TaskCreate)
        task = tasks.create_task(actor=g.user, **body.model_dump())
        location = url_for("api.task", task_id=task.id)
        return task_response(task, 201, {"Location": location})


class TaskItem(BaseResource):
    @operation(summary="Get a task", tag="tasks", response=TaskOut, errors=(404,), headers={"ETag": "The task's version"})
    def get(self, task_id):
        """-> TaskOut with its ETag."""
        return task_response(tasks.get_task(task_id=parse_id(task_id, "task_id")))

    @operation(
        summary="Update a task (partial)", tag="tasks", body=TaskUpdate, response=TaskOut,
        errors=(403, 404, 409, 412), headers={"ETag": "The task's new version"},
    )
    def put(self, task_id):
        """TaskUpdate (only the fields sent change) -> TaskOut; a stale If-Match is 412, a stale version 409."""
        return self._update(task_id)

    @operation(
        summary="Update a task (partial)", tag="tasks", body=TaskUpdate, response=TaskOut,
        errors=(403, 404, 409, 412), headers={"ETag": "The task's new version"},
    )
    def patch(self, task_id):
        """Same as PUT."""
        return self._update(task_id)

    def _update(self, task_id):
        task_uuid = parse_id(task_id, "task_id")
        body = parse_body(TaskUpdate)
        changes = body.model_dump(exclude_unset=True, exclude={"version"})
        expected, precondition = _precondition(body.version)
        task = tasks.update_task(
            actor=g.user, task_id=task_uuid, changes=changes, expected_version=expected, precondition=precondition
        )
        return task_response(task)

    @operation(summary="Delete a task", tag="tasks", response=None, status=204, errors=(403, 404, 409, 412))
    def delete(self, task_id):
        """Soft delete -> 204; the task leaves lists, its history stays."""
        task_uuid = parse_id(task_id, "task_id")
        expected, precondition = _precondition(None)
        tasks.delete_task(actor=g.user, task_id=task_uuid, expected_version=expected, precondition=precondition)
        return "", 204


class TaskStatusResource(BaseResource):
    @operation(
        summary="Change a task's status", tag="tasks", body=StatusChange, response=TaskOut,
        errors=(403, 404, 409, 412), headers={"ETag": "The task's new version"},
    )
    def patch(self, task_id):
        """{"status", "version"?} -> TaskOut; a move the table or role forbids is 409 with the allowed targets."""
        task_uuid = parse_id(task_id, "task_id")
        body = parse_body(StatusChange)
        expected, precondition = _precondition(body.version)
        task = tasks.change_status(
            actor=g.user, task_id=task_uuid, status=body.status, expected_version=expected, precondition=precondition
        )
        return task_response(task)


class TaskHistoryResource(BaseResource):
    @operation(summary="A task's history", tag="tasks", query=PageQuery, response=PageOut[HistoryOut], errors=(404,))
    def get(self, task_id):
        """-> {"items": [HistoryOut] oldest first, "next_cursor"}; Managers and Admins also see deleted tasks'."""
        task_uuid = parse_id(task_id, "task_id")
        tasks.get_task(task_id=task_uuid, include_deleted=rules.is_supervisor(g.user))
        query = parse_query(PageQuery)
        page = paged(lambda: history.list_history(task_id=task_uuid, limit=query.limit, cursor=query.cursor))
        return page_response(page, HistoryOut)


class TaskComments(BaseResource):
    @operation(summary="A task's comments", tag="tasks", query=PageQuery, response=PageOut[CommentOut], errors=(404,))
    def get(self, task_id):
        """-> {"items": [CommentOut] oldest first, "next_cursor"}."""
        task_uuid = parse_id(task_id, "task_id")
        query = parse_query(PageQuery)
        page = paged(lambda: comments.list_comments(task_id=task_uuid, limit=query.limit, cursor=query.cursor))
        return page_response(page, CommentOut)

    @operation(summary="Comment on a task", tag="tasks", body=CommentCreate, response=CommentOut, status=201, errors=(403, 404))
    def post(self, task_id):
        """{"body"} -> 201 CommentOut."""
        task_uuid = parse_id(task_id, "task_id")
        body = parse_body(CommentCreate)
        comment = comments.add_comment(actor=g.user, task_id=task_uuid, body=body.body)
        return dump(CommentOut, comment), 201


class TaskWatchers(BaseResource):
    @operation(
        summary="Watch a task", tag="tasks", body=WatcherChange, optional_body=True, response=WatchersOut, errors=(403, 404)
    )
    def post(self, task_id):
        """{"user_id"?} (yourself by default; others: Managers and Admins) -> the task's watchers."""
        task_uuid = parse_id(task_id, "task_id")
        body = parse_body(WatcherChange, optional=True)
        ids = watchers.watch(actor=g.user, task_id=task_uuid, user_id=body.user_id)
        return {"task_id": str(task_uuid), "watchers": [str(i) for i in ids]}

    @operation(
        summary="Stop watching a task", tag="tasks", query=WatcherQuery, response=None, status=204, errors=(403, 404)
    )
    def delete(self, task_id):
        """`?user_id=` (yourself by default; others: Managers and Admins) -> 204."""
        task_uuid = parse_id(task_id, "task_id")
        query = parse_query(WatcherQuery)
        watchers.unwatch(actor=g.user, task_id=task_uuid, user_id=query.user_id)
        return "", 204
