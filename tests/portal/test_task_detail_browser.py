"""The task detail page in a real browser: edit, move, comment, stale edits, viewers, not found, times on the user's clock."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from db import session
from db.models import ChangeType, Priority, Role, TaskComment, TaskHistory, TaskStatus
from db.types import utcnow
from portal.components import times
from tests.conftest import PASSWORD
from tests.portal.conftest import screenshot, sign_in
from workflow import comments, tasks, users

pytestmark = pytest.mark.live


def _history(live_server, task_id) -> list[TaskHistory]:
    with live_server.app.app_context():
        return list(session.scalars(select(TaskHistory).where(TaskHistory.task_id == task_id).order_by(TaskHistory.changed_at, TaskHistory.id)))


def _task(live_server, task_id):
    with live_server.app.app_context():
        return tasks.get_task(task_id=task_id)


def _open(page, live_server, user, task_id):
    sign_in(page, live_server.url, user, next_path=f"/tasks/{task_id}")
    page.wait_for_selector("#task-fields h1")


@pytest.fixture
def agent_task(live_server, portal_user):
    """An agent (Sam Carter) and a New task assigned to them."""
    agent = portal_user(Role.AGENT, full_name="Sam Carter")
    with live_server.app.app_context():
        task = tasks.create_task(
            actor=agent, title="Reset the VPN token", description="Line one\n  indented line two",
            priority=Priority.HIGH, assigned_to=agent.id, tags=["vpn", "access"],
        )
    return agent, task


def test_agent_edits_moves_and_sees_the_history(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    assert page.inner_text("#task-fields h1") == "Reset the VPN token"
    assert "Line one\n  indented line two" in page.inner_text("#task-fields")
    assert "Sam Carter" in page.inner_text("#task-fields")

    due = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    page.fill("#task-title-input", "Reset the VPN token for Jo")
    page.fill("#task-due-input", due.strftime("%Y-%m-%d %H:%M"))
    page.click("#task-save")
    page.wait_for_selector("#task-fields h1:text-is('Reset the VPN token for Jo')")
    page.click("button:text-is('Move to In Progress')")
    page.wait_for_selector("#task-history li:has-text('Status: New → In Progress')")

    timeline = page.inner_text("#task-history")
    assert "Created" in timeline
    assert "Title: 'Reset the VPN token' → 'Reset the VPN token for Jo'" in timeline
    assert f"Due date: — → {times.moment(due, agent)}" in timeline
    assert timeline.count("Sam Carter") == 3
    screenshot(page, "task-detail")

    rows = _history(live_server, task.id)
    assert [row.change_type for row in rows] == [ChangeType.CREATION, ChangeType.EDIT, ChangeType.STATUS_CHANGE]
    assert rows[1].new_value == {"title": "Reset the VPN token for Jo", "due_date": due.isoformat()}
    assert rows[2].new_value == {"status": "In Progress"}
    saved = _task(live_server, task.id)
    assert (saved.status, saved.version) == (TaskStatus.IN_PROGRESS, 3)


def test_stale_edit_is_refused_and_nothing_written(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    with live_server.app.app_context():
        tasks.update_task(actor=agent, task_id=task.id, changes={"priority": Priority.LOW}, expected_version=1)
    page.fill("#task-title-input", "My stale title")
    page.click("#task-save")
    page.wait_for_selector("#task-message :text('This task was changed by someone else; reload to see the latest')")
    saved = _task(live_server, task.id)
    assert (saved.title, saved.priority, saved.version) == ("Reset the VPN token", Priority.LOW, 2)
    assert len(_history(live_server, task.id)) == 2


def test_empty_title_shows_an_inline_error_and_writes_nothing(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    page.fill("#task-title-input", "   ")
    page.click("#task-save")
    page.wait_for_selector("#task-title-input-error:text-is('The title is required.')")
    assert page.is_visible("#task-title-input-error")
    assert "is-invalid" in page.get_attribute("#task-title-input", "class")
    assert _task(live_server, task.id).version == 1
    assert len(_history(live_server, task.id)) == 1


def test_the_details_show_no_version_number(page, live_server, agent_task):
    agent, task = agent_task
    _open(page, live_server, agent, task.id)
    labels = page.locator("#task-fields dt").all_inner_texts()
    assert labels == ["Status", "Priority", "Due", "Assignee", "Created by", "Case", "Tags", "Created", "Updated"]


def test_viewer_sees_everything_read_only(page, live_server, portal_user, agent_task):
    _agent, task = agent_task
    viewer = portal_user(Role.VIEWER)
    _open(page, live_server, viewer, task.id)
    assert "Reset the VPN token" in page.inner_text("#task-fields")
    assert page.locator("#task-history li").count() == 1
    for control in ("#task-form", "#task-save", "#task-case-input", "#task-comment-input", "#task-comment-add",
                    "button:has-text('Move to')"):
        assert page.locator(control).count() == 0, control


def test_comment_text_stays_text_and_mentions_are_highlighted(page, live_server, portal_user, agent_task):
    agent, task = agent_task
    manager = portal_user(Role.MANAGER)
    with live_server.app.app_context():
        comments.add_comment(actor=manager, task_id=task.id, body="First, from the manager")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _open(page, live_server, agent, task.id)
    body = f"<img src=x onerror=alert(1)> ask @{manager.username}\nsecond line"
    page.fill("#task-comment-input", body)
    page.click("#task-comment-add")
    page.wait_for_selector(f"#task-comments .mention:text-is('@{manager.username}')")
    bodies = page.locator("#task-comments .comment-body")
    assert bodies.nth(0).inner_text() == "First, from the manager"
    assert bodies.nth(1).inner_text() == body
    assert "Sam Carter" in page.inner_text("#task-comments")
    assert page.locator("#task-comments img").count() == 0
    assert page.input_value("#task-comment-input") == ""
    page.wait_for_timeout(300)
    assert dialogs == []
    with live_server.app.app_context():
        assert session.scalars(select(TaskComment.body).where(TaskComment.task_id == task.id)).all()[-1] == body


@pytest.mark.parametrize("task_id", ["0193e0a0-0000-7000-8000-000000000000", "not-a-uuid", "deleted"])
def test_unknown_malformed_or_deleted_task_is_not_found(page, live_server, portal_user, task_id):
    manager = portal_user(Role.MANAGER)
    if task_id == "deleted":
        with live_server.app.app_context():
            task = tasks.create_task(actor=manager, title="Gone soon")
            tasks.delete_task(actor=manager, task_id=task.id)
        task_id = task.id
    sign_in(page, live_server.url, manager, next_path=f"/tasks/{task_id}")
    page.wait_for_selector("#task-not-found")
    assert "Task not found" in page.inner_text("#task-not-found")


def test_manager_assigns_and_the_timeline_names_the_assignee(page, live_server, portal_user):
    manager = portal_user(Role.MANAGER)
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        task = tasks.create_task(actor=manager, title="Unassigned printer jam")
    _open(page, live_server, manager, task.id)
    page.select_option("#task-assignee-input", value=str(agent.id))
    page.click("#task-save")
    page.wait_for_selector(f"#task-history li:has-text('Assigned to: — → {agent.full_name}')")
    assert _task(live_server, task.id).assigned_to == agent.id
    assert [row.change_type for row in _history(live_server, task.id)] == [ChangeType.CREATION, ChangeType.ASSIGNMENT]


# --- attachments ------------------------------------------------------------------------


@pytest.fixture
def local_store(live_server, monkeypatch, tmp_path):
    """The live server's attachments go to a folder of this test."""
    monkeypatch.setitem(live_server.app.config, "LOCAL_STORAGE_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


def _choose(page, name: str, content: bytes, mime: str) -> None:
    page.set_input_files("#task-attachment-upload input[type=file]", files=[{"name": name, "mimeType": mime, "buffer": content}])


def test_agent_uploads_downloads_and_deletes_an_attachment(page, live_server, agent_task, local_store):
    agent, task = agent_task
    # Bigger than the global request limit (1 MiB): the portal's callback endpoint takes attachment-sized bodies.
    content = (b"VPN log line 0123456789 abcdefghij\n" * 40_000)[: 1_300_000]
    _open(page, live_server, agent, task.id)
    assert page.inner_text("#task-attachments") == "No attachments."
    _choose(page, "vpn <log>.txt", content, "text/plain")
    link = page.wait_for_selector("#task-attachments a.attachment-link")
    assert link.inner_text() == "vpn <log>.txt"
    item = page.inner_text("#task-attachments")
    assert "1.2 MB" in item and "Sam Carter" in item
    page.wait_for_selector("#task-history li:has-text(\"attached 'vpn <log>.txt'\")")
    page.locator("#task-attachments").scroll_into_view_if_needed()
    screenshot(page, "task-attachments")

    with page.expect_download() as download_info:
        page.click("#task-attachments a.attachment-link")
    download = download_info.value
    assert download.suggested_filename.startswith("vpn")
    assert open(download.path(), "rb").read() == content

    page.click("#task-attachments button:has-text('Delete')")
    page.wait_for_selector("#task-attachments :text-is('No attachments.')")
    page.wait_for_selector("#task-history li:has-text(\"removed attachment 'vpn <log>.txt'\")")
    assert not any(path.is_file() for path in local_store.rglob("*"))


def test_too_large_and_wrong_type_are_refused_with_a_clear_error(page, live_server, agent_task, local_store, monkeypatch):
    agent, task = agent_task
    monkeypatch.setitem(live_server.app.config, "ATTACHMENT_MAX_BYTES", 1000)
    _open(page, live_server, agent, task.id)
    assert "Up to 1000 B; pdf, png" in page.content()

    _choose(page, "big.txt", b"x" * 2000, "text/plain")
    page.wait_for_selector("#task-attachment-error:has-text('\"big.txt\" is too large: files may be up to 1000 B.')")

    _choose(page, "tool.exe", b"MZ\x90\x00", "application/x-msdownload")
    page.wait_for_selector("#task-attachment-error:has-text('files of this type cannot be attached')")
    assert "'tool.exe' was not attached." in page.inner_text("#task-attachment-error")
    assert page.inner_text("#task-attachments") == "No attachments."


def test_a_refused_upload_takes_away_the_toast_of_the_one_before(page, live_server, agent_task, local_store, monkeypatch):
    agent, task = agent_task
    monkeypatch.setitem(live_server.app.config, "ATTACHMENT_MAX_BYTES", 1000)
    _open(page, live_server, agent, task.id)
    _choose(page, "notes.txt", b"notes\n", "text/plain")
    page.wait_for_selector("#task-message :text(\"Attached 'notes.txt'.\")")

    _choose(page, "tool.exe", b"MZ\x90\x00", "application/x-msdownload")
    page.wait_for_selector("#task-attachment-error:has-text('files of this type cannot be attached')")
    assert "Attached" not in page.inner_text("#task-message")

    _choose(page, "notes2.txt", b"more notes\n", "text/plain")
    page.wait_for_selector("#task-message :text(\"Attached 'notes2.txt'.\")")
    _choose(page, "big.txt", b"x" * 2000, "text/plain")  # refused in the browser, before any upload
    page.wait_for_selector("#task-attachment-error:has-text('is too large')")
    assert "Attached" not in page.inner_text("#task-message")


def test_viewer_sees_attachments_but_no_upload_or_delete(page, live_server, portal_user, agent_task, local_store):
    agent, task = agent_task
    with live_server.app.app_context():
        from workflow import attachments
        import io

        attachments.add_attachment(actor=agent, task_id=task.id, fileobj=io.BytesIO(b"notes\n"), filename="notes.txt", content_type="text/plain")
    viewer = portal_user(Role.VIEWER)
    _open(page, live_server, viewer, task.id)
    assert page.inner_text("#task-attachments a.attachment-link") == "notes.txt"
    assert page.locator("#task-attachment-upload").count() == 0
    assert page.locator("#task-attachments button:has-text('Delete')").count() == 0


def test_only_the_dash_endpoint_takes_attachment_sized_bodies(live_server, portal_user):
    """The raised limit applies to Dash callbacks only; other routes keep MAX_CONTENT_LENGTH (1 MiB)."""
    import re

    import requests

    user = portal_user(Role.AGENT)
    http = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', http.get(f"{live_server.url}/login", timeout=10).text).group(1)
    http.post(f"{live_server.url}/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}, timeout=10)
    assert http.get(f"{live_server.url}/_dash-layout", timeout=10).status_code == 200

    def post(path: str, size: int) -> int:
        body = b'{"output": "x", "outputs": {}, "inputs": [], "changedPropIds": [], "pad": "' + b" " * size + b'"}'
        return http.post(f"{live_server.url}{path}", data=body, headers={"Content-Type": "application/json"}, timeout=30).status_code

    # Read past the size check (then refused as a callback that does not exist).
    assert post("/_dash-update-component", 1536 * 1024) not in (401, 413)
    assert post("/api/auth/login", 1536 * 1024) == 413
    assert post("/_dash-update-component", int(live_server.app.config["ATTACHMENT_MAX_BYTES"] * 1.5)) == 413


# --- times on the user's clock ----------------------------------------------------------

#: New York's clocks go from 02:00 EST to 03:00 EDT on 8 March 2026: noon UTC is 08:00 there.
NEW_YORK_DUE = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)


def test_new_york_agent_sees_and_types_due_dates_on_their_clock(page, live_server, portal_user):
    agent = portal_user(Role.AGENT)
    with live_server.app.app_context():
        users.update_user(actor=agent, user_id=agent.id, changes={"time_zone": "America/New_York"})
        task = tasks.create_task(actor=agent, title="Zoned task page subject", assigned_to=agent.id)
        # Past due dates are refused at creation, not on an edit.
        tasks.update_task(actor=agent, task_id=task.id, changes={"due_date": NEW_YORK_DUE})
    agent.time_zone = "America/New_York"
    _open(page, live_server, agent, task.id)

    shown = times.moment(NEW_YORK_DUE, agent)
    assert shown.endswith(" 08:00")
    due = page.locator("#task-fields time").first
    assert due.inner_text() == shown
    assert due.get_attribute("title") == f"{shown} New York time"
    assert page.input_value("#task-due-input") == "2026-03-08 08:00"
    assert "New York time" in page.inner_text("label[for=task-due-input]")
    assert "UTC" not in page.inner_text("#task-form")

    # 02:30 does not happen in New York on 9 March 2031: the clocks go from 02:00 to 03:00.
    page.fill("#task-due-input", "2031-03-09 02:30")
    page.click("#task-save")
    page.wait_for_selector("#task-due-input.is-invalid")
    assert page.inner_text("#task-due-input-error") == (
        "The due date is not a valid date. 02:30 does not exist on 9 Mar 2031 in New York time (the clocks go forward).")
    page.fill("#task-due-input", "next week")
    page.click("#task-save")
    page.wait_for_selector("#task-due-input-error:has-text('YYYY-MM-DD HH:MM')")
    assert page.inner_text("#task-due-input-error") == (
        "The due date is not a valid date. Enter a date and time as YYYY-MM-DD HH:MM, New York time.")
    assert _task(live_server, task.id).due_date == NEW_YORK_DUE

    page.fill("#task-due-input", "2031-07-01 09:30")
    page.click("#task-save")
    saved = datetime(2031, 7, 1, 13, 30, tzinfo=timezone.utc)  # EDT: UTC-4
    page.wait_for_selector(f"#task-history li:has-text('Due date: {shown} → {times.moment(saved, agent)}')")
    assert _task(live_server, task.id).due_date == saved
    assert page.input_value("#task-due-input") == "2031-07-01 09:30"
