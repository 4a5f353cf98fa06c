"""The analytics reports' tables, and how a table's values are written out (JSON and CSV alike)."""
import enum
import math
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from domain.filters import TaskFilters
from reports import flow, sla, workload
from reports.csv_cells import safe_cell

#: Per analytics report, its tables (the first is the default): what a CSV download or an export holds.
TABLES: dict[str, dict[str, Callable[[TaskFilters], pd.DataFrame]]] = {
    "sla": {
        "by_priority": lambda f: sla.compliance_by_priority(filters=f),
        "by_week": lambda f: sla.compliance_by_week(filters=f),
        "by_assignee": lambda f: sla.compliance_by_assignee(filters=f),
        "by_department": lambda f: sla.compliance_by_department(filters=f),
        "watchlist": lambda f: sla.watchlist(filters=f),
    },
    "workload": {
        "by_assignee": lambda f: workload.open_by_assignee(filters=f),
        "by_department": lambda f: workload.open_by_department(filters=f),
    },
    "status-flow": {
        "transitions": lambda f: flow.transitions(filters=f),
        "time_in_status": lambda f: flow.time_in_status(filters=f),
        "transition_matrix": lambda f: flow.transition_matrix(filters=f).rename_axis(index="from_status",
                                                                                    columns=None).reset_index(),
        "rework": lambda f: pd.DataFrame([flow.rework(filters=f)]),
    },
    "flow-metrics": {
        "throughput": lambda f: flow.weekly_throughput(filters=f),
        "cycle_lead": lambda f: flow.cycle_and_lead_times(filters=f)["points"],
        "cumulative_flow": lambda f: flow.cumulative_flow(filters=f),
        "aging_wip": lambda f: flow.aging_wip(filters=f)["points"],
    },
}


#: Each table's title, as the analytics page heads its figure and the export menu names it.
TITLES: dict[tuple[str, str], str] = {
    ("sla", "by_priority"): "SLA compliance by priority",
    ("sla", "by_week"): "SLA compliance by week",
    ("sla", "by_assignee"): "SLA compliance by assignee",
    ("sla", "by_department"): "SLA compliance by department",
    ("sla", "watchlist"): "SLA watchlist: breached and at risk",
    ("workload", "by_assignee"): "Open work by assignee",
    ("workload", "by_department"): "Open work by department",
    ("status-flow", "transitions"): "Status flow",
    ("status-flow", "time_in_status"): "Time in status",
    ("status-flow", "transition_matrix"): "Transition matrix",
    ("status-flow", "rework"): "Rework: reopens and hand-backs",
    ("flow-metrics", "throughput"): "Weekly throughput",
    ("flow-metrics", "cycle_lead"): "Cycle and lead time",
    ("flow-metrics", "cumulative_flow"): "Cumulative flow",
    ("flow-metrics", "aging_wip"): "Aging work in progress",
}

def plain(value) -> Any:
    """A report value as JSON: NaN/NaT -> None, datetimes ISO UTC (`Z`), dates ISO, ids and enums as text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return plain(value.item())
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plain_columns(frame: pd.DataFrame) -> list[list]:
    """Each column of a frame as a list of its values as `plain` makes them.

    Columns of numbers, text or moments are converted at once, with only their missing values to
    look at, and ids without the checks `plain` makes first: a scatter's thousands of points were
    a `plain` call per value.
    """
    columns = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else None
        values = column.tolist()
        if kind in ("i", "u", "b"):
            pass
        elif kind == "f":
            values = [None if value != value else value for value in values]  # NaN
        elif isinstance(column.dtype, pd.StringDtype):
            values = [value if isinstance(value, str) else None for value in values]
        elif kind == "M" or isinstance(column.dtype, pd.DatetimeTZDtype):
            values = _iso_utc(column)
        else:
            values = [str(value) if type(value) is uuid.UUID else plain(value) for value in values]
        columns.append(values)
    return columns


def _iso_utc(column: pd.Series) -> list:
    """A datetime column as `plain` writes each moment, at once: UTC with a `Z`, and as many digits of
    the second as isoformat gives (nine if there are nanoseconds, six if microseconds, else none)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    written = np.datetime_as_string(column.to_numpy(dtype="datetime64[ns]"), unit="ns").tolist()
    return [None if text == "NaT" else _fraction_as_isoformat(text) + "Z" for text in written]


def _fraction_as_isoformat(text: str) -> str:
    if text.endswith("000"):
        text = text[:-3]
    return text[:-7] if text.endswith(".000000") else text


def csv_rows(frame: pd.DataFrame) -> Iterator[list]:
    """The header, then each row with its values as `plain` makes them, nulls empty, text spreadsheet-safe."""
    yield [safe_cell(str(column)) for column in frame.columns]
    for row in zip(*plain_columns(frame)):
        yield ["" if cell is None else safe_cell(cell) for cell in row]
