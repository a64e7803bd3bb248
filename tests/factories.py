"""Small builders for tests: events, rooms, sessions, people, registrations."""

from __future__ import annotations

from datetime import date, datetime

from symposium.i18n import local_to_utc
from symposium.models import Event, Person, Room, Session, SessionPerson


def make_event(
    session,
    slug: str = "test-event",
    *,
    capacity: int | None = 100,
    timezone: str = "Asia/Riyadh",
    day: date = date(2027, 1, 24),
    status: str = "published",
    registration_open: bool = True,
    **fields,
) -> Event:
    event = Event(
        slug=slug,
        timezone=timezone,
        starts_on=fields.pop("starts_on", day),
        ends_on=fields.pop("ends_on", day),
        default_language=fields.pop("default_language", "ar"),
        languages=fields.pop("languages", ["ar", "en", "fr"]),
        title=fields.pop(
            "title",
            {"ar": "ندوة الاختبار", "en": "Test symposium", "fr": "Symposium de test"},
        ),
        description=fields.pop("description", {"en": "A symposium for tests."}),
        venue_name=fields.pop("venue_name", {"en": "Main hall", "ar": "القاعة الرئيسية"}),
        capacity=capacity,
        status=status,
        registration_open=registration_open,
        **fields,
    )
    session.add(event)
    session.flush()
    return event


def make_room(
    session, event: Event, key: str = "main", capacity: int | None = None, **names
) -> Room:
    room = Room(
        event=event,
        key=key,
        name=names or {"en": key.title(), "ar": "قاعة " + key},
        capacity=capacity,
    )
    session.add(room)
    session.flush()
    return room


def make_session(
    session,
    event: Event,
    key: str,
    start: str,
    end: str,
    *,
    room: Room | None = None,
    kind: str = "panel",
    capacity: int | None = None,
    title: dict | None = None,
) -> Session:
    """``start``/``end`` are wall-clock times "YYYY-MM-DDTHH:MM" in the event's timezone."""
    item = Session(
        event=event,
        key=key,
        kind=kind,
        title=title or {"en": f"Session {key}", "ar": f"جلسة {key}", "fr": f"Séance {key}"},
        starts_at=local_to_utc(datetime.fromisoformat(start), event.timezone),
        ends_at=local_to_utc(datetime.fromisoformat(end), event.timezone),
        room=room,
        capacity=capacity,
    )
    session.add(item)
    session.flush()
    return item


def make_person(session, event: Event, key: str, *, email: str | None = None, **fields) -> Person:
    person = Person(
        event=event,
        key=key,
        name=fields.pop("name", {"en": f"Speaker {key}", "ar": f"المتحدث {key}"}),
        title=fields.pop("title", {"en": "Mayor of AlUla", "ar": "رئيس بلدية العلا"}),
        email=email,
        **fields,
    )
    session.add(person)
    session.flush()
    return person


def add_speaker(session, item: Session, person: Person, role: str = "speaker") -> SessionPerson:
    link = SessionPerson(session=item, person=person, role=role)
    session.add(link)
    session.flush()
    return link
