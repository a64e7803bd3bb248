"""The meeting and recording addresses of an event and its sessions, and the personal join
links, never appear publicly: not on any public page, feed, calendar file, programme PDF or
public API answer, nor on the check-in pages. Each response is searched for them.

Public pages are found from the app's URL map (every GET rule of the public blueprint that
needs no personal token) and public API endpoints from its OpenAPI document (those without a
security requirement), so pages added later are searched too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import Event, Person, Session
from symposium.models.types import utcnow
from symposium.services import event_time
from symposium.services import registration as reg
from tests.conftest import AuthActions, make_user
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.manage_helpers import build_world
from tests.materials_helpers import make_slides
from tests.registration_helpers import data

SECRET_HOST = "meet-secret-4b7e.example.org"
EVENT_MEETING = f"https://{SECRET_HOST}/event-a1"
SESSION_MEETING = f"https://{SECRET_HOST}/session-b2"
RECORDING = "https://recordings-secret-9d1c.example.org/rec-c3"
SECRETS = (SECRET_HOST, EVENT_MEETING, SESSION_MEETING, RECORDING, "recordings-secret-9d1c")
LANGS = ("ar", "en", "fr")
# Arguments of public rules that only personal links have (their pages are not public)
PERSONAL_ARGS = {"token", "code", "cert_id", "name", "link_id"}


@pytest.fixture
def world(app):
    with app.app_context():
        s = db.session
        event = make_event(s, "open-forum", hybrid=True, online_url=EVENT_MEETING)
        room = make_room(s, event, "hall")
        talk = make_session(s, event, "talk", "2027-01-24T09:00", "2027-01-24T10:00", room=room)
        talk.online_url, talk.recording_url = SESSION_MEETING, RECORDING
        ws = make_session(s, event, "ws", "2027-01-24T11:00", "2027-01-24T12:00", capacity=10)
        ws.recording_url = RECORDING
        person = make_person(s, event, "amina", email="amina@example.org")
        add_speaker(s, talk, person)
        registration = reg.register(
            s, event, data("Online One", "one@example.org", attendance_mode="online")
        ).registration
        slides = make_slides(s, talk, title="Slides of the talk", published=utcnow())
        s.commit()
        return {
            "slug": event.slug,
            "token": registration.token,
            "talk_id": talk.id,
            "material_id": slides.id,
        }


def _leaks(body: bytes, token: str | None = None) -> list[str]:
    found = [secret for secret in SECRETS if secret.encode() in body]
    if b"/join/" in body:
        found.append("/join/")
    if token and token.encode() in body:
        found.append("a personal token")
    return found


def _pdf_text(body: bytes, tmp_path) -> bytes:
    from tests.pdf_helpers import pdf_text

    return pdf_text(body, tmp_path).encode()


def _public_urls(app, slug: str, material_id: int) -> list[str]:
    """Every GET rule of the public blueprint, filled in for this event, in every language."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        session_keys = [item.key for item in event.sessions]
        person_keys = [p.key for p in db.session.scalars(select(Person))]
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("public.") or "GET" not in rule.methods:
            continue
        args = set(rule.arguments) - {"lang"}
        if args & PERSONAL_ARGS:
            continue
        keys = person_keys if "speakers" in rule.rule else session_keys
        fills = [{}]
        if "slug" in args:
            fills = [{**f, "slug": slug} for f in fills]
        if "key" in args:
            fills = [{**f, "key": key} for f in fills for key in keys]
        if "material_id" in args:
            fills = [{**f, "material_id": str(material_id)} for f in fills]
        unknown = args - {"slug", "key", "material_id"}
        assert not unknown, f"{rule.rule}: say how to fill {unknown} (or add it to PERSONAL_ARGS)"
        for values in fills:
            path = rule.rule
            for name, value in values.items():
                path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
            urls.extend(path.replace("<lang>", lang) for lang in LANGS)
    return sorted(set(urls))


def test_no_public_page_shows_a_meeting(client, app, world, tmp_path):
    urls = _public_urls(app, world["slug"], world["material_id"])
    # the pages that must be among them (the sweep found the rules it should)
    slug = world["slug"]
    for expected in (
        "/ar/",
        f"/en/events/{slug}/",
        f"/fr/events/{slug}/agenda",
        f"/ar/events/{slug}/sessions/talk",
        f"/en/events/{slug}/speakers",
        f"/en/events/{slug}/speakers/amina",
        f"/en/events/{slug}/changes",
        f"/en/events/{slug}/schedule.xml",
        f"/en/events/{slug}/schedule.json",
        f"/en/events/{slug}/event.ics",
        f"/en/events/{slug}/sessions/ws.ics",
        f"/en/events/{slug}/programme.pdf",
        f"/en/events/{slug}/register",
        f"/en/events/{slug}/sessions/talk/materials/{world['material_id']}",
    ):
        assert expected in urls
    urls += [f"/{lang}/events/{slug}/agenda?room=hall&kind=panel" for lang in LANGS]
    urls += [f"/en/events/{slug}/programme.pdf?variant=bilingual"]
    checked = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.get_data()
        response.close()  # a served file (slides) stays open otherwise
        if response.mimetype == "application/pdf" and response.status_code == 200:
            body += _pdf_text(body, tmp_path)
        assert _leaks(body, world["token"]) == [], url
        checked += response.status_code == 200
    assert checked >= 40


def test_no_public_api_answer_shows_a_meeting(client, app, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    slug = world["slug"]
    checked = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or get.get("security", spec.get("security")):
            continue  # needs a token: not public
        keys = ["amina"] if "speakers" in path else ["talk", "ws"]
        for key in keys:
            url = path.replace("{slug}", slug).replace("{key}", key)
            assert "{" not in url, f"{path}: say how to fill its parameters"
            for lang in LANGS:
                response = client.get(f"{url}?lang={lang}")
                assert response.status_code == 200, url
                assert _leaks(response.get_data(), world["token"]) == [], url
                checked.append(url)
    assert f"/api/v1/events/{slug}/sessions/talk" in checked
    assert f"/api/v1/events/{slug}/sessions" in checked
    assert _leaks(client.get("/api/v1/openapi.json").get_data()) == []


def test_an_agenda_change_does_not_publish_a_meeting(client, app, world):
    """Editing a published session (also its meeting, where the form has the field) lists a
    change on the public changes page and in the API, never the meeting address."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["slug"]))
        person_id = db.session.scalar(select(Person.id))
        db.session.rollback()
    make_user(app, "org@example.org", "organiser", events=[event])
    AuthActions(client).login("org@example.org")
    response = client.post(
        f"/en/manage/events/{world['slug']}/sessions/{world['talk_id']}/edit",
        data={
            "title_ar": "الجلسة الافتتاحية",
            "title_en": "Opening talk",
            "kind": "panel",
            "starts_at": "2027-01-24T09:15",
            "ends_at": "2027-01-24T10:00",
            "room": "",
            "speakers-0-person": str(person_id),
            "speakers-0-role": "speaker",
            "online_url": f"https://{SECRET_HOST}/session-b2-moved",
            "recording_url": RECORDING + "-new",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    AuthActions(client).logout()
    for url in (
        f"/en/events/{world['slug']}/changes",
        f"/ar/events/{world['slug']}/changes",
        f"/api/v1/events/{world['slug']}/changes",
        f"/en/events/{world['slug']}/sessions/talk",
        f"/en/events/{world['slug']}/event.ics",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert _leaks(response.get_data()) == [], url
    assert "Opening talk" in client.get(f"/en/events/{world['slug']}/changes").get_data(
        as_text=True
    )


def test_the_check_in_pages_do_not_show_a_meeting(client, app, world, monkeypatch):
    monkeypatch.setattr(event_time, "utcnow", lambda: datetime(2027, 1, 24, 6, 30, tzinfo=UTC))
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["slug"]))
        db.session.rollback()
    make_user(app, "door@example.org", "checkin", events=[event])
    AuthActions(client).login("door@example.org")
    base = f"/en/manage/events/{world['slug']}/checkin"
    for url in (base, f"{base}?q=Online", f"{base}?q=Online&format=json", f"{base}?session=talk"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _leaks(response.get_data(), world["token"]) == [], url


def test_the_public_pages_of_the_demo_world_do_not_show_it(app, client):
    """The same search on the workspace's sample event once its sessions have meetings."""
    world = build_world(app)
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        event.online_url = EVENT_MEETING
        for item in db.session.scalars(select(Session).where(Session.event_id == event.id)):
            item.online_url, item.recording_url = SESSION_MEETING, RECORDING
        db.session.commit()
    for lang in LANGS:
        for url in (
            f"/{lang}/events/{world.slug}/",
            f"/{lang}/events/{world.slug}/agenda",
            f"/{lang}/events/{world.slug}/sessions/opening",
            f"/{lang}/events/{world.slug}/schedule.json",
            f"/{lang}/events/{world.slug}/event.ics",
            f"/api/v1/events/{world.slug}/sessions?lang={lang}",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert _leaks(response.get_data()) == [], url


def test_an_imported_meeting_is_not_published(client, app, world):
    """An event file that moves a session and changes its meeting (once the interchange
    format carries sessions' meetings) lists the move on the changes page, not the meeting."""
    from symposium.services import interchange
    from symposium.services.interchange import common

    if "online_url" not in common.SESSION_KEYS:
        pytest.skip("the interchange format has no session meeting (online_url) yet")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == world["slug"]))
        doc = interchange.export_event(event)
        for item in doc["sessions"]:
            if item["key"] == "talk":
                item["starts_at"] = item["starts_at"].replace("09:00", "09:20")
                item["online_url"] = f"https://{SECRET_HOST}/imported-d4"
                if "recording_url" in common.SESSION_KEYS:
                    item["recording_url"] = RECORDING + "-imported"
        interchange.import_event(db.session, doc, event=event)
        db.session.commit()
    for url in (
        f"/en/events/{world['slug']}/changes",
        f"/api/v1/events/{world['slug']}/changes",
        f"/en/events/{world['slug']}/sessions/talk",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert _leaks(response.get_data()) == [], url
