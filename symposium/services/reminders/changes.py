"""Emails "the programme changed": ``send_changes(session, now)``.

When a session's time or room changes after the event is published, the agenda records an
``AgendaChange`` row (agenda editor, moves, room deletion, interchange import). The sweep turns
them into one email per registrant concerned:

- concerned: every confirmed registration for a session without sign-up, the signed-up ones
  (seat or waiting list) for a session with sign-up;
- debounced: nothing goes while the session's latest change is less than ``DEBOUNCE`` old, so
  a burst of edits makes one email, showing the time and room before the first edit and now;
- exactly once: ``ReminderLog`` key ``changed:<session id>:<latest change id>``, claimed in
  the transaction that queues the email; a later change has a new id, hence a new email,
  listing only what the registrant was not told yet (changes made before they registered are
  not news to them either);
- never for a draft event, a deleted session or one that has started, nor for changes older
  than ``LOOKBACK``. A change undone within the burst (moved, then moved back) sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session as OrmSession

from ...i18n import local_to_utc
from ...models import AgendaChange, Event, Registration, Session, SessionRegistration
from ...models.hybrid import ReminderLog
from .before import BATCH, _load
from .claim import render_then_claim
from .emails import KIND_CHANGED, Change, changed_email
from .settings import get_settings

DEBOUNCE = timedelta(minutes=5)
LOOKBACK = timedelta(days=3)
FIELDS = ("starts_at", "ends_at", "room")
SIGNED_UP = ("confirmed", "waitlisted")


@dataclass(frozen=True)
class Edit:
    """An AgendaChange row, as read once (it outlives the sweep's commits)."""

    id: int
    at: datetime
    summary: dict


def change_key(item: Session, change_id: int) -> str:
    return f"changed:{item.id}:{change_id}"


def pending_changes(session: OrmSession, now: datetime) -> dict[Session, list[Edit]]:
    """Each session of a published event whose time or room changed within LOOKBACK, with
    those changes in order, once its latest change is DEBOUNCE old."""
    rows = session.execute(
        select(AgendaChange, Event)
        .join(Event, Event.id == AgendaChange.event_id)
        .where(
            Event.status == "published",
            AgendaChange.action.in_(("moved", "updated")),
            AgendaChange.at >= now - LOOKBACK,
            AgendaChange.session_key.is_not(None),
        )
        .order_by(AgendaChange.id)
    ).all()
    groups: dict[tuple[int, str], list[Edit]] = defaultdict(list)
    events: dict[int, Event] = {}
    for change, event in rows:
        if set(change.summary or {}) & set(FIELDS):
            edit = Edit(change.id, change.at, dict(change.summary))
            groups[(event.id, change.session_key)].append(edit)
            events[event.id] = event
    found: dict[Session, list[Edit]] = {}
    for (event_id, key), changes in groups.items():
        if changes[-1].at > now - DEBOUNCE or not get_settings(events[event_id]).programme_changed:
            continue
        item = session.scalar(
            select(Session).where(Session.event_id == event_id, Session.key == key)
        )
        if item is not None and item.starts_at > now:
            found[item] = changes
    return found


def _local(value, tzname: str) -> datetime | None:
    """A time of a change summary ("2027-01-24 09:30", local) in UTC; None if unreadable."""
    try:
        return local_to_utc(datetime.fromisoformat(str(value)), tzname)
    except (TypeError, ValueError):
        return None


def _room_name(item: Session, value, lang: str) -> str | None:
    """The room a summary names (by a name in any language, or its key) in ``lang``."""
    if value is None:
        return None
    for room in item.event.rooms:
        if value == room.key or value in (room.name or {}).values():
            return room.t("name", lang)
    return str(value)


def _same_room(item: Session, value) -> bool:
    if item.room is None:
        return value is None
    return value is not None and (
        value == item.room.key or value in (item.room.name or {}).values()
    )


def describe(item: Session, changes: list[Edit], lang: str) -> Change | None:
    """What ``changes`` (oldest first) did to ``item``: old values against the session now;
    None when it is back where it was."""
    tzname = item.event.timezone
    old = {}
    for change in changes:
        for name in FIELDS:
            if name in change.summary and name not in old:
                old[name] = change.summary[name][0]
    old_start = _local(old["starts_at"], tzname) if "starts_at" in old else item.starts_at
    old_end = _local(old["ends_at"], tzname) if "ends_at" in old else item.ends_at
    old_start, old_end = old_start or item.starts_at, old_end or item.ends_at
    time_changed = (old_start, old_end) != (item.starts_at, item.ends_at)
    room_changed = "room" in old and not _same_room(item, old["room"])
    if not time_changed and not room_changed:
        return None
    return Change(
        session=item,
        old_start=old_start if time_changed else None,
        old_end=old_end if time_changed else None,
        old_room=_room_name(item, old.get("room"), lang) if room_changed else None,
        room_changed=room_changed,
    )


def _concerned(session: OrmSession, item: Session, key: str, after_id: int) -> list[int]:
    query = select(Registration.id).where(
        Registration.event_id == item.event_id,
        Registration.status == "confirmed",
        Registration.anonymised_at.is_(None),
        Registration.id > after_id,
        ~exists().where(
            and_(ReminderLog.registration_id == Registration.id, ReminderLog.key == key)
        ),
    )
    if item.requires_signup:
        query = query.where(
            exists().where(
                and_(
                    SessionRegistration.registration_id == Registration.id,
                    SessionRegistration.session_id == item.id,
                    SessionRegistration.status.in_(SIGNED_UP),
                )
            )
        )
    return list(session.scalars(query.order_by(Registration.id).limit(BATCH)))


def _told(session: OrmSession, item: Session, ids) -> dict[int, int]:
    """The latest change of ``item`` each registration was already emailed about."""
    prefix = f"changed:{item.id}:"
    told: dict[int, int] = {}
    rows = session.execute(
        select(ReminderLog.registration_id, ReminderLog.key).where(
            ReminderLog.registration_id.in_(ids),
            ReminderLog.key.startswith(prefix, autoescape=True),
        )
    )
    for rid, key in rows:
        tail = key[len(prefix) :]
        if tail.isdigit():
            told[rid] = max(told.get(rid, 0), int(tail))
    return told


def send_session_changes(
    session: OrmSession, item: Session, changes: list[Edit], now: datetime
) -> int:
    """Email the registrants concerned by ``changes`` of ``item``; commits each batch."""
    key = change_key(item, changes[-1].id)
    sent = 0
    after_id = 0
    while True:
        ids = _concerned(session, item, key, after_id)
        if not ids:
            session.commit()
            return sent
        after_id = ids[-1]
        told = _told(session, item, ids)
        registrations = _load(session, ids)
        _ = item.event.rooms, item.room  # loaded while reading

        def build(registration: Registration, told=told):
            since = registration.confirmed_at or registration.created_at
            news = [c for c in changes if c.id > told.get(registration.id, 0) and c.at > since]
            change = describe(item, news, registration.preferred_language) if news else None
            return changed_email(registration, [change]) if change else None

        sent += render_then_claim(
            session, registrations, build, keys=[key], kind=KIND_CHANGED, now=now
        )
        if len(ids) < BATCH:
            return sent


def send_changes(session: OrmSession, now: datetime) -> int:
    """Every owed "programme changed" email; the number queued."""
    sent = 0
    for item, changes in pending_changes(session, now).items():
        sent += send_session_changes(session, item, changes, now)
    session.commit()  # ends the reading transaction
    return sent
