"""The portal's 404 page: Dash shows the page of a module named `not_found_404` for any path no page serves."""
import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from portal import ids
from portal.access import portal_user
from portal.shell import pages_for

dash.register_page(__name__, path="/404", title="Page not found · Workflow Manager", name="Page not found")

#: Everyone's pages that the navbar reaches through the bell rather than a link.
ELSEWHERE = (
    ("Notifications", "/notifications", "bi-bell"),
    ("Preferences", "/preferences", "bi-sliders"),
    ("Profile", "/profile", "bi-person-circle"),
)


def layout(**_query):
    """A sentence, the way back to My work, and the pages this user may open."""
    user = portal_user()
    if user is None:
        return html.Div()
    links = [
        dcc.Link([html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), label], href=path,
                 className="list-group-item list-group-item-action")
        for label, path, icon in [*pages_for(user), *ELSEWHERE]
    ]
    return dbc.Row(
        dbc.Col(
            html.Section(
                [
                    html.H1("Page not found", className="h3 mb-2"),
                    html.P("There is no page at this address. The link may be mistyped, or the page may have moved.",
                           className="mb-3"),
                    dcc.Link([html.I(className="bi bi-inbox me-2", **{"aria-hidden": "true"}), "Back to My work"],
                             href="/", className="btn btn-primary mb-4"),
                    html.H2("Or open one of these pages", className="h6 text-body-secondary"),
                    html.Div(links, id=ids.NOT_FOUND_PAGES, className="list-group"),
                ],
                id=ids.NOT_FOUND,
            ),
            md=8, lg=6, xl=5,
        )
    )
