"""The SLA settings page puts the policy's own refusals under the field of the priority they are about."""
from domain.errors import ValidationFailed


def test_each_priority_gets_its_first_problem_as_a_sentence(app):
    from portal.pages.sla_settings import _by_priority  # imported once Dash (made by the app) may register pages

    refusal = ValidationFailed("invalid escalation rules", [
        {"field": "High.warning_percent", "message": "must be from 1 to 99"},
        {"field": "High.breach_enabled", "message": "must be true or false"},
        {"field": "Low", "message": "target too long."},
    ])
    assert _by_priority(refusal) == {"High": "Must be from 1 to 99.", "Low": "Target too long."}
    assert _by_priority(ValidationFailed("invalid", None)) == {}
