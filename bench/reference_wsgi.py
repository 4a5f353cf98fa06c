"""The reference for the API benchmarks: a plain WSGI app running the same SQL through psycopg2.

`/` is the task list (bench/list_tasks.py); `/unread-count` the notification poll (bench/notifications.py).
"""
import json
import os
from urllib.parse import parse_qs

from bench import databases

COLUMNS = (
    "id, title, description, status, priority, due_date, assigned_to, created_by, "
    "created_at, updated_at, case_id, tags, version"
)
FIRST_PAGE = (
    f"SELECT {COLUMNS} FROM tasks WHERE deleted_at IS NULL AND status = %s AND due_date IS NOT NULL "
    "ORDER BY due_date DESC, id DESC LIMIT %s"
)
NEXT_PAGE = (
    f"SELECT {COLUMNS} FROM tasks WHERE deleted_at IS NULL AND status = %s AND due_date IS NOT NULL "
    "AND (due_date, id) < (%s, %s) ORDER BY due_date DESC, id DESC LIMIT %s"
)
#: What GET /api/notifications/unread-count runs: `read = false` matches the partial index's predicate.
UNREAD_COUNT = "SELECT count(*) FROM notifications WHERE user_id = %s AND read = false"
_connection = None


def _connect():
    global _connection
    if _connection is None:
        _connection = databases.connect(os.environ["DATABASE_URL"])
    return _connection


def unread_count(query: dict, start_response):
    """GET /unread-count?user_id=<uuid> -> {"unread": n}."""
    with _connect().cursor() as cursor:
        cursor.execute(UNREAD_COUNT, (query["user_id"][0],))
        body = json.dumps({"unread": cursor.fetchone()[0]}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    """GET /?status=Completed&limit=50[&after=<due_date>|<id>] -> {"items": [...], "next_cursor": ...}."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("PATH_INFO") == "/unread-count":
        return unread_count(query, start_response)
    status = query.get("status", ["Completed"])[0]
    limit = int(query.get("limit", ["50"])[0])
    with _connect().cursor() as cursor:
        if "after" in query:
            due, row_id = query["after"][0].split("|")
            cursor.execute(NEXT_PAGE, (status, due, row_id, limit + 1))
        else:
            cursor.execute(FIRST_PAGE, (status, limit + 1))
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    body = json.dumps(
        {"items": items, "next_cursor": f"{last['due_date'].isoformat()}|{last['id']}" if last else None},
        default=str,
    ).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
