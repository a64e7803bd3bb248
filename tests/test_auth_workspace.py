"""Accounts: the CLI, sign-in, safe redirects, rate limit, logout, password change, cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import AuditLog, User
from tests.manage_helpers import PASSWORD, build_world, login


def test_cli_creates_user_from_stdin(app, runner):
    result = runner.invoke(
        args=["user", "create", "Ops@Example.org", "--role", "checkin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ops@example.org"))
        assert user.role == "checkin"
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password("a long enough password")


def test_cli_prompts_for_password_and_refuses_short_one(app, runner):
    result = runner.invoke(
        args=["user", "create", "a@example.org", "--role", "admin"],
        input="short\nshort\n",
    )
    assert result.exit_code != 0
    assert "10 characters" in result.output
    result = runner.invoke(
        args=["user", "create", "a@example.org", "--role", "admin"],
        input="long enough secret\nlong enough secret\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["user", "create", "a@example.org", "--role", "bogus", "--password-stdin"],
        input="long enough secret\n",
    )
    assert result.exit_code != 0


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_off_site(app, client, target):
    build_world(app)
    response = client.post(
        "/en/login",
        data={"email": "organiser@example.org", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/manage/"


def test_login_follows_same_site_next(app, client):
    world = build_world(app)
    response = client.get(f"/en/manage/events/{world.slug}/agenda")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert "next=" in login_url
    page = client.get(login_url)
    assert f"/en/manage/events/{world.slug}/agenda" in page.get_data(as_text=True)
    response = client.post(
        "/en/login",
        data={
            "email": "organiser@example.org",
            "password": PASSWORD,
            "next": f"/en/manage/events/{world.slug}/agenda",
        },
    )
    assert response.headers["Location"] == f"/en/manage/events/{world.slug}/agenda"


def test_wrong_password_is_400_and_translated(app, client):
    build_world(app)
    response = client.post(
        "/fr/login", data={"email": "organiser@example.org", "password": "wrong password"}
    )
    assert response.status_code == 400
    assert client.get("/fr/manage/").status_code == 302


def test_session_cookie_flags(app, client):
    build_world(app)
    response = login(client, "organiser@example.org")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_is_post_only(app, client):
    build_world(app)
    login(client, "organiser@example.org")
    assert client.get("/en/logout").status_code == 405
    client.post("/en/logout")
    assert client.get("/en/manage/").status_code == 302


def test_change_password_signs_out_other_sessions(app):
    build_world(app)
    first, second = app.test_client(), app.test_client()
    login(first, "organiser@example.org")
    login(second, "organiser@example.org")
    response = first.post(
        "/en/account/password",
        data={"current": "wrong", "new": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 400
    response = first.post(
        "/en/account/password",
        data={"current": PASSWORD, "new": "brand new password", "confirm": "brand new password"},
    )
    assert response.status_code == 302
    assert first.get("/en/manage/").status_code == 200  # this session stays signed in
    assert second.get("/en/manage/").status_code == 302  # the other one is signed out
    with app.app_context():
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.password"))


def test_admin_manages_accounts(app, client):
    world = build_world(app)
    login(client, "admin@example.org")
    response = client.post(
        "/en/manage/users",
        data={
            "email": "new@example.org",
            "role": "organiser",
            "password": PASSWORD,
            "events": [str(world.event_id)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.org"))
        assert [e.slug for e in user.events] == [world.slug]
        uid = user.id
    # duplicate email: 400 with a message, form keeps the email
    response = client.post(
        "/en/manage/users",
        data={"email": "new@example.org", "role": "checkin", "password": "long enough secret"},
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    other = app.test_client()
    login(other, "new@example.org")
    assert other.get(f"/en/manage/events/{world.slug}/agenda").status_code == 200
    response = client.post(f"/en/manage/users/{uid}/edit", data={"role": "organiser"})
    assert response.status_code == 302
    assert other.get("/en/manage/").status_code == 302  # deactivated: signed out
    assert login_fails(app, "new@example.org")


def login_fails(app, email):
    response = app.test_client().post("/en/login", data={"email": email, "password": PASSWORD})
    return response.status_code == 400


def test_admin_cannot_demote_self(app, client):
    world = build_world(app)
    login(client, "admin@example.org")
    response = client.post(f"/en/manage/users/{world.admin_id}/edit", data={"role": "checkin"})
    assert response.status_code == 400


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_posts_are_rate_limited(self, app, client):
        for _ in range(3):
            response = client.post("/en/login", data={"email": "x@example.org", "password": "nope"})
            assert response.status_code == 400
        response = client.post("/en/login", data={"email": "x@example.org", "password": "nope"})
        assert response.status_code == 429
        assert client.get("/en/login").status_code == 200  # GET is not limited
