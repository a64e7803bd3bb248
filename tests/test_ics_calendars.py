"""Calendar files read by other software: Mozilla's ical.js (Thunderbird, Nextcloud) as a second
parser, times across daylight saving changes, one UID per session in every feed, CRLF line ends
(email attachment included), the per-session .ics and locale-aware lists."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from email import policy
from pathlib import Path

import icalendar
import pytest

from symposium.extensions import db
from symposium.models import Event, Registration
from symposium.services import notifications
from symposium.services import registration as reg
from tests.factories import add_speaker, make_event, make_person, make_room, make_session
from tests.registration_helpers import data

JS_DIR = Path(__file__).parent / "js"


def ical_js(content: bytes) -> list[dict]:
    """The VEVENTs of ``content`` as ical.js understands them (uid, sequence, UTC start/end)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the ical.js cross-check needs it")
    if not (JS_DIR / "node_modules" / "ical.js").is_dir():
        pytest.skip("ical.js is not installed: run scripts/install-test-tools.sh")
    result = subprocess.run(
        [node, str(JS_DIR / "ics_instants.mjs")],
        input=content,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Europe/Paris: summer time from Sunday 28 March 2027 (02:00 -> 03:00) to Sunday 31 October
# 2027 (03:00 -> 02:00). Each event has sessions on both sides of its change.
DST_EVENTS = {
    "spring-days": (
        date(2027, 3, 26),
        date(2027, 3, 30),
        {
            "fri": ("2027-03-26T09:30", "2027-03-26T10:30", "2027-03-26T08:30"),
            "sat": ("2027-03-27T09:30", "2027-03-27T10:30", "2027-03-27T08:30"),
            "mon": ("2027-03-29T09:30", "2027-03-29T10:30", "2027-03-29T07:30"),
            "tue": ("2027-03-30T09:30", "2027-03-30T10:30", "2027-03-30T07:30"),
        },
    ),
    "autumn-days": (
        date(2027, 10, 29),
        date(2027, 11, 2),
        {
            "fri": ("2027-10-29T09:30", "2027-10-29T10:30", "2027-10-29T07:30"),
            "sat": ("2027-10-30T09:30", "2027-10-30T10:30", "2027-10-30T07:30"),
            "mon": ("2027-11-01T09:30", "2027-11-01T10:30", "2027-11-01T08:30"),
            "tue": ("2027-11-02T09:30", "2027-11-02T10:30", "2027-11-02T08:30"),
        },
    ),
}


@pytest.fixture
def paris(app):
    with app.app_context():
        for slug, (first, last, sessions) in DST_EVENTS.items():
            event = make_event(
                db.session, slug, timezone="Europe/Paris", starts_on=first, ends_on=last
            )
            room = make_room(db.session, event, "hall")
            for key, (start, end, _utc) in sessions.items():
                make_session(db.session, event, key, start, end, room=room, capacity=50)
        db.session.commit()


@pytest.mark.parametrize("slug", sorted(DST_EVENTS))
def test_paris_sessions_around_dst_change_read_right_by_ical_js(client, paris, slug):
    content = client.get(f"/en/events/{slug}/event.ics").data
    expected = {key: utc(instant) for key, (_s, _e, instant) in DST_EVENTS[slug][2].items()}
    # Our own reading (icalendar, through zoneinfo) ...
    cal = icalendar.Calendar.from_ical(content)
    ours = {
        str(v["SUMMARY"]).removeprefix("Session "): v["DTSTART"].dt.astimezone(UTC)
        for v in cal.walk("VEVENT")
    }
    assert ours == expected
    # ... and a second parser's, through the VTIMEZONE of the file
    theirs = {
        e["summary"].removeprefix("Session "): datetime.fromtimestamp(e["start"], UTC)
        for e in ical_js(content)
    }
    assert theirs == expected
    assert b"RDATE" not in content
    [vtimezone] = cal.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Paris"
    for entry in ical_js(content):
        assert entry["tzid"] == "Europe/Paris"
        assert entry["end"] - entry["start"] == 3600


def test_vtimezone_covers_only_the_event(client, paris):
    content = client.get("/en/events/spring-days/event.ics").data
    [vtimezone] = icalendar.Calendar.from_ical(content).walk("VTIMEZONE")
    onsets = sorted(sub["DTSTART"].dt for sub in vtimezone.subcomponents)
    assert onsets[0].year == 2027 and onsets[-1].year == 2027
    # The summer time of 2027 starts in it; no change of 1970 to 2038 is listed
    assert [sub.name for sub in vtimezone.subcomponents] == ["STANDARD", "DAYLIGHT"]


def test_vtimezone_over_years_has_one_onset_per_observance(app):
    """A span over several changes of the same kind gives separate observances (RDATE lists
    are misread by ical.js), and the times in them are read right."""
    from symposium.services import ics

    with app.app_context():
        event = make_event(
            db.session,
            "long-run",
            timezone="Europe/Paris",
            starts_on=date(2027, 3, 1),
            ends_on=date(2028, 11, 30),
        )
        make_session(db.session, event, "a", "2027-03-01T09:30", "2027-03-01T10:30")
        make_session(db.session, event, "b", "2028-07-03T09:30", "2028-07-03T10:30")
        make_session(db.session, event, "c", "2028-11-30T09:30", "2028-11-30T10:30")
        db.session.commit()
        content = ics.agenda_ics(event, event.sessions, "en", lambda item: f"https://x/{item.key}")
    assert b"RDATE" not in content
    [vtimezone] = icalendar.Calendar.from_ical(content).walk("VTIMEZONE")
    daylight = [s for s in vtimezone.subcomponents if s.name == "DAYLIGHT"]
    assert sorted(s["DTSTART"].dt.year for s in daylight) == [2027, 2028]
    starts = sorted(datetime.fromtimestamp(e["start"], UTC) for e in ical_js(content))
    assert starts == [utc("2027-03-01T08:30"), utc("2028-07-03T07:30"), utc("2028-11-30T08:30")]


@pytest.fixture
def attendee(app):
    """A Paris event with two sessions; a registration holding a seat in one of them."""
    with app.app_context():
        event = make_event(
            db.session,
            "summit",
            timezone="Europe/Paris",
            starts_on=date(2027, 3, 26),
            ends_on=date(2027, 3, 29),
        )
        room = make_room(db.session, event, "hall")
        item = make_session(
            db.session, event, "ws", "2027-03-29T09:30", "2027-03-29T11:00", room=room, capacity=5
        )
        make_session(db.session, event, "talk", "2027-03-26T14:00", "2027-03-26T15:00")
        for key, names in (
            ("p1", {"en": "Amal", "ar": "أمل", "fr": "Amal"}),
            ("p2", {"en": "Bruno", "ar": "برونو", "fr": "Bruno"}),
            ("p3", {"en": "Chen", "ar": "تشن", "fr": "Chen"}),
        ):
            add_speaker(db.session, item, make_person(db.session, event, key, name=names))
        result = reg.register(
            db.session, event, data("Amina", "amina@example.org", sessions=["ws"]), notify=False
        )
        db.session.commit()
        return result.registration.token


def _uids(content: bytes) -> dict[str, str]:
    """summary -> UID of each VEVENT."""
    cal = icalendar.Calendar.from_ical(content)
    return {str(v["SUMMARY"]): str(v["UID"]) for v in cal.walk("VEVENT")}


def _email_calendar(app, token: str) -> tuple[bytes, email.message.EmailMessage]:
    with app.app_context():
        registration = db.session.scalar(db.select(Registration).filter_by(token=token))
        raw = notifications.build_email(db.session, registration, "confirmed").raw
    message = email.message_from_bytes(raw, policy=policy.default)
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "event.ics"]
    return part.get_payload(decode=True), part


def test_one_uid_per_session_in_every_calendar(app, client, attendee):
    public = client.get("/en/events/summit/event.ics").data
    personal = client.get(f"/en/r/{attendee}/calendar.ics").data
    single = client.get("/en/events/summit/sessions/ws.ics").data
    attached, _part = _email_calendar(app, attendee)

    uid = _uids(public)["Session ws"]
    assert _uids(personal)["Session ws"] == uid
    assert _uids(single) == {"Session ws": uid}
    assert uid in _uids(attached).values()
    assert uid.endswith("@symposium")
    # The same UIDs through the second parser
    assert {e["uid"] for e in ical_js(single)} == {uid}
    assert uid in {e["uid"] for e in ical_js(personal)}
    assert uid in {e["uid"] for e in ical_js(attached)}
    assert uid in {e["uid"] for e in ical_js(public)}

    # Not tied to the language nor to the site's address
    app.config["SYMPOSIUM_BASE_URL"] = "https://elsewhere.example"
    assert _uids(client.get(f"/fr/r/{attendee}/calendar.ics").data)["Séance ws"] == uid
    assert _uids(client.get("/ar/events/summit/event.ics").data)["جلسة ws"] == uid
    event_uid = _uids(personal)["Test symposium"]
    assert _uids(client.get(f"/fr/r/{attendee}/calendar.ics").data)["Symposium de test"] == (
        event_uid
    )


def test_guids_are_name_based(app, attendee):
    from symposium.services.guids import event_guid, ical_uid, session_guid

    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(slug="summit"))
        ws, talk = sorted(event.sessions, key=lambda s: s.key, reverse=True)
        assert session_guid(event, ws) != session_guid(event, talk) != event_guid(event)
        assert len(session_guid(event, ws)) == 36  # a bare UUID, for schedule.xml too
        assert ical_uid(session_guid(event, ws)) == session_guid(event, ws) + "@symposium"
        # Another event with the same session keys gets other identifiers
        other = make_event(db.session, "other-summit")
        copy = make_session(db.session, other, "ws", "2027-01-24T09:00", "2027-01-24T10:00")
        assert session_guid(other, copy) != session_guid(event, ws)


def _assert_crlf(content: bytes) -> None:
    assert content.endswith(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")
    assert b"\r" not in content.replace(b"\r\n", b"")


def test_every_calendar_has_crlf_line_ends_and_one_content_type(app, client, attendee):
    for path in (
        "/ar/events/summit/event.ics",
        f"/ar/r/{attendee}/calendar.ics",
        "/ar/events/summit/sessions/ws.ics",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8; method=PUBLISH"
        _assert_crlf(response.data)
        assert "أمل".encode() in response.data  # UTF-8, Arabic kept

    # The email attachment: the exact bytes, with the method of the calendar
    with app.app_context():
        registration = db.session.scalar(db.select(Registration).filter_by(token=attendee))
        registration.preferred_language = "ar"
        db.session.commit()
    attached, part = _email_calendar(app, attendee)
    _assert_crlf(attached)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_content_charset() == "utf-8"
    assert b"METHOD:PUBLISH\r\n" in attached
    assert ical_js(attached)  # and a calendar client reads it


def test_session_ics_and_its_links(app, client, attendee):
    response = client.get("/en/events/summit/sessions/ws.ics")
    assert response.status_code == 200
    assert 'filename="summit-ws.ics"' in response.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(response.data)
    [vevent] = cal.walk("VEVENT")
    assert vevent["DTSTART"].dt.astimezone(UTC) == utc("2027-03-29T07:30")
    assert str(vevent["URL"]).endswith("/en/events/summit/sessions/ws")
    [entry] = ical_js(response.data)
    assert datetime.fromtimestamp(entry["start"], UTC) == utc("2027-03-29T07:30")
    assert datetime.fromtimestamp(entry["end"], UTC) == utc("2027-03-29T09:00")
    assert client.get("/en/events/summit/sessions/nothing.ics").status_code == 404

    page = client.get("/en/events/summit/sessions/ws").get_data(as_text=True)
    assert 'href="/en/events/summit/sessions/ws.ics"' in page
    personal = client.get(f"/fr/r/{attendee}").get_data(as_text=True)
    assert 'href="/fr/events/summit/sessions/ws.ics"' in personal
    assert "Ajouter Séance ws à mon agenda" in personal  # which session each link adds


def test_speakers_listed_with_the_language_conjunction(client, attendee):
    def description(lang: str) -> str:
        content = client.get(f"/{lang}/events/summit/sessions/ws.ics").data
        [vevent] = icalendar.Calendar.from_ical(content).walk("VEVENT")
        return str(vevent["DESCRIPTION"])

    assert description("en").endswith("Amal, Bruno, and Chen")
    assert description("fr").endswith("Amal, Bruno et Chen")
    assert description("ar").endswith("أمل وبرونو وتشن")


@pytest.mark.parametrize("to", ["amina@example.org", "ليلى@example.org"])
def test_calendar_attachment_keeps_its_bytes_on_both_mail_paths(app, to):
    """The fast writer and the EmailMessage fallback (a non-ASCII address) both send the
    calendar as its exact CRLF bytes, with method=PUBLISH."""
    from symposium.services import ics, mail

    content = "BEGIN:VCALENDAR\r\nSUMMARY:جلسة\r\nEND:VCALENDAR\r\n".encode()
    attachment = mail.Attachment("event.ics", content, "text", "calendar", ics.CONTENT_PARAMS)
    with app.app_context():
        raw = mail.build_raw(to=to, subject="x", text="t", attachments=[attachment]).raw
    [part] = email.message_from_bytes(raw, policy=policy.default).iter_attachments()
    assert part.get_payload(decode=True) == content
    assert part.get_param("method") == "PUBLISH" and part.get_content_charset() == "utf-8"


def test_arabic_location_uses_the_arabic_comma(app, client):
    from symposium.extensions import db as _db
    from tests.factories import make_event as _make_event
    from tests.factories import make_room as _make_room
    from tests.factories import make_session as _make_session

    with app.app_context():
        event = _make_event(
            _db.session,
            "comma",
            venue_name={"ar": "مركز المؤتمرات", "en": "Conference centre"},
            venue_address={"ar": "الجبيل الصناعية", "en": "Jubail Industrial City"},
        )
        room = _make_room(_db.session, event, "hall", ar="القاعة الكبرى", en="Great hall")
        _make_session(_db.session, event, "s1", "2027-01-24T10:00", "2027-01-24T11:00", room=room)
        _db.session.commit()
    text = client.get("/ar/events/comma/event.ics").data.decode("utf-8").replace("\r\n ", "")
    location = next(line for line in text.splitlines() if line.startswith("LOCATION"))
    assert "القاعة الكبرى، مركز المؤتمرات، الجبيل الصناعية" in location.replace("\\,", ",")
    assert ", " not in location.replace("\\,", ",")
    english = client.get("/en/events/comma/event.ics").data.decode("utf-8").replace("\r\n ", "")
    assert "Great hall\\, Conference centre\\, Jubail Industrial City" in english
