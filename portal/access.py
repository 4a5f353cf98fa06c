"""Who is using the portal: the signed-in, active user, or nobody."""
from flask import has_request_context
from flask_login import current_user

from db.models import User


def portal_user() -> User | None:
    """The signed-in user of this request (Flask-Login drops deactivated users), or None."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.user
    return None
