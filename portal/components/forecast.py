"""The forecast's pieces shared by the analytics and case pages: the weeks input, its parsing, the sentences."""
import dash_bootstrap_components as dbc
from dash import html

from portal.components import times
from reports import forecast


def weeks_input(input_id: str) -> list:
    """A labelled "Weeks of history" number input, 1 to forecast.MAX_WEEKS, starting at forecast.DEFAULT_WEEKS."""
    return [
        dbc.Label("Weeks of history", html_for=input_id, className="mb-1 small"),
        # debounce: a forecast per keystroke would simulate 10,000 trials for "1" on the way to "12".
        dbc.Input(id=input_id, type="number", min=1, max=forecast.MAX_WEEKS, step=1, value=forecast.DEFAULT_WEEKS,
                  size="sm", debounce=True),
    ]


def weeks_of(value) -> int:
    """The weeks typed, or forecast.DEFAULT_WEEKS when the input holds nothing usable (empty, out of range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= forecast.MAX_WEEKS:
        return forecast.DEFAULT_WEEKS
    return int(value)


def _day(value) -> str:
    return "not within three years" if value is None else times.day(value)


def forecast_summary(result: dict) -> list:
    """The forecast in sentences: the backlog, the history sampled, the dates, and how many by the chosen day."""
    weeks = result["weeks"]
    lines = [html.Div(f"{result['backlog']:,} open tasks; {result['completed_in_history']:,} completed in the last "
                      f"{weeks} week{'s' if weeks != 1 else ''}, sampled {result['trials']:,} times.")]
    if result["backlog"]:
        lines.append(html.Div([html.Strong("Done by: "), " · ".join(
            f"{percent} % {_day(result['when'][f'p{percent}'])}" for percent in forecast.CONFIDENCES)]))
    many = result["how_many"]
    if many is not None:
        lines.append(html.Div([html.Strong(f"By {times.day(many['date'])}: "), " · ".join(
            f"{percent} % at least {many[f'p{percent}']:,}" for percent in forecast.CONFIDENCES)]))
    return lines
