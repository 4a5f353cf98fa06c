"""Login: credentials in, a Bearer token out."""
from api.base import BaseResource, operation, parse_body
from api.schemas import LoginIn, TokenOut
from auth.tokens import issue_token
from workflow.users import authenticate


class Login(BaseResource):
    @operation(summary="Log in", tag="auth", body=LoginIn, response=TokenOut, errors=(429,), public=True)
    def post(self):
        """{"username", "password"} -> {"access_token", "token_type": "Bearer", "expires_in"}; throttled (429)."""
        body = parse_body(LoginIn)
        user = authenticate(username=body.username, password=body.password)
        token, lifetime = issue_token(user.id)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
