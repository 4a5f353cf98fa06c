"""SLA targets: seeded with the defaults, changed by an Admin only, validated."""
import pytest

from db import session
from db.models import Priority, Role, SlaTarget
from domain.errors import Forbidden, ValidationFailed
from reports import policy
from workflow import sla as sla_policy


def test_the_migration_seeds_the_default_targets(ctx):
    assert policy.get_targets() == {Priority.LOW: 10080, Priority.MEDIUM: 4320, Priority.HIGH: 1440, Priority.CRITICAL: 240}
    assert session.query(SlaTarget).count() == 4


def test_an_admin_changes_some_targets_and_the_others_stay(ctx, make_user):
    admin = make_user(Role.ADMIN)
    targets = sla_policy.set_targets(actor=admin, targets={Priority.CRITICAL: 120, "High": 600})
    assert targets[Priority.CRITICAL] == 120 and targets[Priority.HIGH] == 600 and targets[Priority.LOW] == 10080
    session.expire_all()
    assert policy.get_targets() == targets


def test_a_missing_row_falls_back_to_the_default(ctx):
    session.delete(session.get(SlaTarget, Priority.LOW))
    session.flush()
    assert policy.get_targets()[Priority.LOW] == 10080


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_change_targets(ctx, make_user, role):
    with pytest.raises(Forbidden):
        sla_policy.set_targets(actor=make_user(role), targets={Priority.LOW: 60})
    assert policy.get_targets()[Priority.LOW] == 10080


@pytest.mark.parametrize("targets", [{"Urgent": 60}, {Priority.LOW: 0}, {Priority.LOW: 1.5}, {Priority.LOW: True},
                                     {Priority.LOW: 10**7}, {Priority.LOW: "60"}])
def test_invalid_targets_are_refused_and_nothing_changes(ctx, make_user, targets):
    with pytest.raises(ValidationFailed) as refused:
        sla_policy.set_targets(actor=make_user(Role.ADMIN), targets={Priority.HIGH: 30, **targets})
    assert refused.value.details
    assert policy.get_targets()[Priority.HIGH] == 1440
