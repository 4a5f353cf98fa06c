"""The portal's answer while the database cannot be reached: 503 with Retry-After, never a 500."""
import logging

from flask import Flask, jsonify, request

import db
from portal.views import card_page

log = logging.getLogger(__name__)

MESSAGE = "the service is temporarily unavailable; try again shortly"

#: No user input and no script: nothing here depends on the request or needs the database.
PAGE = card_page("Temporarily unavailable", """\
      <p class="text-body-secondary mb-3">Temporarily unavailable</p>
      <p id="unavailable">We cannot reach the database right now. Please try again in a few moments;
      if you were saving something, check whether it was saved before you send it again.</p>
      <a class="btn btn-primary w-100" href="">Try again</a>
""")


def init_app(server: Flask, json_paths: tuple[str, ...]) -> None:
    """Answer a database outage with 503 and Retry-After: the JSON error on `json_paths`, else the page."""

    def database_error(exc):
        if not db.unavailable(exc):
            raise exc  # a bug: Flask's own 500, as before
        # One line, no traceback: an outage makes one of these per request.
        log.warning("database unavailable: %s", str(exc).partition("\n")[0])
        headers = {"Retry-After": str(db.RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if request.path.startswith(json_paths):
            body = jsonify({"error": {"code": "service_unavailable", "message": MESSAGE, "details": None}})
            return body, 503, headers
        return PAGE, 503, {**headers, "Content-Type": "text/html; charset=utf-8"}

    for kind in db.DATABASE_ERRORS:
        server.register_error_handler(kind, database_error)
