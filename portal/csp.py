"""The hashes of Dash's inline scripts, for the content security policy."""
from collections.abc import Callable

import dash


def inline_script_hashes(app: dash.Dash) -> Callable[[], list[str]]:
    """A function giving the CSP hashes of `app`'s inline scripts, computed again only when a callback is added.

    Dash adds an inline script only with a clientside callback (its page router's on its first request),
    and every callback enters `callback_map`; hashing them all on every response would cost ~0.1 ms.
    """
    cached: dict[int, list[str]] = {}

    def hashes() -> list[str]:
        count = len(app.callback_map)
        if count not in cached:
            cached.clear()
            cached[count] = app.csp_hashes()
        return cached[count]

    return hashes
