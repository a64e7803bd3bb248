"""SEQUENCE and LAST-MODIFIED of a session's calendar entry grow when its time, room or title
changes (whatever path changes it), so that calendars replace the entry they have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from symposium.extensions import db
from symposium.models import Event, Session
from symposium.services import agenda
from tests.factories import make_event, make_room, make_session
from tests.test_ics_calendars import ical_js


@pytest.fixture
def world(app):
    with app.app_context():
        event = make_event(db.session, "revisions", timezone="Europe/Paris")
        make_room(db.session, event, "hall")
        make_room(db.session, event, "lab")
        make_session(db.session, event, "talk", "2027-01-24T09:30", "2027-01-24T10:30")
        db.session.commit()


def _entry(client) -> icalendar.Event:
    content = client.get("/en/events/revisions/sessions/talk.ics").data
    [vevent] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    return vevent


def _talk() -> Session:
    return db.session.scalar(db.select(Session).filter_by(key="talk"))


def test_new_session_is_revision_zero(app, client, world):
    vevent = _entry(client)
    assert vevent["SEQUENCE"] == 0
    assert isinstance(vevent["LAST-MODIFIED"].dt, datetime)


def test_move_retitle_and_room_change_bump_the_sequence(app, client, world):
    first = _entry(client)
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        item = _talk()
        before = item.revised_at
        agenda.move_session(
            db.session, event, item, starts_local=datetime(2027, 1, 24, 11, 0), room_id=None
        )
        db.session.commit()
        assert item.revision == 1 and item.revised_at > before

        data = agenda.data_from_session(item)
        data.title = {**data.title, "en": "A better title"}
        agenda.save_session(db.session, event, data, item=item)
        db.session.commit()
        assert item.revision == 2

        hall = next(r for r in event.rooms if r.key == "hall")
        data = agenda.data_from_session(item)
        data.room_id = hall.id
        agenda.save_session(db.session, event, data, item=item)
        db.session.commit()
        assert item.revision == 3

        # Deleting its room moves it out of the room: one more revision
        agenda.delete_room(db.session, event, hall)
        db.session.commit()
        assert _talk().revision == 4

    moved = _entry(client)
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] == 4
    assert moved["LAST-MODIFIED"].dt >= first["LAST-MODIFIED"].dt
    assert moved["DTSTART"].dt.astimezone(UTC) == datetime(2027, 1, 24, 10, 0, tzinfo=UTC)
    content = client.get("/en/events/revisions/sessions/talk.ics").data
    [read] = ical_js(content)
    assert read["sequence"] == 4
    assert read["last_modified"] == int(moved["LAST-MODIFIED"].dt.timestamp())


def test_other_changes_and_unchanged_saves_keep_the_sequence(app, client, world):
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        item = _talk()
        stamp = item.revised_at
        # Saved as it is
        agenda.save_session(db.session, event, agenda.data_from_session(item), item=item)
        db.session.commit()
        # Capacity, track and abstract are not what a calendar entry shows of time and place
        data = agenda.data_from_session(item)
        data.capacity = 30
        data.track = "Research"
        agenda.save_session(db.session, event, data, item=item)
        db.session.commit()
        item = _talk()
        assert item.revision == 0 and item.revised_at == stamp
        # A direct change of the times (e.g. an import) counts too
        item.starts_at += timedelta(minutes=15)
        db.session.commit()
        assert _talk().revision == 1
    assert _entry(client)["SEQUENCE"] == 1


def test_renaming_the_room_bumps_the_sequence_of_its_sessions(app, client, world):
    with app.app_context():
        event = db.session.scalar(db.select(Event))
        hall = next(r for r in event.rooms if r.key == "hall")
        data = agenda.data_from_session(_talk())
        data.room_id = hall.id
        agenda.save_session(db.session, event, data, item=_talk())
        db.session.commit()
        named = {"ar": "القاعة", "en": "Hall"}
        agenda.save_room(db.session, event, agenda.RoomData(name=named), room=hall)
        db.session.commit()
        in_hall = _entry(client)
        # saving the room unchanged is no new revision; a new name is
        agenda.save_room(db.session, event, agenda.RoomData(name=dict(named)), room=hall)
        db.session.commit()
        assert _entry(client)["SEQUENCE"] == in_hall["SEQUENCE"]
        agenda.save_room(
            db.session,
            event,
            agenda.RoomData(name={"ar": "القاعة الكبرى", "en": "Great Hall"}),
            room=hall,
        )
        db.session.commit()
    renamed = _entry(client)
    assert renamed["SEQUENCE"] == in_hall["SEQUENCE"] + 1
    assert "Great Hall" in str(renamed["LOCATION"])
    assert renamed["LAST-MODIFIED"].dt >= in_hall["LAST-MODIFIED"].dt
