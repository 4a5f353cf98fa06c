"""A list shown a page at a time: a filter bar that reloads its first page, a "Show more" button that appends the next."""
import functools

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, Patch, State, callback, dcc
from dash.exceptions import PreventUpdate


def more_style(cursor: str | None) -> dict:
    """A "Show more" button's style: shown while there is a next page."""
    return {} if cursor else {"display": "none"}


def filter_field(label: str, control, **width) -> dbc.Col:
    """A filter control under its small label, a column of the filter bar."""
    return dbc.Col([dbc.Label(label, html_for=control.id, className="small mb-1"), control], **width)


def filter_bar(*fields: dbc.Col) -> dbc.Row:
    """The list's filter fields side by side, above it."""
    return dbc.Row(list(fields), className="g-2 mb-3")


class PagedList:
    """A paged list by its ids: the element whose children are its rows, the store of its next page's keyset cursor
    and its "Show more" button. With `key`, one of several lists of a page: the ids are {"type": <id>, key: <value>}
    and the callbacks serve the list whose button was clicked (MATCH).

    The page keeps what is its own: how a page of rows is fetched, and who may fetch it, in the decorated
    functions; how rows look, in `render`.
    """

    def __init__(self, rows: str, cursor: str, more: str, key: str | None = None):
        self.rows, self.cursor, self.more, self.key = rows, cursor, more, key
        self._filtered = False

    def _id(self, kind: str, value=MATCH):
        return kind if self.key is None else {"type": kind, self.key: value}

    def store(self, next_cursor: str | None, value=None) -> dcc.Store:
        """The cursor of the next page: None after the last."""
        return dcc.Store(id=self._id(self.cursor, value), data=next_cursor)

    def button(self, next_cursor: str | None, label: str = "More", value=None, **options) -> dbc.Button:
        """The "Show more" button, shown while there is a next page."""
        return dbc.Button(label, id=self._id(self.more, value), color="secondary", outline=True, size="sm",
                          style=more_style(next_cursor), **options)

    def _outputs(self, allow_duplicate: bool) -> list[Output]:
        return [
            Output(self._id(self.rows), "children", allow_duplicate=allow_duplicate),
            Output(self._id(self.cursor), "data", allow_duplicate=allow_duplicate),
            Output(self._id(self.more), "style", allow_duplicate=allow_duplicate),
        ]

    def on_filter(self, *inputs, render):
        """Register the decorated `(*input values) -> first page` as the callback that shows the first page again
        whenever one of `inputs` changes (it raises PreventUpdate for those who may not see the list).
        Register it before on_more: the "Show more" callback then shares its outputs."""
        def register(first_page):
            @functools.wraps(first_page)
            def show_first(*values):
                page = first_page(*values)
                return render(page), page.next_cursor, more_style(page.next_cursor)

            self._filtered = True
            return callback(*self._outputs(allow_duplicate=False), *inputs, prevent_initial_call=True)(show_first)

        return register

    def on_more(self, *states, render):
        """Register the decorated `(cursor, *state values) -> next page` as the "Show more" callback, which appends
        the page's rows. Without a cursor, with a forged one or on PreventUpdate from the function, nothing changes."""
        def register(next_page):
            @functools.wraps(next_page)
            def append(_clicks, cursor, *values):
                if not cursor:
                    raise PreventUpdate
                try:
                    page = next_page(cursor, *values)
                except ValueError:  # a forged cursor (InvalidCursor is a ValueError)
                    raise PreventUpdate from None
                rows = Patch()
                rows.extend(render(page))
                return rows, page.next_cursor, more_style(page.next_cursor)

            return callback(
                *self._outputs(allow_duplicate=self._filtered),
                Input(self._id(self.more), "n_clicks"),
                State(self._id(self.cursor), "data"),
                *states,
                prevent_initial_call=True,
            )(append)

        return register
