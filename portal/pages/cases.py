"""Cases: the list, newest first, filtered and searched, and a form to open one."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from api.schemas import CaseCreate
from db.models import CaseStatus
from portal import ids
from portal.access import portal_user
from portal.forms import field_errors, labelled_field, more_style
from workflow import cases, rules
from workflow.errors import DomainError

dash.register_page(__name__, path="/cases", title="Cases · Workflow Manager", name="Cases")

PAGE_SIZE = 50
SHOWN = {"open": "Open", "closed": "Closed", "all": "All"}
STATUS_COLOURS = {CaseStatus.OPEN: "success", CaseStatus.CLOSED: "secondary"}


def _page(shown: str, q: str | None, cursor: str | None):
    status = CaseStatus(shown) if shown in ("open", "closed") else None
    return cases.list_cases(status=status, q=(q or "").strip() or None, limit=PAGE_SIZE, cursor=cursor)


def _rows(page) -> list:
    # Dash renders strings as text: titles never become markup.
    return [
        html.Tr(
            [
                html.Td(case.reference, className="text-nowrap"),
                html.Td(dcc.Link(case.title, href=f"/cases/{case.id}", className="text-break")),
                html.Td(dbc.Badge(case.status.value.capitalize(), color=STATUS_COLOURS[case.status])),
                html.Td(f"{case.created_at:%d %b %Y}", className="text-nowrap d-none d-sm-table-cell"),
            ],
            **{"data-case-id": str(case.id)},
        )
        for case in page.items
    ]


def _create_form() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Open a case", className="h6 mb-0")),
            dbc.CardBody(
                [
                    labelled_field("Title", ids.CASES_TITLE_INPUT, dbc.Input(id=ids.CASES_TITLE_INPUT, maxLength=200)),
                    labelled_field("Description", ids.CASES_DESCRIPTION_INPUT, dbc.Textarea(id=ids.CASES_DESCRIPTION_INPUT, rows=3)),
                    dbc.Button("Open case", id=ids.CASES_CREATE, color="primary"),
                    dcc.Location(id=ids.CASES_GOTO),
                ]
            ),
        ],
        className="mb-3",
    )


def _filter_bar() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col([dbc.Label("Show", html_for=ids.CASES_STATUS, className="small mb-1"), dbc.Select(
                id=ids.CASES_STATUS, value="open", options=[{"label": v, "value": k} for k, v in SHOWN.items()],
            )], xs=5, md=3),
            dbc.Col([dbc.Label("Search", html_for=ids.CASES_Q, className="small mb-1"), dbc.Input(
                id=ids.CASES_Q, type="search", placeholder="Reference or title", debounce=0.5,
            )], xs=7, md=5),
        ],
        className="g-2 mb-3",
    )


def layout(**_query):
    """Built per request for the signed-in user; the form only for those who may open cases."""
    user = portal_user()
    if user is None:
        return html.Div()
    page = _page("open", None, None)
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Reference"), html.Th("Title"), html.Th("Status"), html.Th("Created", className="d-none d-sm-table-cell")])),
            html.Tbody(_rows(page), id=ids.CASES_LIST),
        ],
        hover=True, responsive=True, size="sm",
    )
    listing = [
        _filter_bar(),
        table,
        dcc.Store(id=ids.CASES_CURSOR, data=page.next_cursor),
        dbc.Button("More", id=ids.CASES_MORE, color="secondary", outline=True, size="sm", style=more_style(page.next_cursor)),
    ]
    if rules.can_create_case(user):
        body = dbc.Row([dbc.Col(listing, lg=8), dbc.Col(_create_form(), lg=4)], className="g-3")
    else:
        body = html.Div(listing)
    return html.Div([html.H1("Cases", className="h3 mb-3"), body])


@callback(
    Output(ids.CASES_LIST, "children"),
    Output(ids.CASES_CURSOR, "data"),
    Output(ids.CASES_MORE, "style"),
    Input(ids.CASES_STATUS, "value"),
    Input(ids.CASES_Q, "value"),
    prevent_initial_call=True,
)
def filter_cases(shown, q):
    """The first page for new filters."""
    if portal_user() is None:
        raise PreventUpdate
    page = _page(shown, q, None)
    return _rows(page), page.next_cursor, more_style(page.next_cursor)


@callback(
    Output(ids.CASES_LIST, "children", allow_duplicate=True),
    Output(ids.CASES_CURSOR, "data", allow_duplicate=True),
    Output(ids.CASES_MORE, "style", allow_duplicate=True),
    Input(ids.CASES_MORE, "n_clicks"),
    State(ids.CASES_CURSOR, "data"),
    State(ids.CASES_STATUS, "value"),
    State(ids.CASES_Q, "value"),
    prevent_initial_call=True,
)
def more_cases(_clicks, cursor, shown, q):
    """Append the next page (keyset cursor)."""
    if portal_user() is None or not cursor:
        raise PreventUpdate
    try:
        page = _page(shown, q, cursor)
    except ValueError:  # a forged cursor (InvalidCursor is a ValueError)
        raise PreventUpdate from None
    rows = Patch()
    rows.extend(_rows(page))
    return rows, page.next_cursor, more_style(page.next_cursor)


@callback(
    Output(ids.CASES_GOTO, "href"),
    Output(ids.CASES_TITLE_INPUT, "invalid"),
    Output(f"{ids.CASES_TITLE_INPUT}-error", "children"),
    Output(ids.CASES_DESCRIPTION_INPUT, "invalid"),
    Output(f"{ids.CASES_DESCRIPTION_INPUT}-error", "children"),
    Input(ids.CASES_CREATE, "n_clicks"),
    State(ids.CASES_TITLE_INPUT, "value"),
    State(ids.CASES_DESCRIPTION_INPUT, "value"),
    prevent_initial_call=True,
)
def open_case(_clicks, title, description):
    """Validate with the API's CaseCreate, open the case, go to its page."""
    user = portal_user()
    if user is None:
        raise PreventUpdate
    try:
        form = CaseCreate(title=title or "", description=description or "")
    except ValidationError as exc:
        errors = field_errors(exc)
        return no_update, "title" in errors, errors.get("title"), "description" in errors, errors.get("description")
    try:
        case = cases.create_case(actor=user, title=form.title, description=form.description)
    except DomainError as error:
        return no_update, True, error.message, False, None
    return f"/cases/{case.id}", False, None, False, None
