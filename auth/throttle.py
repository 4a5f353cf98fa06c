"""Failed-login throttling per account and per address, exact across processes when Redis is shared.

Each attempt reserves a place in both moving windows before the password is checked, in one atomic
step (a Lua script on Redis; a lock in this process without Redis), so parallel attempts can never
get past the limit together. A failure keeps its place until the window moves past it; a success
gives its place back and clears the account's failures.
"""
import math
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from domain.errors import Throttled

#: KEYS: the windows; ARGV: window in ms, the attempt's id, then each window's limit. Returns 0 when
#: the attempt got its place in every window, else the ms until the earliest full window frees one.
_RESERVE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
        local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
        wait = math.max(wait, tonumber(oldest[2]) + window - now, 1)
    end
end
if wait > 0 then
    return wait
end
for _, key in ipairs(KEYS) do
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, window)
end
return 0
"""


@dataclass
class Attempt:
    """One sign-in attempt holding a place in the windows; the caller says how it ended."""

    id: str
    outcome: str | None = None

    def failed(self) -> None:
        """The credentials were wrong: the attempt keeps its place in the windows."""
        self.outcome = "failed"

    def succeeded(self) -> None:
        """The credentials were right: the place is given back and the account's failures are cleared."""
        self.outcome = "succeeded"


class RedisWindows:
    """Moving windows as Redis sorted sets of attempt ids scored by time, shared by every process."""

    def __init__(self, url: str, prefix: str = "workflow:login:"):
        self._redis = redis.Redis.from_url(url)
        self._reserve = self._redis.register_script(_RESERVE)
        self._prefix = prefix

    def reserve(self, keys: list[str], limits: list[int], window_seconds: int, attempt_id: str) -> float:
        """0 when the attempt holds a place in every window, else the seconds until one frees."""
        wait_ms = self._reserve(keys=[self._prefix + key for key in keys], args=[window_seconds * 1000, attempt_id, *limits])
        return int(wait_ms) / 1000

    def release(self, keys: list[str], attempt_id: str) -> None:
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.zrem(self._prefix + key, attempt_id)
        pipe.execute()

    def clear(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class LocalWindows:
    """The same windows in this process's memory: exact for one process (the embedded default)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._windows: dict[str, deque[tuple[float, str]]] = {}

    def reserve(self, keys: list[str], limits: list[int], window_seconds: int, attempt_id: str) -> float:
        with self._lock:
            now = time.monotonic()
            wait = 0.0
            for key, limit in zip(keys, limits):
                window = self._windows.setdefault(key, deque())
                while window and window[0][0] <= now - window_seconds:
                    window.popleft()
                if len(window) >= limit:
                    wait = max(wait, window[0][0] + window_seconds - now, 0.001)
            if wait:
                return wait
            for key in keys:
                self._windows[key].append((now, attempt_id))
            return 0.0

    def release(self, keys: list[str], attempt_id: str) -> None:
        with self._lock:
            for key in keys:
                window = self._windows.get(key, deque())
                self._windows[key] = deque(entry for entry in window if entry[1] != attempt_id)

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class LoginThrottle:
    """Too many failed sign-ins for an account or from an address in the window is 429 with Retry-After."""

    def __init__(self, redis_url: str | None, per_account: int, per_address: int, window_seconds: int):
        self._windows = RedisWindows(redis_url) if redis_url else LocalWindows()
        self._limits = [per_account, per_address]
        self._window = window_seconds

    @contextmanager
    def attempt(self, username: str, address: str):
        """Hold a place for one attempt (Throttled if there is none); see Attempt for how it ends."""
        account = f"account:{username.lower()}"
        keys = [account, f"address:{address}"]
        attempt = Attempt(uuid.uuid4().hex)
        wait = self._windows.reserve(keys, self._limits, self._window, attempt.id)
        if wait:
            raise Throttled("too many failed sign-ins; try again later", max(1, math.ceil(wait)))
        try:
            yield attempt
        finally:
            # Only a failure counts: a success, or an error that decided nothing (the database was
            # away), gives the place back.
            if attempt.outcome != "failed":
                self._windows.release(keys, attempt.id)
            if attempt.outcome == "succeeded":
                self._windows.clear(account)
