"""The profile page's "Service tokens" section: create a token (its secret shown once), list yours, revoke one
after a question; an Admin also sees everyone's usable tokens and may revoke them. The rules are
workflow.tokens', the same the API's /api/tokens follows.

The callbacks are registered by the page that shows the section (`register_callbacks`, once, at its import).
"""
import uuid
from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from db.types import utcnow
from domain import rules
from domain.errors import DomainError
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.confirm import clicked_row, confirm_modal, question
from portal.components.errors import error_sentence
from portal.components.forms import labelled_field
from portal.components.secret_once import secret_alert
from workflow import tokens

#: The lifetimes offered, in days (the API takes any moment up to a year away).
LIFETIMES = (7, 30, 90, 180, 365)
#: How many tokens each list shows: a person keeps a few; an Admin looks for one to revoke.
SHOWN = 100
ACCESS = {"read": "Read only", "write": "Read and write"}
STATES = {"active": ("Active", "success"), "expired": ("Expired", "secondary"), "revoked": ("Revoked", "secondary")}


def section(user) -> html.Section:
    """The section as the signed-in `user` sees it."""
    admin = rules.can_manage_all_tokens(user)
    return html.Section(
        [
            html.H2("Service tokens", className="h5 mt-4 mb-2"),
            html.P(
                ["For scripts and integrations: send a token as ", html.Code("Authorization: Bearer <token>"),
                 " to the API. It acts as you, within its access, until it expires or you revoke it. It keeps working "
                 "when you change your password; it stops if your account is deactivated."],
                className="text-body-secondary",
            ),
            labelled_field("Token name", ids.TOKENS_NAME, dbc.Input(
                id=ids.TOKENS_NAME, maxLength=tokens.MAX_NAME_LENGTH, placeholder="e.g. Nightly BI sync"),
                hint="What it is for, so you know which to revoke later."),
            dbc.Row(
                [
                    dbc.Col([
                        dbc.Label("Expires in", html_for=ids.TOKENS_EXPIRY),
                        dbc.Select(id=ids.TOKENS_EXPIRY, value=str(tokens.DEFAULT_LIFETIME.days),
                                   options=[{"label": f"{days} days", "value": str(days)} for days in LIFETIMES]),
                    ], sm=6),
                    dbc.Col([
                        dbc.Label("Access", html_for=ids.TOKENS_ACCESS),
                        dbc.RadioItems(id=ids.TOKENS_ACCESS, value="read", inline=True,
                                       options=[{"label": label, "value": value} for value, label in ACCESS.items()]),
                    ], sm=6),
                ],
                className="mb-3",
            ),
            dbc.Button("Create token", id=ids.TOKENS_CREATE, color="secondary", className="mb-3"),
            html.Div(id=ids.TOKENS_CREATED),
            html.Div(id=ids.TOKENS_MESSAGE, role="status"),
            dcc.Store(id=ids.TOKENS_CHANGED, data=0),
            dcc.Store(id=ids.TOKENS_PENDING),
            html.H3("Your tokens", className="h6 mt-3"),
            html.Div(_own(user), id=ids.TOKENS_OWN),
            *([html.H3("All users' usable tokens", className="h6 mt-3"), html.Div(_everyone(user), id=ids.TOKENS_ALL)]
              if admin else [html.Div(id=ids.TOKENS_ALL)]),
            confirm_modal(ids.TOKENS_CONFIRM, "Revoke this token?", body_id=ids.TOKENS_CONFIRM_TEXT,
                          no_id=ids.TOKENS_CONFIRM_NO, yes_id=ids.TOKENS_CONFIRM_YES, yes_label="Revoke token"),
        ],
        id=ids.TOKENS_SECTION,
    )


def _own(user) -> html.Div | dbc.Table:
    page = tokens.list_tokens(actor=user, user_id=user.id, limit=SHOWN, cursor=None)
    return _table(user, page, owners=False, empty="You have no service tokens.")


def _everyone(user) -> html.Div | dbc.Table:
    page = tokens.list_tokens(actor=user, active=True, limit=SHOWN, cursor=None)
    return _table(user, page, owners=True, empty="Nobody has a usable service token.")


def _table(user, page, owners: bool, empty: str):
    """The tokens of a page, newest first; a usable one has its "Revoke" button."""
    if not page.items:
        return html.P(empty, className="text-body-secondary small")
    now = utcnow()
    head = ["Name", *(["Owner"] if owners else []), "Token", "Access", "Created", "Expires", "Last used", ""]
    rows = [_row(user, token, owners, now) for token in page.items]
    note = [html.P(f"The newest {SHOWN} are shown.", className="small text-body-secondary")] if page.next_cursor else []
    return html.Div([
        dbc.Table([html.Thead(html.Tr([html.Th(text) for text in head])), html.Tbody(rows)],
                  size="sm", hover=True, responsive=True, className="align-middle small mb-1"),
        *note,
    ])


def _row(user, token, owners: bool, now) -> html.Tr:
    state = tokens.state(token, now)
    label, colour = STATES[state]
    revoke_id = {"type": ids.TOKENS_REVOKE, "token": str(token.id), "list": "all" if owners else "own"}
    action = (dbc.Button("Revoke", id=revoke_id, color="danger",
                         outline=True, size="sm", title=f"Revoke {token.name}")
              if state == "active" else dbc.Badge(label, color=colour))
    return html.Tr([
        html.Td(token.name, className="text-break"),
        *([html.Td(token.username)] if owners else []),
        html.Td(html.Code(f"{token.prefix}…")),
        html.Td(ACCESS["write" if "write" in token.scopes.split() else "read"]),
        html.Td(times.when(token.created_at, user, now)),
        html.Td(times.when(token.expires_at, user, now)),
        html.Td(times.when(token.last_used_at, user, now, lapse=True)),
        html.Td(action),
    ])


def create(_clicks, name, days, access, changed):
    """Create a token as the signed-in user: its secret shown once, or why not."""
    user = portal_user()
    if user is None:
        return None, dbc.Alert("Sign in first.", color="danger"), no_update, no_update
    try:
        lifetime = timedelta(days=int(days or tokens.DEFAULT_LIFETIME.days))
        now = utcnow()
        issued = tokens.create_token(actor=user, name=name or "", now=now, expires_at=now + lifetime,
                                     scopes=["read", "write"] if access == "write" else ["read"])
    except (DomainError, ValueError) as exc:
        return None, dbc.Alert(f"Not created. {error_sentence(exc)}", color="danger"), no_update, no_update
    shown = secret_alert(f"Token “{issued.token.name}” created. ", "Copy it now: it is not shown again.",
                         "The new token", issued.secret, input_id=ids.TOKENS_SECRET, copy_id=ids.TOKENS_COPY)
    return shown, None, "", (changed or 0) + 1


def ask(_clicks):
    """A "Revoke" click: which token, and the question about it."""
    clicked = clicked_row()
    if clicked is None:
        return no_update, no_update, no_update
    user = portal_user()
    if user is None:
        return no_update, no_update, no_update
    try:
        token = tokens.get_token(actor=user, token_id=uuid.UUID(clicked["token"]))
    except (DomainError, ValueError, KeyError, TypeError):
        return no_update, no_update, no_update
    whose = "" if token.user_id == user.id else " It belongs to another user."
    consequence = f"Whatever uses it is refused from its next request on; this cannot be undone.{whose}"
    return str(token.id), True, question(html.Strong(token.name), consequence)


def answer(_yes, _no, pending, changed):
    """Revoke the pending token on "Revoke token"; "Cancel" only closes the question."""
    if ctx.triggered_id != ids.TOKENS_CONFIRM_YES or not pending:
        return False, no_update, None, no_update
    user = portal_user()
    if user is None:
        return False, dbc.Alert("Sign in first.", color="danger"), None, no_update
    try:
        token = tokens.revoke_token(actor=user, token_id=uuid.UUID(pending))
    except (DomainError, ValueError) as exc:
        return False, dbc.Alert(f"Not revoked. {error_sentence(exc)}", color="danger"), None, no_update
    return False, dbc.Alert(f"Token “{token.name}” revoked.", color="success", duration=6000), None, (changed or 0) + 1


def refresh(_changed):
    """The lists again, after a token was created or revoked."""
    user = portal_user()
    if user is None:
        return no_update, no_update
    return _own(user), (_everyone(user) if rules.can_manage_all_tokens(user) else None)


def register_callbacks() -> None:
    """Register the section's callbacks (by the page that shows it, once, at its import)."""
    callback(
        Output(ids.TOKENS_CREATED, "children"),
        Output(ids.TOKENS_MESSAGE, "children"),
        Output(ids.TOKENS_NAME, "value"),
        Output(ids.TOKENS_CHANGED, "data"),
        Input(ids.TOKENS_CREATE, "n_clicks"),
        State(ids.TOKENS_NAME, "value"),
        State(ids.TOKENS_EXPIRY, "value"),
        State(ids.TOKENS_ACCESS, "value"),
        State(ids.TOKENS_CHANGED, "data"),
        prevent_initial_call=True,
    )(create)
    callback(
        Output(ids.TOKENS_PENDING, "data"),
        Output(ids.TOKENS_CONFIRM, "is_open"),
        Output(ids.TOKENS_CONFIRM_TEXT, "children"),
        Input({"type": ids.TOKENS_REVOKE, "token": ALL, "list": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(ask)
    callback(
        Output(ids.TOKENS_CONFIRM, "is_open", allow_duplicate=True),
        Output(ids.TOKENS_MESSAGE, "children", allow_duplicate=True),
        Output(ids.TOKENS_PENDING, "data", allow_duplicate=True),
        Output(ids.TOKENS_CHANGED, "data", allow_duplicate=True),
        Input(ids.TOKENS_CONFIRM_YES, "n_clicks"),
        Input(ids.TOKENS_CONFIRM_NO, "n_clicks"),
        State(ids.TOKENS_PENDING, "data"),
        State(ids.TOKENS_CHANGED, "data"),
        prevent_initial_call=True,
    )(answer)
    callback(
        Output(ids.TOKENS_OWN, "children"),
        Output(ids.TOKENS_ALL, "children"),
        Input(ids.TOKENS_CHANGED, "data"),
        prevent_initial_call=True,
    )(refresh)
