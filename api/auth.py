"""Sign-in and sign-out: credentials in, a Bearer token out; every session and token of a user revoked at once."""
from flask import g

from api.base import BaseResource, operation, parse_body, parse_id
from api.schemas import LoginIn, TokenOut
from auth.tokens import issue_token
from workflow.users import authenticate, sign_out


class Login(BaseResource):
    @operation(summary="Log in", tag="auth", body=LoginIn, response=TokenOut, errors=(429,), public=True)
    def post(self):
        """{"username", "password"} -> {"access_token", "token_type": "Bearer", "expires_in"}; throttled (429)."""
        body = parse_body(LoginIn)
        user = authenticate(username=body.username, password=body.password)
        token, lifetime = issue_token(user.id, user.credential_version)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}


class Logout(BaseResource):
    @operation(summary="Log out everywhere", tag="auth", response=None, status=204, errors=(403,),
               sign_in_only="sign out (revoke the token itself: DELETE /api/tokens/{id})")
    def post(self):
        """-> 204; this token, every other token and every portal session of yours stop working."""
        sign_out(actor=g.user, user_id=g.user.id)
        return "", 204


class UserSessions(BaseResource):
    @operation(summary="Sign a user out everywhere", tag="auth", response=None, status=204, errors=(403, 404))
    def delete(self, user_id):
        """-> 204; every session and token of the user stops working (yours, or anyone's for an Admin)."""
        sign_out(actor=g.user, user_id=parse_id(user_id, "user_id"))
        return "", 204
