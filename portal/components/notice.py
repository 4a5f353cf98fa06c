"""Notices: the sentence a page shows when another page sent the user there, e.g. /tasks?notice=task-deleted."""
import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback

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


# Once shown, the notice leaves the address: a reload or a bookmark of the page does not announce it again.
# (The output, never changed, makes Dash run this when the notice appears: it runs new content's callbacks by output.)
clientside_callback(
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
