"""The shell around every page: navigation by role, the user, the bell, the theme toggle."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

import auth
from notifications import store
from portal import ids
from portal.access import portal_user
from workflow import rules

#: (label, path, icon, the rule that lets a user see it; None: everyone)
NAVIGATION = (
    ("My work", "/", "bi-inbox", None),
    ("Board", "/board", "bi-kanban", None),
    ("Tasks", "/tasks", "bi-table", None),
    ("Cases", "/cases", "bi-folder2-open", None),
    ("New task", "/new-task", "bi-plus-circle", rules.can_create_task),
    ("Users", "/admin/users", "bi-people", rules.can_manage_users),
    ("API", "/api/docs/", "bi-braces", None),
)
BELL_POLL_MS = 15_000


def _nav_links(user) -> list:
    links = []
    for label, path, icon, may_see in NAVIGATION:
        if may_see is None or may_see(user):
            links.append(dbc.NavItem(dbc.NavLink([html.I(className=f"bi {icon} me-1"), label], href=path, active="exact")))
    return links


def _navbar(user) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand([html.I(className="bi bi-kanban me-2"), "Workflow Manager"], href="/"),
                dbc.NavbarToggler(id="nav-toggler"),
                dbc.Collapse(
                    [
                        dbc.Nav(_nav_links(user), navbar=True, className="me-auto"),
                        html.Div(
                            [
                                html.A(
                                    [html.I(className="bi bi-bell"), dbc.Badge("", id=ids.BELL_COUNT, color="danger", pill=True, className="ms-1")],
                                    href="/notifications",
                                    className="nav-link text-light position-relative me-3",
                                    title="Unread notifications",
                                    **{"aria-label": "Unread notifications"},
                                ),
                                html.Button(
                                    html.I(className="bi bi-circle-half"), id=ids.THEME_TOGGLE, n_clicks=0,
                                    className="btn btn-link text-light me-3", title="Light or dark theme",
                                    **{"aria-label": "Switch light or dark theme"},
                                ),
                                html.Span(
                                    [html.Strong(user.full_name), html.Span(f" · {user.role.value}", className="opacity-75")],
                                    id=ids.NAV_USER, className="text-light me-3 small",
                                ),
                                html.Form(
                                    [
                                        dcc.Input(type="hidden", name="csrf_token", value=auth.csrf_token()),
                                        html.Button("Sign out", type="submit", className="btn btn-outline-light btn-sm"),
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
        color="primary", dark=True, expand="lg", className="mb-3",
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
            dcc.Interval(id=ids.BELL_INTERVAL, interval=BELL_POLL_MS),
            _navbar(user),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """The shell's callbacks, registered on `app` itself (the shell module is imported once)."""

    @app.callback(Output(ids.BELL_COUNT, "children"), Input(ids.BELL_INTERVAL, "n_intervals"))
    def bell(_ticks):
        """The unread count: one indexed count per poll."""
        user = portal_user()
        count = store.unread_count(user_id=user.id) if user else 0
        return str(count) if count else ""

    app.clientside_callback(
        """
        function(clicks, stored) {
            let theme = stored || (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
            if (clicks) { theme = theme === 'dark' ? 'light' : 'dark'; }
            document.documentElement.setAttribute('data-bs-theme', theme);
            return theme;
        }
        """,
        Output(ids.THEME_STORE, "data"),
        Input(ids.THEME_TOGGLE, "n_clicks"),
        State(ids.THEME_STORE, "data"),
    )

    @app.callback(Output("nav-collapse", "is_open"), Input("nav-toggler", "n_clicks"), State("nav-collapse", "is_open"),
                  prevent_initial_call=True)
    def toggle_menu(_clicks, is_open):
        return not is_open

