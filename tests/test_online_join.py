"""Personal join links of online sessions: the join route before, inside and after the window,
who is refused, the recorded joins, and the links on the self-service page, in emails and in
the registrant's .ics."""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import replace
from datetime import UTC, datetime

import icalendar
import pytest
from sqlalchemy import select

from symposium.extensions import db
from symposium.models import Event, SessionJoin
from symposium.services import notifications, online
from symposium.services import registration as reg
from tests.factories import make_event, make_room, make_session
from tests.manage_helpers import build_world, login
from tests.registration_helpers import data

EVENT_MEETING = "https://meet.example.org/whole-event-7f3a"
TALK_MEETING = "https://meet.example.org/talk-room-91c2"
RECORDING = "https://video.example.org/recording-talk-55e1"
BASE = "http://symposium.test"

# The talk runs 09:00-10:00 in Riyadh (UTC+3): 06:00-07:00 UTC; its link opens at 05:45 UTC
BEFORE = datetime(2027, 1, 24, 5, 0, tzinfo=UTC)
INSIDE = datetime(2027, 1, 24, 5, 50, tzinfo=UTC)
LATER_INSIDE = datetime(2027, 1, 24, 6, 30, tzinfo=UTC)
AFTER = datetime(2027, 1, 24, 7, 30, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    now = {"value": BEFORE}
    monkeypatch.setattr(online, "utcnow", lambda: now["value"])
    return now


@pytest.fixture
def world(app):
    """A published hybrid event with a meeting, three sessions, and registrations of every kind."""
    with app.app_context():
        s = db.session
        event = make_event(s, hybrid=True, online_url=EVENT_MEETING)
        room = make_room(s, event, "hall")
        talk = make_session(s, event, "talk", "2027-01-24T09:00", "2027-01-24T10:00", room=room)
        talk.online_url = TALK_MEETING
        talk.recording_url = RECORDING
        make_session(s, event, "pause", "2027-01-24T10:00", "2027-01-24T10:30", kind="break")
        make_session(s, event, "ws", "2027-01-24T11:00", "2027-01-24T12:00", capacity=5)
        tokens = {}
        for name, mode, sessions in (
            ("online", "online", ["ws"]),
            ("other", "online", []),
            ("inperson", "in_person", []),
            ("cancelled", "online", []),
            ("waiting", "online", []),
        ):
            result = reg.register(
                s,
                event,
                data(name, f"{name}@example.org", attendance_mode=mode, sessions=sessions),
            )
            tokens[name] = result.registration.token
        reg.cancel(s, reg.by_token(s, tokens["cancelled"]))
        waiting = reg.by_token(s, tokens["waiting"])
        waiting.status, waiting.waitlist_seq = "waitlisted", 1
        s.commit()
        return tokens


def joins(app, token=None):
    with app.app_context():
        query = select(SessionJoin).order_by(SessionJoin.id)
        rows = db.session.scalars(query).all()
        if token is not None:
            rows = [r for r in rows if r.registration.token == token]
        return [
            (r.registration.token, r.session.key, r.joins, r.first_joined_at, r.last_joined_at)
            for r in rows
        ]


def set_online(app, **options):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "test-event"))
        online.store_settings(event, online.OnlineSettings(**options))
        db.session.commit()


# --------------------------------------------------------------------------- the window


def test_before_the_window_a_countdown_in_both_timezones(client, app, world, clock):
    token = world["online"]
    response = client.get(f"/en/r/{token}/join/talk")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert "Location" not in response.headers
    html = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in html
    # in the event's timezone, named, with its UTC offset (readable without JavaScript)
    assert "8:45" in html and "Riyadh time" in html and "GMT+03:00" in html
    # the attendee's own time: filled in by the script from the ISO value
    assert 'data-local-time datetime="2027-01-24T05:45:00Z"' in html
    assert "js/countdown.js" in html
    assert "Time left: 45 minutes" in html  # the plain-text countdown
    assert f"/en/r/{token}" in html  # back to the self-service page
    assert TALK_MEETING not in html and EVENT_MEETING not in html
    assert joins(app) == []
    arabic = client.get(f"/ar/r/{token}/join/talk").get_data(as_text=True)
    assert "توقيت الرياض" in arabic and "غرينتش+03:00" in arabic
    assert "الوقت المتبقي" in arabic


def test_inside_the_window_records_and_redirects(client, app, world, clock):
    token = world["online"]
    clock["value"] = INSIDE
    response = client.get(f"/en/r/{token}/join/talk")
    assert response.status_code == 303
    assert response.headers["Location"] == TALK_MEETING
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert joins(app) == [(token, "talk", 1, INSIDE, INSIDE)]
    clock["value"] = LATER_INSIDE
    assert client.get(f"/fr/r/{token}/join/talk").status_code == 303
    # one row: the first join kept, the last one moved, counted twice
    assert joins(app) == [(token, "talk", 2, INSIDE, LATER_INSIDE)]


def test_the_event_meeting_is_the_fallback(client, app, world, clock):
    clock["value"] = datetime(2027, 1, 24, 8, 0, tzinfo=UTC)  # 11:00 in Riyadh
    response = client.get(f"/en/r/{world['online']}/join/ws")
    assert response.status_code == 303 and response.headers["Location"] == EVENT_MEETING


def test_the_window_opens_as_configured(client, app, world, clock):
    clock["value"] = datetime(2027, 1, 24, 5, 35, tzinfo=UTC)  # 25 minutes before
    assert client.get(f"/en/r/{world['online']}/join/talk").status_code == 200
    set_online(app, opens_minutes=30)
    assert client.get(f"/en/r/{world['online']}/join/talk").status_code == 303


def test_after_the_session_the_recording(client, app, world, clock):
    clock["value"] = AFTER
    response = client.get(f"/en/r/{world['online']}/join/talk")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "This session has ended." in html
    assert f'href="{RECORDING}"' in html and TALK_MEETING not in html
    assert joins(app) == []
    with app.app_context():
        db.session.scalar(select(Event)).sessions[0].recording_url = None
        db.session.commit()
    html = client.get(f"/en/r/{world['online']}/join/talk").get_data(as_text=True)
    assert "No recording is available for this session." in html and RECORDING not in html


# --------------------------------------------------------------------------- who is refused


def test_the_token_decides_whose_join_it_is(client, app, world, clock):
    clock["value"] = INSIDE
    assert client.get(f"/en/r/{world['other']}/join/talk").status_code == 303
    assert joins(app) == [(world["other"], "talk", 1, INSIDE, INSIDE)]
    assert client.get("/en/r/made-up-token-0000000000000000000000/join/talk").status_code == 404
    assert client.get(f"/en/r/{world['online']}/join/no-such-session").status_code == 404
    with app.app_context():
        other = make_event(db.session, "other-event", hybrid=True, online_url=EVENT_MEETING)
        make_session(db.session, other, "elsewhere", "2027-01-24T09:00", "2027-01-24T10:00")
        db.session.commit()
    # a session of another event is unknown to this registration
    assert client.get(f"/en/r/{world['online']}/join/elsewhere").status_code == 404
    assert len(joins(app)) == 1


@pytest.mark.parametrize("who", ["cancelled", "waiting", "inperson"])
def test_refused_registrations_never_reach_the_meeting(client, app, world, clock, who):
    clock["value"] = INSIDE
    response = client.get(f"/en/r/{world[who]}/join/talk")
    assert response.status_code == 403
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert TALK_MEETING not in html and EVENT_MEETING not in html
    assert f"/en/r/{world[who]}" in html  # back to the personal page
    assert joins(app) == []


def test_in_person_registrants_join_when_the_organiser_allows(client, app, world, clock):
    clock["value"] = INSIDE
    assert client.get(f"/en/r/{world['inperson']}/join/talk").status_code == 403
    set_online(app, in_person_links=True)
    response = client.get(f"/en/r/{world['inperson']}/join/talk")
    assert response.status_code == 303 and response.headers["Location"] == TALK_MEETING


def test_a_session_needing_a_seat_not_held_is_refused(client, app, world, clock):
    clock["value"] = datetime(2027, 1, 24, 8, 0, tzinfo=UTC)
    response = client.get(f"/en/r/{world['other']}/join/ws")
    assert response.status_code == 403
    assert "you do not hold a seat" in response.get_data(as_text=True)
    assert client.get(f"/en/r/{world['online']}/join/ws").status_code == 303


def test_no_meeting_no_join(client, app, world, clock):
    clock["value"] = datetime(2027, 1, 24, 7, 10, tzinfo=UTC)
    response = client.get(f"/en/r/{world['online']}/join/pause")  # a break
    assert response.status_code == 404
    assert "This session has no online meeting." in response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(Event))
        event.online_url = None
        db.session.commit()
    clock["value"] = datetime(2027, 1, 24, 8, 0, tzinfo=UTC)
    assert client.get(f"/en/r/{world['online']}/join/ws").status_code == 404


def test_no_join_for_an_unpublished_event(client, app, world, clock):
    clock["value"] = INSIDE
    with app.app_context():
        db.session.scalar(select(Event)).status = "draft"
        db.session.commit()
    response = client.get(f"/en/r/{world['online']}/join/talk")
    assert response.status_code == 404 and TALK_MEETING not in response.get_data(as_text=True)
    assert joins(app) == []


def test_an_anonymised_registration_loses_its_links(client, app, world, clock):
    clock["value"] = INSIDE
    with app.app_context():
        reg.anonymise(db.session, reg.by_token(db.session, world["online"]))
        db.session.commit()
    assert client.get(f"/en/r/{world['online']}/join/talk").status_code == 404


# --------------------------------------------------------------------------- recording joins


def test_a_concurrent_first_join_updates_the_winners_row(app, world, monkeypatch):
    """The insert loses against a row written meanwhile: the join is counted on that row."""
    with app.app_context():
        registration = reg.by_token(db.session, world["online"])
        talk = registration.event.sessions[0]
        online.record_join(db.session, registration, talk, INSIDE)
        db.session.commit()
        real_bump = online._bump
        calls = []

        def missed_first(*args):
            calls.append(args)
            return 0 if len(calls) == 1 else real_bump(*args)  # as if the row came just after

        monkeypatch.setattr(online, "_bump", missed_first)
        online.record_join(db.session, registration, talk, LATER_INSIDE)
        db.session.commit()
        rows = db.session.scalars(select(SessionJoin)).all()
        assert len(calls) == 2
        assert [(r.joins, r.first_joined_at, r.last_joined_at) for r in rows] == [
            (2, INSIDE, LATER_INSIDE)
        ]


@pytest.mark.postgres
def test_two_simultaneous_first_joins_count_twice(pg_app, monkeypatch):
    with pg_app.app_context():
        event = make_event(db.session, hybrid=True, online_url=EVENT_MEETING)
        make_session(db.session, event, "talk", "2027-01-24T09:00", "2027-01-24T10:00")
        token = reg.register(db.session, event, data(attendance_mode="online")).registration.token
        db.session.commit()
    real_bump = online._bump
    barrier = threading.Barrier(2, timeout=10)

    def bump_then_wait(*args):
        done = real_bump(*args)
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()  # both found no row: both insert
        return done

    local = threading.local()
    monkeypatch.setattr(online, "_bump", bump_then_wait)
    errors = []

    def join():
        try:
            with pg_app.app_context():
                registration = reg.by_token(db.session, token)
                online.record_join(db.session, registration, registration.event.sessions[0])
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=join) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    with pg_app.app_context():
        assert [r.joins for r in db.session.scalars(select(SessionJoin))] == [2]


# --------------------------------------------------------------------------- where links are shown


def test_links_on_the_self_service_page(client, app, world, clock):
    token = world["online"]
    html = client.get(f"/en/r/{token}").get_data(as_text=True)
    assert "Join online" in html
    assert f'href="{BASE}/en/r/{token}/join/talk"' in html
    assert f'href="{BASE}/en/r/{token}/join/ws"' in html
    assert "/join/pause" not in html  # a break has no meeting of its own
    assert "Opens at 8:45" in html and "15 minutes before its session" in html
    assert TALK_MEETING not in html and EVENT_MEETING not in html
    clock["value"] = INSIDE
    assert "Open now" in client.get(f"/en/r/{token}").get_data(as_text=True)
    clock["value"] = AFTER
    html = client.get(f"/en/r/{token}").get_data(as_text=True)
    assert "Ended" in html and f'href="{RECORDING}"' in html
    # the other online registrant has no seat in the workshop: no link to it
    clock["value"] = BEFORE
    html = client.get(f"/en/r/{world['other']}").get_data(as_text=True)
    assert "/join/talk" in html and "/join/ws" not in html
    for who in ("inperson", "cancelled", "waiting"):
        assert "/join/" not in client.get(f"/en/r/{world[who]}").get_data(as_text=True)


def test_links_in_the_confirmation_email(app, world):
    with app.app_context():
        registration = reg.by_token(db.session, world["online"])
        registration.preferred_language = "fr"
        subject, text, html, lang = notifications.render(db.session, registration, "confirmed")
        url = f"{BASE}/fr/r/{registration.token}/join/talk"
        assert lang == "fr" and url in text and f'href="{url}"' in html
        assert "Participer en ligne" in text
        assert TALK_MEETING not in text + html and EVENT_MEETING not in text + html
        inperson = reg.by_token(db.session, world["inperson"])
        _s, text, html, _l = notifications.render(db.session, inperson, "confirmed")
        assert "/join/" not in text + html
        # the calendar attached to the email carries the same link
        raw = notifications.build_email(db.session, registration, "confirmed").raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "event.ics"]
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    talk = next(v for v in cal.walk("VEVENT") if str(v["SUMMARY"]) == "Séance talk")
    assert str(talk["CONFERENCE"]) == url
    assert "Participer en ligne (lien personnel)" in str(talk["DESCRIPTION"])


def _calendar(client, token, lang="en"):
    response = client.get(f"/{lang}/r/{token}/calendar.ics")
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(c.get("summary")): c for c in cal.walk("VEVENT")}


def test_links_in_the_registrants_calendar(client, app, world):
    token = world["online"]
    events = _calendar(client, token)
    talk = events["Session talk"]
    url = f"{BASE}/en/r/{token}/join/talk"
    assert str(talk.get("conference")) == url
    assert talk.get("conference").params["FEATURE"] == "VIDEO"
    assert url in str(talk.get("description"))
    assert str(talk.get("location")) == url  # an online participant: the meeting is the place
    assert str(events["Session ws"].get("conference")).endswith("/join/ws")
    assert "Session pause" not in events
    assert b"meet.example.org" not in client.get(f"/en/r/{token}/calendar.ics").data
    # the other online registrant holds no seat in the workshop
    other = _calendar(client, world["other"])
    assert set(other) == {"Test symposium", "Session talk"}
    assert world["online"] not in client.get(f"/en/r/{world['other']}/calendar.ics").get_data(
        as_text=True
    )
    # an in-person registrant: no link, unless the organiser allows it (then the room stays)
    assert "conference" not in _calendar(client, world["inperson"]).get("Session talk", {})
    set_online(app, in_person_links=True)
    talk = _calendar(client, world["inperson"])["Session talk"]
    assert str(talk.get("conference")).endswith(f"{world['inperson']}/join/talk")
    assert "Hall" in str(talk.get("location"))


# --------------------------------------------------------------------------- organiser options


def test_options_on_the_event_form(app, client):
    world = build_world(app)
    login(client, "organiser@example.org")
    page = client.get(f"/en/manage/events/{world.slug}/edit").get_data(as_text=True)
    assert 'name="online_opens_minutes"' in page and 'value="15"' in page
    form = {
        "slug": world.slug,
        "timezone": "Asia/Riyadh",
        "starts_on": "2027-01-24",
        "ends_on": "2027-01-24",
        "default_language": "ar",
        "languages": ["ar", "en"],
        "title_ar": "ندوة",
        "title_en": "Symposium",
        "hybrid": "y",
        "online_url": "https://meet.example.org/x",
        "online_opens_minutes": "300",
    }
    response = client.post(f"/en/manage/events/{world.slug}/edit", data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Enter a number of minutes from 0 to 240." in body and 'value="300"' in body
    response = client.post(
        f"/fr/manage/events/{world.slug}/edit", data=dict(form, online_opens_minutes="-1")
    )
    assert response.status_code == 400
    assert "Saisissez un nombre de minutes entre 0 et 240." in response.get_data(as_text=True)
    response = client.post(
        f"/en/manage/events/{world.slug}/edit",
        data=dict(form, online_url="javascript:alert(1)", online_opens_minutes="15"),
    )
    assert response.status_code == 400
    assert "must start with https://" in response.get_data(as_text=True)
    response = client.post(
        f"/en/manage/events/{world.slug}/edit",
        data=dict(form, online_opens_minutes="45", online_in_person_links="y"),
    )
    assert response.status_code == 302
    with app.app_context():
        event = db.session.get(Event, world.event_id)
        assert event.settings["online"] == {"opens_minutes": 45, "in_person_links": True}
        assert online.get_settings(event) == online.OnlineSettings(45, True)
    page = client.get(f"/en/manage/events/{world.slug}/edit").get_data(as_text=True)
    assert 'value="45"' in page


def test_settings_are_checked_in_the_service(ctx):
    assert online.settings_problems(15) == []
    assert online.settings_problems(241) and online.settings_problems(-1)
    assert online.settings_problems(True)
    event = make_event(ctx, settings={"online": {"opens_minutes": "9999"}})
    assert online.get_settings(event).opens_minutes == online.MAX_OPENS_MINUTES


def test_a_head_request_is_no_join(client, app, world, clock):
    clock["value"] = INSIDE
    assert client.head(f"/en/r/{world['online']}/join/talk").status_code == 303
    assert joins(app) == []


def test_the_countdown_uses_the_events_digits(client, app, world, clock):
    with app.app_context():
        event = db.session.scalar(select(Event))
        event.settings = {**(event.settings or {}), "digits": "arab"}
        db.session.commit()
    html = client.get(f"/ar/r/{world['online']}/join/talk").get_data(as_text=True)
    assert "الوقت المتبقي: ٤٥ دقيقة" in html and 'data-locale="ar-u-nu-arab"' in html


def test_saving_an_event_without_the_options_keeps_them(ctx):
    from symposium.services import event_admin

    event = make_event(ctx, settings={"online": {"opens_minutes": 30, "in_person_links": True}})
    data = event_admin.EventData(
        slug=event.slug,
        timezone=event.timezone,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        title={"ar": "ندوة"},
    )
    event_admin.save_event(ctx, data, event=event)
    assert online.get_settings(event) == online.OnlineSettings(30, True)
    event_admin.save_event(ctx, replace(data, online_opens_minutes=0), event=event)
    assert online.get_settings(event) == online.OnlineSettings(0, True)
    with pytest.raises(event_admin.EventError):
        event_admin.save_event(ctx, replace(data, online_opens_minutes=241), event=event)
