"""Check-in at the door and in the session rooms, and the Arabic-aware attendee search.

- ``check_in`` accepts the QR payload (a signed check-in code) or a registration token (the
  buttons of the search results send the token). The mark is an atomic conditional UPDATE
  (``checked_in_at IS NULL``): two scanners scanning the same ticket at once give one "ok" and
  one "already checked in".
- Per-session attendance: for a session with a sign-up list (a capacity) the person must hold a
  confirmed seat in it; for an open session (no sign-up) any confirmed registration is accepted
  and an attendance row is created. Scanning at a session also records the door check-in when
  it is missing (the person is evidently there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ..i18n import fmt_time
from ..models import Event, Registration, Session, SessionRegistration, User
from ..models.types import utcnow
from .registration import by_token
from .search import fold, like_pattern
from .tickets import parse_checkin_code


@dataclass
class CheckinResult:
    status: str  # ok / already / refused / unknown
    message: str
    registration: Registration | None = None
    at: datetime | None = None
    by: User | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _token_from(payload: str | None) -> str | None:
    payload = (payload or "").strip()
    if not payload or len(payload) > 300:
        return None
    token = parse_checkin_code(payload)
    if token:
        return token
    # A personal link pasted or scanned from an email: take the token after /r/
    if "/r/" in payload:
        payload = payload.split("/r/", 1)[1].split("/", 1)[0].split("?", 1)[0]
    return payload if 20 <= len(payload) <= 64 else None


def _who(user: User | None) -> str:
    return user.name if user is not None else _("someone")


def check_in(
    session: OrmSession,
    event: Event,
    payload_or_token: str,
    *,
    by: User | None,
    event_session: Session | None = None,
) -> CheckinResult:
    """Record that the person of ``payload_or_token`` is here (at the door or in a session)."""
    token = _token_from(payload_or_token)
    registration = by_token(session, token) if token else None
    if registration is None or registration.event_id != event.id:
        return CheckinResult("unknown", _("Unknown ticket: no registration for this event."))
    if registration.status == "cancelled":
        return CheckinResult("refused", _("Refused: this registration is cancelled."), registration)
    if registration.status == "waitlisted":
        return CheckinResult(
            "refused",
            _("Refused: this person is on the waiting list and has no seat."),
            registration,
        )
    if event_session is not None:
        return _session_check_in(session, event, registration, event_session, by)
    now = utcnow()
    marked = session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.checked_in_at.is_(None))
        .values(
            checked_in_at=now, checked_in_by_id=getattr(by, "id", None), attendance_source="door"
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(registration)
    if marked:
        return CheckinResult(
            "ok", _("Welcome! Checked in."), registration, registration.checked_in_at, by
        )
    return CheckinResult(
        "already",
        _(
            "Already checked in at %(time)s by %(who)s.",
            time=fmt_time(registration.checked_in_at, event.timezone),
            who=_who(registration.checked_in_by),
        ),
        registration,
        registration.checked_in_at,
        registration.checked_in_by,
    )


def _session_check_in(
    session: OrmSession,
    event: Event,
    registration: Registration,
    item: Session,
    by: User | None,
) -> CheckinResult:
    signup = session.scalar(
        select(SessionRegistration).where(
            SessionRegistration.registration_id == registration.id,
            SessionRegistration.session_id == item.id,
        )
    )
    if item.requires_signup:
        if signup is None:
            return CheckinResult(
                "refused",
                _("Refused: this person has not signed up for this session."),
                registration,
            )
        if signup.status != "confirmed":
            return CheckinResult(
                "refused",
                _("Refused: this person is on the waiting list of this session."),
                registration,
            )
    now = utcnow()
    user_id = getattr(by, "id", None)
    if signup is None:
        signup = SessionRegistration(
            registration_id=registration.id,
            session_id=item.id,
            status="confirmed",
            attended_at=now,
            attended_by_id=user_id,
        )
        try:
            with session.begin_nested():
                session.add(signup)
                session.flush()
            marked = True
        except IntegrityError:  # scanned at the same moment by another scanner
            signup = session.scalar(
                select(SessionRegistration).where(
                    SessionRegistration.registration_id == registration.id,
                    SessionRegistration.session_id == item.id,
                )
            )
            marked = False
    else:
        marked = session.execute(
            update(SessionRegistration)
            .where(SessionRegistration.id == signup.id, SessionRegistration.attended_at.is_(None))
            .values(attended_at=now, attended_by_id=user_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.refresh(signup)
    if registration.checked_in_at is None:
        session.execute(
            update(Registration)
            .where(Registration.id == registration.id, Registration.checked_in_at.is_(None))
            .values(checked_in_at=now, checked_in_by_id=user_id, attendance_source="door")
            .execution_options(synchronize_session=False)
        )
        session.refresh(registration)
    if marked:
        return CheckinResult("ok", _("Welcome! Checked in."), registration, now, by)
    who = session.get(User, signup.attended_by_id) if signup.attended_by_id else None
    return CheckinResult(
        "already",
        _(
            "Already checked in at %(time)s by %(who)s.",
            time=fmt_time(signup.attended_at, event.timezone),
            who=_who(who),
        ),
        registration,
        signup.attended_at,
        who,
    )


def search(session: OrmSession, event: Event, query: str, limit: int = 50) -> list[Registration]:
    """Registrations of ``event`` whose name or email matches ``query`` (Arabic-aware)."""
    if not fold(query):
        return []
    return list(
        session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.search_text.ilike(like_pattern(query), escape="\\"),
            )
            .order_by(Registration.full_name, Registration.id)
            .limit(limit)
        )
    )


def counts(session: OrmSession, event: Event) -> dict[str, int]:
    """Confirmed and checked-in numbers for the check-in screen."""
    from sqlalchemy import func

    confirmed = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == "confirmed"
        )
    )
    checked_in = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.checked_in_at.is_not(None),
        )
    )
    return {"confirmed": confirmed or 0, "checked_in": checked_in or 0}
