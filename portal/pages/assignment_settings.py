"""Auto-assignment (Managers and Admins): each department's mode (off, round robin, least loaded), with its
Agents, who is away and the open work each holds now."""
import dash
import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, html

from domain import assignment as policy
from domain import rules
from domain.errors import DomainError
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.errors import error_sentence
from workflow import assignment

dash.register_page(__name__, path="/admin/assignment", title="Auto-assignment · Workflow Manager", name="Auto-assignment")

DENIED = "Only managers and admins set how work is assigned."
EXPLAINED = (
    "A department's new unassigned tasks, and its tasks returned to the queue, are given at once to one of its "
    "active Agents who is not away. Round robin takes them in turn (by username); least loaded picks the one with "
    "the least open work weighted by priority (Low 1, Medium 2, High 3, Critical 5, as on the Workload page), then "
    "the fewest open tasks, then whoever's turn it is. A new task belongs to its creator's department; a task "
    "returned to the queue to the department of whoever held it, and never goes back to them."
)

SAVED = {
    policy.OFF: "{}'s work is assigned by hand.",
    policy.ROUND_ROBIN: "{}'s new work goes to its Agents in turn.",
    policy.LEAST_LOADED: "{}'s new work goes to its least loaded Agent.",
}


def _supervisor():
    """The signed-in user if they may set the rules, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_set_assignment_rules(user) else None


def _key(kind: str, department: str) -> dict:
    return {"type": kind, "department": department}


def _status(agent: assignment.AgentLoad, user) -> html.Span:
    if not agent.away:
        return html.Span("Available", className="text-success")
    if agent.away_until is None:
        return html.Span("Away", className="text-body-secondary")
    return html.Span(["Away until ", times.when(agent.away_until, user)], className="text-body-secondary")


def _agents_table(rule: assignment.DepartmentRule, user):
    if not rule.agents:
        return html.P("No active Agents in this department: its tasks stay in the queue.",
                      className="small text-body-secondary mb-0")
    rows = [
        html.Tr([
            html.Td([agent.full_name, " ", dbc.Badge("next", color="info", className="ms-1")
                     if agent.next_in_turn else None]),
            html.Td(_status(agent, user)),
            html.Td(str(agent.open), className="text-end"),
            html.Td(str(agent.weighted_load), className="text-end"),
        ])
        for agent in rule.agents
    ]
    return dbc.Table([
        html.Thead(html.Tr([html.Th("Agent"), html.Th("Status"), html.Th("Open", className="text-end"),
                            html.Th("Weighted load", className="text-end")])),
        html.Tbody(rows),
    ], size="sm", responsive=True, className="align-middle mb-0")


def _card(rule: assignment.DepartmentRule, user) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2(rule.department, className="h6 mb-0")),
            dbc.CardBody([
                html.Div([
                    dbc.Label("Assign new work", className="me-3 mb-0 fw-semibold"),
                    dbc.RadioItems(
                        id=_key(ids.ASSIGNMENT_MODE, rule.department), value=rule.mode, inline=True,
                        options=[{"label": policy.MODE_LABELS[mode], "value": mode} for mode in policy.MODES],
                    ),
                    dbc.Button("Save", id=_key(ids.ASSIGNMENT_SAVE, rule.department), color="primary", size="sm",
                               className="ms-auto"),
                ], className="d-flex flex-wrap align-items-center gap-2 mb-2"),
                html.Div(id=_key(ids.ASSIGNMENT_MESSAGE, rule.department), role="status", className="mb-2"),
                _agents_table(rule, user),
            ]),
        ],
        id=_key(ids.ASSIGNMENT_CARD, rule.department), className="mb-3",
    )


def layout(**_query):
    """Built per request: the rules for Managers and Admins, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    heading = html.H1("Auto-assignment", className="h3 mb-3")
    if not rules.can_set_assignment_rules(user):
        return html.Div([heading, dbc.Alert(DENIED, color="info", id=ids.ASSIGNMENT_DENIED)])
    departments = assignment.overview(actor=user)
    cards = [_card(rule, user) for rule in departments] or [dbc.Alert(
        "No departments yet: give people a department on the Users page.", color="info", id=ids.ASSIGNMENT_EMPTY)]
    return dbc.Row(dbc.Col([heading, html.P(EXPLAINED, className="text-body-secondary"), *cards], lg=8))


@callback(
    Output(_key(ids.ASSIGNMENT_MESSAGE, MATCH), "children"),
    Input(_key(ids.ASSIGNMENT_SAVE, MATCH), "n_clicks"),
    State(_key(ids.ASSIGNMENT_MODE, MATCH), "value"),
    State(_key(ids.ASSIGNMENT_MODE, MATCH), "id"),
    prevent_initial_call=True,
)
def save(_clicks, mode, component):
    """Set one department's mode through the rules' own workflow (which checks the user again)."""
    user = _supervisor()
    if user is None:
        return dbc.Alert(DENIED, color="danger")
    department = component["department"]
    try:
        assignment.set_rules(actor=user, rules_by_department={department: mode})
    except DomainError as error:
        return dbc.Alert(f"Not saved. {error_sentence(error)}", color="danger")
    return dbc.Alert(f"Saved: {SAVED[mode].format(department)}", color="success", duration=6000)
