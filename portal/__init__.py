"""The portal: a Dash app on the same Flask server, behind the portal session."""
from pathlib import Path

import dash
from flask import Flask, current_app, jsonify, redirect, request
from urllib.parse import quote

from auth import headers
from portal import callback_guard, csp, shell, unavailable
from portal.access import portal_user
from portal.views import blueprint as auth_blueprint

ROOT = Path(__file__).resolve().parent.parent

#: Paths served without a portal session: sign-in, the API (its own auth), health, static files.
PUBLIC_PREFIXES = ("/login", "/logout", "/api", "/healthz", "/readyz", "/assets/", "/_dash-component-suites/", "/_favicon")
#: Dash's own endpoints answer JSON; an anonymous call there is a 401, not a redirect.
DASH_ENDPOINTS = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/_reload-hash")


def _require_session():
    """Every portal page and every Dash callback needs a signed-in, active user."""
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or portal_user() is not None:
        return None
    if path.startswith(DASH_ENDPOINTS):
        return jsonify({"error": {"code": "unauthorized", "message": "sign in first", "details": None}}), 401
    target = request.full_path.rstrip("?") if request.query_string else path
    return redirect(f"/login?next={quote(target)}")


#: A Dash upload arrives base64-encoded inside a JSON body: 4/3 of the file, plus room for the rest.
DASH_UPLOAD_FACTOR = 1.4
DASH_UPLOAD_OVERHEAD = 64 * 1024


def _allow_uploads():
    """Only Dash's callback endpoint takes bodies as big as an attachment; everything else keeps MAX_CONTENT_LENGTH."""
    if request.path == "/_dash-update-component":
        limit = int(current_app.config["ATTACHMENT_MAX_BYTES"] * DASH_UPLOAD_FACTOR) + DASH_UPLOAD_OVERHEAD
        request.max_content_length = max(limit, current_app.config.get("MAX_CONTENT_LENGTH") or 0)


#: How long a browser keeps an asset asked for by its fingerprinted address (a year: such an address never changes).
FINGERPRINTED_MAX_AGE = 365 * 24 * 3600


def _cache_fingerprinted_assets(response):
    """Dash links every asset as `/assets/<file>?m=<its modified time>`: kept, not revalidated on every page."""
    if request.path.startswith("/assets/") and request.args.get("m") and response.status_code == 200:
        response.headers["Cache-Control"] = f"public, max-age={FINGERPRINTED_MAX_AGE}, immutable"
    return response


def init_app(server: Flask) -> dash.Dash:
    """Mount the Dash app at / on `server`."""
    server.register_blueprint(auth_blueprint)
    unavailable.init_app(server, json_paths=DASH_ENDPOINTS)
    server.before_request(_require_session)
    server.before_request(_allow_uploads)
    server.after_request(_cache_fingerprinted_assets)
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(Path(__file__).resolve().parent / "pages"),
        assets_folder=str(ROOT / "assets"),
        # Served, not put on every page: assets/plotly_loader.js fetches it for pages with charts.
        assets_ignore=r"^plotly-portal\.min\.js$",
        url_base_pathname="/",
        title="Workflow Manager",
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
    )
    server.extensions["dash"] = app
    # After the session check (anonymous is a 401), the upload limit (the body is read here) and Dash's
    # own first-request hook (it registers the page router's callbacks).
    server.before_request(callback_guard.refuse_malformed)
    app.layout = shell.layout
    shell.register_callbacks(app)
    # Dash takes the callbacks that page modules register globally on its first request; the
    # tests build several apps in one process, so each app takes its own copy at once. Dash has no
    # public call for this, hence its private `_setup_server`.
    with server.app_context():
        app._setup_server()
    # Dash's inline scripts (its renderer, each clientside callback) run without 'unsafe-inline'.
    headers.allow_inline_scripts(server, csp.inline_script_hashes(app))
    return app
