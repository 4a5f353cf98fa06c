"""User resources."""
from flask import g, url_for

from api.base import BaseResource, dump, operation, page_response, paged, parse_body, parse_id, parse_query
from api.schemas import PageOut, UserOut, UserQuery
from domain.schemas import UserCreate, UserUpdate
from workflow import users


class UserList(BaseResource):
    @operation(summary="List users", tag="users", query=UserQuery, response=PageOut[UserOut])
    def get(self):
        """`?role=&department=&is_active=&q=` -> {"items": [UserOut] by username, "next_cursor"}."""
        query = parse_query(UserQuery)
        page = paged(
            lambda: users.list_users(
                role=query.role, department=query.department, is_active=query.is_active, q=query.q,
                limit=query.limit, cursor=query.cursor,
            )
        )
        return page_response(page, UserOut)

    @operation(
        summary="Create a user (Admin)", tag="users", body=UserCreate, response=UserOut, status=201,
        errors=(403, 409), headers={"Location": "URL of the new user"},
    )
    def post(self):
        """UserCreate -> 201 UserOut; a taken username or email is 409."""
        body = parse_body(UserCreate)
        user = users.create_user(actor=g.user, **body.model_dump())
        return dump(UserOut, user), 201, {"Location": url_for("api.user", user_id=user.id)}


class UserItem(BaseResource):
    @operation(summary="Get a user", tag="users", response=UserOut, errors=(404,))
    def get(self, user_id):
        """-> UserOut."""
        return dump(UserOut, users.get_user(user_id=parse_id(user_id, "user_id")))

    @operation(summary="Update a user (partial)", tag="users", body=UserUpdate, response=UserOut, errors=(403, 404, 409))
    def put(self, user_id):
        """UserUpdate -> UserOut; Admins change anything, users their own name, email, phone, password."""
        user_uuid = parse_id(user_id, "user_id")
        body = parse_body(UserUpdate)
        user = users.update_user(actor=g.user, user_id=user_uuid, changes=body.model_dump(exclude_unset=True))
        return dump(UserOut, user)
