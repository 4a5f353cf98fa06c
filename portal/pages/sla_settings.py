"""SLA settings (Admin only): the resolution target per priority, whether it counts business hours
only, the business-hours calendar (time zone, working week, holidays) and the escalations per priority."""
import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate

from db.models import Priority
from domain import calendar, rules
from domain import escalations as escalation_rules
from domain import sla as sla_rules
from domain.errors import DomainError, ValidationFailed
from portal import ids
from portal.access import portal_user
from portal.components.errors import error_sentence, sentence
from reports import policy
from workflow import escalations
from workflow import sla as sla_policy

dash.register_page(__name__, path="/admin/sla", title="SLA settings · Workflow Manager", name="SLA settings")

DENIED = "Only managers and admins change the SLA settings."
WEEKDAYS = calendar.WEEKDAYS
#: Minutes a target in hours may be off a whole minute (a rounded display of 100 minutes is 1.6667 h).
MINUTE_TOLERANCE = 0.05
HOLIDAY_HINT = "One per line: the date as YYYY-MM-DD, then its name, e.g. 2026-12-25 Christmas Day"


def _admin():
    """The signed-in user if they may change the SLA policy, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_set_sla_targets(user) else None


def _supervisor():
    """The signed-in user if they may change the escalation rules, else None (every callback asks again)."""
    user = portal_user()
    return user if user is not None and rules.can_set_escalation_rules(user) else None


def _hours_id(priority: Priority) -> str:
    return f"{ids.SLA_SETTINGS_HOURS}-{priority.value}"


def _business_id(priority: Priority) -> str:
    return f"{ids.SLA_SETTINGS_BUSINESS}-{priority.value}"


def _day_ids(day: str) -> tuple[str, str, str, str]:
    """The open switch, opening and closing time inputs and the error line of a weekday."""
    return (f"{ids.SLA_SETTINGS_OPEN}-{day}", f"{ids.SLA_SETTINGS_START}-{day}", f"{ids.SLA_SETTINGS_END}-{day}",
            f"{ids.SLA_SETTINGS_DAY}-{day}-error")


def holidays_text(work: calendar.WorkCalendar) -> str:
    """The holidays as the text area shows them: "YYYY-MM-DD name" per line."""
    return "\n".join(f"{day.isoformat()} {name}".rstrip() for day, name in work.holiday_list())


def parse_holidays(text: str | None) -> tuple[list[dict], list[int]]:
    """The text area's lines as [{"date", "name"}] and each one's line number (blank lines skipped)."""
    holidays, lines = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        day, _, name = line.strip().partition(" ")
        holidays.append({"date": day, "name": name.strip()})
        lines.append(number)
    return holidays, lines


def _targets_card() -> dbc.Card:
    minutes, flags = policy.get_policy()
    rows = []
    for priority in Priority:
        rows.append(html.Tr([
            html.Th(dbc.Label(priority.value, html_for=_hours_id(priority), className="mb-0"), scope="row"),
            html.Td([
                dbc.InputGroup([
                    dbc.Input(id=_hours_id(priority), type="number", min=0, step="any", value=round(minutes[priority] / 60, 4)),
                    dbc.InputGroupText("h"),
                    dbc.FormFeedback(id=f"{_hours_id(priority)}-error", type="invalid"),
                ], size="sm", className="has-validation"),
            ]),
            html.Td(dbc.Checkbox(id=_business_id(priority), value=flags[priority], label="Business hours only",
                                 label_class_name="small")),
        ]))
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Resolution targets", className="h6 mb-0")),
            dbc.CardBody([
                html.P("Time to resolve a task of each priority. A business-hours target counts only the working "
                       "time of the business-hours calendar; the others count every hour. The clock pauses while a task "
                       "is On Hold either way.", className="small text-body-secondary"),
                dbc.Table([
                    html.Thead(html.Tr([html.Th("Priority"), html.Th("Target"), html.Th("Counts")])),
                    html.Tbody(rows),
                ], size="sm", responsive=True, className="align-middle"),
                dbc.Button("Save targets", id=ids.SLA_SETTINGS_TARGETS_SAVE, color="primary"),
                html.Div(id=ids.SLA_SETTINGS_TARGETS_MESSAGE, className="mt-2", role="status"),
            ]),
        ],
        className="mb-3",
    )


def _week_rows(work: calendar.WorkCalendar) -> list:
    rows = []
    for day, span in zip(WEEKDAYS, calendar.week_to_json(work.hours)):
        open_id, start_id, end_id, error_id = _day_ids(day)
        start, end = span or ("09:00", "17:00")
        rows.append(html.Tr([
            html.Th(day, scope="row", className="fw-normal"),
            html.Td(dbc.Checkbox(id=open_id, value=span is not None, label="Open", label_class_name="small")),
            html.Td([dbc.Label(f"{day} opens at", html_for=start_id, className="visually-hidden"),
                     dbc.Input(id=start_id, type="time", value=start, size="sm", disabled=span is None)]),
            html.Td([dbc.Label(f"{day} closes at", html_for=end_id, className="visually-hidden"),
                     dbc.Input(id=end_id, type="time", value=end, size="sm", disabled=span is None)]),
            html.Td(html.Div(id=error_id, className="small text-danger")),
        ]))
    return rows


def _calendar_card() -> dbc.Card:
    work = policy.get_calendar()
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Business-hours calendar", className="h6 mb-0")),
            dbc.CardBody([
                html.Div([
                    dbc.Label("Time zone", html_for=ids.SLA_SETTINGS_TIMEZONE),
                    dbc.Select(id=ids.SLA_SETTINGS_TIMEZONE, value=work.timezone,
                               options=[{"label": zone, "value": zone} for zone in calendar.time_zones()]),
                    dbc.FormFeedback(id=f"{ids.SLA_SETTINGS_TIMEZONE}-error", type="invalid"),
                    dbc.FormText("Opening hours and holidays are local times and dates of this zone; "
                                 "daylight saving is followed."),
                ], className="mb-3"),
                dbc.Table([
                    html.Thead(html.Tr([html.Th("Day"), html.Th("Open"), html.Th("Opens"), html.Th("Closes"),
                                        html.Th(html.Span("Problems", className="visually-hidden"))])),
                    html.Tbody(_week_rows(work)),
                ], size="sm", responsive=True, className="align-middle mb-1"),
                html.Div(id=ids.SLA_SETTINGS_WEEK_ERROR, className="small text-danger mb-3"),
                html.Div([
                    dbc.Label("Holidays (closed all day)", html_for=ids.SLA_SETTINGS_HOLIDAYS),
                    dbc.Textarea(id=ids.SLA_SETTINGS_HOLIDAYS, value=holidays_text(work), rows=8,
                                 placeholder="2026-12-25 Christmas Day", spellCheck=False,
                                 className="font-monospace small"),
                    dbc.FormFeedback(id=f"{ids.SLA_SETTINGS_HOLIDAYS}-error", type="invalid", style={"whiteSpace": "pre-line"}),
                    dbc.FormText(HOLIDAY_HINT),
                ], className="mb-3"),
                dbc.Button("Save calendar", id=ids.SLA_SETTINGS_CALENDAR_SAVE, color="primary"),
                html.Div(id=ids.SLA_SETTINGS_CALENDAR_MESSAGE, className="mt-2", role="status"),
            ]),
        ],
        className="mb-3",
    )


def layout(**_query):
    """Built per request: the settings for Admins, a refusal for everyone else."""
    user = portal_user()
    if user is None:
        return html.Div()
    if not rules.can_set_escalation_rules(user):
        return html.Div([html.H1("SLA settings", className="h3 mb-3"),
                         dbc.Alert(DENIED, color="info", id=ids.SLA_SETTINGS_DENIED)])
    if not rules.can_set_sla_targets(user):
        # A Manager sets who is told as the clock runs; the targets and the calendar are the Admin's.
        return html.Div(
            [
                html.H1("SLA settings", className="h3 mb-3"),
                html.P("The targets and the business-hours calendar are set by an Admin; the escalations are yours.",
                       className="text-body-secondary small"),
                dbc.Row([dbc.Col(_escalations_card(), lg=12)], className="g-3"),
            ]
        )
    return html.Div(
        [
            html.H1("SLA settings", className="h3 mb-3"),
            dbc.Row([dbc.Col(_targets_card(), lg=5), dbc.Col(_calendar_card(), lg=7)], className="g-3"),
            dbc.Row([dbc.Col(_escalations_card(), lg=12)], className="g-3"),
        ]
    )


def _by_priority(refusal: ValidationFailed) -> dict[str, str]:
    """The first problem the policy found per priority ("High.warning_percent" is High's), as a sentence under its field."""
    found: dict[str, str] = {}
    for problem in refusal.details or []:
        found.setdefault(str(problem.get("field", "")).split(".")[0], sentence(problem["message"]))
    return found


def _alert(text: str, color: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, className="py-1 mb-0", dismissable=color == "success")


def _minutes(hours) -> int | str:
    """A target in hours as whole minutes, or the message to show under it."""
    if hours is None or isinstance(hours, str) and not hours.strip():
        return "Enter the target in hours, e.g. 4 or 1.5."
    try:
        minutes = float(hours) * 60
    except (TypeError, ValueError):
        return "Enter the target in hours, e.g. 4 or 1.5."
    whole = round(minutes)
    if abs(minutes - whole) > MINUTE_TOLERANCE:
        return f"Use whole minutes: {float(hours):g} h is {minutes:.2f} minutes."
    if not 1 <= whole <= sla_rules.MAX_TARGET_MINUTES:
        return f"From 1 minute to {sla_rules.MAX_TARGET_MINUTES // 60} hours."
    return whole


@callback(
    Output(ids.SLA_SETTINGS_TARGETS_MESSAGE, "children"),
    *[Output(_hours_id(p), "invalid") for p in Priority],
    *[Output(f"{_hours_id(p)}-error", "children") for p in Priority],
    Input(ids.SLA_SETTINGS_TARGETS_SAVE, "n_clicks"),
    *[State(_hours_id(p), "value") for p in Priority],
    *[State(_business_id(p), "value") for p in Priority],
    prevent_initial_call=True,
)
def save_targets(clicks, *values):
    """Save every priority's minutes and flag through the SLA policy; problems under their field."""
    user = _admin()
    if user is None or not clicks:
        raise PreventUpdate
    hours, flags = values[:len(Priority)], values[len(Priority):]
    errors: dict[str, str] = {}
    targets = {}
    for priority, value, flag in zip(Priority, hours, flags):
        minutes = _minutes(value)
        if isinstance(minutes, str):
            errors[priority.value] = minutes
        else:
            targets[priority.value] = {"minutes": minutes, "business_hours": bool(flag)}
    message = None
    if not errors:
        try:
            sla_policy.set_targets(actor=user, targets=targets)
            message = _alert("SLA targets saved. The analytics are recomputed in the background; the analytics page "
                             "says so until they are done.", "success")
        except ValidationFailed as exc:
            errors = _by_priority(exc)
        except DomainError as exc:
            message = _alert(error_sentence(exc), "danger")
    if errors:
        message = _alert("Check the highlighted targets.", "danger")
    return (message, *[p.value in errors for p in Priority], *[errors.get(p.value) for p in Priority])


@callback(
    *[Output(_day_ids(day)[1], "disabled") for day in WEEKDAYS],
    *[Output(_day_ids(day)[2], "disabled") for day in WEEKDAYS],
    *[Input(_day_ids(day)[0], "value") for day in WEEKDAYS],
    prevent_initial_call=True,
)
def toggle_days(*opened):
    """A closed day's times cannot be edited."""
    return (*[not is_open for is_open in opened], *[not is_open for is_open in opened])


def _calendar_errors(problems: list[dict], lines: list[int]) -> dict[str, str]:
    """Validation problems by the element that shows them: the zone, a weekday, the week, the holidays."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field, text = str(problem.get("field", "")), problem["message"]
        text = f"{text[:1].upper()}{text[1:]}."
        if field == "timezone":
            errors.setdefault("timezone", []).append(text)
        elif field.startswith("hours."):
            errors.setdefault(field, []).append(text)
        elif field == "hours":
            errors.setdefault("hours", []).append(text)
        elif field.startswith("holidays["):
            index = int(field[len("holidays["):field.index("]")])
            errors.setdefault("holidays", []).append(f"Line {lines[index]}: {text}")
        else:
            errors.setdefault("holidays" if field == "holidays" else "other", []).append(text)
    return {key: "\n".join(texts) for key, texts in errors.items()}


@callback(
    Output(ids.SLA_SETTINGS_CALENDAR_MESSAGE, "children"),
    Output(ids.SLA_SETTINGS_TIMEZONE, "invalid"),
    Output(f"{ids.SLA_SETTINGS_TIMEZONE}-error", "children"),
    *[Output(_day_ids(day)[3], "children") for day in WEEKDAYS],
    Output(ids.SLA_SETTINGS_WEEK_ERROR, "children"),
    Output(ids.SLA_SETTINGS_HOLIDAYS, "invalid"),
    Output(f"{ids.SLA_SETTINGS_HOLIDAYS}-error", "children"),
    Output(ids.SLA_SETTINGS_HOLIDAYS, "value"),
    Input(ids.SLA_SETTINGS_CALENDAR_SAVE, "n_clicks"),
    State(ids.SLA_SETTINGS_TIMEZONE, "value"),
    *[State(_day_ids(day)[0], "value") for day in WEEKDAYS],
    *[State(_day_ids(day)[1], "value") for day in WEEKDAYS],
    *[State(_day_ids(day)[2], "value") for day in WEEKDAYS],
    State(ids.SLA_SETTINGS_HOLIDAYS, "value"),
    prevent_initial_call=True,
)
def save_calendar(clicks, zone, *values):
    """Save the whole calendar through workflow.calendar; each problem under the part it concerns."""
    user = _admin()
    if user is None or not clicks:
        raise PreventUpdate
    opened, starts, ends, text = values[:7], values[7:14], values[14:21], values[21]
    holidays, lines = parse_holidays(text)
    payload = {
        "timezone": zone or "",
        "hours": {
            day: {"start": start or "", "end": end or ""} if is_open else None
            for day, is_open, start, end in zip(WEEKDAYS, opened, starts, ends)
        },
        "holidays": holidays,
    }
    errors: dict[str, str] = {}
    shown = no_update
    try:
        saved = sla_policy.set_calendar(actor=user, calendar_payload=payload)
        message = _alert("Calendar saved. Business-hours clocks and the analytics are recomputed in the background; "
                         "the analytics page says so until they are done.", "success")
        shown = holidays_text(saved)
    except ValidationFailed as exc:
        errors = _calendar_errors(exc.details or [], lines)
        message = _alert(errors.pop("other", "Check the highlighted parts of the calendar."), "danger")
    except DomainError as exc:
        message = _alert(error_sentence(exc), "danger")
    return (
        message,
        "timezone" in errors,
        errors.get("timezone"),
        *[errors.get(f"hours.{day}") for day in WEEKDAYS],
        errors.get("hours"),
        "holidays" in errors,
        errors.get("holidays"),
        shown,
    )


# --- escalations ------------------------------------------------------------------------------------------


def _escalation_id(kind: str, priority: Priority) -> str:
    return f"{kind}-{priority.value}"


ESCALATION_SWITCHES = (ids.SLA_ESCALATION_WARN, ids.SLA_ESCALATION_BREACH, ids.SLA_ESCALATION_RAISE,
                       ids.SLA_ESCALATION_RETURN)


def _escalations_card() -> dbc.Card:
    current = escalations.get_rules()
    low, high = escalation_rules.PERCENT_RANGE
    rows = []
    for priority in Priority:
        rule = current[priority]
        percent_id = _escalation_id(ids.SLA_ESCALATION_PERCENT, priority)

        def switch(kind: str, value: bool, label: str):
            return html.Td(dbc.Checkbox(id=_escalation_id(kind, priority), value=value, label=label,
                                        label_class_name="small"))

        rows.append(html.Tr([
            html.Th(priority.value, scope="row"),
            switch(ids.SLA_ESCALATION_WARN, rule.warning_enabled, "Warn the assignee"),
            html.Td([
                dbc.Label(f"{priority.value}: warn at this share of the target", html_for=percent_id,
                          className="visually-hidden"),
                dbc.InputGroup([
                    dbc.Input(id=percent_id, type="number", min=low, max=high, step=1, value=rule.warning_percent),
                    dbc.InputGroupText("%"),
                    dbc.FormFeedback(id=f"{percent_id}-error", type="invalid"),
                ], size="sm", className="has-validation"),
            ]),
            switch(ids.SLA_ESCALATION_BREACH, rule.breach_enabled, "Notify assignee and managers"),
            switch(ids.SLA_ESCALATION_RAISE, rule.raise_priority, "Raise priority"),
            switch(ids.SLA_ESCALATION_RETURN, rule.return_to_queue, "Return to queue"),
        ]))
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Escalations", className="h6 mb-0")),
            dbc.CardBody([
                html.P("Before a task's target passes, its assignee is warned once it has used the share of the "
                       "target set here; when it passes, the assignee and the managers of the task's department "
                       "are told, and the task may be raised one priority or returned to the queue. Each happens "
                       "once per task, again after a reopen. Everyone chooses how they are told on their "
                       "preferences page (SLA Warning, SLA Breach).", className="small text-body-secondary"),
                dbc.Table([
                    html.Thead(html.Tr([html.Th("Priority"), html.Th("Warning"), html.Th("At"),
                                        html.Th("At breach"), html.Th("Then"), html.Th("")])),
                    html.Tbody(rows),
                ], size="sm", responsive=True, className="align-middle"),
                dbc.Button("Save escalations", id=ids.SLA_ESCALATIONS_SAVE, color="primary"),
                html.Div(id=ids.SLA_ESCALATIONS_MESSAGE, className="mt-2", role="status"),
            ]),
        ],
        id=ids.SLA_ESCALATIONS_CARD,
        className="mb-3",
    )


def _percent(value) -> int | str:
    """A warning share as whole percent, or the message to show under it."""
    low, high = escalation_rules.PERCENT_RANGE
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"Enter a whole percent from {low} to {high}."
    if not number.is_integer() or not low <= number <= high:
        return f"Enter a whole percent from {low} to {high}."
    return int(number)


@callback(
    Output(ids.SLA_ESCALATIONS_MESSAGE, "children"),
    *[Output(_escalation_id(ids.SLA_ESCALATION_PERCENT, p), "invalid") for p in Priority],
    *[Output(f"{_escalation_id(ids.SLA_ESCALATION_PERCENT, p)}-error", "children") for p in Priority],
    Input(ids.SLA_ESCALATIONS_SAVE, "n_clicks"),
    *[State(_escalation_id(ids.SLA_ESCALATION_PERCENT, p), "value") for p in Priority],
    *[State(_escalation_id(kind, p), "value") for kind in ESCALATION_SWITCHES for p in Priority],
    prevent_initial_call=True,
)
def save_escalations(clicks, *values):
    """Save every priority's escalation through the workflow; a bad share under its field."""
    user = _supervisor()
    if user is None or not clicks:
        raise PreventUpdate
    count = len(Priority)
    percents = values[:count]
    switches = {kind: values[count * (n + 1):count * (n + 2)] for n, kind in enumerate(ESCALATION_SWITCHES)}
    errors: dict[str, str] = {}
    changes = {}
    for index, priority in enumerate(Priority):
        percent = _percent(percents[index])
        if isinstance(percent, str):
            errors[priority.value] = percent
            continue
        changes[priority.value] = {
            "warning_enabled": bool(switches[ids.SLA_ESCALATION_WARN][index]), "warning_percent": percent,
            "breach_enabled": bool(switches[ids.SLA_ESCALATION_BREACH][index]),
            "raise_priority": bool(switches[ids.SLA_ESCALATION_RAISE][index]),
            "return_to_queue": bool(switches[ids.SLA_ESCALATION_RETURN][index]),
        }
    message = None
    if not errors:
        try:
            escalations.set_rules(actor=user, changes=changes)
            message = _alert("Escalations saved: the next check of the SLA clocks acts on them.", "success")
        except ValidationFailed as exc:
            errors = _by_priority(exc)
        except DomainError as exc:
            message = _alert(error_sentence(exc), "danger")
    if errors:
        message = _alert("Check the highlighted shares.", "danger")
    return (message, *[p.value in errors for p in Priority], *[errors.get(p.value) for p in Priority])
