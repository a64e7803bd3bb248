"""API v1, public part: published events and their programme; OpenAPI document; reference page."""

from __future__ import annotations

import json

import pytest

from tests.api_helpers import build_api_world


@pytest.fixture
def world(app):
    return build_api_world(app)


def test_events_lists_only_published(client, world):
    response = client.get("/api/v1/events")
    assert response.status_code == 200 and response.mimetype == "application/json"
    slugs = {e["slug"] for e in response.json}
    assert slugs == {"mine", "theirs"}


def test_languages_accept_language_query_and_all(client, world):
    en = client.get("/api/v1/events/mine", headers={"Accept-Language": "en"}).json
    assert en["title"] == "Test symposium"
    ar = client.get("/api/v1/events/mine", headers={"Accept-Language": "ar"}).json
    assert ar["title"] == "ندوة الاختبار"
    fr = client.get("/api/v1/events/mine?lang=fr", headers={"Accept-Language": "ar"}).json
    assert fr["title"] == "Symposium de test"
    everything = client.get("/api/v1/events/mine?lang=all").json
    assert everything["title"] == {
        "ar": "ندوة الاختبار",
        "en": "Test symposium",
        "fr": "Symposium de test",
    }


def test_sessions_rooms_speakers_changes(client, world):
    sessions = client.get("/api/v1/events/mine/sessions?lang=en").json
    assert [s["key"] for s in sessions] == ["plenary", "w1"]
    workshop = sessions[1]
    assert workshop["starts_at"] == "2027-01-24T10:30:00+03:00"
    assert workshop["room"] == "hall" and workshop["capacity"] == 5
    assert workshop["speakers"] == [{"key": "amina", "role": "speaker"}]
    assert workshop["url"].endswith("/en/events/mine/sessions/w1")
    one = client.get("/api/v1/events/mine/sessions/w1").json
    assert one["guid"] == workshop["guid"]
    assert [r["key"] for r in client.get("/api/v1/events/mine/rooms").json] == ["hall"]
    speakers = client.get("/api/v1/events/mine/speakers").json
    assert speakers[0]["key"] == "amina" and speakers[0]["sessions"] == ["w1"]
    assert "email" not in speakers[0]  # personal data is not public
    assert client.get("/api/v1/events/mine/changes").json == []


def test_session_guids_match_the_schedule_feed(client, world):
    feed = json.loads(client.get("/en/events/mine/schedule.json").data)
    feed_guids = {
        ev["guid"]
        for day in feed["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for ev in room
    }
    api_guids = {s["guid"] for s in client.get("/api/v1/events/mine/sessions").json}
    assert api_guids == feed_guids


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/draft",
        "/api/v1/events/draft/sessions",
        "/api/v1/events/nope",
        "/api/v1/events/mine/sessions/nope",
        "/api/v1/no-such-thing",
    ],
)
def test_missing_is_a_translated_problem(client, world, url):
    response = client.get(url, headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 404 and body["title"] and body["type"] == "about:blank"
    arabic = client.get(url, headers={"Accept-Language": "ar"}).json
    assert arabic["title"] != body["title"]


def test_invalid_query_value_is_422_with_its_path(client, world):
    response = client.get("/api/v1/events?lang=de")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["path"] for e in response.json["errors"]] == ["lang"]


def test_openapi_document_is_valid_31(client, world):
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    paths = spec["paths"]
    assert "/api/v1/events/{slug}/registrations" in paths
    error = paths["/api/v1/events/{slug}/registrations"]["post"]["responses"]["401"]
    assert "application/problem+json" in error["content"]


def test_reference_page_is_served_by_the_app(client, world):
    page = client.get("/api/v1/reference", headers={"Accept-Language": "ar"})
    assert page.status_code == 200
    html = page.data.decode()
    assert 'dir="rtl"' in html
    assert "/api/v1/events/{slug}/registrations" in html
    assert "Unprocessable Entity" in html  # shared answers are shown with their description
    # nothing from another host: no script, no stylesheet or font from outside
    assert "<script" not in html
    assert "https://" not in html and "http://" not in html.replace("http://localhost", "")


def test_api_ping_still_plain(client):
    assert client.get("/api/ping").json == {"ok": True}
