"""User administration (Admin only): the directory, filtered and searched, a form to create a user, a dialog to edit one."""
import uuid
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from db.models import Role
from domain import rules
from domain.errors import Conflict, DomainError
from domain.schemas import UserCreate, UserUpdate
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.errors import error_sentence, field_sentences
from portal.components.forms import feedback, labelled_field
from portal.components.paged_list import PagedList, filter_bar, filter_field
from workflow import users

dash.register_page(__name__, path="/admin/users", title="Users · Workflow Manager", name="Users")

PAGE_SIZE = 50
DENIED = "Only admins manage users."
ROLE_OPTIONS = [{"label": role.value, "value": role.value} for role in Role]
ROLE_VALUES = {role.value for role in Role}
ACTIVE_SHOWN = {"all": "All", "active": "Active", "inactive": "Inactive"}
PHONE_HINT = "E.164, e.g. +447700900123"
#: Messages for a value of the wrong shape (the schema's patterns), instead of the generic one.
FORMATS = {
    "username": "3 to 64 letters, digits, dots, dashes or underscores.",
    "email": "Enter an email address such as name@example.com.",
    "phone": f"Enter the number in {PHONE_HINT}.",
}
CREATE_FIELDS = {
    "username": ids.ADMIN_USERS_NEW_USERNAME,
    "email": ids.ADMIN_USERS_NEW_EMAIL,
    "full_name": ids.ADMIN_USERS_NEW_FULL_NAME,
    "role": ids.ADMIN_USERS_NEW_ROLE,
    "department": ids.ADMIN_USERS_NEW_DEPARTMENT,
    "phone": ids.ADMIN_USERS_NEW_PHONE,
    "password": ids.ADMIN_USERS_NEW_PASSWORD,
}
EDIT_FIELDS = {
    "full_name": ids.ADMIN_USER_FULL_NAME,
    "email": ids.ADMIN_USER_EMAIL,
    "role": ids.ADMIN_USER_ROLE,
    "department": ids.ADMIN_USER_DEPARTMENT,
    "phone": ids.ADMIN_USER_PHONE,
    "password": ids.ADMIN_USER_PASSWORD,
}
USERS = PagedList(rows=ids.ADMIN_USERS_LIST, cursor=ids.ADMIN_USERS_CURSOR, more=ids.ADMIN_USERS_MORE)


def _admin():
    """The signed-in user if they may manage users, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_manage_users(user) else None


def _errors(exc: ValidationError) -> dict[str, str]:
    """A sentence per field, with a format hint where a non-blank value has the wrong shape."""
    errors = field_sentences(exc)
    for error in exc.errors():
        field = str(error["loc"][0])
        if error["type"] == "string_pattern_mismatch" and field in FORMATS and str(error.get("input", "")).strip():
            errors[field] = FORMATS[field]
    return errors


def _conflict_errors(error: Conflict) -> dict[str, str]:
    """A taken username or email, on its field."""
    return field_sentences(error)


def _optional(value: str | None) -> str | None:
    return (value or "").strip() or None


def _page(role: str | None, shown: str | None, q: str | None, cursor: str | None):
    return users.list_users(
        role=Role(role) if role in ROLE_VALUES else None,
        department=None,
        is_active={"active": True, "inactive": False}.get(shown),
        q=(q or "").strip()[:200] or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )


def _email(address: str) -> list:
    """The address that may wrap before its "@" only, each part cut short with an ellipsis if it is very long."""
    local, at, domain = address.partition("@")
    parts = [local, html.Wbr(), at + domain] if at else [address]
    return [html.Span(part, className="user-email-part") if isinstance(part, str) else part for part in parts]


def _last_login(moment, viewer, now: datetime):
    """The last sign-in on the viewer's clock, or "Never"."""
    return "Never" if moment is None else times.when(moment, viewer, now)


def _rows(page) -> list:
    # Dash renders strings as text: names and emails never become markup.
    narrow = "d-none d-md-table-cell"
    viewer, now = portal_user(), datetime.now(timezone.utc)  # times on the clock of the Admin reading them
    return [
        html.Tr(
            [
                html.Td([
                    html.Div(user.username),
                    # On a phone the name and address sit under the username instead of in columns of their own.
                    html.Div([html.Div(user.full_name), html.Div(_email(user.email), title=user.email)],
                             className="d-md-none small text-body-secondary"),
                ]),
                html.Td(user.full_name, className=narrow),
                html.Td(_email(user.email), className=f"user-email {narrow}", title=user.email),
                html.Td(user.role.value),
                html.Td(user.department or "—", className=narrow),
                html.Td(user.phone or "—", className=f"text-nowrap {narrow}"),
                html.Td(dbc.Badge("Active", color="success") if user.is_active else dbc.Badge("Inactive", color="secondary")),
                html.Td(_last_login(user.last_login, viewer, now), className=narrow),
                html.Td(dbc.Button(
                    "Edit", id={"type": ids.ADMIN_USERS_EDIT, "id": str(user.id)}, size="sm", color="primary", outline=True,
                    title=f"Edit {user.username}",
                )),
            ],
            **{"data-user-id": str(user.id)},
        )
        for user in page.items
    ]


def _first_rows(page) -> list:
    """The first page's rows; when the filters find nobody, one row that says so and offers the next step."""
    if page.items:
        return _rows(page)
    return [html.Tr(html.Td(
        [
            html.P("No users match these filters.", className="fw-semibold mb-1"),
            html.P("Clear the filters to see everyone, or create the user with the Create user form.",
                   className="text-body-secondary small mb-2"),
            dbc.Button("Clear filters", id=ids.ADMIN_USERS_CLEAR, size="sm", color="primary", outline=True),
        ],
        colSpan=9, className="text-center py-4",
    ), id=ids.ADMIN_USERS_EMPTY)]


def _filter_bar() -> dbc.Row:
    return filter_bar(
        filter_field("Role", dbc.Select(
            id=ids.ADMIN_USERS_ROLE, value="all", options=[{"label": "All roles", "value": "all"}, *ROLE_OPTIONS],
        ), xs=6, md=3),
        filter_field("Status", dbc.Select(
            id=ids.ADMIN_USERS_ACTIVE, value="all", options=[{"label": v, "value": k} for k, v in ACTIVE_SHOWN.items()],
        ), xs=6, md=3),
        filter_field("Search", dbc.Input(
            id=ids.ADMIN_USERS_Q, type="search", placeholder="Username or name", debounce=0.5, maxLength=200,
        ), xs=12, md=6),
    )


def _create_form() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Create user", className="h6 mb-0")),
            dbc.CardBody(
                [
                    html.Div(id=ids.ADMIN_USERS_CREATE_MESSAGE),
                    labelled_field("Username", ids.ADMIN_USERS_NEW_USERNAME, dbc.Input(
                        id=ids.ADMIN_USERS_NEW_USERNAME, maxLength=64, autoComplete="off")),
                    labelled_field("Email", ids.ADMIN_USERS_NEW_EMAIL, dbc.Input(
                        id=ids.ADMIN_USERS_NEW_EMAIL, type="email", maxLength=254, autoComplete="off")),
                    labelled_field("Full name", ids.ADMIN_USERS_NEW_FULL_NAME, dbc.Input(id=ids.ADMIN_USERS_NEW_FULL_NAME, maxLength=200)),
                    labelled_field("Role", ids.ADMIN_USERS_NEW_ROLE, dbc.Select(
                        id=ids.ADMIN_USERS_NEW_ROLE, value=Role.AGENT.value, options=ROLE_OPTIONS)),
                    labelled_field("Department", ids.ADMIN_USERS_NEW_DEPARTMENT, dbc.Input(
                        id=ids.ADMIN_USERS_NEW_DEPARTMENT, maxLength=100), hint="Optional"),
                    labelled_field("Phone", ids.ADMIN_USERS_NEW_PHONE, dbc.Input(
                        id=ids.ADMIN_USERS_NEW_PHONE, type="tel", maxLength=16), hint=f"Optional; {PHONE_HINT}"),
                    labelled_field("Password", ids.ADMIN_USERS_NEW_PASSWORD, dbc.Input(
                        id=ids.ADMIN_USERS_NEW_PASSWORD, type="password", autoComplete="new-password", maxLength=200),
                        hint="At least 10 characters"),
                    dbc.Button("Create user", id=ids.ADMIN_USERS_CREATE, color="primary"),
                ]
            ),
        ],
        className="mb-3",
    )


def _editor() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=ids.ADMIN_USER_EDITOR_TITLE)),
            dbc.ModalBody(
                [
                    html.Div(id=ids.ADMIN_USER_MESSAGE),
                    labelled_field("Full name", ids.ADMIN_USER_FULL_NAME, dbc.Input(id=ids.ADMIN_USER_FULL_NAME, maxLength=200)),
                    labelled_field("Email", ids.ADMIN_USER_EMAIL, dbc.Input(id=ids.ADMIN_USER_EMAIL, type="email", maxLength=254)),
                    labelled_field("Role", ids.ADMIN_USER_ROLE, dbc.Select(id=ids.ADMIN_USER_ROLE, options=ROLE_OPTIONS)),
                    labelled_field("Department", ids.ADMIN_USER_DEPARTMENT, dbc.Input(id=ids.ADMIN_USER_DEPARTMENT, maxLength=100)),
                    labelled_field("Phone", ids.ADMIN_USER_PHONE, dbc.Input(id=ids.ADMIN_USER_PHONE, type="tel", maxLength=16),
                                   hint=PHONE_HINT),
                    labelled_field("New password", ids.ADMIN_USER_PASSWORD, dbc.Input(
                        id=ids.ADMIN_USER_PASSWORD, type="password", autoComplete="new-password", maxLength=200),
                        hint="Leave blank to keep it; a new one signs the user out everywhere"),
                    dbc.Switch(id=ids.ADMIN_USER_ACTIVE, label="Active: can sign in (switch off to deactivate)", value=True),
                ]
            ),
            dbc.ModalFooter([
                dbc.Button("Sign out everywhere", id=ids.ADMIN_USER_SIGN_OUT, color="danger", outline=True,
                           className="me-auto", title="End every session and API token of this user"),
                dbc.Button("Save", id=ids.ADMIN_USER_SAVE, color="primary"),
            ]),
        ],
        id=ids.ADMIN_USER_EDITOR, is_open=False, fade=False,
    )


def layout(**_query):
    """Built per request: the directory and forms for Admins, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_manage_users(user):
        return html.Div([html.H1("Users", className="h3 mb-3"), dbc.Alert(DENIED, color="info", id=ids.ADMIN_USERS_DENIED)])
    page = _page(None, None, None, None)
    narrow = "d-none d-md-table-cell"
    table = dbc.Table(
        [
            html.Thead(html.Tr([
                html.Th("Username"), html.Th("Full name", className=narrow), html.Th("Email", className=narrow), html.Th("Role"),
                html.Th("Department", className=narrow), html.Th("Phone", className=narrow), html.Th("Status"),
                html.Th(["Last login", times.zone_note(user, className="d-block")], className=narrow),
                html.Th(html.Span("Actions", className="visually-hidden")),
            ])),
            html.Tbody(_rows(page), id=ids.ADMIN_USERS_LIST),
        ],
        hover=True, responsive=True, size="sm", className="align-middle small",
    )
    listing = [
        _filter_bar(),
        table,
        USERS.store(page.next_cursor),
        dcc.Store(id=ids.ADMIN_USERS_CHANGED),
        dcc.Store(id=ids.ADMIN_USER_EDITING),
        USERS.button(page.next_cursor),
    ]
    return html.Div(
        [
            html.H1("Users", className="h3 mb-3"),
            html.Div(id=ids.ADMIN_USERS_MESSAGE),
            dbc.Row([dbc.Col(listing, lg=8, xxl=9), dbc.Col(_create_form(), lg=4, xxl=3)], className="g-3"),
            _editor(),
        ]
    )


@USERS.on_filter(
    Input(ids.ADMIN_USERS_ROLE, "value"),
    Input(ids.ADMIN_USERS_ACTIVE, "value"),
    Input(ids.ADMIN_USERS_Q, "value"),
    Input(ids.ADMIN_USERS_CHANGED, "data"),
    render=_first_rows,
)
def filter_users(role, shown, q, _changed):
    """The first page for new filters, or after a change."""
    if _admin() is None:
        raise PreventUpdate
    return _page(role, shown, q, None)


@USERS.on_more(
    State(ids.ADMIN_USERS_ROLE, "value"),
    State(ids.ADMIN_USERS_ACTIVE, "value"),
    State(ids.ADMIN_USERS_Q, "value"),
    render=_rows,
)
def more_users(cursor, role, shown, q):
    """Append the next page (keyset cursor)."""
    if _admin() is None:
        raise PreventUpdate
    return _page(role, shown, q, cursor)


@callback(
    Output(ids.ADMIN_USERS_CREATE_MESSAGE, "children"),
    Output(ids.ADMIN_USERS_CHANGED, "data"),
    *[Output(input_id, "value") for name, input_id in CREATE_FIELDS.items() if name != "role"],
    *[Output(input_id, "invalid") for input_id in CREATE_FIELDS.values()],
    *[Output(f"{input_id}-error", "children") for input_id in CREATE_FIELDS.values()],
    Input(ids.ADMIN_USERS_CREATE, "n_clicks"),
    *[State(input_id, "value") for input_id in CREATE_FIELDS.values()],
    prevent_initial_call=True,
)
def create_user(_clicks, username, email, full_name, role, department, phone, password):
    """Validate with the API's UserCreate, create the user, clear the form and reload the list."""
    user = _admin()
    if user is None:
        raise PreventUpdate
    keep = (no_update,) * (len(CREATE_FIELDS) - 1)
    try:
        form = UserCreate(
            username=(username or "").strip(), email=(email or "").strip(), full_name=full_name or "", role=role,
            password=password or "", department=_optional(department), phone=_optional(phone),
        )
    except ValidationError as exc:
        return (None, no_update) + keep + feedback(CREATE_FIELDS, _errors(exc))
    try:
        created = users.create_user(actor=user, **form.model_dump())
    except Conflict as error:
        errors = _conflict_errors(error)
        message = None if errors else dbc.Alert(error_sentence(error), color="danger")
        return (message, no_update) + keep + feedback(CREATE_FIELDS, errors)
    except DomainError as error:
        return (dbc.Alert(error_sentence(error), color="danger"), no_update) + keep + feedback(CREATE_FIELDS, {})
    message = dbc.Alert(f"Created {created.username}.", color="success", dismissable=True)
    return (message, str(uuid.uuid4())) + ("",) * len(keep) + feedback(CREATE_FIELDS, {})


def _editable(user) -> dict:
    """The fields the edit form shows, as JSON."""
    return {
        "full_name": user.full_name, "email": user.email, "role": user.role.value,
        "department": user.department, "phone": user.phone, "is_active": user.is_active,
    }


@callback(
    Output(ids.ADMIN_USER_EDITOR, "is_open"),
    Output(ids.ADMIN_USER_EDITING, "data"),
    Output(ids.ADMIN_USER_EDITOR_TITLE, "children"),
    Output(ids.ADMIN_USER_MESSAGE, "children"),
    *[Output(input_id, "value") for input_id in EDIT_FIELDS.values()],
    Output(ids.ADMIN_USER_ACTIVE, "value"),
    *[Output(input_id, "invalid") for input_id in EDIT_FIELDS.values()],
    *[Output(f"{input_id}-error", "children") for input_id in EDIT_FIELDS.values()],
    Input({"type": ids.ADMIN_USERS_EDIT, "id": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_editor(_clicks):
    """Open the edit dialog with the chosen user's current values."""
    # New rows' buttons (after filtering or "More") fire this too, unclicked.
    if _admin() is None or not isinstance(ctx.triggered_id, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    try:
        chosen = users.get_user(user_id=uuid.UUID(ctx.triggered_id["id"]))
    except (DomainError, ValueError):
        raise PreventUpdate from None
    values = _editable(chosen)
    return (
        (True, {"id": str(chosen.id), "original": values}, f"Edit {chosen.username}", None)
        + tuple(values.get(field) or "" for field in EDIT_FIELDS)
        + (values["is_active"],)
        + feedback(EDIT_FIELDS, {})
    )


@callback(
    Output(ids.ADMIN_USER_EDITOR, "is_open", allow_duplicate=True),
    Output(ids.ADMIN_USER_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ADMIN_USERS_MESSAGE, "children"),
    Output(ids.ADMIN_USERS_CHANGED, "data", allow_duplicate=True),
    *[Output(input_id, "invalid", allow_duplicate=True) for input_id in EDIT_FIELDS.values()],
    *[Output(f"{input_id}-error", "children", allow_duplicate=True) for input_id in EDIT_FIELDS.values()],
    Input(ids.ADMIN_USER_SAVE, "n_clicks"),
    State(ids.ADMIN_USER_EDITING, "data"),
    *[State(input_id, "value") for input_id in EDIT_FIELDS.values()],
    State(ids.ADMIN_USER_ACTIVE, "value"),
    prevent_initial_call=True,
)
def save_user(_clicks, editing, full_name, email, role, department, phone, password, is_active):
    """Validate with the API's UserUpdate and send only the fields changed since the dialog opened."""
    actor = _admin()
    if actor is None or not editing:
        raise PreventUpdate
    # A password only when one is typed: resetting another user's takes no current password.
    new_password = {"password": password} if password else {}
    try:
        form = UserUpdate(
            full_name=full_name or "", email=(email or "").strip(), role=role,
            department=_optional(department), phone=_optional(phone), is_active=bool(is_active), **new_password,
        )
    except ValidationError as exc:
        return (no_update, None, no_update, no_update) + feedback(EDIT_FIELDS, _errors(exc))
    sent = form.model_dump(mode="json", exclude_unset=True)
    changes = {field: getattr(form, field) for field, value in sent.items() if value != editing["original"].get(field)}
    if not changes:
        return (False, None, dbc.Alert("No changes to save.", color="info", dismissable=True), no_update) + feedback(EDIT_FIELDS, {})
    try:
        saved = users.update_user(actor=actor, user_id=uuid.UUID(editing["id"]), changes=changes)
    except Conflict as error:
        errors = _conflict_errors(error)
        return (no_update, dbc.Alert(error_sentence(error), color="danger"), no_update, no_update) + feedback(EDIT_FIELDS, errors)
    except DomainError as error:
        return (no_update, dbc.Alert(error_sentence(error), color="danger"), no_update, no_update) + feedback(EDIT_FIELDS, {})
    message = dbc.Alert(f"Saved {saved.username}.", color="success", dismissable=True)
    return (False, None, message, str(uuid.uuid4())) + feedback(EDIT_FIELDS, {})


@callback(
    Output(ids.ADMIN_USER_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ADMIN_USER_SIGN_OUT, "n_clicks"),
    State(ids.ADMIN_USER_EDITING, "data"),
    prevent_initial_call=True,
)
def sign_out_everywhere(_clicks, editing):
    """End every session and API token of the user in the dialog."""
    actor = _admin()
    if actor is None or not editing:
        raise PreventUpdate
    try:
        users.sign_out(actor=actor, user_id=uuid.UUID(editing["id"]))
    except DomainError as error:
        return dbc.Alert(error_sentence(error), color="danger")
    return dbc.Alert("Signed out everywhere: every session and API token of this user has ended.", color="success")


@callback(
    Output(ids.ADMIN_USERS_ROLE, "value"),
    Output(ids.ADMIN_USERS_ACTIVE, "value"),
    Output(ids.ADMIN_USERS_Q, "value"),
    Input(ids.ADMIN_USERS_CLEAR, "n_clicks"),
    prevent_initial_call=True,
)
def clear_filters(clicks):
    """The empty state's next step: every user again."""
    if _admin() is None or not clicks:
        raise PreventUpdate
    return "all", "all", ""
