"""Cases: the list, newest first, filtered and searched (or what to do when it is empty), and a form to open one."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from db.models import CaseStatus
from domain import rules
from domain.errors import DomainError
from domain.schemas import CaseCreate
from portal import ids
from portal.access import portal_user
from portal.components import times
from portal.components.colours import CASE_STATUS_COLOURS
from portal.components.errors import error_sentence, field_sentences
from portal.components.forms import labelled_field
from portal.components.paged_list import PagedList, filter_bar, filter_field
from workflow import cases

dash.register_page(__name__, path="/cases", title="Cases · Workflow Manager", name="Cases")

PAGE_SIZE = 50
SHOWN = {"open": "Open", "closed": "Closed", "all": "All"}
CASES = PagedList(rows=ids.CASES_LIST, cursor=ids.CASES_CURSOR, more=ids.CASES_MORE)
#: The empty state's "Clear filters" button.
CASES_CLEAR = f"{ids.CASES_EMPTY}-clear"
#: The table's columns, which the empty state spans.
COLUMNS = 4


def _page(shown: str, q: str | None, cursor: str | None):
    status = CaseStatus(shown) if shown in ("open", "closed") else None
    return cases.list_cases(status=status, q=(q or "").strip() or None, limit=PAGE_SIZE, cursor=cursor)


def _rows(page) -> list:
    # Dash renders strings as text: titles never become markup.
    user = portal_user()
    return [
        html.Tr(
            [
                html.Td(case.reference, className="text-nowrap"),
                html.Td(dcc.Link(case.title, href=f"/cases/{case.id}", className="text-break")),
                html.Td(dbc.Badge(case.status.value.capitalize(), color=CASE_STATUS_COLOURS[case.status])),
                html.Td(times.day(case.created_at, user), className="text-nowrap d-none d-sm-table-cell"),
            ],
            **{"data-case-id": str(case.id)},
        )
        for case in page.items
    ]


def _empty_state(user) -> html.Tr:
    """What to do when the list shows nothing: open the first case, or clear the filters that hide the others."""
    if cases.list_cases(status=None, q=None, limit=1, cursor=None).items:
        body = [
            html.P("No cases match", className="fw-semibold mb-1"),
            html.P("No case has the status and search above. Clear the filters to see every case.",
                   className="text-body-secondary small mb-2"),
            dbc.Button("Clear filters", id=CASES_CLEAR, size="sm", color="primary", outline=True),
        ]
    elif rules.can_create_case(user):
        body = [
            html.P("No cases yet", className="fw-semibold mb-1"),
            html.P("A case groups the tasks of one piece of work. Open the first one.", className="text-body-secondary small mb-2"),
            # A link to the form's first field: the browser scrolls to it and puts the cursor there.
            html.A("New case", href=f"#{ids.CASES_TITLE_INPUT}", className="btn btn-primary btn-sm"),
        ]
    else:
        body = [
            html.P("No cases yet", className="fw-semibold mb-1"),
            html.P("Cases appear here once someone opens one.", className="text-body-secondary small mb-0"),
        ]
    return html.Tr(html.Td(body, colSpan=COLUMNS, className="text-center py-4"), id=ids.CASES_EMPTY)


def _first_rows(page) -> list:
    """The first page's rows, or the empty state."""
    return _rows(page) or [_empty_state(portal_user())]


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
    return filter_bar(
        filter_field("Show", dbc.Select(
            id=ids.CASES_STATUS, value="open", options=[{"label": v, "value": k} for k, v in SHOWN.items()],
        ), xs=5, md=3),
        filter_field("Search", dbc.Input(
            id=ids.CASES_Q, type="search", placeholder="Reference or title", debounce=0.5,
        ), xs=7, md=5),
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
            html.Tbody(_first_rows(page), id=ids.CASES_LIST),
        ],
        hover=True, responsive=True, size="sm",
    )
    listing = [
        _filter_bar(),
        table,
        CASES.store(page.next_cursor),
        CASES.button(page.next_cursor),
    ]
    if rules.can_create_case(user):
        body = dbc.Row([dbc.Col(listing, lg=8), dbc.Col(_create_form(), lg=4)], className="g-3")
    else:
        body = html.Div(listing)
    return html.Div([html.H1("Cases", className="h3 mb-3"), body])


@CASES.on_filter(Input(ids.CASES_STATUS, "value"), Input(ids.CASES_Q, "value"), render=_first_rows)
def filter_cases(shown, q):
    """The first page for new filters."""
    if portal_user() is None:
        raise PreventUpdate
    return _page(shown, q, None)


@CASES.on_more(State(ids.CASES_STATUS, "value"), State(ids.CASES_Q, "value"), render=_rows)
def more_cases(cursor, shown, q):
    """Append the next page (keyset cursor)."""
    if portal_user() is None:
        raise PreventUpdate
    return _page(shown, q, cursor)


@callback(
    Output(ids.CASES_STATUS, "value"),
    Output(ids.CASES_Q, "value"),
    Input(CASES_CLEAR, "n_clicks"),
    prevent_initial_call=True,
)
def clear_filters(clicks):
    """The empty state's next step: every case again."""
    if portal_user() is None or not clicks:
        raise PreventUpdate
    return "all", ""


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
        errors = field_sentences(exc)
        return no_update, "title" in errors, errors.get("title"), "description" in errors, errors.get("description")
    try:
        case = cases.create_case(actor=user, title=form.title, description=form.description)
    except DomainError as error:
        # The form has no message area: a refusal about no field of its own shows under the title.
        errors = field_sentences(error)
        title_error = errors.get("title") or (None if "description" in errors else error_sentence(error))
        return no_update, bool(title_error), title_error, "description" in errors, errors.get("description")
    return f"/cases/{case.id}", False, None, False, None
