"""API v1 sessions and speakers: the agenda builder's conflict rules, translated messages, the
programme changes and the audit log, through a write token."""

from __future__ import annotations

import pytest

from symposium.extensions import db
from symposium.models import AgendaChange, AuditLog, Session
from tests.api_helpers import bearer, build_api_world, token_for

SESSIONS = "/api/v1/events/mine/sessions"
SPEAKERS = "/api/v1/events/mine/speakers"


@pytest.fixture
def world(app):
    return build_api_world(app)


@pytest.fixture
def headers(app, world):
    return bearer(token_for(app, world.organiser_id))


def test_create_update_delete_session(app, client, headers):
    body = {
        "key": "panel-2",
        "kind": "panel",
        "title": {"ar": "حلقة نقاش", "en": "Panel two"},
        "starts_at": "2027-01-24T13:00",
        "ends_at": "2027-01-24T14:00",
        "room": "hall",
        "speakers": [{"key": "amina", "role": "moderator"}],
    }
    created = client.post(SESSIONS, json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["starts_at"] == "2027-01-24T13:00:00+03:00"
    assert created.json["speakers"] == [{"key": "amina", "role": "moderator"}]
    # an offset is converted to the event's local time
    moved = client.patch(
        f"{SESSIONS}/panel-2",
        json={"starts_at": "2027-01-24T11:00:00Z", "ends_at": "2027-01-24T12:00:00Z"},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.json["starts_at"] == "2027-01-24T14:00:00+03:00"
    assert moved.json["title"] in ("Panel two", "حلقة نقاش")
    deleted = client.delete(f"{SESSIONS}/panel-2", headers=headers)
    assert deleted.status_code == 204 and deleted.data == b""
    assert client.get(f"{SESSIONS}/panel-2").status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                db.select(db.func.count())
                .select_from(AuditLog)
                .where(AuditLog.action.like("api.session.%"))
            )
            == 3
        )


def test_conflicts_are_refused_with_the_workspace_messages(app, client, headers):
    clash = {
        "title": {"en": "Clash"},
        "starts_at": "2027-01-24T11:00",
        "ends_at": "2027-01-24T11:30",
        "room": "hall",
    }
    response = client.post(SESSIONS, json=clash, headers={**headers, "Accept-Language": "ar"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] and response.json["errors"][0]["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Session)) == 2
    backwards = client.post(
        SESSIONS,
        json={
            "title": {"en": "Backwards"},
            "starts_at": "2027-01-24T16:00",
            "ends_at": "2027-01-24T15:00",
        },
        headers=headers,
    )
    assert backwards.status_code == 409


def test_unknown_room_and_speaker_have_paths(client, headers):
    response = client.post(
        SESSIONS,
        json={
            "title": {"en": "X"},
            "starts_at": "2027-01-24T16:00",
            "ends_at": "2027-01-24T17:00",
            "room": "nowhere",
            "speakers": [{"key": "amina"}, {"key": "ghost"}],
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert {e["path"] for e in response.json["errors"]} == {"room", "speakers[1].key"}
    missing = client.post(SESSIONS, json={"title": {"en": "X"}}, headers=headers)
    assert {e["path"] for e in missing.json["errors"]} == {"starts_at", "ends_at"}


def test_published_change_is_listed_publicly(app, client, headers):
    changed = client.patch(
        f"{SESSIONS}/plenary",
        json={"title": {"en": "Opening plenary"}},
        headers={**headers, "Accept-Language": "en"},
    )
    assert changed.status_code == 200, changed.json
    # only the English title changed: the Arabic one stays
    assert changed.json["title"] == "Opening plenary"
    whole = client.get(f"{SESSIONS}/plenary?lang=all").json["title"]
    assert whole == {"ar": "جلسة plenary", "en": "Opening plenary", "fr": "Séance plenary"}
    with app.app_context():
        assert db.session.scalar(
            db.select(AgendaChange).where(AgendaChange.session_key == "plenary")
        )
    changes = client.get("/api/v1/events/mine/changes").json
    assert changes and changes[0]["session_key"] == "plenary"


def test_session_with_signups_is_not_deleted(client, headers):
    registered = client.post(
        "/api/v1/events/mine/registrations",
        json={"full_name": "Amina", "email": "a@example.org", "sessions": ["w1"]},
        headers=headers,
    )
    assert registered.status_code == 201
    refused = client.delete(f"{SESSIONS}/w1", headers=headers)
    assert refused.status_code == 409
    assert client.get(f"{SESSIONS}/w1").status_code == 200


def test_speakers_write(app, client, headers):
    created = client.post(
        SPEAKERS,
        json={
            "key": "karim",
            "name": {"ar": "كريم", "en": "Karim"},
            "bio": {"en": "<p>Mayor</p><script>alert(1)</script>"},
            "email": "karim@example.org",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert "<script" not in created.json["bio"] and "email" not in created.json
    renamed = client.patch(f"{SPEAKERS}/karim", json={"name": {"en": "Karim B."}}, headers=headers)
    assert renamed.status_code == 200 and renamed.json["name"] == "Karim B."
    duplicate = client.post(
        SPEAKERS, json={"key": "karim", "name": {"en": "Again"}}, headers=headers
    )
    assert duplicate.status_code == 422
    assert client.delete(f"{SPEAKERS}/karim", headers=headers).status_code == 204
    assert client.patch(f"{SPEAKERS}/karim", json={}, headers=headers).status_code == 404


def test_read_token_and_other_event_cannot_write_the_agenda(app, client, world):
    read = bearer(token_for(app, world.organiser_id, "read"))
    other = bearer(token_for(app, world.other_id))
    body = {"title": {"en": "X"}, "starts_at": "2027-01-24T16:00", "ends_at": "2027-01-24T17:00"}
    assert client.post(SESSIONS, json=body, headers=read).status_code == 403
    assert client.post(SESSIONS, json=body, headers=other).status_code == 404
    assert client.delete(f"{SESSIONS}/w1", headers=other).status_code == 404
