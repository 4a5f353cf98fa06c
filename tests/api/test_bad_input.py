"""Malformed requests, endpoint by endpoint: the exact status, error code and offending field, never a 500."""
import base64
import json
from typing import Any, NamedTuple

import pytest

from workflow import cases

FORM = "application/x-www-form-urlencoded"
INVALID, MALFORMED = "validation_failed", "bad_request"
NO_SUCH_ID = "0194c3a0-0000-7000-8000-000000000000"
OVERFLOWING_DATE = "9999-12-31T23:59:59-14:00"  # valid ISO 8601, but past year 9999 once in UTC


class Bad(NamedTuple):
    """One malformed request and the error it must get."""

    method: str
    path: str  # {task}, {task_hex}, {case}, {user} here and {agent_username}, {agent_email}, {admin_email} in bodies: fresh values
    label: str
    send: dict  # keyword arguments of the test client's open()
    status: int
    code: str
    field: str | None = None  # a `details` entry must name it
    anonymous: bool = False
    bug: str | None = None  # a product bug: the case is a strict xfail


def body(value) -> dict:
    return {"json": value}


def raw(data, content_type: str = "application/json") -> dict:
    return {"data": data, "content_type": content_type}


def cursor(*parts) -> str:
    """A cursor in the server's own encoding, with whatever parts we like."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def user_body(**changes) -> dict:
    """A valid user create body with `changes` (None drops the field)."""
    valid = {
        "username": "new.hire", "email": "new.hire@example.com", "full_name": "New Hire",
        "role": "Agent", "password": "long-enough-passphrase", "phone": "+447700900123",
    }
    return body({k: v for k, v in {**valid, **changes}.items() if v is not None})


NONE = {}
CURSOR_OTHER_SORT = cursor("title", 0, "x", NO_SUCH_ID)
CURSOR_NAIVE_TIME = cursor("-created_at", 0, "2026-01-01T00:00:00", NO_SUCH_ID)
CURSOR_HUGE_INT = cursor("priority", 0, 10**30, NO_SUCH_ID)
CURSOR_SURROGATE = cursor("username", 0, chr(0xD800), NO_SUCH_ID)
TITLE = {"title": "Replace toner"}

BAD_REQUESTS = [
    # --- POST /api/auth/login ---------------------------------------------------------------
    Bad("POST", "/api/auth/login", "wrong password", body({"username": "{agent_username}", "password": "wrong-password"}), 401, "unauthorized", anonymous=True),
    Bad("POST", "/api/auth/login", "unknown user", body({"username": "nobody", "password": "wrong-password"}), 401, "unauthorized", anonymous=True),
    Bad("POST", "/api/auth/login", "missing password", body({"username": "{agent_username}"}), 422, INVALID, "password", anonymous=True),
    Bad("POST", "/api/auth/login", "empty password", body({"username": "agent", "password": ""}), 422, INVALID, "password", anonymous=True),
    Bad("POST", "/api/auth/login", "NUL in username", body({"username": "ag\x00ent", "password": "x"}), 422, INVALID, "username", anonymous=True),
    Bad("POST", "/api/auth/login", "unknown field", body({"username": "a", "password": "b", "remember": True}), 422, INVALID, "remember", anonymous=True),
    Bad("POST", "/api/auth/login", "form-encoded", raw("username=a&password=b", FORM), 400, MALFORMED, anonymous=True),
    Bad("POST", "/api/auth/login", "JSON list", body(["a", "b"]), 422, INVALID, "body", anonymous=True),
    # --- GET /api/tasks ---------------------------------------------------------------------
    Bad("GET", "/api/tasks?limit=0", "limit 0", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/tasks?limit=501", "limit 501", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/tasks?limit=abc", "limit abc", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/tasks?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", f"/api/tasks?cursor={CURSOR_OTHER_SORT}", "cursor of another sort", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", f"/api/tasks?cursor={CURSOR_NAIVE_TIME}", "cursor with a naive time", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", f"/api/tasks?sort=priority&cursor={CURSOR_HUGE_INT}", "cursor with a huge integer", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", "/api/tasks?sort=colour", "unknown sort field", NONE, 422, INVALID, "sort"),
    Bad("GET", "/api/tasks?sort=-password_hash", "unknown descending sort", NONE, 422, INVALID, "sort"),
    Bad("GET", "/api/tasks?status=Done", "bad status", NONE, 422, INVALID, "status"),
    Bad("GET", "/api/tasks?priority=Urgent", "bad priority", NONE, 422, INVALID, "priority"),
    Bad("GET", "/api/tasks?due_before=yesterday", "due_before yesterday", NONE, 422, INVALID, "due_before"),
    Bad("GET", "/api/tasks?due_after=2026-13-45", "due_after 2026-13-45", NONE, 422, INVALID, "due_after"),
    Bad("GET", f"/api/tasks?due_before={OVERFLOWING_DATE}", "due_before past year 9999", NONE, 422, INVALID, "due_before"),
    Bad("GET", "/api/tasks?assigned_to=bob", "assigned_to not a UUID", NONE, 422, INVALID, "assigned_to"),
    Bad("GET", "/api/tasks?case_id=123", "case_id not a UUID", NONE, 422, INVALID, "case_id"),
    Bad("GET", "/api/tasks?q=%00", "NUL in q", NONE, 422, INVALID, "q"),
    Bad("GET", "/api/tasks?tag=%00", "NUL in tag", NONE, 422, INVALID, "tag"),
    Bad("GET", f"/api/tasks?q={'q' * 201}", "q of 201 chars", NONE, 422, INVALID, "q"),
    Bad("GET", "/api/tasks", "Basic credentials", {"headers": {"Authorization": "Basic YWRtaW46eA=="}}, 401, "unauthorized", anonymous=True),
    Bad("GET", "/api/tasks", "garbage Bearer token", {"headers": {"Authorization": "Bearer garbage"}}, 401, "unauthorized", anonymous=True),
    Bad("GET", "/api/tasks", "empty Bearer token", {"headers": {"Authorization": "Bearer "}}, 401, "unauthorized", anonymous=True),
    # --- POST /api/tasks --------------------------------------------------------------------
    Bad("POST", "/api/tasks", "form-encoded", raw("title=x", FORM), 400, MALFORMED),
    Bad("POST", "/api/tasks", "JSON sent as text/plain", raw(json.dumps(TITLE), "text/plain"), 400, MALFORMED),
    Bad("POST", "/api/tasks", "malformed JSON", raw('{"title": '), 400, MALFORMED),
    Bad("POST", "/api/tasks", "invalid UTF-8", raw(b'{"title": "\xff"}'), 400, MALFORMED),
    Bad("POST", "/api/tasks", "empty body", raw(""), 400, MALFORMED),
    Bad("POST", "/api/tasks", "body over 1 MiB", body({**TITLE, "description": "d" * 1_100_000}), 413, "payload_too_large"),
    Bad("POST", "/api/tasks", "deeply nested JSON", raw("[" * 100_000 + "]" * 100_000), 400, MALFORMED),
    Bad("POST", "/api/tasks", "JSON list", body([TITLE]), 422, INVALID, "body"),
    Bad("POST", "/api/tasks", "JSON string", body("Replace toner"), 422, INVALID, "body"),
    Bad("POST", "/api/tasks", "JSON null", raw("null"), 422, INVALID, "body"),
    Bad("POST", "/api/tasks", "unknown field", body({**TITLE, "colour": "red"}), 422, INVALID, "colour"),
    Bad("POST", "/api/tasks", "missing title", body({"priority": "High"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "null title", body({"title": None}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "numeric title", body({"title": 42}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "blank title", body({"title": "   "}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "title of 201 chars", body({"title": "t" * 201}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "description of 20,001 chars", body({**TITLE, "description": "d" * 20_001}), 422, INVALID, "description"),
    Bad("POST", "/api/tasks", "21 tags", body({**TITLE, "tags": [f"tag{n}" for n in range(21)]}), 422, INVALID, "tags"),
    Bad("POST", "/api/tasks", "tag of 51 chars", body({**TITLE, "tags": ["t" * 51]}), 422, INVALID, "tags[0]"),
    Bad("POST", "/api/tasks", "tags as a string", body({**TITLE, "tags": "billing"}), 422, INVALID, "tags"),
    Bad("POST", "/api/tasks", "NUL in title", body({"title": "Replace\x00toner"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "NUL in description", body({**TITLE, "description": "\x00"}), 422, INVALID, "description"),
    Bad("POST", "/api/tasks", "NUL in a tag", body({**TITLE, "tags": ["ok", "b\x00d"]}), 422, INVALID, "tags[1]"),
    Bad("POST", "/api/tasks", "lone surrogate in title", raw('{"title": "a\\ud800b"}'), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "assigned_to not a UUID", body({**TITLE, "assigned_to": "bob"}), 422, INVALID, "assigned_to"),
    Bad("POST", "/api/tasks", "assigned_to no such user", body({**TITLE, "assigned_to": NO_SUCH_ID}), 422, INVALID, "assigned_to"),
    Bad("POST", "/api/tasks", "case_id not a UUID", body({**TITLE, "case_id": "123"}), 422, INVALID, "case_id"),
    Bad("POST", "/api/tasks", "case_id no such case", body({**TITLE, "case_id": NO_SUCH_ID}), 422, INVALID, "case_id"),
    Bad("POST", "/api/tasks", "priority Urgent", body({**TITLE, "priority": "Urgent"}), 422, INVALID, "priority"),
    Bad("POST", "/api/tasks", "due_date 2026-13-45", body({**TITLE, "due_date": "2026-13-45"}), 422, INVALID, "due_date"),
    Bad("POST", "/api/tasks", "due_date yesterday", body({**TITLE, "due_date": "yesterday"}), 422, INVALID, "due_date"),
    Bad("POST", "/api/tasks", "due_date in the past", body({**TITLE, "due_date": "2000-01-01T00:00:00Z"}), 422, INVALID, "due_date"),
    Bad("POST", "/api/tasks", "due_date past year 9999", body({**TITLE, "due_date": OVERFLOWING_DATE}), 422, INVALID, "due_date"),
    # --- /api/tasks/{task_id} ---------------------------------------------------------------
    Bad("GET", "/api/tasks/not-a-uuid", "task_id not a UUID", NONE, 422, INVALID, "task_id"),
    Bad("PUT", "/api/tasks/not-a-uuid", "task_id not a UUID", body(TITLE), 422, INVALID, "task_id"),
    Bad("PATCH", "/api/tasks/not-a-uuid", "task_id not a UUID", body(TITLE), 422, INVALID, "task_id"),
    Bad("DELETE", "/api/tasks/not-a-uuid", "task_id not a UUID", NONE, 422, INVALID, "task_id"),
    Bad("PUT", "/api/tasks/{task}", "JSON sent as text/plain", raw(json.dumps(TITLE), "text/plain"), 400, MALFORMED),
    Bad("PUT", "/api/tasks/{task}", "JSON string", body("Replace toner"), 422, INVALID, "body"),
    Bad("PUT", "/api/tasks/{task}", "unknown field", body({"owner": "me"}), 422, INVALID, "owner"),
    Bad("PATCH", "/api/tasks/{task}", "unknown field", body({"created_by": NO_SUCH_ID}), 422, INVALID, "created_by"),
    Bad("PUT", "/api/tasks/{task}", "assigned_to not a UUID", body({"assigned_to": "nobody"}), 422, INVALID, "assigned_to"),
    Bad("PUT", "/api/tasks/{task}", "status Done", body({"status": "Done"}), 422, INVALID, "status"),
    Bad("PUT", "/api/tasks/{task}", "priority Urgent", body({"priority": "Urgent"}), 422, INVALID, "priority"),
    Bad("PUT", "/api/tasks/{task}", "due_date 2026-13-45", body({"due_date": "2026-13-45"}), 422, INVALID, "due_date"),
    Bad("PUT", "/api/tasks/{task}", "due_date yesterday", body({"due_date": "yesterday"}), 422, INVALID, "due_date"),
    Bad("PUT", "/api/tasks/{task}", "due_date past year 9999", body({"due_date": OVERFLOWING_DATE}), 422, INVALID, "due_date"),
    Bad("PUT", "/api/tasks/{task}", "null title", body({"title": None}), 422, INVALID, "title"),
    Bad("PUT", "/api/tasks/{task}", "null description", body({"description": None}), 422, INVALID, "description"),
    Bad("PUT", "/api/tasks/{task}", "null status", body({"status": None}), 422, INVALID, "status"),
    Bad("PUT", "/api/tasks/{task}", "null priority", body({"priority": None}), 422, INVALID, "priority"),
    Bad("PUT", "/api/tasks/{task}", "null tags", body({"tags": None}), 422, INVALID, "tags"),
    Bad("PUT", "/api/tasks/{task}", "title of 201 chars", body({"title": "t" * 201}), 422, INVALID, "title"),
    Bad("PUT", "/api/tasks/{task}", "21 tags", body({"tags": [f"tag{n}" for n in range(21)]}), 422, INVALID, "tags"),
    Bad("PUT", "/api/tasks/{task}", "NUL in description", body({"description": "a\x00b"}), 422, INVALID, "description"),
    Bad("PUT", "/api/tasks/{task}", "version 0", body({**TITLE, "version": 0}), 422, INVALID, "version"),
    Bad("PUT", "/api/tasks/{task}", "version not a number", body({**TITLE, "version": "one"}), 422, INVALID, "version"),
    Bad("PUT", "/api/tasks/{task}", "If-Match not an ETag", {**body(TITLE), "headers": {"If-Match": "abc"}}, 412, "precondition_failed"),
    Bad("DELETE", "/api/tasks/{task}", "If-Match not an ETag", {"headers": {"If-Match": 'W/"abc"'}}, 412, "precondition_failed"),
    # --- PATCH /api/tasks/{task_id}/status --------------------------------------------------
    Bad("PATCH", "/api/tasks/not-a-uuid/status", "task_id not a UUID", body({"status": "In Progress"}), 422, INVALID, "task_id"),
    Bad("PATCH", "/api/tasks/{task}/status", "form-encoded", raw("status=Completed", FORM), 400, MALFORMED),
    Bad("PATCH", "/api/tasks/{task}/status", "JSON list", body(["In Progress"]), 422, INVALID, "body"),
    Bad("PATCH", "/api/tasks/{task}/status", "missing status", body({}), 422, INVALID, "status"),
    Bad("PATCH", "/api/tasks/{task}/status", "status Done", body({"status": "Done"}), 422, INVALID, "status"),
    Bad("PATCH", "/api/tasks/{task}/status", "null status", body({"status": None}), 422, INVALID, "status"),
    Bad("PATCH", "/api/tasks/{task}/status", "unknown field", body({"status": "In Progress", "reason": "x"}), 422, INVALID, "reason"),
    # --- GET /api/tasks/{task_id}/history ---------------------------------------------------
    Bad("GET", "/api/tasks/not-a-uuid/history", "task_id not a UUID", NONE, 422, INVALID, "task_id"),
    Bad("GET", "/api/tasks/{task}/history?limit=0", "limit 0", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/tasks/{task}/history?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    # --- /api/tasks/{task_id}/comments ------------------------------------------------------
    Bad("GET", "/api/tasks/not-a-uuid/comments", "task_id not a UUID", NONE, 422, INVALID, "task_id"),
    Bad("GET", "/api/tasks/{task}/comments?limit=501", "limit 501", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/tasks/{task}/comments?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    Bad("POST", "/api/tasks/not-a-uuid/comments", "task_id not a UUID", body({"body": "Hi"}), 422, INVALID, "task_id"),
    Bad("POST", "/api/tasks/{task}/comments", "malformed JSON", raw('{"body": "Hi"'), 400, MALFORMED),
    Bad("POST", "/api/tasks/{task}/comments", "missing body", body({}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "null body", body({"body": None}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "blank body", body({"body": " \n "}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "comment of 10,001 chars", body({"body": "c" * 10_001}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "NUL in body", body({"body": "a\x00b"}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "unknown field", body({"body": "Hi", "author_id": NO_SUCH_ID}), 422, INVALID, "author_id"),
    # --- /api/tasks/{task_id}/watchers ------------------------------------------------------
    Bad("POST", "/api/tasks/not-a-uuid/watchers", "task_id not a UUID", body({}), 422, INVALID, "task_id"),
    Bad("POST", "/api/tasks/{task}/watchers", "user_id not a UUID", body({"user_id": "x"}), 422, INVALID, "user_id"),
    Bad("POST", "/api/tasks/{task}/watchers", "user_id no such user", body({"user_id": NO_SUCH_ID}), 422, INVALID, "user_id"),
    Bad("POST", "/api/tasks/{task}/watchers", "unknown field", body({"user": "me"}), 422, INVALID, "user"),
    Bad("DELETE", "/api/tasks/not-a-uuid/watchers", "task_id not a UUID", NONE, 422, INVALID, "task_id"),
    Bad("DELETE", "/api/tasks/{task}/watchers?user_id=x", "user_id not a UUID", NONE, 422, INVALID, "user_id"),
    # --- /api/cases -------------------------------------------------------------------------
    Bad("GET", "/api/cases?status=archived", "bad status", NONE, 422, INVALID, "status"),
    Bad("GET", "/api/cases?limit=abc", "limit abc", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/cases?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", "/api/cases?q=%00", "NUL in q", NONE, 422, INVALID, "q"),
    Bad("POST", "/api/cases", "form-encoded", raw("title=x", FORM), 400, MALFORMED),
    Bad("POST", "/api/cases", "JSON list", body([TITLE]), 422, INVALID, "body"),
    Bad("POST", "/api/cases", "missing title", body({"description": "x"}), 422, INVALID, "title"),
    Bad("POST", "/api/cases", "title of 201 chars", body({"title": "t" * 201}), 422, INVALID, "title"),
    Bad("POST", "/api/cases", "NUL in title", body({"title": "a\x00b"}), 422, INVALID, "title"),
    Bad("POST", "/api/cases", "unknown field", body({**TITLE, "priority": "High"}), 422, INVALID, "priority"),
    Bad("GET", "/api/cases/not-a-uuid", "case_id not a UUID", NONE, 422, INVALID, "case_id"),
    Bad("PUT", "/api/cases/not-a-uuid", "case_id not a UUID", body(TITLE), 422, INVALID, "case_id"),
    Bad("PUT", "/api/cases/{case}", "status archived", body({"status": "archived"}), 422, INVALID, "status"),
    Bad("PUT", "/api/cases/{case}", "null title", body({"title": None}), 422, INVALID, "title"),
    Bad("PUT", "/api/cases/{case}", "null status", body({"status": None}), 422, INVALID, "status"),
    Bad("PUT", "/api/cases/{case}", "unknown field", body({"reference": "CASE-1"}), 422, INVALID, "reference"),
    # --- /api/users -------------------------------------------------------------------------
    Bad("GET", "/api/users?role=God", "bad role", NONE, 422, INVALID, "role"),
    Bad("GET", "/api/users?is_active=maybe", "bad is_active", NONE, 422, INVALID, "is_active"),
    Bad("GET", "/api/users?limit=501", "limit 501", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/users?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    Bad("GET", f"/api/users?cursor={CURSOR_SURROGATE}", "cursor with a lone surrogate", NONE, 400, MALFORMED, "cursor"),
    Bad("POST", "/api/users", "form-encoded", raw("username=x", FORM), 400, MALFORMED),
    Bad("POST", "/api/users", "bad phone", user_body(phone="07700 900123"), 422, INVALID, "phone"),
    Bad("POST", "/api/users", "bad email", user_body(email="not-an-email"), 422, INVALID, "email"),
    Bad("POST", "/api/users", "short password", user_body(password="short"), 422, INVALID, "password"),
    Bad("POST", "/api/users", "missing password", user_body(password=None), 422, INVALID, "password"),
    Bad("POST", "/api/users", "bad role", user_body(role="Superuser"), 422, INVALID, "role"),
    Bad("POST", "/api/users", "username with a space", user_body(username="new hire"), 422, INVALID, "username"),
    Bad("POST", "/api/users", "NUL in full_name", user_body(full_name="New\x00Hire"), 422, INVALID, "full_name"),
    Bad("POST", "/api/users", "unknown field", user_body(is_admin=True), 422, INVALID, "is_admin"),
    Bad("POST", "/api/users", "duplicate username", user_body(username="{agent_username}"), 409, "conflict", "username"),
    Bad("POST", "/api/users", "duplicate email", user_body(email="{agent_email}"), 409, "conflict", "email"),
    Bad("GET", "/api/users/not-a-uuid", "user_id not a UUID", NONE, 422, INVALID, "user_id"),
    Bad("PUT", "/api/users/not-a-uuid", "user_id not a UUID", body({"full_name": "X"}), 422, INVALID, "user_id"),
    Bad("PUT", "/api/users/{user}", "null email", body({"email": None}), 422, INVALID, "email"),
    Bad("PUT", "/api/users/{user}", "null role", body({"role": None}), 422, INVALID, "role"),
    Bad("PUT", "/api/users/{user}", "null is_active", body({"is_active": None}), 422, INVALID, "is_active"),
    Bad("PUT", "/api/users/{user}", "bad email", body({"email": "agent@"}), 422, INVALID, "email"),
    Bad("PUT", "/api/users/{user}", "bad phone", body({"phone": "12345"}), 422, INVALID, "phone"),
    Bad("PUT", "/api/users/{user}", "short password", body({"password": "short"}), 422, INVALID, "password"),
    Bad("PUT", "/api/users/{user}", "unknown field", body({"password_hash": "x"}), 422, INVALID, "password_hash"),
    Bad("PUT", "/api/users/{user}", "email taken", body({"email": "{admin_email}"}), 409, "conflict", "email"),
    # --- /api/notifications -----------------------------------------------------------------
    Bad("GET", "/api/notifications?unread=maybe", "bad unread", NONE, 422, INVALID, "unread"),
    Bad("GET", "/api/notifications?limit=0", "limit 0", NONE, 422, INVALID, "limit"),
    Bad("GET", "/api/notifications?cursor=garbage", "garbage cursor", NONE, 400, MALFORMED, "cursor"),
    Bad("PATCH", "/api/notifications/not-a-uuid/read", "notification_id not a UUID", NONE, 422, INVALID, "notification_id"),
    Bad("POST", "/api/notifications/settings", "JSON sent as text/plain", raw('{"Comment": {"sms": true}}', "text/plain"), 400, MALFORMED),
    Bad("POST", "/api/notifications/settings", "JSON list", body([]), 422, INVALID, "body"),
    Bad("POST", "/api/notifications/settings", "unknown type", body({"Carrier Pigeon": {"sms": True}}), 422, INVALID, "Carrier Pigeon"),
    Bad("POST", "/api/notifications/settings", "unknown channel", body({"Comment": {"pigeon": True}}), 422, INVALID, "Comment.pigeon"),
    Bad("POST", "/api/notifications/settings", "null channel", body({"Comment": {"email": None}}), 422, INVALID, "Comment.email"),
    Bad("POST", "/api/notifications/settings", "channels not an object", body({"Comment": "yes"}), 422, INVALID, "Comment"),
    # --- unknown paths and wrong methods ----------------------------------------------------
    Bad("GET", "/api/nope", "unknown path", NONE, 404, "not_found"),
    Bad("GET", "/api/nope", "unknown path, anonymous", NONE, 404, "not_found", anonymous=True),
    Bad("POST", "/api/tasks/{task}/nope", "unknown sub-path", body({}), 404, "not_found"),
    Bad("GET", "/api", "the bare prefix", NONE, 404, "not_found"),
    Bad("DELETE", "/api/tasks", "wrong method", NONE, 405, "method_not_allowed"),
    Bad("POST", "/api/tasks/{task}", "wrong method", body(TITLE), 405, "method_not_allowed"),
    Bad("GET", "/api/tasks/{task}/status", "wrong method", NONE, 405, "method_not_allowed"),
    Bad("GET", "/api/tasks/{task}/watchers", "wrong method", NONE, 405, "method_not_allowed"),
    Bad("DELETE", "/api/cases/{case}", "wrong method", NONE, 405, "method_not_allowed"),
    Bad("PATCH", "/api/users/{user}", "wrong method", body({"full_name": "X"}), 405, "method_not_allowed"),
    Bad("PUT", "/api/notifications", "wrong method", body({}), 405, "method_not_allowed"),
    Bad("GET", "/api/auth/login", "wrong method", NONE, 405, "method_not_allowed", anonymous=True),
    # --- control characters: none in single-line fields (not even tabs or line breaks), only tab and
    # line breaks in multi-line ones --------------------------------------------------------------
    Bad("POST", "/api/tasks", "CR LF in title", body({"title": "Printer\r\nBcc: all@example.com"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "trailing line break in title", body({"title": "Printer\n"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "tab in title", body({"title": "Printer\tjam"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "escape sequence in title", body({"title": "\x1b[31mred"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "DEL in title", body({"title": "a\x7fb"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "C1 next-line in title", body({"title": "a\x85b"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "line separator in title", body({"title": "a\u2028b"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "paragraph separator in title", body({"title": "a\u2029b"}), 422, INVALID, "title"),
    Bad("POST", "/api/tasks", "line break in a tag", body({**TITLE, "tags": ["ok", "a\nb"]}), 422, INVALID, "tags[1]"),
    Bad("POST", "/api/tasks", "bell in description", body({**TITLE, "description": "ding\x07"}), 422, INVALID, "description"),
    Bad("POST", "/api/tasks", "escape sequence in description", body({**TITLE, "description": "a\x1b[2Jb"}), 422, INVALID, "description"),
    Bad("POST", "/api/tasks", "C1 control in description", body({**TITLE, "description": "a\x9bb"}), 422, INVALID, "description"),
    Bad("PUT", "/api/tasks/{task}", "CR LF in title", body({"title": "a\r\nb"}), 422, INVALID, "title"),
    Bad("PUT", "/api/tasks/{task}", "vertical tab in description", body({"description": "a\x0bb"}), 422, INVALID, "description"),
    Bad("POST", "/api/tasks/{task}/comments", "escape sequence in body", body({"body": "a\x1b[31mb"}), 422, INVALID, "body"),
    Bad("POST", "/api/tasks/{task}/comments", "form feed in body", body({"body": "a\x0cb"}), 422, INVALID, "body"),
    Bad("POST", "/api/cases", "line break in title", body({"title": "a\nb"}), 422, INVALID, "title"),
    Bad("POST", "/api/cases", "DEL in description", body({**TITLE, "description": "a\x7f"}), 422, INVALID, "description"),
    Bad("PUT", "/api/cases/{case}", "tab in title", body({"title": "a\tb"}), 422, INVALID, "title"),
    Bad("POST", "/api/users", "CR LF in full_name", user_body(full_name="New\r\nHire"), 422, INVALID, "full_name"),
    Bad("POST", "/api/users", "line break in email", user_body(email="new@example.com\nBcc: x@example.com"), 422, INVALID, "email"),
    Bad("POST", "/api/users", "control character in email", user_body(email="n\x11ew@example.com"), 422, INVALID, "email"),
    Bad("POST", "/api/users", "tab in department", user_body(department="Bil\tling"), 422, INVALID, "department"),
    Bad("POST", "/api/users", "control character in password", user_body(password="long-enough\x01passphrase"), 422, INVALID, "password"),
    Bad("PUT", "/api/users/{user}", "C1 control in full_name", body({"full_name": "a\x85b"}), 422, INVALID, "full_name"),
    Bad("PUT", "/api/users/{user}", "line separator in department", body({"department": "a\u2028b"}), 422, INVALID, "department"),
    Bad("POST", "/api/auth/login", "line break in username", body({"username": "agent\n", "password": "x"}), 422, INVALID, "username", anonymous=True),
    Bad("PUT", "/api/sla/calendar", "line break in a holiday's name", body({"holidays": [{"date": "2026-12-25", "name": "Christmas\n"}]}), 422, INVALID, "holidays[0].name"),
    Bad("GET", "/api/tasks?q=a%0Ab", "line break in q", NONE, 422, INVALID, "q"),
    Bad("GET", "/api/tasks?tag=a%09b", "tab in tag", NONE, 422, INVALID, "tag"),
    Bad("GET", "/api/cases?q=%1B", "escape in q", NONE, 422, INVALID, "q"),
    Bad("GET", "/api/users?department=a%0D%0Ab", "CR LF in department", NONE, 422, INVALID, "department"),
    Bad("GET", "/api/reports/workload?department=%C2%85", "C1 control in department", NONE, 422, INVALID, "department"),
    # --- what the document says, exactly: timestamps are ISO 8601 text, booleans true or false, ids
    # canonical UUIDs ---------------------------------------------------------------------------
    Bad("GET", "/api/tasks?due_before=0.5", "due_before a number", NONE, 422, INVALID, "due_before"),
    Bad("GET", "/api/reports/sla?date_to=1700000000", "date_to a number", NONE, 422, INVALID, "date_to"),
    Bad("POST", "/api/tasks", "due_date a number", body({**TITLE, "due_date": 4102444800}), 422, INVALID, "due_date"),
    Bad("PUT", "/api/sla/calendar", "holiday date a number", body({"holidays": [{"date": 0}]}), 422, INVALID, "holidays[0].date"),
    Bad("PUT", "/api/tasks/{task}", "version as text", body({**TITLE, "version": "1"}), 422, INVALID, "version"),
    Bad("PATCH", "/api/tasks/{task}/status", "version as text", body({"status": "In Progress", "version": "1"}), 422, INVALID, "version"),
    Bad("PUT", "/api/users/{user}", "is_active a number", body({"is_active": 0}), 422, INVALID, "is_active"),
    Bad("PUT", "/api/users/{user}", "is_active as text", body({"is_active": "false"}), 422, INVALID, "is_active"),
    Bad("POST", "/api/notifications/settings", "channel a number", body({"Comment": {"sms": 1}}), 422, INVALID, "Comment.sms"),
    Bad("POST", "/api/notifications/settings/defaults", "channel as text", body({"Comment": {"email": "yes"}}), 422, INVALID, "Comment.email"),
    Bad("PUT", "/api/sla/targets", "minutes as text", body({"High": "1440"}), 422, INVALID, "High"),
    Bad("PUT", "/api/sla/targets", "business hours flag a number", body({"business_hours": {"High": 1}}), 422, INVALID, "business_hours.High"),
    Bad("PUT", "/api/sla/escalations", "warning percent as text", body({"High": {"warning_percent": "75"}}), 422, INVALID, "High.warning_percent"),
    Bad("PUT", "/api/sla/escalations", "flag a number", body({"High": {"raise_priority": 1}}), 422, INVALID, "High.raise_priority"),
    Bad("GET", "/api/notifications?unread=yes", "unread yes", NONE, 422, INVALID, "unread"),
    Bad("GET", "/api/users?is_active=1", "is_active 1", NONE, 422, INVALID, "is_active"),
    Bad("GET", "/api/tasks/{task_hex}", "task_id without hyphens", NONE, 422, INVALID, "task_id"),
    Bad("GET", "/api/cases/{{case}}", "case_id in braces", NONE, 422, INVALID, "case_id"),
    Bad("GET", "/api/users/urn:uuid:{user}", "user_id as a URN", NONE, 422, INVALID, "user_id"),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every {placeholder} in its strings replaced by the fresh ids."""
    if isinstance(value, str):
        for name, replacement in ids.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


def _params() -> list:
    return [
        pytest.param(bad, id=f"{bad.method} {bad.path.split('?')[0]} {bad.label}",
                     marks=[pytest.mark.xfail(reason=bad.bug, strict=True)] if bad.bug else [])
        for bad in BAD_REQUESTS
    ]


@pytest.mark.parametrize("bad", _params())
def test_malformed_request(bad, app, client, people, make_task, auth_headers):
    """The request gets its status and enveloped error code, names the bad field, and changes no task."""
    admin, agent = people["admin"], people["agent"]
    task = make_task(agent)
    with app.app_context():
        found = cases.create_case(actor=agent, title="Printer fleet renewal")
    ids = {
        "task": str(task.id), "task_hex": task.id.hex, "case": str(found.id), "user": str(agent.id),
        "agent_username": agent.username, "agent_email": agent.email, "admin_email": admin.email,
    }
    send = _fill(bad.send, ids)
    headers = {**({} if bad.anonymous else auth_headers(admin)), **send.pop("headers", {})}
    response = client.open(_fill(bad.path, ids), method=bad.method, headers=headers, **send)
    assert response.status_code != 500, response.get_json()
    assert (response.status_code, response.mimetype) == (bad.status, "application/json"), response.get_data(as_text=True)[:500]
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    assert error["code"] == bad.code
    if bad.field is not None:
        assert bad.field in [detail["field"] for detail in error["details"]], error["details"]
    if bad.status == 405:
        assert response.headers["Allow"]
    listed = client.get("/api/tasks", headers=auth_headers(admin)).json["items"]
    assert [(t["id"], t["version"]) for t in listed] == [(str(task.id), 1)]


@pytest.mark.parametrize(
    "path, payload",
    [
        ("/api/tasks", {"title": "t" * 200, "tags": [f"{n:02d}" + "t" * 48 for n in range(20)]}),
        ("/api/tasks/{task}/comments", {"body": "c" * 10_000}),
        ("/api/cases", {"title": "t" * 200}),
    ],
    ids=["task title 200, 20 tags of 50", "comment of 10,000", "case title 200"],
)
def test_limits_are_inclusive(path, payload, client, people, make_task, auth_headers):
    """Values at the documented maximum are accepted, so the rejections above are the limits, not lower ones."""
    task = make_task(people["agent"])
    response = client.post(path.replace("{task}", str(task.id)), json=payload, headers=auth_headers(people["admin"]))
    assert response.status_code == 201, response.get_json()


MULTILINE = "Steps:\r\n\t1. Open the tray\n\t2. Close it\u2028Done"


@pytest.mark.parametrize(
    "path, payload, field",
    [
        ("/api/tasks", {"title": "Printer jam", "description": MULTILINE}, "description"),
        ("/api/tasks/{task}/comments", {"body": MULTILINE}, "body"),
        ("/api/cases", {"title": "Printer fleet", "description": MULTILINE}, "description"),
    ],
    ids=["task description", "comment", "case description"],
)
def test_multiline_fields_keep_tabs_and_line_breaks(path, payload, field, client, people, make_task, auth_headers):
    """Multi-line text keeps its tabs and line breaks as sent; only the other control characters are refused."""
    task = make_task(people["agent"])
    response = client.post(path.replace("{task}", str(task.id)), json=payload, headers=auth_headers(people["admin"]))
    assert response.status_code == 201, response.get_json()
    assert response.json[field] == MULTILINE


def test_single_line_fields_are_still_trimmed(client, people, auth_headers):
    """Blanks around a single-line value are dropped after the checks (a leading space is not a control character)."""
    response = client.post("/api/tasks", json={"title": "  Printer jam  ", "tags": [" toner "]}, headers=auth_headers(people["admin"]))
    assert response.status_code == 201, response.get_json()
    assert (response.json["title"], response.json["tags"]) == ("Printer jam", ["toner"])


def test_a_control_character_is_named_in_words(client, people, auth_headers):
    response = client.post("/api/tasks", json={"title": "a\r\nb"}, headers=auth_headers(people["admin"]))
    assert response.json["error"]["details"] == [
        {"field": "title", "message": "must not contain control characters, tabs or line breaks"}
    ]
