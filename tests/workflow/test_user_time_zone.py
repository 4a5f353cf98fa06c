"""A user's time zone: set on their profile (the API's PUT /api/users/{id} too), or once from their browser while unset."""
from db import session
from db.models import Role, User
from workflow import users


def test_the_browsers_zone_is_kept_only_while_the_user_has_none_and_only_a_real_one(ctx, make_user):
    user = make_user(Role.AGENT)
    assert users.adopt_browser_zone(user=user, zone="Mars/Olympus_Mons") is False
    assert users.adopt_browser_zone(user=user, zone=None) is False
    assert session.get(User, user.id).time_zone is None
    assert users.adopt_browser_zone(user=user, zone="Asia/Tokyo") is True
    # Another browser elsewhere later does not move it: only the profile page does.
    assert users.adopt_browser_zone(user=user, zone="Europe/Paris") is False
    assert session.get(User, user.id).time_zone == "Asia/Tokyo"


def test_users_set_their_own_zone_and_nobody_elses(ctx, make_user):
    agent, other, admin = make_user(Role.AGENT), make_user(Role.AGENT), make_user(Role.ADMIN)
    assert users.update_user(actor=agent, user_id=agent.id, changes={"time_zone": "America/New_York"}).time_zone == "America/New_York"
    assert users.update_user(actor=admin, user_id=other.id, changes={"time_zone": "Europe/Paris"}).time_zone == "Europe/Paris"


def test_the_api_takes_and_shows_the_zone_and_refuses_an_unknown_one(client, make_user, auth_headers):
    agent = make_user(Role.AGENT)
    url = f"/api/users/{agent.id}"
    assert client.get(url, headers=auth_headers(agent)).json["time_zone"] is None
    saved = client.put(url, json={"time_zone": "America/New_York"}, headers=auth_headers(agent))
    assert saved.status_code == 200 and saved.json["time_zone"] == "America/New_York"
    refused = client.put(url, json={"time_zone": "New York"}, headers=auth_headers(agent))
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["field"] == "time_zone"
    cleared = client.put(url, json={"time_zone": None}, headers=auth_headers(agent))
    assert cleared.status_code == 200 and cleared.json["time_zone"] is None
