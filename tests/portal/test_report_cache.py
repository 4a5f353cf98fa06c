"""The analytics pages' report cache: one computation per key while fresh, in-process or on Redis."""
import uuid

import pandas as pd
import pytest

from portal import report_cache

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["process", "redis"])
def cached_app(app, request):
    """The test app with a 60 s report cache kept in this process or on a real Redis."""
    app.config["REPORTS_CACHE_SECONDS"] = 60
    app.config["REDIS_URL"] = REDIS_URL if request.param == "redis" else None
    report_cache.clear()
    with app.app_context():
        yield app
    report_cache.clear()


def counting():
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"n": [len(calls)]})

    return calls, compute


def test_a_fresh_value_is_computed_once_and_shared(cached_app):
    calls, compute = counting()
    name = f"test.{uuid.uuid4().hex}"
    first, first_at = report_cache.remembered(name, ("filters", 1), compute)
    again, again_at = report_cache.remembered(name, ("filters", 1), compute)
    assert len(calls) == 1 and again.equals(first) and again_at == first_at
    other, _ = report_cache.remembered(name, ("filters", 2), compute)
    assert len(calls) == 2 and other["n"].tolist() == [2]


def test_a_stale_value_is_computed_again(cached_app, monkeypatch):
    calls, compute = counting()
    name = f"test.{uuid.uuid4().hex}"
    report_cache.remembered(name, (), compute)
    later = report_cache.time.time() + 61
    monkeypatch.setattr(report_cache.time, "time", lambda: later)
    value, computed = report_cache.remembered(name, (), compute)
    assert len(calls) == 2 and value["n"].tolist() == [2] and computed.timestamp() == pytest.approx(later)


def test_no_cache_when_switched_off(app):
    app.config["REPORTS_CACHE_SECONDS"] = 0
    calls, compute = counting()
    with app.app_context():
        report_cache.remembered("test.off", (), compute)
        report_cache.remembered("test.off", (), compute)
    assert len(calls) == 2
