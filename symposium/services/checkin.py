"""Check-in at the door and in the session rooms, and the Arabic-aware attendee search.

- ``check_in`` accepts the QR payload (the opaque signed check-in code, see services/tickets.py;
  the buttons of the search results send it too), a legacy ticket code, or a personal link
  shown by the attendee. Staff never see personal tokens: the search gives ``CheckinRow``s.
- Before the event starts (services/event_time.py) check-in and attendance marking are
  refused; an admin may override it, and the override is audited.
- The mark is an atomic conditional UPDATE (``checked_in_at IS NULL``): two scanners scanning
  the same ticket at once give one "ok" and one "already checked in".
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

from ..i18n import fmt_date, fmt_time, utc_to_local
from ..models import Event, Registration, Session, SessionRegistration, User
from ..models.types import utcnow
from . import audit, webhooks
from .event_time import event_starts_at, has_started
from .registration import by_token
from .search import matches, query_words
from .tickets import checkin_code, checkin_registration_id, parse_checkin_code


@dataclass
class CheckinResult:
    status: str  # ok / already / refused / unknown / early (before the event starts)
    message: str
    registration: Registration | None = None
    at: datetime | None = None
    by: User | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)


def _registration_from(session: OrmSession, payload: str | None) -> Registration | None:
    """The registration named by a scanned or typed payload, else None."""
    # a scanner or keyboard set to Arabic may type ٠-٩ / ۰-۹ for the code's digits
    payload = (payload or "").strip().translate(_DIGITS)
    if not payload or len(payload) > 300:
        return None
    registration_id = checkin_registration_id(payload)
    if registration_id is not None:
        return session.get(Registration, registration_id)
    token = parse_checkin_code(payload)  # a ticket issued before the opaque check-in ids
    if not token:
        # A personal link pasted or scanned from an email: take the token after /r/
        if "/r/" in payload:
            payload = payload.split("/r/", 1)[1].split("/", 1)[0].split("?", 1)[0]
        token = payload if 20 <= len(payload) <= 64 else None
    return by_token(session, token) if token else None


def not_started_message(event: Event) -> str:
    """Why check-in is refused before the event starts, with the start in the event's time."""
    start = event_starts_at(event)
    return _(
        "Check-in opens when the event starts: %(date)s at %(time)s (event time).",
        date=fmt_date(utc_to_local(start, event.timezone).date(), fmt="full"),
        time=fmt_time(start, event.timezone),
    )


def _emit_checkin(session: OrmSession, registration: Registration, event_session) -> None:
    data = webhooks.registration_data(registration)
    data["session"] = event_session.key if event_session is not None else None
    data["checked_in_at"] = registration.checked_in_at.isoformat()
    webhooks.emit(session, registration.event_id, "checkin.created", data)


def check_in_open(event: Event, now: datetime | None = None) -> bool:
    return has_started(event, now)


def _who(user: User | None) -> str:
    return user.name if user is not None else _("someone")


def check_in(
    session: OrmSession,
    event: Event,
    payload_or_token: str,
    *,
    by: User | None,
    event_session: Session | None = None,
    override: bool = False,
    now: datetime | None = None,
) -> CheckinResult:
    """Record that the person of ``payload_or_token`` is here (at the door or in a session).

    Before the event starts the answer is "early", unless an admin (``by``) passes
    ``override=True`` (recorded in the audit log as ``checkin.override``).
    """
    registration = _registration_from(session, payload_or_token)
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
    if not check_in_open(event, now):
        if not (override and getattr(by, "role", None) == "admin"):
            return CheckinResult("early", not_started_message(event), registration)
        audit.record(
            session,
            "checkin.override",
            user=by,
            event=event,
            target=f"registration:{registration.id}",
            details={
                "reason": "before_start",
                "session": event_session.key if event_session is not None else None,
            },
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
        _emit_checkin(session, registration, None)
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
        _emit_checkin(session, registration, item)
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
    """Registrations of ``event`` whose name or email holds every word of ``query``, in any
    order (Arabic-aware, services/search.py)."""
    if not query_words(query):
        return []
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, matches(Registration.search_text, query))
            .order_by(Registration.full_name, Registration.id)
            .limit(limit)
        )
    )


@dataclass
class CheckinRow:
    """What check-in staff see of a registration: no email, no personal token."""

    checkin_id: str  # the opaque signed check-in code (services/tickets.py)
    full_name: str
    organisation: str | None
    status: str
    checked_in_at: datetime | None

    def as_json(self) -> dict:
        return {
            "checkin_id": self.checkin_id,
            "full_name": self.full_name,
            "organisation": self.organisation,
            "status": self.status,
            "checked_in_at": self.checked_in_at.isoformat() if self.checked_in_at else None,
        }


def row(registration: Registration) -> CheckinRow:
    return CheckinRow(
        checkin_id=checkin_code(registration),
        full_name=registration.full_name,
        organisation=registration.organisation,
        status=registration.status,
        checked_in_at=registration.checked_in_at,
    )


def search_rows(session: OrmSession, event: Event, query: str, limit: int = 50) -> list[CheckinRow]:
    """The check-in screen's search: like ``search``, as rows without personal tokens (only
    the shown columns are read)."""
    if not query_words(query):
        return []
    # The matching ids come from the index (event_id, search_text, full_name) alone; only the
    # rows shown are read from the table.
    ids = (
        select(Registration.id)
        .where(Registration.event_id == event.id, matches(Registration.search_text, query))
        .order_by(Registration.full_name, Registration.id)
        .limit(limit)
    )
    found = session.execute(
        select(
            Registration.id,
            Registration.full_name,
            Registration.organisation,
            Registration.status,
            Registration.checked_in_at,
        )
        .where(Registration.id.in_(ids))
        .order_by(Registration.full_name, Registration.id)
    )
    return [
        CheckinRow(
            checkin_id=checkin_code(r),
            full_name=r.full_name,
            organisation=r.organisation,
            status=r.status,
            checked_in_at=r.checked_in_at,
        )
        for r in found
    ]


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
