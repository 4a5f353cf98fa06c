"""The frame of one unit of background work: inside its app, the database session released and the
metrics sent afterwards (an export, a duty, a Lambda invocation)."""
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from aws import metrics
from db import release_session


@contextmanager
def working_in(app: Flask) -> Iterator[None]:
    """One unit of work inside `app`: its database session released and its metrics sent afterwards."""
    with app.app_context():
        try:
            yield
        finally:
            release_session()
            metrics.flush()
