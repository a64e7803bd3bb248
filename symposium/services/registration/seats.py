"""Seats and counters: the event lock, the conditional seat UPDATEs, waiting-list numbers and
where a session choice is placed (seat, waiting list or pending)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, exists, func, inspect, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from ...models import Counter, Event, Registration, Session, SessionRegistration, WebhookEndpoint
from .checks import SIGNUP_CONFIRMED, SIGNUP_PENDING, SIGNUP_WAITLISTED, RegistrationError


def signup_sessions(session: OrmSession, event: Event) -> list[Session]:
    """The sessions of ``event`` that need a sign-up (they have a capacity)."""
    return list(
        session.scalars(
            select(Session)
            .where(Session.event_id == event.id, Session.capacity.is_not(None))
            .order_by(Session.starts_at, Session.position, Session.id)
        )
    )


@dataclass(frozen=True)
class RegistrationTarget:
    """What the registration form needs of an event, loaded in one statement."""

    event: Event
    sessions: tuple[Session, ...]  # the sign-up sessions, as ``signup_sessions`` orders them
    has_webhooks: bool  # the event has an active webhook endpoint


# Built once (the form's hot path): the event by slug, outer-joined to its sign-up sessions
_LOAD_TARGET = (
    select(
        Event,
        Session,
        exists()
        .where(WebhookEndpoint.event_id == Event.id, WebhookEndpoint.active.is_(True))
        .correlate(Event)
        .label("has_webhooks"),
    )
    .outerjoin(Session, and_(Session.event_id == Event.id, Session.capacity.is_not(None)))
    .where(Event.slug == bindparam("slug"))
    .order_by(Session.starts_at, Session.position, Session.id)
)


def load_target(session: OrmSession, slug: str) -> RegistrationTarget | None:
    """The event ``slug`` with its sign-up sessions (and their seat counters) and whether it
    has webhooks, in one SELECT (an outer join: one row per sign-up session, at least one);
    None when there is no such event. The caller decides who may see it (drafts)."""
    rows = session.execute(_LOAD_TARGET, {"slug": slug}).all()
    if not rows:
        return None
    items = tuple(row[1] for row in rows if row[1] is not None)
    return RegistrationTarget(rows[0][0], items, bool(rows[0][2]))


def _resolve_sessions(
    session: OrmSession,
    event: Event,
    keys: Iterable[str],
    known: Sequence[Session] | None = None,
) -> list[Session]:
    """The chosen sign-up sessions, in the order chosen; ``known``: the event's sign-up
    sessions when already loaded (``load_target``), else they are read."""
    wanted = []
    for key in keys:
        key = (key or "").strip()
        if key and key not in wanted:
            wanted.append(key)
    if not wanted:
        return []
    found = {s.key: s for s in (signup_sessions(session, event) if known is None else known)}
    unknown = [k for k in wanted if k not in found]
    if unknown:
        raise RegistrationError(_("Unknown session: %(key)s", key=unknown[0][:80]), "sessions")
    return [found[k] for k in wanted]


def lock_event(session: OrmSession, event: Event, *, capacity: bool = False) -> None:
    """Serialise changes to this event's registrations (row lock; SQLite: already serialised
    by BEGIN IMMEDIATE). ``capacity``: also wait for the registrations in progress of an
    event without a capacity (before giving it one, see ``_NO_CAPACITY``)."""
    if session.get_bind().dialect.name != "sqlite":
        # FOR NO KEY UPDATE: the same lock as the counter UPDATE takes; it does not conflict
        # with the KEY SHARE locks that inserting registrations (foreign key) take on the row.
        # FOR UPDATE (capacity) does: it waits for them, and new ones wait for it.
        session.execute(
            select(Event.id).where(Event.id == event.id).with_for_update(key_share=not capacity)
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
    """Take / free one seat of a session row: conditional UPDATEs of the counter column,
    built once (``updated_at`` kept: a seat taken is not a change to the session)."""
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


_TAKE_SESSION_SEAT, _FREE_SESSION_SEAT = _seat_statements(Session.__table__)

# The event's seats. ``Event.confirmed_count`` counts the seats taken while the event has a
# capacity; an event without one takes no seat (so its registrations never wait for each other
# on its row: PostgreSQL would serialise them there, the lock held through every COMMIT's WAL
# flush), and its confirmed registrations are counted when shown (``confirmed_total``).
# Giving an event a capacity recounts them (``_recount_on_new_capacity``).
# ``updated_at`` is set to itself so that the column's ``onupdate`` does not fire: a seat taken
# is not a change to the event (the programme PDF cache keys on it).
_EVENT = Event.__table__.c
_TAKE_LIMITED_SEAT = (
    update(Event.__table__)
    .where(_EVENT.id == bindparam("row_id"))
    .where(_EVENT.capacity.is_not(None), _EVENT.confirmed_count < _EVENT.capacity)
    .values(confirmed_count=_EVENT.confirmed_count + 1, updated_at=_EVENT.updated_at)
)
# PostgreSQL: "the event has no capacity", read with a KEY SHARE lock, the lock that
# inserting a registration takes on the event row anyway (its foreign key), so registrations
# never wait for each other. Giving the event a capacity takes FOR UPDATE first
# (``lock_event(capacity=True)``), which waits for the registrations in progress, then counts
# them; one that checks after that commit reads the new capacity (PostgreSQL re-checks a
# locked row's condition on its newest version) and takes a counted seat instead.
_NO_CAPACITY = (
    select(_EVENT.id)
    .where(_EVENT.id == bindparam("row_id"), _EVENT.capacity.is_(None))
    .with_for_update(read=True, key_share=True)
)
# SQLite (every writing transaction is serialised by BEGIN IMMEDIATE): one UPDATE that says
# "a seat is left or there is no limit", counting the seat only under a limit.
_TAKE_EVENT_SEAT_SQLITE = (
    update(Event.__table__)
    .where(_EVENT.id == bindparam("row_id"))
    .where(_EVENT.capacity.is_(None) | (_EVENT.confirmed_count < _EVENT.capacity))
    .values(
        confirmed_count=_EVENT.confirmed_count + case((_EVENT.capacity.is_(None), 0), else_=1),
        updated_at=_EVENT.updated_at,
    )
)
_FREE_EVENT_SEAT = (
    update(Event.__table__)
    .where(
        _EVENT.id == bindparam("row_id"),
        _EVENT.capacity.is_not(None),
        _EVENT.confirmed_count > 0,
    )
    .values(confirmed_count=_EVENT.confirmed_count - 1, updated_at=_EVENT.updated_at)
)


def _take_event_seat(session: OrmSession, event: Event) -> bool:
    """A seat for a confirmed registration: counted under the event's capacity, or the event
    has none. False: the event is full."""
    params = {"row_id": event.id}
    if session.get_bind().dialect.name == "sqlite":
        if _no_capacity_in_this_transaction(session, event):
            return True
        return session.execute(_TAKE_EVENT_SEAT_SQLITE, params).rowcount == 1
    if session.execute(_TAKE_LIMITED_SEAT, params).rowcount == 1:
        return True
    return session.execute(_NO_CAPACITY, params).first() is not None


def _no_capacity_in_this_transaction(session: OrmSession, event: Event) -> bool:
    """SQLite: the event's capacity, as read in this transaction, is none. Its objects' loaded
    state is from the current transaction (a commit or rollback expires it), and BEGIN
    IMMEDIATE holds the write lock from the transaction's first statement: no other
    transaction can have given the event a capacity since (the form's ``load_target`` read)."""
    real = session() if isinstance(session, scoped_session) else session
    state = inspect(event)
    return (
        state.session is real
        and real.expire_on_commit
        and real.in_transaction()
        and "capacity" in state.dict
        and state.dict["capacity"] is None
    )


def _free_event_seat(session: OrmSession, event: Event) -> None:
    session.execute(_FREE_EVENT_SEAT, {"row_id": event.id})


def _count_confirmed(event_id):
    """SELECT the number of confirmed registrations of ``event_id`` (a value or a column)."""
    return select(func.count(Registration.id)).where(
        Registration.event_id == event_id, Registration.status == "confirmed"
    )


def confirmed_total(session: OrmSession, event: Event) -> int:
    """The event's confirmed registrations: its seat counter under a capacity, else counted."""
    if event.capacity is not None:
        return event.confirmed_count or 0
    return session.scalar(_count_confirmed(event.id)) or 0


_RECOUNT = (
    update(Event.__table__)
    .where(_EVENT.id == bindparam("row_id"))
    .values(
        confirmed_count=_count_confirmed(_EVENT.id).scalar_subquery(),
        updated_at=_EVENT.updated_at,
    )
)


@sa_event.listens_for(OrmSession, "after_flush")
def _new_capacities(session: OrmSession, _context) -> None:
    """Note the events whose capacity a flush set (from none, or from an unknown value: the
    old one is not loaded to compare)."""
    for obj in session.dirty:
        if isinstance(obj, Event):
            history = inspect(obj).attrs.capacity.history
            if history.added and history.added[0] is not None:
                session.info.setdefault("symposium.recount_events", set()).add(obj.id)


@sa_event.listens_for(OrmSession, "after_flush_postexec")
def _recount_on_new_capacity(session: OrmSession, _context) -> None:
    """An event that gets a capacity (or a new one) counts its seats again: its confirmed
    registrations are counted, in the transaction that set the capacity and after its UPDATE
    (which holds the event's row, so no registration can be committing without being counted
    or taking a seat itself)."""
    ids = session.info.pop("symposium.recount_events", None)
    for event_id in sorted(ids or ()):
        if session.get_bind().dialect.name != "sqlite":
            # Wait for the registrations in progress (a no-op when save_event locked it so)
            session.execute(select(_EVENT.id).where(_EVENT.id == event_id).with_for_update())
        session.execute(_RECOUNT, {"row_id": event_id})
        event = session.get(Event, event_id)
        if event is not None:
            session.expire(event, ["confirmed_count"])


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
