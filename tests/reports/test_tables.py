"""Report frames as JSON values: a whole column at once gives what `plain` gives value by value."""
import enum
import json
import math
import uuid
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd

from api.reports import records
from reports.tables import plain, plain_columns


class Colour(enum.Enum):
    RED = "red"


def _frame() -> pd.DataFrame:
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    return pd.DataFrame({
        "id": [uuid.UUID(int=1), uuid.UUID(int=2), None],
        "count": np.array([1, 2, 3], dtype="int64"),
        "share": [0.5, math.nan, 2.0],
        "small": np.array([1.5, np.nan, 3.0], dtype="float32"),
        "done": [True, False, True],
        "name": pd.array(["a", None, "c"], dtype="string"),
        "title": pd.Series(["x", None, "z"], dtype="str"),
        "at": pd.to_datetime([moment, None, moment.replace(microsecond=5)], utc=True),
        # A moment computed from epoch seconds (a float) has nanoseconds.
        "computed": pd.to_datetime([1_780_000_000.990268946, None, 1_780_000_000.0], unit="s", utc=True),
        "naive": pd.to_datetime(["2026-03-01 10:00:00", None, "2026-03-02 00:00:00.000001"], format="ISO8601"),
        "day": [date(2026, 3, 1), None, date(2026, 3, 3)],
        "colour": [Colour.RED, None, Colour.RED],
        "mixed": [1, "two", math.nan],
    })


def test_columns_converted_at_once_equal_plain_value_by_value():
    frame = _frame()
    by_value = [{str(key): plain(value) for key, value in row.items()} for row in frame.to_dict("records")]

    assert records(frame) == by_value
    assert json.dumps(records(frame)) == json.dumps(by_value)
    # The missing values of every kind of column are null, not NaN or NaT.
    assert [row["share"] for row in records(frame)] == [0.5, None, 2.0]
    assert [row["name"] for row in records(frame)] == ["a", None, "c"]
    assert [row["title"] for row in records(frame)] == ["x", None, "z"]
    assert records(frame)[0]["at"] == "2026-03-01T09:30:00Z" and records(frame)[1]["at"] is None


def test_an_empty_frame_has_no_records_and_empty_columns():
    frame = _frame().iloc[0:0]
    assert records(frame) == [] and plain_columns(frame) == [[] for _ in frame.columns]
