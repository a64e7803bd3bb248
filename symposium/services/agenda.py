"""Editing the agenda: sessions and rooms, with conflict checks and a record of changes.

Every rule is checked before anything is written; a refused change raises ``AgendaConflict``
with every problem found, translated, and leaves the database as it was. Every change bumps the
event's agenda version; changes to a published event are recorded as ``AgendaChange`` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from ..i18n import clean_i18n, local_to_utc, utc_to_local
from ..models import (
    SESSION_KINDS,
    SPEAKER_ROLES,
    AgendaChange,
    Event,
    Person,
    Room,
    Session,
    SessionPerson,
)
from . import audit
from . import session_languages as langs
from .events import bump_agenda_version
from .keys import KEY_RE, check_name_and_key, unique_key


class AgendaConflict(ValueError):
    """A change to the agenda was refused; ``messages`` says why (translated)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class SessionData:
    """What a form (or a move) says a session should be. Times are local wall-clock times."""

    title: dict
    starts_local: datetime
    ends_local: datetime
    kind: str = "panel"
    key: str | None = None
    abstract: dict = field(default_factory=dict)
    room_id: int | None = None
    capacity: int | None = None
    track: str | None = None
    # (person_id, role) in order
    speakers: list[tuple[int, str]] = field(default_factory=list)
    # spoken languages (codes) and interpretation channels ("ar-en"), see session_languages
    languages: list[str] = field(default_factory=list)
    interpretation: list[str] = field(default_factory=list)
    # the meeting or stream (never public) and the recording
    online_url: str | None = None
    recording_url: str | None = None


@dataclass
class RoomData:
    name: dict
    key: str | None = None
    capacity: int | None = None
    position: int | None = None


def data_from_session(item: Session) -> SessionData:
    """The current state of ``item`` as SessionData (to duplicate or move it)."""
    tzname = item.event.timezone
    return SessionData(
        key=item.key,
        kind=item.kind,
        title=dict(item.title or {}),
        abstract=dict(item.abstract or {}),
        starts_local=utc_to_local(item.starts_at, tzname).replace(tzinfo=None),
        ends_local=utc_to_local(item.ends_at, tzname).replace(tzinfo=None),
        room_id=item.room_id,
        capacity=item.capacity,
        track=item.track,
        speakers=[(sp.person_id, sp.role) for sp in item.speakers],
        languages=list(item.languages or []),
        interpretation=list(item.interpretation or []),
        online_url=item.online_url,
        recording_url=item.recording_url,
    )


def _overlaps(query, starts_at, ends_at):
    return query.where(Session.starts_at < ends_at, Session.ends_at > starts_at)


def _snapshot(item: Session) -> dict:
    tzname = item.event.timezone
    return {
        "title": item.t("title"),
        "kind": item.kind,
        "starts_at": utc_to_local(item.starts_at, tzname).strftime("%Y-%m-%d %H:%M"),
        "ends_at": utc_to_local(item.ends_at, tzname).strftime("%Y-%m-%d %H:%M"),
        "room": item.room.t("name") if item.room else None,
        "capacity": item.capacity,
        "track": item.track,
        "speakers": [sp.person.t("name") for sp in item.speakers],
        "languages": list(item.languages or []),
        "interpretation": list(item.interpretation or []),
    }


def _private_snapshot(item: Session) -> dict:
    """What changes go to the audit log only, never to the public changes page."""
    return {"online_url": item.online_url, "recording_url": item.recording_url}


def unique_session_key(session: OrmSession, event: Event, base: str) -> str:
    return unique_key(session, Session, event, base, "session")


def check_session(
    session: OrmSession, event: Event, data: SessionData, *, item: Session | None = None
) -> list[str]:
    """Every reason why ``data`` cannot be saved (empty list: it can)."""
    problems: list[str] = []
    title = clean_i18n(data.title)
    if not title.get(event.default_language):
        problems.append(_("The title is required in the event's default language."))
    if data.kind not in SESSION_KINDS:
        problems.append(_("Unknown kind of session: %(kind)s", kind=data.kind))
    if data.key is not None and not KEY_RE.match(data.key):
        problems.append(
            _("The key may only contain lowercase letters, digits, hyphens and underscores.")
        )
    elif data.key is not None:
        other = session.scalar(
            select(Session.id).where(Session.event_id == event.id, Session.key == data.key)
        )
        if other is not None and (item is None or other != item.id):
            problems.append(_("Another session already has the key %(key)s.", key=data.key))

    if data.ends_local <= data.starts_local:
        problems.append(_("The session must end after it starts."))
    last_moment = data.ends_local - timedelta(microseconds=1)
    if data.starts_local.date() < event.starts_on or last_moment.date() > event.ends_on:
        problems.append(
            _(
                "The session lies outside the dates of the event (%(start)s to %(end)s).",
                start=event.starts_on.isoformat(),
                end=event.ends_on.isoformat(),
            )
        )

    if data.capacity is not None:
        if data.capacity < 0:
            problems.append(_("The capacity cannot be negative."))
        elif item is not None and data.capacity < (item.confirmed_count or 0):
            problems.append(
                _(
                    "The capacity (%(capacity)s) cannot be below the %(count)s confirmed sign-ups.",
                    capacity=data.capacity,
                    count=item.confirmed_count,
                )
            )

    room = None
    if data.room_id is not None:
        room = session.get(Room, data.room_id)
        if room is None or room.event_id != event.id:
            problems.append(_("This room does not belong to the event."))
            room = None

    person_ids = [pid for pid, _role in data.speakers]
    if len(set(person_ids)) != len(person_ids):
        problems.append(_("A person is listed twice in this session."))
    people: dict[int, Person] = {}
    for pid, role in data.speakers:
        person = session.get(Person, pid)
        if person is None or person.event_id != event.id:
            problems.append(_("This person does not belong to the event."))
            continue
        if role not in SPEAKER_ROLES:
            problems.append(_("Unknown role: %(role)s", role=role))
        people[pid] = person

    if data.ends_local > data.starts_local:
        starts_at = local_to_utc(data.starts_local, event.timezone)
        ends_at = local_to_utc(data.ends_local, event.timezone)
        others = select(Session).where(Session.event_id == event.id)
        if item is not None and item.id is not None:
            others = others.where(Session.id != item.id)
        if room is not None:
            for other in session.scalars(
                _overlaps(others.where(Session.room_id == room.id), starts_at, ends_at)
            ):
                problems.append(
                    _(
                        "The room %(room)s is already used by “%(session)s” (%(start)s–%(end)s).",
                        room=room.t("name"),
                        session=other.t("title"),
                        start=utc_to_local(other.starts_at, event.timezone).strftime("%H:%M"),
                        end=utc_to_local(other.ends_at, event.timezone).strftime("%H:%M"),
                    )
                )
        for pid, person in people.items():
            clashes = session.scalars(
                _overlaps(
                    others.join(SessionPerson, SessionPerson.session_id == Session.id).where(
                        SessionPerson.person_id == pid
                    ),
                    starts_at,
                    ends_at,
                )
            ).all()
            for other in clashes:
                problems.append(
                    _(
                        "%(person)s is already in “%(session)s” (%(start)s–%(end)s) at the same time.",
                        person=person.t("name"),
                        session=other.t("title"),
                        start=utc_to_local(other.starts_at, event.timezone).strftime("%H:%M"),
                        end=utc_to_local(other.ends_at, event.timezone).strftime("%H:%M"),
                    )
                )
    problems.extend(langs.problems(event, data.languages, data.interpretation))
    for value, label in (
        (data.online_url, _("Online link (meeting or stream)")),
        (data.recording_url, _("Recording link")),
    ):
        problem = langs.url_problem(value, label)
        if problem:
            problems.append(problem)
    return problems


def _record_change(
    session: OrmSession, event: Event, key: str, action: str, summary: dict, by
) -> None:
    if event.is_published:
        session.add(
            AgendaChange(
                event_id=event.id,
                session_key=key,
                action=action,
                summary=summary,
                user_id=getattr(by, "id", None),
            )
        )


def save_session(
    session: OrmSession,
    event: Event,
    data: SessionData,
    *,
    item: Session | None = None,
    by=None,
) -> Session:
    """Create (``item=None``) or update a session; raise AgendaConflict and write nothing if a
    rule is broken."""
    if item is None and not data.key:
        data.key = unique_session_key(session, event, clean_i18n(data.title).get("en") or "session")
    problems = check_session(session, event, data, item=item)
    if problems:
        raise AgendaConflict(problems)

    before = _snapshot(item) if item is not None else None
    before_private = _private_snapshot(item) if item is not None else None
    creating = item is None
    if creating:
        item = Session(event=event, key=data.key)
        session.add(item)
    elif data.key:
        item.key = data.key
    item.kind = data.kind
    item.title = clean_i18n(data.title)
    item.abstract = clean_i18n(data.abstract)
    item.starts_at = local_to_utc(data.starts_local, event.timezone)
    item.ends_at = local_to_utc(data.ends_local, event.timezone)
    item.room = session.get(Room, data.room_id) if data.room_id is not None else None
    item.capacity = data.capacity
    item.track = (data.track or "").strip() or None
    item.languages, item.interpretation = langs.normalise(data.languages, data.interpretation)
    item.online_url = (data.online_url or "").strip() or None
    item.recording_url = (data.recording_url or "").strip() or None

    wanted = [(pid, role) for pid, role in data.speakers]
    current = {sp.person_id: sp for sp in item.speakers}
    kept = []
    for position, (pid, role) in enumerate(wanted):
        link = current.pop(pid, None)
        if link is None:
            link = SessionPerson(person=session.get(Person, pid), role=role, position=position)
            item.speakers.append(link)
        link.role = role
        link.position = position
        kept.append(link)
    for link in current.values():
        item.speakers.remove(link)
    session.flush()
    session.refresh(item)

    after = _snapshot(item)
    bump_agenda_version(event)
    if creating:
        _record_change(
            session, event, item.key, "created", {k: [None, v] for k, v in after.items() if v}, by
        )
        audit.record(session, "session.create", user=by, event=event, target=item.key)
    else:
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changed:
            moved_only = set(changed) <= {"starts_at", "ends_at", "room"}
            _record_change(
                session, event, item.key, "moved" if moved_only else "updated", changed, by
            )
        # the links are private: the audit log says that they changed, not what they are
        after_private = _private_snapshot(item)
        private = {k: "changed" for k in after_private if before_private[k] != after_private[k]}
        if changed or private:
            audit.record(
                session,
                "session.update",
                user=by,
                event=event,
                target=item.key,
                details={**changed, **private},
            )
    session.flush()
    return item


def move_session(
    session: OrmSession,
    event: Event,
    item: Session,
    *,
    starts_local: datetime,
    room_id: int | None,
    by=None,
) -> Session:
    """Move ``item`` to another start time and/or room, keeping its duration."""
    data = data_from_session(item)
    duration = data.ends_local - data.starts_local
    data.starts_local = starts_local
    data.ends_local = starts_local + duration
    data.room_id = room_id
    return save_session(session, event, data, item=item, by=by)


def delete_session(session: OrmSession, event: Event, item: Session, *, by=None) -> None:
    snapshot = _snapshot(item)
    key = item.key
    session.delete(item)
    session.flush()
    bump_agenda_version(event)
    _record_change(
        session, event, key, "deleted", {k: [v, None] for k, v in snapshot.items() if v}, by
    )
    audit.record(session, "session.delete", user=by, event=event, target=key)
    session.flush()


def save_room(
    session: OrmSession, event: Event, data: RoomData, *, room: Room | None = None, by=None
) -> Room:
    name = clean_i18n(data.name)
    key, problems = check_name_and_key(
        session,
        Room,
        event,
        name,
        data.key,
        current=room,
        fallback="room",
        taken_message=_("Another room already has the key %(key)s.", key=data.key),
    )
    if data.capacity is not None and data.capacity < 0:
        problems.append(_("The capacity cannot be negative."))
    if problems:
        raise AgendaConflict(problems)
    creating = room is None
    if creating:
        position = data.position
        if position is None:
            position = len(event.rooms)
        room = Room(event=event, key=key, position=position)
        session.add(room)
    else:
        room.key = key
        if data.position is not None:
            room.position = data.position
    room.name = name
    room.capacity = data.capacity
    session.flush()
    bump_agenda_version(event)
    audit.record(
        session, "room.create" if creating else "room.update", user=by, event=event, target=key
    )
    return room


def delete_room(session: OrmSession, event: Event, room: Room, *, by=None) -> None:
    """Delete a room; its sessions stay in the agenda without a room."""
    for item in session.scalars(select(Session).where(Session.room_id == room.id)):
        item.room = None
        _record_change(session, event, item.key, "moved", {"room": [room.t("name"), None]}, by)
    key = room.key
    session.delete(room)
    session.flush()
    bump_agenda_version(event)
    audit.record(session, "room.delete", user=by, event=event, target=key)


def remove_person_links(session: OrmSession, person: Person) -> None:
    session.execute(delete(SessionPerson).where(SessionPerson.person_id == person.id))
