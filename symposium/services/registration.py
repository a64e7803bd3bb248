"""Attendee registration: capacity, waiting lists (event and sessions), cancellation, privacy.

Rules
- Seats are taken with an atomic conditional UPDATE of the counter column
  (``confirmed_count < capacity``) and the rowcount is checked: never count-then-insert.
- Every change to an event's registrations first locks the event row (``SELECT ... FOR UPDATE``
  on PostgreSQL; on SQLite every transaction is BEGIN IMMEDIATE, which serialises writers). The
  waiting-list order comes from a per-event ``Counter`` incremented under that lock, so FIFO
  order holds across processes, and a freed seat is never left empty while someone waits.
- A registration on the event's waiting list keeps its session choices as ``pending``: they take
  a session seat (or a place on the session's waiting list) when the registration is confirmed.
- Functions ``flush()``; the caller commits once. Emails are queued in the same transaction.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession

from ..i18n import LANGUAGES, country_name
from ..models import (
    ATTENDANCE_MODES,
    Counter,
    Event,
    Registration,
    Session,
    SessionRegistration,
)
from ..models.types import utcnow
from . import audit
from .search import search_text

# Maximum lengths (the columns allow these; the form enforces the same)
MAX_LENGTHS = {
    "full_name": 200,
    "email": 254,
    "organisation": 200,
    "job_title": 200,
    "city": 120,
    "accessibility_needs": 2000,
}

# C0/C1 control characters (tab and newlines are allowed only in multi-line text) and the
# bidirectional embedding/override/isolate characters that can disguise a name.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

SIGNUP_CONFIRMED = "confirmed"
SIGNUP_WAITLISTED = "waitlisted"
SIGNUP_PENDING = "pending"  # waiting for the registration itself to be confirmed


class RegistrationError(Exception):
    """A rule was broken; ``message`` is translated and can be shown as is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class RegistrationData:
    full_name: str
    email: str
    organisation: str | None = None
    job_title: str | None = None
    country: str | None = None
    city: str | None = None
    attendance_mode: str = "in_person"
    preferred_language: str = "ar"
    sessions: Sequence[str] = ()
    accessibility_needs: str | None = None
    consent: bool = True


@dataclass(frozen=True)
class CheckedData:
    """Registration data that passed ``check`` (normalised values), ready to store."""

    values: dict
    sessions: tuple[str, ...]


@dataclass
class RegistrationResult:
    """What ``register`` did. A new registration is inserted with Core statements; its ORM
    object is loaded only when asked for (the registration form only needs ``created``)."""

    _registration: Registration | None
    created: bool
    promoted: list[Registration] = field(default_factory=list)
    _session: OrmSession | None = None
    _id: int | None = None
    token: str | None = None

    @property
    def registration(self) -> Registration:
        if self._registration is None:
            self._registration = self._session.get(Registration, self._id)
        return self._registration

    @property
    def id(self) -> int:
        return self._id if self._registration is None else self._registration.id

    @property
    def status(self) -> str:
        return self.registration.status


# --------------------------------------------------------------------------- input checks


def normalize_text(value: str | None) -> str:
    """NFC-normalised and trimmed; inner spacing is kept as typed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def normalize_email(value: str | None) -> str:
    return normalize_text(value).casefold()


def text_problem(value: str | None, *, multiline: bool = False, name: bool = False) -> str | None:
    """A translated message when ``value`` holds characters we refuse, else None."""
    if not value:
        return None
    if _BIDI.search(value):
        return _("Text direction control characters are not allowed.")
    if _CONTROL.search(value) or (not multiline and _LINE_BREAKS.search(value)):
        return _("Control characters are not allowed.")
    if name and ("<" in value or ">" in value):
        return _("The characters < and > are not allowed here.")
    return None


def email_problem(value: str) -> str | None:
    if not value:
        return _("Please enter your email address.")
    if len(value) > MAX_LENGTHS["email"]:
        return _("This email address is too long.")
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return _("Please enter a valid email address.")
    return None


def registration_closed_reason(event: Event, now: datetime | None = None) -> str | None:
    """Why online registration is not possible right now (translated), or None when open."""
    now = now or utcnow()
    if not event.is_published or not event.registration_open:
        return _("Registration is closed.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Registration has not opened yet.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("Registration closed on the deadline.")
    return None


def signup_sessions(session: OrmSession, event: Event) -> list[Session]:
    """The sessions of ``event`` that need a sign-up (they have a capacity)."""
    return list(
        session.scalars(
            select(Session)
            .where(Session.event_id == event.id, Session.capacity.is_not(None))
            .order_by(Session.starts_at, Session.position, Session.id)
        )
    )


def _resolve_sessions(session: OrmSession, event: Event, keys: Iterable[str]) -> list[Session]:
    wanted = []
    for key in keys:
        key = (key or "").strip()
        if key and key not in wanted:
            wanted.append(key)
    if not wanted:
        return []
    found = {s.key: s for s in signup_sessions(session, event)}
    unknown = [k for k in wanted if k not in found]
    if unknown:
        raise RegistrationError(_("Unknown session: %(key)s", key=unknown[0][:80]), "sessions")
    return [found[k] for k in wanted]


def check(data: RegistrationData | CheckedData) -> CheckedData:
    """Check and normalise the data without touching the database (views call it before
    their transaction starts); raise RegistrationError on the first problem."""
    if isinstance(data, CheckedData):
        return data
    return CheckedData(_clean(data), tuple(data.sessions or ()))


def _clean(data: RegistrationData) -> dict:
    """Check and normalise the data; raise RegistrationError on the first problem."""
    values = {}
    for name in ("full_name", "organisation", "job_title", "city", "accessibility_needs"):
        value = normalize_text(getattr(data, name))
        problem = text_problem(
            value, multiline=name == "accessibility_needs", name=name == "full_name"
        )
        if problem:
            raise RegistrationError(problem, name)
        if len(value) > MAX_LENGTHS[name]:
            raise RegistrationError(
                _("Please use at most %(max)d characters.", max=MAX_LENGTHS[name]), name
            )
        values[name] = value or None
    if not values["full_name"]:
        raise RegistrationError(_("Please enter your full name."), "full_name")
    email = normalize_text(data.email)
    problem = text_problem(email) or email_problem(email)
    if problem:
        raise RegistrationError(problem, "email")
    values["email"] = email
    values["email_normalized"] = normalize_email(email)
    country = normalize_text(data.country).upper() or None
    if country and (len(country) != 2 or country_name(country, "en") == country):
        raise RegistrationError(_("Please choose a country from the list."), "country")
    values["country"] = country
    if data.attendance_mode not in ATTENDANCE_MODES:
        raise RegistrationError(_("Please choose how you will attend."), "attendance_mode")
    values["attendance_mode"] = data.attendance_mode
    if data.preferred_language not in LANGUAGES:
        raise RegistrationError(_("Please choose a language."), "preferred_language")
    values["preferred_language"] = data.preferred_language
    if not data.consent:
        raise RegistrationError(_("Please accept the privacy notice to register."), "consent")
    return values


# --------------------------------------------------------------------------- seats and counters


def lock_event(session: OrmSession, event: Event) -> None:
    """Serialise changes to this event's registrations (row lock; SQLite: already serialised
    by BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "sqlite":
        # FOR NO KEY UPDATE: the same lock as the counter UPDATE takes; it does not conflict
        # with the KEY SHARE locks that inserting registrations (foreign key) take on the row
        session.execute(
            select(Event.id).where(Event.id == event.id).with_for_update(key_share=True)
        )


def _take_event_seat_locked(session: OrmSession, event: Event) -> bool:
    """Second chance when the event looked full: under the event lock, a cancellation that
    was committing meanwhile is visible (PostgreSQL READ COMMITTED skips, without waiting,
    a row whose visible version fails the WHERE)."""
    if session.get_bind().dialect.name == "sqlite":
        return False
    lock_event(session, event)
    return _take_event_seat(session, event)


def _seat_statements(table):
    """Take / free one seat of an event or session row: conditional UPDATEs of the counter
    column, built once. ``updated_at`` is set to itself so that the column's ``onupdate`` does
    not fire: a seat taken is not a change to the event (the programme PDF cache keys on it)."""
    c = table.c
    keep = {"updated_at": c.updated_at} if "updated_at" in c else {}
    take = (
        update(table)
        .where(c.id == bindparam("row_id"))
        .where(c.capacity.is_(None) | (c.confirmed_count < c.capacity))
        .values(confirmed_count=c.confirmed_count + 1, **keep)
    )
    free = (
        update(table)
        .where(c.id == bindparam("row_id"), c.confirmed_count > 0)
        .values(confirmed_count=c.confirmed_count - 1, **keep)
    )
    return take, free


_TAKE_EVENT_SEAT, _FREE_EVENT_SEAT = _seat_statements(Event.__table__)
_TAKE_SESSION_SEAT, _FREE_SESSION_SEAT = _seat_statements(Session.__table__)


def _take_event_seat(session: OrmSession, event: Event) -> bool:
    return session.execute(_TAKE_EVENT_SEAT, {"row_id": event.id}).rowcount == 1


def _free_event_seat(session: OrmSession, event: Event) -> None:
    session.execute(_FREE_EVENT_SEAT, {"row_id": event.id})


def _take_session_seat(session: OrmSession, item: Session) -> bool:
    return session.execute(_TAKE_SESSION_SEAT, {"row_id": item.id}).rowcount == 1


def _free_session_seat(session: OrmSession, item_id: int) -> None:
    session.execute(_FREE_SESSION_SEAT, {"row_id": item_id})


def next_counter(session: OrmSession, name: str) -> int:
    """Increment the named counter and return its new value (call under the event lock)."""
    value = session.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
        .execution_options(synchronize_session=False)
    )
    if value is None:
        with session.begin_nested():
            session.add(Counter(name=name, value=1, data={}))
        value = 1
    return value


# --------------------------------------------------------------------------- register


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def find_registration(session: OrmSession, event: Event, email: str) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == normalize_email(email),
        )
    )


def by_token(session: OrmSession, token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Registration).where(Registration.token == token))


def register(
    session: OrmSession,
    event: Event,
    data: RegistrationData | CheckedData,
    *,
    source: str = "online",
    by=None,
    notify: bool = True,
) -> RegistrationResult:
    """Register ``data`` for ``event``: confirmed while seats are left, else waiting list.

    An email already registered for the event is not registered twice: the existing
    registration is returned (``created=False``) and its personal link is sent again.
    ``source="manual"`` (an organiser adding someone) ignores the registration period.

    The hot path is a few Core statements (this is the request that arrives by the hundred
    when registration opens): an ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
    (event, email) index decides duplicates without a lookup or a savepoint, then the seat is
    taken with the conditional UPDATE, last, so that PostgreSQL holds the hot event row for
    the shortest time before the commit.
    """
    from . import notices as notifications

    checked = check(data)
    values = dict(checked.values)
    if source == "online":
        reason = registration_closed_reason(event)
        if reason:
            raise RegistrationError(reason)
    if values["attendance_mode"] == "online" and not event.hybrid:
        values["attendance_mode"] = "in_person"
    chosen = _resolve_sessions(session, event, checked.sessions)

    now = utcnow()
    token = _new_token()
    new_id = session.execute(
        _insert_registration(session.get_bind().dialect.name),
        {
            **values,
            "event_id": event.id,
            "token": token,
            "status": "confirmed",
            "waitlist_seq": None,
            "confirmed_at": now,
            "consent_version": current_app.config.get("PRIVACY_NOTICE_VERSION"),
            "consented_at": now,
            "search_text": search_text(values["full_name"], values["email"]),
            "source": source,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar()
    if new_id is None:
        # The unique (event, email) index said: already registered
        existing = find_registration(session, event, values["email"])
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish here
            raise RegistrationError(_("Something changed while you registered. Please try again."))
        if notify:
            notifications.notify(session, existing, "already")
        return RegistrationResult(existing, created=False)
    status = "confirmed"
    if not (_take_event_seat(session, event) or _take_event_seat_locked(session, event)):
        status = "waitlisted"
        session.execute(
            _WAITLIST_REGISTRATION,
            {"registration_id": new_id, "seq": next_counter(session, f"waitlist:event:{event.id}")},
        )
    for item in chosen:
        signup_status, seq = _placement_for(session, status, item)
        session.execute(
            insert(SessionRegistration).values(
                registration_id=new_id,
                session_id=item.id,
                status=signup_status,
                waitlist_seq=seq,
                created_at=now,
            )
        )
    session.expire(event, ["confirmed_count"])
    for item in chosen:
        session.expire(item, ["confirmed_count"])
    result = RegistrationResult(None, created=True, _session=session, _id=new_id, token=token)
    if by is not None or source != "online":
        audit.record(
            session,
            "registration.create",
            user=by,
            event=event,
            target=f"registration:{new_id}",
            details={"status": status, "source": source},
        )
    if notify:
        notifications.notify_new(session, new_id, status)
    return result


@lru_cache(maxsize=4)
def _insert_registration(dialect: str):
    """``INSERT INTO registration ... ON CONFLICT (event_id, email_normalized) DO NOTHING
    RETURNING id``, built once (Core, parameters bound at execution)."""
    table = Registration.__table__
    insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert_(table)
        .on_conflict_do_nothing(index_elements=["event_id", "email_normalized"])
        .returning(table.c.id)
    )


_WAITLIST_REGISTRATION = (
    update(Registration.__table__)
    .where(Registration.__table__.c.id == bindparam("registration_id"))
    .values(status="waitlisted", confirmed_at=None, waitlist_seq=bindparam("seq"))
)


def _add_signup(session: OrmSession, registration: Registration, item: Session):
    status, seq = _placement(session, registration, item)
    signup = SessionRegistration(session_id=item.id, status=status, waitlist_seq=seq)
    signup.session = item
    registration.session_signups.append(signup)
    return signup


def _placement(session: OrmSession, registration: Registration, item: Session):
    """A session seat, a place on the session's waiting list, or held (pending)."""
    return _placement_for(session, registration.status, item)


def _placement_for(session: OrmSession, status: str, item: Session):
    if status != "confirmed":
        return SIGNUP_PENDING, None
    if _take_session_seat(session, item):
        return SIGNUP_CONFIRMED, None
    return SIGNUP_WAITLISTED, next_counter(session, f"waitlist:session:{item.id}")


# --------------------------------------------------------------------------- waiting lists


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
    from . import notices as notifications

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
    from . import notices as notifications

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
    from . import notices as notifications

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


# --------------------------------------------------------------------------- changes


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
    from . import notices as notifications

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


def change_sessions(
    session: OrmSession, registration: Registration, keys: Iterable[str], *, by=None
) -> Registration:
    """Replace the session choices; new choices follow the capacity rules."""
    if registration.status == "cancelled":
        raise RegistrationError(_("This registration is cancelled."))
    event = registration.event
    chosen = _resolve_sessions(session, event, keys)
    lock_event(session, event)
    wanted = {item.id for item in chosen}
    current = {signup.session_id: signup for signup in registration.session_signups}
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


def anonymise(session: OrmSession, registration: Registration, *, by=None) -> list[Registration]:
    """Delete the personal data of a registration (the row stays, for the counts).

    The seat is freed (the next person waiting is promoted), every personal field is replaced,
    the personal link stops working (new token). Returns the promoted registrations.
    """
    promoted = cancel(session, registration, by=by, notify=False)
    marker = secrets.token_hex(8)
    registration.full_name = "—"
    registration.email = f"deleted-{marker}@invalid"
    registration.email_normalized = registration.email
    registration.organisation = None
    registration.job_title = None
    registration.country = None
    registration.city = None
    registration.accessibility_needs = None
    registration.search_text = ""
    registration.token = _new_token()
    registration.anonymised_at = utcnow()
    registration.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        "registration.anonymise",
        user=by,
        event=registration.event,
        target=f"registration:{registration.id}",
    )
    return promoted


# --------------------------------------------------------------------------- links and export


def personal_url(registration: Registration, lang: str | None = None) -> str:
    """The absolute personal (self-service) link, on SYMPOSIUM_BASE_URL."""
    base = current_app.config["SYMPOSIUM_BASE_URL"].rstrip("/")
    lang = lang if lang in LANGUAGES else registration.preferred_language
    if lang not in LANGUAGES:
        lang = "ar"
    return f"{base}/{lang}/r/{registration.token}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def export_data(session: OrmSession, registration: Registration) -> dict:
    """Everything stored about this person, for the "download my data" link."""
    event = registration.event
    signups = []
    for signup in sorted(registration.session_signups, key=lambda s: s.session.starts_at):
        signups.append(
            {
                "session": signup.session.key,
                "title": signup.session.t("title", registration.preferred_language),
                "starts_at": _iso(signup.session.starts_at),
                "status": signup.status,
                "waitlist_position": session_waitlist_position(session, signup),
                "registered_at": _iso(signup.created_at),
                "attended_at": _iso(signup.attended_at),
            }
        )
    return {
        "event": {"slug": event.slug, "title": event.t("title", registration.preferred_language)},
        "status": registration.status,
        "waitlist_position": waitlist_position(session, registration),
        "full_name": registration.full_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "job_title": registration.job_title,
        "country": registration.country,
        "city": registration.city,
        "attendance_mode": registration.attendance_mode,
        "preferred_language": registration.preferred_language,
        "accessibility_needs": registration.accessibility_needs,
        "consent_version": registration.consent_version,
        "consented_at": _iso(registration.consented_at),
        "source": registration.source,
        "registered_at": _iso(registration.created_at),
        "updated_at": _iso(registration.updated_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "checked_in_at": _iso(registration.checked_in_at),
        "sessions": signups,
    }
