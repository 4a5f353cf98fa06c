"""Sign in and sign out: plain Flask pages on the portal session (no Dash needed to log in); 404 for unknown pages."""
import re
from fnmatch import fnmatch
from urllib.parse import urlsplit

import dash
from flask import Blueprint, Response, abort, redirect, render_template_string, request
from flask import session as flask_session
from flask_login import current_user

import auth
from domain.errors import Throttled, Unauthorized
from portal.components.forms import wait_text
from workflow import users

blueprint = Blueprint("portal_auth", __name__)


def card_page(title: str, body: str) -> str:
    """A page of its own, outside Dash: the product's name over a card holding `body` (trusted HTML)."""
    return f"""<!doctype html>
<html lang="en" data-bs-theme="light">
<head>
  <meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · Workflow Manager</title>
  <link rel="stylesheet" href="/assets/00-bootstrap.min.css">
  <link rel="stylesheet" href="/assets/app.css">
</head>
<body class="login-page">
  <main class="login-card card shadow-sm">
    <div class="card-body p-4">
      <h1 class="h4 mb-1">Workflow Manager</h1>
{body}    </div>
  </main>
</body>
</html>"""


#: A Jinja template (render_template_string escapes what it fills in).
LOGIN_PAGE = card_page("Sign in", """      <p class="text-body-secondary mb-4">Sign in to your queue</p>
      {% if error %}<div class="alert alert-danger" role="alert" id="login-error">{{ error }}</div>{% endif %}
      <form method="post" action="/login" novalidate>
        <input type="hidden" name="csrf_token" value="{{ csrf }}">
        <input type="hidden" name="next" value="{{ next }}">
        <div class="mb-3">
          <label class="form-label" for="username">Username</label>
          <input class="form-control" id="username" name="username" autocomplete="username" value="{{ username }}" required autofocus>
        </div>
        <div class="mb-3">
          <label class="form-label" for="password">Password</label>
          <input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required>
        </div>
        <button class="btn btn-primary w-100" type="submit">Sign in</button>
      </form>
""")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative URL (open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _page(status: int = 200, error: str | None = None, username: str = ""):
    next_url = safe_next(request.values.get("next"))
    html = render_template_string(LOGIN_PAGE, csrf=auth.csrf_token(), next=next_url, error=error, username=username)
    return html, status


def _check_csrf() -> None:
    if not auth.csrf_valid(request.form.get("csrf_token")):
        abort(400, "the form expired; reload the page and try again")


@blueprint.get("/login")
def login_form():
    """The sign-in form."""
    return _page()


@blueprint.post("/login")
def login_submit():
    """Check the credentials (throttled like the API), start the session, go where the user was going."""
    _check_csrf()
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        user = users.authenticate(username=username, password=password)
    except Throttled as exc:
        html, status = _page(429, f"Too many failed sign-ins. Try again in {wait_text(exc.retry_after)}.", username)
        return html, status, {"Retry-After": str(exc.retry_after)}
    except Unauthorized:
        return _page(401, "Wrong username or password.", username)
    flask_session.clear()  # a fresh session on sign-in: no fixation
    auth.start_session(user)
    return redirect(safe_next(request.form.get("next")))


@blueprint.post("/logout")
def logout():
    """Sign out everywhere: this session, the user's other sessions and their API tokens."""
    _check_csrf()
    if current_user.is_authenticated:
        users.sign_out(actor=current_user.user, user_id=current_user.user.id)
    auth.end_session()
    return redirect("/login")


#: The endpoint of Dash's catch-all route: the portal's page for every path no other route serves.
DASH_CATCHALL = "/<path:path>"
NOT_FOUND_MODULE = "not_found_404"


def _is_page(path: str) -> bool:
    """Whether a Dash page serves `path` (Dash's own matching: a fixed path, or a template's wildcards)."""
    wanted = path.strip("/")
    for module, page in dash.page_registry.items():
        if module.split(".")[-1] == NOT_FOUND_MODULE:
            continue
        template = page.get("path_template")
        if template and fnmatch(wanted, re.sub("<.*?>", "*", template.strip("/"))):
            return True
        if wanted == page["path"].strip("/"):
            return True
    return False


@blueprint.after_app_request
def not_found_status(response: Response) -> Response:
    """An address no portal page serves answers 404: Dash sends its page with 200 and shows the 404 page in it."""
    if request.endpoint == DASH_CATCHALL and response.status_code == 200 and not _is_page(request.path):
        response.status_code = 404
    return response
