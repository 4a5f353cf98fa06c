"""Notices: the sentence a page shows when another page sent the user there, e.g. /tasks?notice=task-deleted."""
import dash_bootstrap_components as dbc
from dash import Input, Output

from portal import ids

#: What each notice says; a key not here shows nothing (the address is anyone's to type).
NOTICES = {
    "task-deleted": "Task deleted.",
    "task-taken": "The task is yours now.",
}


def notice_alert(key) -> dbc.Alert | None:
    """The dismissible success alert of the notice `key` (a page's `notice` query parameter), or None."""
    text = NOTICES.get(key) if isinstance(key, str) else None
    if text is None:
        return None
    return dbc.Alert(text, id=ids.PAGE_NOTICE, color="success", is_open=True, dismissable=True, className="py-2")


def register_callbacks(app) -> None:
    """Once shown, the notice leaves the address: a reload or a bookmark of the page does not announce it again.

    Registered on each app by the shell (not at import, as page callbacks are: a component module is imported
    once, and a second app in the same process would go without it). The output, never changed, makes Dash run
    this when the notice appears: it runs new content's callbacks by output.
    """
    app.clientside_callback(
        """
        function(isOpen) {
            const url = new URL(window.location.href);
            if (isOpen && url.searchParams.has('notice')) {
                url.searchParams.delete('notice');
                window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
            }
            return window.dash_clientside.no_update;
        }
        """,
        Output(ids.PAGE_NOTICE, "className"),
        Input(ids.PAGE_NOTICE, "is_open"),
    )
