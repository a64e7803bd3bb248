"""Waiting lists: positions, promotions (automatic and by an organiser) and cancellation."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from ...models import Event, Registration, Session, SessionRegistration
from ...models.types import utcnow
from .. import audit
from .checks import SIGNUP_CONFIRMED, SIGNUP_PENDING, SIGNUP_WAITLISTED, RegistrationError
from .seats import (
    _free_event_seat,
    _free_session_seat,
    _placement,
    _take_event_seat,
    _take_session_seat,
    lock_event,
)


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


def _confirm(session: OrmSession, registration: Registration, *, by=None) -> None:
    """A waitlisted registration got its event seat: confirm it and place its sessions."""
    registration.status = "confirmed"
    registration.confirmed_at = utcnow()
    registration.waitlist_seq = None
    for signup in list(registration.session_signups):
        if signup.status == SIGNUP_PENDING:
            signup.status, signup.waitlist_seq = _placement(session, registration, signup.session)
    session.flush()


def fill_free_seats(session: OrmSession, event: Event, *, by=None) -> list[Registration]:
    """Promote people from the waiting list, first come first served, while seats are free."""
    from .. import notifications

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
        notifications.notify(session, first, "promotion")
        promoted.append(first)
    session.expire(event, ["confirmed_count"])
    return promoted


def fill_free_session_seats(session: OrmSession, item_id: int) -> list[SessionRegistration]:
    """Promote the first people of a session's waiting list while the session has seats."""
    from .. import notifications

    item = session.get(Session, item_id)
    promoted = []
    while item is not None:
        first = session.scalar(
            select(SessionRegistration)
            .where(
                SessionRegistration.session_id == item_id,
                SessionRegistration.status == SIGNUP_WAITLISTED,
            )
            .order_by(SessionRegistration.waitlist_seq, SessionRegistration.id)
            .limit(1)
        )
        if first is None or not _take_session_seat(session, item):
            break
        first.status = SIGNUP_CONFIRMED
        first.waitlist_seq = None
        session.flush()
        notifications.notify(session, first.registration, "session_promotion", signup=first)
        promoted.append(first)
    if item is not None:
        session.expire(item, ["confirmed_count"])
    return promoted


def promote(session: OrmSession, registration: Registration, *, by=None) -> Registration:
    """An organiser moves a waitlisted person to confirmed, when a seat is free."""
    from .. import notifications

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
    notifications.notify(session, registration, "promotion")
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
) -> list[Registration]:
    """Cancel a registration; the freed seats go to the next people waiting (returned)."""
    from .. import notifications

    event = registration.event
    lock_event(session, event)
    session.refresh(registration)
    if registration.status == "cancelled":
        return []
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
        notifications.notify(session, registration, "cancellation")
    for sid in freed_sessions:
        fill_free_session_seats(session, sid)
    promoted = fill_free_seats(session, event, by=by)
    return promoted
