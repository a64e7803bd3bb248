"""Read-side queries for the public pages: a small fixed number of SQL queries per page.

Rooms and speakers are loaded eagerly (``joinedload`` / ``selectinload``) so that an agenda of
200 sessions and 300 speakers costs the same handful of queries as one of 20 sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload, selectinload

from ..i18n import utc_to_local
from ..models import AgendaChange, Event, Person, Room, Session, SessionPerson


@dataclass
class AgendaDay:
    day: date
    sessions: list[Session]


def _session_options():
    return (
        joinedload(Session.room),
        selectinload(Session.speakers).joinedload(SessionPerson.person),
    )


def load_rooms(session: OrmSession, event: Event) -> list[Room]:
    return list(
        session.scalars(
            select(Room).where(Room.event_id == event.id).order_by(Room.position, Room.key)
        )
    )


def load_agenda(
    session: OrmSession, event: Event, room: str | None = None, kind: str | None = None
) -> list[AgendaDay]:
    """The event's sessions grouped by local day, in time order; optional room/kind filters."""
    query = (
        select(Session)
        .where(Session.event_id == event.id)
        .options(*_session_options())
        .order_by(Session.starts_at, Session.position, Session.key)
    )
    if room:
        query = query.join(Room, Session.room_id == Room.id).where(Room.key == room)
    if kind:
        query = query.where(Session.kind == kind)
    days: list[AgendaDay] = []
    for item in session.scalars(query).unique():
        day = utc_to_local(item.starts_at, event.timezone).date()
        if not days or days[-1].day != day:
            days.append(AgendaDay(day=day, sessions=[]))
        days[-1].sessions.append(item)
    return days


def load_session(session: OrmSession, event: Event, key: str) -> Session | None:
    return session.scalar(
        select(Session)
        .where(Session.event_id == event.id, Session.key == key)
        .options(*_session_options())
    )


def load_speakers(session: OrmSession, event: Event) -> list[Person]:
    """Everyone who speaks at the event, in the programme's order, with their sessions."""
    return list(
        session.scalars(
            select(Person)
            .where(Person.event_id == event.id)
            .options(selectinload(Person.sessions).joinedload(SessionPerson.session))
            .order_by(Person.position, Person.key)
        )
    )


def load_speaker(session: OrmSession, event: Event, key: str) -> Person | None:
    return session.scalar(
        select(Person)
        .where(Person.event_id == event.id, Person.key == key)
        .options(
            selectinload(Person.sessions).joinedload(SessionPerson.session).joinedload(Session.room)
        )
    )


def speaker_sessions(person: Person) -> list[tuple[Session, str]]:
    """(session, role) pairs of a loaded person, in time order."""
    pairs = [(link.session, link.role) for link in person.sessions if link.session is not None]
    return sorted(pairs, key=lambda pair: (pair[0].starts_at, pair[0].position, pair[0].key))


def load_changes(session: OrmSession, event: Event, limit: int = 200) -> list[AgendaChange]:
    """The programme changes of an event, newest first."""
    return list(
        session.scalars(
            select(AgendaChange)
            .where(AgendaChange.event_id == event.id)
            .order_by(AgendaChange.at.desc(), AgendaChange.id.desc())
            .limit(limit)
        )
    )


def session_titles(session: OrmSession, event: Event) -> dict[str, Session]:
    """Sessions by key (for naming the sessions on the changes page)."""
    return {s.key: s for s in session.scalars(select(Session).where(Session.event_id == event.id))}


def published_events(session: OrmSession, today: datetime) -> tuple[list[Event], list[Event]]:
    """Published events: (upcoming, soonest first; past, latest first), by each event's day."""
    events = session.scalars(select(Event).where(Event.status == "published")).all()
    upcoming, past = [], []
    for event in events:
        local_today = utc_to_local(today, event.timezone).date()
        (upcoming if event.ends_on >= local_today else past).append(event)
    upcoming.sort(key=lambda e: (e.starts_on, e.slug))
    past.sort(key=lambda e: (e.starts_on, e.slug), reverse=True)
    return upcoming, past


def event_counts(session: OrmSession, event: Event) -> tuple[int, int]:
    """(number of sessions, number of speakers) of an event."""
    sessions = session.scalar(select(func.count(Session.id)).where(Session.event_id == event.id))
    people = session.scalar(select(func.count(Person.id)).where(Person.event_id == event.id))
    return sessions or 0, people or 0
