"""Import: create or update (in place) an event from a validated document; all or nothing."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ...models import (
    AgendaChange,
    Event,
    Person,
    Room,
    Session,
    SessionPerson,
)
from ..events import bump_agenda_version, find_event
from ..registration.seats import lock_event
from .common import EVENT_FIELDS, ImportResult, InterchangeError, _i18n_out, _local_out
from .photos import apply_photo
from .validate import _check_against_database, _validate


class _Writer:
    """Sets attributes only when they differ, so that an identical import changes nothing."""

    def __init__(self):
        self.changed = False

    def set(self, obj, attr: str, value) -> bool:
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            self.changed = True
            return True
        return False


def _session_snapshot(item: Session, tzname: str) -> dict[str, Any]:
    return {
        "title": _i18n_out(item.title),
        "kind": item.kind,
        "starts_at": _local_out(item.starts_at, tzname),
        "ends_at": _local_out(item.ends_at, tzname),
        "room": item.room.key if item.room else None,
        "capacity": item.capacity,
        "track": item.track,
        "abstract": _i18n_out(item.abstract),
        "speakers": [
            link.person.key for link in sorted(item.speakers, key=lambda sp: sp.position or 0)
        ],
        "languages": list(item.languages or []),
        "interpretation": list(item.interpretation or []),
    }


def import_event(session: OrmSession, data: Any, *, event: Event | None = None, user=None) -> Event:
    """Create or update (in place) the event described by ``data``; all or nothing."""
    return import_event_result(session, data, event=event, user=user).event


def import_event_result(
    session: OrmSession, data: Any, *, event: Event | None = None, user=None
) -> ImportResult:
    """Like ``import_event`` and tells whether the event was created, updated or unchanged."""
    problems, doc = _validate(data)
    if not problems:
        other = find_event(session, doc["slug"])
        if event is None:
            event = other
        elif other is not None and other.id != event.id:
            problems.append(
                "slug: " + _('"%(slug)s" is already used by another event', slug=doc["slug"])
            )
    if not problems and event is not None:
        if doc["capacity"] is not None:
            # The confirmed registrations are counted against the new capacity while none can
            # commit (see registration.seats; save_event does the same)
            lock_event(session, event, capacity=True)
        event = session.scalar(
            select(Event)
            .where(Event.id == event.id)
            .options(
                selectinload(Event.rooms),
                selectinload(Event.people),
                selectinload(Event.sessions).selectinload(Session.speakers),
            )
        )
        problems.extend(_check_against_database(session, event, doc))
    if problems:
        raise InterchangeError(problems)

    creating = event is None
    with session.begin_nested():
        if creating:
            event = Event(slug=doc["slug"], status=doc["status"] or "draft", settings={})
            session.add(event)
        writer = _Writer()
        changes = _apply(session, event, doc, writer, user=user, record=not creating)
        session.flush()
        if creating:
            status = "created"
        elif writer.changed:
            status = "updated"
            bump_agenda_version(event)
            session.flush()
        else:
            status = "unchanged"
    return ImportResult(event=event, status=status, changes=changes)


def _apply(
    session: OrmSession, event: Event, doc: dict, w: _Writer, *, user, record: bool
) -> list[str]:
    tzname = doc["timezone"]
    changes: list[str] = []
    for attr in ("slug", *EVENT_FIELDS, "is_sample", "venue_name", "venue_address"):
        w.set(event, attr, doc[attr])
    if doc["status"] is not None:
        w.set(event, "status", doc["status"])
    if doc["settings"] is not None:
        w.set(event, "settings", doc["settings"])

    # Rooms
    existing_rooms = {r.key: r for r in event.rooms}
    _drop_missing(session, event.rooms, existing_rooms, doc["rooms"], w)
    rooms: dict[str, Room] = {}
    for position, data in enumerate(doc["rooms"]):
        room = existing_rooms.get(data["key"])
        if room is None:
            room = Room(key=data["key"], name={}, position=position)
            event.rooms.append(room)
            w.changed = True
        w.set(room, "name", data["name"])
        w.set(room, "capacity", data["capacity"])
        w.set(room, "position", position)
        rooms[data["key"]] = room

    # Speakers
    existing_people = {p.key: p for p in event.people}

    def unlink(key, person):
        for link in list(person.sessions):
            if link.session is not None and link in link.session.speakers:
                link.session.speakers.remove(link)

    _drop_missing(session, event.people, existing_people, doc["speakers"], w, unlink)
    people: dict[str, Person] = {}
    for position, data in enumerate(doc["speakers"]):
        person = existing_people.get(data["key"])
        if person is None:
            person = Person(key=data["key"], name={}, position=position)
            event.people.append(person)
            w.changed = True
        for attr in (
            "name",
            "title",
            "organisation",
            "city",
            "country",
            "email",
            "bio",
        ):
            w.set(person, attr, data[attr])
        w.set(person, "position", position)
        people[data["key"]] = person

    # Sessions
    existing_sessions = {s.key: s for s in event.sessions}

    def note_deleted(key, item):
        if record:
            _record_change(
                session, event, key, "deleted", {"title": [_i18n_out(item.title), None]}, user
            )
        changes.append(f"deleted {key}")

    _drop_missing(session, event.sessions, existing_sessions, doc["sessions"], w, note_deleted)
    session.flush()  # removed links and rows go before new ones take their keys
    for data in doc["speakers"]:
        apply_photo(session, people[data["key"]], data["photo"], w)
    for data in doc["sessions"]:
        item = existing_sessions.get(data["key"])
        before = None
        if item is None:
            item = Session(
                key=data["key"], title={}, starts_at=data["starts_at"], ends_at=data["ends_at"]
            )
            event.sessions.append(item)
            w.changed = True
            if record:
                _record_change(
                    session, event, data["key"], "created", {"title": [None, data["title"]]}, user
                )
            changes.append(f"created {data['key']}")
        else:
            before = _session_snapshot(item, tzname)
        sw = _Writer()
        for attr in (
            "kind",
            "title",
            "abstract",
            "starts_at",
            "ends_at",
            "capacity",
            "track",
            "position",
            "languages",
            "interpretation",
            "online_url",  # private: in no change summary (see _session_snapshot)
            "recording_url",
        ):
            sw.set(item, attr, data[attr])
        sw.set(item, "room", rooms[data["room"]] if data["room"] else None)
        _apply_links(session, item, data["speakers"], people, sw)
        if sw.changed:
            w.changed = True
        if before is not None and sw.changed:
            after = _session_snapshot(item, tzname)
            summary = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            if summary:
                moved = {"starts_at", "ends_at", "room"} & set(summary)
                action = "moved" if moved else "updated"
                if record:
                    _record_change(session, event, item.key, action, summary, user)
                changes.append(f"{action} {item.key}")
    return changes


def _drop_missing(session, collection, existing: dict, wanted: list[dict], w, before=None):
    """Delete the children of ``existing`` (key -> row) whose key is not in ``wanted``;
    ``before(key, row)`` runs first for each."""
    keys = {data["key"] for data in wanted}
    for key, row in list(existing.items()):
        if key not in keys:
            if before is not None:
                before(key, row)
            collection.remove(row)
            session.delete(row)
            w.changed = True


def _apply_links(session, item: Session, links: list[dict], people: dict[str, Person], w: _Writer):
    existing = {link.person.key: link for link in item.speakers if link.person is not None}
    wanted = {link["key"] for link in links}
    for key, link in list(existing.items()):
        if key not in wanted:
            item.speakers.remove(link)
            session.delete(link)
            w.changed = True
    for position, data in enumerate(links):
        link = existing.get(data["key"])
        if link is None:
            link = SessionPerson(person=people[data["key"]], role=data["role"], position=position)
            item.speakers.append(link)
            w.changed = True
        w.set(link, "role", data["role"])
        w.set(link, "position", position)


def _record_change(session, event, key, action, summary, user) -> None:
    if event.status != "published":
        return
    session.add(
        AgendaChange(event=event, session_key=key, action=action, summary=summary, user=user)
    )
