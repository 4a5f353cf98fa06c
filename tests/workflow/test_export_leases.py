"""Export leases: a running export whose worker died is taken over and finished once; a live one is left alone;
one interrupted too often fails with the reason; a queued export nobody took is handed out again."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db import session
from db.models import Export, Notification, Role
from db.types import utcnow
from workflow import exports


@pytest.fixture
def export(app, ctx, make_user, make_task, tmp_path):
    app.config.update(S3_BUCKET=None, LOCAL_STORAGE_DIR=str(tmp_path / "store"), EXPORT_LEASE_SECONDS=60,
                      EXPORT_MAX_ATTEMPTS=3)
    manager = make_user(Role.MANAGER)
    make_task(manager, title="Lease me")
    return exports.create_export(actor=manager, report="tasks", filters={})


def _as_if_running(export, *, lease_left: timedelta, attempts: int = 1):
    """The row as a worker left it: running, claimed, its lease ending `lease_left` from now."""
    session.execute(update(Export).where(Export.id == export.id).values(
        status="running", claim=export.id, claimed_until=utcnow() + lease_left, attempts=attempts, progress=40,
    ))
    session.commit()


def _notices(export) -> list[str]:
    return list(session.scalars(select(Notification.content).where(Notification.user_id == export.requested_by)))


def test_a_queued_export_is_claimed_and_finished_once(export):
    done = exports.run_export(export_id=export.id)
    assert (done.status, done.attempts, done.claim, done.claimed_until) == ("done", 1, None, None)
    again = exports.run_export(export_id=export.id)  # a redelivered job
    assert (again.status, again.attempts) == ("done", 1)
    assert len(_notices(export)) == 1


def test_an_export_whose_lease_ran_out_is_taken_over(export):
    _as_if_running(export, lease_left=timedelta(seconds=-1))
    assert exports.unfinished() == [export.id]
    done = exports.run_export(export_id=export.id)
    assert (done.status, done.attempts, done.rows) == ("done", 2, 1)
    assert _notices(export) == ["Your export of the task list is ready: 1 rows"]


def test_an_export_held_by_a_live_worker_is_left_alone(export):
    _as_if_running(export, lease_left=timedelta(seconds=30))
    assert exports.unfinished() == []
    left = exports.run_export(export_id=export.id)
    assert (left.status, left.attempts, left.progress) == ("running", 1, 40)
    assert _notices(export) == []


def test_an_export_interrupted_too_often_fails_with_the_reason(export):
    _as_if_running(export, lease_left=timedelta(seconds=-1), attempts=3)
    assert exports.unfinished() == []
    session.refresh(export)
    assert (export.status, export.error) == ("failed", "its worker stopped 3 times before it was done")
    assert _notices(export) == ["Your export of the task list failed: its worker stopped 3 times before it was done"]
    assert exports.run_export(export_id=export.id).status == "failed"


def test_a_queued_export_nobody_took_is_handed_out_again(export):
    assert exports.unfinished() == []  # just queued: its job is on its way
    assert exports.unfinished(now=utcnow() + timedelta(seconds=61)) == [export.id]
    session.refresh(export)
    assert (export.status, export.attempts) == ("queued", 0)  # handed out, not touched: the run claims it
