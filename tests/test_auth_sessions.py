"""Server-side sessions: signing out (or a role change) ends a copied cookie; login timing."""

from __future__ import annotations

from sqlalchemy import func, select

from symposium.extensions import db
from symposium.models import User
from symposium.models.user import UserSession
from tests.manage_helpers import PASSWORD, build_world, login


def _copy_cookies(source, target, app) -> None:
    """What a thief does with a copied cookie: replay it from another browser."""
    for name in ("session", app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_copied_cookie_is_refused_after_logout(app):
    build_world(app)
    victim, thief = app.test_client(), app.test_client()
    login(victim, "organiser@example.org")
    _copy_cookies(victim, thief, app)
    assert thief.get("/en/manage/").status_code == 200  # the copy works while signed in
    victim.post("/en/logout")
    assert victim.get("/en/manage/").status_code == 302
    response = thief.get("/en/manage/")
    assert response.status_code == 302 and "/en/login" in response.headers["Location"]


def test_copied_remember_cookie_is_refused_after_logout(app):
    build_world(app)
    victim, thief = app.test_client(), app.test_client()
    response = victim.post(
        "/en/login",
        data={"email": "organiser@example.org", "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    remember = victim.get_cookie("remember_token")
    assert remember is not None
    thief.set_cookie("remember_token", remember.value)  # no session cookie: the remember one
    assert thief.get("/en/manage/").status_code == 200
    victim.post("/en/logout")
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/en/manage/").status_code == 302


def test_logout_ends_only_this_session(app):
    build_world(app)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "checkin@example.org")
    login(phone, "checkin@example.org")
    laptop.post("/en/logout")
    assert laptop.get("/en/manage/").status_code == 302
    assert phone.get("/en/manage/").status_code == 200  # a shared door account stays signed in


def test_copied_cookie_is_refused_after_role_change(app):
    world = build_world(app)
    admin, victim, thief = app.test_client(), app.test_client(), app.test_client()
    login(victim, "organiser@example.org")
    _copy_cookies(victim, thief, app)
    assert thief.get("/en/manage/").status_code == 200
    login(admin, "admin@example.org")
    response = admin.post(
        f"/en/manage/users/{world.organiser_id}/edit", data={"role": "checkin", "active": "y"}
    )
    assert response.status_code == 302
    assert thief.get("/en/manage/").status_code == 302
    assert victim.get("/en/manage/").status_code == 302
    with app.app_context():
        count = db.session.scalar(
            select(func.count(UserSession.id)).where(UserSession.user_id == world.organiser_id)
        )
        assert count == 0  # the server forgot every session of the account


def test_cookie_without_a_server_session_is_refused(app):
    """An old-style cookie ("id:nonce", no session key) no longer signs anyone in."""
    world = build_world(app)
    client = app.test_client()
    with app.app_context():
        nonce = db.session.get(User, world.organiser_id).session_nonce
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{world.organiser_id}:{nonce}"
        sess["_fresh"] = True
    assert client.get("/en/manage/").status_code == 302
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{world.organiser_id}:{nonce}:forged-key"
    assert client.get("/en/manage/").status_code == 302


def test_unknown_email_hashes_a_password_too(app, monkeypatch):
    """Timing: an unknown email costs the same password hash check as a known one."""
    from symposium.auth import services

    build_world(app)
    checked = []
    real = services.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    response = app.test_client().post(
        "/en/login", data={"email": "nobody@example.org", "password": "some password"}
    )
    assert response.status_code == 400
    assert len(checked) == 1 and checked[0].startswith("scrypt:")
    with app.app_context():
        assert services.authenticate(db.session, "nobody@example.org", "x") is None
    assert len(checked) == 2


def test_inactive_account_also_hashes_the_password(app, monkeypatch):
    from symposium.auth import services

    world = build_world(app)
    with app.app_context():
        db.session.get(User, world.organiser_id).active = False
        db.session.commit()
    calls = []
    monkeypatch.setattr(
        User, "check_password", lambda self, pw: calls.append(pw) or True, raising=True
    )
    with app.app_context():
        assert services.authenticate(db.session, "organiser@example.org", PASSWORD) is None
    assert calls == [PASSWORD]
