"""Public pages: event home, agenda with filters, sessions, speakers, changes, iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from symposium.extensions import db
from symposium.models import AgendaChange, Person
from symposium.services.interchange import import_event
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.interchange_helpers import doc


def _seed(app, **changes):
    with app.app_context():
        import_event(db.session, doc(**changes))
        db.session.commit()


def test_event_home(app, client):
    _seed(app)
    page = client.get("/en/events/learning-days/").get_data(as_text=True)
    assert "<title>Learning days</title>" in page
    assert "Monday, February 1, 2027" in page and "Tuesday, February 2, 2027" in page
    assert "City hall" in page and "Two days on learning cities." in page
    assert "/en/events/learning-days/agenda" in page and "/en/events/learning-days/speakers" in page
    assert "/en/events/learning-days/event.ics" in page


def test_draft_and_unknown_events_are_404(app, client):
    _seed(app, status="draft")
    for path in ("/", "/agenda", "/speakers", "/changes", "/event.ics", "/sessions/opening"):
        assert client.get(f"/en/events/learning-days{path}").status_code == 404
    assert client.get("/en/events/nothing-here/").status_code == 404
    assert "Learning days" not in client.get("/en/").get_data(as_text=True)


def test_agenda_lists_days_times_rooms_kinds_and_speakers(app, client):
    _seed(app)
    page = client.get("/en/events/learning-days/agenda").get_data(as_text=True)
    assert page.index("Opening") < page.index("Workshop") < page.index("Closing")
    assert "9:00" in page and "11:30" in page
    assert "Main hall" in page and "Lab" in page
    assert "The mayor" in page and "Mayor" in page and "(Chair)" in page
    assert "Riyadh time" in page and "Asia/Riyadh" not in page  # the timezone in words
    assert "Sign-up required" in page


def test_agenda_filters_by_room_and_kind(app, client):
    _seed(app)
    page = client.get("/en/events/learning-days/agenda?room=lab").get_data(as_text=True)
    assert "Workshop" in page and "/sessions/opening" not in page
    page = client.get("/en/events/learning-days/agenda?kind=closing").get_data(as_text=True)
    assert "/sessions/closing" in page and "/sessions/lab-1" not in page
    page = client.get("/en/events/learning-days/agenda?room=main&kind=closing").get_data(
        as_text=True
    )
    assert "No session matches these filters." in page
    # unknown values are ignored rather than an error
    page = client.get("/en/events/learning-days/agenda?room=zzz&kind=zzz")
    assert page.status_code == 200 and "/sessions/closing" in page.get_data(as_text=True)


def test_session_page(app, client):
    _seed(app)
    page = client.get("/en/events/learning-days/sessions/lab-1").get_data(as_text=True)
    assert "<title>Workshop · Learning days</title>" in page
    assert "Hands on." in page and "Lab" in page and "20 places left" in page
    assert client.get("/en/events/learning-days/sessions/nope").status_code == 404


def test_speakers_and_speaker_page(app, client):
    data = doc()
    data["speakers"][0]["bio"] = {"en": "<p>Runs <em>the</em> city.</p><script>alert(1)</script>"}
    with app.app_context():
        import_event(db.session, data)
        person = db.session.scalar(db.select(Person).where(Person.key == "expert"))
        person.bio = {"en": '<p>Raw <img src=x onerror="alert(1)"></p>'}  # bypassing the import
        db.session.commit()
    page = client.get("/en/events/learning-days/speakers").get_data(as_text=True)
    assert "The mayor" in page and "The expert" in page and "Saudi Arabia" in page
    page = client.get("/ar/events/learning-days/speakers/mayor").get_data(as_text=True)
    assert "رئيس البلدية" in page and "<em>the</em>" in page and "<script>" not in page
    assert (
        "المملكة العربية السعودية" in page and "/ar/events/learning-days/sessions/opening" in page
    )
    page = client.get("/en/events/learning-days/speakers/expert").get_data(as_text=True)
    assert "onerror" not in page and "Raw" in page
    assert client.get("/en/events/learning-days/speakers/nobody").status_code == 404


def test_speaker_photo(app, client, tmp_path):
    import base64
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(png, format="PNG")
    data = doc()
    data["speakers"][0]["photo"] = base64.b64encode(png.getvalue()).decode()
    with app.app_context():
        import_event(db.session, data)
        db.session.commit()
    page = client.get("/en/events/learning-days/speakers/mayor").get_data(as_text=True)
    assert "/en/events/learning-days/speakers/mayor/photo" in page
    response = client.get("/en/events/learning-days/speakers/mayor/photo")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    response.close()
    assert client.get("/en/events/learning-days/speakers/expert/photo").status_code == 404


def test_changes_page_newest_first_in_the_page_language(app, client):
    _seed(app)
    with app.app_context():
        event = db.session.scalar(db.select(AgendaChange.event_id))  # import of a new event: none
        assert event is None
        from symposium.services.events import find_event

        ev = find_event(db.session, "learning-days")
        now = datetime.now(UTC)
        db.session.add_all(
            [
                AgendaChange(
                    event=ev,
                    session_key="opening",
                    action="moved",
                    summary={
                        "starts_at": ["2027-02-01T08:30", "2027-02-01T09:00"],
                        "room": ["lab", "main"],
                    },
                    at=now - timedelta(hours=2),
                ),
                AgendaChange(
                    event=ev,
                    session_key="gone",
                    action="deleted",
                    summary={"title": [{"en": "Old session", "ar": "جلسة قديمة"}, None]},
                    at=now - timedelta(hours=1),
                ),
            ]
        )
        db.session.commit()
    page = client.get("/en/events/learning-days/changes").get_data(as_text=True)
    assert page.index("Old session") < page.index("Opening")
    assert "Removed" in page and "Moved" in page
    assert "Lab → Main hall" in page
    assert "8:30" in page and "9:00" in page
    page = client.get("/ar/events/learning-days/changes").get_data(as_text=True)
    assert "جلسة قديمة" in page and "الافتتاح" in page and "فبراير" in page


def test_event_ics(app, client):
    _seed(app)
    response = client.get("/fr/events/learning-days/event.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    opening = next(e for e in events if str(e["summary"]) == "Ouverture")
    assert opening["dtstart"].dt == datetime.fromisoformat("2027-02-01T09:00+03:00")
    assert opening["dtstart"].params["TZID"] == "Asia/Riyadh"
    assert list(cal.walk("VTIMEZONE"))
    assert b"TZID=Asia/Riyadh" in response.data
    uids = {str(e["uid"]) for e in events}
    again = Calendar.from_ical(client.get("/en/events/learning-days/event.ics").data)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == uids  # stable identifiers


def test_index_lists_upcoming_then_past(app, client):
    with app.app_context():
        today = date.today()
        make_event(
            db.session, "past-one", day=today - timedelta(days=400), title={"en": "Past one"}
        )
        make_event(db.session, "soon", day=today + timedelta(days=10), title={"en": "Soon"})
        make_event(db.session, "later", day=today + timedelta(days=100), title={"en": "Later"})
        make_event(db.session, "hidden", day=today, status="draft", title={"en": "Hidden draft"})
        db.session.commit()
    page = client.get("/en/").get_data(as_text=True)
    assert (
        page.index("Soon")
        < page.index("Later")
        < page.index("Past events")
        < page.index("Past one")
    )
    assert "Hidden draft" not in page


def test_factories_event_pages(app, client):
    with app.app_context():
        ev = make_event(db.session, "factory-event")
        room = make_room(db.session, ev, "main")
        item = make_session(db.session, ev, "s1", "2027-01-24T09:00", "2027-01-24T10:00", room=room)
        add_speaker(db.session, item, make_person(db.session, ev, "p1"), role="moderator")
        db.session.commit()
    page = client.get("/en/events/factory-event/agenda").get_data(as_text=True)
    assert "Session s1" in page and "Speaker p1" in page and "(Moderator)" in page
