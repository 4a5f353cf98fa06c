"""The shell around every page: navigation by role, the user, the bell, the theme toggle."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from flask import current_app

import auth
from db.types import utcnow
from domain import rules
from notifications import store
from portal import ids
from portal.access import portal_user
from portal.components import notice, times
from workflow import notifications as notices
from workflow import users

#: (label, path, icon, the rule that lets a user see it; None: everyone)
NAVIGATION = (
    ("My work", "/", "bi-inbox", None),
    ("Board", "/board", "bi-kanban", None),
    ("Tasks", "/tasks", "bi-table", None),
    ("Cases", "/cases", "bi-folder2-open", None),
    ("Analytics", "/analytics", "bi-graph-up", rules.can_view_analytics),
    ("Workload", "/workload", "bi-people-fill", rules.can_view_analytics),
    ("New task", "/new-task", "bi-plus-circle", rules.can_create_task),
)
#: The Admin's pages (and the Managers' settings), under one "Admin" menu so that the navbar stays on one line.
ADMIN_NAVIGATION = (
    ("Users", "/admin/users", "bi-people", rules.can_manage_users),
    ("SLA settings", "/admin/sla", "bi-stopwatch", rules.can_set_escalation_rules),
    ("Auto-assignment", "/admin/assignment", "bi-shuffle", rules.can_set_assignment_rules),
    ("Webhooks", "/admin/webhooks", "bi-broadcast", rules.can_manage_webhooks),
    ("Audit log", "/admin/audit", "bi-journal-text", rules.can_read_audit),
)
#: Served by Flask, not Dash: a link there must load the page, not route inside the portal.
API_DOCS = ("API", "/api/docs/", "bi-braces", None)
#: How many of the latest notifications the bell's dropdown shows.
BELL_LATEST = 8
BELL_MENU_CLASS = "dropdown-menu dropdown-menu-lg-end p-0 shadow"


def _visible(user, entries) -> list[tuple[str, str, str]]:
    return [(label, path, icon) for label, path, icon, may_see in entries if may_see is None or may_see(user)]


def pages_for(user) -> list[tuple[str, str, str]]:
    """(label, path, icon) of every portal page the navbar offers `user`, the Admin menu's included."""
    return _visible(user, NAVIGATION + ADMIN_NAVIGATION)


def _nav_links(user) -> list:
    links = [
        dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon} me-1"), label], href=path, active="exact"))
        for label, path, icon in _visible(user, NAVIGATION)
    ]
    admin = _visible(user, ADMIN_NAVIGATION)
    if admin:
        links.append(dbc.DropdownMenu(
            [dbc.DropdownMenuItem([html.I(className=f"bi {icon} me-2"), label], href=path) for label, path, icon in admin],
            id=ids.NAV_ADMIN_MENU, label=[html.I(className="bi bi-shield-lock me-1"), "Admin"], nav=True, in_navbar=True,
            align_end=True,
        ))
    label, path, icon, _ = API_DOCS
    links.append(dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon} me-1"), label], href=path, external_link=True)))
    return links


def _bell() -> html.Div:
    """The bell: a button showing the unread count that opens the latest notifications."""
    menu = html.Div(
        [
            html.Div(
                [
                    html.Strong("Notifications", className="me-auto"),
                    dbc.Button("Mark all read", id=ids.BELL_MARK_ALL, color="link", size="sm", className="p-0"),
                ],
                className="d-flex align-items-center px-3 py-2 border-bottom",
            ),
            html.Div(id=ids.BELL_LIST, className="list-group list-group-flush"),
            dcc.Link("See all", href="/notifications", className="d-block text-center py-2 border-top"),
        ],
        id=ids.BELL_MENU,
        className=BELL_MENU_CLASS,
        style={"width": "min(24rem, 92vw)"},
        # Bootstrap places a `data-bs-popper` menu below its toggle without its JavaScript.
        **{"data-bs-popper": "static", "aria-label": "Latest notifications", "role": "region"},
    )
    toggle = html.Button(
        [
            html.I(className="bi bi-bell", **{"aria-hidden": "true"}),
            html.Span("Notifications, unread:", className="visually-hidden"),
            dbc.Badge("", id=ids.BELL_COUNT, color="danger", pill=True, className="ms-1"),
        ],
        id=ids.BELL_TOGGLE, n_clicks=0, type="button", title="Notifications",
        className="btn btn-link nav-link text-light",
        **{"aria-expanded": "false", "aria-controls": ids.BELL_MENU},
    )
    return html.Div([toggle, menu], className="dropdown bell me-2")


def _bell_items(user) -> list:
    """The user's latest notifications as links, unread ones highlighted (content stays text)."""
    latest = store.list_notifications(user=user, unread=None, limit=BELL_LATEST, cursor=None).items
    if not latest:
        return [html.Div("No notifications yet.", className="list-group-item text-body-secondary")]
    now = utcnow()
    items = []
    for notification in latest:
        unread = not notification.read
        href = f"/tasks/{notification.related_task_id}" if notification.related_task_id else "/notifications"
        items.append(
            dcc.Link(
                [
                    html.Span("Unread: ", className="visually-hidden") if unread else None,
                    html.Div(notification.content, className="text-break"),
                    html.Small(
                        f"{notification.type.value} · {times.recent(notification.created_at, user, now)}",
                        title=f"{times.moment(notification.created_at, user)} {times.zone_label(user)}",
                        className="text-body-secondary fw-normal",
                    ),
                ],
                href=href,
                className="list-group-item list-group-item-action bell-item "
                + ("bell-unread fw-semibold bg-primary-subtle" if unread else "bell-read"),
            )
        )
    return items


def _navbar(user) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([html.I(className="bi bi-kanban me-2"), html.Span("Workflow Manager", className="brand-name")], href="/"),
                dbc.NavbarToggler(id="nav-toggler"),
                dbc.Collapse(
                    [
                        dbc.Nav(_nav_links(user), navbar=True, className="me-auto"),
                        html.Div(
                            [
                                _bell(),
                                html.Button(
                                    html.I(className="bi bi-circle-half"), id=ids.THEME_TOGGLE, n_clicks=0,
                                    className="btn btn-link text-light me-2", title="Light or dark theme",
                                    **{"aria-label": "Switch light or dark theme"},
                                ),
                                dcc.Link(
                                    html.Span(
                                        [html.I(className="bi bi-person-circle me-1", **{"aria-hidden": "true"}),
                                         html.Strong(user.full_name), html.Span(f" · {user.role.value}", className="opacity-75")],
                                        id=ids.NAV_USER, className="small nav-user", title=f"{user.full_name} · {user.role.value}",
                                    ),
                                    href="/profile", id=ids.NAV_PROFILE, className="text-light text-decoration-none me-3",
                                    title="Your profile: name, contact details, time zone, password",
                                ),
                                html.Form(
                                    [
                                        dcc.Input(type="hidden", name="csrf_token", value=auth.csrf_token()),
                                        html.Button("Sign out", type="submit", className="btn btn-outline-light btn-sm text-nowrap"),
                                    ],
                                    method="post", action="/logout", className="d-inline",
                                ),
                            ],
                            className="d-flex align-items-center",
                        ),
                    ],
                    id="nav-collapse", navbar=True, is_open=False,
                ),
            ],
            fluid=True,
        ),
        # Collapsed below 1200 px: narrower, the Admin's links would not fit on one line.
        color="primary", dark=True, expand="xl", className="mb-3 app-navbar",
    )


def layout():
    """The page shell, built per request for the signed-in user."""
    user = portal_user()
    if user is None:  # the session guard redirects first; this is belt and braces
        return html.Div(dcc.Location(id="to-login", href="/login"))
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            dcc.Store(id=ids.THEME_STORE, storage_type="local"),
            dcc.Interval(id=ids.BELL_INTERVAL, interval=current_app.config["PORTAL_POLL_SECONDS"] * 1000),
            dcc.Store(id=ids.BELL_OPEN, data=False),
            dcc.Store(id=ids.BELL_LOAD),
            # "known" once the user has a time zone; else the browser's is sent, and kept (first sign-in).
            dcc.Store(id=ids.BROWSER_ZONE, data="known" if user.time_zone else None),
            _navbar(user),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    notice.register_callbacks(app)
    app.clientside_callback(
        """
        function(_id, known) {
            if (known) { return window.dash_clientside.no_update; }
            try { return Intl.DateTimeFormat().resolvedOptions().timeZone || window.dash_clientside.no_update; }
            catch (e) { return window.dash_clientside.no_update; }
        }
        """,
        Output(ids.BROWSER_ZONE, "data"),
        Input(ids.BROWSER_ZONE, "id"),
        State(ids.BROWSER_ZONE, "data"),
    )

    @app.callback(Input(ids.BROWSER_ZONE, "data"), prevent_initial_call=True)
    def adopt_browser_zone(zone):
        """The browser's zone becomes the user's while they have none (workflow.users.adopt_browser_zone)."""
        user = portal_user()
        if user is not None and isinstance(zone, str) and zone != "known":
            users.adopt_browser_zone(user=user, zone=zone)

    """The shell's callbacks, registered on `app` itself (the shell module is imported once)."""

    @app.callback(
        Output(ids.BELL_COUNT, "children"), Input(ids.BELL_INTERVAL, "n_intervals"), State(ids.BELL_COUNT, "children")
    )
    def bell(_ticks, shown):
        """The unread count: one indexed count per poll, and nothing else."""
        user = portal_user()
        count = store.unread_count(user_id=user.id) if user else 0
        text = str(count) if count else ""
        # An unchanged count is no update, so the open dropdown reloads only when there is news.
        return no_update if text == (shown or "") else text

    app.clientside_callback(
        """
        function(clicks, open) {
            if (!window.bellListens) {
                // Escape, a click outside the bell, or following one of its links closes the dropdown.
                window.bellListens = true;
                const close = () => {
                    const toggle = document.getElementById('TOGGLE');
                    if (toggle && toggle.getAttribute('aria-expanded') === 'true') { toggle.click(); return toggle; }
                };
                document.addEventListener('keydown', (event) => {
                    if (event.key === 'Escape') { const toggle = close(); if (toggle) { toggle.focus(); } }
                });
                document.addEventListener('click', (event) => {
                    if (!event.target.closest('.bell') || event.target.closest('#MENU a')) { close(); }
                });
            }
            const next = clicks ? !open : false;
            return [next, 'CLASSES' + (next ? ' show' : ''), String(next)];
        }
        """.replace("TOGGLE", ids.BELL_TOGGLE).replace("MENU", ids.BELL_MENU).replace("CLASSES", BELL_MENU_CLASS),
        Output(ids.BELL_OPEN, "data"),
        Output(ids.BELL_MENU, "className"),
        Output(ids.BELL_TOGGLE, "aria-expanded"),
        Input(ids.BELL_TOGGLE, "n_clicks"),
        State(ids.BELL_OPEN, "data"),
    )

    # The list is loaded only while the dropdown is open: when it opens and when the count changes.
    app.clientside_callback(
        "function(open, _count) { return open ? Date.now() : window.dash_clientside.no_update; }",
        Output(ids.BELL_LOAD, "data"),
        Input(ids.BELL_OPEN, "data"),
        Input(ids.BELL_COUNT, "children"),
    )

    @app.callback(Output(ids.BELL_LIST, "children"), Input(ids.BELL_LOAD, "data"), prevent_initial_call=True)
    def bell_list(_stamp):
        """The latest notifications, for the open dropdown."""
        user = portal_user()
        return _bell_items(user) if user else []

    @app.callback(
        Output(ids.BELL_LIST, "children", allow_duplicate=True),
        Output(ids.BELL_INTERVAL, "n_intervals", allow_duplicate=True),
        Input(ids.BELL_MARK_ALL, "n_clicks"),
        State(ids.BELL_INTERVAL, "n_intervals"),
        prevent_initial_call=True,
    )
    def bell_mark_all(clicks, ticks):
        """Mark all read, show the list again and poke the count."""
        user = portal_user()
        if user is None or not clicks:
            return no_update, no_update
        notices.mark_all_read(user=user)
        return _bell_items(user), (ticks or 0) + 1

    app.clientside_callback(
        """
        function(clicks, stored) {
            let theme = stored || (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
            if (clicks) { theme = theme === 'dark' ? 'light' : 'dark'; }
            document.documentElement.setAttribute('data-bs-theme', theme);
            // AG Grid's built-in themes hold its colorSchemeVariable part: this attribute on an ancestor picks the mode.
            document.documentElement.setAttribute('data-ag-theme-mode', theme);
            return theme;
        }
        """,
        Output(ids.THEME_STORE, "data"),
        Input(ids.THEME_TOGGLE, "n_clicks"),
        State(ids.THEME_STORE, "data"),
    )

    # The Admin menu looks current on the Admin's pages, as a NavLink does on its own.
    app.clientside_callback(
        "function(path) { return (path || '').startsWith('/admin/') ? 'active' : ''; }",
        Output(ids.NAV_ADMIN_MENU, "toggle_class_name"),
        Input(ids.URL, "pathname"),
    )

    @app.callback(Output("nav-collapse", "is_open"), Input("nav-toggler", "n_clicks"), State("nav-collapse", "is_open"),
                  prevent_initial_call=True)
    def toggle_menu(_clicks, is_open):
        return not is_open

