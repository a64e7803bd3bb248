"""Changes a registered person makes to their own registration, and when they may make them.

Once the event has ended (``services.event_time.has_ended``) the personal page offers no
session changes, ticket, calendar file or cancellation: only the certificate (when there is
one) and the person's data ("download my data", "delete my data"). ``change_own_sessions`` and
``cancel_own`` are the attendee's entry points and refuse after the end; organisers keep
``change_sessions`` and ``cancel``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session as OrmSession

from ...models import Registration
from ...models.types import utcnow
from .. import audit
from ..event_time import has_ended
from .checks import RegistrationError
from .overlaps import refuse_overlaps
from .seats import _add_signup, _resolve_sessions, lock_event
from .waitlists import Promotions, _release_signup, cancel, fill_free_session_seats


class SelfServiceClosedError(RegistrationError):
    """The event has ended: the attendee can no longer change their registration."""


@dataclass(frozen=True)
class SelfServiceActions:
    """What the personal page offers right now."""

    ended: bool
    change_sessions: bool
    ticket: bool
    calendar: bool
    cancel: bool


def selfservice_closed_reason(
    registration: Registration, now: datetime | None = None
) -> str | None:
    """Why the attendee can no longer change their registration (translated), or None."""
    if has_ended(registration.event, now):
        return _("This event has ended: your registration can no longer be changed.")
    return None


def selfservice_actions(
    registration: Registration, now: datetime | None = None
) -> SelfServiceActions:
    ended = has_ended(registration.event, now)
    active = registration.status != "cancelled" and not ended
    return SelfServiceActions(
        ended=ended,
        change_sessions=active,
        ticket=active and registration.status == "confirmed",
        calendar=active,
        cancel=active,
    )


def change_own_sessions(
    session: OrmSession,
    registration: Registration,
    keys: Iterable[str],
    *,
    now: datetime | None = None,
) -> Registration:
    """The attendee changes their sessions (refused once the event has ended)."""
    reason = selfservice_closed_reason(registration, now)
    if reason:
        raise SelfServiceClosedError(reason)
    return change_sessions(session, registration, keys)


def cancel_own(
    session: OrmSession, registration: Registration, *, now: datetime | None = None
) -> Promotions:
    """The attendee cancels their registration (refused once the event has ended); returns
    who got the freed seats."""
    reason = selfservice_closed_reason(registration, now)
    if reason:
        raise SelfServiceClosedError(reason)
    return cancel(session, registration)


def change_sessions(
    session: OrmSession,
    registration: Registration,
    keys: Iterable[str],
    *,
    by=None,
    allow_overlap: bool = False,
) -> Registration:
    """Replace the session choices; new choices follow the capacity rules and may not overlap
    in time with another choice (``SessionOverlapError``; nothing is changed)."""
    event = registration.event
    chosen = _resolve_sessions(session, event, keys)
    lock_event(session, event)
    # Read the registration again under the lock: a change committed meanwhile by the same
    # person (another tab, a double submission) is seen before the rules are checked
    session.refresh(registration, ["status", "session_signups"])
    if registration.status == "cancelled":
        raise RegistrationError(_("This registration is cancelled."))
    wanted = {item.id for item in chosen}
    current = {signup.session_id: signup for signup in registration.session_signups}
    kept_attended = [
        signup.session
        for sid, signup in current.items()
        if sid not in wanted and signup.attended_at is not None
    ]
    added = {item.id for item in chosen if item.id not in current}
    if not allow_overlap:
        refuse_overlaps([*chosen, *kept_attended], added)
    freed = []
    for sid, signup in current.items():
        if sid not in wanted:
            if signup.attended_at is not None:
                continue  # attendance already recorded stays
            if _release_signup(session, signup) is not None:
                freed.append(sid)
    session.flush()
    for item in chosen:
        if item.id not in current:
            _add_signup(session, registration, item)
    registration.updated_at = utcnow()
    session.flush()
    for sid in freed:
        fill_free_session_seats(session, sid)
    audit.record(
        session,
        "registration.sessions",
        user=by,
        event=event,
        target=f"registration:{registration.id}",
        details={"sessions": sorted(item.key for item in chosen)},
    )
    return registration
