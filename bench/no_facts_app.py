"""The app with the analytics facts not kept: the reference side of bench/status_writes.py.

The same factory and code as `app:create_app()`, except that `workflow.analytics.before_change`
and `workflow.analytics.keep` do nothing (workflow/tasks.py calls them through the module, so
replacing the module's attributes at import is enough). Served as
`gunicorn 'bench.no_facts_app:create_app()'`; never for anything but measuring.
"""
from collections import Counter

from workflow import analytics

from app import create_app as _real_create_app


def _no_before_change(task_ids) -> Counter:
    return Counter()


def _no_keep(task_ids, before) -> None:
    return None


analytics.before_change = _no_before_change
analytics.keep = _no_keep


def create_app(config=None):
    """The real app factory (the facts are not kept: see the module's docstring)."""
    return _real_create_app(config)
