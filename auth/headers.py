"""Security headers on every response: a content security policy that runs inline scripts only by their
hash, no framing, no MIME sniffing, a same-origin referrer, and HSTS when the site is served over HTTPS."""
import base64
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request

#: The policy of every response; `script-src` also gets the hashes of the inline scripts allowed.
POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    # Dash's renderer and core components, Plotly, AG Grid and Swagger UI all inject <style> elements
    # as they draw (measured in Chromium); styles cannot run code.
    ("style-src", "'self' 'unsafe-inline'"),
    # Bootstrap's form controls, AG Grid and Swagger UI draw their icons as data: URIs.
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    # Downloads (S3 links included) are navigations, not fetches: nothing beyond this site.
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)
STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
#: A script element without attributes: the inline scripts of a page rendered from a template.
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass
class _Settings:
    #: Each gives the hashes of inline scripts every page may run.
    script_sources: list[Callable[[], Iterable[str]]] = field(default_factory=list)
    #: Endpoints whose inline script is rendered per request and hashed as served.
    served_script_endpoints: set[str] = field(default_factory=set)


def script_hash(source: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _settings(app: Flask) -> _Settings:
    return app.extensions.setdefault("security_headers", _Settings())


def allow_inline_scripts(app: Flask, hashes: Callable[[], Iterable[str]]) -> None:
    """Let every page run the inline scripts whose CSP hashes `hashes()` gives, asked at each response.

    Asked each time because a script may be added late: Dash registers its page router's clientside
    callback on its first request.
    """
    _settings(app).script_sources.append(hashes)


@functools.lru_cache(maxsize=64)
def content_security_policy(script_hashes: tuple[str, ...]) -> str:
    """The policy, with these inline script hashes allowed."""
    directives = []
    for name, sources in POLICY:
        if name == "script-src" and script_hashes:
            sources = " ".join([sources, *script_hashes])
        directives.append(f"{name} {sources}")
    return "; ".join(directives)


def _served_script_hashes(response: Response) -> list[str]:
    """The hashes of the inline scripts of a page whose script depends on the request.

    Only for the endpoints named at init: flask-swagger-ui writes the request's host into its script (the
    OAuth redirect URL), and Werkzeug gives an empty host for a Host header with characters outside a
    host name, so the script is always the package's template with a plain host in a JSON string.
    """
    served = request.endpoint in _settings(current_app).served_script_endpoints
    # Files sent as they are (the package's static assets) are not read here.
    if not served or response.mimetype != "text/html" or not response.is_sequence:
        return []
    return [script_hash(source) for source in INLINE_SCRIPT.findall(response.get_data(as_text=True))]


def _add_headers(response: Response) -> Response:
    """Each security header the response does not set itself."""
    hashes = [value for source in _settings(current_app).script_sources for value in source()]
    wanted = {"Content-Security-Policy": content_security_policy(tuple(hashes + _served_script_hashes(response))),
              **STATIC_HEADERS}
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        wanted["Strict-Transport-Security"] = HSTS
    present = {name.lower() for name in response.headers.keys()}
    response.headers.extend([(name, value) for name, value in wanted.items() if name.lower() not in present])
    return response


def init_app(app: Flask, served_script_endpoints=()) -> None:
    """Send the security headers on every response; `served_script_endpoints` get their own scripts' hashes."""
    _settings(app).served_script_endpoints.update(served_script_endpoints)
    app.after_request(_add_headers)
