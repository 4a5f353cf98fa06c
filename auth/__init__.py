"""Authentication: who is calling, from a Bearer token (API) or a session cookie (portal)."""
import hmac
import secrets
import uuid

from flask import Flask, current_app, g, request
from flask import session as flask_session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from auth import passwords, service_tokens
from auth.service_tokens import TokenUse
from auth.throttle import LoginThrottle
from auth.tokens import Credential, read_token
from db import session
from db.models import User
from domain.errors import Forbidden, Unauthorized

login_manager = LoginManager()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
#: The session cookie's copy of the user's credential version at sign-in.
SESSION_VERSION_KEY = "credential_version"


class SessionUser(UserMixin):
    """What Flask-Login keeps for a portal session: the user's id and the loaded user."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def is_active(self) -> bool:
        return self.user.is_active


@login_manager.user_loader
def _load_session_user(user_id: str) -> SessionUser | None:
    try:
        user = session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    # A deactivated user's session ends on their next request, and so does one signed in before the
    # user's credentials were revoked (a copied cookie outlives logout only until this check).
    if user is None or not user.is_active or flask_session.get(SESSION_VERSION_KEY) != user.credential_version:
        return None
    return SessionUser(user)


def init_app(app: Flask) -> None:
    """Configure hashing, the login throttle and Flask-Login."""
    secret = app.config.get("SECRET_KEY") or ""
    if len(secret) < 32:
        raise RuntimeError("SECRET_KEY must be set to at least 32 random characters (see README: Configuration)")
    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
    app.extensions["login_throttle"] = LoginThrottle(
        app.config.get("REDIS_URL"),
        app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        app.config["LOGIN_FAILURE_WINDOW_SECONDS"],
    )
    login_manager.init_app(app)


def client_address() -> str:
    return request.remote_addr or "unknown"


def login_throttle() -> LoginThrottle:
    """The app's failed-login throttle."""
    return current_app.extensions["login_throttle"]


def start_session(user: User) -> None:
    """Sign a user into the portal session (cookie)."""
    login_user(SessionUser(user))
    flask_session[SESSION_VERSION_KEY] = user.credential_version
    csrf_token()


def keep_session(user: User) -> None:
    """Keep this browser signed in after the user's own credential change (their other sessions end)."""
    flask_session[SESSION_VERSION_KEY] = user.credential_version


def end_session() -> None:
    """Forget the session in this browser (workflow/users.sign_out revokes it everywhere)."""
    logout_user()
    flask_session.pop("csrf_token", None)
    flask_session.pop(SESSION_VERSION_KEY, None)


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    if "csrf_token" not in flask_session:
        flask_session["csrf_token"] = secrets.token_urlsafe(32)
    return flask_session["csrf_token"]


def csrf_valid(sent: str | None) -> bool:
    """Whether `sent` is this session's CSRF token (a header for API calls, a form field for the portal's forms)."""
    expected = flask_session.get("csrf_token", "")
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected)


def _bearer_credential() -> Credential | None:
    """The credential of a valid Bearer token, None without an Authorization header.

    A service token (`wm_pat_...`) is looked up and checked here (revoked, expired, owner deactivated: 401)
    and speaks for its owner at their current credential version: it outlives a password change and a
    "sign out everywhere", which end sign-ins, and is revoked on its own (DELETE /api/tokens/{id}).
    """
    g.service_token = None
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use 'Authorization: Bearer <token>'")
    token = token.strip()
    if service_tokens.is_service_token(token):
        g.service_token, user = service_tokens.authenticate(token)
        return Credential(user.id, user.credential_version)
    return read_token(token)


def service_token() -> TokenUse | None:
    """The service token this request authenticated with; None for a sign-in token or the portal session."""
    return g.get("service_token")


def holds(user_id, version) -> list:
    """WHERE conditions on `users`, true only for that user while active at that credential version (values or
    bound parameters): for a hot read that checks its caller in its own statement, as `request_user` would."""
    return [User.id == user_id, User.is_active.is_(True), User.credential_version == version]


def request_credential() -> Credential:
    """The caller's credential without loading the user: the caller must check, in its own query, that the
    user is still active at this credential version (the unread-count poll does it in the statement of its count)."""
    credential = _bearer_credential()
    if credential is not None:
        return credential
    user = request_user()
    return Credential(user.id, user.credential_version)


def request_user() -> User:
    """The caller of an API request: Bearer token first, then the portal session with CSRF."""
    credential = _bearer_credential()
    if credential is not None:
        user = session.get(User, credential.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("user is deactivated or unknown")
        if user.credential_version != credential.version:
            raise Unauthorized("token revoked: sign in again")
        return user
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            if not csrf_valid(request.headers.get(CSRF_HEADER)):
                raise Forbidden("missing or wrong CSRF token", {"header": CSRF_HEADER})
        return current_user.user
    raise Unauthorized("authentication required")
