"""The "Export in background" control of the task table and analytics pages: a button that starts an
export of what the page shows, a progress bar until the export is done, then its download link.

Two ways to run it. The analytics page's export is a Dash background callback (portal/background.py):
the job creates the export's row and produces it, reporting its progress to the bar as it goes. The task
table's starts the export through the configured runner and polls its row for the bar.
"""
import logging
import uuid

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, callback, dcc, html, no_update

from domain.errors import DomainError
from portal import ids
from portal.access import portal_user
from workflow import exports

POLL_MS = 1000
#: How often the browser asks a background export for its progress.
PROGRESS_MS = 500

log = logging.getLogger(__name__)


def _id(kind: str, page: str) -> dict:
    return {"type": kind, "page": page}


def start_button(page: str, label: str = "Export in background") -> dbc.Button:
    """The button; the page's own callback starts the export (it knows the filters) into `job_store`."""
    return dbc.Button(
        [html.I(className="bi bi-cloud-upload me-1"), label], id=_id(ids.EXPORT_START, page), color="primary", outline=True,
    )


def status_area(page: str) -> html.Div:
    """The export being watched, its poll, progress bar and result (link or error)."""
    return html.Div(
        [
            dcc.Store(id=_id(ids.EXPORT_JOB, page)),
            dcc.Interval(id=_id(ids.EXPORT_POLL, page), interval=POLL_MS, disabled=True),
            dbc.Progress(id=_id(ids.EXPORT_PROGRESS, page), value=0, label="", striped=True, animated=True,
                         className="d-none mb-1", style={"height": "1.25rem"}),
            html.Div(id=_id(ids.EXPORT_RESULT, page)),
        ],
        className="mb-2",
    )


def job_output(page: str) -> Output:
    return Output(_id(ids.EXPORT_JOB, page), "data")


def start_input(page: str) -> Input:
    return Input(_id(ids.EXPORT_START, page), "n_clicks")


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
        return export.progress, "", "d-none", dbc.Alert(f"The export failed: {export.error}", color="danger", className="py-1 mb-0"), True
    text = "Queued…" if export.status == exports.QUEUED else "Exporting…"
    return export.progress, f"{export.progress} %", "mb-1", html.Small(text, className="text-muted"), False


@callback(
    Output({"type": ids.EXPORT_PROGRESS, "page": MATCH}, "value"),
    Output({"type": ids.EXPORT_PROGRESS, "page": MATCH}, "label"),
    Output({"type": ids.EXPORT_PROGRESS, "page": MATCH}, "className"),
    Output({"type": ids.EXPORT_RESULT, "page": MATCH}, "children"),
    Output({"type": ids.EXPORT_POLL, "page": MATCH}, "disabled"),
    Input({"type": ids.EXPORT_JOB, "page": MATCH}, "data"),
    Input({"type": ids.EXPORT_POLL, "page": MATCH}, "n_intervals"),
    prevent_initial_call=True,
)
def watch(job, _ticks):
    """Show the watched export's progress until it is done (a link) or failed (the error)."""
    if not job:
        return (no_update,) * 5
    if job.get("error"):
        return 0, "", "d-none", dbc.Alert(job["error"], color="danger", className="py-1 mb-0"), True
    user = portal_user()
    if user is None:
        return 0, "", "d-none", dbc.Alert("Sign in first.", color="danger", className="py-1 mb-0"), True
    try:
        export = exports.get_export(actor=user, export_id=uuid.UUID(job["id"]))
    except (DomainError, ValueError, KeyError):
        return 0, "", "d-none", dbc.Alert("The export was not found.", color="danger", className="py-1 mb-0"), True
    return _result(export)


# --- as a background callback ---------------------------------------------------------------


def background_id(kind: str, page: str) -> str:
    """Plain ids for the background callback's controls (background callbacks take no pattern-matching ids)."""
    return f"{page}-{kind}"


def background_button(page: str, label: str = "Export in background") -> dbc.Button:
    return dbc.Button(
        [html.I(className="bi bi-cloud-upload me-1"), label], id=background_id(ids.EXPORT_START, page), color="primary",
        outline=True,
    )


def background_area(page: str) -> html.Div:
    """The progress bar and the result (link or error) of the page's background export."""
    return html.Div(
        [
            # New at each page load: with the click count it makes every export its own job, never a cached one.
            dcc.Store(id=background_id(ids.EXPORT_JOB, page), data=uuid.uuid4().hex),
            dbc.Progress(id=background_id(ids.EXPORT_PROGRESS, page), value=0, label="", striped=True, animated=True,
                         className="d-none mb-1", style={"height": "1.25rem"}),
            html.Div(id=background_id(ids.EXPORT_RESULT, page), role="status", **{"aria-live": "polite"}),
        ],
        className="mb-2",
    )


def _bar(page: str) -> list[Output]:
    progress = background_id(ids.EXPORT_PROGRESS, page)
    return [Output(progress, "value"), Output(progress, "label"), Output(progress, "className")]


def background_outputs(page: str) -> list[Output]:
    """The callback's outputs: the bar (value, label, class) and the result."""
    return [*_bar(page), Output(background_id(ids.EXPORT_RESULT, page), "children")]


def background_inputs(page: str) -> list:
    """The button's clicks and the page load's job key, before the page's own states."""
    return [Input(background_id(ids.EXPORT_START, page), "n_clicks"), State(background_id(ids.EXPORT_JOB, page), "data")]


def background_options(page: str) -> dict:
    """callback() options: run in the background, the bar as its progress, the button disabled meanwhile."""
    return {
        "background": True,
        "progress": _bar(page),
        "running": [
            (Output(background_id(ids.EXPORT_START, page), "disabled"), True, False),
            # The bar shows from the start (the job's own progress follows); its outcome sets it at the end.
            *[(output, on, off) for output, on, off in zip(_bar(page), (0, "", "mb-1"), (0, "", "d-none"))],
            (Output(background_id(ids.EXPORT_RESULT, page), "children"),
             html.Small("Exporting…", className="text-muted"), None),
        ],
        "interval": PROGRESS_MS,
        "prevent_initial_call": True,
    }


def run(set_progress, report: str, filters: dict) -> tuple:
    """A background export's job: the export's row for the signed-in user, produced here with its progress
    reported to the bar as the row records it, then the bar and the result for the export's outcome."""
    user = portal_user()
    if user is None:
        return 0, "", "d-none", dbc.Alert("Sign in first.", color="danger", className="py-1 mb-0")
    try:
        export = exports.create_export(actor=user, report=report, filters=filters)
    except DomainError as exc:
        return 0, "", "d-none", dbc.Alert(exc.message, color="danger", className="py-1 mb-0")

    def progress(percent: int) -> None:
        set_progress((percent, f"{percent} %", "mb-1"))

    progress(0)
    try:
        export = exports.run_export(export_id=export.id, progress=progress)
    except Exception:  # the export's own failures are recorded on it; this is the database's
        log.exception("export %s could not be run", export.id)
        return 0, "", "d-none", dbc.Alert("The export could not be run; try again.", color="danger", className="py-1 mb-0")
    return _result(export)[:4]
