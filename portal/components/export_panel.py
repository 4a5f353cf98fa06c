"""The "Export in background" control of the task table and analytics pages: a button that starts an
export of what the page shows, a progress bar until the export is done, then its download link.

One way to run it: the page's callback creates the export's row with `start` (workflow.exports.request_export,
which hands it to the configured runner), and `watch` polls that row for the bar until it is done or failed.
"""
import uuid

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from domain.errors import DomainError
from portal import ids
from portal.access import portal_user
from workflow import exports

POLL_MS = 1000


def control_id(kind: str, page: str) -> str:
    """A control's id on `page`, e.g. `analytics-export-start`."""
    return f"{page}-{kind}"


def start_button(page: str, label: str = "Export in background") -> dbc.Button:
    """The button; the page's own callback starts the export (it knows the filters) into `job_output`."""
    return dbc.Button(
        [html.I(className="bi bi-cloud-upload me-1"), label], id=control_id(ids.EXPORT_START, page), color="primary",
        outline=True,
    )


def status_area(page: str) -> html.Div:
    """The export being watched, its poll, progress bar and result (link or error)."""
    return html.Div(
        [
            dcc.Store(id=control_id(ids.EXPORT_JOB, page)),
            dcc.Interval(id=control_id(ids.EXPORT_POLL, page), interval=POLL_MS, disabled=True),
            dbc.Progress(id=control_id(ids.EXPORT_PROGRESS, page), value=0, label="", striped=True, animated=True,
                         className="d-none mb-1", style={"height": "1.25rem"}),
            html.Div(id=control_id(ids.EXPORT_RESULT, page), role="status", **{"aria-live": "polite"}),
        ],
        className="mb-2",
    )


def job_output(page: str) -> Output:
    return Output(control_id(ids.EXPORT_JOB, page), "data")


def start_input(page: str) -> Input:
    return Input(control_id(ids.EXPORT_START, page), "n_clicks")


def disabled_while_starting(page: str) -> list:
    """The start callback's `running`: no second click while the export is being created (`watch` then holds it)."""
    return [(Output(control_id(ids.EXPORT_START, page), "disabled"), True, False)]


def start(report: str, filters: dict) -> dict:
    """Start an export as the signed-in user: {"id"} to watch, or {"error"} to show."""
    user = portal_user()
    if user is None:
        return {"error": "Sign in first."}
    try:
        export = exports.request_export(actor=user, report=report, filters=filters)
    except DomainError as exc:
        return {"error": exc.message}
    return {"id": str(export.id)}


def _refused(message: str) -> tuple:
    """What a refusal or a failure shows: the bar hidden, `message`, the poll stopped."""
    return 0, "", "d-none", dbc.Alert(message, color="danger", className="py-1 mb-0"), True


def _result(export) -> tuple:
    """(progress value, label, progress class, result, poll disabled) for an export's state."""
    if export.status == exports.DONE:
        link = html.A(
            [html.I(className="bi bi-download me-1"),
             f"Download the export ({export.rows} row{'' if export.rows == 1 else 's'})"],
            href=exports.download_url(export), className="btn btn-sm btn-success", target="_blank", rel="noopener",
        )
        return 100, "100 %", "mb-1", html.Div([link, html.Small(" The link expires soon.", className="text-muted")]), True
    if export.status == exports.FAILED:
        return _refused(f"The export failed: {export.error}")
    text = "Queued…" if export.status == exports.QUEUED else "Exporting…"
    return export.progress, f"{export.progress} %", "mb-1", html.Small(text, className="text-muted"), False


def _state(job) -> tuple:
    """What the panel shows for the watched job: its refusal, or its export's row as it is now."""
    if job.get("error"):
        return _refused(job["error"])
    user = portal_user()
    if user is None:
        return _refused("Sign in first.")
    try:
        export = exports.get_export(actor=user, export_id=uuid.UUID(job["id"]))
    except (DomainError, ValueError, KeyError):
        return _refused("The export was not found.")
    return _result(export)


def watch(job, _ticks):
    """Show the watched export's progress until it is done (a link) or failed (the error); the button is
    disabled for as long as the poll runs (the export is queued or running)."""
    if not job:
        return (no_update,) * 6
    *shown, stopped = _state(job)
    return *shown, stopped, not stopped


def watch_exports(page: str) -> None:
    """Register `watch` for the page's controls (each page that shows them, once, at import)."""
    callback(
        Output(control_id(ids.EXPORT_PROGRESS, page), "value"),
        Output(control_id(ids.EXPORT_PROGRESS, page), "label"),
        Output(control_id(ids.EXPORT_PROGRESS, page), "className"),
        Output(control_id(ids.EXPORT_RESULT, page), "children"),
        Output(control_id(ids.EXPORT_POLL, page), "disabled"),
        Output(control_id(ids.EXPORT_START, page), "disabled"),
        Input(control_id(ids.EXPORT_JOB, page), "data"),
        Input(control_id(ids.EXPORT_POLL, page), "n_intervals"),
        prevent_initial_call=True,
    )(watch)
