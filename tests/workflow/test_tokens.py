"""Service tokens in the workflow: scopes as stored, and the last use written at most once a minute."""
from datetime import timedelta

import pytest

from auth.service_tokens import TokenUse, digest, scope_set
from db import session
from db.models import ApiToken, Role
from db.types import utcnow
from domain.errors import ValidationFailed
from workflow import tokens


@pytest.mark.parametrize("given, stored", [(["read"], "read"), (["write"], "read write"), (["read", "write", "write"], "read write")])
def test_write_includes_read(given, stored):
    assert tokens.normal_scopes(given) == stored


@pytest.mark.parametrize("given", [[], ["admin"], ["read", "delete"]])
def test_unknown_or_no_scopes_are_refused(given):
    with pytest.raises(ValidationFailed) as caught:
        tokens.normal_scopes(given)
    assert caught.value.details == [{"field": "scopes", "message": "must be [\"read\"] or [\"read\", \"write\"]"}]


def _use(token: ApiToken, last_used_at) -> TokenUse:
    return TokenUse(token.id, token.user_id, scope_set(token.scopes), last_used_at)


def test_the_last_use_is_written_at_most_once_a_minute(ctx, make_user):
    issued = tokens.create_token(actor=make_user(Role.AGENT), name="Sync")
    token = issued.token
    assert token.token_hash == digest(issued.secret)
    start = utcnow()

    def stored():
        session.expire_all()
        return session.get(ApiToken, token.id).last_used_at

    tokens.note_use(token=_use(token, None), now=start)
    assert stored() == start
    # A request that read the token before that write (it saw no use yet) does not move it within the minute.
    tokens.note_use(token=_use(token, None), now=start + timedelta(seconds=10))
    assert stored() == start
    tokens.note_use(token=_use(token, start), now=start + timedelta(seconds=59))
    assert stored() == start
    tokens.note_use(token=_use(token, start), now=start + timedelta(seconds=61))
    assert stored() == start + timedelta(seconds=61)


def test_revoking_all_of_a_users_tokens_leaves_the_others(ctx, make_user):
    owner, other = make_user(Role.AGENT), make_user(Role.AGENT)
    mine = [tokens.create_token(actor=owner, name=f"Mine {n}").token for n in range(2)]
    theirs = tokens.create_token(actor=other, name="Theirs").token
    assert tokens.revoke_all(actor=None, user_id=owner.id) == 2
    session.commit()
    session.expire_all()
    assert all(session.get(ApiToken, token.id).revoked_at is not None for token in mine)
    assert session.get(ApiToken, theirs.id).revoked_at is None
