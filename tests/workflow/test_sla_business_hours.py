"""SLA targets per priority may count business hours only: the flag beside the minutes."""
import pytest

from db import session
from db.models import Priority, Role, SlaTarget
from domain import sla as sla_rules
from domain.errors import Forbidden, ValidationFailed
from reports import policy
from workflow import sla as sla_policy

EVERY_HOUR = {priority: False for priority in Priority}


def test_every_target_counts_every_hour_by_default(ctx):
    assert policy.get_business_hours() == EVERY_HOUR


def test_an_admin_sets_the_flag_per_priority_and_minutes_stay(ctx, make_user):
    admin = make_user(Role.ADMIN)
    targets = sla_policy.set_targets(actor=admin, targets={"High": {"business_hours": True}, Priority.LOW: {"minutes": 600, "business_hours": True}})
    assert targets == {**sla_rules.DEFAULT_TARGET_MINUTES, Priority.LOW: 600}
    session.expire_all()
    assert policy.get_business_hours() == {**EVERY_HOUR, Priority.HIGH: True, Priority.LOW: True}
    # The original shape changes minutes only; the flags stay.
    sla_policy.set_targets(actor=admin, targets={"High": 720})
    assert policy.get_business_hours()[Priority.HIGH] is True and policy.get_targets()[Priority.HIGH] == 720
    sla_policy.set_targets(actor=admin, targets={}, business_hours={"High": False, "Critical": True})
    assert policy.get_business_hours() == {**EVERY_HOUR, Priority.LOW: True, Priority.CRITICAL: True}


def test_the_flag_both_ways_must_agree(ctx, make_user):
    admin = make_user(Role.ADMIN)
    sla_policy.set_targets(actor=admin, targets={"High": {"minutes": 60, "business_hours": True}}, business_hours={"High": True})
    assert policy.get_business_hours()[Priority.HIGH] is True
    with pytest.raises(ValidationFailed) as refused:
        sla_policy.set_targets(actor=admin, targets={"High": {"business_hours": False}}, business_hours={"High": True})
    assert refused.value.details == [{"field": "business_hours.High", "message": "disagrees with High.business_hours"}]


def test_a_missing_row_is_made_with_the_default_minutes(ctx, make_user):
    session.delete(session.get(SlaTarget, Priority.MEDIUM))
    session.flush()
    assert policy.get_business_hours()[Priority.MEDIUM] is False
    sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={}, business_hours={"Medium": True})
    assert policy.get_targets()[Priority.MEDIUM] == sla_rules.DEFAULT_TARGET_MINUTES[Priority.MEDIUM]
    assert policy.get_business_hours()[Priority.MEDIUM] is True


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_set_the_flag(ctx, make_user, role):
    with pytest.raises(Forbidden):
        sla_policy.set_targets(actor=make_user(role), targets={}, business_hours={"Low": True})
    assert policy.get_business_hours() == EVERY_HOUR


@pytest.mark.parametrize(
    ("targets", "flags", "field"),
    [
        ({"Low": {"business_hours": "yes"}}, None, "Low.business_hours"),
        ({"Low": {"minutes": 0}}, None, "Low.minutes"),
        ({"Low": {"minutes": True}}, None, "Low.minutes"),
        ({"Low": {}}, None, "Low"),
        ({"Low": {"hours": 3}}, None, "Low"),
        ({}, {"Urgent": True}, "Urgent"),
        ({}, {"Low": 1}, "business_hours.Low"),
    ],
)
def test_invalid_flags_are_refused_and_nothing_changes(ctx, make_user, targets, flags, field):
    with pytest.raises(ValidationFailed) as refused:
        sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={"High": {"minutes": 30, "business_hours": True}, **targets},
                        business_hours=flags)
    assert field in [problem["field"] for problem in refused.value.details]
    assert policy.get_business_hours() == EVERY_HOUR and policy.get_targets()[Priority.HIGH] == 1440
