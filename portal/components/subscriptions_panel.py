"""Report subscriptions in the portal: the profile's list of yours (latest runs with their download links, stopped
ones with the reason, Delete), and the "Subscribe" control beside a page's export button.

The page that shows the list registers its callbacks (`register_callbacks`); the page that shows the Subscribe
control registers its own callback (it knows the report and its filters) and calls `subscribe`.
"""
import uuid
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update

from domain.errors import DomainError
from portal import ids
from portal.access import portal_user
from portal.components import times
from workflow import subscriptions

#: The most subscriptions the profile lists (a user holds at most subscriptions.MAX_PER_USER).
LISTED = subscriptions.MAX_PER_USER


def control_id(kind: str, page: str) -> str:
    """A Subscribe control's id on `page`, e.g. `analytics-subscribe-button`."""
    return f"{page}-{kind}"


# --- the profile's section --------------------------------------------------------------------


def _run_line(subscription, run, user) -> html.Li:
    when = subscriptions.period_text(run.period)
    if run.status == subscriptions.DONE:
        rows = f"{run.rows} row{'' if run.rows == 1 else 's'}"
        link = html.A([html.I(className="bi bi-download me-1"), f"{when} · {rows}"],
                      href=subscriptions.download_url(subscription, run), target="_blank", rel="noopener")
        return html.Li([link, html.Small(f" · made {times.moment(run.finished_at, user)}", className="text-body-secondary")])
    if run.status == subscriptions.FAILED:
        return html.Li(f"{when}: failed ({run.error}); tried again at the next check", className="text-danger")
    return html.Li(f"{when}: being produced…", className="text-body-secondary")


def _item(subscription, runs, user) -> dbc.ListGroupItem:
    stopped = subscription.status == subscriptions.STOPPED
    badge = dbc.Badge("Stopped" if stopped else "Active", color="secondary" if stopped else "success", className="ms-2")
    lines = [
        html.Div([
            html.Strong(subscriptions.title(subscription, user)), badge,
            dbc.Button("Delete", id={"type": ids.SUBSCRIPTIONS_DELETE, "subscription": str(subscription.id)},
                       color="danger", outline=True, size="sm", className="ms-auto"),
        ], className="d-flex align-items-center"),
        html.Div(subscriptions.schedule_text(subscription, user), className="small text-body-secondary"),
    ]
    upcoming = subscriptions.next_run_at(subscription, user, datetime.now(timezone.utc))
    if upcoming is not None:
        lines.append(html.Div(f"Next: {times.moment(upcoming, user)}", className="small text-body-secondary"))
    if stopped:
        lines.append(html.Div(f"Stopped {times.day(subscription.stopped_at, user)}: {subscription.stopped_reason}.",
                              className="small text-danger"))
    if runs:
        lines.append(html.Ul([_run_line(subscription, run, user) for run in runs], className="small mb-0 mt-1"))
    elif not stopped:
        lines.append(html.Div("No run yet.", className="small text-body-secondary"))
    return dbc.ListGroupItem(lines)


def listing(user) -> html.Div:
    """The user's subscriptions, newest first, each with its latest runs."""
    page = subscriptions.list_subscriptions(actor=user, limit=LISTED, cursor=None)
    if not page.items:
        return html.P("You have no report subscriptions. Subscribe to a report table with \"Subscribe\" beside its "
                      "export button on the Analytics page, or to one of your saved views on the Tasks page.",
                      className="text-body-secondary")
    runs = subscriptions.recent_runs([item.id for item in page.items])
    return dbc.ListGroup([_item(item, runs.get(item.id, []), user) for item in page.items])


def section(user) -> html.Section:
    """The profile's "Report subscriptions" section."""
    return html.Section(
        [
            html.H2("Report subscriptions", className="h5 mt-4 mb-2"),
            html.P("Reports e-mailed to you as CSV at their hour on your clock, with a download link (and the file "
                   "itself when small). A subscription stops if you may no longer read its report.",
                   className="text-body-secondary"),
            html.Div(id=ids.SUBSCRIPTIONS_MESSAGE),
            html.Div(listing(user), id=ids.SUBSCRIPTIONS_LIST),
        ],
        id=ids.SUBSCRIPTIONS_SECTION,
    )


def delete(triggered, clicks):
    """Delete the subscription whose button (`triggered`, its id) was pressed (`clicks`: its count, None when the
    list was only drawn again); the list is shown again either way."""
    user = portal_user()
    if user is None or not isinstance(triggered, dict) or not clicks:
        return no_update, no_update
    try:
        subscriptions.delete_subscription(actor=user, subscription_id=uuid.UUID(str(triggered.get("subscription"))))
    except (DomainError, ValueError):
        message = dbc.Alert("That subscription was not found: it may have been deleted already.", color="warning",
                            className="py-2", dismissable=True)
    else:
        message = dbc.Alert("Subscription deleted.", color="success", className="py-2", duration=6000)
    return listing(user), message


def register_callbacks() -> None:
    """The list's Delete buttons; called by the page that shows the section, at its import (never at this module's)."""

    @dash.callback(
        Output(ids.SUBSCRIPTIONS_LIST, "children"),
        Output(ids.SUBSCRIPTIONS_MESSAGE, "children"),
        Input({"type": ids.SUBSCRIPTIONS_DELETE, "subscription": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def delete_subscription(_clicks):
        return delete(ctx.triggered_id, ctx.triggered[0]["value"] if ctx.triggered else None)


# --- the Subscribe control ----------------------------------------------------------------------


def subscribe_controls(page: str, label: str = "Or receive it by e-mail:") -> dbc.Row:
    """Daily or weekly (on a weekday) at an hour, and the Subscribe button; the page's callback subscribes."""
    return dbc.Row(
        [
            dbc.Col(html.Span(label, className="text-body-secondary"), width="auto"),
            dbc.Col(dbc.Select(id=control_id(ids.SUBSCRIBE_FREQUENCY, page), value=subscriptions.WEEKLY, options=[
                {"label": "Weekly", "value": subscriptions.WEEKLY}, {"label": "Daily", "value": subscriptions.DAILY}],
            ), width="auto"),
            dbc.Col(dbc.Select(id=control_id(ids.SUBSCRIBE_WEEKDAY, page), value=str(subscriptions.DEFAULT_WEEKDAY),
                               options=[{"label": f"on {name}", "value": str(number)}
                                        for number, name in enumerate(subscriptions.WEEKDAY_NAMES)]), width="auto"),
            dbc.Col(dbc.Select(id=control_id(ids.SUBSCRIBE_HOUR, page), value=str(subscriptions.DEFAULT_HOUR),
                               options=[{"label": f"at {hour:02d}:00", "value": str(hour)} for hour in range(24)]),
                    width="auto"),
            dbc.Col(dbc.Button([html.I(className="bi bi-envelope me-1"), "Subscribe"],
                               id=control_id(ids.SUBSCRIBE_BUTTON, page), color="secondary", outline=True), width="auto"),
            dbc.Col(html.Div(id=control_id(ids.SUBSCRIBE_RESULT, page), role="status"), xs=12),
        ],
        className="g-2 mb-2 align-items-center",
    )


def subscribe_output(page: str) -> Output:
    return Output(control_id(ids.SUBSCRIBE_RESULT, page), "children")


def subscribe_input(page: str) -> Input:
    return Input(control_id(ids.SUBSCRIBE_BUTTON, page), "n_clicks")


def subscribe_states(page: str) -> list[State]:
    """The frequency, weekday and hour, in the order `subscribe` takes them."""
    return [State(control_id(kind, page), "value") for kind in (ids.SUBSCRIBE_FREQUENCY, ids.SUBSCRIBE_WEEKDAY, ids.SUBSCRIBE_HOUR)]


def subscribe(report: str, filters: dict, frequency, weekday, hour) -> dbc.Alert:
    """Subscribe the signed-in user to `report` with `filters`; what happened, as an alert."""
    user = portal_user()
    if user is None:
        return dbc.Alert("Sign in first.", color="danger", className="py-2")
    try:
        subscription = subscriptions.subscribe(
            actor=user, report=report, filters=filters, frequency=frequency,
            hour=int(hour) if hour not in (None, "") else None,
            weekday=int(weekday) if weekday not in (None, "") else None,
        )
    except DomainError as exc:
        return dbc.Alert(f"Not subscribed: {exc.message}", color="danger", className="py-2", dismissable=True)
    except ValueError:
        return dbc.Alert("Not subscribed: choose a day and an hour.", color="danger", className="py-2", dismissable=True)
    what = subscriptions.title(subscription, user)
    when = subscriptions.schedule_text(subscription, user, lower=True)
    return dbc.Alert([f"Subscribed: {what}, {when}. ", html.A("Your subscriptions", href="/profile")],
                     color="success", className="py-2", dismissable=True)
