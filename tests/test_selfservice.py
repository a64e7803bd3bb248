"""The personal page /<lang>/r/<token>: status, sessions, ticket, calendar, data, cancel, delete."""

import json

import icalendar
import pytest

from symposium.extensions import db
from symposium.models import Event, Registration
from symposium.services import registration as reg
from symposium.services import tickets
from tests.factories import make_event, make_session
from tests.registration_helpers import data, outbox


@pytest.fixture
def people(app):
    with app.app_context():
        event = make_event(db.session, capacity=1)
        make_session(db.session, event, "ws", "2027-01-24T09:00", "2027-01-24T10:30", capacity=1)
        a = reg.register(db.session, event, data("Amina", "a@example.org", sessions=["ws"]))
        b = reg.register(db.session, event, data("Badr", "b@example.org", sessions=["ws"]))
        db.session.commit()
        return a.registration.token, b.registration.token


def test_page_is_private_and_shows_status(client, people):
    a, b = people
    response = client.get(f"/en/r/{a}")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in html
    assert "Confirmed" in html and "<svg" in html  # the ticket
    html = client.get(f"/fr/r/{b}").get_data(as_text=True)
    assert "Vous êtes numéro 1 sur la liste d’attente." in html
    assert "<svg" not in html  # no ticket while waiting


def test_unknown_token_is_404(client, people):
    assert client.get("/en/r/not-a-real-token-at-all-000000000000").status_code == 404
    assert client.get("/en/r/x/data.json").status_code == 404


def test_ticket_qr_carries_a_signed_code(client, app, people):
    a, b = people
    svg = client.get(f"/en/r/{a}/ticket.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert client.get(f"/en/r/{b}/ticket.svg").status_code == 404
    with app.app_context():
        r = reg.by_token(db.session, a)
        code = tickets.checkin_code(r)
        assert tickets.checkin_registration_id(code) == r.id and a not in code
        assert tickets.checkin_registration_id(code[:-2] + "xx") is None
        assert tickets.checkin_registration_id(a) is None


def test_ticket_decodes_with_zbar(client, app, people, tmp_path):
    import shutil
    import subprocess

    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg (zbar-tools) is not installed")
    import segno

    a, _b = people
    with app.app_context():
        code = tickets.checkin_code(reg.by_token(db.session, a))
    png = tmp_path / "t.png"
    segno.make(code, error="m").save(str(png), scale=6)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    assert out.stdout.strip() == code


def test_calendar_file(client, people):
    a, _b = people
    response = client.get(f"/fr/r/{a}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 2  # the event and the session with a seat
    start = events[0]["DTSTART"]
    assert start.params["TZID"] == "Asia/Riyadh"
    assert start.dt.hour == 9 and start.dt.minute == 0


def test_calendar_file_links_public_pages_and_follows_agenda_changes(app, client, people):
    """The .ics carries no personal link (calendars get shared); it is built once per event
    version, and a change to the agenda gives a new file."""
    from datetime import timedelta

    from symposium.models import Session
    from symposium.services.events import bump_agenda_version

    a, _b = people
    first = client.get(f"/en/r/{a}/calendar.ics").data
    assert a.encode() not in first and b"/r/" not in first
    event_vevent, session_vevent = icalendar.Calendar.from_ical(first).walk("VEVENT")
    assert str(event_vevent["URL"]) == "http://symposium.test/en/events/test-event/"
    assert str(session_vevent["URL"]) == "http://symposium.test/en/events/test-event/sessions/ws"
    assert client.get(f"/en/r/{a}/calendar.ics").data == first  # the same file, from the cache
    with app.app_context():
        item = db.session.scalar(db.select(Session).where(Session.key == "ws"))
        item.starts_at += timedelta(hours=1)
        item.ends_at += timedelta(hours=1)
        bump_agenda_version(item.event)
        db.session.commit()
    moved = icalendar.Calendar.from_ical(client.get(f"/en/r/{a}/calendar.ics").data)
    assert moved.walk("VEVENT")[1]["DTSTART"].dt.hour == 10


def test_seats_taken_and_freed_do_not_change_the_event(app, people):
    """Registrations update the seat counter only: the event's updated_at (which the programme
    PDF cache keys on) stays as it was."""
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        before = event.updated_at
        reg.register(db.session, event, data("Chadi", "c@example.org"))
        reg.cancel(db.session, reg.find_registration(db.session, event, "a@example.org"))
        db.session.commit()
        db.session.refresh(event)
        assert event.updated_at == before


def test_data_export(client, people):
    a, b = people
    body = client.get(f"/en/r/{b}/data.json")
    assert body.status_code == 200
    exported = json.loads(body.data)
    assert exported["status"] == "waitlisted" and exported["waitlist_position"] == 1
    assert exported["email"] == "b@example.org"
    assert exported["sessions"][0]["status"] == "pending"
    assert json.loads(client.get(f"/en/r/{a}/data.json").data)["waitlist_position"] is None


def test_cancel_has_a_confirmation_step_and_promotes(client, app, people):
    a, b = people
    page = client.get(f"/en/r/{a}/cancel")
    assert page.status_code == 200 and "Yes, cancel my registration" in page.get_data(as_text=True)
    with app.app_context():
        assert reg.by_token(db.session, a).status == "confirmed"
    response = client.post(f"/en/r/{a}/cancel")
    assert response.status_code == 303
    with app.app_context():
        assert reg.by_token(db.session, a).status == "cancelled"
        promoted = reg.by_token(db.session, b)
        assert promoted.status == "confirmed"
        assert promoted.session_signups[0].status == "confirmed"
        assert db.session.get(Event, 1).confirmed_count == 1
        assert [e.recipient for e in outbox(db.session, "promotion")] == ["b@example.org"]
    assert "Cancelled" in client.get(f"/en/r/{a}").get_data(as_text=True)


def test_change_sessions(client, app, people):
    a, _b = people
    response = client.post(f"/en/r/{a}/sessions", data={})
    assert response.status_code == 303
    with app.app_context():
        assert reg.by_token(db.session, a).session_signups == []
    response = client.post(f"/en/r/{a}/sessions", data={"sessions": ["nope"]})
    assert response.status_code == 400
    assert "Unknown session: nope" in response.get_data(as_text=True)


def test_delete_my_data(client, app, people):
    a, b = people
    assert "Yes, delete my data" in client.get(f"/en/r/{a}/delete").get_data(as_text=True)
    response = client.post(f"/en/r/{a}/delete")
    assert response.status_code == 303
    assert client.get(f"/en/r/{a}").status_code == 404  # token rotated
    with app.app_context():
        rows = db.session.scalars(db.select(Registration).order_by(Registration.id)).all()
        assert rows[0].anonymised_at and rows[0].full_name != "Amina"
        assert rows[0].email.endswith("@invalid")
        assert rows[1].status == "confirmed"
        assert db.session.get(Event, 1).confirmed_count == 1


def test_personal_link_in_email_uses_base_url(app, people):
    a, _b = people
    with app.app_context():
        import email
        from email import policy

        raw = outbox(db.session, "confirmation")[0].message
        message = email.message_from_bytes(raw, policy=policy.default)
        assert f"http://symposium.test/ar/r/{a}" in message.get_body(("plain",)).get_content()
        assert f'href="http://symposium.test/ar/r/{a}"' in message.get_body(("html",)).get_content()
