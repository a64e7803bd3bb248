"""API tokens: refused without, with the wrong scope, for another event, expired or revoked;
created and revoked from the CLI and the workspace; rate-limited per token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from symposium.extensions import db
from symposium.models import ApiToken, AuditLog
from symposium.models.types import utcnow
from tests.api_helpers import bearer, build_api_world, token_for

LIST = "/api/v1/events/mine/registrations"
CREATE_BODY = {"full_name": "Amina Haddad", "email": "amina@example.org"}


@pytest.fixture
def world(app):
    return build_api_world(app)


def _latest_token(app) -> ApiToken:
    with app.app_context():
        return db.session.scalars(db.select(ApiToken).order_by(ApiToken.id.desc())).first()


def test_no_token_or_a_bad_one_is_401(client, world):
    for headers in ({}, bearer("sym_not-a-token"), {"Authorization": "Basic abc"}):
        response = client.get(LIST, headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_read_token_cannot_write(app, client, world):
    read = token_for(app, world.organiser_id, "read")
    assert client.get(LIST, headers=bearer(read)).status_code == 200
    response = client.post(LIST, json=CREATE_BODY, headers=bearer(read))
    assert response.status_code == 403
    assert response.json["status"] == 403


def test_token_never_sees_another_events_registrations(app, client, world):
    mine = token_for(app, world.organiser_id)
    theirs = token_for(app, world.other_id)
    assert client.post(LIST, json=CREATE_BODY, headers=bearer(mine)).status_code == 201
    assert client.get(LIST, headers=bearer(theirs)).status_code == 404
    assert client.get(f"{LIST}/1", headers=bearer(theirs)).status_code == 404
    assert client.post(f"{LIST}/1/cancel", headers=bearer(theirs)).status_code == 404
    # the other organiser's own event works for them, not for the first one
    other_list = "/api/v1/events/theirs/registrations"
    assert client.get(other_list, headers=bearer(theirs)).status_code == 200
    assert client.get(other_list, headers=bearer(mine)).status_code == 404


def test_token_limited_to_one_event(app, client, world):
    only_draft = token_for(app, world.organiser_id, event="draft")
    assert (
        client.get("/api/v1/events/draft/registrations", headers=bearer(only_draft)).status_code
        == 200
    )
    assert client.get(LIST, headers=bearer(only_draft)).status_code == 404


def test_expired_and_revoked_tokens_stop_working(app, client, world, runner):
    secret = token_for(app, world.organiser_id)
    assert client.get(LIST, headers=bearer(secret)).status_code == 200
    token = _latest_token(app)
    with app.app_context():
        db.session.get(ApiToken, token.id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(LIST, headers=bearer(secret)).status_code == 401

    other = token_for(app, world.organiser_id)
    result = runner.invoke(args=["token", "revoke", str(_latest_token(app).id)])
    assert result.exit_code == 0, result.output
    assert client.get(LIST, headers=bearer(other)).status_code == 401


def test_deactivated_user_and_checkin_role_have_no_api(app, client, world):
    secret = token_for(app, world.organiser_id)
    with app.app_context():
        from symposium.models import User

        db.session.get(User, world.organiser_id).active = False
        db.session.commit()
    assert client.get(LIST, headers=bearer(secret)).status_code == 401


def test_token_is_stored_hashed_and_last_use_recorded(app, client, world):
    secret = token_for(app, world.organiser_id)
    token = _latest_token(app)
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)
    assert token.last_used_at is None
    client.get(LIST, headers=bearer(secret))
    assert _latest_token(app).last_used_at is not None


def test_cli_create_list_and_errors(app, runner, world, client):
    result = runner.invoke(
        args=[
            "token",
            "create",
            "org@example.org",
            "--scope",
            "read",
            "--event",
            "mine",
            "--expires",
            "30",
            "--name",
            "badge printer",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    assert secret.startswith("sym_")
    assert client.get(LIST, headers=bearer(secret)).status_code == 200
    listing = runner.invoke(args=["token", "list", "org@example.org"])
    assert "badge printer" in listing.output and secret not in listing.output
    assert (
        runner.invoke(args=["token", "create", "nobody@example.org", "--scope", "read"]).exit_code
        == 1
    )
    wrong_event = runner.invoke(
        args=["token", "create", "org@example.org", "--scope", "read", "--event", "theirs"]
    )
    assert wrong_event.exit_code == 1 and "do not manage" in wrong_event.output
    too_long = runner.invoke(
        args=["token", "create", "org@example.org", "--scope", "read", "--expires", "99999"]
    )
    assert too_long.exit_code == 2


def test_workspace_page_shows_the_token_once_and_revokes(app, client, auth, world):
    auth.login("org@example.org")
    page = client.get("/en/manage/tokens")
    assert page.status_code == 200
    created = client.post(
        "/en/manage/tokens",
        data={"name": "CRM", "scope": "write", "event": "mine", "expires": "90"},
    )
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.data.decode()
    secret = html.split('class="token-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("sym_")
    assert client.post(LIST, json=CREATE_BODY, headers=bearer(secret)).status_code == 201
    again = client.get("/en/manage/tokens").data.decode()
    assert secret not in again and "CRM" in again
    token = _latest_token(app)
    assert client.post(f"/en/manage/tokens/{token.id}/revoke").status_code == 302
    assert client.get(LIST, headers=bearer(secret)).status_code == 401
    # someone else's token cannot be revoked from this account
    other = token_for(app, world.other_id)
    other_id = _latest_token(app).id
    assert client.post(f"/en/manage/tokens/{other_id}/revoke").status_code == 404
    assert (
        client.get("/api/v1/events/theirs/registrations", headers=bearer(other)).status_code == 200
    )


def test_workspace_refuses_an_event_one_does_not_manage(app, client, auth, world):
    auth.login("org@example.org")
    response = client.post(
        "/en/manage/tokens", data={"name": "x", "scope": "read", "event": "theirs", "expires": "9"}
    )
    assert response.status_code == 400
    assert _latest_token(app) is None


def test_writes_are_audited_with_the_token_name(app, client, world):
    secret = token_for(app, world.organiser_id)
    client.post(LIST, json=CREATE_BODY, headers=bearer(secret))
    with app.app_context():
        entry = db.session.scalar(
            db.select(AuditLog).where(AuditLog.action == "api.registration.create")
        )
        assert entry is not None and entry.details["token"] == "write token"
        assert entry.user_id == world.organiser_id


@pytest.fixture
def app_config():
    return {}


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}

    def test_limited_per_token_with_a_problem(self, app, client, world):
        first = token_for(app, world.organiser_id, "read")
        second = token_for(app, world.organiser_id, "read")
        codes = [client.get(LIST, headers=bearer(first)).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get(LIST, headers=bearer(first))
        assert limited.mimetype == "application/problem+json"
        assert limited.json["status"] == 429 and "Retry-After" in limited.headers
        # another token has its own allowance
        assert client.get(LIST, headers=bearer(second)).status_code == 200
