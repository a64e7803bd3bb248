"""Waiting lists: positions, promotions (automatic and by an organiser) and cancellation."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ...models import Event, Registration, Session, SessionRegistration
from ...models.types import utcnow
from .. import audit, notices, webhooks
from .checks import SIGNUP_CONFIRMED, SIGNUP_PENDING, SIGNUP_WAITLISTED, RegistrationError
from .overlaps import holds_overlapping_seat, sessions_overlap
from .seats import (
    _free_event_seat,
    _free_session_seat,
    _placement,
    _take_event_seat,
    _take_session_seat,
    lock_event,
    next_counter,
)


def someone_waiting(session: OrmSession, registration: Registration) -> bool:
    """Whether cancelling ``registration`` would give its seat to someone on the waiting list."""
    if registration.status != "confirmed":
        return False
    first = session.scalar(
        select(Registration.id)
        .where(Registration.event_id == registration.event_id, Registration.status == "waitlisted")
        .limit(1)
    )
    return first is not None


def waitlist_position(session: OrmSession, registration: Registration) -> int | None:
    """1 for the first person waiting, None when not on the waiting list."""
    if registration.status != "waitlisted" or registration.waitlist_seq is None:
        return None
    ahead = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            Registration.waitlist_seq < registration.waitlist_seq,
        )
    )
    return 1 + (ahead or 0)


def session_waitlist_position(session: OrmSession, signup: SessionRegistration) -> int | None:
    if signup.status != SIGNUP_WAITLISTED or signup.waitlist_seq is None:
        return None
    ahead = session.scalar(
        select(func.count(SessionRegistration.id)).where(
            SessionRegistration.session_id == signup.session_id,
            SessionRegistration.status == SIGNUP_WAITLISTED,
            SessionRegistration.waitlist_seq < signup.waitlist_seq,
        )
    )
    return 1 + (ahead or 0)


class Promotions(list):
    """Who a freed seat went to: the registrations moved up from the event's waiting list
    (the list itself, in order) and, per session id, the sign-ups moved up from that
    session's waiting list (``sessions``; only sessions where someone was moved up)."""

    def __init__(self, registrations=(), sessions=None):
        super().__init__(registrations)
        self.sessions: dict[int, list[SessionRegistration]] = dict(sessions or {})

    @property
    def anyone(self) -> bool:
        """Whether anybody at all got a seat."""
        return bool(self) or any(self.sessions.values())


def _confirm(session: OrmSession, registration: Registration, *, by=None) -> None:
    """A waitlisted registration got its event seat: confirm it and place its sessions.

    Pending choices never overlap (the rule is checked when they are made) unless an organiser
    allowed it; then the later choice joins its session's waiting list rather than taking a
    second seat at the same time."""
    registration.status = "confirmed"
    registration.confirmed_at = utcnow()
    registration.waitlist_seq = None
    webhooks.emit(
        session,
        registration.event_id,
        "registration.promoted",
        webhooks.registration_data(registration),
    )
    signups = list(registration.session_signups)
    held = [s.session for s in signups if s.status == SIGNUP_CONFIRMED]
    pending = sorted(
        (s for s in signups if s.status == SIGNUP_PENDING),
        key=lambda s: (s.session.starts_at, s.session_id),
    )
    for signup in pending:
        item = signup.session
        if item.capacity is not None and any(
            other.capacity is not None and sessions_overlap(item, other) for other in held
        ):
            signup.status = SIGNUP_WAITLISTED
            signup.waitlist_seq = next_counter(session, f"waitlist:session:{item.id}")
            continue
        signup.status, signup.waitlist_seq = _placement(session, registration, item)
        if signup.status == SIGNUP_CONFIRMED:
            held.append(item)
    session.flush()


def fill_free_seats(session: OrmSession, event: Event, *, by=None) -> list[Registration]:
    """Promote people from the waiting list, first come first served, while seats are free."""
    promoted: list[Registration] = []
    while True:
        first = session.scalar(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.waitlist_seq, Registration.id)
            .limit(1)
        )
        if first is None or not _take_event_seat(session, event):
            break
        _confirm(session, first, by=by)
        audit.record(
            session,
            "registration.promote",
            user=by,
            event=event,
            target=f"registration:{first.id}",
            details={"automatic": True},
        )
        notices.notify(session, first, "promotion")
        promoted.append(first)
    session.expire(event, ["confirmed_count"])
    return promoted


def fill_free_session_seats(session: OrmSession, item_id: int) -> list[SessionRegistration]:
    """Promote the first people of a session's waiting list while the session has seats.

    A person who holds a seat in another session at the same time is passed over (they keep
    their place on the list): a promotion never gives anyone two seats at once."""
    item = session.get(Session, item_id)
    promoted = []
    if item is None:
        return promoted
    query = (
        select(SessionRegistration)
        .where(
            SessionRegistration.session_id == item_id,
            SessionRegistration.status == SIGNUP_WAITLISTED,
        )
        .order_by(SessionRegistration.waitlist_seq, SessionRegistration.id)
        .limit(1)
    )
    if item.capacity is not None:
        query = query.where(~holds_overlapping_seat(SessionRegistration, item))
    while True:
        first = session.scalar(query)
        if first is None or not _take_session_seat(session, item):
            break
        first.status = SIGNUP_CONFIRMED
        first.waitlist_seq = None
        session.flush()
        notices.notify(session, first.registration, "session_promotion", signup=first)
        promoted.append(first)
    session.expire(item, ["confirmed_count"])
    return promoted


def promote(session: OrmSession, registration: Registration, *, by=None) -> Registration:
    """An organiser moves a waitlisted person to confirmed, when a seat is free."""
    event = registration.event
    lock_event(session, event)
    session.refresh(registration)
    if registration.status != "waitlisted":
        raise RegistrationError(_("This person is not on the waiting list."))
    if not _take_event_seat(session, event):
        raise RegistrationError(_("No seat is free: the event is full."))
    _confirm(session, registration, by=by)
    session.expire(event, ["confirmed_count"])
    audit.record(
        session,
        "registration.promote",
        user=by,
        event=event,
        target=f"registration:{registration.id}",
    )
    notices.notify(session, registration, "promotion")
    return registration


def _release_signup(session: OrmSession, signup: SessionRegistration) -> int | None:
    """Drop a sign-up; returns the session id whose seat was freed, if any."""
    freed = signup.session_id if signup.status == SIGNUP_CONFIRMED else None
    if freed is not None:
        _free_session_seat(session, freed)
    signup.registration.session_signups.remove(signup)  # delete-orphan removes the row
    return freed


def cancel(
    session: OrmSession, registration: Registration, *, by=None, notify: bool = True
) -> Promotions:
    """Cancel a registration; the freed seats go to the next people waiting.

    Returns the ``Promotions``: the registrations moved up from the event's waiting list (a
    list, empty when nobody was waiting) and, per session, who got the freed session seat."""
    event = registration.event
    lock_event(session, event)
    session.refresh(registration)
    if registration.status == "cancelled":
        return Promotions()
    was_confirmed = registration.status == "confirmed"
    registration.status = "cancelled"
    registration.cancelled_at = utcnow()
    registration.waitlist_seq = None
    freed_sessions = [
        sid
        for signup in list(registration.session_signups)
        if signup.attended_at is None and (sid := _release_signup(session, signup)) is not None
    ]
    session.flush()
    if was_confirmed:
        _free_event_seat(session, event)
    audit.record(
        session,
        "registration.cancel",
        user=by,
        event=event,
        target=f"registration:{registration.id}",
    )
    if notify:
        notices.notify(session, registration, "cancellation")
    webhooks.emit(
        session, event.id, "registration.cancelled", webhooks.registration_data(registration)
    )
    by_session = {sid: fill_free_session_seats(session, sid) for sid in freed_sessions}
    promoted = fill_free_seats(session, event, by=by)
    return Promotions(promoted, {sid: moved for sid, moved in by_session.items() if moved})
