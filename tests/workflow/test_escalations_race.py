"""Two sweeps at the same instant (two beat processes, a retry) on one committed database: each step is told
once, the fired steps' key decides."""
import threading
from datetime import timedelta

from sqlalchemy import func, select

import db
from app import create_app
from db.models import Notification, NotificationType, Role, SlaEscalation
from tests.conftest import PASSWORD, config_for
from workflow import escalations, tasks, users


def test_two_sweeps_at_once_tell_each_step_once(fresh_database):
    app = create_app(config_for(fresh_database("wm_escalation_race")))
    with app.app_context():
        people = {
            role: users.create_user(actor=None, username=f"race_{role.value.lower()}", email=f"race_{role.value.lower()}@example.com",
                                    full_name=f"Race {role.value}", role=role, password=PASSWORD, department="Support")
            for role in (Role.AGENT, Role.MANAGER)
        }
        made = [tasks.create_task(actor=people[Role.MANAGER], title=f"Raced {n}", assigned_to=people[Role.AGENT].id)
                for n in range(5)]
        later = made[-1].created_at + timedelta(hours=80)  # Medium: 72 h, all breached
        db.session.remove()
    barrier = threading.Barrier(2)
    fired = []

    def sweep():
        with app.app_context():
            barrier.wait()
            fired.append(escalations.sweep(now=later))
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(fired) == 5 and len(fired) == 2
    with app.app_context():
        for user in people.values():
            told = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.user_id == user.id, Notification.type == NotificationType.SLA_BREACH))
            assert told == 5
        assert db.session.scalar(select(func.count()).select_from(SlaEscalation)) == 10  # breach + passed-over warning
        db.session.remove()
