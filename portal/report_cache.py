"""The analytics pages' figures, shared for a short while: each is computed at most once per
REPORTS_CACHE_SECONDS for the same filters and SLA policy, by whoever asks first.

Managers open the same dashboards all day; over a million tasks each figure is seconds of SQL,
so recomputing it per viewer and per click would queue them behind each other. The cache keeps
the rendered value with the moment it was computed (the page says "as of"). With REDIS_URL it
is shared by every worker and machine; otherwise each process keeps its own. The REST API and
the drill-through lists are never cached: they always read the database.
"""
import hashlib
import pickle
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from flask import current_app

#: Most entries one process keeps; the oldest go first.
MAX_ENTRIES = 256

_lock = threading.Lock()
_local: dict[str, tuple[float, Any]] = {}
_redis_clients: dict[str, Any] = {}


def _redis(url: str):
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url)
    return client


def _key(name: str, parts: tuple) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"wm:report:{name}:{digest}"


def remembered(name: str, parts: tuple, compute: Callable[[], Any]) -> tuple[Any, datetime]:
    """(value, computed at): the value of `compute()` for these key parts, reused while it is fresh."""
    seconds = current_app.config.get("REPORTS_CACHE_SECONDS", 0)
    if seconds <= 0:
        return compute(), datetime.now(timezone.utc)
    key = _key(name, parts)
    url = current_app.config.get("REDIS_URL")
    now = time.time()
    stored = _get(key, url)
    if stored is not None and now - stored[0] < seconds:
        return stored[1], datetime.fromtimestamp(stored[0], timezone.utc)
    value = compute()
    _set(key, (now, value), url, seconds)
    return value, datetime.fromtimestamp(now, timezone.utc)


def _get(key: str, url: str | None):
    if url:
        raw = _redis(url).get(key)
        return pickle.loads(raw) if raw is not None else None
    with _lock:
        return _local.get(key)


def _set(key: str, entry: tuple[float, Any], url: str | None, seconds: int) -> None:
    if url:
        _redis(url).set(key, pickle.dumps(entry), ex=seconds)
        return
    with _lock:
        _local[key] = entry
        while len(_local) > MAX_ENTRIES:
            del _local[next(iter(_local))]


def clear() -> None:
    """Forget this process's entries (tests; Redis entries expire on their own)."""
    with _lock:
        _local.clear()
