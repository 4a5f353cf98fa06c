"""Failed-login throttling per account and per address (shared through Redis when configured)."""
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from domain.errors import Throttled


class LoginThrottle:
    """Counts failed logins in a moving window; too many for an account or an address is 429."""

    def __init__(self, storage_url: str, per_account: int, per_address: int, window_seconds: int):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url))
        self._account = RateLimitItemPerSecond(per_account, window_seconds)
        self._address = RateLimitItemPerSecond(per_address, window_seconds)
        self._window = window_seconds

    def check(self, username: str, address: str) -> None:
        """Refuse the attempt if either key has used its failures."""
        for item, key in ((self._account, f"account:{username.lower()}"), (self._address, f"addr:{address}")):
            if not self._limiter.test(item, "login", key):
                reset_at, _remaining = self._limiter.get_window_stats(item, "login", key)
                retry_after = max(1, int(reset_at - time.time()) + 1)
                raise Throttled("too many failed logins; try again later", retry_after)

    def failed(self, username: str, address: str) -> None:
        self._limiter.hit(self._account, "login", f"account:{username.lower()}")
        self._limiter.hit(self._address, "login", f"addr:{address}")

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self._account, "login", f"account:{username.lower()}")
