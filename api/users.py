"""User resources."""
from flask import g, url_for

from api.base import (
    BaseResource, operation, page_response, paged, parse_body, parse_id, parse_query, refuse_service_token,
)
from api.schemas import PageOut, UserOut, UserQuery
from domain import rules
from domain.schemas import UserCreate, UserUpdate
from workflow import users


def hide_contact(out: UserOut, user) -> None:
    """Blank the email and phone the caller may not see (the rule: domain.rules.can_see_contact)."""
    if not rules.can_see_contact(g.user, user):
        out.email = out.phone = None


def render_user(user) -> dict:
    """A user as JSON, as the caller may see them."""
    out = UserOut.model_validate(user, from_attributes=True)
    hide_contact(out, user)
    return out.model_dump(mode="json")


class UserList(BaseResource):
    @operation(summary="List users", tag="users", query=UserQuery, response=PageOut[UserOut])
    def get(self):
        """`?role=&department=&is_active=&q=` -> {"items": [UserOut] by username, "next_cursor"}; email and
        phone only for Admins, Managers and yourself."""
        query = parse_query(UserQuery)
        page = paged(
            lambda: users.list_users(
                role=query.role, department=query.department, is_active=query.is_active, q=query.q,
                limit=query.limit, cursor=query.cursor,
            )
        )
        return page_response(page, UserOut, hide_contact)

    @operation(
        summary="Create a user (Admin)", tag="users", body=UserCreate, response=UserOut, status=201,
        errors=(403, 409), headers={"Location": "URL of the new user"},
    )
    def post(self):
        """UserCreate -> 201 UserOut; a taken username or email is 409."""
        body = parse_body(UserCreate)
        user = users.create_user(actor=g.user, **body.model_dump())
        return render_user(user), 201, {"Location": url_for("api.user", user_id=user.id)}


class UserItem(BaseResource):
    @operation(summary="Get a user", tag="users", response=UserOut, errors=(404,))
    def get(self, user_id):
        """-> UserOut; email and phone only for Admins, Managers and yourself."""
        return render_user(users.get_user(user_id=parse_id(user_id, "user_id")))

    @operation(summary="Update a user (partial)", tag="users", body=UserUpdate, response=UserOut, errors=(403, 404, 409))
    def put(self, user_id):
        """UserUpdate -> UserOut; Admins change anything, users their own name, email, phone, time_zone, away (with
        away_until), password."""
        user_uuid = parse_id(user_id, "user_id")
        body = parse_body(UserUpdate)
        if body.password is not None:
            refuse_service_token("change a password")
        user = users.update_user(actor=g.user, user_id=user_uuid, changes=body.model_dump(exclude_unset=True))
        return render_user(user)
