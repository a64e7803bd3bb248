"""Public pages a reverse proxy can cache: ETag and Last-Modified, 304 on revalidation,
``public, max-age`` for anonymous visitors only, never on a page with anything personal."""

from __future__ import annotations

import pytest
from flask import make_response
from flask_wtf.csrf import generate_csrf

from symposium.extensions import db
from symposium.public import caching
from symposium.services.events import bump_agenda_version, find_event
from tests.conftest import make_user
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.registration_helpers import post_registration

PAGES = [
    "/en/events/test-event/",
    "/en/events/test-event/agenda",
    "/en/events/test-event/agenda?room=main",
    "/en/events/test-event/sessions/w1",
    "/en/events/test-event/sessions/talk",
    "/en/events/test-event/speakers",
    "/en/events/test-event/speakers/amina",
    "/en/events/test-event/schedule.json",
    "/en/events/test-event/schedule.xml",
    "/en/events/test-event/programme.pdf",
    "/ar/events/test-event/programme.pdf?variant=bilingual",
]


@pytest.fixture
def event(app):
    with app.app_context():
        ev = make_event(db.session)
        room = make_room(db.session, ev)
        make_session(
            db.session,
            ev,
            "w1",
            "2027-01-24T10:30",
            "2027-01-24T12:00",
            room=room,
            kind="workshop",
            capacity=10,
        )
        talk = make_session(
            db.session, ev, "talk", "2027-01-24T13:00", "2027-01-24T14:00", room=room
        )
        add_speaker(db.session, talk, make_person(db.session, ev, "amina"))
        db.session.commit()
    return "test-event"


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_page_is_public_and_revalidates(client, event, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"]
    cache_control = first.headers["Cache-Control"]
    assert "public" in cache_control and "max-age=60" in cache_control
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    if "Last-Modified" in first.headers:
        since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304


def test_agenda_change_and_language_give_new_etags(app, client, event):
    url = "/en/events/test-event/agenda"
    etag = client.get(url).headers["ETag"]
    assert client.get(url.replace("/en/", "/ar/")).headers["ETag"] != etag
    with app.app_context():
        bump_agenda_version(find_event(db.session, "test-event"))
        db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_seats_left_change_the_session_page(app, client, event):
    url = "/en/events/test-event/sessions/w1"
    first = client.get(url)
    assert "Last-Modified" not in first.headers  # seats change without the event's row
    assert post_registration(app.test_client(), sessions="w1").status_code == 303
    after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]


def test_a_flash_message_is_never_public(client, event):
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "Your registration is cancelled.")]
    response = client.get("/en/events/test-event/agenda")
    assert b"Your registration is cancelled." in response.data
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "private" in response.headers["Cache-Control"]


def test_signed_in_staff_get_private_pages(app, client, auth, event):
    make_user(app, "org@example.org", "organiser")
    auth.login("org@example.org")
    response = client.get("/en/events/test-event/agenda")
    assert "public" not in response.headers.get("Cache-Control", "")
    first_etag = response.headers.get("ETag")
    if first_etag:
        assert (
            client.get(
                "/en/events/test-event/agenda", headers={"If-None-Match": first_etag}
            ).status_code
            == 200
        )


def test_a_form_page_is_never_public(client, event):
    response = client.get("/en/events/test-event/register")
    assert response.status_code == 200
    assert "public" not in response.headers.get("Cache-Control", "")


def test_a_csrf_token_on_a_cacheable_page_makes_it_private(app, event):
    with app.test_request_context("/en/events/test-event/agenda"):
        ev = find_event(db.session, "test-event")
        assert caching.not_modified(ev) is None
        generate_csrf()  # a template rendered a form
        response = caching.finish(make_response("<form>…</form>"))
        assert "public" not in response.headers.get("Cache-Control", "")
        assert "ETag" not in response.headers


class TestMaxAge:
    @pytest.fixture
    def app_config(self):
        return {"PUBLIC_CACHE_MAX_AGE": 300}

    def test_configurable(self, client, event):
        assert "max-age=300" in client.get("/en/events/test-event/agenda").headers["Cache-Control"]
