"""Reminders before an event: ``send_reminders(session, now)``.

For each published event and each of its offsets (``settings``), the reminder is due from its
moment (the event's start minus the offset) until the grace window after it (half the offset,
at most 12 hours) ends, and never once the event has started: a 1-hour reminder sent 20
minutes late still helps, a 1-day reminder after the event began does not. When several are
due at once (the sweep did not run for a while), only the nearest one is sent and the others
are recorded as done.

Each confirmed registration (not anonymised) confirmed before the reminder's moment gets it
once (``ReminderLog`` key ``before:<minutes>``): a registration made after the 1-day mark only
gets the 1-hour reminder. Registrations are taken in batches of ``BATCH``, each batch in its own
transaction that claims the log rows and queues the emails together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from ...models import Event, Registration, SessionRegistration
from ...models.hybrid import ReminderLog
from ..event_time import event_starts_at
from .claim import render_then_claim
from .emails import KIND_REMINDER, reminder_email
from .settings import MAX_OFFSET_MINUTES, get_settings

BATCH = 200
MAX_GRACE = timedelta(hours=12)


def reminder_key(offset: int) -> str:
    return f"before:{offset}"


def grace(offset: int) -> timedelta:
    """How late a reminder may still go out: half its offset, at most 12 hours."""
    return min(timedelta(minutes=offset) / 2, MAX_GRACE)


def due_offsets(offsets, starts_at: datetime, now: datetime) -> list[int]:
    """The offsets whose reminder may be sent at ``now``, nearest to the start first."""
    if now >= starts_at:
        return []
    due = []
    for offset in offsets:
        moment = starts_at - timedelta(minutes=offset)
        if moment <= now <= moment + grace(offset):
            due.append(offset)
    return sorted(due)


def candidate_events(session: OrmSession, now: datetime) -> list[Event]:
    """Published events that may start within the longest offset (a day of margin for
    timezones; the exact start is computed from the sessions)."""
    today = now.date()
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.status == "published",
                Event.ends_on >= today - timedelta(days=1),
                Event.starts_on <= today + timedelta(minutes=MAX_OFFSET_MINUTES, days=1),
            )
            .order_by(Event.id)
        )
    )


def _owed(
    session: OrmSession, event: Event, key: str, moment: datetime, after_id: int
) -> list[int]:
    confirmed_at = func.coalesce(Registration.confirmed_at, Registration.created_at)
    return list(
        session.scalars(
            select(Registration.id)
            .where(
                Registration.event_id == event.id,
                Registration.status == "confirmed",
                Registration.anonymised_at.is_(None),
                confirmed_at <= moment,
                Registration.id > after_id,
                ~exists().where(
                    and_(ReminderLog.registration_id == Registration.id, ReminderLog.key == key)
                ),
            )
            .order_by(Registration.id)
            .limit(BATCH)
        )
    )


def _load(session: OrmSession, ids) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids))
            .order_by(Registration.id)
            .options(
                selectinload(Registration.session_signups).joinedload(SessionRegistration.session)
            )
            .execution_options(populate_existing=True)
        )
    )


def send_event_reminders(session: OrmSession, event: Event, now: datetime) -> int:
    """Send the due reminder of ``event`` to everyone owed it; commits each batch."""
    settings = get_settings(event)
    if not settings.enabled:
        return 0
    starts_at = event_starts_at(event)
    due = due_offsets(settings.offsets, starts_at, now)
    if not due:
        return 0
    offset, superseded = due[0], due[1:]
    key = reminder_key(offset)
    moment = starts_at - timedelta(minutes=offset)
    sent = 0
    after_id = 0
    while True:
        ids = _owed(session, event, key, moment, after_id)
        if not ids:
            session.commit()
            return sent
        after_id = ids[-1]
        registrations = _load(session, ids)
        for registration in registrations:
            _ = registration.event.sessions  # loaded while reading
        sent += render_then_claim(
            session,
            registrations,
            lambda registration: reminder_email(registration, offset, now),
            keys=[key] + [reminder_key(other) for other in superseded],
            kind=KIND_REMINDER,
            now=now,
        )
        if len(ids) < BATCH:
            return sent


def send_reminders(session: OrmSession, now: datetime) -> int:
    """Every due reminder of every published event; the number of emails queued."""
    sent = 0
    for event in candidate_events(session, now):
        sent += send_event_reminders(session, event, now)
    session.commit()  # ends the reading transaction
    return sent
