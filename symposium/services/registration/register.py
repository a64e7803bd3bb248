"""Registering: the Core-SQL hot path of the registration form, and finding registrations."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession

from ...models import Event, Registration, SessionRegistration
from ...models.types import utcnow
from .. import audit, notices, webhooks
from ..search import search_text
from .checks import (
    CheckedData,
    RegistrationData,
    RegistrationError,
    check,
    normalize_email,
    registration_closed_reason,
)
from .overlaps import SessionOverlapError, overlapping_pairs
from .seats import (
    _NO_CAPACITY,
    _TAKE_LIMITED_SEAT,
    RegistrationTarget,
    _placement_for,
    _resolve_sessions,
    _take_event_seat,
    _take_event_seat_locked,
    next_counter,
)


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
    allow_overlap: bool = False,
    target: RegistrationTarget | None = None,
) -> RegistrationResult:
    """Register ``data`` for ``event``: confirmed while seats are left, else waiting list.

    An email already registered for the event is not registered twice: the existing
    registration is returned (``created=False``) and its personal link is sent again.
    ``source="manual"`` (an organiser adding someone) ignores the registration period.
    Two chosen sessions at the same time are refused (``SessionOverlapError``, nothing is
    written) unless ``allow_overlap`` (an organiser's decision, recorded in the audit log).

    The hot path is a few Core statements (this is the request that arrives by the hundred
    when registration opens): an ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
    (event, email) index decides duplicates without a lookup or a savepoint, then the seat is
    taken with the conditional UPDATE, last, so that PostgreSQL holds the hot event row for
    the shortest time before the commit.

    ``target`` (from ``load_target``, the form's one SELECT) gives the event's sign-up
    sessions and whether it has webhooks, which are then not read again.
    """
    checked = check(data)
    values = dict(checked.values)
    if source == "online":
        reason = registration_closed_reason(event)
        if reason:
            raise RegistrationError(reason)
    if values["attendance_mode"] == "online" and not event.hybrid:
        values["attendance_mode"] = "in_person"
    known = target.sessions if target is not None and target.event is event else None
    chosen = _resolve_sessions(session, event, checked.sessions, known)
    overlaps = overlapping_pairs(chosen) if len(chosen) > 1 else []
    if overlaps and not allow_overlap:
        raise SessionOverlapError(*overlaps[0])

    now = utcnow()
    token = _new_token()
    params = {
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
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement: the INSERT, the owed email and the seat (see _register_statement)
        bound = {f"r_{key}": value for key, value in params.items()}
        row = session.execute(
            _register_statement(tuple(params), notify), {**bound, "row_id": event.id}
        ).first()
        new_id, seated = (row[0], row[1]) if row is not None else (None, False)
        if new_id is not None and notify:
            notices.owed(session)
    else:
        new_id = session.execute(_insert_registration(dialect), params).scalar()
        seated = None
    if new_id is None:
        # The unique (event, email) index said: already registered
        existing = find_registration(session, event, values["email"])
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish here
            raise RegistrationError(_("Something changed while you registered. Please try again."))
        if notify:
            notices.notify(session, existing, "already")
        return RegistrationResult(existing, created=False)
    if seated is None:
        # The email is owed before the seat is taken: on PostgreSQL the seat UPDATE locks the
        # hot event row until the commit, so nothing that can wait is done after it. Most
        # people get a seat; the rare waiting-list case corrects the notice's kind.
        if notify:
            notices.notify_new(session, new_id, "confirmed")
        seated = _take_event_seat(session, event)
    status = "confirmed"
    if not (seated or _take_event_seat_locked(session, event)):
        status = "waitlisted"
        session.execute(
            _WAITLIST_REGISTRATION,
            {"registration_id": new_id, "seq": next_counter(session, f"waitlist:event:{event.id}")},
        )
        if notify:
            notices.change_new(session, new_id, "waitlisted")
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
    if overlaps:
        audit.record(
            session,
            "registration.overlap_override",
            user=by,
            event=event,
            target=f"registration:{new_id}",
            details={"sessions": [[first.key, second.key] for first, second in overlaps]},
        )
    if target is None or target.event is not event or target.has_webhooks:
        _emit_created(session, event, new_id, status, values, source)
    return result


def _emit_created(session, event, new_id: int, status: str, values: dict, source: str) -> None:
    """registration.created, then registration.confirmed or .waitlisted, to the event's
    webhooks (one SELECT when it has none)."""
    data = {
        "event": event.slug,
        "registration": {
            "id": new_id,
            "status": status,
            "full_name": values["full_name"],
            "email": values["email"],
            "organisation": values.get("organisation"),
            "attendance_mode": values["attendance_mode"],
            "preferred_language": values["preferred_language"],
            "source": source,
        },
    }
    webhooks.emit_many(
        session, event.id, [("registration.created", data), (f"registration.{status}", data)]
    )


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


@lru_cache(maxsize=16)
def _register_statement(keys: tuple[str, ...], notify: bool):
    """PostgreSQL: the registration's writes in one statement (data-modifying CTEs), built
    once per set of columns:

        WITH reg AS (INSERT INTO registration ... ON CONFLICT DO NOTHING RETURNING id),
             notice AS (INSERT INTO registration_notice ... SELECT id FROM reg),
             seat AS (UPDATE event SET confirmed_count = confirmed_count + 1
                      WHERE id = :row_id AND EXISTS (SELECT FROM reg)
                        AND capacity IS NOT NULL AND confirmed_count < capacity
                      RETURNING id),
             unlimited AS (SELECT id FROM event WHERE id = :row_id
                           AND EXISTS (SELECT FROM reg) AND capacity IS NULL FOR KEY SHARE)
        SELECT reg.id, EXISTS (SELECT FROM seat) OR EXISTS (SELECT FROM unlimited) FROM reg

    No row: the email is already registered (nothing written, no seat taken). ``seat`` and
    ``unlimited`` are ``_take_event_seat``'s statements (see ``seats``): under a capacity the
    seat is taken by the conditional UPDATE once the INSERT is done (it reads its result), so
    the hot event row is locked only for the end of the statement and the COMMIT; without a
    capacity the row only gets the KEY SHARE lock its foreign key takes anyway, and
    registrations do not wait for each other. One round trip instead of three."""
    table = Registration.__table__
    reg = (
        postgresql_insert(table)
        # Parameter names that are no column's (r_...): Core would turn a parameter named like a
        # column of the event into a SET clause of the seat UPDATE
        .values({key: bindparam(f"r_{key}", type_=table.c[key].type) for key in keys})
        .on_conflict_do_nothing(index_elements=["event_id", "email_normalized"])
        .returning(table.c.id)
        .cte("reg")
    )
    inserted = exists(select(reg.c.id))
    seat = _TAKE_LIMITED_SEAT.where(inserted).returning(Event.__table__.c.id).cte("seat")
    unlimited = _NO_CAPACITY.where(inserted).cte("unlimited")
    statement = select(
        reg.c.id,
        or_(exists(select(seat.c.id)), exists(select(unlimited.c.id))).label("seated"),
    )
    if notify:
        created = bindparam("r_created_at", type_=table.c.created_at.type)
        statement = statement.add_cte(
            notices.owe_new_from(reg.c.id, "confirmed", created).cte("notice")
        )
    return statement


_WAITLIST_REGISTRATION = (
    update(Registration.__table__)
    .where(Registration.__table__.c.id == bindparam("registration_id"))
    .values(status="waitlisted", confirmed_at=None, waitlist_seq=bindparam("seq"))
)
